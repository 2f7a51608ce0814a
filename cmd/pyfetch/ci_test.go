package main

import (
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
)

// oneJSONDocument fails unless s is exactly one JSON document.
func oneJSONDocument(t *testing.T, what, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Errorf("%s: stdout is not a JSON document: %v\n%q", what, err, s)
		return nil
	}
	if err := dec.Decode(new(any)); err != io.EOF {
		t.Errorf("%s: more than one JSON document on stdout: %q", what, s)
	}
	return doc
}

// --json prints exactly one document on stdout whatever happens, with
// the error(s) in it, so `jq` in CI never dies on empty input.
func TestJSONAlwaysThere(t *testing.T) {
	t.Parallel()
	down := newEnv(t)
	down.vars["PYFETCH_MIRROR"] = pyfetchtest.RefusedURL(t)
	e := releaseMirror(t)
	for _, tc := range []struct {
		name string
		e    *env
		args []string
		key  string
	}{
		{"install, mirror down", down, []string{"install", "--json", "3.13"}, "failed"},
		{"fetch, mirror down", down, []string{"fetch", "--json", "3.12", "3.13"}, "failed"},
		{"releases, mirror down", down, []string{"releases", "--json"}, "error"},
		{"install, one spec does not resolve", e, []string{"install", "--json", "3.99", "3.13"}, "failed"},
		{"verify, missing file", e, []string{"verify", "--json", "/nonexistent/Python-3.13.5.tgz"}, "error"},
		{"install, a bad flag", e, []string{"install", "--json", "--nosuch", "3.13"}, "error"},
	} {
		code, stdout, stderr := tc.e.run(tc.args...)
		if code == 0 {
			t.Errorf("%s: exit 0 (stderr %q)", tc.name, stderr)
		}
		if doc := oneJSONDocument(t, tc.name, stdout); doc != nil && doc[tc.key] == nil {
			t.Errorf("%s: no %q in %v", tc.name, tc.key, doc)
		}
	}
}

// One spec that does not resolve does not stop the others: they are
// installed, the failure is reported, and the exit is non-zero.
func TestEachSpecOnItsOwn(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	code, stdout, stderr := e.run("install", "3.13.9", "3.11", "3.99")
	if code == 0 || !strings.Contains(stdout, "installed 3.13.9") || !strings.Contains(stderr, "3.11") || !strings.Contains(stderr, "3.99") {
		t.Errorf("exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(e.home, "versions", "3.13.9")); err != nil {
		t.Error(err)
	}
	code, stdout, _ = e.run("fetch", "--json", "3.12", "3.13")
	doc := oneJSONDocument(t, "fetch 3.12 3.13", stdout)
	if code != 0 || doc == nil || len(doc["fetched"].([]any)) != 2 {
		t.Errorf("fetch 3.12 3.13: exit %d, %v", code, doc)
	}
}

// The build's cache key is known before building (for actions/cache,
// whose key is evaluated before the step), and is the key the build's
// receipt then records.
func TestPrintCacheKeyBeforeBuilding(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, pyfetchtest.BuildableSource("3.13.5", pyfetchtest.BuildSpec{}))
	ghOut := filepath.Join(t.TempDir(), "gh_output")
	e.vars["GITHUB_OUTPUT"] = ghOut
	code, stdout, stderr := e.run("install", "--build", "--print-cache-key", "3.13")
	key := strings.TrimSpace(stdout)
	if code != 0 || !strings.HasPrefix(key, "pyfetch-3.13.5-") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(e.home, "versions", "3.13.5")); err == nil {
		t.Error("--print-cache-key built")
	}
	if b, _ := os.ReadFile(ghOut); string(b) != "cache-key="+key+"\n" {
		t.Errorf("GITHUB_OUTPUT %q", b)
	}
	if code, _, stderr := e.run("install", "--build", "3.13"); code != 0 {
		t.Fatal(stderr)
	}
	rc := readReceipt(t, filepath.Join(e.home, "versions", "3.13.5"))
	if got := rc["build"].(map[string]any)["cache_key"]; got != key {
		t.Errorf("the build's cache key %v, printed %s", got, key)
	}
	if code, _, stderr := e.run("install", "--print-cache-key", "3.13"); code != exitUsage {
		t.Errorf("without --build: exit %d %q", code, stderr)
	}
}

