package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pyfetch/pyfetch/fetch"
	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/lockfile"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/resolve"
	"github.com/pyfetch/pyfetch/session"
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

// pipelineOptions are what install and fetch both take.
type pipelineOptions struct {
	outputOpts
	homeOpts
	trustOpts
	signerOpts
	offlineOpts
	mirrorOpts
	retryOpts
	versionFileOpts
	pre, quiet bool
	// locked: install exactly what the nearest pyfetch.lock pins (install
	// registers --locked).
	locked bool
	// upgrade: move pins forward (lock registers --upgrade).
	upgrade bool
	// specsWithout, when set, gives the specs of a run given none
	// instead of the nearest version file (upgrade: the installed lines).
	specsWithout func() ([]string, error)
	// mustResolve: a spec the mirror cannot answer fails, where install
	// takes an installed match (upgrade must not call that the newest).
	mustResolve bool
	// noVersionFile: the command reads no version file (upgrade), so it
	// has no --version-file to ignore.
	noVersionFile bool
}

func (o *pipelineOptions) register(a *app, fs *flag.FlagSet) {
	gs := []registrar{&o.outputOpts, &o.homeOpts, cacheOpts{&o.homeOpts}, &o.trustOpts, &o.signerOpts, &o.offlineOpts, &o.mirrorOpts, &o.retryOpts}
	if !o.noVersionFile {
		gs = append(gs, &o.versionFileOpts)
	}
	for _, g := range gs {
		g.register(a, fs)
	}
	fs.BoolVar(&o.pre, "pre", false, "let 3.14, 3 and latest pick alphas, betas and release candidates")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress bar")
}

// pipeline is what install and fetch share: the session, resolved
// versions and ready options.
type pipeline struct {
	session  *session.Session
	resolver *resolve.Resolver
	c        *pipelineOptions
	specs    []releases.Spec // as asked (or read from versionFile)
	// versionFile is the .python-version the specs came from ("" when
	// given on the command line).
	versionFile string
	versions    []releases.Version
	// unresolved are the specs that did not resolve: reported with the
	// versions' outcomes, while the others go on.
	unresolved []resolve.Unresolved
	opts       install.Options
}

// lockSearchDir is where the nearest lock file is looked for from: the
// folder of the file --version-file named (the project it belongs to,
// where lock writes its pins), else wd.
func (p *pipeline) lockSearchDir(wd string) string {
	if p.c.versionFile != "" && p.versionFile != "" {
		return filepath.Dir(p.versionFile)
	}
	return wd
}

// outcomes returns every name the run reports on, resolved versions first
// then the specs that did not resolve, with errs (one per version)
// extended by the resolution errors.
func (p *pipeline) outcomes(errs []error) ([]string, []error) {
	names := versionNames(p.versions)
	for _, u := range p.unresolved {
		names = append(names, u.Spec.Raw)
		errs = append(errs, u.Err)
	}
	return names, errs
}

// prepare parses a pipeline command's options (with its own flags added
// by extra), reads the specs (or the nearest .python-version), checks
// them (preflight), wires the session and resolves the versions.
func (a *app) prepare(ctx context.Context, name string, args []string, c *pipelineOptions, extra func(*flag.FlagSet), preflight func([]releases.Spec) error) (*pipeline, error) {
	p := &pipeline{c: c}
	fs := a.flagSet(name, c)
	if extra != nil {
		extra(fs)
	}
	pos, err := a.parse(fs, args)
	if err != nil {
		return nil, err
	}
	// The lock file --locked installs from, read once.
	var lockPath string
	var lock *lockfile.File
	if len(pos) > 0 && c.versionFile != "" {
		return nil, fmt.Errorf("%w: --version-file is read when no SPEC is given, and %s was given both", errUsage, name)
	}
	if len(pos) == 0 && c.specsWithout != nil {
		if pos, err = c.specsWithout(); err != nil {
			return nil, err
		}
	}
	if len(pos) == 0 {
		c.versionFileOpts.several = true // what to install (or pin)
		file, specs, err := c.versionFileOpts.find(a)
		if err != nil {
			return nil, err
		}
		switch {
		case file != "":
			p.versionFile = file
		case c.locked:
			// install --locked alone: everything the lock file pins.
			if lockPath, lock, err = a.nearestLockFile(a.wd); err != nil {
				return nil, err
			}
			if specs, err = pinnedSpecs(lockPath, lock, releases.Version.String); err != nil {
				return nil, err
			}
			file = lockPath
		case c.upgrade:
			// lock --upgrade alone: each line the nearest lock file pins.
			path, lf, err := a.nearestLockFile(a.wd)
			if errors.Is(err, errNoLockFile) {
				return nil, fmt.Errorf("%w: lock --upgrade needs a version, e.g. pyfetch lock --upgrade 3.13 (or a .python-version, or a %s to move forward, here or in a parent folder)", errUsage, lockfile.Name)
			}
			if err != nil {
				return nil, err
			}
			if specs, err = pinnedSpecs(path, lf, releases.Version.Line); err != nil {
				return nil, err
			}
			file = path
		default:
			return nil, fmt.Errorf("%w: %s needs a version, e.g. pyfetch %s 3.13.1 or 3.13 (or a .python-version, a mise.toml, a .tool-versions or a pyproject.toml with requires-python, here or in a parent folder)", errUsage, name, name)
		}
		a.warn(fmt.Sprintf("using %s from %s", strings.Join(specs, " "), file))
		pos = specs
	}

	format, err := releases.ParseFormat(c.format)
	if err != nil {
		err = fmt.Errorf("--format (or PYFETCH_FORMAT): %w", err)
	}
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
	m, err := c.mirrorOpts.parsed(a.wd)
	if err != nil {
		return nil, err
	}
	if _, err := c.identityOverride(); err != nil {
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
	p.specs = specs
	var pins map[string]verify.Expect
	if c.locked {
		// Exactly what the lock file pins: each spec becomes its pinned
		// version, and that artifact's digest and log entry are required.
		if lock == nil {
			if lockPath, lock, err = a.nearestLockFile(p.lockSearchDir(a.wd)); err != nil {
				return nil, err
			}
		}
		if pins, specs, err = pinsFor(lockPath, lock, specs); err != nil {
			return nil, err
		}
	}
	fc, err := c.client(a, c.offline)
	if err != nil {
		return nil, err
	}
	s, err := a.session(c.homeOpts, c.offlineOpts, &c.trustOpts, &c.signerOpts, fc)
	if err != nil {
		return nil, err
	}
	if err := a.useMirror(s, m, fc); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.Home.CacheRoot(), 0o755); err != nil {
		return nil, err
	}
	if !c.quiet && !c.jsonOut {
		fc.Progress = a.progress(len(specs) > 1)
		s.Step = a.stepper()
	}
	p.session, p.resolver = s, s.Resolver()
	if c.mustResolve {
		p.resolver.Installed = nil
	}
	p.versions, p.unresolved = p.resolver.ResolveAll(ctx, specs, formats, c.pre)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The trusted root is loaded (TUF, online) only once something must
	// be verified: "already installed" answers without it.
	p.opts = s.InstallOptions(ctx, format, !explicit)
	p.opts.Pins = pins
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
