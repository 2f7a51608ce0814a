package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
)

func TestInstallBuild(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		spec     pyfetchtest.BuildSpec
		code     int
		stderr   []string
		absent   []string // never on stderr
		missing  []string
		extraArg []string
	}{
		{name: "success", spec: pyfetchtest.BuildSpec{Missing: `["tkinter", "dbm.gnu"]`}, code: 0,
			stderr:  []string{"building 3.13.5: configure", "building 3.13.5: compile", "building 3.13.5: install", "building 3.13.5: checks", "built without tkinter, dbm.gnu"},
			missing: []string{"tkinter", "dbm.gnu"}, extraArg: []string{"--configure-opts", "--with-foo --without-bar"}},
		{name: "configure fails", spec: pyfetchtest.BuildSpec{Configure: "echo 'checking for a C compiler... no' ; exit 1"}, code: exitBuild,
			stderr: []string{"build failed: configure", "checking for a C compiler... no", "full log: "}},
		{name: "make fails", spec: pyfetchtest.BuildSpec{Make: "echo 'error: Modules/foo.c:1: boom' && exit 2"}, code: exitBuild,
			stderr: []string{"build failed: make", "Modules/foo.c:1: boom"}},
		{name: "ssl missing", spec: pyfetchtest.BuildSpec{Missing: `["ssl"]`}, code: exitBuild,
			stderr: []string{"cannot import ssl", "rebuild with"}},
		// CPython 3.11+ configure says which modules it can build: a
		// required one it cannot fails before the compile.
		{name: "configure finds no ssl", spec: pyfetchtest.BuildSpec{Makefile: "MODULE_ZLIB_STATE=yes\nMODULE__SSL_STATE=missing"}, code: exitBuild,
			stderr: []string{"configure found nothing to build ssl with", "rebuild with", "what configure found"}, absent: []string{"building 3.13.5: compile"}},
		{name: "configure finds both", spec: pyfetchtest.BuildSpec{Makefile: "MODULE_ZLIB_STATE=yes\nMODULE__SSL_STATE=yes"}, code: 0,
			stderr: []string{"building 3.13.5: compile"}, extraArg: []string{"--configure-opts", "--with-foo --without-bar"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, pyfetchtest.BuildableSource("3.13.5", tc.spec))
			out := filepath.Join(t.TempDir(), "gh_output")
			e.vars["GITHUB_OUTPUT"] = out
			args := append([]string{"install", "--build", "3.13.5"}, tc.extraArg...)
			code, stdout, stderr := e.run(args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout %q\nstderr %q", code, tc.code, stdout, stderr)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			for _, not := range tc.absent {
				if strings.Contains(stderr, not) {
					t.Errorf("stderr has %q:\n%s", not, stderr)
				}
			}
			if ents, _ := os.ReadDir(filepath.Join(e.home, "build")); len(ents) != 0 {
				t.Errorf("build folder left: %v", ents)
			}
			dir := filepath.Join(e.home, "versions", "3.13.5")
			if tc.code != 0 {
				if len(e.versions()) != 0 {
					t.Errorf("versions/ holds %v after a failed build", e.versions())
				}
				return
			}
			if !strings.Contains(stdout, "built 3.13.5 in "+dir+": "+filepath.Join(dir, "bin", "python3")) {
				t.Errorf("stdout %q", stdout)
			}
			for _, bin := range []string{"python3", "python", "pip3", "pip"} {
				if _, err := os.Stat(filepath.Join(dir, "bin", bin)); err != nil {
					t.Errorf("bin/%s: %v", bin, err)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "configure")); err == nil {
				t.Error("the source tree was installed, not the build")
			}
			rc, err := install.ReadReceipt(dir)
			if err != nil {
				t.Fatal(err)
			}
			b := rc.Build
			if rc.Kind != install.KindBuild || b == nil || strings.Join(b.Missing, ",") != strings.Join(tc.missing, ",") || b.MakeJobs < 1 || b.CacheKey == "" {
				t.Fatalf("receipt: %+v build %+v", rc, b)
			}
			if got := strings.Join(b.ConfigureArgs, " "); got != "--prefix="+dir+" --with-foo --without-bar" {
				t.Errorf("configure args %q", got)
			}
			log, _ := os.ReadFile(b.Log)
			if !strings.Contains(string(log), "configure --prefix="+dir) || !strings.Contains(string(log), "compiling") {
				t.Errorf("log %s lacks configure/make output:\n%s", b.Log, log)
			}
			gh, _ := os.ReadFile(out)
			for _, want := range []string{"python-path=" + filepath.Join(dir, "bin", "python3") + "\n", "python-home=" + dir + "\n", "cache-key=" + b.CacheKey + "\n"} {
				if !strings.Contains(string(gh), want) {
					t.Errorf("GITHUB_OUTPUT lacks %q:\n%s", want, gh)
				}
			}
			// path names the build; a second run finds it installed.
			if code, stdout, _ := e.run("path", "3.13"); code != 0 || stdout != dir+"\n" {
				t.Errorf("path: %d %q", code, stdout)
			}
			if code, stdout, _ := e.run("install", "--build", "3.13.5"); code != 0 || !strings.Contains(stdout, "already installed") {
				t.Errorf("rerun: %d %q", code, stdout)
			}
		})
	}
}

