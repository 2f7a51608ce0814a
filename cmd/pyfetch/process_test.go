package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
)

// binaryEnv is the environment for the built binary: the test env's
// variables and nothing else.
func (e *env) binaryEnv() []string {
	out := []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range e.vars {
		out = append(out, k+"="+v)
	}
	return out
}

// TestConcurrentProcesses runs 8 pyfetch processes installing the same
// version into one home: one download, one unpack, every process exits 0.
// Then 4 processes install 4 different versions at once.
func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes; skipped with -short")
	}
	t.Parallel()
	e := releaseMirror(t)
	bin := binary(t)
	runN := func(args [][]string) []string {
		var wg sync.WaitGroup
		results := make([]string, len(args))
		for i, a := range args {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cmd := exec.Command(bin, a...)
				cmd.Env = e.binaryEnv()
				var out, errb bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &errb
				err := cmd.Run()
				results[i] = fmt.Sprintf("err=%v stdout=%q stderr=%q", err, out.String(), errb.String())
				if err != nil {
					t.Errorf("process %d (%v) failed: %s", i, a, results[i])
				}
			}()
		}
		wg.Wait()
		return results
	}
	same := make([][]string, 8)
	for i := range same {
		same[i] = []string{"install", "3.13.10"}
	}
	results := runN(same)
	if n := countPath(e.mirror.Requests(), "Python-3.13.10.tar.xz"); n != 1 {
		t.Errorf("artifact downloaded %d times by 8 processes, want 1", n)
	}
	installed := 0
	for _, r := range results {
		if strings.Contains(r, "installed 3.13.10 in") {
			installed++
		} else if !strings.Contains(r, "3.13.10 is already installed") {
			t.Errorf("unexpected output: %s", r)
		}
	}
	if installed != 1 {
		t.Errorf("%d processes unpacked, want exactly 1", installed)
	}
	assertTree(t, filepath.Join(e.home, "versions", "3.13.10"), "3.13.10")

	runN([][]string{{"install", "3.12.8"}, {"install", "3.13.9"}, {"install", "3.14.0"}, {"install", "3.15.0a1"}})
	for _, v := range []string{"3.12.8", "3.13.9", "3.14.0", "3.15.0a1"} {
		assertTree(t, filepath.Join(e.home, "versions", v), v)
	}
	assertNoLeftovers(t, e.home)
}

func assertTree(t *testing.T, dir, version string) {
	t.Helper()
	for _, f := range []string{"README.rst", "configure", "Include/patchlevel.h", "Lib/os.py", "Lib/test/data.txt", ".pyfetch-receipt.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s incomplete: %v", version, err)
		}
	}
}

// assertNoLeftovers fails on temp dirs or .part files anywhere in home.
func assertNoLeftovers(t *testing.T, home string) {
	t.Helper()
	filepath.Walk(home, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		name := fi.Name()
		if strings.HasPrefix(name, ".tmp-") || strings.HasSuffix(name, ".part") {
			t.Errorf("leftover %s", p)
		}
		return nil
	})
}

// slowArtifact makes the mirror trickle the artifact out (64 bytes every
// 50 ms) until the returned func turns it back to full speed.
func slowArtifact(e *env, r pyfetchtest.Release) (fast func()) {
	slow := true
	var mu sync.Mutex
	e.mirror.Fault(func(w http.ResponseWriter, req *http.Request, n int) bool {
		mu.Lock()
		s := slow
		mu.Unlock()
		if !s || !strings.HasSuffix(req.URL.Path, ".xz") {
			return false
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(r.Artifact)))
		for i := 0; i < len(r.Artifact); i += 64 {
			w.Write(r.Artifact[i:min(i+64, len(r.Artifact))])
			w.(http.Flusher).Flush()
			select {
			case <-req.Context().Done():
				return true
			case <-time.After(50 * time.Millisecond):
			}
		}
		return true
	})
	return func() {
		mu.Lock()
		slow = false
		mu.Unlock()
	}
}

