// Package home is pyfetch's data folder and its layout: where installs,
// the download cache, build folders and logs live, and the locks that
// serialise processes sharing them.
package home

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/pyfetch/pyfetch/internal/lock"
	"github.com/pyfetch/pyfetch/internal/safefile"
)

// Home is pyfetch's data folder: versions/ holds install trees, the cache
// holds artifacts and bundles in python.org's layout (so a cache is itself
// a mirror) plus the trusted root.
type Home struct {
	Root  string
	Cache string // defaults to Root/cache
	// LockTimeout bounds every wait for another process's lock
	// (lock.DefaultTimeout when zero).
	LockTimeout time.Duration
}

// Lock takes the lock at path, private (0600) when its folder is one only
// you can write (the home, a private cache), shared (0644) in a cache
// other users write too. what names the wait ("installing 3.13.5").
func (h Home) Lock(ctx context.Context, path, what string, notify func(string)) (*lock.Lock, error) {
	private := safefile.CheckPrivateDir(filepath.Dir(path)) == nil
	return lock.Acquire(ctx, path, h.lockOptions(private, what, notify))
}

// LockDir takes the lock on the folder dir itself (lock.AcquireDir), on
// the same terms as Lock: for a file outside the home that is replaced by
// rename, such as a project's pyfetch.lock.
func (h Home) LockDir(ctx context.Context, dir, what string, notify func(string)) (*lock.Lock, error) {
	return lock.AcquireDir(ctx, dir, h.lockOptions(false, what, notify))
}

func (h Home) lockOptions(private bool, what string, notify func(string)) lock.Options {
	return lock.Options{Private: private, Timeout: h.LockTimeout, OnWait: func(holder string) {
		if notify == nil {
			return
		}
		if holder != "" {
			holder = " (" + holder + ")"
		}
		to := h.LockTimeout
		if to <= 0 {
			to = lock.DefaultTimeout
		}
		notify(fmt.Sprintf("waiting for another pyfetch %s%s; giving up after %s (--lock-timeout)", what, holder, to))
	}}
}

// Versions is the folder install trees live in.
func (h Home) Versions() string { return filepath.Join(h.Root, "versions") }

// VersionDir is the install dir of one version.
func (h Home) VersionDir(v string) string { return filepath.Join(h.Versions(), v) }

// LockPath is the lock file serialising installs of one version.
func (h Home) LockPath(version string) string {
	return filepath.Join(h.Versions(), "."+version+".lock")
}

// BuildRoot holds build folders (source and staging) while a build runs.
func (h Home) BuildRoot() string { return filepath.Join(h.Root, "build") }

// LogDir holds build logs.
func (h Home) LogDir() string { return filepath.Join(h.CacheRoot(), "logs") }

// CacheRoot is the cache folder.
func (h Home) CacheRoot() string {
	if h.Cache != "" {
		return h.Cache
	}
	return filepath.Join(h.Root, "cache")
}

// CacheDir is the cache folder for one python.org release folder ("3.13.1").
func (h Home) CacheDir(relDir string) string { return filepath.Join(h.CacheRoot(), relDir) }
