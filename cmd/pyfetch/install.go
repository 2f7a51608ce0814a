package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pyfetch/pyfetch/compile"
	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/internal/parallel"
	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/internal/textsafe"
	"github.com/pyfetch/pyfetch/releases"
)

func (a *app) install(ctx context.Context, args []string) error {
	var force bool
	jobs := 0
	var bf buildFlags
	var c pipelineOptions
	var printKey bool
	var pf prebuiltFlags
	p, err := a.prepare(ctx, "install", args, &c, func(fs *flag.FlagSet) {
		fs.BoolVar(&force, "force", false, "reinstall atomically even if installed")
		jobs = a.envInt("PYFETCH_JOBS", 3)
		fs.Var(countFlag{&jobs}, "jobs", "`N` versions installed in parallel, 0 for all at once (env PYFETCH_JOBS)")
		fs.BoolVar(&printKey, "print-cache-key", false, "with --build: print the build's cache key (for actions/cache) and build nothing")
		fs.BoolVar(&c.locked, "locked", a.envBool("PYFETCH_LOCKED"), "install exactly what the nearest pyfetch.lock pins, or nothing (env PYFETCH_LOCKED=1)")
		a.buildFlagSet(fs, &bf)
		a.prebuiltFlagSet(fs, &pf)
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
		if ft > 0 && pf.on {
			bf.freethreaded = true // the free-threaded prebuilt
		} else if ft > 0 {
			if !bf.build {
				a.warn("note: " + specs[0].Raw + " is a free-threaded build: pyfetch builds it from the verified source (install --build), which takes minutes")
			}
			bf.build, bf.freethreaded = true, true
		}
		if bf.build {
			// A configure argument pyfetch refuses is said before any
			// download, not after minutes of compiling.
			if _, err := bf.configureArgs(); err != nil {
				return err
			}
		}
		// Flags typed without the one they go with are said before any
		// request (with --prebuilt, build flags say which prebuilt).
		if !bf.build && !pf.on {
			if err := bf.typedWithoutBuild(); err != nil {
				return err
			}
		}
		if !pf.on {
			if err := pf.typedWithoutPrebuilt(); err != nil {
				return err
			}
		}
		if printKey {
			if !bf.build {
				return fmt.Errorf("%w: --print-cache-key goes with --build (a source install has no build to cache)", errUsage)
			}
			return nil // naming a key needs no compiler
		}
		// A build needs a compiler: say so before downloading anything
		// (with --prebuilt, only when it falls back to building).
		if bf.build && !pf.on {
			return compile.Preflight(nil)
		}
		return nil
	})
	if err != nil {
		return err
	}
	p.opts.Force = force
	if printKey {
		return a.printCacheKeys(ctx, p, &bf)
	}
	if p.opts.Prebuilt, err = a.prebuiltOptions(&pf, &bf); err != nil {
		return err
	}
	stopDisplay := func() {}
	// With --prebuilt the build flags say which prebuilt; --build adds
	// the fallback of building from source.
	if bf.build {
		if p.opts.Build, stopDisplay, err = a.buildOptions(&bf, len(p.versions)); err != nil {
			return err
		}
	}
	outs := make([]*install.Outcome, len(p.versions))
	errs := parallel.Each(len(p.versions), allIfZero(jobs, len(p.versions)), func(i int) error {
		out, err := install.Install(ctx, p.versions[i], p.opts)
		err = p.explain(ctx, p.versions[i], err)
		if err != nil {
			return fmt.Errorf("install %s: %w", p.versions[i], err)
		}
		outs[i] = out
		return nil
	})
	stopDisplay()
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
		if r.Kind == install.KindPrebuilt {
			fmt.Fprintf(a.stdout, "installed the prebuilt %s in %s: %s (sha256 %s, signed by %s; built from %s, sha256 %s, signed by %s via %s)\n",
				r.Version, out.Dir, filepath.Join(out.Dir, "bin", "python3"), r.SHA256, r.Signer, r.Prebuilt.Source.Artifact, r.Prebuilt.Source.SHA256, r.Prebuilt.Source.Signer, r.Prebuilt.Source.Issuer)
			continue
		}
		if r.Kind == install.KindBuild {
			what = "built " + r.Version + " in " + out.Dir + ": " + filepath.Join(out.Dir, "bin", "python3")
		}
		fmt.Fprintf(a.stdout, "%s (sha256 %s, signed by %s via %s)\n", what, r.SHA256, r.Signer, r.Issuer)
	}
	names, errs := p.outcomes(errs)
	if p.c.jsonOut {
		if err := a.printJSON(map[string]any{"installed": done, "failed": failures(names, errs)}); err != nil {
			return err
		}
	}
	return a.perVersion(names, errs, false)
}