// TestKillDuringDownload SIGKILLs pyfetch while the body trickles in,
// then reruns it: the rerun resumes or restarts and succeeds, leaving no
// partial install or .part behind. SIGINT (Ctrl-C) must end the run with
// exit 130 and the same guarantees.
func TestKillDuringDownload(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes; skipped with -short")
	}
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			defaultInChildren(sig)
			e := newEnv(t)
			r := e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
			fast := slowArtifact(e, r)
			cmd := exec.Command(binary(t), "install", "3.13.1")
			cmd.Env = e.binaryEnv()
			var errb bytes.Buffer
			cmd.Stderr = &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			part := filepath.Join(e.home, "cache", "3.13.1", "Python-3.13.1.tar.xz.part")
			waitFor(t, func() bool { fi, err := os.Stat(part); return err == nil && fi.Size() > 0 })
			cmd.Process.Signal(sig)
			err := cmd.Wait()
			if sig == syscall.SIGINT {
				ee, ok := err.(*exec.ExitError)
				if !ok || ee.ExitCode() != exitInterrupted || !strings.Contains(errb.String(), "interrupted; what was not finished was not installed, cached or uploaded") {
					t.Errorf("Ctrl-C: %v, stderr %q", err, errb.String())
				}
			}
			if got := e.versions(); len(got) != 0 {
				t.Fatalf("versions/ after %s during download: %v", sig, got)
			}
			fast()
			code, stdout, stderr := runBinary(t, e.binaryEnv(), "install", "3.13.1")
			if code != 0 || !strings.Contains(stdout, "installed 3.13.1") {
				t.Fatalf("rerun: exit %d %q %q", code, stdout, stderr)
			}
			assertTree(t, filepath.Join(e.home, "versions", "3.13.1"), "3.13.1")
			assertNoLeftovers(t, e.home)
		})
	}
}

// TestKillDuringUnpack SIGKILLs pyfetch while it unpacks a tree of many
// files: versions/ never shows a partial tree, and the rerun cleans the
// stale temp dir and succeeds.
func TestKillDuringUnpack(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes; skipped with -short")
	}
	t.Parallel()
	e := newEnv(t)
	top := "Python-3.13.1/"
	entries := pyfetchtest.SourceTree("3.13.1")
	for i := range 10000 {
		entries = append(entries, pyfetchtest.Entry{Name: fmt.Sprintf("%sLib/many/d%03d/f%05d.py", top, i/100, i), Body: "x = 1\n"})
	}
	entries = append(entries, pyfetchtest.Entry{Name: top + "zz/", Type: tar.TypeDir})
	e.mirror.Publish(t, e.ss, "3.13.1", "tgz", thomas, google, entries)
	e.vars["PYFETCH_FORMAT"] = "tgz"
	cmd := exec.Command(binary(t), "install", "3.13.1")
	cmd.Env = e.binaryEnv()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	versions := filepath.Join(e.home, "versions")
	waitFor(t, func() bool {
		m, _ := filepath.Glob(filepath.Join(versions, ".tmp-3.13.1-*", "Lib", "many", "d001"))
		return len(m) > 0
	})
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(versions, "3.13.1")); !os.IsNotExist(err) {
		t.Fatalf("a killed unpack left versions/3.13.1 (err %v)", err)
	}
	// 9 800 files were still to come: the kill landed mid-unpack.
	if m, _ := filepath.Glob(filepath.Join(versions, ".tmp-3.13.1-*")); len(m) != 1 {
		t.Fatalf("expected the killed unpack's temp dir, found %v", m)
	}
	code, stdout, stderr := runBinary(t, e.binaryEnv(), "install", "3.13.1")
	if code != 0 || !strings.Contains(stdout, "installed 3.13.1") {
		t.Fatalf("rerun: exit %d %q %q", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(versions, "3.13.1", "Lib", "many", "d099", "f09999.py")); err != nil {
		t.Errorf("rerun's tree is incomplete: %v", err)
	}
	assertNoLeftovers(t, e.home)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// needTerminal skips unless a pseudo-terminal can be made (util-linux's
// script) and processes may be spawned.
func needTerminal(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("spawns processes; skipped with -short")
	}
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script (util-linux) not installed; cannot make a terminal")
	}
}

// onTerminal runs the pyfetch binary with args on a pseudo-terminal, in
// the test env's variables only, and returns what the terminal showed.
func (e *env) onTerminal(t *testing.T, args ...string) ([]byte, error) {
	cmdline := "env -i " + strings.Join(e.binaryEnv(), " ") + " " + binary(t) + " " + strings.Join(args, " ")
	return exec.Command("script", "-qec", cmdline, "/dev/null").CombinedOutput()
}

