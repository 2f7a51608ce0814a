package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
)

// TestFormatFallback: without --format, whichever format the mirror has
// with a bundle is used (the default first), and pyfetch says which;
// with an explicit --format, the error says the other one is there.
func TestFormatFallback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	delete(e.vars, "PYFETCH_FORMAT")
	e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, nil)
	code, _, stderr := e.run("install", "--format", "tgz", "3.13.5")
	if code != exitNotFound || !strings.Contains(stderr, "Python-3.13.5.tar.xz and its bundle are available: use --format tar.xz") {
		t.Errorf("explicit tgz: exit %d %q", code, stderr)
	}
	code, stdout, stderr := e.run("install", "3.13.5")
	if code != 0 || !strings.Contains(stdout, "installed 3.13.5") || !strings.Contains(stderr, "no signed Python-3.13.5.tgz there; using Python-3.13.5.tar.xz") {
		t.Fatalf("no --format: exit %d %q %q", code, stdout, stderr)
	}
}

// TestAirGappedRecipe runs docs/commands.md's air-gapped recipe as written:
// fetch and export on the connected side; on the other, copy the cache
// and install --offline, or serve the export and install from it.
func TestAirGappedRecipe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	delete(e.vars, "PYFETCH_FORMAT")
	// The mirror has both formats; the cache is primed with tar.xz only,
	// while the default format is tgz: the trap the issue hit.
	for _, f := range []string{"tar.xz", "tgz"} {
		e.mirror.Publish(t, e.ss, "3.12.8", f, thomas, google, nil)
		e.mirror.Publish(t, e.ss, "3.13.5", f, thomas, google, nil)
	}
	if code, _, stderr := e.run("fetch", "--format", "tar.xz", "3.12", "3.13"); code != 0 {
		t.Fatalf("fetch: %s", stderr)
	}
	usb := filepath.Join(t.TempDir(), "python")
	code, stdout, stderr := e.run("mirror", "export", usb, "3.13")
	if code != 0 || !strings.Contains(stdout, "exported Python-3.13.5.tar.xz to "+filepath.Join(usb, "3.13.5")+"/") ||
		!strings.Contains(stdout, "wrote "+filepath.Join(usb, "trusted_root.json")) {
		t.Fatalf("export: exit %d %q %q", code, stdout, stderr)
	}
	// The command the export prints works as printed.
	var printed []string
	for _, line := range strings.Split(stderr, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "pyfetch install "); ok {
			printed = strings.Fields(rest)
		}
	}
	if len(printed) == 0 {
		t.Fatalf("export printed no command to use it: %q", stderr)
	}
	if _, err := os.Stat(filepath.Join(usb, "trusted_root.json")); err != nil {
		t.Fatal(err)
	}
	e.mirror.Server.Close() // the air gap

	// Way 1: the cache folder, copied over.
	other := newEnv(t)
	delete(other.vars, "PYFETCH_FORMAT")
	other.vars["PYFETCH_TRUSTED_ROOT"] = e.ss.RootFile
	if out, err := exec.Command("cp", "-a", filepath.Join(e.home, "cache"), other.home+"/").CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	code, stdout, stderr = other.run("install", "--offline", "3.13")
	if code != 0 || !strings.Contains(stdout, "installed 3.13.5") {
		t.Fatalf("install --offline 3.13: exit %d %q %q", code, stdout, stderr)
	}

	// Way 2: the command the export printed.
	fourth := newEnv(t)
	delete(fourth.vars, "PYFETCH_FORMAT")
	delete(fourth.vars, "PYFETCH_MIRROR")
	delete(fourth.vars, "PYFETCH_TRUSTED_ROOT")
	code, stdout, stderr = fourth.run(append([]string{"install"}, printed...)...)
	if code != 0 || !strings.Contains(stdout, "installed 3.13.5") {
		t.Fatalf("install %v: exit %d %q %q", printed, code, stdout, stderr)
	}

	// Way 3: the export, served by a static web server.
	srv := httptest.NewServer(http.FileServer(http.Dir(usb)))
	defer srv.Close()
	third := newEnv(t)
	delete(third.vars, "PYFETCH_FORMAT")
	delete(third.vars, "PYFETCH_MIRROR")
	delete(third.vars, "PYFETCH_TRUSTED_ROOT")
	code, stdout, stderr = third.run("install", "--mirror", srv.URL+"/", "--trusted-root", filepath.Join(usb, "trusted_root.json"), "3.13")
	if code != 0 || !strings.Contains(stdout, "installed 3.13.5") {
		t.Fatalf("install from the export: exit %d %q %q", code, stdout, stderr)
	}
}

