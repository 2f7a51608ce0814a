package install

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pyfetch/pyfetch/extract"
	"github.com/pyfetch/pyfetch/fetch"
	"github.com/pyfetch/pyfetch/home"
	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/store"
	"github.com/pyfetch/pyfetch/verify"
)

const (
	thomas = "thomas@python.org"
	google = "https://accounts.google.com"
)

// fixture is a home, a mirror and options wired like the CLI wires them.
type fixture struct {
	ss     *pyfetchtest.Sigstore
	mirror *pyfetchtest.Mirror
	opts   Options
	trusts *int // how many times Trust was asked
	notes  *[]string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ss := pyfetchtest.NewSigstore(t)
	m := pyfetchtest.NewMirror(t)
	v := ss.Verifier(t)
	var mu sync.Mutex
	trusts := 0
	notes := []string{}
	f := &fixture{ss: ss, mirror: m, trusts: &trusts, notes: &notes}
	f.opts = Options{
		Store: store.Store{
			Home:   home.Home{Root: t.TempDir()},
			Mirror: releases.MustMirror(m.URL()),
			Fetch:  &fetch.Client{RetryWait: time.Millisecond, Retries: 1},
			Trust: func() (*verify.Verifier, string, error) {
				mu.Lock()
				defer mu.Unlock()
				trusts++
				return v, verify.SourceFile, nil
			},
			Notify: func(s string) { mu.Lock(); notes = append(notes, s); mu.Unlock() },
		},
		Format: releases.TarXZ,
	}
	return f
}

// TestInstallPipeline: the guarantees of Install, at the package: a
// verified install with its receipt; already installed answered without
// a trusted root; a bad signature leaves nothing in versions/ and no
// unverified file in the cache; a genuine release under another name is
// refused; --force swaps atomically and keeps the old tree on failure.
func TestInstallPipeline(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rel := f.mirror.Publish(t, f.ss, "3.13.1", "tar.xz", thomas, google, nil)
	ctx := context.Background()
	v := releases.MustVersion("3.13.1")

	out, err := Install(ctx, v, f.opts)
	if err != nil {
		t.Fatal(err)
	}
	rc := out.Receipt
	if out.AlreadyInstalled || !out.Downloaded || rc.Kind != KindSource || rc.TrustedRoot != verify.SourceFile || rc.Signer != thomas || rc.FromCache || !strings.HasSuffix(rc.URL, "/3.13.1/"+rel.Name) {
		t.Fatalf("outcome %+v receipt %+v", out, rc)
	}
	if got, err := ReadReceipt(out.Dir); err != nil || got.SHA256 != rc.SHA256 {
		t.Fatalf("receipt on disk: %+v %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(out.Dir, "Include", "patchlevel.h")); err != nil {
		t.Error(err)
	}

	// Installed: answered without asking for a trusted root.
	before := *f.trusts
	again, err := Install(ctx, v, f.opts)
	if err != nil || !again.AlreadyInstalled || *f.trusts != before {
		t.Fatalf("second install: %+v %v (trust asked %d times)", again, err, *f.trusts-before)
	}

	// --force from the cache: a verified cached copy, said in the receipt.
	force := f.opts
	force.Force = true
	out2, err := Install(ctx, v, force)
	if err != nil || out2.Downloaded || !out2.Receipt.FromCache {
		t.Fatalf("force: %+v %v", out2, err)
	}

	// A failed --force keeps the old tree.
	marker := filepath.Join(out.Dir, "marker")
	os.WriteFile(marker, []byte("old"), 0o644)
	f.mirror.Put(t, "3.13.1/"+rel.Name+".sigstore", f.ss.Sign(t, "mallory@example.com", google, rel.Artifact))
	os.Remove(filepath.Join(f.opts.Home.CacheDir("3.13.1"), rel.Name))
	if _, err := Install(ctx, v, force); !errors.Is(err, verify.ErrIdentity) {
		t.Fatalf("force with a bad signer: %v", err)
	}
	if b, _ := os.ReadFile(marker); string(b) != "old" {
		t.Error("a failed --force changed the installed tree")
	}
	if _, err := os.Stat(filepath.Join(f.opts.Home.CacheDir("3.13.1"), rel.Name)); err == nil {
		t.Error("an artifact that failed verification is in the cache")
	}
	assertVersions(t, f.opts.Home, "3.13.1")
}

func TestInstallRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		publish func(f *fixture)
		want    error
	}{
		{"wrong signer", func(f *fixture) {
			f.mirror.Publish(t, f.ss, "3.13.1", "tar.xz", "mallory@example.com", google, nil)
		}, verify.ErrIdentity},
		{"artifact changed after signing", func(f *fixture) {
			r := f.mirror.Publish(t, f.ss, "3.13.1", "tar.xz", thomas, google, nil)
			f.mirror.Put(t, "3.13.1/"+r.Name, append(bytes.Clone(r.Artifact), 0))
		}, verify.ErrDigest},
		{"another release under this name", func(f *fixture) {
			r := pyfetchtest.NewMirror(t).Publish(t, f.ss, "3.13.2", "tar.xz", thomas, google, nil)
			f.mirror.Put(t, "3.13.1/Python-3.13.1.tar.xz", r.Artifact)
			f.mirror.Put(t, "3.13.1/Python-3.13.1.tar.xz.sigstore", r.Bundle)
		}, verify.ErrWrongRelease},
		{"no bundle", func(f *fixture) {
			r := pyfetchtest.NewMirror(t).Publish(t, f.ss, "3.13.1", "tar.xz", thomas, google, nil)
			f.mirror.Put(t, "3.13.1/Python-3.13.1.tar.xz", r.Artifact)
		}, fetch.ErrNotFound},
		{"unsafe archive", func(f *fixture) {
			f.mirror.Publish(t, f.ss, "3.13.1", "tar.xz", thomas, google, []pyfetchtest.Entry{
				{Name: "Python-3.13.1/", Type: '5'},
				{Name: "Python-3.13.1/link", Type: '2', Linkname: "../../etc"},
			})
		}, extract.ErrUnsafePath},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			tc.publish(f)
			_, err := Install(context.Background(), releases.MustVersion("3.13.1"), f.opts)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			assertVersions(t, f.opts.Home)
			if ents, _ := os.ReadDir(f.opts.Home.CacheDir("3.13.1")); len(ents) > 0 {
				for _, e := range ents {
					if e.Name() == "Python-3.13.1.tar.xz" && !errors.Is(tc.want, extract.ErrUnsafePath) {
						t.Errorf("unverified artifact left in the cache")
					}
				}
			}
		})
	}
}