// TestTerminalProgress runs pyfetch on a pseudo-terminal (util-linux's
// script): several installs print one line per artifact download, and
// bundles and listings print none.
func TestTerminalProgress(t *testing.T) {
	needTerminal(t)
	t.Parallel()
	e := releaseMirror(t)
	out, err := e.onTerminal(t, "install", "3.12", "3.13")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	text := strings.ReplaceAll(string(out), "\r", "")
	var progress []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "download") {
			progress = append(progress, strings.Fields(l)[0]+" "+strings.Fields(l)[1])
		}
	}
	slices.Sort(progress)
	want := []string{"downloaded Python-3.12.8.tar.xz", "downloaded Python-3.13.10.tar.xz", "downloading Python-3.12.8.tar.xz", "downloading Python-3.13.10.tar.xz"}
	if !slices.Equal(progress, want) {
		t.Errorf("progress lines %q, want %q\n%s", progress, want, text)
	}
}

// TestTerminalBar: one download on a pseudo-terminal draws a progress bar
// (name, percentage, rate) once barDelay has passed, with a rate
// of the order the mirror actually serves (never the "79 GB/s" a first
// frame drawn at once showed), and the install completes.
func TestTerminalBar(t *testing.T) {
	needTerminal(t)
	t.Parallel()
	e := newEnv(t)
	rel := e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
	// The artifact in ten pieces over about 1.5 s.
	e.mirror.Fault(func(w http.ResponseWriter, r *http.Request, _ int) bool {
		if !strings.HasSuffix(r.URL.Path, ".tar.xz") {
			return false
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(rel.Artifact)))
		w.WriteHeader(http.StatusOK)
		step := (len(rel.Artifact) + 9) / 10
		for i := 0; i < len(rel.Artifact); i += step {
			w.Write(rel.Artifact[i:min(i+step, len(rel.Artifact))])
			w.(http.Flusher).Flush()
			time.Sleep(150 * time.Millisecond)
		}
		return true
	})
	out, err := e.onTerminal(t, "install", "3.13.1")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	text := string(out)
	frame := regexp.MustCompile(`Python-3\.13\.1\.tar\.xz\s+\d+% \|[^|]*\| \(([0-9.]+) ([kMG]?B)/s\)`)
	frames := frame.FindAllStringSubmatch(text, -1)
	if len(frames) == 0 {
		t.Fatalf("no progress bar drawn (artifact %d bytes):\n%q", len(rel.Artifact), text)
	}
	// The mirror serves the artifact over ~1.5 s: no frame may claim more
	// than ten times that rate.
	limit := float64(len(rel.Artifact)) / 1.5 * 10
	unit := map[string]float64{"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}
	for _, f := range frames {
		v, _ := strconv.ParseFloat(f[1], 64)
		if v*unit[f[2]] > limit {
			t.Errorf("frame %q claims %s %s/s for %d bytes served over 1.5 s", f[0], f[1], f[2], len(rel.Artifact))
		}
	}
	if !slices.Contains(e.versions(), "3.13.1") {
		t.Errorf("not installed: %v\n%s", e.versions(), text)
	}
}

// SIGHUP (a closed terminal, a dropped SSH session) ends a run as Ctrl-C
// does (TestBuildInterrupted and TestSignalsAlwaysEndARun cover it), but
// a run started with SIGHUP ignored, as nohup starts it, keeps going and
// installs.
func TestNohupKeepsRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes; skipped with -short")
	}
	nohup, err := exec.LookPath("nohup")
	if err != nil {
		t.Skip("no nohup here")
	}
	t.Parallel()
	e := newEnv(t)
	r := e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
	fast := slowArtifact(e, r)
	cmd := exec.Command(nohup, binary(t), "install", "3.13.1")
	cmd.Env = e.binaryEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	part := filepath.Join(e.home, "cache", "3.13.1", "Python-3.13.1.tar.xz.part")
	waitFor(t, func() bool { fi, err := os.Stat(part); return err == nil && fi.Size() > 0 })
	cmd.Process.Signal(syscall.SIGHUP) // nohup exec'd pyfetch: the same process
	fast()
	if err := cmd.Wait(); err != nil || !strings.Contains(out.String(), "installed 3.13.1") {
		t.Fatalf("under nohup, after SIGHUP: %v\nstdout %q\nstderr %q", err, out.String(), errb.String())
	}
	assertTree(t, filepath.Join(e.home, "versions", "3.13.1"), "3.13.1")
}
