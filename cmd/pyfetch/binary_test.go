package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

// TestMain removes the built binary at the end.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// binary builds cmd/pyfetch once per test run. Some behaviour (what
// reaches the process's real stderr) can only be seen from outside.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "pyfetch-bin-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "pyfetch")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = err
			t.Logf("%s", out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build pyfetch: %v", buildErr)
	}
	return binPath
}

// runBinary runs the built pyfetch with only the given environment.
func runBinary(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), o.String(), e.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, o.String(), e.String()
}

// TestRealVerifyCLI verifies every genuine python.org bundle in digest
// mode, offline, against the embedded root, through the real binary: the
// output must be exactly "OK: <name>" and sigstore-go's compatibility
// verifier line (P-384 bundles) must not reach stderr.
func TestRealVerifyCLI(t *testing.T) {
	dir := pyfetchtest.RealDir(t)
	env := []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	for _, a := range pyfetchtest.RealArtifacts(t) {
		t.Run(a.File, func(t *testing.T) {
			bundle := filepath.Join(dir, "bundles", a.File+".sigstore")
			code, stdout, stderr := runBinary(t, env, "verify", "--offline", "--bundle", bundle, "sha256:"+a.SHA256)
			if code != 0 || stdout != "OK: "+a.File+"\n" {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			if strings.Contains(stderr, "compatibility verifier") || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr carries more than pyfetch's one line: %q", stderr)
			}
			// Another release manager's identity must fail, with exit 4.
			code, _, stderr = runBinary(t, env, "verify", "--offline", "--bundle", bundle,
				"--cert-identity", "mallory@python.org", "--cert-oidc-issuer", "https://accounts.google.com", "sha256:"+a.SHA256)
			if code != exitVerify || !strings.Contains(stderr, "expected: mallory@python.org") {
				t.Errorf("wrong identity: exit %d, stderr %q", code, stderr)
			}
		})
	}
}

// TestRealInstallOffline installs the genuine CPython 3.13.5 tarball with
// its genuine bundle from a file:// mirror, offline, embedded root.
func TestRealInstallOffline(t *testing.T) {
	if testing.Short() {
		t.Skip("unpacks 5 000 files; skipped with -short")
	}
	_, mirror := realMirror(t)
	home := t.TempDir()
	env := []string{"HOME=" + t.TempDir(), "PYFETCH_HOME=" + home, "PATH=" + os.Getenv("PATH")}
	code, stdout, stderr := runBinary(t, env, "install", "--offline", "--format", "tar.xz", "--mirror", "file://"+mirror, "3.13.5")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	want := "installed 3.13.5 in " + filepath.Join(home, "versions", "3.13.5") +
		" (sha256 93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640, signed by thomas@python.org via https://accounts.google.com)\n"
	if stdout != want || !onlyProgress(stderr) {
		t.Errorf("stdout %q\nwant   %q\nstderr %q", stdout, want, stderr)
	}
	if _, err := os.Stat(filepath.Join(home, "versions", "3.13.5", "Include", "patchlevel.h")); err != nil {
		t.Error(err)
	}
}

// TestRealBuild builds the genuine CPython 3.13.5 from its genuine bundle
// (public-good root), then runs the new interpreter and pip. It takes
// minutes on 2 cores, so it runs only with PYFETCH_REAL_BUILD=1 (set by
// .ci/run and `make test-build`).
func TestRealBuild(t *testing.T) {
	home, build := realBuild(t)
	code, stdout, stderr := build("3.13.5")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	t.Logf("%s%s", stdout, stderr)
	dir := filepath.Join(home, "versions", "3.13.5")
	py := filepath.Join(dir, "bin", "python3")
	out, err := exec.Command(py, "-c", "import ssl, zlib, sqlite3, ctypes, bz2, lzma, sys; print(sys.prefix)").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != dir {
		t.Errorf("python3: %v: %s (want sys.prefix %s)", err, out, dir)
	}
	out, err = exec.Command(filepath.Join(dir, "bin", "pip"), "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "pip ") {
		t.Errorf("pip --version: %v: %s", err, out)
	}
	rc, err := install.ReadReceipt(dir)
	if err != nil || rc.Kind != install.KindBuild || rc.Build == nil || rc.SHA256 != "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640" {
		t.Errorf("receipt %+v: %v", rc, err)
	}
	t.Run("prebuilt", func(t *testing.T) { realPrebuilt(t, home) })
}

