package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pyfetch/pyfetch/fetch"
	"github.com/pyfetch/pyfetch/home"
	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/verify"
)

const (
	thomas = "thomas@python.org"
	google = "https://accounts.google.com"
)

// fixture is a store on a test mirror, wired like the CLI wires it.
type fixture struct {
	ss     *pyfetchtest.Sigstore
	mirror *pyfetchtest.Mirror
	store  Store
	notes  *[]string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ss := pyfetchtest.NewSigstore(t)
	m := pyfetchtest.NewMirror(t)
	v := ss.Verifier(t)
	var mu sync.Mutex
	notes := []string{}
	return &fixture{ss: ss, mirror: m, notes: &notes, store: Store{
		Home:   home.Home{Root: t.TempDir()},
		Mirror: releases.MustMirror(m.URL()),
		Fetch:  &fetch.Client{RetryWait: time.Millisecond, Retries: 1},
		Trust:  func() (*verify.Verifier, string, error) { return v, verify.SourceFile, nil },
		Notify: func(s string) { mu.Lock(); notes = append(notes, s); mu.Unlock() },
	}}
}

func TestPrimeAndFormatFallback(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.mirror.Publish(t, f.ss, "3.13.1", "tar.xz", thomas, google, nil)
	s := &f.store
	if _, _, err := s.Prime(context.Background(), releases.MustVersion("3.13.1"), releases.TGZ, false); !errors.Is(err, fetch.ErrNotFound) || !strings.Contains(err.Error(), "use --format tar.xz") {
		t.Fatalf("explicit tgz: %v", err)
	}
	res, downloaded, err := s.Prime(context.Background(), releases.MustVersion("3.13.1"), releases.TGZ, true)
	if err != nil || !downloaded || res.Identity.SAN != thomas {
		t.Fatalf("any format: %+v %v %v", res, downloaded, err)
	}
	if !strings.Contains(strings.Join(*f.notes, "\n"), "using Python-3.13.1.tar.xz") {
		t.Errorf("fallback not said: %q", *f.notes)
	}
	entries, err := CacheList(s.Home, InUse{})
	if err != nil || len(entries) != 1 || !entries[0].HasBundle {
		t.Fatalf("cache: %+v %v", entries, err)
	}
	if _, err := os.Stat(s.Home.Versions()); err == nil {
		t.Error("priming made versions/")
	}
}