// Build-only settings from the environment do not break a plain install
// (a job-wide PYFETCH_CONFIGURE_OPTS); typed build flags without --build
// are a usage error naming them, and so is a typed prebuilt policy
// without --prebuilt; 3.13t says it will build.
func TestBuildSettingsWithoutBuild(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
	e.vars["PYFETCH_CONFIGURE_OPTS"] = "--with-lto"
	e.vars["PYFETCH_MAKE_JOBS"] = "4"
	if code, _, stderr := e.run("install", "3.13.1"); code != 0 {
		t.Errorf("plain install with build variables set: exit %d %q", code, stderr)
	}
	if code, _, stderr := e.run("install", "--optimize", "--make-jobs", "2", "3.13.1"); code != exitUsage || !strings.Contains(stderr, "--make-jobs, --optimize go with --build") {
		t.Errorf("typed build flags: exit %d %q", code, stderr)
	}
	// Said before any request (a fresh home: no index cached).
	fresh := newEnv(t)
	if code, _, stderr := fresh.run("install", "--freethreaded", "3.13"); code != exitUsage || !strings.Contains(stderr, "--freethreaded goes with --build") {
		t.Errorf("one typed build flag: exit %d %q", code, stderr)
	}
	if n := len(fresh.mirror.Requests()); n != 0 {
		t.Errorf("a typed build flag without --build made %d requests first", n)
	}
	// The same for the fleet's policy: a typed --prebuilt-key without
	// --prebuilt is a forgotten --prebuilt, not a wish for the source (even
	// with the version installed); a job-wide variable is not a mistake.
	e.vars["PYFETCH_PREBUILT_KEY"] = "/nonexistent/fleet.pub"
	if code, _, stderr := e.run("install", "3.13.1"); code != 0 {
		t.Errorf("plain install with PYFETCH_PREBUILT_KEY set: exit %d %q", code, stderr)
	}
	for _, args := range [][]string{
		{"--prebuilt-key", "fleet.pub"},
		{"--prebuilt-identity", "https://github.com/o/r/.github/workflows/b.yml@refs/heads/main", "--prebuilt-issuer", "https://token.actions.githubusercontent.com"},
	} {
		code, _, stderr := fresh.run(append(append([]string{"install"}, args...), "3.13")...)
		if code != exitUsage || !strings.Contains(stderr, " with --prebuilt (add --prebuilt to install the fleet's prebuilt)") {
			t.Errorf("%v without --prebuilt: exit %d %q", args, code, stderr)
		}
		if n := len(fresh.mirror.Requests()); n != 0 {
			t.Errorf("%v without --prebuilt made %d requests first", args, n)
		}
	}
	_, _, stderr := e.run("install", "--offline", "3.13t")
	if !strings.Contains(stderr, "note: 3.13t is a free-threaded build: pyfetch builds it") {
		t.Errorf("3.13t did not say it builds: %q", stderr)
	}
}

