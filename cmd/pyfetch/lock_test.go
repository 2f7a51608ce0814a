package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
	"github.com/pyfetch/pyfetch/lockfile"
	"github.com/pyfetch/pyfetch/releases"
)

// The lock file: pinned from the nearest .python-version, written next
// to it deterministically, installed exactly (offline too), moved only by
// --upgrade, and holding even against a validly signed other artifact.
func TestLockFile(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	project, sub := projectWithSub(t)
	os.WriteFile(filepath.Join(project, ".python-version"), []byte("3.13\n3.12\n"), 0o644)
	code, stdout, stderr := e.runIn(sub, "lock")
	lockPath := filepath.Join(project, lockfile.Name)
	first, err := os.ReadFile(lockPath)
	if code != 0 || err != nil || !strings.Contains(stdout, "pinned 3.13.10") || !strings.Contains(stdout, "pinned 3.12.8") {
		t.Fatalf("lock: exit %d %v\nstdout %q\nstderr %q", code, err, stdout, stderr)
	}
	// Deterministic: a second run changes nothing, not even a byte, and
	// does not write the file again.
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	os.Chtimes(lockPath, old, old)
	if code, stdout, stderr = e.runIn(sub, "lock"); code != 0 || stdout != "" || !strings.Contains(stderr, "is up to date") {
		t.Errorf("second lock: exit %d %q %q", code, stdout, stderr)
	}
	if fi, err := os.Stat(lockPath); err != nil || !fi.ModTime().Equal(old) {
		t.Errorf("a second lock wrote the file again (%v)", err)
	}
	if again, _ := os.ReadFile(lockPath); string(again) != string(first) {
		t.Errorf("a second lock rewrote the file:\n%s\n---\n%s", first, again)
	}
	if !strings.Contains(string(first), `version = "3.13.10"`) || strings.Index(string(first), "3.13.10") > strings.Index(string(first), "3.12.8") {
		t.Errorf("lock file:\n%s", first)
	}
	// install --locked installs exactly the pins; offline from the cache.
	code, stdout, stderr = e.runIn(sub, "install", "--locked")
	if code != 0 || !strings.Contains(stdout, "installed 3.13.10") || !strings.Contains(stdout, "installed 3.12.8") {
		t.Fatalf("install --locked: exit %d %q %q", code, stdout, stderr)
	}
	code, stdout, stderr = e.runIn(sub, "install", "--locked", "--offline", "--force", "3.13")
	if code != 0 || !strings.Contains(stdout, "installed 3.13.10") {
		t.Errorf("install --locked --offline: exit %d %q %q", code, stdout, stderr)
	}
	// A newer release does not move the pin; --upgrade does, and says so.
	e.mirror.Publish(t, e.ss, "3.13.12", "tar.xz", thomas, google, nil)
	os.Remove(filepath.Join(e.home, "cache", "index.json")) // a fresh listing
	code, stdout, _ = e.runIn(sub, "lock")
	if code != 0 || stdout != "" {
		t.Errorf("lock with a newer release out: %q", stdout)
	}
	code, stdout, stderr = e.runIn(sub, "lock", "--upgrade", "3.13")
	if code != 0 || !strings.Contains(stdout, "3.13.10 → 3.13.12") {
		t.Fatalf("lock --upgrade: exit %d %q %q", code, stdout, stderr)
	}
	// The release manager's identity signs other bytes as 3.13.12 (a
	// stolen identity): the lock refuses them, naming the field.
	other := pyfetchtest.NewMirror(t).Publish(t, e.ss, "3.13.12", "tar.xz", thomas, google, append(pyfetchtest.SourceTree("3.13.12"), pyfetchtest.Entry{Name: "Python-3.13.12/evil", Body: "x"}))
	e.mirror.Put(t, "3.13.12/"+other.Name, other.Artifact)
	e.mirror.Put(t, "3.13.12/"+other.Name+".sigstore", other.Bundle)
	code, stdout, stderr = e.runIn(sub, "install", "--locked", "3.13")
	if code != exitVerify || !strings.Contains(stderr, "expected sha256") || !strings.Contains(stderr, "(pinned)") {
		t.Errorf("a validly signed other artifact: exit %d %q %q", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(e.home, "versions", "3.13.12")); err == nil {
		t.Error("installed bytes the lock file does not pin")
	}
	// A version the lock file does not pin is a clear error.
	code, _, stderr = e.runIn(sub, "install", "--locked", "3.11")
	if code != exitUsage || !strings.Contains(stderr, `pins no version matching "3.11"`) {
		t.Errorf("unpinned version: exit %d %q", code, stderr)
	}
}

// A lock run that pins nothing creates no lock file: an empty one would
// only make install --locked refuse every version. A failed spec keeps
// its existing pin.
func TestLockPinsNothing(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	project := t.TempDir()
	lockPath := filepath.Join(project, lockfile.Name)
	code, stdout, stderr := e.runIn(project, "lock", "3.9")
	if code != exitNotFound || stdout != "" || !strings.Contains(stderr, "nothing pinned") {
		t.Errorf("lock 3.9: exit %d %q %q", code, stdout, stderr)
	}
	if _, err := os.Lstat(lockPath); err == nil {
		t.Error("a lock that pinned nothing wrote " + lockfile.Name)
	}
	if code, _, stderr := e.runIn(project, "lock", "3.12"); code != 0 {
		t.Fatalf("lock 3.12: %q", stderr)
	}
	code, _, stderr = e.runIn(project, "lock", "--upgrade", "3.12", "3.9")
	data, _ := os.ReadFile(lockPath)
	if code != exitNotFound || !strings.Contains(string(data), `version = "3.12.8"`) || strings.Contains(string(data), "3.9") {
		t.Errorf("lock --upgrade 3.12 3.9: exit %d %q\n%s", code, stderr, data)
	}
}

// A lock file is hostile input: a parse error names its line, a bad
// field is named, and neither echoes the file's bytes.
func TestHostileLockFile(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	for _, tc := range []struct{ name, content, want string }{
		{"not TOML", "format = 1\n[[python]\nsecret-token-value\n", "not valid TOML"},
		{"a control character", "format = 1\n[[python]]\nversion = \"3.13.10\"\nartifact = \"Python-3.13.10.tar.xz\"\nsha256 = \"" + strings.Repeat("a", 64) + "\"\nsize = 1\nmethod = \"sigstore\"\nsigner = \"a\\n::warning::secret-token-value\"\nissuer = \"https://x\"\n", "control character"},
		{"another method", "format = 1\n[[python]]\nversion = \"3.13.10\"\nartifact = \"Python-3.13.10.tar.xz\"\nsha256 = \"" + strings.Repeat("a", 64) + "\"\nsize = 1\nmethod = \"md5\"\nsigner = \"a\"\nissuer = \"https://x\"\n", `method "md5"`},
		{"unknown key", "format = 1\nsecret-token-value = 1\n", "unknown key"},
	} {
		project := t.TempDir()
		os.WriteFile(filepath.Join(project, lockfile.Name), []byte(tc.content), 0o644)
		code, stdout, stderr := e.runIn(project, "install", "--locked", "3.13")
		if code != exitUsage || !strings.Contains(stderr, tc.want) || strings.Contains(stderr+stdout, "secret-token-value") && tc.name != "unknown key" {
			t.Errorf("%s: exit %d %q %q", tc.name, code, stdout, stderr)
		}
	}
}

// Lock runs in parallel on one project each keep the others' pins: the
// file is read again and written under a lock on its folder, and no lock
// file is left in the project.
func TestLockRunsInParallel(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	project := t.TempDir()
	specs := []string{"3.12.8", "3.13.9", "3.13.10", "3.14.0"}
	codes := make([]int, len(specs))
	stderrs := make([]string, len(specs))
	var wg sync.WaitGroup
	for i, sp := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _, stderrs[i] = e.runIn(project, "lock", sp)
		}()
	}
	wg.Wait()
	for i := range specs {
		if codes[i] != 0 {
			t.Fatalf("lock %s: exit %d %q", specs[i], codes[i], stderrs[i])
		}
	}
	lf, err := readLockFile(filepath.Join(project, lockfile.Name))
	if err != nil {
		t.Fatal(err)
	}
	for _, sp := range specs {
		spec, _ := releases.ParseSpec(sp)
		if _, ok := lf.Find(spec); !ok {
			t.Errorf("pin of %s lost by a concurrent lock run", sp)
		}
	}
	if ents, _ := os.ReadDir(project); len(ents) != 1 {
		t.Errorf("project holds %d entries, want only %s", len(ents), lockfile.Name)
	}
}

