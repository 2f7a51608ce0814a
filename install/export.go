package install

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pyfetch/pyfetch/internal/atomicfile"
	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/verify"
)

// ResolveCached resolves specs against what the cache holds (the cache is
// itself a python.org-shaped mirror), in either format.
func ResolveCached(ctx context.Context, h Home, specs []releases.Spec) ([]releases.Version, error) {
	cacheMirror := &Resolver{Home: h, Mirror: "file://" + h.CacheRoot() + "/", Offline: true}
	var versions []releases.Version
	for _, sp := range specs {
		v, err := cacheMirror.Resolve(ctx, sp, []releases.Format{releases.TarXZ, releases.TGZ}, false)
		if err != nil {
			return nil, err
		}
		versions = append(versions, v)
	}
	return versions, nil
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
		id, err := ExpectedSigner(v, e.Artifact, o.Identity, o.Signers)
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
