package verify_test

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
	"github.com/pyfetch/pyfetch/verify"
	"github.com/sigstore/sigstore-go/pkg/root"
)

// TestTUFDeliveredRoot: a root TUF delivers is used with source "tuf",
// online and then offline from the cached metadata, which is verified
// again from the TUF root at every use: a cached target or timestamp
// altered on disk is never trusted (the embedded root is used instead).
func TestTUFDeliveredRoot(t *testing.T) {
	t.Parallel()
	ss := pyfetchtest.NewSigstore(t)
	rootJSON, err := os.ReadFile(ss.RootFile)
	if err != nil {
		t.Fatal(err)
	}
	repo := pyfetchtest.NewTUFRepo(t, rootJSON)
	cache := t.TempDir()
	var notes []string
	opts := verify.RootOptions{CacheDir: cache, TUFURL: repo.URL(), TUFRoot: repo.Root, Notify: func(s string) { notes = append(notes, s) }}
	ctx := context.Background()

	signsWith := func(tr *root.TrustedRoot) bool {
		v, err := verify.NewVerifier(tr, verify.WithoutSCTsUnsafe())
		if err != nil {
			t.Fatal(err)
		}
		art := []byte("artifact")
		b, err := verify.ParseBundle(ss.Sign(t, thomas, google, art))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(art)
		_, err = v.Verify(b, sum[:], verify.Identity{SAN: thomas, Issuer: google})
		return err == nil
	}

	tr, src, err := verify.LoadTrustedRoot(ctx, opts)
	if err != nil || src != verify.SourceTUF || !signsWith(tr) {
		t.Fatalf("online: source %q, err %v, notes %q", src, err, notes)
	}

	repo.Server.Close() // offline from here on
	offline := opts
	offline.Offline = true
	tr, src, err = verify.LoadTrustedRoot(ctx, offline)
	if err != nil || src != verify.SourceTUF || !signsWith(tr) {
		t.Fatalf("offline from cached metadata: source %q, err %v, notes %q", src, err, notes)
	}

	// Alter the cached target: its hash no longer matches the signed
	// targets metadata, so it is not used.
	targets, _ := filepath.Glob(filepath.Join(cache, "tuf", "*", "targets", "*trusted_root.json"))
	if len(targets) != 1 {
		t.Fatalf("cached targets: %v", targets)
	}
	evil := pyfetchtest.NewSigstore(t)
	evilJSON, _ := os.ReadFile(evil.RootFile)
	if err := os.WriteFile(targets[0], evilJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	notes = nil
	tr, src, err = verify.LoadTrustedRoot(ctx, offline)
	if err != nil || src != verify.SourceEmbedded || signsWith(tr) {
		t.Fatalf("altered cached target: source %q, err %v", src, err)
	}
	if !strings.Contains(strings.Join(notes, "\n"), "could not use the cached TUF metadata offline") {
		t.Errorf("fallback not said: %q", notes)
	}

	// Alter the cached timestamp: its signature fails, nothing is used.
	os.WriteFile(targets[0], rootJSON, 0o644)
	ts, _ := filepath.Glob(filepath.Join(cache, "tuf", "*", "timestamp.json"))
	if len(ts) != 1 {
		t.Fatalf("cached timestamp: %v", ts)
	}
	data, _ := os.ReadFile(ts[0])
	os.WriteFile(ts[0], []byte(strings.Replace(string(data), `"version":1`, `"version":2`, 1)), 0o644)
	if _, src, err = verify.LoadTrustedRoot(ctx, offline); err != nil || src != verify.SourceEmbedded {
		t.Fatalf("altered cached timestamp: source %q, err %v", src, err)
	}
}

// TestTUFRootMustChain: a repository not signed by the TUF root pyfetch
// starts from is refused; the embedded root is used.
func TestTUFRootMustChain(t *testing.T) {
	t.Parallel()
	ss := pyfetchtest.NewSigstore(t)
	rootJSON, _ := os.ReadFile(ss.RootFile)
	repo := pyfetchtest.NewTUFRepo(t, rootJSON)
	other := pyfetchtest.NewTUFRepo(t, rootJSON)
	_, src, err := verify.LoadTrustedRoot(context.Background(), verify.RootOptions{CacheDir: t.TempDir(), TUFURL: repo.URL(), TUFRoot: other.Root})
	if err != nil || src != verify.SourceEmbedded {
		t.Fatalf("source %q, err %v", src, err)
	}
}

// TestTUFCacheOthersMayWrite: go-tuf uses its cache by plain paths, so a
// cache folder another user may write is never used: online the metadata
// is fetched into a private temp folder (nothing is written into the
// shared one), offline the embedded root is used and the reason said. A
// folder inside a private cache that others may write is removed and
// fetched afresh.
func TestTUFCacheOthersMayWrite(t *testing.T) {
	t.Parallel()
	ss := pyfetchtest.NewSigstore(t)
	rootJSON, _ := os.ReadFile(ss.RootFile)
	repo := pyfetchtest.NewTUFRepo(t, rootJSON)
	ctx := context.Background()
	load := func(cache string, offline bool) (string, []string, error) {
		var notes []string
		_, src, err := verify.LoadTrustedRoot(ctx, verify.RootOptions{CacheDir: cache, TUFURL: repo.URL(), TUFRoot: repo.Root, Offline: offline, Notify: func(s string) { notes = append(notes, s) }})
		return src, notes, err
	}
	// filled is a private cache that TUF filled, without a word.
	filled := func(t *testing.T) string {
		cache := t.TempDir()
		if src, notes, err := load(cache, false); err != nil || src != verify.SourceTUF || len(notes) != 0 {
			t.Fatalf("private cache: source %q, err %v, notes %q", src, err, notes)
		}
		return cache
	}

	t.Run("shared cache folder", func(t *testing.T) {
		cache := filled(t) // then opened to everyone
		if err := os.Chmod(cache, 0o777); err != nil {
			t.Fatal(err)
		}
		os.RemoveAll(filepath.Join(cache, "tuf"))
		src, notes, err := load(cache, false)
		if err != nil || src != verify.SourceTUF {
			t.Fatalf("online: source %q, err %v, notes %q", src, err, notes)
		}
		if !strings.Contains(strings.Join(notes, "\n"), "the TUF cache is not used") {
			t.Errorf("not said: %q", notes)
		}
		if _, err := os.Lstat(filepath.Join(cache, "tuf")); err == nil {
			t.Error("go-tuf wrote into a folder others may write")
		}
	})

	t.Run("shared cache folder offline", func(t *testing.T) {
		cache := filled(t)
		// Valid metadata, but anyone could have swapped it: not used.
		if err := os.Chmod(cache, 0o777); err != nil {
			t.Fatal(err)
		}
		src, notes, err := load(cache, true)
		if err != nil || src != verify.SourceEmbedded {
			t.Fatalf("offline: source %q, err %v", src, err)
		}
		if !strings.Contains(strings.Join(notes, "\n"), "the TUF cache is not used") {
			t.Errorf("not said: %q", notes)
		}
	})

	t.Run("shared folder inside a private cache", func(t *testing.T) {
		cache := filled(t)
		dirs, _ := filepath.Glob(filepath.Join(cache, "tuf", "*", "targets"))
		if len(dirs) != 1 {
			t.Fatalf("targets folders: %v", dirs)
		}
		os.Chmod(dirs[0], 0o777)
		planted := filepath.Join(dirs[0], "planted")
		os.WriteFile(planted, []byte("x"), 0o600)
		// Offline, the removed metadata cannot come back: embedded.
		if src, _, err := load(cache, true); err != nil || src != verify.SourceEmbedded {
			t.Fatalf("offline: source %q, err %v", src, err)
		}
		if _, err := os.Lstat(planted); err == nil {
			t.Error("a folder others may write was kept")
		}
		src, notes, err := load(cache, false)
		if err != nil || src != verify.SourceTUF || len(notes) != 0 {
			t.Fatalf("online: source %q, err %v, notes %q", src, err, notes)
		}
		fi, err := os.Lstat(dirs[0])
		if err != nil || fi.Mode().Perm()&0o022 != 0 {
			t.Errorf("targets folder after the refresh: %v, %v", fi, err)
		}
	})
}