func TestBuildNeedsToolchainBeforeDownload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, nil)
	cmd := exec.Command(binary(t), "install", "--build", "3.13.5")
	cmd.Env = append(e.binaryEnv(), "PATH="+t.TempDir())
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitBuild || !strings.Contains(string(out), "cc and make not found") || !strings.Contains(string(out), "to fix it, run:") {
		t.Fatalf("%v: %s", err, out)
	}
	if n := len(e.mirror.Requests()); n != 0 {
		t.Errorf("%d requests before the toolchain check failed", n)
	}
}

// A configure argument that would move the install out of its tree (or
// build free-threaded under the default build's name) is a usage error
// before any request, not a failed build minutes later.
func TestConfigureOptsPyfetchSets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, nil)
	for _, tc := range []struct{ args []string }{
		{[]string{"install", "--build", "--configure-opts=--prefix=/usr", "3.13.5"}},
		{[]string{"install", "--build", "--configure-opts", "--enable-shared --libdir /usr/lib", "3.13.5"}},
		{[]string{"install", "--build", "--configure-opts=--disable-gil", "3.13.5"}},
		{[]string{"install", "--build", "--print-cache-key", "--configure-opts=exec_prefix=/opt", "3.13.5"}},
	} {
		code, _, stderr := e.run(tc.args...)
		if code != exitUsage || !strings.Contains(stderr, "--configure-opts (or PYFETCH_CONFIGURE_OPTS): configure argument pyfetch sets itself") {
			t.Errorf("%q: exit %d %q", tc.args, code, stderr)
		}
	}
	if n := len(e.mirror.Requests()); n != 0 {
		t.Errorf("%d requests before the configure arguments were refused", n)
	}
}

// TestBuildInterrupted: Ctrl-C (SIGINT) or SIGTERM to pyfetch alone stops
// the whole build: exit 130, no process of the build left, nothing in
// versions/, no build folder.
func TestBuildInterrupted(t *testing.T) {
	forEachInterrupt(t, func(t *testing.T, sig syscall.Signal) {
		e := newEnv(t)
		pidFile := filepath.Join(t.TempDir(), "compiler.pid")
		e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, pyfetchtest.BuildableSource("3.13.5", pyfetchtest.BuildSpec{
			Make: "sleep 300 & echo $$! > " + pidFile + "; wait",
		}))
		cmd := exec.Command(binary(t), "install", "--build", "3.13.5")
		cmd.Env = e.binaryEnv()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var pid int
		waitFor(t, func() bool {
			b, err := os.ReadFile(pidFile)
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
			return err == nil && pid > 0
		})
		cmd.Process.Signal(sig)
		err := cmd.Wait()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitInterrupted {
			t.Errorf("exit: %v, want %d", err, exitInterrupted)
		}
		// Exit 130 comes only once the build's group is gone.
		if alive(pid) {
			t.Errorf("pid %d of the interrupted build still runs after pyfetch exited", pid)
		}
		if len(e.versions()) != 0 {
			t.Errorf("versions/ holds %v", e.versions())
		}
		if ents, _ := os.ReadDir(filepath.Join(e.home, "build")); len(ents) != 0 {
			t.Errorf("build folder left: %v", ents)
		}
	})
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	return len(f) > 2 && f[2] != "Z"
}

