package main

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
)

// TestHostileMirror: what a mirror or network can do ends in a correct
// install or a clear error, never a partial tree.
func TestHostileMirror(t *testing.T) {
	t.Parallel()
	type fault func(r pyfetchtest.Release) func(w http.ResponseWriter, req *http.Request, n int) bool
	onArtifact := func(f func(w http.ResponseWriter, r pyfetchtest.Release, hit int) bool) fault {
		return func(r pyfetchtest.Release) func(http.ResponseWriter, *http.Request, int) bool {
			hit := 0
			return func(w http.ResponseWriter, req *http.Request, n int) bool {
				if !strings.HasSuffix(req.URL.Path, ".tar.xz") {
					return false
				}
				hit++
				return f(w, r, hit)
			}
		}
	}
	tests := []struct {
		name  string
		fault fault
		code  int
		msg   string
	}{
		{"502 then ok", onArtifact(func(w http.ResponseWriter, r pyfetchtest.Release, hit int) bool {
			if hit == 1 {
				w.WriteHeader(http.StatusBadGateway)
				return true
			}
			return false
		}), 0, ""},
		{"503 with Retry-After then ok", onArtifact(func(w http.ResponseWriter, r pyfetchtest.Release, hit int) bool {
			if hit == 1 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusServiceUnavailable)
				return true
			}
			return false
		}), 0, ""},
		{"429 without Retry-After then ok", onArtifact(func(w http.ResponseWriter, r pyfetchtest.Release, hit int) bool {
			if hit == 1 {
				w.WriteHeader(http.StatusTooManyRequests)
				return true
			}
			return false
		}), 0, ""},
		{"500 forever", onArtifact(func(w http.ResponseWriter, r pyfetchtest.Release, hit int) bool {
			w.WriteHeader(http.StatusInternalServerError)
			return true
		}), exitFailure, "500 Internal Server Error"},
		{"Content-Length smaller than the body", onArtifact(func(w http.ResponseWriter, r pyfetchtest.Release, hit int) bool {
			w.Header().Set("Content-Length", strconv.Itoa(len(r.Artifact)-10))
			w.Write(r.Artifact[:len(r.Artifact)-10])
			return true
		}), exitVerify, "digest mismatch"},
		{"HTML error page with status 200", onArtifact(func(w http.ResponseWriter, r pyfetchtest.Release, hit int) bool {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<!DOCTYPE html><html><body>Service temporarily unavailable</body></html>"))
			return true
		}), exitVerify, "the server returned an HTML page"},
		{"redirect to file:", onArtifact(func(w http.ResponseWriter, r pyfetchtest.Release, hit int) bool {
			w.Header().Set("Location", "file:///etc/passwd")
			w.WriteHeader(http.StatusFound)
			return true
		}), exitFailure, "redirected to file:///etc/passwd (only http and https are followed)"},
		{"redirect loop", onArtifact(func(w http.ResponseWriter, r pyfetchtest.Release, hit int) bool {
			w.Header().Set("Location", "/3.13.1/Python-3.13.1.tar.xz?again")
			w.WriteHeader(http.StatusFound)
			return true
		}), exitFailure, "more than 10 redirects"},
		{"50 MB bundle", func(r pyfetchtest.Release) func(http.ResponseWriter, *http.Request, int) bool {
			return func(w http.ResponseWriter, req *http.Request, n int) bool {
				if !strings.HasSuffix(req.URL.Path, ".sigstore") {
					return false
				}
				w.Header().Set("Content-Length", strconv.Itoa(50<<20))
				chunk := bytes.Repeat([]byte(" "), 1<<20)
				for range 50 {
					if _, err := w.Write(chunk); err != nil {
						break
					}
				}
				return true
			}
		}, exitVerify, "larger than allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			r := e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
			e.mirror.Fault(tc.fault(r))
			code, _, stderr := e.run("install", "3.13.1")
			if code != tc.code || !strings.Contains(stderr, tc.msg) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)", code, tc.code, stderr, tc.msg)
			}
			if code == 0 {
				assertTree(t, filepath.Join(e.home, "versions", "3.13.1"), "3.13.1")
			} else if got := e.versions(); len(got) != 0 {
				t.Errorf("versions/ holds %v after a failure", got)
			}
			errLines := 0
			for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
				if !onlyProgress(line) {
					errLines++
				}
			}
			if errLines > 8 {
				t.Errorf("error is not short: %q", stderr)
			}
		})
	}
}