// realPrebuilt publishes the genuine build in home, signed with a fresh
// fleet key, to a mirror folder, installs it under another home (a
// longer path) and checks it was relocated: pip3 runs, ssl and sqlite3
// import, sysconfig's paths are all inside the new prefix, and a tiny C
// extension compiles against python3-config --includes and imports.
func realPrebuilt(t *testing.T, home string) {
	real := pyfetchtest.RealDir(t)
	rootFile, _ := filepath.Abs(filepath.Join(real, "public-good-trusted_root.json"))
	keys, mirror := t.TempDir(), t.TempDir()
	env := []string{"HOME=" + t.TempDir(), "PYFETCH_HOME=" + home, "PATH=" + os.Getenv("PATH")}
	if code, out, errs := runBinary(t, env, "keygen", filepath.Join(keys, "fleet")); code != 0 {
		t.Fatalf("keygen: %d %s %s", code, out, errs)
	}
	code, stdout, stderr := runBinary(t, env, "publish", "--offline", "--trusted-root", rootFile, "--sign-key", filepath.Join(keys, "fleet.key"), mirror, "3.13.5")
	if code != 0 {
		t.Fatalf("publish: exit %d\n%s\n%s", code, stdout, stderr)
	}
	t.Logf("%s%s", stdout, stderr)
	runner := filepath.Join(t.TempDir(), "a", "longer", "runner", "home")
	renv := []string{"HOME=" + t.TempDir(), "PYFETCH_HOME=" + runner, "PATH=" + os.Getenv("PATH")}
	code, stdout, stderr = runBinary(t, renv, "install", "--offline", "--trusted-root", rootFile, "--mirror", "file://"+mirror,
		"--prebuilt", "--prebuilt-key", filepath.Join(keys, "fleet.pub"), "3.13.5")
	if code != 0 {
		t.Fatalf("install --prebuilt: exit %d\n%s\n%s", code, stdout, stderr)
	}
	dir := filepath.Join(runner, "versions", "3.13.5")
	bin := func(name string, args ...string) string {
		t.Helper()
		out, err := exec.Command(filepath.Join(dir, "bin", name), args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if out := bin("pip3", "--version"); !strings.Contains(out, "pip ") || !strings.Contains(out, dir) {
		t.Errorf("pip3 --version: %s", out)
	}
	out := bin("python3", "-c", "import ssl, sqlite3, sysconfig, json; print(json.dumps([sysconfig.get_paths(), sysconfig.get_config_var('prefix'), sysconfig.get_config_var('LIBDIR')]))")
	var got []any
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 3 {
		t.Fatalf("sysconfig: %v %s", err, out)
	}
	paths, _ := got[0].(map[string]any)
	for k, v := range paths {
		if p, _ := v.(string); p != dir && !strings.HasPrefix(p, dir+"/") {
			t.Errorf("sysconfig path %s = %v, outside %s", k, v, dir)
		}
	}
	for _, v := range got[1:] {
		if p, _ := v.(string); p != dir && !strings.HasPrefix(p, dir+"/") {
			t.Errorf("sysconfig config var %v outside %s", v, dir)
		}
	}
	ext := t.TempDir()
	src := filepath.Join(ext, "hello.c")
	os.WriteFile(src, []byte(`#include <Python.h>
static PyObject *hi(PyObject *s, PyObject *a) { return PyUnicode_FromString("hi"); }
static PyMethodDef M[] = {{"hi", hi, METH_NOARGS, ""}, {0}};
static struct PyModuleDef D = {PyModuleDef_HEAD_INIT, "hello", 0, -1, M};
PyMODINIT_FUNC PyInit_hello(void) { return PyModule_Create(&D); }
`), 0o644)
	includes := strings.Fields(bin("python3-config", "--includes"))
	suffix := bin("python3-config", "--extension-suffix")
	for _, inc := range includes {
		if !strings.HasPrefix(inc, "-I"+dir+"/") {
			t.Errorf("python3-config --includes gives %s, outside %s", inc, dir)
		}
	}
	cc := exec.Command("cc", append(append([]string{"-shared", "-fPIC"}, includes...), src, "-o", filepath.Join(ext, "hello"+suffix))...)
	if out, err := cc.CombinedOutput(); err != nil {
		t.Fatalf("cc: %v\n%s", err, out)
	}
	py := exec.Command(filepath.Join(dir, "bin", "python3"), "-c", "import hello; print(hello.hi())")
	py.Dir = ext
	if out, err := py.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "hi" {
		t.Errorf("the C extension: %v %s", err, out)
	}
}

// TestRealBuildStopsWithoutSSL: the genuine 3.13.5 configured so that
// it finds no OpenSSL fails right after configure (exit 7, the install
// command, nothing installed), not after minutes of compiling. Runs with
// PYFETCH_REAL_BUILD=1 (about 30 s: configure only).
func TestRealBuildStopsWithoutSSL(t *testing.T) {
	home, build := realBuild(t)
	code, stdout, stderr := build("--configure-opts", "--with-openssl=/nonexistent", "3.13.5")
	if code != exitBuild || !strings.Contains(stderr, "configure found nothing to build ssl with") || !strings.Contains(stderr, "to fix it, run:") ||
		!strings.Contains(stderr, "checking for stdlib extension module _ssl... missing") || strings.Contains(stderr, "building 3.13.5: compile") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if ents, _ := os.ReadDir(filepath.Join(home, "versions")); len(ents) > 1 { // the lock file may stay
		t.Errorf("versions/ after the failure: %v", ents)
	}
}

// realBuild skips unless PYFETCH_REAL_BUILD=1; otherwise it returns a
// fresh home and a function running `install --build` of the genuine
// 3.13.5 tar.xz into it, offline, from a file:// mirror, with the
// public-good root, plus args.
func realBuild(t *testing.T) (home string, install func(args ...string) (int, string, string)) {
	t.Helper()
	if os.Getenv("PYFETCH_REAL_BUILD") != "1" {
		t.Skip("set PYFETCH_REAL_BUILD=1 to build the real CPython 3.13.5 (minutes; needs build-essential and the -dev packages)")
	}
	real, mirror := realMirror(t)
	rootFile, _ := filepath.Abs(filepath.Join(real, "public-good-trusted_root.json"))
	home = t.TempDir()
	env := []string{"HOME=" + t.TempDir(), "PYFETCH_HOME=" + home, "PATH=" + os.Getenv("PATH")}
	return home, func(args ...string) (int, string, string) {
		base := []string{"install", "--build", "--offline", "--trusted-root", rootFile, "--format", "tar.xz", "--mirror", "file://" + mirror}
		return runBinary(t, env, append(base, args...)...)
	}
}

// realMirror is a file:// mirror holding the genuine 3.13.5 tar.xz and its
// genuine bundle (links into ../shared/fixtures/real, which it returns).
func realMirror(t *testing.T) (real, mirror string) {
	t.Helper()
	real = pyfetchtest.RealDir(t)
	mirror = t.TempDir()
	os.Mkdir(filepath.Join(mirror, "3.13.5"), 0o755)
	for _, f := range []string{"artifacts/Python-3.13.5.tar.xz", "bundles/Python-3.13.5.tar.xz.sigstore"} {
		src, _ := filepath.Abs(filepath.Join(real, f))
		if err := os.Symlink(src, filepath.Join(mirror, "3.13.5", filepath.Base(f))); err != nil {
			t.Fatal(err)
		}
	}
	return real, mirror
}