// TestParallelInstallsOneDownload: N goroutines installing one version
// make one download and one tree.
func TestParallelInstallsOneDownload(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rel := f.mirror.Publish(t, f.ss, "3.13.1", "tar.xz", thomas, google, nil)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = Install(context.Background(), releases.MustVersion("3.13.1"), f.opts)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for _, r := range f.mirror.Requests() {
		if strings.HasSuffix(r.URL.Path, "/"+rel.Name) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d downloads of the artifact, want 1", n)
	}
	assertVersions(t, f.opts.Home, "3.13.1")
}

func assertVersions(t *testing.T, h home.Home, want ...string) {
	t.Helper()
	ents, _ := os.ReadDir(h.Versions())
	var got []string
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".") {
			got = append(got, e.Name())
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("versions/ holds %v, want %v", got, want)
	}
}

// TestStalePartRestartsOnce: a .part an earlier run left that does not
// belong to the artifact (the mirror re-uploaded it, say) makes the
// resumed download fail its digest; pyfetch then downloads once from byte
// 0 before calling anything a verification failure.
func TestStalePartRestartsOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rel := f.mirror.Publish(t, f.ss, "3.13.1", "tar.xz", thomas, google, nil)
	cdir := f.opts.Home.CacheDir("3.13.1")
	os.MkdirAll(cdir, 0o755)
	stale := []byte("stale") // shorter than the artifact, so it is resumed
	if err := os.WriteFile(filepath.Join(cdir, rel.Name+".part"), stale, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := Install(context.Background(), releases.MustVersion("3.13.1"), f.opts)
	if err != nil {
		t.Fatalf("install after a stale .part: %v", err)
	}
	if !out.Downloaded || !strings.Contains(strings.Join(*f.notes, "\n"), "downloading it again from the start") {
		t.Errorf("outcome %+v, notes %q", out, *f.notes)
	}
	ranges := 0
	for _, r := range f.mirror.Requests() {
		if r.Header.Get("Range") != "" {
			ranges++
		}
	}
	if ranges != 1 {
		t.Errorf("%d ranged requests, want 1 (the resume that failed)", ranges)
	}
}
