package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
)

// TestPrimeThenOffline primes the cache, shuts the mirror down, and
// installs from the cache with no network, resolution included.
func TestPrimeThenOffline(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	code, stdout, stderr := e.run("fetch", "3.13", "3.14.0")
	if code != 0 || !strings.Contains(stdout, "fetched 3.13.10") || !strings.Contains(stdout, "fetched 3.14.0") {
		t.Fatalf("fetch: exit %d %q %q", code, stdout, stderr)
	}
	if got := e.versions(); len(got) != 0 {
		t.Errorf("fetch unpacked something: %v", got)
	}
	e.mirror.Server.Close()
	code, stdout, stderr = e.run("install", "--offline", "3.13")
	if code != 0 || !strings.Contains(stdout, "installed 3.13.10") {
		t.Fatalf("offline install: exit %d %q %q", code, stdout, stderr)
	}
	// Without the index the cache folder itself resolves specs.
	os.Remove(filepath.Join(e.home, "cache", "index.json"))
	code, stdout, stderr = e.run("install", "--offline", "3")
	if code != 0 || !strings.Contains(stdout, "installed 3.14.0") {
		t.Fatalf("offline install 3 without index: exit %d %q %q", code, stdout, stderr)
	}
	code, _, stderr = e.run("install", "--offline", "3.12.8")
	if code != exitNotFound || !strings.Contains(stderr, filepath.Join(e.home, "cache", "3.12.8")) {
		t.Errorf("offline install of an unprimed version: exit %d %q", code, stderr)
	}
}

// TestTamperedCache edits a cached artifact after it was verified: offline
// it is refused and removed, online it is fetched again.
func TestTamperedCache(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
	if code, _, stderr := e.run("fetch", "3.13.1"); code != 0 {
		t.Fatal(stderr)
	}
	cached := filepath.Join(e.home, "cache", "3.13.1", "Python-3.13.1.tar.xz")
	tamper := func() {
		b, err := os.ReadFile(cached)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)-1] ^= 1
		os.WriteFile(cached, b, 0o644)
	}
	tamper()
	code, _, stderr := e.run("install", "--offline", "3.13.1")
	if code != exitVerify || !strings.Contains(stderr, "does not match its signed digest") || !strings.Contains(stderr, "Nothing was installed") {
		t.Fatalf("offline install of a tampered cache: exit %d %q", code, stderr)
	}
	if got := e.versions(); len(got) != 0 {
		t.Errorf("versions/ holds %v", got)
	}
	if _, err := os.Stat(cached); !os.IsNotExist(err) {
		t.Error("tampered artifact left in the cache")
	}
	// Online: fetched again and installed.
	if code, _, _ := e.run("fetch", "3.13.1"); code != 0 {
		t.Fatal("refetch failed")
	}
	tamper()
	before := countPath(e.mirror.Requests(), ".xz")
	code, stdout, stderr := e.run("install", "3.13.1")
	if code != 0 || !strings.Contains(stdout, "installed 3.13.1") || !strings.Contains(stderr, "SECURITY WARNING") {
		t.Fatalf("online install of a tampered cache: exit %d %q %q", code, stdout, stderr)
	}
	if after := countPath(e.mirror.Requests(), ".xz"); after != before+1 {
		t.Errorf("artifact fetched %d times, want once", after-before)
	}
}

