package install

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pyfetch/pyfetch/internal/atomicfile"
	"github.com/pyfetch/pyfetch/internal/lock"
	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/verify"
)

// Fetch downloads and verifies v's artifact into the cache without
// unpacking it (cache priming). It reports whether a download happened.
func Fetch(ctx context.Context, v releases.Version, o Options) (*verify.Result, bool, error) {
	if o.Format == "" {
		o.Format = releases.DefaultFormat
	}
	art := releases.Artifact{Version: v, Format: o.Format}
	want, err := Identity(v, art.Name(), o.Identity, o.Signers)
	if err != nil {
		return nil, false, err
	}
	got, err := Obtain(ctx, art, want, &o)
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

// CacheList returns the cached artifacts, newest version first.
func CacheList(h Home) ([]CacheEntry, error) {
	root := h.CacheRoot()
	folders, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	used := map[string]bool{}
	if inst, err := List(h); err == nil {
		for _, in := range inst {
			if in.Receipt != nil {
				used[in.Receipt.Artifact] = true
			}
		}
	}
	var out []CacheEntry
	for _, d := range folders {
		if _, err := releases.ParseVersion(d.Name()); err != nil || !d.IsDir() {
			continue
		}
		names, err := listDir(filepath.Join(root, d.Name()))
		if err != nil {
			return nil, err
		}
		have := map[string]bool{}
		for _, n := range names {
			have[n] = true
		}
		for _, a := range releases.FolderReleases(names) {
			for _, f := range []releases.Format{releases.TarXZ, releases.TGZ} {
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
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, _ := releases.ParseVersion(out[i].Version)
		b, _ := releases.ParseVersion(out[j].Version)
		return a.Compare(b) > 0
	})
	return out, nil
}

// CachePrune removes cached artifacts (with their bundles) that no
// installed version came from, and, when olderThan > 0, any artifact not
// used for that long. Stale .part files a day old go too. Each removal
// happens under the file's download lock.
func CachePrune(ctx context.Context, h Home, olderThan time.Duration, now time.Time) ([]CacheEntry, error) {
	entries, err := CacheList(h)
	if err != nil {
		return nil, err
	}
	var removed []CacheEntry
	for _, e := range entries {
		old := olderThan > 0 && now.Sub(e.LastUsed) > olderThan
		if e.InUse && !old {
			continue
		}
		l, err := lock.Acquire(ctx, e.Path+".lock", nil)
		if err != nil {
			return removed, err
		}
		err = errors.Join(removeIfExists(e.Path), removeIfExists(e.Path+".sigstore"))
		l.Unlock()
		if err != nil {
			return removed, err
		}
		removed = append(removed, e)
	}
	parts, _ := filepath.Glob(filepath.Join(h.CacheRoot(), "*", "*.part"))
	for _, p := range parts {
		if fi, err := os.Stat(p); err == nil && now.Sub(fi.ModTime()) > 24*time.Hour {
			removeIfExists(p)
		}
	}
	return removed, nil
}

func removeIfExists(p string) error {
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// Export writes a static python.org-shaped tree into dir: every cached
// artifact of versions (all cached ones when empty) that verifies now,
// its bundle, and trustedRoot as trusted_root.json. Nothing that fails
// verification is exported.
func Export(ctx context.Context, h Home, dir string, versions []releases.Version, o Options, trustedRoot []byte) ([]string, error) {
	entries, err := CacheList(h)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, v := range versions {
		want[v.String()] = true
	}
	vf, _, err := o.trust()
	if err != nil {
		return nil, err
	}
	var exported []string
	for _, e := range entries {
		if len(want) > 0 && !want[e.Version] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return exported, err
		}
		v, _ := releases.ParseVersion(e.Version)
		id, err := Identity(v, e.Artifact, o.Identity, o.Signers)
		if err != nil {
			return exported, fmt.Errorf("export %s: %w", e.Artifact, err)
		}
		if err := exportOne(ctx, e, v, dir, id, vf); err != nil {
			return exported, fmt.Errorf("export %s: %w", e.Artifact, err)
		}
		exported = append(exported, e.Artifact)
	}
	for v := range want {
		found := false
		for _, a := range exported {
			found = found || strings.HasPrefix(a, "Python-"+v+".")
		}
		if !found {
			return exported, fmt.Errorf("export: %s is not in the cache (run pyfetch fetch %s first)", v, v)
		}
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "trusted_root.json"), trustedRoot, 0o644); err != nil {
		return exported, err
	}
	return exported, nil
}

func exportOne(ctx context.Context, e CacheEntry, v releases.Version, dir string, id verify.Identity, vf *verify.Verifier) error {
	bundleData, err := readCachedBundle(e.Path + ".sigstore")
	if err != nil {
		return fmt.Errorf("no cached bundle: %w", err)
	}
	b, err := verify.ParseBundle(bundleData)
	if err != nil {
		return err
	}
	f, err := safefile.Open(e.Path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCacheUntrusted, err)
	}
	defer f.Close()
	dstDir := filepath.Join(dir, v.Final().String())
	if err := os.MkdirAll(dstDir, 0o755); err != nil {
		return err
	}
	// DIR/<version> planted as a symlink would send the export elsewhere.
	if err := safefile.IsPlainDir(dstDir); err != nil {
		return fmt.Errorf("export folder %s is not a plain directory; refusing to write through it: %w", dstDir, err)
	}
	// Copy and hash in one pass; the copy becomes visible only if the
	// bytes that were copied are the ones that verify and are the release
	// they are named.
	tmp, err := os.CreateTemp(dstDir, ".tmp-"+e.Artifact+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	hw := newHashWriter(tmp)
	if _, err := io.Copy(hw, f); err != nil {
		tmp.Close()
		return err
	}
	if _, err := vf.Verify(b, hw.Sum(), id); err != nil {
		tmp.Close()
		return err
	}
	art := releases.Artifact{Version: v, Format: formatOf(e.Artifact)}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		tmp.Close()
		return err
	}
	if err := CheckRelease(ctx, tmp, art); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dstDir, e.Artifact)); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dstDir, e.Artifact+".sigstore"), bundleData, 0o644)
}

func formatOf(artifact string) releases.Format {
	if strings.HasSuffix(artifact, ".tgz") {
		return releases.TGZ
	}
	return releases.TarXZ
}
