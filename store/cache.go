package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pyfetch/pyfetch/home"
	"github.com/pyfetch/pyfetch/internal/lock"
	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/resolve"
	"github.com/pyfetch/pyfetch/verify"
)

// Prime downloads and verifies v's artifact into the cache without
// unpacking it (cache priming). It reports whether a download happened.
func (s *Store) Prime(ctx context.Context, v releases.Version, format releases.Format, anyFormat bool) (*verify.Result, bool, error) {
	if format == "" {
		format = releases.DefaultFormat
	}
	_, got, err := s.ObtainFormat(ctx, v, format, anyFormat)
	if err != nil {
		return nil, false, err
	}
	got.File.Close()
	return got.Result, got.Downloaded, nil
}

// CacheEntry is one cached artifact.
type CacheEntry struct {
	Version   string    `json:"version"`
	Artifact  string    `json:"artifact"`
	Path      string    `json:"path"`
	Size      int64     `json:"size"`
	LastUsed  time.Time `json:"last_used"`
	HasBundle bool      `json:"has_bundle"`
	InUse     bool      `json:"in_use"` // an installed version came from it
}

// InUse says what installs use: the artifacts they came from and the
// build logs their receipts name (by file name). The installation
// package knows; the store only reads it.
type InUse struct {
	Artifacts map[string]bool
	Logs      map[string]bool
}

// CacheList returns the cached artifacts, newest version first, each
// marked in use when an install came from it.
func CacheList(h home.Home, inUse InUse) ([]CacheEntry, error) {
	root := h.CacheRoot()
	folders, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	used := inUse.Artifacts
	var out []CacheEntry
	for _, d := range folders {
		if _, err := releases.ParseVersion(d.Name()); err != nil || !d.IsDir() {
			continue
		}
		names, err := resolve.ListFolder(filepath.Join(root, d.Name()))
		if err != nil {
			return nil, err
		}
		have := map[string]bool{}
		for _, n := range names {
			have[n] = true
		}
		for _, a := range releases.FolderReleases(names) {
			for _, f := range releases.Formats("") {
				if !a.Artifacts[f] {
					continue
				}
				art := releases.Artifact{Version: a.Version, Format: f}
				p := filepath.Join(root, d.Name(), art.Name())
				fi, err := os.Lstat(p)
				if err != nil || !fi.Mode().IsRegular() {
					continue // a planted symlink is never reported as a cache entry
				}
				out = append(out, CacheEntry{
					Version: a.Version.String(), Artifact: art.Name(), Path: p, Size: fi.Size(),
					LastUsed: fi.ModTime().UTC(), HasBundle: have[art.BundleName()], InUse: used[art.Name()],
				})
			}
		}
		out = append(out, prebuiltEntries(filepath.Join(root, d.Name(), PrebuiltFolder), d.Name(), used)...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, _ := releases.ParseVersion(out[i].Version)
		b, _ := releases.ParseVersion(out[j].Version)
		return a.Compare(b) > 0
	})
	return out, nil
}

// DefaultKeepRecent is how long cache prune keeps an artifact that no
// install came from since it was last fetched or used: priming a cache
// (fetch, then carry it elsewhere) is a main use.
const DefaultKeepRecent = 30 * 24 * time.Hour

// PruneOptions say what CachePrune removes.
type PruneOptions struct {
	// OlderThan, when > 0, removes any artifact unused for that long,
	// installed or not; otherwise artifacts no install came from go once
	// unused for KeepRecent.
	OlderThan time.Duration
	// OlderThanSet makes OlderThan apply even when it is 0 (--older-than
	// 0s: everything, installed or not).
	OlderThanSet bool
	// KeepRecent defaults to DefaultKeepRecent.
	KeepRecent time.Duration
	// All removes every artifact and bundle (cache clean).
	All bool
	// DryRun selects without removing.
	DryRun bool
	Now    time.Time
	// InUse marks what installs use (kept unless OlderThan or All).
	InUse InUse
}

// PruneResult is what a prune removed (or would) and what remains.
type PruneResult struct {
	Removed []CacheEntry `json:"removed"`
	Kept    []CacheEntry `json:"kept"`
	// Build logs (cache/logs) go by the same rule as artifacts: the log
	// of an installed build is in use.
	RemovedLogs []BuildLog `json:"removed_logs"`
	KeptLogs    []BuildLog `json:"kept_logs"`
}

// BuildLog is one build log in the cache.
type BuildLog struct {
	Path     string    `json:"path"`
	Size     int64     `json:"size"`
	LastUsed time.Time `json:"last_used"`
	InUse    bool      `json:"in_use"` // an installed build's receipt names it
}

func (o PruneOptions) selects(e CacheEntry) bool { return o.selectsAged(e.LastUsed, e.InUse) }

func (o PruneOptions) selectsAged(lastUsed time.Time, inUse bool) bool {
	age := o.Now.Sub(lastUsed)
	switch {
	case o.All:
		return true
	case o.OlderThan > 0 || o.OlderThanSet:
		return age > o.OlderThan
	}
	keep := o.KeepRecent
	if keep <= 0 {
		keep = DefaultKeepRecent
	}
	return !inUse && age > keep
}

// buildLogs lists the build logs in h's cache: regular files named as
// buildInto names them (never a link, nothing else that lies there).
func buildLogs(h home.Home, used map[string]bool) ([]BuildLog, error) {
	if safefile.IsPlainDir(h.LogDir()) != nil {
		return nil, nil // none, or a link pyfetch never lists through
	}
	names, err := filepath.Glob(filepath.Join(h.LogDir(), "build-*.log"))
	if err != nil {
		return nil, err
	}
	var out []BuildLog
	for _, p := range names {
		fi, err := os.Lstat(p)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		out = append(out, BuildLog{Path: p, Size: fi.Size(), LastUsed: fi.ModTime().UTC(), InUse: used[fi.Name()]})
	}
	return out, nil
}

