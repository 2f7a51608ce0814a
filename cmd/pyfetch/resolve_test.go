package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
	"github.com/pyfetch/pyfetch/resolve"
)

const (
	thomas = "thomas@python.org"
	google = "https://accounts.google.com"
	hugo   = "hugo@python.org"
	github = "https://github.com/login/oauth"
)

// releaseMirror publishes a small history: 3.12.8, 3.13.9, 3.13.10, a
// 3.13.11 without bundle, 3.14.0rc1, 3.14.0 and 3.15.0a1.
func releaseMirror(t *testing.T) *env {
	e := newEnv(t)
	for _, v := range []string{"3.12.8", "3.13.9", "3.13.10", "3.13.11"} {
		e.mirror.Publish(t, e.ss, v, "tar.xz", thomas, google, nil)
	}
	os.Remove(filepath.Join(e.mirror.Dir, "3.13.11", "Python-3.13.11.tar.xz.sigstore"))
	for _, v := range []string{"3.14.0rc1", "3.14.0", "3.15.0a1"} {
		e.mirror.Publish(t, e.ss, v, "tar.xz", hugo, github, nil)
	}
	return e
}

// projectWithSub is a project folder and its src/ subfolder, where the
// commands run to find the project's files above them.
func projectWithSub(t *testing.T) (project, sub string) {
	t.Helper()
	project = t.TempDir()
	sub = filepath.Join(project, "src")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	return project, sub
}

func TestInstallResolves(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want []string // versions installed, in order
		code int
	}{
		{[]string{"3.13"}, []string{"3.13.10"}, 0},
		{[]string{"3"}, []string{"3.14.0"}, 0},
		{[]string{"latest"}, []string{"3.14.0"}, 0},
		{[]string{"--pre", "latest"}, []string{"3.15.0a1"}, 0},
		{[]string{"3.15"}, nil, exitNotFound},
		{[]string{"3.15.0a1"}, []string{"3.15.0a1"}, 0},
		{[]string{"3.14.0rc1"}, []string{"3.14.0rc1"}, 0},
		{[]string{"3.13.11"}, nil, exitNotFound}, // named exactly, bundle missing: refused
		{[]string{"3.12", "3.13"}, []string{"3.12.8", "3.13.10"}, 0},
		// PEP 440 ranges: the newest final release in them that is signed.
		{[]string{">=3.12,<3.14"}, []string{"3.13.10"}, 0},
		{[]string{">=3.12"}, []string{"3.14.0"}, 0},
		{[]string{"--pre", ">=3.12"}, []string{"3.15.0a1"}, 0},
		{[]string{"--pre", "<3.14"}, []string{"3.13.10"}, 0}, // never 3.14.0rc1
		{[]string{"~=3.12.0"}, []string{"3.12.8"}, 0},
		{[]string{"==3.15.0a1"}, []string{"3.15.0a1"}, 0}, // names a prerelease
		{[]string{">=3.16"}, nil, exitNotFound},
		{[]string{"^3.12"}, []string{"3.14.0"}, 0},  // Poetry's caret
		{[]string{"~3.13"}, []string{"3.13.10"}, 0}, // and tilde
		{[]string{">=3.11 || <3"}, nil, exitUsage},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			e := releaseMirror(t)
			code, stdout, stderr := e.run(append([]string{"install"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, stderr)
			}
			got := e.versions()
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("installed %v, want %v\nstdout %s\nstderr %s", got, tc.want, stdout, stderr)
			}
		})
	}
}