// TestHostileCache: a swapped bundle or planted symlinks in pyfetch's
// folders are detected and never followed outside them.
func TestHostileCache(t *testing.T) {
	t.Parallel()
	t.Run("bundle swapped in the cache", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
		if code, _, stderr := e.run("fetch", "3.13.1"); code != 0 {
			t.Fatal(stderr)
		}
		os.WriteFile(filepath.Join(e.home, "cache", "3.13.1", "Python-3.13.1.tar.xz.sigstore"), e.ss.Sign(t, thomas, google, []byte("other")), 0o644)
		code, _, stderr := e.run("install", "--offline", "3.13.1")
		if code != exitVerify || len(e.versions()) != 0 {
			t.Fatalf("exit %d, versions %v, stderr %q", code, e.versions(), stderr)
		}
	})
	// A symlink where a download or a cached artifact belongs is reported,
	// removed (the link only) and replaced by a verified download.
	for _, planted := range []string{"Python-3.13.1.tar.xz.part", "Python-3.13.1.tar.xz"} {
		t.Run("symlink planted as "+planted, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
			victim := filepath.Join(t.TempDir(), "victim")
			os.WriteFile(victim, []byte("precious"), 0o644)
			os.MkdirAll(filepath.Join(e.home, "cache", "3.13.1"), 0o755)
			link := filepath.Join(e.home, "cache", "3.13.1", planted)
			os.Symlink(victim, link)
			code, _, stderr := e.run("install", "3.13.1")
			if b, _ := os.ReadFile(victim); string(b) != "precious" {
				t.Fatalf("pyfetch wrote through a planted symlink (exit %d, %q)", code, stderr)
			}
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if fi, err := os.Lstat(link); err == nil && fi.Mode()&os.ModeSymlink != 0 {
				t.Error("the planted symlink is still there")
			}
			assertTree(t, filepath.Join(e.home, "versions", "3.13.1"), "3.13.1")
		})
	}
	t.Run("symlink planted as a cache folder", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
		elsewhere := t.TempDir()
		os.MkdirAll(filepath.Join(e.home, "cache"), 0o755)
		os.Symlink(elsewhere, filepath.Join(e.home, "cache", "3.13.1"))
		code, _, stderr := e.run("install", "3.13.1")
		if code == 0 || !strings.Contains(stderr, "not a plain directory") {
			t.Fatalf("exit %d, %q", code, stderr)
		}
		if ents, _ := os.ReadDir(elsewhere); len(ents) != 0 {
			t.Errorf("pyfetch wrote outside its folders: %v", ents)
		}
	})
	t.Run("symlink planted in versions/", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
		elsewhere := t.TempDir()
		os.WriteFile(filepath.Join(elsewhere, "keep"), []byte("x"), 0o644)
		os.MkdirAll(filepath.Join(e.home, "versions"), 0o755)
		os.Symlink(elsewhere, filepath.Join(e.home, "versions", "3.13.1"))
		if code, _, stderr := e.run("install", "3.13.1"); code != exitFailure || !strings.Contains(stderr, "not a pyfetch install: ") || !strings.Contains(stderr, "no readable pyfetch receipt") {
			t.Errorf("install over a planted symlink: exit %d %q", code, stderr)
		}
		// A plain folder without a receipt is in the way too: exit 1,
		// not "not found" (3), which would send a script to another mirror.
		os.MkdirAll(filepath.Join(e.home, "versions", "3.13.2", "bin"), 0o755)
		e.mirror.Publish(t, e.ss, "3.13.2", "tar.xz", thomas, google, nil)
		if code, _, stderr := e.run("install", "3.13.2"); code != exitFailure || !strings.Contains(stderr, "3.13.2 exists but has no pyfetch receipt (remove it, or reinstall with --force)") {
			t.Errorf("install over a folder pyfetch did not make: exit %d %q", code, stderr)
		}
		if code, _, stderr := e.run("install", "--force", "3.13.1"); code != 0 {
			t.Fatalf("--force: exit %d %q", code, stderr)
		}
		if _, err := os.Stat(filepath.Join(elsewhere, "keep")); err != nil {
			t.Error("--force deleted through the planted symlink")
		}
		assertTree(t, filepath.Join(e.home, "versions", "3.13.1"), "3.13.1")
		if code, _, _ := e.run("uninstall", "3.13.1"); code != 0 {
			t.Error("uninstall failed")
		}
	})
}

// TestFailureKeepsOtherInstalls: a failed install of B never touches A.
func TestFailureKeepsOtherInstalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
	e.mirror.Publish(t, e.ss, "3.14.0", "tar.xz", "mallory@example.com", github, nil)
	if code, _, stderr := e.run("install", "3.13.1"); code != 0 {
		t.Fatal(stderr)
	}
	before, _ := install.ReadReceipt(filepath.Join(e.home, "versions", "3.13.1"))
	if code, _, _ := e.run("install", "3.14.0"); code != exitVerify {
		t.Fatalf("bad 3.14.0: exit %d", code)
	}
	after, err := install.ReadReceipt(filepath.Join(e.home, "versions", "3.13.1"))
	if err != nil || *after != *before {
		t.Errorf("3.13.1 changed by a failed 3.14.0: %v", err)
	}
	assertTree(t, filepath.Join(e.home, "versions", "3.13.1"), "3.13.1")
	if got := e.versions(); strings.Join(got, ",") != "3.13.1" {
		t.Errorf("versions/ holds %v", got)
	}
}