func TestCacheLsPrune(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	if code, _, stderr := e.run("fetch", "3.12", "3.13"); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := e.run("install", "3.13"); code != 0 {
		t.Fatal(stderr)
	}
	code, stdout, _ := e.run("cache", "ls", "--json")
	var ls struct {
		Cached []struct {
			Artifact string `json:"artifact"`
			Size     int64  `json:"size"`
			InUse    bool   `json:"in_use"`
		} `json:"cached"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &ls) != nil || len(ls.Cached) != 2 {
		t.Fatalf("cache ls: %q", stdout)
	}
	if ls.Cached[0].Artifact != "Python-3.13.10.tar.xz" || !ls.Cached[0].InUse || ls.Cached[1].InUse || ls.Cached[0].Size == 0 {
		t.Errorf("cache ls rows: %+v", ls.Cached)
	}
	// Just fetched: prune keeps it (priming a cache is a main use).
	code, stdout, stderr := e.run("cache", "prune")
	if code != 0 || stdout != "" || !strings.Contains(stderr, "removed 0 artifacts (0 B); 2 artifacts remain") {
		t.Errorf("prune of a fresh cache: exit %d %q %q", code, stdout, stderr)
	}
	// Unused for longer than 30 days and not installed: it goes, and a
	// dry run says exactly what prune then does.
	long := time.Now().Add(-31 * 24 * time.Hour)
	os.Chtimes(filepath.Join(e.home, "cache", "3.12.8", "Python-3.12.8.tar.xz"), long, long)
	code, dryOut, _ := e.run("cache", "prune", "--dry-run")
	code2, stdout, stderr := e.run("cache", "prune")
	if code != 0 || code2 != 0 || !regexp.MustCompile(`^removed Python-3\.12\.8\.tar\.xz \([0-9.]+ (B|KB)\)\n$`).MatchString(stdout) || dryOut != "would remove"+strings.TrimPrefix(stdout, "removed") || !strings.Contains(stderr, "1 artifact remains") {
		t.Errorf("prune: exit %d/%d %q %q %q", code, code2, dryOut, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(e.home, "cache", "3.12.8", "Python-3.12.8.tar.xz.sigstore")); !os.IsNotExist(err) {
		t.Error("prune left the bundle")
	}
	// An artifact unused for long goes with --older-than, installed or not.
	old := time.Now().Add(-48 * time.Hour)
	os.Chtimes(filepath.Join(e.home, "cache", "3.13.10", "Python-3.13.10.tar.xz"), old, old)
	if code, stdout, _ := e.run("cache", "prune", "--older-than", "24h"); code != 0 || !strings.Contains(stdout, "Python-3.13.10.tar.xz") {
		t.Errorf("prune --older-than: %q", stdout)
	}
	if _, err := os.Stat(filepath.Join(e.home, "versions", "3.13.10", "README.rst")); err != nil {
		t.Error("prune touched an installed tree")
	}
	// cache clean removes everything, and says what remains: nothing.
	if code, _, stderr := e.run("fetch", "3.12"); code != 0 {
		t.Fatal(stderr)
	}
	code, stdout, stderr = e.run("cache", "clean")
	if code != 0 || !strings.Contains(stdout, "removed Python-3.12.8.tar.xz") || !strings.Contains(stderr, "0 artifacts remain") {
		t.Errorf("clean: %d %q %q", code, stdout, stderr)
	}
}

// TestMirrorExportNginx exports the cache, serves it with a real nginx
// (autoindex on), and installs from it: resolution from the autoindex
// page, verification against the exported trusted root, and a resumed
// download with Range.
func TestMirrorExportNginx(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	if code, _, stderr := e.run("fetch", "3.13", "3.12"); code != 0 {
		t.Fatal(stderr)
	}
	out := filepath.Join(t.TempDir(), "mirror")
	code, stdout, stderr := e.run("mirror", "export", out)
	if code != 0 || !strings.Contains(stdout, "exported Python-3.13.10.tar.xz") || !strings.Contains(stdout, "exported Python-3.12.8.tar.xz") {
		t.Fatalf("export: exit %d %q %q", code, stdout, stderr)
	}
	for _, f := range []string{"trusted_root.json", "3.13.10/Python-3.13.10.tar.xz", "3.13.10/Python-3.13.10.tar.xz.sigstore"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("export lacks %s", f)
		}
	}
	ng := pyfetchtest.StartNginx(t, out)

	// A fresh machine: new home, the exported trusted root, nginx mirror.
	f := newEnv(t)
	f.vars["PYFETCH_MIRROR"] = ng.URL
	f.vars["PYFETCH_TRUSTED_ROOT"] = filepath.Join(out, "trusted_root.json")
	code, stdout, stderr = f.run("install", "3.13")
	if code != 0 || !strings.Contains(stdout, "installed 3.13.10") {
		t.Fatalf("install from nginx: exit %d %q %q", code, stdout, stderr)
	}

	// Resume: half of 3.12.8 is already in the cache as a .part.
	art, _ := os.ReadFile(filepath.Join(out, "3.12.8", "Python-3.12.8.tar.xz"))
	os.MkdirAll(filepath.Join(f.home, "cache", "3.12.8"), 0o755)
	os.WriteFile(filepath.Join(f.home, "cache", "3.12.8", "Python-3.12.8.tar.xz.part"), art[:len(art)/2], 0o644)
	if code, _, stderr := f.run("install", "3.12.8"); code != 0 {
		t.Fatalf("resumed install: %s", stderr)
	}
	log, _ := os.ReadFile(ng.AccessLog)
	if !strings.Contains(string(log), "GET /3.12.8/Python-3.12.8.tar.xz HTTP/1.1\" 206") {
		t.Errorf("nginx never answered 206 for the resumed download:\n%s", log)
	}
	if !strings.Contains(string(log), "GET / HTTP/1.1\" 200") {
		t.Errorf("resolution did not read nginx's autoindex:\n%s", log)
	}
}