func TestManageInstalls(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	ghOut := filepath.Join(t.TempDir(), "gh_output")
	e.vars["GITHUB_OUTPUT"] = ghOut
	if code, _, stderr := e.run("install", "--json", "3.12", "3.13"); code != 0 {
		t.Fatalf("install: %s", stderr)
	}
	out, _ := os.ReadFile(ghOut)
	// A source tree is source-path, never python-path (issue #21): only
	// an interpreter is python-path.
	for _, want := range []string{"python-version=3.13.10\n", "source-path=" + filepath.Join(e.home, "versions", "3.13.10") + "\n", "signer=thomas@python.org\n", "sha256=", "cache-hit=false\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("GITHUB_OUTPUT lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "python-path=") {
		t.Errorf("a source install wrote python-path:\n%s", out)
	}
	os.Remove(ghOut)
	if code, _, stderr := e.run("install", "3.13"); code != 0 {
		t.Fatal(stderr)
	}
	if out, _ := os.ReadFile(ghOut); !strings.Contains(string(out), "cache-hit=true\n") {
		t.Errorf("already installed: GITHUB_OUTPUT %q lacks cache-hit=true", out)
	}

	// path resolves against installs.
	code, stdout, _ := e.run("path", "3.13")
	if code != 0 || stdout != filepath.Join(e.home, "versions", "3.13.10")+"\n" {
		t.Errorf("path 3.13: exit %d %q", code, stdout)
	}
	if code, _, stderr := e.run("path", "3.14"); code != exitNotFound || !strings.Contains(stderr, "installed: [3.13.10 3.12.8]") {
		t.Errorf("path 3.14: exit %d %q", code, stderr)
	}

	// releases marks installed and signed versions.
	code, stdout, _ = e.run("releases", "--json", "3.13")
	var doc struct {
		Releases []resolve.Offer `json:"releases"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &doc) != nil {
		t.Fatalf("releases --json: exit %d %q", code, stdout)
	}
	var got []string
	for _, o := range doc.Releases {
		got = append(got, o.Version+":"+strings.Join(o.Signed, "+")+":"+map[bool]string{true: "i", false: "-"}[o.Installed])
	}
	if want := "3.13.11::-,3.13.10:tar.xz:i,3.13.9:tar.xz:-"; strings.Join(got, ",") != want {
		t.Errorf("releases 3.13 = %s, want %s", strings.Join(got, ","), want)
	}
	code, stdout, _ = e.run("releases")
	if code != 0 || !strings.Contains(stdout, "3.14.0     tar.xz         signed: tar.xz") || strings.Contains(stdout, "3.15.0a1") {
		t.Errorf("releases: %q", stdout)
	}

	// uninstall removes the tree, then path and uninstall say it is gone.
	if code, stdout, stderr := e.run("uninstall", "3.13.10"); code != 0 || !strings.HasPrefix(stdout, "removed 3.13.10") {
		t.Fatalf("uninstall: exit %d %q %q", code, stdout, stderr)
	}
	if got := e.versions(); strings.Join(got, ",") != "3.12.8" {
		t.Errorf("after uninstall versions/ holds %v", got)
	}
	if code, _, _ := e.run("uninstall", "3.13.10"); code != exitNotFound {
		t.Errorf("second uninstall: exit %d", code)
	}
	if code, _, _ := e.run("uninstall", "../../etc"); code != exitUsage {
		t.Errorf("uninstall ../../etc: exit %d, want usage", code)
	}
	code, stdout, _ = e.run("list", "--json")
	var list struct {
		Versions []install.Installed `json:"versions"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &list) != nil || len(list.Versions) != 1 {
		t.Errorf("list after uninstall: %q", stdout)
	}
}

func TestIndexIsCached(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	if code, _, stderr := e.run("releases", "3.13"); code != 0 {
		t.Fatal(stderr)
	}
	before := len(e.mirror.Requests())
	if code, _, stderr := e.run("releases", "3.13"); code != 0 {
		t.Fatal(stderr)
	}
	if after := len(e.mirror.Requests()); after != before {
		t.Errorf("second listing within the TTL made %d requests", after-before)
	}
	// Offline answers from the cached index and says how old it is.
	e.mirror.Server.Close()
	code, stdout, stderr := e.run("releases", "--offline", "3.13")
	if code != 0 || !strings.Contains(stdout, "3.13.10") || !strings.Contains(stderr, "offline: using the release index cached") {
		t.Errorf("offline releases: exit %d %q %q", code, stdout, stderr)
	}
}

