package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
)

// upgrade moves each installed line to its newest signed release (3.13.11
// has no bundle: 3.13.10), says which lines are at their newest, keeps
// the older install, and with --dry-run installs nothing.
func TestUpgrade(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	if code, stdout, stderr := e.run("upgrade"); code != 0 || stdout != "" || !strings.Contains(stderr, "nothing installed in "+filepath.Join(e.home, "versions")) {
		t.Errorf("upgrade with nothing installed: exit %d %q %q", code, stdout, stderr)
	}
	if code, stdout, _ := e.run("upgrade", "--json"); code != 0 || !strings.Contains(stdout, `"upgraded": []`) {
		t.Errorf("upgrade --json with nothing installed: exit %d %q", code, stdout)
	}
	e.mustInstall("3.13.9", "3.12.8", "3.14.0rc1", "3.15.0a1")
	code, stdout, stderr := e.run("upgrade", "--dry-run")
	for _, want := range []string{"3.13: 3.13.9 → 3.13.10 (would unpack its source; not installed: --dry-run)", "3.14: 3.14.0rc1 → 3.14.0 (", "3.12: 3.12.8 is the newest", "3.15: 3.15.0a1 is the newest"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("upgrade --dry-run: exit %d, want %q in %q %q", code, want, stdout, stderr)
		}
	}
	if got := e.versions(); slices.Contains(got, "3.13.10") || slices.Contains(got, "3.14.0") {
		t.Errorf("--dry-run installed: %v", got)
	}
	code, stdout, stderr = e.run("upgrade", "--json")
	var doc struct {
		Upgraded []upgradedRow `json:"upgraded"`
		Current  []currentRow  `json:"current"`
		Failed   []failure     `json:"failed"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != 0 {
		t.Fatalf("upgrade --json: exit %d %v %q %q", code, err, stdout, stderr)
	}
	if len(doc.Upgraded) != 2 || doc.Upgraded[0] != (upgradedRow{"3.14", "3.14.0rc1", "3.14.0", filepath.Join(e.home, "versions", "3.14.0"), install.KindSource}) ||
		doc.Upgraded[1] != (upgradedRow{"3.13", "3.13.9", "3.13.10", filepath.Join(e.home, "versions", "3.13.10"), install.KindSource}) ||
		len(doc.Current) != 2 || len(doc.Failed) != 0 {
		t.Errorf("upgrade --json: %+v", doc)
	}
	// The older installs are kept; path now answers the newer.
	if got := strings.Join(e.versions(), ","); got != "3.12.8,3.13.10,3.13.9,3.14.0,3.14.0rc1,3.15.0a1" {
		t.Errorf("versions/ %s", got)
	}
	if code, stdout, _ := e.run("path", "3.13"); code != 0 || stdout != filepath.Join(e.home, "versions", "3.13.10")+"\n" {
		t.Errorf("path 3.13: %d %q", code, stdout)
	}
	code, stdout, stderr = e.run("upgrade", "3.13", "python3.13")
	if code != 0 || stdout != "3.13: 3.13.10 is the newest, installed in "+filepath.Join(e.home, "versions", "3.13.10")+"\n" {
		t.Errorf("upgrade 3.13 again: exit %d %q %q", code, stdout, stderr)
	}
	// A job that installs only what its lock file pins does not upgrade.
	e.vars["PYFETCH_LOCKED"] = "1"
	if code, stdout, stderr := e.run("upgrade"); code != exitUsage || !strings.Contains(stderr, "PYFETCH_LOCKED=1 says install exactly what pyfetch.lock pins") {
		t.Errorf("upgrade under PYFETCH_LOCKED=1: exit %d %q %q", code, stdout, stderr)
	}
	delete(e.vars, "PYFETCH_LOCKED")
	// --remove-old keeps each line's newest only (--dry-run says so).
	code, stdout, stderr = e.run("upgrade", "--remove-old", "--dry-run")
	if code != 0 || !strings.Contains(stdout, "3.13: would remove 3.13.9 (--dry-run)") || !strings.Contains(stdout, "3.14: would remove 3.14.0rc1") || len(e.versions()) != 6 {
		t.Errorf("upgrade --remove-old --dry-run: exit %d %q %q", code, stdout, stderr)
	}
	code, stdout, stderr = e.run("upgrade", "--remove-old", "--json")
	if code != 0 || !strings.Contains(stdout, `"removed": [
    "3.14.0rc1",
    "3.13.9"
  ]`) {
		t.Errorf("upgrade --remove-old --json: exit %d %q %q", code, stdout, stderr)
	}
	if got := strings.Join(e.versions(), ","); got != "3.12.8,3.13.10,3.14.0,3.15.0a1" {
		t.Errorf("versions/ after --remove-old: %s", got)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"upgrade", "3.13.9"}, exitUsage, `upgrade takes release lines (3.13, 3.13t), got "3.13.9" (pyfetch install 3.13.9 installs that)`},
		{[]string{"upgrade", ">=3.12"}, exitUsage, "upgrade takes release lines"},
		{[]string{"upgrade", "latest"}, exitUsage, "upgrade takes release lines"},
		{[]string{"upgrade", "3.11"}, exitNotFound, "pyfetch: not installed: 3.11, so there is nothing to upgrade (pyfetch install 3.11 installs it)\n"},
		// Flags upgrade has no use for are refused, not ignored: the
		// receipt says how a line was made.
		{[]string{"upgrade", "--version-file", ".python-version"}, exitUsage, "unknown flag --version-file for pyfetch upgrade (upgrade takes release lines (3.13) or none"},
		{[]string{"upgrade", "--prebuilt", "3.13"}, exitUsage, "unknown flag --prebuilt for pyfetch upgrade (a line is upgraded the way its newest install was made"},
		{[]string{"upgrade", "--build"}, exitUsage, "unknown flag --build for pyfetch upgrade (a line that was built is built again"},
		{[]string{"upgrade", "--prebuilt-kye", "k"}, exitUsage, "(did you mean --prebuilt-key?)"},
	} {
		if code, stdout, stderr := e.run(tc.args...); code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d %q %q", tc.args, code, stdout, stderr)
		}
	}
}

// A line that was built is upgraded by building, with the options of its
// build; a free-threaded one stays free-threaded.
func TestUpgradeBuilds(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, v := range []string{"3.13.5", "3.13.6"} {
		e.mirror.Publish(t, e.ss, v, "tar.xz", thomas, google, pyfetchtest.BuildableSource(v, pyfetchtest.BuildSpec{}))
	}
	if code, _, stderr := e.run("install", "--build", "--configure-opts", "--with-foo", "3.13.5"); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := e.run("install", "3.13.5t"); code != 0 {
		t.Fatal(stderr)
	}
	code, stdout, stderr := e.run("upgrade", "--dry-run")
	if code != 0 || !strings.Contains(stdout, "3.13: 3.13.5 → 3.13.6 (would build it with --configure-opts --with-foo; not installed") ||
		!strings.Contains(stdout, "3.13t: 3.13.5t → 3.13.6t (would build it with --freethreaded;") {
		t.Errorf("upgrade --dry-run: exit %d %q %q", code, stdout, stderr)
	}
	code, stdout, stderr = e.run("upgrade", "--remove-old")
	if code != 0 || !strings.Contains(stdout, "upgraded 3.13: 3.13.5 → 3.13.6 in "+filepath.Join(e.home, "versions", "3.13.6")) ||
		!strings.Contains(stdout, "upgraded 3.13t: 3.13.5t → 3.13.6t in "+filepath.Join(e.home, "versions", "3.13.6t")) {
		t.Fatalf("upgrade: exit %d %q %q", code, stdout, stderr)
	}
	// The options come from a receipt, and are said before they are run.
	if !strings.Contains(stderr, "upgrading 3.13: 3.13.5 → 3.13.6 (build it with --configure-opts --with-foo, as 3.13.5 was)") ||
		!strings.Contains(stderr, "upgrading 3.13t: 3.13.5t → 3.13.6t (build it with --freethreaded, as 3.13.5t was)") {
		t.Errorf("upgrade does not say how it builds: %q", stderr)
	}
	for dir, want := range map[string]string{"3.13.6": "--with-foo", "3.13.6t": "--disable-gil"} {
		rc, err := install.ReadReceipt(filepath.Join(e.home, "versions", dir))
		if err != nil || rc.Kind != install.KindBuild || rc.Build == nil || !strings.Contains(strings.Join(rc.Build.ConfigureArgs, " "), want) {
			t.Errorf("%s: receipt %+v %v", dir, rc, err)
		}
	}
	if _, err := os.Stat(filepath.Join(e.home, "versions", "3.13.6", "bin", "python3")); err != nil {
		t.Errorf("the upgraded build has no python: %v", err)
	}
	if got := strings.Join(e.versions(), ","); got != "3.13.6,3.13.6t" {
		t.Errorf("versions/ after upgrade --remove-old: %s", got)
	}
}

// A fleet's prebuilt is upgraded to the fleet's next prebuilt, checked
// against the policy given; without one it is not installed on the
// mirror's word, nor quietly replaced by a source tree.
func TestUpgradePrebuilt(t *testing.T) {
	t.Parallel()
	f := newFleet(t, true)
	r := f.runner(t)
	if code, _, stderr := r.run("install", "--prebuilt", "--prebuilt-key", f.pub("fleet"), "3.13.5"); code != 0 {
		t.Fatal(stderr)
	}
	f.mirror.Publish(t, f.ss, "3.13.6", "tar.xz", thomas, google, pyfetchtest.BuildableSource("3.13.6", pyfetchtest.BuildSpec{}))
	if code, _, stderr := f.run("install", "--build", "3.13.6"); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := f.run("publish", "--sign-key", f.key("fleet"), f.mirror.Dir, "3.13.6"); code != 0 {
		t.Fatal(stderr)
	}
	code, stdout, stderr := r.run("upgrade")
	if code != exitUsage || !strings.Contains(stderr, "3.13.5 is the fleet's prebuilt, and its successor is checked as it was: usage: --prebuilt needs the fleet's policy") || slices.Contains(r.versions(), "3.13.6") {
		t.Errorf("upgrade without a policy: exit %d %q %q", code, stdout, stderr)
	}
	if code, stdout, stderr := r.run("upgrade", "--prebuilt-key", f.pub("other")); code == 0 || slices.Contains(r.versions(), "3.13.6") {
		t.Errorf("upgrade with another key: exit %d %q %q", code, stdout, stderr)
	}
	code, stdout, stderr = r.run("upgrade", "--prebuilt-key", f.pub("fleet"))
	dir := filepath.Join(r.home, "versions", "3.13.6")
	if code != 0 || !strings.Contains(stdout, "upgraded 3.13: 3.13.5 → 3.13.6 in "+dir) {
		t.Fatalf("upgrade --prebuilt-key: exit %d %q %q", code, stdout, stderr)
	}
	if rc, err := install.ReadReceipt(dir); err != nil || rc.Kind != install.KindPrebuilt {
		t.Errorf("receipt %+v %v", rc, err)
	}
}

// With the mirror down, upgrade says it could not check, and fails: it
// never calls the installed version the newest on no answer.
func TestUpgradeMirrorDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, nil)
	e.mustInstall("3.13.5")
	e.vars["PYFETCH_MIRROR"] = pyfetchtest.RefusedURL(t)
	e.vars["PYFETCH_RETRIES"] = "0"
	code, stdout, stderr := e.run("upgrade")
	if code == 0 || strings.Contains(stdout, "is the newest") || !strings.Contains(stderr, "cannot reach the server") {
		t.Errorf("upgrade with the mirror down: exit %d %q %q", code, stdout, stderr)
	}
}

// A receipt that cannot say how its install was made (a kind without its
// record, an unknown kind) is an error naming it, never a panic nor a
// guess.
func TestUpgradeOddReceipt(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	e.mustInstall("3.13.9")
	receipt := filepath.Join(e.home, "versions", "3.13.9", ".pyfetch-receipt.json")
	data, err := os.ReadFile(receipt)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"prebuilt", "wheel"} {
		os.WriteFile(receipt, []byte(strings.Replace(string(data), `"kind": "source"`, `"kind": "`+kind+`"`, 1)), 0o644)
		code, stdout, stderr := e.run("upgrade")
		if code != exitFailure || !strings.Contains(stderr, "3.13.9: its receipt says kind "+kind+" without what pyfetch needs") || strings.Contains(stderr, "internal error") || slices.Contains(e.versions(), "3.13.10") {
			t.Errorf("kind %s: exit %d %q %q", kind, code, stdout, stderr)
		}
	}
	// A build's options come from its receipt, which may have been
	// planted: they are shown escaped, and checked as typed ones are.
	build := func(args string) {
		t.Helper()
		odd := strings.Replace(string(data), `"kind": "source"`, `"kind": "build", "build": {"options": {"configureArgs": [`+args+`]}}`, 1)
		if err := os.WriteFile(receipt, []byte(odd), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	build(`"--with-x=a b"`)
	if code, stdout, stderr := e.run("upgrade", "--dry-run"); code != 0 || !strings.Contains(stdout, `3.13: 3.13.9 → 3.13.10 (would build it with --configure-opts '--with-x=a b'; not installed`) {
		t.Errorf("a receipt's options: exit %d %q %q", code, stdout, stderr)
	}
	// A receipt with an escape sequence is no receipt: the install is
	// said to be passed over, never called "not installed", never
	// upgraded as a source tree.
	build(`"--with-x=\u001b[2J"`)
	if code, stdout, stderr := e.run("upgrade", "--dry-run"); code != 0 || !strings.Contains(stderr, "note: 3.13.9 is passed over: no valid pyfetch receipt: ") ||
		!strings.Contains(stderr, "no install in "+filepath.Join(e.home, "versions")+" has a receipt pyfetch can read, so nothing to upgrade") || strings.Contains(stdout+stderr, "\x1b") {
		t.Errorf("a receipt's escape sequence: exit %d %q %q", code, stdout, stderr)
	}
	if code, stdout, stderr := e.run("upgrade", "3.13"); code != exitFailure || !strings.Contains(stderr, "3.13.9 is installed, but pyfetch cannot tell how to make its successor: no valid pyfetch receipt") || slices.Contains(e.versions(), "3.13.10") {
		t.Errorf("upgrade 3.13 with its receipt unreadable: exit %d %q %q", code, stdout, stderr)
	}
	build(`"--prefix=/etc"`)
	if code, stdout, stderr := e.run("upgrade"); code != exitUsage || !strings.Contains(stderr, `"--prefix=/etc" sets the install layout`) || slices.Contains(e.versions(), "3.13.10") {
		t.Errorf("a receipt's --prefix: exit %d %q %q", code, stdout, stderr)
	}
}

// What is planted in versions/ under a line's name is said, never
// upgraded from: a newer one is passed over with a note (a line named or
// not), and one under the newest release's name stops that line the same
// way with --dry-run as without, and is left as it was.
func TestUpgradePlanted(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	e.mustInstall("3.13.9")
	planted := filepath.Join(e.home, "versions", "3.13.12")
	if err := os.MkdirAll(planted, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"upgrade", "--dry-run"}, {"upgrade", "--dry-run", "3.13"}} {
		code, stdout, stderr := e.run(args...)
		if code != 0 || strings.Count(stderr, "note: 3.13.12 is passed over: no valid pyfetch receipt") != 1 || !strings.Contains(stdout, "3.13: 3.13.9 → 3.13.10 (would unpack its source") {
			t.Errorf("%v with a newer folder planted: exit %d %q %q", args, code, stdout, stderr)
		}
	}
	if err := os.Remove(planted); err != nil {
		t.Fatal(err)
	}
	inTheWay := filepath.Join(e.home, "versions", "3.13.10")
	if err := os.WriteFile(inTheWay, []byte("not an install\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := "pyfetch: not a pyfetch install: 3.13 cannot move to 3.13.10, which is taken: no valid pyfetch receipt: not trusted: install folder: " + inTheWay + ": not trusted: not a folder (a file)"
	for _, args := range [][]string{{"upgrade", "--dry-run"}, {"upgrade", "3.13", "--dry-run"}, {"upgrade"}, {"upgrade", "3.13"}} {
		code, stdout, stderr := e.run(args...)
		if code != exitFailure || !strings.Contains(stderr, want) || !strings.Contains(stderr, "(remove it, or pyfetch install --force 3.13.10 replaces it)") || strings.Contains(stdout, "would unpack") || strings.Contains(stderr, "passed over") {
			t.Errorf("%v with 3.13.10 a file: exit %d %q %q", args, code, stdout, stderr)
		}
	}
	if data, err := os.ReadFile(inTheWay); err != nil || string(data) != "not an install\n" {
		t.Errorf("what was in the way: %q %v", data, err)
	}
}

// In a workflow, upgrade writes GITHUB_OUTPUT as install does, for each
// line's newest (upgraded or already so); --dry-run writes nothing, and a
// GITHUB_OUTPUT that cannot be written is exit 1 after the upgrade is
// done and said.
func TestUpgradeGitHubOutputs(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	e.mustInstall("3.13.9", "3.12.8")
	gh := t.TempDir()
	out := filepath.Join(gh, "output")
	e.vars["GITHUB_OUTPUT"] = out
	if code, stdout, stderr := e.run("upgrade", "--dry-run"); code != 0 {
		t.Fatalf("upgrade --dry-run: exit %d %q %q", code, stdout, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("upgrade --dry-run wrote GITHUB_OUTPUT")
	}
	if code, stdout, stderr := e.run("upgrade"); code != 0 {
		t.Fatalf("upgrade: exit %d %q %q", code, stdout, stderr)
	}
	data, err := os.ReadFile(out)
	got := string(data)
	for _, want := range []string{
		"python-version=3.13.10\nsource-path=" + filepath.Join(e.home, "versions", "3.13.10") + "\n",
		"python-version=3.12.8\nsource-path=" + filepath.Join(e.home, "versions", "3.12.8") + "\n",
	} {
		if err != nil || !strings.Contains(got, want) {
			t.Errorf("GITHUB_OUTPUT lacks %q: %q %v", want, got, err)
		}
	}
	if strings.Count(got, "cache-hit=false\n") != 1 || strings.Count(got, "cache-hit=true\n") != 1 {
		t.Errorf("GITHUB_OUTPUT's cache-hit: %q", got)
	}
	// A link is never written through; the upgrade is still done.
	if err := os.RemoveAll(filepath.Join(e.home, "versions", "3.13.10")); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(gh, "link")
	if err := os.Symlink(out, link); err != nil {
		t.Fatal(err)
	}
	e.vars["GITHUB_OUTPUT"] = link
	before, _ := os.ReadFile(out)
	code, stdout, stderr := e.run("upgrade", "3.13")
	if after, _ := os.ReadFile(out); code != exitFailure || !strings.Contains(stdout, "upgraded 3.13: 3.13.9 → 3.13.10") || !strings.Contains(stderr, "write GITHUB_OUTPUT: ") || string(after) != string(before) || !slices.Contains(e.versions(), "3.13.10") {
		t.Errorf("GITHUB_OUTPUT a link: exit %d %q %q", code, stdout, stderr)
	}
}

// mustInstall installs each version, or ends the test.
func (e *env) mustInstall(versions ...string) {
	e.t.Helper()
	for _, v := range versions {
		if code, _, stderr := e.run("install", v); code != 0 {
			e.t.Fatalf("install %s: exit %d: %s", v, code, stderr)
		}
	}
}
