package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/pyfetch/pyfetch/build"
	"github.com/pyfetch/pyfetch/fetch"
	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/internal/parallel"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/verify"
)

func (a *app) install(ctx context.Context, args []string) error {
	var force bool
	jobs := 0
	var bf buildFlags
	p, err := a.prepare(ctx, "install", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&force, "force", false, "reinstall atomically even if installed")
		fs.IntVar(&jobs, "jobs", a.envInt("PYFETCH_JOBS", 3), "versions installed in parallel (env PYFETCH_JOBS)")
		a.buildFlagSet(fs, &bf)
	}, func(specs []releases.Spec) error {
		// "3.13t" asks for the free-threaded build.
		ft := 0
		for _, sp := range specs {
			if sp.FreeThreaded {
				ft++
			}
		}
		if ft > 0 && ft < len(specs) {
			return fmt.Errorf("%w: free-threaded (3.13t) and regular versions in one command; install them separately", errUsage)
		}
		if ft > 0 {
			bf.build, bf.freethreaded = true, true
		}
		// A build needs a compiler: say so before downloading anything.
		if bf.build {
			return build.Preflight(nil)
		}
		return nil
	})
	if err != nil {
		return err
	}
	p.opts.Force = force
	if p.opts.Build, err = a.buildOptions(&bf); err != nil {
		return err
	}
	outs := make([]*install.Outcome, len(p.versions))
	errs := parallel.Each(len(p.versions), jobs, func(i int) error {
		out, err := install.Install(ctx, p.versions[i], p.opts)
		if err != nil {
			return fmt.Errorf("install %s: %w", p.versions[i], err)
		}
		outs[i] = out
		return nil
	})
	done := []*install.Outcome{}
	for i, out := range outs {
		if out == nil {
			continue
		}
		done = append(done, out)
		// In order, so that with several versions the last one wins.
		if err := a.githubOutputs(out); err != nil {
			errs[i] = err
		}
		if p.c.jsonOut {
			continue
		}
		r := out.Receipt
		if out.AlreadyInstalled {
			fmt.Fprintf(a.stdout, "%s is already installed in %s (use --force to reinstall)\n", r.Version, out.Dir)
			continue
		}
		what := "installed " + r.Version + " in " + out.Dir
		if r.Kind == install.KindBuild {
			what = "built " + r.Version + " in " + out.Dir + ": " + filepath.Join(out.Dir, "bin", "python3")
		}
		fmt.Fprintf(a.stdout, "%s (sha256 %s, signed by %s via %s)\n", what, r.SHA256, r.Signer, r.Issuer)
	}
	names := versionNames(p.versions)
	if p.c.jsonOut {
		if err := a.printJSON(map[string]any{"installed": done, "failed": failures(names, errs)}); err != nil {
			return err
		}
	}
	return a.perVersion(names, errs, false)
}

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