func TestCachePruneSelection(t *testing.T) {
	t.Parallel()
	now := time.Now()
	tests := []struct {
		name string
		o    PruneOptions
		e    CacheEntry
		want bool
	}{
		{"fresh, not installed", PruneOptions{Now: now}, CacheEntry{LastUsed: now.Add(-time.Hour)}, false},
		{"old, not installed", PruneOptions{Now: now}, CacheEntry{LastUsed: now.Add(-31 * 24 * time.Hour)}, true},
		{"old, installed", PruneOptions{Now: now}, CacheEntry{LastUsed: now.Add(-31 * 24 * time.Hour), InUse: true}, false},
		{"older-than, installed", PruneOptions{Now: now, OlderThan: time.Hour}, CacheEntry{LastUsed: now.Add(-2 * time.Hour), InUse: true}, true},
		{"older-than, fresh", PruneOptions{Now: now, OlderThan: time.Hour}, CacheEntry{LastUsed: now}, false},
		{"clean", PruneOptions{Now: now, All: true}, CacheEntry{LastUsed: now, InUse: true}, true},
	}
	for _, tc := range tests {
		if got := tc.o.selects(tc.e); got != tc.want {
			t.Errorf("%s: selects = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCacheListIgnoresSymlinks(t *testing.T) {
	t.Parallel()
	h := home.Home{Root: t.TempDir()}
	cache := filepath.Join(h.CacheRoot(), "3.13.1")
	os.MkdirAll(cache, 0o755)
	os.WriteFile(filepath.Join(cache, "Python-3.13.1.tgz"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(cache, "Python-3.13.1.tgz.sigstore"), []byte("{}"), 0o644)
	os.Symlink("/etc/passwd", filepath.Join(cache, "Python-3.13.1.tar.xz"))
	got, err := CacheList(h, InUse{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Artifact != "Python-3.13.1.tgz" || !got[0].HasBundle || got[0].InUse {
		t.Errorf("CacheList = %+v", got)
	}
}

// Obtain: a download is verified before anyone sees it; the cached copy
// is re-verified on every use; a tampered cached copy is replaced online
// and refused offline; an artifact that fails verification never enters
// the cache.
func TestObtain(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rel := f.mirror.Publish(t, f.ss, "3.13.1", "tar.xz", thomas, google, nil)
	art := releases.Artifact{Version: releases.MustVersion("3.13.1"), Format: releases.TarXZ}
	want, err := Expectation(art.Version, art.Name(), nil, nil)
	if err != nil || want.Identity.SAN != thomas {
		t.Fatalf("Expectation: %+v %v", want, err)
	}
	ctx := context.Background()
	s := &f.store
	got, err := s.Obtain(ctx, art, want)
	if err != nil || !got.Downloaded || got.Result.Identity.SAN != thomas {
		t.Fatalf("download: %+v %v", got, err)
	}
	got.File.Close()
	cached := filepath.Join(s.Home.CacheDir("3.13.1"), rel.Name)
	if got, err = s.Obtain(ctx, art, want); err != nil || got.Downloaded || got.From != cached {
		t.Fatalf("cache hit: %+v %v", got, err)
	}
	got.File.Close()

	// Tampered on disk: offline refused, online replaced.
	os.WriteFile(cached, append([]byte("x"), rel.Artifact...), 0o644)
	off := *s
	off.Offline = true
	if _, err := off.Obtain(ctx, art, want); !errors.Is(err, ErrCacheTampered) {
		t.Errorf("offline with a tampered cache: %v, want ErrCacheTampered", err)
	}
	os.WriteFile(cached, append([]byte("x"), rel.Artifact...), 0o644)
	if got, err = s.Obtain(ctx, art, want); err != nil || !got.Downloaded {
		t.Fatalf("online with a tampered cache: %+v %v", got, err)
	}
	got.File.Close()

	// Signed by someone else: refused, and nothing cached.
	os.Remove(cached)
	f.mirror.Put(t, "3.13.1/"+rel.Name+".sigstore", f.ss.Sign(t, "mallory@example.com", google, rel.Artifact))
	if _, err := s.Obtain(ctx, art, want); !errors.Is(err, verify.ErrIdentity) {
		t.Errorf("another signer: %v", err)
	}
	if _, err := os.Stat(cached); err == nil {
		t.Error("an artifact that failed verification is in the cache")
	}
}

// Prune keeps what installs use, Export writes a verified mirror, and
// VerifyFile checks a file by its name's release.
func TestCacheExportAndVerifyFile(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	s := &f.store
	for _, v := range []string{"3.13.1", "3.13.2"} {
		f.mirror.Publish(t, f.ss, v, "tar.xz", thomas, google, nil)
		if _, _, err := s.Prime(ctx, releases.MustVersion(v), releases.TarXZ, false); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	exported, err := s.Export(ctx, out, []releases.Version{releases.MustVersion("3.13.2")}, []byte("{}"))
	if err != nil || len(exported) != 1 || exported[0] != "Python-3.13.2.tar.xz" {
		t.Fatalf("Export: %v %v", exported, err)
	}
	p := filepath.Join(out, "3.13.2", "Python-3.13.2.tar.xz")
	v, _, _ := s.Trust()
	name, res, err := VerifyFile(ctx, VerifyFileRequest{Path: p}, v)
	if err != nil || name != "Python-3.13.2.tar.xz" || res.Identity.SAN != thomas {
		t.Errorf("VerifyFile of the export: %q %+v %v", name, res, err)
	}
	renamed := filepath.Join(out, "Python-3.13.3.tar.xz")
	data, _ := os.ReadFile(p)
	os.WriteFile(renamed, data, 0o644)
	bundle, _ := os.ReadFile(p + ".sigstore")
	os.WriteFile(renamed+".sigstore", bundle, 0o644)
	if _, _, err := VerifyFile(ctx, VerifyFileRequest{Path: renamed}, v); !errors.Is(err, verify.ErrWrongRelease) {
		t.Errorf("3.13.2 saved as 3.13.3: %v, want ErrWrongRelease", err)
	}

	old := time.Now().Add(-40 * 24 * time.Hour)
	for _, v := range []string{"3.13.1", "3.13.2"} {
		os.Chtimes(filepath.Join(s.Home.CacheDir(v), "Python-"+v+".tar.xz"), old, old)
	}
	res2, err := CachePrune(ctx, s.Home, PruneOptions{InUse: InUse{Artifacts: map[string]bool{"Python-3.13.1.tar.xz": true}}})
	if err != nil || len(res2.Removed) != 1 || res2.Removed[0].Artifact != "Python-3.13.2.tar.xz" || len(res2.Kept) != 1 {
		t.Fatalf("prune: %+v %v", res2, err)
	}
}