// githubOutputs appends to $GITHUB_OUTPUT and $GITHUB_PATH when set, so a
// workflow step can use the install. With several versions the last one
// written wins for each key. A value holding a line break is written with
// GitHub's multi-line delimiter syntax, so it can never add a key; a
// folder with a line break in its path is never put on GITHUB_PATH.
func (a *app) githubOutputs(out *install.Outcome) error {
	if p := a.getenv("GITHUB_OUTPUT"); p != "" {
		r := out.Receipt
		// python-path is only ever an interpreter (as setup-python gives
		// it): a build's. A source install gets source-path instead, so a
		// step written for a build never runs a folder.
		var b strings.Builder
		kv := [][2]string{{"python-version", r.Version}}
		if r.Kind == install.KindBuild || r.Kind == install.KindPrebuilt {
			kv = append(kv, [2]string{"python-path", filepath.Join(out.Dir, "bin", "python3")})
		} else {
			kv = append(kv, [2]string{"source-path", out.Dir})
		}
		// cache-hit: the install was there already (as setup-python says
		// whether its cache had the version).
		kv = append(kv, [2]string{"python-home", out.Dir}, [2]string{"sha256", r.SHA256}, [2]string{"signer", r.Signer},
			[2]string{"cache-hit", fmt.Sprint(out.AlreadyInstalled)})
		if r.Build != nil {
			kv = append(kv, [2]string{"cache-key", r.Build.CacheKey})
		}
		for _, e := range kv {
			if err := writeOutput(&b, e[0], e[1]); err != nil {
				return githubFileError{"GITHUB_OUTPUT", err}
			}
		}
		if err := appendFile(p, b.String()); err != nil {
			return githubFileError{"GITHUB_OUTPUT", err}
		}
	}
	if p := a.getenv("GITHUB_PATH"); p != "" {
		bin := filepath.Join(out.Dir, "bin")
		if strings.ContainsAny(bin, "\r\n") {
			return githubFileError{"GITHUB_PATH", fmt.Errorf("the folder %s holds a line break; not adding it", textsafe.Escape(bin))}
		}
		if fi, err := os.Lstat(bin); err == nil && fi.IsDir() {
			if err := appendFile(p, bin+"\n"); err != nil {
				return githubFileError{"GITHUB_PATH", err}
			}
		}
	}
	return nil
}

// errGitHubFile: GITHUB_OUTPUT or GITHUB_PATH could not be written. They
// are the runner's files, not a release: exit 1 even when one does not
// exist (exit 3 would send a script to another mirror), and a full disk
// there is not pyfetch's home.
var errGitHubFile = errors.New("a GitHub Actions file")

// githubFileError is a failure to write the GitHub Actions file name.
type githubFileError struct {
	name string
	err  error
}

func (e githubFileError) Error() string   { return "write " + e.name + ": " + e.err.Error() }
func (e githubFileError) Unwrap() []error { return []error{errGitHubFile, e.err} }

// writeOutput writes one GITHUB_OUTPUT entry: name=value, or, when value
// holds a line break, GitHub's documented name<<DELIMITER form with a
// random delimiter that the value does not contain.
func writeOutput(b *strings.Builder, name, value string) error {
	if !strings.ContainsAny(value, "\r\n") {
		fmt.Fprintf(b, "%s=%s\n", name, value)
		return nil
	}
	var rnd [16]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	delim := "ghadelimiter_" + hex.EncodeToString(rnd[:])
	if strings.Contains(value, delim) {
		return fmt.Errorf("%s: value holds its own delimiter", name)
	}
	fmt.Fprintf(b, "%s<<%s\n%s\n%s\n", name, delim, value, delim)
	return nil
}

func appendFile(path, s string) error {
	f, err := safefile.OpenAppend(path)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(s); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// printCacheKeys prints each version's build cache key (and writes it to
// GITHUB_OUTPUT as cache-key), building nothing: the source is obtained
// and verified into the cache, so the build that follows a cache miss
// does not download it again.
func (a *app) printCacheKeys(ctx context.Context, p *pipeline, bf *buildFlags) error {
	args, err := bf.configureArgs()
	if err != nil {
		return err
	}
	b := &install.BuildOptions{ConfigureArgs: args, Optimize: bf.optimize, FreeThreaded: bf.freethreaded}
	keys := make([]string, len(p.versions))
	errs := parallel.Each(len(p.versions), 3, func(i int) error {
		k, err := install.PlanCacheKey(ctx, p.versions[i], b, p.opts)
		if err != nil {
			return fmt.Errorf("cache key of %s: %w", p.versions[i], p.explain(ctx, p.versions[i], err))
		}
		keys[i] = k
		return nil
	})
	type row struct {
		Version  string `json:"version"`
		CacheKey string `json:"cache_key"`
	}
	rows := []row{}
	for i, k := range keys {
		if k == "" {
			continue
		}
		rows = append(rows, row{p.versions[i].String(), k})
		if !p.c.jsonOut {
			fmt.Fprintln(a.stdout, k)
		}
		if out := a.getenv("GITHUB_OUTPUT"); out != "" {
			var sb strings.Builder
			writeOutput(&sb, "cache-key", k) //nolint:errcheck // a key holds no line break
			if err := appendFile(out, sb.String()); err != nil {
				errs[i] = githubFileError{"GITHUB_OUTPUT", err}
			}
		}
	}
	names, errs := p.outcomes(errs)
	if p.c.jsonOut {
		if err := a.printJSON(map[string]any{"cache_keys": rows, "failed": failures(names, errs)}); err != nil {
			return err
		}
	}
	return a.perVersion(names, errs, false)
}