// TestParallelBuildsBuildOnce: two processes building one version → one
// build (the version lock covers the build).
func TestParallelBuildsBuildOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes; skipped with -short")
	}
	t.Parallel()
	e := newEnv(t)
	counter := filepath.Join(t.TempDir(), "configure-runs")
	e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, pyfetchtest.BuildableSource("3.13.5", pyfetchtest.BuildSpec{
		Configure: "echo run >> " + counter, Make: "sleep 1",
	}))
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _, _ = runBinary(t, e.binaryEnv(), "install", "--build", "3.13.5")
		}()
	}
	wg.Wait()
	if codes[0] != 0 || codes[1] != 0 {
		t.Fatalf("exit codes %v", codes)
	}
	b, _ := os.ReadFile(counter)
	if n := strings.Count(string(b), "run"); n != 1 {
		t.Errorf("configure ran %d times, want 1", n)
	}
}

// TestFreeThreadedBuild: "3.13.5t" (or --freethreaded) builds with
// --disable-gil into versions/3.13.5t, beside a regular 3.13.5.
func TestFreeThreadedBuild(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, pyfetchtest.BuildableSource("3.13.5", pyfetchtest.BuildSpec{}))
	e.mirror.Publish(t, e.ss, "3.12.0", "tar.xz", thomas, google, pyfetchtest.BuildableSource("3.12.0", pyfetchtest.BuildSpec{}))
	code, stdout, stderr := e.run("install", "3.13.5t")
	dir := filepath.Join(e.home, "versions", "3.13.5t")
	if code != 0 || !strings.Contains(stdout, "built 3.13.5t in "+dir+": "+filepath.Join(dir, "bin", "python3")) {
		t.Fatalf("exit %d %q %q", code, stdout, stderr)
	}
	rc, err := install.ReadReceipt(dir)
	if err != nil || rc.Build == nil || !strings.Contains(strings.Join(rc.Build.ConfigureArgs, " "), "--disable-gil") {
		t.Fatalf("receipt %+v %v", rc, err)
	}
	if code, _, stderr := e.run("install", "--build", "3.13.5"); code != 0 {
		t.Fatal(stderr)
	}
	if code, stdout, _ := e.run("path", "3.13.5t"); code != 0 || stdout != dir+"\n" {
		t.Errorf("path 3.13.5t: %d %q", code, stdout)
	}
	if code, stdout, _ := e.run("path", "3.13"); code != 0 || stdout != filepath.Join(e.home, "versions", "3.13.5")+"\n" {
		t.Errorf("path 3.13: %d %q", code, stdout)
	}
	if code, stdout, _ := e.run("list"); code != 0 || !strings.Contains(stdout, "3.13.5t") || !strings.Contains(stdout, " build ") {
		t.Errorf("list: %d %q", code, stdout)
	}
	if code, _, stderr := e.run("install", "--build", "--freethreaded", "3.12.0"); code != exitUsage || !strings.Contains(stderr, "free-threaded builds exist from 3.13 on") {
		t.Errorf("3.12 free-threaded: %d %q", code, stderr)
	}
	if code, _, stderr := e.run("uninstall", "3.13.5t"); code != 0 {
		t.Errorf("uninstall 3.13.5t: %d %q", code, stderr)
	}
	if got := strings.Join(e.versions(), ","); got != "3.13.5" {
		t.Errorf("versions/ %s", got)
	}
}