// TestMirrorDown: with the mirror unreachable, an installed match is the
// answer (exit 0, newer releases unchecked); without one, the error comes
// after the retries, names the server and says what to try.
func TestMirrorDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, nil)
	if code, _, stderr := e.run("install", "3.13.5"); code != 0 {
		t.Fatal(stderr)
	}
	e.vars["PYFETCH_MIRROR"] = pyfetchtest.RefusedURL(t)
	code, stdout, stderr := e.run("install", "3.13")
	if code != 0 || !strings.Contains(stdout, "3.13.5 is already installed") || !strings.Contains(stderr, "newer 3.13 releases could not be checked") {
		t.Errorf("installed match: exit %d %q %q", code, stdout, stderr)
	}
	fresh := newEnv(t)
	fresh.vars["PYFETCH_MIRROR"] = pyfetchtest.RefusedURL(t)
	code, _, stderr = fresh.run("install", "3.14")
	// A refused connection is retried (a mirror may still be starting),
	// each retry saying why, then reported as unreachable.
	if code != exitFailure || !strings.Contains(stderr, "cannot reach the server") || !strings.Contains(stderr, "to try: another mirror with --mirror URL") || !strings.Contains(stderr, "(attempt 2 of 3) after: dial tcp") {
		t.Errorf("no match: exit %d %q", code, stderr)
	}
	if strings.Contains(stderr, "fetch : ") {
		t.Errorf("an error names nothing: %q", stderr)
	}
}

