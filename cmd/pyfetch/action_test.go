package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
)

// runAction runs a step of action.yml (action/run.sh STEP) as a
// composite action would: the inputs as INPUT_* variables, a simulated
// GITHUB_OUTPUT and GITHUB_PATH, the built pyfetch as PYFETCH_BIN, in wd.
// It returns the exit code, stderr and GITHUB_OUTPUT's lines, with
// GITHUB_ENV's as "env.NAME".
func runAction(t *testing.T, e *env, wd, step string, inputs map[string]string) (int, string, map[string]string) {
	t.Helper()
	gh := t.TempDir()
	script, err := filepath.Abs(filepath.Join("..", "..", "action", "run.sh"))
	if err != nil {
		t.Fatal(err)
	}
	// Read by the test itself too, so that go test's cache knows a result
	// depends on the script (bash's reads are not seen).
	if _, err := os.ReadFile(script); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", script, step)
	cmd.Dir = wd
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "PYFETCH_BIN=" + binary(t), "RUNNER_TEMP=" + t.TempDir(),
		"GITHUB_OUTPUT=" + filepath.Join(gh, "output"), "GITHUB_PATH=" + filepath.Join(gh, "path"),
		"GITHUB_ENV=" + filepath.Join(gh, "env")}
	for k, v := range e.vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	for k, v := range inputs {
		cmd.Env = append(cmd.Env, "INPUT_"+k+"="+v)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	code := 0
	if err := cmd.Run(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatal(err)
		}
		code = ee.ExitCode()
	}
	outs := map[string]string{}
	for file, prefix := range map[string]string{"output": "", "env": "env."} {
		data, _ := os.ReadFile(filepath.Join(gh, file))
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				outs[prefix+k] = v
			}
		}
	}
	return code, stderr.String(), outs
}

func TestActionBuild(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, pyfetchtest.BuildableSource("3.13.5", pyfetchtest.BuildSpec{}))
	in := map[string]string{"PYTHON_VERSION": "3.13.5", "BUILD": "true"}
	code, stderr, outs := runAction(t, e, t.TempDir(), "key", in)
	if code != 0 || !strings.HasPrefix(outs["cache-key"], "pyfetch-3.13.5-") {
		t.Fatalf("key: exit %d %v\n%s", code, outs, stderr)
	}
	// cache: false (a release job): no key, so action.yml's actions/cache
	// step does not run, and nothing is downloaded for it.
	off := map[string]string{"PYTHON_VERSION": "3.13.5", "BUILD": "true", "CACHE": "false"}
	if code, stderr, outs := runAction(t, e, t.TempDir(), "key", off); code != 0 || outs["cache-key"] != "" {
		t.Errorf("key with cache: false: exit %d %v\n%s", code, outs, stderr)
	}
	code, stderr, outs = runAction(t, e, t.TempDir(), "install", in)
	py := filepath.Join(e.home, "versions", "3.13.5", "bin", "python3")
	if code != 0 || outs["python-path"] != py || outs["python-version"] != "3.13.5" || outs["cache-hit"] != "false" {
		t.Fatalf("install: exit %d %v\n%s", code, outs, stderr)
	}
	// The same job again (a cache restored): nothing to do, cache-hit.
	if code, _, outs = runAction(t, e, t.TempDir(), "install", in); code != 0 || outs["cache-hit"] != "true" {
		t.Errorf("again: exit %d %v", code, outs)
	}
}

func TestActionPrebuiltKeyContent(t *testing.T) {
	t.Parallel()
	f := newFleet(t, true)
	r := f.runner(t)
	pem, _ := os.ReadFile(f.pub("fleet"))
	in := map[string]string{"PYTHON_VERSION": "3.13.5", "PREBUILT_KEY": string(pem)}
	code, stderr, outs := runAction(t, r, t.TempDir(), "key", in)
	if code != 0 || outs["cache-key"] == "" {
		t.Fatalf("key: exit %d %v\n%s", code, outs, stderr)
	}
	code, stderr, outs = runAction(t, r, t.TempDir(), "install", in)
	dir := filepath.Join(r.home, "versions", "3.13.5")
	if code != 0 || outs["python-path"] != filepath.Join(dir, "bin", "python3") {
		t.Fatalf("install: exit %d %v\n%s", code, outs, stderr)
	}
	if rc, err := install.ReadReceipt(dir); err != nil || rc.Kind != install.KindPrebuilt {
		t.Errorf("receipt %+v %v", rc, err)
	}

	// A key named relative to the workspace, and a .python-version in a
	// subfolder: the install step moves there, the key stays the same file.
	ws := t.TempDir()
	os.MkdirAll(filepath.Join(ws, "app"), 0o755)
	os.WriteFile(filepath.Join(ws, "app", ".python-version"), []byte("3.13.5\n"), 0o644)
	os.MkdirAll(filepath.Join(ws, "keys"), 0o755)
	os.WriteFile(filepath.Join(ws, "keys", "fleet.pub"), pem, 0o644)
	in = map[string]string{"PYTHON_VERSION_FILE": "app/.python-version", "PREBUILT_KEY": "keys/fleet.pub"}
	r.vars["PYFETCH_HOME"] = filepath.Join(t.TempDir(), "home")
	for _, step := range []string{"key", "install"} {
		if code, stderr, outs := runAction(t, r, ws, step, in); code != 0 || (step == "key") == (outs["cache-key"] == "") {
			t.Errorf("relative key, %s: exit %d %v\n%s", step, code, outs, stderr)
		}
	}
}

