package install

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/pyfetch/pyfetch/home"
	"github.com/pyfetch/pyfetch/internal/atomicdir"
	"github.com/pyfetch/pyfetch/internal/lock"
	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/prebuilt"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/store"
)

// Options configure Install: where artifacts come from (the Store:
// home, mirror, trust) and what to make of them.
type Options struct {
	store.Store
	// Format is the preferred archive format; with AnyFormat the other
	// one is used when the mirror (or cache) has no signed artifact in it.
	Format    releases.Format
	AnyFormat bool
	Force     bool
	// Now is the clock for receipts (time.Now when nil).
	Now func() time.Time
	// Build, when set, compiles the verified source into a working
	// Python instead of installing the source tree.
	Build *BuildOptions
	// Prebuilt, when set, installs the fleet's prebuilt interpreter; with
	// Build set too, a missing or non-matching one falls back to a build.
	Prebuilt *PrebuiltOptions
}

// BuildOptions ask Install to build the verified source.
type BuildOptions struct {
	ConfigureArgs []string
	Optimize      bool
	FreeThreaded  bool
	Jobs          int
	// KeepSource keeps the unpacked source folder after the build.
	KeepSource bool
	// CCache is the ccache program to compile under ("" for none); its
	// cache is HOME's cache/ccache, a private folder.
	CCache string
	// ConfigureCache keeps configure's findings in cache/configure, keyed
	// by all they depend on, and reuses them for the same key.
	ConfigureCache bool
	// Phase is told when each build phase starts (configure, compile,
	// install, checks), and with phase "" when the build has ended,
	// either way.
	Phase func(version, phase string)
	// Gate, when set, lets at most cap(Gate) builds of this process run at
	// once (configure to checks), each with all its make jobs: several
	// versions download, verify and unpack in parallel, then build in
	// turn rather than oversubscribe the CPUs. A build that waits says so
	// through Phase.
	Gate chan struct{}
}

// Outcome is what Install did.
type Outcome struct {
	Dir              string   `json:"path"`
	Receipt          *Receipt `json:"receipt"`
	AlreadyInstalled bool     `json:"already_installed"`
	Downloaded       bool     `json:"downloaded"`
}

// staleAge is how old a temp folder of an interrupted install must be
// before any install removes it (when its version is not locked).
const staleAge = time.Hour

// Install makes version v available under Home's versions dir, in this
// fixed order: bundle → artifact under its download lock (download →
// hash → verify, or re-hash a cached copy → verify) → release check →
// the version's lock → unpack or build into a private temp dir → receipt
// → rename. Nothing is unpacked before verification succeeded.
func Install(ctx context.Context, v releases.Version, o Options) (*Outcome, error) {
	if o.Format == "" {
		o.Format = releases.DefaultFormat
	}
	// Refuse a release no signer is known for before any work.
	if _, err := store.Expectation(v, releases.Artifact{Version: v, Format: o.Format}.Name(), o.Identity, o.Signers); err != nil {
		return nil, err
	}
	dist := o.distribution()
	if err := dist.Check(v); err != nil {
		return nil, err
	}
	name := dist.Name(v).String()
	var err error
	dir := o.Home.VersionDir(name)
	// Install trees are renamed into place by path, and whatever is found
	// there is believed to be an install: nobody else may be able to
	// change this folder. Checked before anything in it is read.
	if err := checkVersions(o.Home); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(o.Home.Versions(), 0o755); err != nil {
			return nil, err
		}
		if err := checkVersions(o.Home); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	if _, err := os.Lstat(dir); err == nil && !o.Force {
		out, err := o.alreadyInstalled(name)
		if err != nil || !o.replacesSource(out.Receipt) {
			return out, err
		}
		o.notify("note: %s is installed as a source tree; replacing it with a build", name)
		o.Force = true
	}
	// The verified artifact before the version's lock: a version the
	// mirror does not have leaves no lock file behind, and the download
	// has its own lock (several processes still download once).
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	var got *obtained
	if p, ok := dist.(Prebuilt); ok {
		got, err = o.obtainPrebuilt(ctx, v, name, p)
		if err != nil && o.Build != nil && (errors.Is(err, prebuilt.ErrNotFound) || errors.Is(err, prebuilt.ErrMismatch)) {
			o.notify("note: %v\nbuilding %s from the verified source instead (--build)", err, name)
			o.Prebuilt = nil
			return Install(ctx, v, o)
		}
	} else {
		got, err = o.obtainSource(ctx, v, name)
	}
	if err != nil {
		return nil, err
	}
	defer got.file.Close()
	cleanStale(o.Home, &o)
	l, err := o.Home.Lock(ctx, o.Home.LockPath(name), "installing "+name, o.Notify)
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	// Re-check under the lock: another process may have just finished.
	if _, err := os.Lstat(dir); err == nil && !o.Force {
		if out, err := o.alreadyInstalled(name); err != nil || !o.replacesSource(out.Receipt) {
			return out, err
		}
		o.Force = true
	}
	// Holding the version's lock, any temp folder of it is a leftover.
	for _, parent := range []string{o.Home.Versions(), o.Home.BuildRoot()} {
		if stale, err := atomicdir.FindStale(parent, 0, time.Now()); err == nil {
			for _, st := range stale {
				if st.Name == name {
					os.RemoveAll(st.Path)
				}
			}
		}
	}

	rc := got.rc
	rc.Version = name
	rc.InstalledAt = now().UTC().Truncate(time.Second)
	tmp, err := atomicdir.Create(o.Home.Versions(), name)
	if err != nil {
		return nil, fmt.Errorf("install %s: %w", name, err)
	}
	defer tmp.Discard()
	o.step("unpacking %s", rc.Artifact)
	if err := dist.Make(ctx, got.file, got.art, tmp, rc); err != nil {
		return nil, err
	}
	// installed_at is when the install was complete, not when it began
	// (a build takes minutes).
	rc.InstalledAt = now().UTC().Truncate(time.Second)
	if err := rc.write(tmp.Path); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	err = tmp.Commit(o.Force)
	if errors.Is(err, atomicdir.ErrExists) {
		// Cannot happen under the lock unless someone bypassed it; the
		// tree that is there is a complete install either way.
		return o.alreadyInstalled(name)
	}
	if err != nil {
		return nil, fmt.Errorf("install %s: %w", name, err)
	}
	return &Outcome{Dir: dir, Receipt: rc, Downloaded: got.downloaded}, nil
}