// TestSeveralVersionsReportEach: each version's outcome on its own; "no
// change" is said only of the one that failed; --json still prints JSON.
func TestSeveralVersionsReportEach(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
	e.mirror.Publish(t, e.ss, "3.14.0", "tar.xz", "mallory@example.com", github, nil)
	code, stdout, stderr := e.run("install", "3.13.1", "3.14.0")
	if code != exitVerify || !strings.Contains(stdout, "installed 3.13.1") {
		t.Fatalf("exit %d %q %q", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "SECURITY ERROR: install 3.14.0:") || !strings.Contains(stderr, "Nothing was installed or changed for 3.14.0.") ||
		strings.Contains(stderr, "Nothing was installed or changed.") || strings.Contains(stderr, "for 3.13.1") || strings.Contains(stderr, "install 3.13.1:") {
		t.Errorf("stderr %q", stderr)
	}
	code, stdout, _ = e.run("install", "--json", "--force", "3.13.1", "3.14.0")
	var doc struct {
		Installed []map[string]any `json:"installed"`
		Failed    []failure        `json:"failed"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != exitVerify {
		t.Fatalf("exit %d, %v: %q", code, err, stdout)
	}
	if len(doc.Installed) != 1 || len(doc.Failed) != 1 || doc.Failed[0].Version != "3.14.0" || doc.Failed[0].ExitCode != exitVerify || doc.Failed[0].Error == "" {
		t.Errorf("json %+v", doc)
	}
}

// TestPythonVersionFile: install with no SPEC reads the nearest
// .python-version (here, a parent folder's) and says which file.
func TestPythonVersionFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, nil)
	e.mirror.Publish(t, e.ss, "3.12.8", "tar.xz", thomas, google, nil)
	project := t.TempDir()
	os.WriteFile(filepath.Join(project, ".python-version"), []byte("# the project's Pythons\n3.13\n\n3.12.8\n"), 0o644)
	sub := filepath.Join(project, "src", "pkg")
	os.MkdirAll(sub, 0o755)
	cmd := exec.Command(binary(t), "install")
	cmd.Dir = sub
	cmd.Env = e.binaryEnv()
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil || !strings.Contains(out.String(), "installed 3.13.5") || !strings.Contains(out.String(), "installed 3.12.8") ||
		!strings.Contains(errb.String(), "using 3.13 3.12.8 from "+filepath.Join(project, ".python-version")) {
		t.Fatalf("%v\nstdout %q\nstderr %q", err, out.String(), errb.String())
	}
	// A symlinked .python-version (projects link it) is followed.
	os.Symlink(filepath.Join(project, ".python-version"), filepath.Join(sub, ".python-version"))
	cmd = exec.Command(binary(t), "install", "--json")
	cmd.Dir = sub
	cmd.Env = e.binaryEnv()
	if b, err := cmd.Output(); err != nil || !strings.Contains(string(b), `"already_installed": true`) {
		t.Errorf("symlinked .python-version: %v %s", err, b)
	}
	os.Remove(filepath.Join(sub, ".python-version"))
	os.WriteFile(filepath.Join(sub, ".python-version"), []byte("three-thirteen\n"), 0o644)
	cmd = exec.Command(binary(t), "install")
	cmd.Dir = sub
	cmd.Env = e.binaryEnv()
	b, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitUsage || !strings.Contains(string(b), filepath.Join(sub, ".python-version")+" line 1") {
		t.Errorf("bad file: %v %s", err, b)
	}
	// pyenv's "system" (the system's Python, a fallback) is skipped with
	// a note; a file naming only it names nothing to install.
	os.WriteFile(filepath.Join(sub, ".python-version"), []byte("3.13.5\nsystem\n"), 0o644)
	code, stdout, stderr := e.runIn(sub, "install")
	if code != 0 || !strings.Contains(stdout, "3.13.5 is already installed") || !strings.Contains(stderr, "line 2 names the system Python") {
		t.Errorf("3.13.5 and system: %d %q %q", code, stdout, stderr)
	}
	os.WriteFile(filepath.Join(sub, ".python-version"), []byte("system\n"), 0o644)
	if code, _, stderr := e.runIn(sub, "install"); code != exitUsage || !strings.Contains(stderr, "names no version but the system Python") {
		t.Errorf("system only: %d %q", code, stderr)
	}
}

// TestUninstallByLine: "uninstall 3.13" works when exactly one 3.13 is
// installed, and lists the matches when several are.
func TestUninstallByLine(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, v := range []string{"3.13.5", "3.13.1", "3.12.8"} {
		e.mirror.Publish(t, e.ss, v, "tar.xz", thomas, google, nil)
	}
	if code, _, stderr := e.run("install", "3.13.5", "3.13.1", "3.12.8"); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := e.run("uninstall", "3.13"); code != exitUsage || !strings.Contains(stderr, `"3.13" matches 3.13.5, 3.13.1; name the one to remove`) {
		t.Errorf("two matches: %d %q", code, stderr)
	}
	// Arguments naming one install remove it once, without a "not
	// installed" for the second.
	if code, stdout, stderr := e.run("uninstall", "3.12", "3.12.8", "3.12"); code != 0 || !strings.HasPrefix(stdout, "removed 3.12.8") || strings.Count(stdout, "removed") != 1 || stderr != "" {
		t.Errorf("one match, named three times: %d %q %q", code, stdout, stderr)
	}
	if code, _, stderr := e.run("uninstall", "3.11", "3.11"); code != exitNotFound || strings.Count(stderr, "not installed") != 1 {
		t.Errorf("no match, named twice: %d %q", code, stderr)
	}
	// Several failures: one line each, in argument order, each as pyfetch
	// prints an error; --json lists them beside what was removed.
	code, _, stderr := e.run("uninstall", "3.11.1", "3.13.5x", "3.10.2")
	want := "pyfetch: uninstall 3.11.1: not installed: 3.11.1 is not in " + filepath.Join(e.home, "versions") + "\n" +
		`pyfetch: uninstall 3.13.5x: invalid request: not a version spec: "3.13.5x"`
	if code == 0 || !strings.HasPrefix(stderr, want) || strings.Count(stderr, "\npyfetch: uninstall ") != 2 {
		t.Errorf("three failures: %d %q", code, stderr)
	}
	code, stdout, _ := e.run("uninstall", "--json", "3.13.1", "3.11.1")
	var doc struct {
		Removed []string  `json:"removed"`
		Failed  []failure `json:"failed"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != exitNotFound || len(doc.Removed) != 1 || doc.Removed[0] != "3.13.1" ||
		len(doc.Failed) != 1 || doc.Failed[0].Version != "3.11.1" || doc.Failed[0].ExitCode != exitNotFound {
		t.Errorf("uninstall --json with a failure: %d %v %q", code, err, stdout)
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, args := range [][]string{{"help", "install"}, {"install", "-h"}, {"install", "--help"}} {
		code, stdout, _ := e.run(args...)
		if code != 0 || !strings.Contains(stdout, "usage: pyfetch install [flags] [SPEC...]") || !strings.Contains(stdout, "examples:\n  pyfetch install 3.13\n") || !strings.Contains(stdout, "-build") {
			t.Errorf("%v: %d %q", args, code, stdout)
		}
		// A short form stands beside its long one, not on a line of its own.
		if !strings.Contains(stdout, "\n  -f, --force\n") || !strings.Contains(stdout, "\n  -j, --jobs N\n") || strings.Contains(stdout, "  --f\n") || strings.Contains(stdout, "short for") {
			t.Errorf("%v: short flags: %q", args, stdout)
		}
	}
	for cmd := range commandHelp {
		if code, stdout, _ := e.run("help", cmd); code != 0 || !strings.Contains(stdout, "usage: pyfetch "+cmd) || !strings.Contains(stdout, "examples:") {
			t.Errorf("help %s: %d %q", cmd, code, stdout)
		}
		// COMMAND -h is the same help, for every command.
		if code, stdout, stderr := e.run(cmd, "-h"); code != 0 || !strings.Contains(stdout, "usage: pyfetch "+cmd) || !strings.Contains(stdout, "examples:") {
			t.Errorf("%s -h: %d %q %q", cmd, code, stdout, stderr)
		}
	}
	for args, want := range map[string]string{
		"install --formt tgz 3.13": "unknown flag --formt for pyfetch install (did you mean --format?)",
		"instal 3.13":              `unknown command "instal" (did you mean install?`,
		"list --cert-identity x":   "unknown flag --cert-identity for pyfetch list",
		"--offline install 3.13":   `unknown command "--offline" (flags go after the command, e.g. pyfetch install --offline ...;`,
		"cache --dry-run prune":    `unknown subcommand cache "--dry-run" (flags go after the subcommand: pyfetch cache SUBCOMMAND --dry-run ...; expected cache ls, cache prune, cache clean)`,
		"mirror expot /tmp/x":      `unknown subcommand mirror "expot" (did you mean mirror export? expected mirror export, mirror push)`,
		// A short flag is named as typed, with those the command has.
		"install -x 3.13": "unknown flag -x for pyfetch install (its short flags: -f (--force), -j (--jobs), -q (--quiet)); see pyfetch install -h",
		"list -f":         "unknown flag -f for pyfetch list; see pyfetch list -h",
		// No near-miss suggestion from a one-letter form.
		"fetch --g 3.13": "unknown flag -g for pyfetch fetch (its short flags: -j (--jobs), -q (--quiet)); see",
	} {
		code, _, stderr := e.run(strings.Fields(args)...)
		if code != exitUsage || !strings.Contains(stderr, want) {
			t.Errorf("%s: %d %q (want %q)", args, code, stderr, want)
		}
	}
	// An unknown command's error names every command there is.
	_, _, stderr := e.run("nosuch")
	for cmd := range commandHelp {
		if !strings.Contains(stderr, " "+cmd) {
			t.Errorf("unknown command: %q does not name %s", stderr, cmd)
		}
	}
	// help --json is a document like every --json, of every command or
	// the one named.
	for _, tc := range []struct {
		args  []string
		code  int
		names []string
	}{
		{[]string{"help", "--json"}, 0, nil},
		{[]string{"help", "path", "--json"}, 0, []string{"path"}},
		{[]string{"help", "--json", "nosuch"}, exitUsage, nil},
	} {
		code, stdout, stderr := e.run(tc.args...)
		var doc struct {
			Commands []struct{ Name, Usage, About string } `json:"commands"`
			Error    string                                `json:"error"`
		}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != tc.code {
			t.Errorf("%v: exit %d %v %q %q", tc.args, code, err, stdout, stderr)
			continue
		}
		var names []string
		for _, c := range doc.Commands {
			names = append(names, c.Name)
			if !strings.HasPrefix(c.Usage, "pyfetch "+c.Name) || c.About == "" {
				t.Errorf("%v: %+v", tc.args, c)
			}
		}
		switch {
		case code != 0:
			if !strings.Contains(doc.Error, `unknown command "nosuch"`) {
				t.Errorf("%v: %q", tc.args, stdout)
			}
		case tc.names == nil:
			if len(names) != len(commandHelp) {
				t.Errorf("%v: %v", tc.args, names)
			}
		case strings.Join(names, " ") != strings.Join(tc.names, " "):
			t.Errorf("%v: %v", tc.args, names)
		}
	}
}

// TestVerifyEveryKindOfFile: verify handles every file python.org signs,
// inferring the version (and so the signer) from its name.
func TestVerifyEveryKindOfFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := t.TempDir()
	for _, tc := range []struct{ name, identity, issuer string }{
		{"python-3.13.1-amd64.exe", thomas, google},
		{"python-3.14.0-embed-win32.zip", "hugo@python.org", github},
		{"python-3.12.0-macos11.pkg", thomas, google},
		{"python-3.14.0-aarch64-linux-android.tar.gz", "hugo@python.org", github},
		{"windows-3.14.0.json", "hugo@python.org", github},
	} {
		p := filepath.Join(dir, tc.name)
		body := []byte("contents of " + tc.name)
		os.WriteFile(p, body, 0o644)
		os.WriteFile(p+".sigstore", e.ss.Sign(t, tc.identity, tc.issuer, body), 0o644)
		code, stdout, stderr := e.run("verify", p)
		if code != 0 || stdout != "OK: "+tc.name+"\n" || !strings.Contains(stderr, "signed by "+tc.identity) {
			t.Errorf("%s: exit %d %q %q", tc.name, code, stdout, stderr)
		}
	}
	code, _, stderr := e.run("verify", filepath.Join(dir, "missing.tgz"))
	if code != exitNotFound || strings.Contains(stderr, "verify : ") || !strings.Contains(stderr, "missing.tgz") {
		t.Errorf("missing file: %d %q", code, stderr)
	}
}

// TestNoSuchRelease: an exact version the mirror does not have is exit 3
// naming the newest of its line.
func TestNoSuchRelease(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, nil)
	code, _, stderr := e.run("install", "3.13.50")
	if code != exitNotFound || !strings.Contains(stderr, "no release 3.13.50 on "+e.mirror.URL()+"; the newest 3.13 is 3.13.5") {
		t.Errorf("exit %d %q", code, stderr)
	}
}

// TestProgressInAPipe: in a pipe (a CI log) a download says when it
// starts and ends, then the steps after it; a cache-only --force says its
// steps too instead of running silent; --quiet says none of it.
func TestProgressInAPipe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
	_, _, stderr := e.run("install", "3.13.1")
	for _, want := range []string{"downloading Python-3.13.1.tar.xz (", "downloaded Python-3.13.1.tar.xz (", "verifying Python-3.13.1.tar.xz\n", "unpacking Python-3.13.1.tar.xz\n"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("first install: stderr lacks %q:\n%s", want, stderr)
		}
	}
	_, _, stderr = e.run("install", "--force", "3.13.1")
	if !strings.Contains(stderr, "verifying the cached Python-3.13.1.tar.xz\n") || !strings.Contains(stderr, "unpacking Python-3.13.1.tar.xz\n") {
		t.Errorf("--force from the cache: stderr %q", stderr)
	}
	_, _, stderr = e.run("install", "--force", "--quiet", "3.13.1")
	if strings.Contains(stderr, "verifying") || strings.Contains(stderr, "unpacking") {
		t.Errorf("--quiet: stderr %q", stderr)
	}
	// The short forms are the same flags: -f reinstalls, -q quiets.
	if code, _, stderr := e.run("install", "3.13.1", "-f"); code != 0 || !strings.Contains(stderr, "unpacking Python-3.13.1.tar.xz\n") {
		t.Errorf("-f: %d %q", code, stderr)
	}
	dir := filepath.Join(e.home, "versions", "3.13.1")
	old, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := e.run("install", "-f", "-q", "3.13.1"); code != 0 || strings.Contains(stderr, "verifying") || strings.Contains(stderr, "unpacking") {
		t.Errorf("-f -q: %d %q", code, stderr)
	}
	// Quiet, and still a reinstall: a new tree took the old one's place.
	if now, err := os.Stat(dir); err != nil || os.SameFile(old, now) {
		t.Errorf("-f -q did not reinstall: %v", err)
	}
}

