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