// TestBuildFromEnvironment: PYFETCH_BUILD, PYFETCH_CONFIGURE_OPTS and
// PYFETCH_MAKE_JOBS work like their flags; GITHUB_PATH gets bin/;
// --force rebuilds atomically and --keep-source keeps the source.
func TestBuildFromEnvironment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, pyfetchtest.BuildableSource("3.13.5", pyfetchtest.BuildSpec{}))
	ghPath := filepath.Join(t.TempDir(), "gh_path")
	e.vars["PYFETCH_BUILD"] = "yes"
	e.vars["PYFETCH_CONFIGURE_OPTS"] = "--with-x --enable-y"
	e.vars["PYFETCH_MAKE_JOBS"] = "3"
	e.vars["GITHUB_PATH"] = ghPath
	if code, stdout, stderr := e.run("install", "3.13.5"); code != 0 || !strings.Contains(stdout, "built 3.13.5") {
		t.Fatalf("exit %d %q %q", code, stdout, stderr)
	}
	dir := filepath.Join(e.home, "versions", "3.13.5")
	rc, err := install.ReadReceipt(dir)
	if err != nil || rc.Build == nil || rc.Build.MakeJobs != 3 || !strings.HasSuffix(strings.Join(rc.Build.ConfigureArgs, " "), "--with-x --enable-y") {
		t.Fatalf("receipt %+v %v", rc, err)
	}
	if b, _ := os.ReadFile(ghPath); string(b) != filepath.Join(dir, "bin")+"\n" {
		t.Errorf("GITHUB_PATH %q", b)
	}
	first := rc.InstalledAt
	os.WriteFile(filepath.Join(dir, "marker"), []byte("old"), 0o644)
	if code, _, stderr := e.run("install", "--force", "--keep-source", "3.13.5"); code != 0 {
		t.Fatalf("--force: %d %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "marker")); !os.IsNotExist(err) {
		t.Error("--force kept the old tree")
	}
	if rc2, err := install.ReadReceipt(dir); err != nil || rc2.Build == nil || rc2.InstalledAt.Before(first) {
		t.Errorf("rebuilt receipt %+v %v", rc2, err)
	}
	if _, err := os.Stat(filepath.Join(e.home, "build", "3.13.5-src", "configure")); err != nil {
		t.Errorf("--keep-source: %v", err)
	}
}

// TestPhaseDisplayOnATerminal: the live line shows each phase and, when
// it ends (the next phase, the build's end, or stop), how long it took.
func TestPhaseDisplayOnATerminal(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	d := newPhaseDisplay(&out, true, 0)
	d.phase("3.13.5", "configure")
	d.phase("3.13.5", "compile")
	d.phase("3.13.5", "")
	d.phase("3.13.6", "configure")
	d.stop()
	d.stop()
	d.phase("3.13.6", "compile") // after stop: nothing
	want := "\rbuilding 3.13.5: configure\rbuilding 3.13.5: configure, done in 0s\n\rbuilding 3.13.5: compile\rbuilding 3.13.5: compile, done in 0s\n" +
		"\rbuilding 3.13.6: configure\rbuilding 3.13.6: configure, done in 0s\n"
	if out.String() != want {
		t.Errorf("got %q\nwant %q", out.String(), want)
	}
}

// TestPhaseDisplayHeartbeat: in a pipe, a phase still running is named
// again at each tick (a CI log never sits silent for long), a build that
// has ended is not, and nothing is written after stop.
func TestPhaseDisplayHeartbeat(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	d := newPhaseDisplay(&out, false, 10*time.Millisecond)
	text := func() string {
		d.mu.Lock()
		defer d.mu.Unlock()
		return out.String()
	}
	d.phase("3.13.5", "compile")
	d.phase("3.12.8", "configure")
	waitFor(t, func() bool {
		s := text()
		return strings.Contains(s, "building 3.13.5: compile, still running after") && strings.Contains(s, "building 3.12.8: configure, still running after")
	})
	d.phase("3.13.5", "")
	// A tick reads the phases under the lock: none names it from here on.
	before := strings.Count(text(), "3.13.5: compile, still running")
	time.Sleep(50 * time.Millisecond)
	if after := strings.Count(text(), "3.13.5: compile, still running"); after != before {
		t.Errorf("an ended build is still reported:\n%s", text())
	}
	d.phase("3.12.8", "install")
	if !strings.Contains(text(), "building 3.12.8: install (previous step took ") {
		t.Errorf("the next phase does not say how long the previous took:\n%s", text())
	}
	d.stop()
	n := len(text())
	time.Sleep(50 * time.Millisecond)
	if len(text()) != n {
		t.Errorf("written after stop:\n%s", text())
	}
	if !strings.HasPrefix(text(), "building 3.13.5: compile\nbuilding 3.12.8: configure\n") {
		t.Errorf("phase lines:\n%s", text())
	}
}

