package store

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/pyfetch/pyfetch/fetch"
	"github.com/pyfetch/pyfetch/home"
	"github.com/pyfetch/pyfetch/internal/atomicfile"
	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/resolve"
	"github.com/pyfetch/pyfetch/verify"
)

// ResolveCached resolves specs against what the cache holds (the cache is
// itself a python.org-shaped mirror), in either format.
func ResolveCached(ctx context.Context, h home.Home, specs []releases.Spec) ([]releases.Version, error) {
	m, err := releases.ParseMirror(h.CacheRoot())
	if err != nil {
		return nil, err
	}
	cacheMirror := &resolve.Resolver{Home: h, Mirror: m, Offline: true}
	var versions []releases.Version
	for _, sp := range specs {
		v, err := cacheMirror.Resolve(ctx, sp, releases.Formats(""), false)
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
func (s *Store) Export(ctx context.Context, dir string, versions []releases.Version, trustedRoot []byte) ([]string, error) {
	entries, err := CacheList(s.Home, InUse{})
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, v := range versions {
		want[v.String()] = true
	}
	vf, _, err := s.trust()
	if err != nil {
		return nil, err
	}
	var exported []string
	for _, e := range entries {
		if len(want) > 0 && !want[e.Version] {
			continue
		}
		if _, ok := releases.ParseArtifactName(e.Artifact); !ok {
			continue // a prebuilt interpreter: publish writes those
		}
		if err := ctx.Err(); err != nil {
			return exported, err
		}
		v, _ := releases.ParseVersion(e.Version)
		want, err := Expectation(v, e.Artifact, s.Identity, s.Signers)
		if err != nil {
			return exported, fmt.Errorf("export %s: %w", e.Artifact, err)
		}
		if err := exportOne(ctx, e, v, dir, want, verify.Sigstore{V: vf}, s.Fetch); err != nil {
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

// exportOne copies a cached artifact into dir with fetch.Download from a
// file:// source: one pass that copies and hashes, and the copy becomes
// visible only if the bytes copied are the ones that verify and are the
// release they are named. Then its signature goes beside it.
func exportOne(ctx context.Context, e CacheEntry, v releases.Version, dir string, want verify.Expect, scheme verify.Scheme, fc *fetch.Client) error {
	art, ok := releases.ParseArtifactName(e.Artifact)
	if !ok || art.Version != v {
		return fmt.Errorf("not an artifact of %s", v)
	}
	sidecar := scheme.Sidecar(e.Artifact)
	data, err := readCachedSidecar(filepath.Join(filepath.Dir(e.Path), sidecar), scheme)
	if err != nil {
		return fmt.Errorf("no cached %s: %w", sidecar, err)
	}
	sig, err := scheme.Parse(data)
	if err != nil {
		return err
	}
	dstDir := filepath.Join(dir, v.Final().String())
	if err := os.MkdirAll(dstDir, 0o755); err != nil {
		return err
	}
	// DIR/<version> planted as a symlink would send the export elsewhere.
	if err := safefile.IsPlainDir(dstDir); err != nil {
		return fmt.Errorf("export folder %s is not a plain directory; refusing to write through it: %w", dstDir, err)
	}
	if fc == nil {
		fc = &fetch.Client{}
	}
	src := (&url.URL{Scheme: "file", Path: e.Path}).String()
	f, _, err := fc.DownloadHashing(ctx, src, filepath.Join(dstDir, e.Artifact), fetch.DefaultMaxBytes, scheme.Hashes(sig), func(r fetch.Result) error {
		if _, err := scheme.Verify(sig, r.Hashes, want); err != nil {
			return err
		}
		return CheckRelease(ctx, io.NewSectionReader(r.Body, 0, r.Size), art)
	})
	if err != nil {
		return err
	}
	f.Close()
	return atomicfile.WriteFile(filepath.Join(dstDir, sidecar), data, 0o644)
}
