package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pyfetch/pyfetch/internal/atomicfile"
	"github.com/pyfetch/pyfetch/internal/parallel"
	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/internal/textsafe"
	"github.com/pyfetch/pyfetch/lockfile"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/verify"
)

// lock resolves, downloads and verifies each spec, and pins what it found
// in pyfetch.lock (next to the .python-version it read, or in the
// working folder). Existing pins stay unless --upgrade.
func (a *app) lock(ctx context.Context, args []string) error {
	var c pipelineOptions
	p, err := a.prepare(ctx, "lock", args, &c, func(fs *flag.FlagSet) {
		fs.BoolVar(&c.upgrade, "upgrade", false, "move pins forward to the newest release matching each spec (no spec and no .python-version: each line the lock file pins), and say what changed")
	}, nil)
	if err != nil {
		return err
	}
	// The nearest lock file; else one next to the .python-version read;
	// else one in the working folder.
	path := findLockFile(p.lockSearchDir(a.wd))
	if path == "" {
		dir := a.wd
		if p.versionFile != "" {
			dir = filepath.Dir(p.versionFile)
		}
		path = filepath.Join(dir, lockfile.Name)
	}
	lf, _, err := loadLockFile(path)
	if err != nil {
		return err
	}
	// Without --upgrade, a spec already pinned keeps its pin; the others
	// are resolved (the index prepare read answers) and pinned.
	type job struct{ spec releases.Spec }
	var jobs []job
	for _, sp := range p.specs {
		if _, ok := lf.Find(sp); ok && !c.upgrade {
			continue
		}
		jobs = append(jobs, job{spec: sp})
	}
	// Each spec is resolved, then each distinct version obtained once
	// ("3.13 3.13.5" downloads and verifies 3.13.5 once, not twice in
	// parallel waiting on its own lock).
	// prepare resolved every spec already and said what it skipped; the
	// answers come again from the index it read, without the notes.
	p.resolver.Notify = nil
	names := make([]string, len(jobs))
	versions := make([]releases.Version, len(jobs))
	errs := parallel.Each(len(jobs), 3, func(i int) error {
		names[i] = jobs[i].spec.Raw
		v, err := p.resolver.Resolve(ctx, jobs[i].spec, releases.Formats(p.opts.Format), c.pre)
		if err != nil {
			return fmt.Errorf("lock %s: %w", jobs[i].spec.Raw, err)
		}
		versions[i] = v
		return nil
	})
	var distinct []releases.Version
	index := map[string]int{}
	for i, v := range versions {
		if errs[i] != nil {
			continue
		}
		if _, ok := index[v.String()]; !ok {
			index[v.String()] = len(distinct)
			distinct = append(distinct, v)
		}
	}
	pinned := make([]*lockfile.Entry, len(distinct))
	obtainErrs := parallel.Each(len(distinct), 3, func(k int) error {
		v := distinct[k]
		art, got, err := p.opts.ObtainFormat(ctx, v, p.opts.Format, p.opts.AnyFormat)
		if err != nil {
			return fmt.Errorf("lock %s: %w", v, p.explain(ctx, v, err))
		}
		defer got.File.Close()
		fi, err := got.File.Stat()
		if err != nil {
			return err
		}
		r := got.Result
		pinned[k] = &lockfile.Entry{Version: v.String(), Artifact: art.Name(), SHA256: r.SHA256, Size: fi.Size(),
			Method: r.Method, Signer: r.Identity.SAN, Issuer: r.Identity.Issuer, LogIndex: r.LogIndex, IntegratedTime: r.IntegratedTime}
		return nil
	})
	// A version's failure is reported once, on the first spec naming it.
	entries := make([]*lockfile.Entry, len(jobs))
	said := map[int]bool{}
	for i := range jobs {
		if errs[i] != nil {
			continue
		}
		k := index[versions[i].String()]
		entries[i] = pinned[k]
		if !said[k] {
			said[k], errs[i] = true, obtainErrs[k]
		}
	}
	// Downloads ran unlocked; the file is read again and changed under a
	// lock on its folder, so a concurrent lock run's pins are kept, and
	// a spec it pinned meanwhile keeps that pin (without --upgrade).
	l, err := p.opts.Home.LockDir(ctx, filepath.Dir(path), "writing "+path, a.warn)
	if err != nil {
		return err
	}
	defer l.Unlock()
	lf, existed, err := loadLockFile(path)
	if err != nil {
		return err
	}
	var before bytes.Buffer
	if err := lockfile.Write(&before, lf); err != nil {
		return err
	}
	// changed is what this run pinned anew or moved, for --json.
	type change struct {
		lockfile.Entry
		Previous *lockfile.Entry `json:"previous,omitempty"`
	}
	changed := []change{}
	for i, e := range entries {
		if e == nil {
			continue
		}
		var old *lockfile.Entry
		if o, ok := lf.Find(jobs[i].spec); ok {
			if !c.upgrade {
				continue
			}
			old = &o
		}
		var line string
		switch {
		case old == nil:
			line = fmt.Sprintf("pinned %s (%s, sha256 %s, signed by %s)", e.Version, e.Artifact, e.SHA256, e.Signer)
		case old.Version != e.Version:
			lf.Remove(old.Version)
			line = fmt.Sprintf("%s → %s (%s, sha256 %s)", old.Version, e.Version, e.Artifact, e.SHA256)
		case old.SHA256 != e.SHA256 || old.Artifact != e.Artifact:
			line = fmt.Sprintf("%s: %s sha256 %s → %s sha256 %s", e.Version, old.Artifact, old.SHA256, e.Artifact, e.SHA256)
		}
		if line != "" {
			changed = append(changed, change{*e, old})
			if !c.jsonOut {
				fmt.Fprintln(a.stdout, line)
			}
		}
		lf.Put(*e)
	}
	var buf bytes.Buffer
	if err := lockfile.Write(&buf, lf); err != nil {
		return err
	}
	// A run that pins nothing new leaves the file as it was, and one that
	// pins nothing at all creates none (an empty lock file would only
	// make install --locked refuse everything).
	written := false
	switch {
	case !existed && len(lf.Pythons) == 0:
		a.warn("nothing pinned; " + path + " not written")
	case existed && bytes.Equal(before.Bytes(), buf.Bytes()):
		a.warn(path + " is up to date")
	default:
		if err := atomicfile.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		written = true
		a.warn("wrote " + path)
	}
	if c.jsonOut {
		pins := lf.Pythons
		if pins == nil {
			pins = []lockfile.Entry{}
		}
		if err := a.printJSON(map[string]any{"lock_file": path, "written": written, "changed": changed, "pins": pins, "failed": failures(names, errs)}); err != nil {
			return err
		}
	}
	return a.perVersion(names, errs, false)
}

