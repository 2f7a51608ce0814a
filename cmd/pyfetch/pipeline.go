package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/pyfetch/pyfetch/fetch"
	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/resolve"
	"github.com/pyfetch/pyfetch/store"
	"github.com/pyfetch/pyfetch/verify"
)

// failure is one version's error in --json output.
type failure struct {
	Version  string `json:"version"`
	Error    string `json:"error"`
	ExitCode int    `json:"exit_code"`
}

func failures(versions []string, errs []error) []failure {
	out := []failure{}
	for i, err := range errs {
		if err != nil {
			out = append(out, failure{versions[i], err.Error(), exitCode(err)})
		}
	}
	return out
}

func versionNames(vs []releases.Version) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.String()
	}
	return out
}

// pipeline is what install and fetch share: parsed flags, resolved
// versions and ready options.
type pipeline struct {
	resolver *resolve.Resolver
	step     func(string)
	c        common
	versions []releases.Version
	opts     install.Options
}

func (a *app) prepare(ctx context.Context, name string, args []string, extra func(*flag.FlagSet), preflight func([]releases.Spec) error) (*pipeline, error) {
	p := &pipeline{}
	c := &p.c
	fs := a.flags(name, c, homeFlags|cacheFlags|trustFlags|signerFlag|offlineFlag)
	a.mirrorFlags(fs, c)
	pre := fs.Bool("pre", false, "let 3.14, 3 and latest pick alphas, betas and release candidates")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress bar")
	retries := fs.Int("retries", a.envInt("PYFETCH_RETRIES", fetch.DefaultRetries), "retries per download, with backoff (env PYFETCH_RETRIES)")
	if extra != nil {
		extra(fs)
	}
	pos, err := a.parse(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) == 0 {
		wd, _ := os.Getwd()
		file, specs, err := findVersionFile(wd, a.warn)
		if err != nil {
			return nil, err
		}
		if file == "" {
			return nil, fmt.Errorf("%w: %s needs a version, e.g. pyfetch %s 3.13.1 or 3.13 (or a .python-version file here or in a parent folder)", errUsage, name, name)
		}
		a.warn(fmt.Sprintf("using %s from %s", strings.Join(specs, " "), file))
		pos = specs
	}

	format, err := releases.ParseFormat(c.format)
	// Without an explicit format, either one with a bundle will do (the
	// default first); with one, only that.
	explicit := a.getenv("PYFETCH_FORMAT") != ""
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "format" })
	formats := []releases.Format{format}
	if !explicit {
		formats = releases.Formats(releases.DefaultFormat)
	}
	if err != nil {
		return nil, err
	}
	if c.mirror, err = releases.NormalizeMirror(c.mirror); err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	id, err := c.identityOverride()
	if err != nil {
		return nil, err
	}
	specs, err := parseSpecs(pos)
	if err != nil {
		return nil, err
	}
	if preflight != nil {
		if err := preflight(specs); err != nil {
			return nil, err
		}
	} else {
		for _, sp := range specs {
			if sp.FreeThreaded {
				return nil, fmt.Errorf("%w: %q: a free-threaded build is made by install --build, not by %s", errUsage, sp.Raw, name)
			}
		}
	}
	table, err := a.signerTable(c)
	if err != nil {
		return nil, err
	}
	h, err := c.homeDirs()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(h.CacheRoot(), 0o755); err != nil {
		return nil, err
	}
	if *retries < 0 {
		return nil, fmt.Errorf("%w: --retries must be 0 or more, got %d", errUsage, *retries)
	}
	if *retries == 0 {
		*retries = -1 // fetch.Client reads 0 as "default"
	}
	fc := &fetch.Client{Offline: c.offline, Notify: a.warn, Retries: *retries}
	if !c.quiet && !c.jsonOut {
		fc.Progress = a.progress(len(specs) > 1)
		p.step = a.stepper()
	}
	p.resolver = a.resolver(c, h, fc)
	p.versions, err = p.resolver.ResolveAll(ctx, specs, formats, *pre)
	if err != nil {
		return nil, err
	}
	// The trusted root is loaded (TUF, online) only once something must
	// be verified: "already installed" answers without it.
	var once sync.Once
	var (
		v    *verify.Verifier
		src  string
		verr error
	)
	trust := func() (*verify.Verifier, string, error) {
		once.Do(func() { v, _, src, verr = a.verifier(ctx, c, h) })
		return v, src, verr
	}
	p.opts = install.Options{
		Store: store.Store{
			Home: h, Mirror: p.resolver.Mirror, Offline: c.offline,
			Identity: id, Signers: table, Fetch: fc, Trust: trust, Notify: a.warn, Step: p.step,
		},
		Format: format, AnyFormat: !explicit,
	}
	return p, nil
}

// explain replaces a not-found for v with the mirror's view when that
// says more (no such release; the newest of its line), so the lookup
// costs a request only after something was not found.
func (p *pipeline) explain(ctx context.Context, v releases.Version, err error) error {
	if !errors.Is(err, fetch.ErrNotFound) {
		return err
	}
	if why := p.resolver.Missing(ctx, v); why != nil {
		return why
	}
	return err
}