// TestVersionFileEncodings: a .python-version saved by a Windows editor
// or PowerShell (a byte-order mark, UTF-16) reads as it looks.
func TestVersionFileEncodings(t *testing.T) {
	t.Parallel()
	const le, be = true, false
	utf16 := func(little bool, bom []byte, s string) []byte {
		b := bom
		for _, r := range s {
			if little {
				b = append(b, byte(r), byte(r>>8))
			} else {
				b = append(b, byte(r>>8), byte(r))
			}
		}
		return b
	}
	for _, tc := range []struct {
		name    string
		content []byte
		want    []string
		err     string
	}{
		{"UTF-8", []byte("3.13.5\n"), []string{"3.13.5"}, ""},
		{"UTF-8 with a BOM", []byte("\xef\xbb\xbf3.13\n3.12.8\n"), []string{"3.13", "3.12.8"}, ""},
		{"UTF-8 with a BOM and CRLF", []byte("\xef\xbb\xbf3.13\r\n"), []string{"3.13"}, ""},
		{"UTF-16LE (PowerShell 5)", utf16(le, []byte{0xff, 0xfe}, "3.13\r\n"), []string{"3.13"}, ""},
		{"UTF-16BE", utf16(be, []byte{0xfe, 0xff}, "3.12.8\n"), []string{"3.12.8"}, ""},
		{"UTF-16 cut short", append(utf16(le, []byte{0xff, 0xfe}, "3.13"), '\n'), nil, "odd number of bytes"},
		{"UTF-16 without a BOM", utf16(le, nil, "3.13\n"), nil, "line 1 is not a version spec"},
		{"a BOM in the middle", []byte("3.13\n\xef\xbb\xbf3.12\n"), nil, "line 2 is not a version spec"},
	} {
		specs, err := parseVersionFile("/p/.python-version", tc.content, func(string) {})
		if tc.err != "" {
			if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err != nil || !slices.Equal(specs, tc.want) {
			t.Errorf("%s: %q %v", tc.name, specs, err)
		}
	}
}