// lock --json prints one document: what changed, every pin, each failure
// and whether the file was written; also when the mirror is down.
func TestLockJSON(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	project := t.TempDir()
	code, stdout, stderr := e.runIn(project, "lock", "--json", "3.12", "3.99")
	var doc struct {
		LockFile string           `json:"lock_file"`
		Written  bool             `json:"written"`
		Changed  []lockfile.Entry `json:"changed"`
		Pins     []lockfile.Entry `json:"pins"`
		Failed   []failure        `json:"failed"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != exitNotFound {
		t.Fatalf("lock --json: exit %d %v\nstdout %q\nstderr %q", code, err, stdout, stderr)
	}
	if doc.LockFile != filepath.Join(project, lockfile.Name) || !doc.Written || len(doc.Changed) != 1 || doc.Changed[0].Version != "3.12.8" ||
		len(doc.Pins) != 1 || doc.Pins[0].SHA256 == "" || len(doc.Failed) != 1 || doc.Failed[0].Version != "3.99" {
		t.Errorf("lock --json: %+v", doc)
	}
	// Again, with a pin moved: "previous" names what it was.
	e.mirror.Publish(t, e.ss, "3.12.9", "tar.xz", thomas, google, nil)
	os.Remove(filepath.Join(e.home, "cache", "index.json"))
	code, stdout, _ = e.runIn(project, "lock", "--json", "--upgrade", "3.12")
	if code != 0 || !strings.Contains(stdout, `"previous": {`) || !strings.Contains(stdout, `"version": "3.12.9"`) {
		t.Errorf("lock --json --upgrade: exit %d %q", code, stdout)
	}
	down := newEnv(t)
	down.vars["PYFETCH_MIRROR"] = pyfetchtest.RefusedURL(t)
	code, stdout, _ = down.runIn(t.TempDir(), "lock", "--json", "3.13")
	if doc := oneJSONDocument(t, "lock, mirror down", stdout); code == 0 || doc == nil || (doc["failed"] == nil && doc["error"] == nil) {
		t.Errorf("lock --json, mirror down: exit %d %q", code, stdout)
	}
}

// Specs naming one version ("3.13 3.13.10") pin it once, with one
// download and no wait on pyfetch's own lock.
func TestLockSpecsNamingOneVersion(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	project := t.TempDir()
	code, stdout, stderr := e.runIn(project, "lock", "3.13", "3.13.10", "python3.13")
	if code != 0 || strings.Count(stdout, "pinned 3.13.10") != 1 || strings.Contains(stderr, "waiting for another pyfetch") ||
		strings.Count(stderr, "note: skipped newer 3.13: 3.13.11") != 1 {
		t.Fatalf("lock: exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
	gets := 0
	for _, r := range e.mirror.Requests() {
		if strings.HasSuffix(r.URL.Path, "/Python-3.13.10.tar.xz") {
			gets++
		}
	}
	if gets != 1 {
		t.Errorf("%d requests for the artifact, want 1", gets)
	}
}

// TestInstallLockedAlone: install --locked with no SPEC and no
// .python-version installs every version the nearest lock file pins (a
// lock made with `pyfetch lock 3.13 3.12`), saying where they came from.
func TestInstallLockedAlone(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	project, sub := projectWithSub(t)
	if code, _, stderr := e.runIn(project, "lock", "3.13", "3.12"); code != 0 {
		t.Fatal(stderr)
	}
	code, stdout, stderr := e.runIn(sub, "install", "--locked")
	if code != 0 || !strings.Contains(stdout, "installed 3.13.10") || !strings.Contains(stdout, "installed 3.12.8") ||
		!strings.Contains(stderr, "using 3.13.10 3.12.8 from "+filepath.Join(project, lockfile.Name)) {
		t.Errorf("install --locked: exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
	// A lock file that pins nothing says so.
	empty := t.TempDir()
	os.WriteFile(filepath.Join(empty, lockfile.Name), []byte("format = 1\n"), 0o644)
	if code, _, stderr := e.runIn(empty, "install", "--locked"); code != exitUsage || !strings.Contains(stderr, "pins no version") {
		t.Errorf("empty lock file: exit %d %q", code, stderr)
	}
	// A repository's lock file pinning every release is not installed
	// whole, as a version file naming them is not.
	var every strings.Builder
	every.WriteString("format = 1\n")
	for minor := 8; minor <= 14; minor++ {
		for patch := range 10 {
			fmt.Fprintf(&every, "[[python]]\nversion = \"3.%d.%d\"\nartifact = \"Python-3.%d.%d.tar.xz\"\nsha256 = \"%s\"\nsize = 1\nmethod = \"sigstore\"\nsigner = \"thomas@python.org\"\nissuer = \"https://accounts.google.com\"\n", minor, patch, minor, patch, strings.Repeat("a", 64))
		}
	}
	os.WriteFile(filepath.Join(empty, lockfile.Name), []byte(every.String()), 0o644)
	if code, stdout, stderr := e.runIn(empty, "install", "--locked"); code != exitUsage || !strings.Contains(stderr, "pins 70 versions, more than the 32") {
		t.Errorf("a lock file pinning every release: exit %d %q %q", code, stdout, stderr)
	}
}

// lock --upgrade with no SPEC and no .python-version moves each line the
// lock file pins forward (it said "lock needs a version"); without a
// lock file it says what it needs.
func TestLockUpgradeAlone(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	project := t.TempDir()
	if code, stdout, stderr := e.runIn(project, "lock", "3.13.9", "3.12"); code != 0 || !strings.Contains(stdout, "pinned 3.13.9") {
		t.Fatalf("lock 3.13.9 3.12: exit %d %q %q", code, stdout, stderr)
	}
	e.mirror.Publish(t, e.ss, "3.12.9", "tar.xz", thomas, google, nil)
	os.Remove(filepath.Join(e.home, "cache", "index.json")) // a fresh listing
	code, stdout, stderr := e.runIn(project, "lock", "--upgrade")
	data, _ := os.ReadFile(filepath.Join(project, lockfile.Name))
	if code != 0 || !strings.Contains(stdout, "3.13.9 → 3.13.10") || !strings.Contains(stdout, "3.12.8 → 3.12.9") ||
		!strings.Contains(stderr, "using 3.13 3.12 from "+filepath.Join(project, lockfile.Name)) ||
		!strings.Contains(string(data), `version = "3.13.10"`) || strings.Contains(string(data), `version = "3.13.9"`) {
		t.Errorf("lock --upgrade alone: exit %d %q %q\n%s", code, stdout, stderr, data)
	}
	if code, stdout, stderr := e.runIn(project, "lock", "--upgrade"); code != 0 || stdout != "" || !strings.Contains(stderr, "is up to date") {
		t.Errorf("lock --upgrade again: exit %d %q %q", code, stdout, stderr)
	}
	if code, _, stderr := e.runIn(t.TempDir(), "lock", "--upgrade"); code != exitUsage || !strings.Contains(stderr, "lock --upgrade needs a version") {
		t.Errorf("lock --upgrade with nothing to move: exit %d %q", code, stderr)
	}
}

// A spec suggested in a command is one shell word, a range included.
func TestShellWord(t *testing.T) {
	for in, want := range map[string]string{
		"3.13":         "3.13",
		"3.13.5":       "3.13.5",
		">=3.11,<3.14": "'>=3.11,<3.14'",
		"~=3.12":       "'~=3.12'",
		"==3.13.*":     "'==3.13.*'",
		"it's":         `'it'\''s'`,
		"":             "''",
	} {
		if got := shellWord(in); got != want {
			t.Errorf("shellWord(%q) = %s, want %s", in, got, want)
		}
	}
}