// loadLockFile reads the lock file at path, or an empty one when there is
// none yet (existed false).
func loadLockFile(path string) (lf *lockfile.File, existed bool, err error) {
	lf, err = readLockFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &lockfile.File{Format: 1}, false, nil
	}
	return lf, err == nil, err
}

// readLockFile reads a lock file as the hostile input it may be: a
// regular file (a link is followed, as for .python-version, but never a
// FIFO), capped, checked field by field.
func readLockFile(path string) (*lockfile.File, error) {
	f, err := safefile.OpenNamed(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	lf, err := lockfile.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errUsage, textsafe.Escape(path), err)
	}
	return lf, nil
}

// findLockFile is the nearest pyfetch.lock from dir upwards ("" when
// there is none), believed on the same terms as .python-version.
func findLockFile(dir string) string {
	for d := dir; d != ""; {
		p := filepath.Join(d, lockfile.Name)
		if _, err := os.Lstat(p); err == nil && ownedByUsOrRoot(d) == nil && ownedByUsOrRoot(p) == nil {
			return p
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	return ""
}

// errNoLockFile: no pyfetch.lock in a folder or its parents.
var errNoLockFile = errors.New("no " + lockfile.Name)

// nearestLockFile finds and reads the lock file --locked installs from
// (and lock --upgrade alone moves forward), the nearest from dir upwards;
// errNoLockFile when there is none.
func (a *app) nearestLockFile(dir string) (string, *lockfile.File, error) {
	path := findLockFile(dir)
	if path == "" {
		return "", nil, fmt.Errorf("%w: --locked, but %w in %s or a parent folder (run pyfetch lock first)", errUsage, errNoLockFile, textsafe.Escape(dir))
	}
	lf, err := readLockFile(path)
	if err != nil {
		return "", nil, err
	}
	return path, lf, nil
}

// pinnedSpecs is what the lock file lf (at path) pins, as spec names
// each pinned version, without repeats: every version
// (releases.Version.String) for install --locked without a SPEC or a
// .python-version; every release line (releases.Version.Line) for lock
// --upgrade without them, where each line's newest pin moves to the
// line's newest release (a prerelease only with --pre).
func pinnedSpecs(path string, lf *lockfile.File, spec func(releases.Version) string) ([]string, error) {
	var specs []string
	for _, e := range lf.Pythons {
		v, err := releases.ParseVersion(e.Version)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", errUsage, textsafe.Escape(path), err)
		}
		if s := spec(v); !slices.Contains(specs, s) {
			specs = append(specs, s)
		}
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("%w: %s pins no version (run pyfetch lock 3.13 first)", errUsage, textsafe.Escape(path))
	}
	if len(specs) > maxVersionsInFile {
		return nil, fmt.Errorf("%w: %s pins %d versions, more than the %d pyfetch takes from a file (expected a few: a repository's lock file could otherwise fill the disk with installs; name the versions as arguments)", errUsage, textsafe.Escape(path), len(specs), maxVersionsInFile)
	}
	return specs, nil
}

// pinsFor returns the pins of the lock file lf (at path) for the specs
// asked, or an error naming what is missing: a version the lock file does
// not pin is never installed unpinned under --locked.
func pinsFor(path string, lf *lockfile.File, specs []releases.Spec) (map[string]verify.Expect, []releases.Spec, error) {
	pins := map[string]verify.Expect{}
	exact := make([]releases.Spec, len(specs))
	for i, sp := range specs {
		e, ok := lf.Find(sp)
		if !ok {
			return nil, nil, fmt.Errorf("%w: %s pins no version matching %q (run pyfetch lock %s, or fix the version file and the lock file to agree)", errUsage, path, sp.Raw, shellWord(sp.Raw))
		}
		idx := e.LogIndex
		pin := verify.Expect{SHA256: e.Digest()}
		if e.Method == lockfile.MethodSigstore {
			pin.LogIndex = &idx // OpenPGP has no log entry to pin
		}
		pins[e.Artifact] = pin
		v, _ := releases.ParseVersion(e.Version)
		exact[i] = releases.Spec{Raw: sp.Raw, Exact: &v}
	}
	return pins, exact, nil
}

// shellWord is s as a shell reads it back as one word: as is when it
// holds only characters no shell treats specially (3.13, 3.13.5), else
// in single quotes (a range: '>=3.11,<3.14').
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_+/:,=@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