func TestActionSetupHome(t *testing.T) {
	t.Parallel()
	e := &env{t: t, vars: map[string]string{"HOME": "/home/runner"}}
	ws := t.TempDir()
	for _, tc := range []struct {
		home, want string
		code       int
	}{
		// Relative to the workspace, where actions/cache looks too.
		{".pyfetch", filepath.Join(ws, ".pyfetch"), 0},
		{"/opt/pyfetch", "/opt/pyfetch", 0},
		// ~/ is the runner's home, as actions/cache reads its paths.
		{"~/.pyfetch", "/home/runner/.pyfetch", 0},
		{"~other/x", filepath.Join(ws, "~other/x"), 0},
		// A newline would write a second variable into GITHUB_ENV.
		{"/opt/pf\nNODE_OPTIONS=--require=/tmp/evil.js", "", exitUsage},
		{"/opt/pf\rX=1", "", exitUsage},
	} {
		code, stderr, outs := runAction(t, e, ws, "setup", map[string]string{"HOME": tc.home})
		if code != tc.code || outs["env.PYFETCH_HOME"] != tc.want || (tc.code != 0 && len(outs) != 0) {
			t.Errorf("home %q: exit %d %v\n%s", tc.home, code, outs, stderr)
		}
		if tc.code != 0 && (!strings.Contains(stderr, "home must be one line") || strings.ContainsAny(strings.TrimSuffix(stderr, "\n"), "\r\n")) {
			t.Errorf("home %q: stderr %q", tc.home, stderr)
		}
	}
}

func TestActionInputs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, pyfetchtest.SourceTree("3.13.5"))
	repo := t.TempDir()
	os.WriteFile(filepath.Join(repo, ".python-version"), []byte("3.13.5\n"), 0o644)
	// The version file; a source install has no cache key.
	in := map[string]string{"PYTHON_VERSION_FILE": filepath.Join(repo, ".python-version")}
	if code, stderr, outs := runAction(t, e, t.TempDir(), "key", in); code != 0 || outs["cache-key"] != "" {
		t.Errorf("key of a source install: exit %d %v\n%s", code, outs, stderr)
	}
	if code, stderr, outs := runAction(t, e, t.TempDir(), "install", in); code != 0 || outs["source-path"] != filepath.Join(e.home, "versions", "3.13.5") {
		t.Errorf("from the version file: exit %d %v\n%s", code, outs, stderr)
	}
	// asdf's .tool-versions, as setup-python's python-version-file takes it.
	tools := t.TempDir()
	os.WriteFile(filepath.Join(tools, ".tool-versions"), []byte("python 3.13.5\n"), 0o644)
	in = map[string]string{"PYTHON_VERSION_FILE": filepath.Join(tools, ".tool-versions")}
	if code, stderr, outs := runAction(t, e, t.TempDir(), "install", in); code != 0 || outs["source-path"] != filepath.Join(e.home, "versions", "3.13.5") {
		t.Errorf("from a .tool-versions: exit %d %v\n%s", code, outs, stderr)
	}
	// mise's files, by each of the names mise reads.
	for _, name := range miseNames {
		mise := t.TempDir()
		p := filepath.Join(mise, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("[tools]\npython = \"3.13.5\"\n"), 0o644)
		in = map[string]string{"PYTHON_VERSION_FILE": p}
		if code, stderr, outs := runAction(t, e, t.TempDir(), "install", in); code != 0 || outs["source-path"] != filepath.Join(e.home, "versions", "3.13.5") {
			t.Errorf("from a %s: exit %d %v\n%s", name, code, outs, stderr)
		}
	}
	// A range as python-version, with or without spaces (the input is
	// split on them between versions, not inside a range).
	for _, r := range []string{">=3.13,<3.14", ">=3.13, <3.14", ">=3.13 ,<3.14", "^3.13 || ^4", "3.13.5 >=3.13, <3.14"} {
		in = map[string]string{"PYTHON_VERSION": r}
		if code, stderr, outs := runAction(t, e, t.TempDir(), "install", in); code != 0 || outs["source-path"] != filepath.Join(e.home, "versions", "3.13.5") {
			t.Errorf("the range %q: exit %d %v\n%s", r, code, outs, stderr)
		}
	}
	// A pyproject.toml's requires-python; the file named is the one read,
	// even with a .python-version beside it.
	pp := t.TempDir()
	os.WriteFile(filepath.Join(pp, "pyproject.toml"), []byte("[project]\nrequires-python = \">=3.13\"\n"), 0o644)
	os.WriteFile(filepath.Join(pp, ".python-version"), []byte("3.12\n"), 0o644)
	in = map[string]string{"PYTHON_VERSION_FILE": filepath.Join(pp, "pyproject.toml")}
	if code, stderr, outs := runAction(t, e, t.TempDir(), "install", in); code != 0 || outs["source-path"] != filepath.Join(e.home, "versions", "3.13.5") {
		t.Errorf("from a pyproject.toml: exit %d %v\n%s", code, outs, stderr)
	}
	// Inputs are data, never shell.
	pwned := filepath.Join(t.TempDir(), "pwned")
	for name, tc := range map[string]struct {
		in   map[string]string
		want string
	}{
		"build is not a boolean":   {map[string]string{"PYTHON_VERSION": "3.13.5", "BUILD": "maybe"}, "build must be true or false"},
		"cache is not a boolean":   {map[string]string{"PYTHON_VERSION": "3.13.5", "CACHE": "no"}, "cache must be true or false"},
		"not a .python-version":    {map[string]string{"PYTHON_VERSION_FILE": filepath.Join(repo, "setup.cfg")}, "must name a .python-version"},
		"a config.toml not mise's": {map[string]string{"PYTHON_VERSION_FILE": filepath.Join(repo, "config.toml")}, "must name a .python-version"},
		"a name ending like one":   {map[string]string{"PYTHON_VERSION_FILE": filepath.Join(repo, "notmise.toml")}, "must name a .python-version"},
		"injection":                {map[string]string{"PYTHON_VERSION": "3.13.5; touch " + pwned, "MIRROR": "$(touch " + pwned + ")"}, ""},
	} {
		code, stderr, _ := runAction(t, e, t.TempDir(), "install", tc.in)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d\n%s", name, code, stderr)
		}
	}
	if _, err := os.Stat(pwned); err == nil {
		t.Error("an input ran as shell")
	}
}