// The papercuts a CI user meets, each as they met it.
func TestPapercuts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
	check := func(what string, ok bool, code int, stdout, stderr string) {
		t.Helper()
		if !ok {
			t.Errorf("%s: exit %d\nstdout %q\nstderr %q", what, code, stdout, stderr)
		}
	}
	// PYFETCH_HOME='~/pyf' (a YAML env: block) is the user's home.
	userHome := t.TempDir()
	e.vars["HOME"] = userHome
	e.vars["PYFETCH_HOME"] = "~/pyf"
	code, stdout, stderr := e.run("install", "3.13.1")
	_, err := os.Stat(filepath.Join(userHome, "pyf", "versions", "3.13.1"))
	check("PYFETCH_HOME=~/pyf", code == 0 && err == nil, code, stdout, stderr)
	e.vars["PYFETCH_HOME"] = "relative/home"
	code, stdout, stderr = e.run("list")
	check("a relative home", code == exitUsage && strings.Contains(stderr, `relative path "relative/home"`), code, stdout, stderr)
	// A relative HOME is named as the home's source, not --home; a
	// relative XDG_DATA_HOME is ignored, as the XDG specification says.
	delete(e.vars, "PYFETCH_HOME")
	e.vars["HOME"] = "relative"
	code, stdout, stderr = e.run("list")
	check("a relative HOME", code == exitUsage && strings.Contains(stderr, `the data folder under HOME is the relative path "relative/.local/share/pyfetch"`), code, stdout, stderr)
	e.vars["HOME"] = userHome
	e.vars["XDG_DATA_HOME"] = "relative/xdg"
	code, stdout, stderr = e.run("list")
	check("a relative XDG_DATA_HOME", code == 0 && strings.Contains(stderr, filepath.Join(userHome, ".local", "share", "pyfetch")), code, stdout, stderr)
	delete(e.vars, "XDG_DATA_HOME")
	e.vars["PYFETCH_HOME"] = e.home
	if code, _, stderr = e.run("install", "3.13.1"); code != 0 {
		t.Fatal(stderr)
	}
	// An environment value's error names the variable.
	e.vars["PYFETCH_SIGNERS"] = "/nonexistent"
	code, stdout, stderr = e.run("install", "3.13.1")
	check("PYFETCH_SIGNERS", code == exitUsage && strings.Contains(stderr, "PYFETCH_SIGNERS"), code, stdout, stderr)
	delete(e.vars, "PYFETCH_SIGNERS")
	// help for a command that does not exist is an error; subcommands
	// get suggestions; -h shows flags as they are typed.
	code, stdout, stderr = e.run("help", "nosuch")
	check("help nosuch", code == exitUsage && strings.Contains(stderr, `unknown command "nosuch"`), code, stdout, stderr)
	code, stdout, stderr = e.run("cache", "lss")
	check("cache lss", code == exitUsage && strings.Contains(stderr, "did you mean cache ls?"), code, stdout, stderr)
	code, stdout, stderr = e.run("install", "-h")
	check("install -h", code == 0 && strings.Contains(stdout, "  --offline\n") && !strings.Contains(stdout, "\n  -offline"), code, stdout, stderr)
	// path with no SPEC reads .python-version, as install does.
	project := t.TempDir()
	os.WriteFile(filepath.Join(project, ".python-version"), []byte("3.13\n"), 0o644)
	code, stdout, stderr = e.runIn(project, "path")
	check("path, no SPEC", code == 0 && strings.TrimSpace(stdout) == filepath.Join(e.home, "versions", "3.13.1"), code, stdout, stderr)
	// --mirror relative/dir works like an absolute folder.
	code, stdout, stderr = e.runIn(filepath.Dir(e.mirror.Dir), "releases", "--mirror", filepath.Base(e.mirror.Dir))
	check("--mirror relative/dir", code == 0 && strings.Contains(stdout, "3.13.1"), code, stdout, stderr)
	// cache prune --older-than 0s removes everything unused for 0s, even
	// what an install came from.
	code, stdout, stderr = e.run("cache", "prune", "--older-than", "0s")
	check("prune --older-than 0s", code == 0 && strings.Contains(stdout, "removed Python-3.13.1.tar.xz"), code, stdout, stderr)
}

