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
	tr, _, err := verify.LoadTrustedRoot(context.Background(), verify.RootOptions{File: ss.RootFile})
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.NewVerifier(tr, verify.WithoutSCTsUnsafe())
	if err != nil {
		t.Fatal(err)
	}
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

func mustVersion(t *testing.T, s string) releases.Version {
	t.Helper()
	v, err := releases.ParseVersion(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPrimeAndFormatFallback(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.mirror.Publish(t, f.ss, "3.13.1", "tar.xz", thomas, google, nil)
	s := &f.store
	if _, _, err := s.Prime(context.Background(), mustVersion(t, "3.13.1"), releases.TGZ, false); !errors.Is(err, fetch.ErrNotFound) || !strings.Contains(err.Error(), "use --format tar.xz") {
		t.Fatalf("explicit tgz: %v", err)
	}
	res, downloaded, err := s.Prime(context.Background(), mustVersion(t, "3.13.1"), releases.TGZ, true)
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