// Offline with no cached listing, resolving lists the download cache:
// a spec it cannot answer says so, not "not on python.org".
func TestOfflineWithoutIndexSaysSo(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	code, stdout, stderr := e.run("releases", "--offline", "3.13")
	if code != exitNotFound || stdout != "" || !strings.Contains(stderr, `no release matches "3.13" on the download cache`) || !strings.Contains(stderr, "no listing of "+e.mirror.URL()) {
		t.Errorf("offline releases without an index: exit %d %q %q", code, stdout, stderr)
	}
	code, _, stderr = e.run("install", "--offline", "3.13")
	if code != exitNotFound || !strings.Contains(stderr, `matching "3.13"`) || !strings.Contains(stderr, "on the download cache") || !strings.Contains(stderr, "run pyfetch fetch or releases online once") {
		t.Errorf("offline install 3.13 without an index: exit %d %q", code, stderr)
	}
	if n := len(e.mirror.Requests()); n != 0 {
		t.Errorf("offline made %d requests", n)
	}
	// With the listing cached, a miss names the mirror as before.
	if code, _, stderr := e.run("releases", "3.13"); code != 0 {
		t.Fatal(stderr)
	}
	code, _, stderr = e.run("install", "--offline", "3.12")
	if code != exitNotFound || strings.Contains(stderr, "download cache") || !strings.Contains(stderr, "on "+e.mirror.URL()) {
		t.Errorf("offline install 3.12 with an index: exit %d %q", code, stderr)
	}
}

func TestSignersFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	file := filepath.Join(t.TempDir(), "signers.json")
	os.WriteFile(file, []byte(`{"lines": {"3.16": {"identity": "new-rm@python.org", "issuer": "https://github.com/login/oauth"},
	  "3.13": {"identity": "other@python.org", "issuer": "https://accounts.google.com"}}}`), 0o644)
	e.vars["PYFETCH_SIGNERS"] = file
	e.mirror.Publish(t, e.ss, "3.16.0", "tar.xz", "new-rm@python.org", github, nil)
	code, stdout, stderr := e.run("install", "3.16.0")
	if code != 0 || !strings.Contains(stdout, "signed by new-rm@python.org") {
		t.Fatalf("install 3.16.0: exit %d %q %q", code, stdout, stderr)
	}
	for _, want := range []string{"note: signers file adds 3.16: new-rm@python.org", "note: signers file overrides 3.13: other@python.org via https://accounts.google.com (built in: thomas@python.org via https://accounts.google.com)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	code, stdout, _ = e.run("signers")
	if code != 0 || !strings.Contains(stdout, "3.16  new-rm@python.org") {
		t.Errorf("signers: %q", stdout)
	}
	os.WriteFile(file, []byte(`{"lines": {"3.16": {"identity": "nobody", "issuer": "http://x"}}}`), 0o644)
	if code, _, stderr := e.run("signers"); code != exitUsage || !strings.Contains(stderr, "expected an e-mail identity") {
		t.Errorf("bad signers file: exit %d %q", code, stderr)
	}
}

func TestGitHubPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	entries := append(pyfetchtest.SourceTree("3.13.1"), pyfetchtest.Entry{Name: "Python-3.13.1/bin/python3", Body: "#!/bin/sh\n", Mode: 0o755})
	e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, entries)
	ghPath := filepath.Join(t.TempDir(), "gh_path")
	e.vars["GITHUB_PATH"] = ghPath
	if code, _, stderr := e.run("install", "3.13.1"); code != 0 {
		t.Fatal(stderr)
	}
	got, _ := os.ReadFile(ghPath)
	if want := filepath.Join(e.home, "versions", "3.13.1", "bin") + "\n"; string(got) != want {
		t.Errorf("GITHUB_PATH = %q, want %q", got, want)
	}
}