// A disk that refuses the download's bytes (here: a file-size limit, as
// a full disk or a quota would) fails at once, naming the folder and what
// is still needed, never retried like a network error, and the progress
// never says "downloaded" nor passes 100%.
func TestDiskFullFailsAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	big := make([]byte, 400_000)
	rand.Read(big) // incompressible

	entries := append(pyfetchtest.SourceTree("3.13.1"), pyfetchtest.Entry{Name: "Python-3.13.1/big.bin", Body: string(big)})
	e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, entries)
	cmd := exec.Command("/bin/sh", "-c", `ulimit -f 64 && exec "$@"`, "sh", binary(t), "fetch", "3.13.1")
	cmd.Env = e.binaryEnv()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err == nil {
		t.Fatalf("the download fit in 32 KB? stderr %q", stderr.String())
	}
	got := stderr.String()
	if !strings.Contains(got, "cannot write the download in "+filepath.Join(e.home, "cache", "3.13.1")) || !strings.Contains(got, "MB more there") {
		t.Errorf("stderr does not say where and how much: %q", got)
	}
	for _, bad := range []string{"resuming", "retrying", "downloaded Python", "(1", "(2"} {
		if strings.Contains(got, bad) {
			t.Errorf("stderr has %q: %q", bad, got)
		}
	}
}

// Housekeeping: an install of a version the mirror does not have leaves
// no lock file or folder behind, and cache clean leaves no lock files.
func TestNoLockFilesLeftBehind(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
	if code, _, _ := e.run("install", "3.99.1"); code == 0 {
		t.Fatal("installed a version the mirror does not have")
	}
	for _, p := range []string{filepath.Join(e.home, "versions", ".3.99.1.lock"), filepath.Join(e.home, "cache", "3.99.1")} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("a failed install left %s", p)
		}
	}
	if code, _, stderr := e.run("fetch", "3.13.1"); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := e.run("cache", "clean"); code != 0 {
		t.Fatal(stderr)
	}
	var left []string
	filepath.WalkDir(filepath.Join(e.home, "cache"), func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".lock") {
			left = append(left, p)
		}
		return nil
	})
	if len(left) != 0 {
		t.Errorf("cache clean left %v", left)
	}
}

// pyfetch version says the version, the commit and the Go it was built
// with, in text and JSON.
func TestVersionSaysWhatItIs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	code, stdout, _ := e.run("version")
	if code != 0 || !strings.HasPrefix(stdout, "pyfetch ") || !strings.Contains(stdout, "(commit ") || !strings.Contains(stdout, ", go1.") {
		t.Errorf("version: %q", stdout)
	}
	code, stdout, _ = e.run("version", "--json")
	doc := oneJSONDocument(t, "version --json", stdout)
	if code != 0 || doc["version"] == "" || doc["commit"] == nil || !strings.HasPrefix(doc["go"].(string), "go1.") {
		t.Errorf("version --json: %v", doc)
	}
}

// --jobs 0 is "all at once", as xargs -P 0 reads it (it was one at a
// time): four versions' downloads are all in flight together. Each
// download waits until the four are there, or gives up after a while so
// that a failing run ends.
func TestJobsZeroIsAllAtOnce(t *testing.T) {
	t.Parallel()
	for _, command := range []string{"fetch", "install"} {
		t.Run(command, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			versions := []string{"3.12.1", "3.12.2", "3.13.1", "3.13.2"}
			for _, v := range versions {
				e.mirror.Publish(t, e.ss, v, "tar.xz", thomas, google, nil)
			}
			var mu sync.Mutex
			inFlight, most := map[string]bool{}, 0 // artifacts, retries counted once
			all := make(chan struct{})
			opened := sync.OnceFunc(func() { close(all) })
			e.mirror.Fault(func(w http.ResponseWriter, r *http.Request, n int) bool {
				if !strings.HasSuffix(r.URL.Path, ".tar.xz") {
					return false
				}
				mu.Lock()
				inFlight[r.URL.Path] = true
				most = max(most, len(inFlight))
				if len(inFlight) == len(versions) {
					opened()
				}
				mu.Unlock()
				select {
				case <-all:
				case <-time.After(20 * time.Second):
				}
				mu.Lock()
				delete(inFlight, r.URL.Path)
				mu.Unlock()
				return false
			})
			code, stdout, stderr := e.run(append([]string{command, "--jobs", "0"}, versions...)...)
			mu.Lock()
			defer mu.Unlock()
			if code != 0 || most != len(versions) {
				t.Errorf("%s --jobs 0: exit %d, at most %d downloads at once (want %d)\n%s%s", command, code, most, len(versions), stdout, stderr)
			}
		})
	}
}