// CachePrune removes the cached artifacts (with their bundles) and the
// build logs that o selects, each artifact under its download lock; stale
// .part files a day old go too (all of them with All). A dry run selects
// the same way and removes nothing.
func CachePrune(ctx context.Context, h home.Home, o PruneOptions) (PruneResult, error) {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	entries, err := CacheList(h, o.InUse)
	if err != nil {
		return PruneResult{}, err
	}
	logs, err := buildLogs(h, o.InUse.Logs)
	if err != nil {
		return PruneResult{}, err
	}
	res := PruneResult{Removed: []CacheEntry{}, Kept: []CacheEntry{}, RemovedLogs: []BuildLog{}, KeptLogs: []BuildLog{}}
	for _, l := range logs {
		if !o.selectsAged(l.LastUsed, l.InUse) {
			res.KeptLogs = append(res.KeptLogs, l)
			continue
		}
		if !o.DryRun {
			err := safefile.Remove(l.Path)
			if errors.Is(err, fs.ErrPermission) {
				// Another user's log in a shared cache: theirs to prune.
				res.KeptLogs = append(res.KeptLogs, l)
				continue
			}
			if err != nil {
				return res, err
			}
		}
		res.RemovedLogs = append(res.RemovedLogs, l)
	}
	for _, e := range entries {
		if !o.selects(e) {
			res.Kept = append(res.Kept, e)
			continue
		}
		if !o.DryRun {
			l, err := h.Lock(ctx, e.Path+".lock", "using "+e.Artifact, nil)
			if err != nil {
				return res, err
			}
			err = errors.Join(safefile.Remove(e.Path), safefile.Remove(e.Path+".sigstore"), safefile.Remove(e.Path+".source.sigstore"))
			l.Unlock()
			if err != nil {
				return res, err
			}
		}
		res.Removed = append(res.Removed, e)
	}
	if o.DryRun {
		return res, nil
	}
	for _, p := range partFiles(h) {
		if fi, err := os.Lstat(p); err == nil && (o.All || o.Now.Sub(fi.ModTime()) > 24*time.Hour) {
			safefile.Remove(p)
		}
	}
	if o.All {
		safefile.Remove(filepath.Join(h.CacheRoot(), "index.json"))
		removeIdleLocks(h)
	}
	return res, nil
}

// removeIdleLocks removes, for cache clean, the lock files nobody holds in
// release folders that hold no artifact any more, and then the folders
// when empty; never through a link. A lock in use stays.
func removeIdleLocks(h home.Home) {
	folders, err := os.ReadDir(h.CacheRoot())
	if err != nil {
		return
	}
	for _, d := range folders {
		if d.Type() != fs.ModeDir {
			continue
		}
		dir := filepath.Join(h.CacheRoot(), d.Name())
		names, err := os.ReadDir(dir)
		if err != nil || safefile.IsPlainDir(dir) != nil {
			continue
		}
		for _, n := range names {
			if !n.Type().IsRegular() || !strings.HasSuffix(n.Name(), ".lock") {
				continue
			}
			p := filepath.Join(dir, n.Name())
			if _, err := os.Lstat(strings.TrimSuffix(p, ".lock")); err == nil {
				continue // its artifact is still here (another user's, kept)
			}
			l, ok, err := lock.TryAcquire(p, safefile.CheckPrivateDir(dir) == nil)
			if err != nil || !ok {
				continue
			}
			safefile.Remove(p)
			l.Unlock()
		}
		os.Remove(dir) // only when empty
	}
}

// partFiles lists the .part files of interrupted downloads in the cache's
// release folders, never through a link: a folder link planted in the
// cache (cache/x -> ~/Downloads) is not walked, so prune and clean never
// delete anything outside the cache.
func partFiles(h home.Home) []string {
	var out []string
	folders, err := os.ReadDir(h.CacheRoot())
	if err != nil {
		return nil
	}
	for _, d := range folders {
		if d.Type() != fs.ModeDir { // a link, a file: not walked
			continue
		}
		release := filepath.Join(h.CacheRoot(), d.Name())
		for _, dir := range []string{release, filepath.Join(release, PrebuiltFolder)} {
			if safefile.IsPlainDir(dir) != nil {
				continue
			}
			names, err := os.ReadDir(dir)
			if err != nil {
				continue
			}
			for _, n := range names {
				if n.Type().IsRegular() && strings.HasSuffix(n.Name(), ".part") {
					out = append(out, filepath.Join(dir, n.Name()))
				}
			}
		}
	}
	return out
}

// PrebuiltFolder is the folder of a release's cached prebuilt
// interpreters (cache/X.Y.Z/prebuilt), as in a mirror.
const PrebuiltFolder = "prebuilt"

// prebuiltEntries lists the prebuilt archives cached in dir (never
// through a link).
func prebuiltEntries(dir, release string, used map[string]bool) []CacheEntry {
	if safefile.IsPlainDir(dir) != nil {
		return nil
	}
	names, err := filepath.Glob(filepath.Join(dir, "cpython-*.tar.zst"))
	if err != nil {
		return nil
	}
	var out []CacheEntry
	for _, p := range names {
		fi, err := os.Lstat(p)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		_, berr := os.Lstat(p + ".sigstore")
		out = append(out, CacheEntry{Version: release, Artifact: fi.Name(), Path: p, Size: fi.Size(),
			LastUsed: fi.ModTime().UTC(), HasBundle: berr == nil, InUse: used[fi.Name()]})
	}
	return out
}