// releases with nothing to offer is "not found" (exit 3), as install
// says it, so a script can branch on it; --json still prints its one
// document.
func TestReleasesNoneIsNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
	if code, stdout, stderr := e.run("releases", "3.99"); code != exitNotFound || stdout != "" || !strings.Contains(stderr, `no release matches "3.99" on `+e.mirror.URL()) {
		t.Errorf("releases 3.99: exit %d %q %q", code, stdout, stderr)
	}
	code, stdout, stderr := e.run("releases", "--json", "3.99")
	var doc struct {
		Mirror   string
		Releases []any
	}
	if err := json.Unmarshal([]byte(stdout), &doc); code != exitNotFound || err != nil || doc.Releases == nil || len(doc.Releases) != 0 || strings.Count(stdout, "{") != 1 {
		t.Errorf("releases --json 3.99: exit %d %v %q %q", code, err, stdout, stderr)
	}
	if code, stdout, _ := e.run("releases", "3.13"); code != 0 || !strings.Contains(stdout, "3.13.1") {
		t.Errorf("releases 3.13: exit %d %q", code, stdout)
	}
}

// A pyproject.toml's requires-python is read where no folder up the tree
// has a .python-version or .tool-versions, as uv does (else Poetry's
// python dependency, as setup-python does); its bytes are never echoed,
// and a value that is not a range is refused. --version-file names one.
func TestPyprojectRequiresPython(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	project, sub := projectWithSub(t)
	pp := filepath.Join(project, "pyproject.toml")
	os.WriteFile(pp, []byte("[build-system]\nrequires = [\"hatchling\"]\n\n[project]\nname = \"app\"\nrequires-python = \">=3.12, <3.14\"\n"), 0o644)
	code, stdout, stderr := e.runIn(sub, "install")
	if code != 0 || !strings.Contains(stdout, "installed 3.13.10") || !strings.Contains(stderr, "using >=3.12, <3.14 from "+pp) {
		t.Errorf("install from pyproject.toml: exit %d %q %q", code, stdout, stderr)
	}
	if code, stdout, stderr := e.runIn(sub, "path"); code != 0 || strings.TrimSpace(stdout) != filepath.Join(e.home, "versions", "3.13.10") {
		t.Errorf("path from pyproject.toml: exit %d %q %q", code, stdout, stderr)
	}
	// lock pins it next to the pyproject.toml, and install --locked
	// installs that pin.
	if code, _, stderr := e.runIn(sub, "lock"); code != 0 {
		t.Fatalf("lock: exit %d %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(project, "pyfetch.lock")); err != nil {
		t.Errorf("lock did not write next to the pyproject.toml: %v", err)
	}
	if code, stdout, stderr := e.runIn(sub, "install", "--locked", "--force"); code != 0 || !strings.Contains(stdout, "3.13.10") {
		t.Errorf("install --locked: exit %d %q %q", code, stdout, stderr)
	}
	// One without requires-python is passed over; a .python-version
	// anywhere up the tree wins over a nearer pyproject.toml.
	os.WriteFile(filepath.Join(sub, "pyproject.toml"), []byte("[tool.ruff]\nline-length = 100\n"), 0o644)
	if code, _, stderr := e.runIn(sub, "install"); code != 0 || !strings.Contains(stderr, "using >=3.12, <3.14 from "+pp) {
		t.Errorf("a pyproject.toml without requires-python: exit %d %q", code, stderr)
	}
	os.WriteFile(filepath.Join(sub, "pyproject.toml"), []byte("[project]\nrequires-python = \">=3.13\"\n"), 0o644)
	os.WriteFile(filepath.Join(project, ".python-version"), []byte("~=3.12.0 # a range works there too\n"), 0o644)
	if code, stdout, stderr := e.runIn(sub, "install"); code != 0 || !strings.Contains(stdout, "installed 3.12.8") {
		t.Errorf("a .python-version above a pyproject.toml: exit %d %q %q", code, stdout, stderr)
	}
	// Poetry's python dependency, where there is no requires-python.
	os.WriteFile(filepath.Join(sub, "pyproject.toml"), []byte("[tool.poetry]\nname = \"app\"\n\n[tool.poetry.dependencies]\npython = \"~3.12\"\nrequests = \"^2.31\"\n"), 0o644)
	if code, stdout, stderr := e.runIn(sub, "install", "--version-file", "pyproject.toml"); code != 0 || !strings.Contains(stdout, "3.12.8") || !strings.Contains(stderr, "using ~3.12 from") {
		t.Errorf("Poetry's python: exit %d %q %q", code, stdout, stderr)
	}
	os.WriteFile(filepath.Join(sub, "pyproject.toml"), []byte("[project]\nrequires-python = \">=3.13\"\n"), 0o644)
	// --version-file reads the file it names, and only that one.
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--version-file", "pyproject.toml"}, 0, "installed 3.14.0"},
		{[]string{"--version-file", pp}, 0, "installed 3.13.10"},
		{[]string{"--version-file", "../.python-version"}, 0, "installed 3.12.8"},
		{[]string{"--version-file", "nope.toml"}, exitUsage, "--version-file: open " + filepath.Join(sub, "nope.toml")},
		{[]string{"--version-file", "pyproject.toml", "3.13"}, exitUsage, "no SPEC is given"},
	} {
		code, stdout, stderr := e.runIn(sub, append([]string{"install", "--force"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stdout+stderr, tc.want) {
			t.Errorf("install %v: exit %d %q %q", tc.args, code, stdout, stderr)
		}
	}
	// lock and install --locked with --version-file naming another
	// project's file: the pins are written and found beside it.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "pyproject.toml"), []byte("[project]\nrequires-python = \"~=3.12.0\"\n"), 0o644)
	elsewhere := t.TempDir()
	if code, _, stderr := e.runIn(elsewhere, "lock", "--version-file", filepath.Join(other, "pyproject.toml")); code != 0 {
		t.Errorf("lock --version-file: exit %d %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(other, "pyfetch.lock")); err != nil {
		t.Errorf("lock --version-file did not pin beside it: %v", err)
	}
	if code, stdout, stderr := e.runIn(elsewhere, "install", "--locked", "--force", "--version-file", filepath.Join(other, "pyproject.toml")); code != 0 || !strings.Contains(stdout, "3.12.8") {
		t.Errorf("install --locked --version-file: exit %d %q %q", code, stdout, stderr)
	}
	os.WriteFile(filepath.Join(sub, ".tool-versions"), []byte("nodejs 22\n"), 0o644)
	if code, _, stderr := e.runIn(sub, "path", "--version-file", ".tool-versions"); code != exitUsage || !strings.Contains(stderr, "has no python line") {
		t.Errorf("path --version-file naming a .tool-versions without python: exit %d %q", code, stderr)
	}
	os.Remove(filepath.Join(sub, ".tool-versions"))
	os.Remove(filepath.Join(project, ".python-version"))
	os.Remove(filepath.Join(sub, "pyproject.toml"))
	refusesVersionFiles(t, e, sub, pp, []hostileFile{
		{"not TOML", "[project\nrequires-python = \">=3.12\" # SECRET\n", "line 1, column 9: not valid TOML"},
		{"not a string", "[project]\nrequires-python = 3.12\n", "line 2: project.requires-python is a TOML float, of the wrong type"},
		{"a bare version", "[project]\nrequires-python = \"3.12 SECRET\"\n", "requires-python does not start with a PEP 440 operator, ^ or ~"},
		{"Poetry's, not a range", "[tool.poetry.dependencies]\npython = \"3.12 SECRET\"\n", "[tool.poetry.dependencies] python does not start with"},
		{"Poetry's, a shell word", "[tool.poetry.dependencies]\npython = \"^3.12 $(SECRET)\"\n", "[tool.poetry.dependencies] python: not a version spec: a caret or tilde range with a character"},
		{"a shell word", "[project]\nrequires-python = \">=3.12 $(SECRET)\"\n", "cannot contain, at byte 8"},
		{"npm's or", "[project]\nrequires-python = \">=3.12 || <3\"\n", "cannot contain"},
		{"a terminal escape", "[project]\nrequires-python = \">=3.12\\u001b[2J\"\n", "cannot contain"},
	})
}

// asdf's and mise's .tool-versions: its python line names the versions
// where a folder has no .python-version (which wins beside it); one
// without a python line is passed over, as asdf does; its versions are
// checked as a .python-version's lines are.
func TestToolVersions(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	project, sub := projectWithSub(t)
	tv := filepath.Join(project, ".tool-versions")
	os.WriteFile(tv, []byte("nodejs 20.11.0\npython 3.13.10 system # the system one as a fallback\n"), 0o644)
	code, stdout, stderr := e.runIn(sub, "install")
	if code != 0 || !strings.Contains(stdout, "installed 3.13.10") || !strings.Contains(stderr, "using 3.13.10 from "+tv) || !strings.Contains(stderr, "line 2 names the system Python") {
		t.Errorf("install from .tool-versions: exit %d %q %q", code, stdout, stderr)
	}
	// A monorepo's, listing many tools before python (over the 4 KiB a
	// .python-version may have).
	os.WriteFile(tv, []byte(strings.Repeat("# a comment line about the tools this repository pins\n", 200)+"python 3.13.10\n"), 0o644)
	if code, _, stderr := e.runIn(sub, "install"); code != 0 || !strings.Contains(stderr, "using 3.13.10 from "+tv) {
		t.Errorf("a large .tool-versions: exit %d %q", code, stderr)
	}
	// One without a python line is passed over.
	os.WriteFile(filepath.Join(sub, ".tool-versions"), []byte("golang 1.26.8\n"), 0o644)
	if code, _, stderr := e.runIn(sub, "install"); code != 0 || !strings.Contains(stderr, "from "+tv) {
		t.Errorf("a .tool-versions without python: exit %d %q", code, stderr)
	}
	// A .python-version beside it wins.
	os.WriteFile(filepath.Join(project, ".python-version"), []byte("3.12\n"), 0o644)
	if code, stdout, stderr := e.runIn(sub, "install"); code != 0 || !strings.Contains(stdout, "installed 3.12.8") {
		t.Errorf("with a .python-version beside it: exit %d %q %q", code, stdout, stderr)
	}
	os.Remove(filepath.Join(project, ".python-version"))
	os.WriteFile(tv, []byte("# tools\npython 3.13 $(id)\n"), 0o644)
	if code, _, stderr := e.runIn(sub, "install"); code != exitUsage || !strings.Contains(stderr, tv+" line 2 is not a version spec") || strings.Contains(stderr, "(id)") {
		t.Errorf("a bad version: exit %d %q", code, stderr)
	}
}

// mise's mise.toml and .mise.toml: [tools] python names the versions
// (a string, a table with a version, an array of those) where a folder
// has no .python-version, and wins over a .tool-versions beside it, as in
// mise; one without python is passed over. Its values are checked as a
// .python-version's lines are, and never shown.
func TestMiseToml(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	project, sub := projectWithSub(t)
	mt := filepath.Join(project, "mise.toml")
	os.WriteFile(mt, []byte("[env]\nNODE_ENV = \"production\"\n\n[tools]\nnode = \"22\"\npython = \"3.13.10\"\n"), 0o644)
	os.WriteFile(filepath.Join(project, ".tool-versions"), []byte("python 3.12\n"), 0o644)
	code, stdout, stderr := e.runIn(sub, "install")
	if code != 0 || !strings.Contains(stdout, "installed 3.13.10") || !strings.Contains(stderr, "using 3.13.10 from "+mt) {
		t.Errorf("install from mise.toml: exit %d %q %q", code, stdout, stderr)
	}
	// A .mise.toml, with an array holding a table; a mise.toml without
	// python (in sub) is passed over.
	os.Remove(mt)
	dot := filepath.Join(project, ".mise.toml")
	os.WriteFile(dot, []byte("[tools]\npython = [\"3.12\", { version = \"3.13.10\", virtualenv = \".venv\" }]\n"), 0o644)
	os.WriteFile(filepath.Join(sub, "mise.toml"), []byte("[tools]\ngo = \"1.26\"\n"), 0o644)
	if code, stdout, stderr := e.runIn(sub, "install", "--force"); code != 0 || !strings.Contains(stdout, "installed 3.12.8") || !strings.Contains(stdout, "installed 3.13.10") || !strings.Contains(stderr, "from "+dot) {
		t.Errorf("install from .mise.toml: exit %d %q %q", code, stdout, stderr)
	}
	if code, stdout, stderr := e.runIn(sub, "path"); code != 0 || strings.TrimSpace(stdout) != filepath.Join(e.home, "versions", "3.12.8") {
		t.Errorf("path from .mise.toml: exit %d %q %q", code, stdout, stderr)
	}
	// core:python, and a .python-version beside it wins.
	os.WriteFile(dot, []byte("[tools]\n\"core:python\" = { version = \"3.13\" }\n"), 0o644)
	if code, stdout, stderr := e.runIn(sub, "path"); code != 0 || strings.TrimSpace(stdout) != filepath.Join(e.home, "versions", "3.13.10") {
		t.Errorf("core:python: exit %d %q %q", code, stdout, stderr)
	}
	os.WriteFile(filepath.Join(project, ".python-version"), []byte("3.12\n"), 0o644)
	if code, stdout, stderr := e.runIn(sub, "path"); code != 0 || strings.TrimSpace(stdout) != filepath.Join(e.home, "versions", "3.12.8") {
		t.Errorf("with a .python-version beside it: exit %d %q %q", code, stdout, stderr)
	}
	os.Remove(filepath.Join(project, ".python-version"))
	if code, _, stderr := e.runIn(sub, "path", "--version-file", "mise.toml"); code != exitUsage || !strings.Contains(stderr, "has no python under [tools]") {
		t.Errorf("--version-file naming a mise.toml without python: exit %d %q", code, stderr)
	}
	os.Remove(filepath.Join(sub, "mise.toml"))
	// mise's other names, each over the .mise.toml beside it, as mise
	// prefers them; --version-file reads one by its name too.
	for _, name := range []string{".config/mise/config.toml", ".config/mise.toml", "mise/config.toml", "mise.local.toml"} {
		p := filepath.Join(project, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("[tools]\npython = \"3.12\"\n"), 0o644)
		if code, stdout, stderr := e.runIn(sub, "path"); code != 0 || strings.TrimSpace(stdout) != filepath.Join(e.home, "versions", "3.12.8") {
			t.Errorf("%s: exit %d %q %q", name, code, stdout, stderr)
		}
		if code, stdout, stderr := e.runIn(project, "path", "--version-file", name); code != 0 || strings.TrimSpace(stdout) != filepath.Join(e.home, "versions", "3.12.8") {
			t.Errorf("--version-file %s: exit %d %q %q", name, code, stdout, stderr)
		}
	}
	os.WriteFile(filepath.Join(project, "mise.toml"), []byte("[tools]\npython = \"3.13\"\n"), 0o644)
	if code, stdout, stderr := e.runIn(sub, "path"); code != 0 || strings.TrimSpace(stdout) != filepath.Join(e.home, "versions", "3.12.8") {
		t.Errorf("mise.local.toml over mise.toml: exit %d %q %q", code, stdout, stderr)
	}
	for _, name := range []string{".config", "mise", "mise.local.toml", "mise.toml"} {
		os.RemoveAll(filepath.Join(project, name))
	}
	refusesVersionFiles(t, e, sub, dot, []hostileFile{
		{"mise's ref: prefix", "[tools]\npython = \"ref:SECRET\"\n", "[tools] python is not a version spec, starting \"re\""},
		{"a shell word", "[tools]\npython = \"3.13 $(SECRET)\"\n", "[tools] python is not a version spec (expected"},
		{"a terminal escape", "[tools]\npython = \"3.13\\u001b[2JSECRET\"\n", "is not a version spec"},
		{"a number", "[tools]\npython = 3.12\n", "[tools] python is neither a string of versions"},
		{"a table without a version", "[tools]\npython = { virtualenv = \"SECRET\" }\n", "[tools] python is neither a string of versions"},
		{"an array holding a number", "[tools]\npython = [\"3.13\", 3]\n", "[tools] python is neither a string of versions"},
		{"only the system one", "[tools]\npython = \"system\"\n", "names no version but the system Python"},
		{"not TOML", "[tools\npython = \"3.13\" # SECRET\n", "line 1, column 7: not valid TOML"},
	})
}

// uv's .python-versions: what install (fetch, lock) installs, read
// before the .python-version beside it, as uv python install does; path
// (the one to use) reads the .python-version first, as uv's other
// commands do, and the .python-versions where it is alone.
func TestUvPythonVersions(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	project, sub := projectWithSub(t)
	several := filepath.Join(project, ".python-versions")
	os.WriteFile(several, []byte("3.13.10\n3.12 # the oldest we test\n"), 0o644)
	os.WriteFile(filepath.Join(project, ".python-version"), []byte("3.12\n"), 0o644)
	code, stdout, stderr := e.runIn(sub, "install")
	if code != 0 || !strings.Contains(stdout, "installed 3.13.10") || !strings.Contains(stdout, "installed 3.12.8") || !strings.Contains(stderr, "using 3.13.10 3.12 from "+several) {
		t.Errorf("install from .python-versions: exit %d %q %q", code, stdout, stderr)
	}
	if code, stdout, stderr := e.runIn(sub, "path"); code != 0 || strings.TrimSpace(stdout) != filepath.Join(e.home, "versions", "3.12.8") {
		t.Errorf("path with both: exit %d %q %q", code, stdout, stderr)
	}
	os.Remove(filepath.Join(project, ".python-version"))
	if code, stdout, stderr := e.runIn(sub, "path"); code != 0 || strings.TrimSpace(stdout) != filepath.Join(e.home, "versions", "3.13.10") {
		t.Errorf("path with a .python-versions alone: exit %d %q %q", code, stdout, stderr)
	}
	// A version named twice is read once (the "using" line too).
	os.WriteFile(several, []byte("3.13\n3.12\n3.13\n"), 0o644)
	if code, _, stderr := e.runIn(sub, "install"); code != 0 || !strings.Contains(stderr, "using 3.13 3.12 from "+several+"\n") {
		t.Errorf("a version named twice: exit %d %q", code, stderr)
	}
	os.WriteFile(several, []byte("3.13\n$(SECRET)\n"), 0o644)
	if code, _, stderr := e.runIn(sub, "install"); code != exitUsage || !strings.Contains(stderr, several+" line 2 is not a version spec") || strings.Contains(stderr, "SECRET") {
		t.Errorf("a bad .python-versions: exit %d %q", code, stderr)
	}
}

// hostileFile is a version file's content, and what its refusal says.
type hostileFile struct{ name, content, want string }

// refusesVersionFiles writes each content at path and checks that install
// in dir refuses it with exit 2 in its JSON, naming the file and saying
// want, without showing the file's SECRET or an escape character.
func refusesVersionFiles(t *testing.T, e *env, dir, path string, files []hostileFile) {
	t.Helper()
	for _, tc := range files {
		os.WriteFile(path, []byte(tc.content), 0o644)
		code, stdout, stderr := e.runIn(dir, "install", "--json")
		if code != exitUsage || !strings.Contains(stderr, path) || !strings.Contains(stderr, tc.want) ||
			strings.Contains(stderr+stdout, "SECRET") || strings.Contains(stderr+stdout, "\x1b") || !strings.Contains(stdout, `"exit_code": 2`) {
			t.Errorf("%s: exit %d %q %q", tc.name, code, stdout, stderr)
		}
	}
}