// TestBuildReplacesSourceInstall: --build where the source tree of that
// version is installed replaces it with the build (same signed bytes),
// and says so.
func TestBuildReplacesSourceInstall(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, pyfetchtest.BuildableSource("3.13.5", pyfetchtest.BuildSpec{}))
	if code, _, stderr := e.run("install", "3.13.5"); code != 0 {
		t.Fatal(stderr)
	}
	code, stdout, stderr := e.run("install", "--build", "3.13.5")
	if code != 0 || !strings.Contains(stdout, "built 3.13.5") || !strings.Contains(stderr, "installed as a source tree; replacing it with a build") {
		t.Fatalf("exit %d %q %q", code, stdout, stderr)
	}
	rc, err := install.ReadReceipt(filepath.Join(e.home, "versions", "3.13.5"))
	if err != nil || rc.Kind != install.KindBuild {
		t.Fatalf("receipt %+v %v", rc, err)
	}
	// A plain install does not downgrade a build to a source tree.
	if code, stdout, _ := e.run("install", "3.13.5"); code != 0 || !strings.Contains(stdout, "already installed") {
		t.Errorf("plain install over a build: %d %q", code, stdout)
	}
}

// TestCachePruneBuildLogs: build logs in cache/logs go by the artifacts'
// rule: prune removes those unused for 30 days unless an installed
// build's receipt names them, clean removes every one; a link planted
// among them (or as the folder) is never followed.
func TestCachePruneBuildLogs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, pyfetchtest.BuildableSource("3.13.5", pyfetchtest.BuildSpec{}))
	if code, _, stderr := e.run("install", "--build", "3.13.5"); code != 0 {
		t.Fatal(stderr)
	}
	rc, err := install.ReadReceipt(filepath.Join(e.home, "versions", "3.13.5"))
	if err != nil || rc.Build == nil {
		t.Fatalf("receipt %+v %v", rc, err)
	}
	logs := filepath.Join(e.home, "cache", "logs")
	old := time.Now().Add(-40 * 24 * time.Hour)
	installed := rc.Build.Log
	stale := filepath.Join(logs, "build-3.12.8-20260101T000000Z-1.log")
	fresh := filepath.Join(logs, "build-3.12.8-20261101T000000Z-2.log")
	outside := filepath.Join(t.TempDir(), "precious")
	for _, p := range []string{stale, fresh, outside} {
		if err := os.WriteFile(p, []byte("log\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(logs, "build-evil-20260101T000000Z-3.log")
	os.Symlink(outside, link)
	for _, p := range []string{installed, stale, outside} {
		os.Chtimes(p, old, old)
	}

	code, stdout, stderr := e.run("cache", "prune")
	if code != 0 || !strings.Contains(stdout, "removed build log "+filepath.Base(stale)) || !strings.Contains(stderr, "and 1 of 3 build logs") {
		t.Fatalf("prune: exit %d %q %q", code, stdout, stderr)
	}
	for p, want := range map[string]bool{installed: true, stale: false, fresh: true, outside: true, link: true} {
		if _, err := os.Lstat(p); (err == nil) != want {
			t.Errorf("after prune, %s exists: %v, want %v", p, err == nil, want)
		}
	}

	code, stdout, _ = e.run("cache", "clean", "--json")
	var res struct {
		Removed []struct{ Path string } `json:"removed_logs"`
		Kept    []struct{ Path string } `json:"kept_logs"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || len(res.Removed) != 2 || len(res.Kept) != 0 {
		t.Fatalf("clean: exit %d %q", code, stdout)
	}
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("a file outside the cache went through a planted link: %v", err)
	}
	if _, err := os.Lstat(installed); err == nil {
		t.Error("clean kept the installed build's log")
	}

	// The logs folder itself a link: nothing is listed through it.
	elsewhere := t.TempDir()
	decoy := filepath.Join(elsewhere, "build-x-20260101T000000Z-4.log")
	os.WriteFile(decoy, []byte("x"), 0o644)
	os.Chtimes(decoy, old, old)
	os.RemoveAll(logs)
	os.Symlink(elsewhere, logs)
	if code, _, stderr := e.run("cache", "clean"); code != 0 {
		t.Fatal(stderr)
	}
	if _, err := os.Stat(decoy); err != nil {
		t.Errorf("cleaned through a linked logs folder: %v", err)
	}
}

// TestSeveralBuildsTakeTurns: several versions with --build download and
// unpack in parallel but build one at a time (each with all the make
// jobs): two makes that overlap would both find the shared marker
// folder, and one would fail. The one that waits says so.
func TestSeveralBuildsTakeTurns(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	busy := filepath.Join(t.TempDir(), "busy")
	spec := pyfetchtest.BuildSpec{Make: "mkdir " + busy + " && sleep 1 && rmdir " + busy}
	for _, v := range []string{"3.12.8", "3.13.5"} {
		e.mirror.Publish(t, e.ss, v, "tar.xz", thomas, google, pyfetchtest.BuildableSource(v, spec))
	}
	code, stdout, stderr := e.run("install", "--build", "--jobs", "2", "3.12.8", "3.13.5")
	if code != 0 || strings.Count(stdout, "built 3.1") != 2 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, ": waiting for another build to finish") {
		t.Errorf("the wait is not said:\n%s", stderr)
	}
}

// TestBuildCaches: a rebuild runs under ccache (PYFETCH_CCACHE) and
// reuses configure's cache kept by the first build; a kept cache others
// may write is never handed to configure (it is sourced as shell).
func TestBuildCaches(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	spec := pyfetchtest.BuildSpec{Configure: `echo "CC=$CC"
for a in "$@"; do case "$a" in --cache-file=*) f="${a#--cache-file=}"; if [ -s "$f" ]; then echo "reused: $(cat "$f")"; fi; echo "ac_cv_found=yes" > "$f";; esac; done`}
	e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, pyfetchtest.BuildableSource("3.13.5", spec))
	fake := filepath.Join(t.TempDir(), "ccache")
	os.WriteFile(fake, []byte("#!/bin/sh\nexec \"$@\"\n"), 0o755)
	e.vars["PYFETCH_CCACHE"] = fake
	dir := filepath.Join(e.home, "versions", "3.13.5")
	build := func(t *testing.T) (*install.Receipt, string, string) {
		t.Helper()
		code, stdout, stderr := e.run("install", "--build", "--force", "3.13.5")
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
		rc, err := install.ReadReceipt(dir)
		if err != nil {
			t.Fatal(err)
		}
		log, _ := os.ReadFile(rc.Build.Log)
		return rc, string(log), stderr
	}
	rc, log, _ := build(t)
	if !rc.Build.CCache || rc.Build.ConfigureCache != "written" || !strings.Contains(log, "CC="+fake+" cc") || strings.Contains(log, "reused:") {
		t.Fatalf("first build: ccache %v, configure cache %q\n%s", rc.Build.CCache, rc.Build.ConfigureCache, log)
	}
	rc, log, _ = build(t)
	if rc.Build.ConfigureCache != "reused" || !strings.Contains(log, "reused: ac_cv_found=yes") {
		t.Fatalf("second build: configure cache %q\n%s", rc.Build.ConfigureCache, log)
	}
	// A kept cache anybody may write: not reused, and said so.
	kept, _ := filepath.Glob(filepath.Join(e.home, "cache", "configure", "*.cache"))
	if len(kept) != 1 {
		t.Fatalf("kept caches %v", kept)
	}
	os.WriteFile(kept[0], []byte("rm -rf / # planted\n"), 0o666)
	os.Chmod(kept[0], 0o666)
	rc, log, stderr := build(t)
	if rc.Build.ConfigureCache != "written" || strings.Contains(log, "planted") || !strings.Contains(stderr, "not reusing the configure cache") {
		t.Fatalf("planted cache: %q\n%s\n%s", rc.Build.ConfigureCache, log, stderr)
	}
	// Off: no ccache, no cache.
	e.vars["PYFETCH_CCACHE"], e.vars["PYFETCH_CONFIGURE_CACHE"] = "0", "0"
	if rc, log, _ = build(t); rc.Build.CCache || rc.Build.ConfigureCache != "" || strings.Contains(log, "CC="+fake) {
		t.Fatalf("off: %+v\n%s", rc.Build, log)
	}
}