// TestActionsPinned: every action the workflows and action.yml use is
// pinned to a commit, not a tag its owner (or a thief of its account) can
// move, since the release job holds the identity that signs pyfetch. Only
// the repository's own action (./) is exempt.
func TestActionsPinned(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob(filepath.Join("..", "..", ".github", "workflows", "*.yml"))
	files = append(files, filepath.Join("..", "..", "action.yml"))
	uses := regexp.MustCompile(`^\s*(?:-\s*)?uses:\s*(\S+)`)
	pinned := regexp.MustCompile(`^[\w.-]+/[\w./-]+@[0-9a-f]{40}$`)
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			m := uses.FindStringSubmatch(line)
			if m == nil || strings.HasPrefix(m[1], "./") {
				continue
			}
			n++
			if !pinned.MatchString(m[1]) {
				t.Errorf("%s:%d: %s is not pinned to a commit", f, i+1, m[1])
			}
		}
	}
	if n < 5 {
		t.Errorf("found %d uses: lines in %v: is the layout still the same?", n, files)
	}
}

// TestVerifyOwnRelease: a release of pyfetch checks the way
// docs/install-pyfetch.md says: checksums.txt, signed by the release
// workflow's identity for that tag, its bundle named as GoReleaser names
// it, verified by an existing pyfetch; another tag's run is refused. And
// .goreleaser.yaml has cosign write that bundle in the Sigstore format
// (cosign 2's default is an older one that sigstore-go does not read).
func TestVerifyOwnRelease(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const workflow = "https://github.com/pyfetch/pyfetch/.github/workflows/release.yml@refs/tags/v"
	const actions = "https://token.actions.githubusercontent.com"
	sums := filepath.Join(t.TempDir(), "checksums.txt")
	body := []byte("2f1c…  pyfetch_1.2.3_linux_amd64.tar.gz\n")
	os.WriteFile(sums, body, 0o644)
	os.WriteFile(sums+".sigstore.json", e.ss.Sign(t, workflow+"1.2.3", actions, body), 0o644)
	for _, tc := range []struct {
		tag  string
		code int
	}{{"1.2.3", 0}, {"1.2.4", exitVerify}} {
		code, stdout, stderr := e.run("verify", "--bundle", sums+".sigstore.json", "--cert-identity", workflow+tc.tag, "--cert-oidc-issuer", actions, sums)
		if code != tc.code || (code == 0) != (stdout == "OK: checksums.txt\n") {
			t.Errorf("expecting v%s: exit %d, stdout %q, stderr %q", tc.tag, code, stdout, stderr)
		}
	}

	data, err := os.ReadFile(filepath.Join("..", "..", ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Signs []struct {
			Cmd, Signature, Artifacts string
			Args                      []string
		}
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Signs) != 1 {
		t.Fatalf("signs: %+v", cfg.Signs)
	}
	s := cfg.Signs[0]
	if s.Cmd != "cosign" || s.Artifacts != "checksum" || s.Signature != "${artifact}.sigstore.json" ||
		!slices.Contains(s.Args, "--new-bundle-format") || !slices.Contains(s.Args, "--bundle=${signature}") {
		t.Errorf("the release does not sign checksums.txt into a Sigstore bundle beside it: %+v", s)
	}
}