// resolveAll turns specs into distinct versions, in the order given.
// When the mirror cannot be reached, an installed match is the answer
// (said on stderr: newer releases could not be checked).
func (a *app) resolveAll(ctx context.Context, r *install.Resolver, specs []releases.Spec, f []releases.Format, pre bool) ([]releases.Version, error) {
	defer r.Save() //nolint:errcheck // the index is a cache; losing it costs a request
	seen := map[releases.Version]bool{}
	var out []releases.Version
	for _, sp := range specs {
		v, err := r.Resolve(ctx, sp, f, pre)
		if err != nil && ctx.Err() == nil && !errors.Is(err, fetch.ErrNotFound) && !errors.Is(err, errUsage) {
			if in, ferr := install.Find(r.Home, sp); ferr == nil {
				iv, perr := releases.ParseVersion(strings.TrimSuffix(in.Version, "t"))
				if perr == nil {
					a.warn(fmt.Sprintf("note: %v; newer %s releases could not be checked, using the installed %s", err, sp.Raw, in.Version))
					v, err = iv, nil
				}
			}
		}
		if err != nil {
			return nil, err
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out, nil
}

// githubOutputs appends to $GITHUB_OUTPUT and $GITHUB_PATH when set, so a
// workflow step can use the install. With several versions the last one
// written wins for each key.
func (a *app) githubOutputs(out *install.Outcome) error {
	if p := a.getenv("GITHUB_OUTPUT"); p != "" {
		r := out.Receipt
		// python-path is the interpreter for a build (as setup-python
		// gives it), the tree for a source install.
		pyPath := out.Dir
		if r.Kind == install.KindBuild {
			pyPath = filepath.Join(out.Dir, "bin", "python3")
		}
		lines := fmt.Sprintf("python-version=%s\npython-path=%s\npython-home=%s\nsha256=%s\nsigner=%s\n", r.Version, pyPath, out.Dir, r.SHA256, r.Signer)
		if r.Build != nil {
			lines += "cache-key=" + r.Build.CacheKey + "\n"
		}
		if err := appendFile(p, lines); err != nil {
			return fmt.Errorf("write GITHUB_OUTPUT: %w", err)
		}
	}
	if p := a.getenv("GITHUB_PATH"); p != "" {
		bin := filepath.Join(out.Dir, "bin")
		if fi, err := os.Stat(bin); err == nil && fi.IsDir() {
			if err := appendFile(p, bin+"\n"); err != nil {
				return fmt.Errorf("write GITHUB_PATH: %w", err)
			}
		}
	}
	return nil
}

func appendFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(s); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// pipeline is what install and fetch share: parsed flags, resolved
// versions and ready options.
type pipeline struct {
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
		file, specs, err := findVersionFile()
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
		if releases.DefaultFormat == releases.TarXZ {
			formats = []releases.Format{releases.TarXZ, releases.TGZ}
		} else {
			formats = []releases.Format{releases.TGZ, releases.TarXZ}
		}
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
	p.versions, err = a.resolveAll(ctx, a.resolver(c, h, fc), specs, formats, *pre)
	if err != nil {
		return nil, err
	}
	// Refuse releases no signer is known for before any network or
	// trust-root work (a missing bundle is explained later, when it is).
	for _, v := range p.versions {
		if _, err := install.Identity(v, releases.Artifact{Version: v, Format: format}.Name(), id, table); err != nil {
			return nil, err
		}
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
		Home: h, Mirror: c.mirror, Format: format, AnyFormat: !explicit, Offline: c.offline,
		Identity: id, Signers: table, Fetch: fc, Trust: trust, Notify: a.warn, Step: p.step,
	}
	return p, nil
}

func (a *app) fetch(ctx context.Context, args []string) error {
	jobs := 0
	p, err := a.prepare(ctx, "fetch", args, func(fs *flag.FlagSet) {
		fs.IntVar(&jobs, "jobs", a.envInt("PYFETCH_JOBS", 3), "downloads in parallel (env PYFETCH_JOBS)")
	}, nil)
	if err != nil {
		return err
	}
	type row struct {
		Version    string `json:"version"`
		SHA256     string `json:"sha256"`
		Signer     string `json:"signer"`
		Downloaded bool   `json:"downloaded"`
	}
	rows := make([]*row, len(p.versions))
	errs := parallel.Each(len(p.versions), jobs, func(i int) error {
		v := p.versions[i]
		res, fetched, err := install.Fetch(ctx, v, p.opts)
		if err != nil {
			return fmt.Errorf("fetch %s: %w", v, err)
		}
		rows[i] = &row{v.String(), res.SHA256, res.Identity.SAN, fetched}
		return nil
	})
	done := []*row{}
	for _, r := range rows {
		if r == nil {
			continue
		}
		done = append(done, r)
		if !p.c.jsonOut {
			what := "cached"
			if r.Downloaded {
				what = "fetched"
			}
			fmt.Fprintf(a.stdout, "%s %s into %s (sha256 %s, signed by %s)\n", what, r.Version, p.opts.Home.CacheRoot(), r.SHA256, r.Signer)
		}
	}
	names := versionNames(p.versions)
	if p.c.jsonOut {
		if err := a.printJSON(map[string]any{"fetched": done, "failed": failures(names, errs)}); err != nil {
			return err
		}
	}
	return a.perVersion(names, errs, false)
}