// obtained is a verified artifact open at offset 0 and the receipt's
// account of how it was verified.
type obtained struct {
	file       *os.File
	art        releases.Artifact
	rc         *Receipt
	downloaded bool
}

// obtainSource obtains python.org's signed source artifact.
func (o *Options) obtainSource(ctx context.Context, v releases.Version, name string) (*obtained, error) {
	art, got, err := o.ObtainFormat(ctx, v, o.Format, o.AnyFormat)
	if err != nil {
		return nil, err
	}
	res := got.Result
	return &obtained{file: got.File, art: art, downloaded: got.Downloaded, rc: &Receipt{
		Version:        name,
		Kind:           KindSource,
		Artifact:       art.Name(),
		URL:            got.From,
		FromCache:      !got.Downloaded,
		SHA256:         res.SHA256,
		Method:         res.Method,
		Signer:         res.Identity.SAN,
		Issuer:         res.Identity.Issuer,
		LogIndex:       res.LogIndex,
		IntegratedTime: res.IntegratedTime,
		TrustedRoot:    got.RootSource,
	}}, nil
}

// cleanStale removes what interrupted runs (of any version) left behind:
// temp folders in versions/ over an hour old, and build folders in build/
// of any age (a build runs under its version's lock, so an unlocked one
// is dead, and each holds a whole source tree), skipping any version an
// install holds the lock of right now.
func cleanStale(h home.Home, o *Options) {
	for _, parent := range []struct {
		dir    string
		minAge time.Duration
	}{{h.Versions(), staleAge}, {h.BuildRoot(), 0}} {
		if safefile.CheckPrivateDir(parent.dir) != nil {
			continue // missing, or not a folder pyfetch removes by path in
		}
		stale, err := atomicdir.FindStale(parent.dir, parent.minAge, time.Now())
		if err != nil {
			continue
		}
		for _, st := range stale {
			l, ok, err := lock.TryAcquire(h.LockPath(st.Name), true)
			if err != nil || !ok {
				continue
			}
			if err := os.RemoveAll(st.Path); err != nil {
				o.notify("warning: could not remove the stale temp folder %s: %v", st.Path, err)
			}
			l.Unlock()
		}
	}
}

// InstallName is the folder name under versions/ of v installed with b
// (nil: the source tree).
func InstallName(v releases.Version, b *BuildOptions) string {
	o := Options{Build: b}
	return o.distribution().Name(v).String()
}

// replacesSource: a build asked for where a source tree is installed
// replaces it (same signed bytes, now built).
func (o *Options) replacesSource(rc *Receipt) bool {
	return (o.Build != nil || o.Prebuilt != nil) && rc != nil && rc.Kind == KindSource
}

func (o *Options) alreadyInstalled(name string) (*Outcome, error) {
	dir := o.Home.VersionDir(name)
	rc, err := readInstall(o.Home, name)
	if err != nil {
		// Not "not found" (exit 3): the folder is there, and is not ours.
		why := "no pyfetch receipt"
		if !errors.Is(err, fs.ErrNotExist) {
			why = "no readable pyfetch receipt: " + err.Error()
		}
		return nil, fmt.Errorf("%w: %s exists but has %s (remove it, or reinstall with --force)", ErrInTheWay, dir, why)
	}
	return &Outcome{Dir: dir, Receipt: rc, AlreadyInstalled: true}, nil
}

func (o *Options) notify(format string, args ...any) {
	if o.Notify != nil {
		o.Notify(fmt.Sprintf(format, args...))
	}
}

func (o *Options) step(format string, args ...any) {
	if o.Step != nil {
		o.Step(fmt.Sprintf(format, args...))
	}
}
