package resolve

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyfetch/pyfetch/fetch"
	"github.com/pyfetch/pyfetch/home"
	"github.com/pyfetch/pyfetch/releases"
)

// mirrorDir lays out empty files in python.org's layout.
func mirrorDir(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, nil, 0o644)
	}
	return dir
}

func TestResolveFileMirror(t *testing.T) {
	t.Parallel()
	dir := mirrorDir(t,
		"3.13.9/Python-3.13.9.tgz", "3.13.9/Python-3.13.9.tgz.sigstore",
		"3.13.10/Python-3.13.10.tgz", "3.13.10/Python-3.13.10.tgz.sigstore",
		"3.13.11/Python-3.13.11.tgz", // no bundle
		"3.14.0/Python-3.14.0rc1.tgz", "3.14.0/Python-3.14.0rc1.tgz.sigstore",
		"3.14.0/Python-3.14.0rc1.tar.xz",
		"doc/index.html",
	)
	r := &Resolver{Home: home.Home{Root: t.TempDir()}, Mirror: releases.MustMirror("file://" + dir + "/"), Offline: true}
	tests := []struct {
		spec   string
		format releases.Format
		pre    bool
		want   string
		err    error
	}{
		{"3.13", releases.TGZ, false, "3.13.10", nil},
		{"3", releases.TGZ, false, "3.13.10", nil},
		{"3", releases.TGZ, true, "3.14.0rc1", nil},
		{"latest", releases.TGZ, true, "3.14.0rc1", nil},
		{"3.14", releases.TGZ, false, "", fetch.ErrNotFound},  // only a prerelease
		{"3.14", releases.TarXZ, true, "", fetch.ErrNotFound}, // rc1.tar.xz has no bundle
		{"3.12", releases.TGZ, false, "", fetch.ErrNotFound},
		{"3.13.11", releases.TGZ, false, "3.13.11", nil}, // exact: returned as is, install checks the bundle
	}
	for _, tc := range tests {
		sp, err := releases.ParseSpec(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		v, err := r.Resolve(context.Background(), sp, []releases.Format{tc.format}, tc.pre)
		if !errors.Is(err, tc.err) || (tc.err == nil && v.String() != tc.want) {
			t.Errorf("Resolve(%s, %s, pre=%v) = %s, %v; want %s, %v", tc.spec, tc.format, tc.pre, v, err, tc.want, tc.err)
		}
	}
	// A no-match error says what it saw.
	_, err := r.Resolve(context.Background(), releases.Spec{Raw: "3.13", Major: 3, Minor: 13}, []releases.Format{releases.TarXZ}, false)
	if err == nil || !strings.Contains(err.Error(), "newest folders on the mirror: 3.14.0, 3.13.11, 3.13.10") {
		t.Errorf("no-match error should list the newest folders: %v", err)
	}
	_, err = r.Resolve(context.Background(), releases.Spec{Raw: "3.14", Major: 3, Minor: 14}, []releases.Format{releases.TarXZ}, true)
	if err == nil || !strings.Contains(err.Error(), "matching: 3.14.0rc1 (no Sigstore bundle)") {
		t.Errorf("no-match error should list unsigned candidates: %v", err)
	}
	// Only prereleases: say so and suggest --pre.
	_, err = r.Resolve(context.Background(), releases.Spec{Raw: "3.14", Major: 3, Minor: 14}, []releases.Format{releases.TGZ}, false)
	if err == nil || !strings.Contains(err.Error(), "only prereleases (3.14.0rc1); add --pre") {
		t.Errorf("prerelease-only error: %v", err)
	}
	// Either format will do when the caller allows both.
	v, err := r.Resolve(context.Background(), releases.Spec{Raw: "3.14", Major: 3, Minor: 14}, []releases.Format{releases.TarXZ, releases.TGZ}, true)
	if err != nil || v.String() != "3.14.0rc1" {
		t.Errorf("any format: %v %v", v, err)
	}
	// Skipped newer releases are reported.
	var notes []string
	r.Notify = func(s string) { notes = append(notes, s) }
	if v, err := r.Resolve(context.Background(), releases.Spec{Raw: "3.13", Major: 3, Minor: 13}, []releases.Format{releases.TGZ}, false); err != nil || v.String() != "3.13.10" {
		t.Fatalf("3.13: %v %v", v, err)
	}
	if !strings.Contains(strings.Join(notes, "\n"), "skipped newer 3.13: 3.13.11 (no Sigstore bundle)") {
		t.Errorf("skipped release not reported: %q", notes)
	}
	// An exact version the mirror does not have names the newest of its line.
	online := &Resolver{Home: home.Home{Root: t.TempDir()}, Mirror: releases.MustMirror("file://" + dir + "/")}
	err = online.Missing(context.Background(), releases.Version{Major: 3, Minor: 13, Patch: 50})
	if !errors.Is(err, fetch.ErrNotFound) || !strings.Contains(err.Error(), "no release 3.13.50 on file://"+dir+"/; the newest 3.13 is 3.13.11") {
		t.Errorf("3.13.50: %v", err)
	}
	if err := online.Missing(context.Background(), releases.Version{Major: 3, Minor: 13, Patch: 10}); err != nil {
		t.Errorf("3.13.10 has a folder, Missing said %v", err)
	}
	// A mirror folder that is not there (not mounted, a typo) says so,
	// offline or not, for a line and for an exact version.
	gone := filepath.Join(dir, "not-mounted")
	for _, offline := range []bool{false, true} {
		r := &Resolver{Home: home.Home{Root: t.TempDir()}, Mirror: releases.MustMirror("file://" + gone + "/"), Offline: offline}
		_, err := r.Resolve(context.Background(), releases.Spec{Raw: "3.13", Major: 3, Minor: 13}, []releases.Format{releases.TGZ}, false)
		err2 := r.Missing(context.Background(), releases.Version{Major: 3, Minor: 13, Patch: 10})
		_, err3 := r.Releases(context.Background(), nil, false)
		for _, err := range []error{err, err2, err3} {
			if !errors.Is(err, fetch.ErrNotFound) || !strings.Contains(err.Error(), "the mirror folder "+gone+"/ does not exist") {
				t.Errorf("offline %v, mirror folder gone: %v", offline, err)
			}
		}
	}
}
