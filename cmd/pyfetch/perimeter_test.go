package main

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pyfetch/pyfetch/compile"
	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
)

// The perimeter around the signature: files pyfetch reads that someone
// else wrote, and text from outside that reaches a terminal, a CI log or
// GITHUB_OUTPUT. One attack per case.

// otherUID is a user that is neither the test's nor root.
const otherUID = 4242

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("planting another user's files needs root (CI runs as root)")
	}
}

// A repository's .python-version is hostile: its bytes never reach an
// error message, whatever it links to.
func TestHostileVersionFile(t *testing.T) {
	t.Parallel()
	const secret = "ghp_S3CRETtokenVALUE0123456789"
	for _, tc := range []struct {
		name    string
		plant   func(dir string)
		wantErr string
	}{
		{"a link to a credentials file", func(dir string) {
			creds := filepath.Join(t.TempDir(), ".git-credentials")
			os.WriteFile(creds, []byte("https://x:"+secret+"@github.com\n"), 0o600)
			os.Symlink(creds, filepath.Join(dir, ".python-version"))
		}, "line 1 is not a version spec"},
		{"a link to the process environment", func(dir string) {
			os.Setenv("PYFETCH_TEST_SECRET", secret)
			os.Symlink("/proc/self/environ", filepath.Join(dir, ".python-version"))
		}, "is not a version spec"},
		{"a secret after a good line", func(dir string) {
			os.WriteFile(filepath.Join(dir, ".python-version"), []byte("3.13\n"+secret+"\n"), 0o644)
		}, "line 2 is not a version spec"},
		{"a spec-like prefix", func(dir string) {
			os.WriteFile(filepath.Join(dir, ".python-version"), []byte("3.13.5-"+secret+"\n"), 0o644)
		}, `starting "3.13.5-"`},
		{"a large file", func(dir string) {
			os.WriteFile(filepath.Join(dir, ".python-version"), []byte(strings.Repeat("3.13\n", 2000)), 0o644)
		}, "larger than 4096 bytes"},
		{"a FIFO", func(dir string) {
			syscall.Mkfifo(filepath.Join(dir, ".python-version"), 0o644)
		}, "not a regular file (a FIFO)"},
		{"every release", func(dir string) {
			var b strings.Builder
			for minor := 8; minor <= 14; minor++ {
				for patch := range 10 {
					fmt.Fprintf(&b, "3.%d.%d\n", minor, patch)
				}
			}
			os.WriteFile(filepath.Join(dir, ".python-version"), []byte(b.String()), 0o644)
		}, "names 70 versions, more than the 32 pyfetch reads from a version file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.plant(dir)
			var notes []string
			_, _, err := findVersionFile(dir, true, func(s string) { notes = append(notes, s) })
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error() + strings.Join(notes, "\n")
			if !strings.Contains(msg, tc.wantErr) {
				t.Errorf("error %q, want it to say %q", msg, tc.wantErr)
			}
			if n := strings.Count(msg, filepath.Join(dir, ".python-version")); n != 1 {
				t.Errorf("error names the file %d times, want once: %q", n, msg)
			}
			for _, leak := range []string{secret[:12], "S3CRET", "PATH=", "HOME="} {
				if strings.Contains(msg, leak) {
					t.Errorf("error leaks %q: %s", leak, msg)
				}
			}
			if code := exitCode(err); code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
		})
	}
}

// A .python-version in a folder of another user (as /tmp would let any
// user plant one above a checkout) is not used, and that is said.
func TestVersionFileOfAnotherUser(t *testing.T) {
	needRoot(t)
	t.Parallel()
	for _, owner := range []string{"folder", "file"} {
		t.Run(owner, func(t *testing.T) {
			parent := t.TempDir()
			project := filepath.Join(parent, "project")
			os.Mkdir(project, 0o755)
			f := filepath.Join(parent, ".python-version")
			os.WriteFile(f, []byte("3.9\n"), 0o644)
			if owner == "folder" {
				os.Chown(parent, otherUID, otherUID)
			} else {
				os.Chown(f, otherUID, otherUID)
			}
			var notes []string
			file, specs, err := findVersionFile(project, false, func(s string) { notes = append(notes, s) })
			if err != nil || file != "" || specs != nil {
				t.Fatalf("used %q %v %v", file, specs, err)
			}
			if len(notes) != 1 || !strings.Contains(notes[0], "not using "+f) || !strings.Contains(notes[0], "uid 4242") {
				t.Errorf("notes %q", notes)
			}
			// Named with --version-file (a container job running as root
			// names its workspace's), it is read: the user chose it.
			a := &app{wd: project, stderr: io.Discard}
			if file, specs, err := (&versionFileOpts{versionFile: "../.python-version"}).find(a); err != nil || file != f || len(specs) != 1 || specs[0] != "3.9" {
				t.Errorf("--version-file: %q %v %v", file, specs, err)
			}
		})
	}
}

// installed3131 installs a signed 3.13.1 into e's home.
func (e *env) installed3131() string {
	e.t.Helper()
	e.mirror.Publish(e.t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
	if code, _, stderr := e.run("install", "3.13.1"); code != 0 {
		e.t.Fatal(stderr)
	}
	return filepath.Join(e.home, "versions", "3.13.1")
}

// plantedReceipt is a receipt as a forger would write it.
func plantedReceipt(version string) []byte {
	b, _ := json.Marshal(map[string]any{"version": version, "kind": "build", "artifact": "Python-" + version + ".tar.xz",
		"sha256": strings.Repeat("ab", 32), "signer": "thomas@python.org", "issuer": "https://accounts.google.com"})
	return b
}

// Installed means installed by you: a tree planted where another user
// could put it is never reported as installed, handed out by path, put
// on GITHUB_PATH or skipped over by install.
func TestPlantedInstallIsNotInstalled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		root  bool
		plant func(t *testing.T, home string) // plants versions/3.13.1
		want  string
	}{
		{"versions/ writable by others", false, func(t *testing.T, home string) {
			plantTree(t, filepath.Join(home, "versions"), "3.13.1")
			os.Chmod(filepath.Join(home, "versions"), 0o777)
		}, "chmod go-w"},
		{"versions/ is a symlink", false, func(t *testing.T, home string) {
			elsewhere := t.TempDir()
			plantTree(t, elsewhere, "3.13.1")
			os.Symlink(elsewhere, filepath.Join(home, "versions"))
		}, "is a symlink"},
		{"install folder writable by others", false, func(t *testing.T, home string) {
			plantTree(t, filepath.Join(home, "versions"), "3.13.1")
			os.Chmod(filepath.Join(home, "versions", "3.13.1"), 0o777)
		}, "not trusted"},
		{"install folder is a symlink", false, func(t *testing.T, home string) {
			elsewhere := t.TempDir()
			plantTree(t, elsewhere, "3.13.1")
			os.MkdirAll(filepath.Join(home, "versions"), 0o755)
			os.Symlink(filepath.Join(elsewhere, "3.13.1"), filepath.Join(home, "versions", "3.13.1"))
		}, "not trusted"},
		{"receipt hard-linked", false, func(t *testing.T, home string) {
			plantTree(t, filepath.Join(home, "versions"), "3.13.1")
			os.Link(filepath.Join(home, "versions", "3.13.1", install.ReceiptName), filepath.Join(home, "receipt-copy"))
		}, "hard-linked"},
		{"versions/ of another user", true, func(t *testing.T, home string) {
			plantTree(t, filepath.Join(home, "versions"), "3.13.1")
			os.Chown(filepath.Join(home, "versions"), otherUID, otherUID)
		}, "owner uid 4242"},
		{"install folder of another user", true, func(t *testing.T, home string) {
			plantTree(t, filepath.Join(home, "versions"), "3.13.1")
			os.Chown(filepath.Join(home, "versions", "3.13.1"), otherUID, otherUID)
		}, "owner uid 4242"},
		{"receipt of another user", true, func(t *testing.T, home string) {
			plantTree(t, filepath.Join(home, "versions"), "3.13.1")
			os.Chown(filepath.Join(home, "versions", "3.13.1", install.ReceiptName), otherUID, otherUID)
		}, "owner uid 4242"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.root {
				needRoot(t)
			}
			t.Parallel()
			e := newEnv(t)
			tc.plant(t, e.home)
			ghPath := filepath.Join(t.TempDir(), "gh_path")
			ghOut := filepath.Join(t.TempDir(), "gh_out")
			e.vars["GITHUB_PATH"], e.vars["GITHUB_OUTPUT"] = ghPath, ghOut
			code, stdout, stderr := e.run("path", "3.13")
			if code == 0 || strings.Contains(stdout, "3.13.1") {
				t.Errorf("path handed out the planted tree: exit %d, %q, %q", code, stdout, stderr)
			}
			if code, stdout, _ = e.run("list", "--json"); strings.Contains(stdout, `"signer"`) {
				t.Errorf("list reports the planted tree as installed: exit %d, %s", code, stdout)
			}
			// install does not skip it as "already installed".
			e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
			code, stdout, stderr = e.run("install", "3.13.1")
			if strings.Contains(stdout, "already installed") || code == 0 && !strings.Contains(stdout, "installed 3.13.1") {
				t.Errorf("install: exit %d, stdout %q", code, stdout)
			}
			if code != 0 && !strings.Contains(stderr, tc.want) {
				t.Errorf("install: stderr %q, want it to say %q", stderr, tc.want)
			}
			if b, _ := os.ReadFile(ghPath); code != 0 && len(b) > 0 {
				t.Errorf("GITHUB_PATH got %q", b)
			}
			if b, _ := os.ReadFile(ghOut); code != 0 && len(b) > 0 {
				t.Errorf("GITHUB_OUTPUT got %q", b)
			}
		})
	}
}

// plantTree writes dir/version with a forged receipt.
func plantTree(t *testing.T, dir, version string) {
	t.Helper()
	tree := filepath.Join(dir, version)
	if err := os.MkdirAll(filepath.Join(tree, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(tree, "bin", "python3"), []byte("#!/bin/sh\necho pwned\n"), 0o755)
	if err := os.WriteFile(filepath.Join(tree, install.ReceiptName), plantedReceipt(version), 0o644); err != nil {
		t.Fatal(err)
	}
}

// uninstall, list and path never act through a symlinked versions/.
func TestUninstallThroughSymlinkedVersions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	elsewhere := t.TempDir()
	plantTree(t, elsewhere, "3.13.1")
	os.MkdirAll(e.home, 0o755)
	os.Symlink(elsewhere, filepath.Join(e.home, "versions"))
	code, _, stderr := e.run("uninstall", "3.13.1")
	if code == 0 || !strings.Contains(stderr, "is a symlink") || !strings.Contains(stderr, "rm ") {
		t.Errorf("uninstall: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(elsewhere, "3.13.1", install.ReceiptName)); err != nil {
		t.Errorf("uninstall deleted the folder behind the link: %v", err)
	}
	for _, cmd := range [][]string{{"list"}, {"path", "3.13.1"}} {
		if code, stdout, stderr := e.run(cmd...); code == 0 || !strings.Contains(stderr, "is a symlink") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", cmd, code, stdout, stderr)
		}
	}
}

// A receipt field with a line break cannot add keys to GITHUB_OUTPUT:
// such a receipt is not pyfetch's, and values with line breaks use the
// delimiter syntax.
func TestReceiptInjectionIntoGitHubOutput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := e.installed3131()
	rp := filepath.Join(dir, install.ReceiptName)
	var rc map[string]any
	data, _ := os.ReadFile(rp)
	json.Unmarshal(data, &rc)
	rc["signer"] = "thomas@python.org\npython-path=/tmp/evil"
	data, _ = json.Marshal(rc)
	os.WriteFile(rp, data, 0o644)
	ghOut := filepath.Join(t.TempDir(), "gh_out")
	e.vars["GITHUB_OUTPUT"] = ghOut
	code, stdout, stderr := e.run("install", "3.13.1")
	if b, _ := os.ReadFile(ghOut); strings.Contains(string(b), "/tmp/evil") {
		t.Fatalf("GITHUB_OUTPUT injected: %q", b)
	}
	if code == 0 || !strings.Contains(stderr, "control character or line break") {
		t.Errorf("install: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, stdout, _ := e.run("path", "3.13.1"); code == 0 {
		t.Errorf("path handed out a tree with a forged receipt: %q", stdout)
	}

	var b strings.Builder
	writeOutput(&b, "python-path", "/home/x\npython-path=/tmp/evil")
	lines := strings.Split(b.String(), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "python-path<<ghadelimiter_") || lines[3] != lines[0][len("python-path<<"):] {
		t.Errorf("multi-line value written as %q", b.String())
	}
}

// A hostile mirror's certificate whose SAN holds line breaks and terminal
// escapes cannot forge lines in pyfetch's output: the SAN is printed (in
// "found:") before any trust is established, so it is escaped.
func TestHostileCertificateText(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	san := "mallory@evil.example\n::warning::ok\ninstalled 3.13.1 (signed by thomas@python.org)\x1b[2K"
	e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", san, google, nil)
	code, stdout, stderr := e.run("install", "3.13.1")
	if code != exitVerify {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, line := range strings.Split(stdout+stderr, "\n") {
		if strings.HasPrefix(line, "::") || strings.HasPrefix(line, "installed") || strings.ContainsRune(line, 0x1b) {
			t.Errorf("forged line %q in output:\n%s", line, stderr)
		}
	}
	if !strings.Contains(stderr, `found:    mallory@evil.example\n::warning::ok\ninstalled`) {
		t.Errorf("the SAN is not shown escaped:\n%s", stderr)
	}
}

// cache prune and clean never walk a link planted in the cache: a link
// cache/x -> ~/Downloads must not cost the user their own .part files.
func TestCachePruneNeverFollowsLinks(t *testing.T) {
	t.Parallel()
	for _, cmd := range [][]string{{"cache", "clean"}, {"cache", "prune", "--older-than", "1s"}} {
		t.Run(cmd[1], func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.fetched()
			downloads := t.TempDir()
			own := filepath.Join(downloads, "movie.mkv.part")
			os.WriteFile(own, []byte("mine"), 0o644)
			old := time.Now().Add(-72 * time.Hour)
			os.Chtimes(own, old, old)
			os.Symlink(downloads, filepath.Join(e.home, "cache", "x"))
			os.Symlink(downloads, filepath.Join(e.home, "cache", "3.13.2"))
			// A stale .part of pyfetch's own still goes.
			stale := e.cacheFile("3.13.1", "Python-3.13.1.tgz.part")
			os.WriteFile(stale, []byte("half"), 0o600)
			os.Chtimes(stale, old, old)
			if code, _, stderr := e.run(cmd...); code != 0 {
				t.Fatal(stderr)
			}
			if _, err := os.Stat(own); err != nil {
				t.Errorf("%v deleted a file behind a link: %v", cmd, err)
			}
			if _, err := os.Lstat(stale); err == nil {
				t.Errorf("%v kept the cache's own stale .part", cmd)
			}
		})
	}
}

// A listing index "fetched" in the future is stale, not fresh forever,
// and another user's index.json is not read.
func TestIndexFromTheFutureOrAnotherUser(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		root bool
		edit func(path string)
	}{
		{"fetched_at in the future", false, func(p string) {
			data, _ := os.ReadFile(p)
			future := time.Now().Add(24 * 365 * time.Hour).UTC().Format(time.RFC3339)
			data = regexp.MustCompile(`"fetched_at":"[^"]*"`).ReplaceAll(data, []byte(`"fetched_at":"`+future+`"`))
			os.WriteFile(p, data, 0o644)
		}},
		{"another user's file", true, func(p string) { os.Chown(p, otherUID, otherUID) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.root {
				needRoot(t)
			}
			t.Parallel()
			e := releaseMirror(t)
			if code, stdout, stderr := e.run("releases", "3.13"); code != 0 || strings.Contains(stdout, "3.13.12") {
				t.Fatal(stdout, stderr)
			}
			tc.edit(filepath.Join(e.home, "cache", "index.json"))
			// A newer release appears; the index must not hide it.
			e.mirror.Publish(t, e.ss, "3.13.12", "tar.xz", thomas, google, nil)
			if code, stdout, stderr := e.run("releases", "3.13"); code != 0 || !strings.Contains(stdout, "3.13.12") {
				t.Errorf("releases after %s: exit %d, %q %q", tc.name, code, stdout, stderr)
			}
		})
	}
}

// A lock held by someone else is waited for within --lock-timeout, with
// the holder named, then the run ends with exit 8; a home lock is 0600.
func TestLockTimeout(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("flock(1) is not installed")
	}
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
	os.MkdirAll(filepath.Join(e.home, "versions"), 0o755)
	lockFile := filepath.Join(e.home, "versions", ".3.13.1.lock")
	ready := filepath.Join(t.TempDir(), "ready")
	holder := exec.Command("flock", lockFile, "sh", "-c", "touch "+ready+"; exec sleep 60")
	// Its own group, so that killing it ends the sleep that inherited
	// the locked descriptor too.
	holder.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	stop := func() { syscall.Kill(-holder.Process.Pid, syscall.SIGKILL); holder.Wait() }
	defer stop()
	waitFor(t, func() bool { _, err := os.Stat(ready); return err == nil })
	code, _, stderr := e.run("install", "--lock-timeout", "200ms", "3.13.1")
	if code != exitBusy || !strings.Contains(stderr, "waiting for another pyfetch installing 3.13.1") ||
		!strings.Contains(stderr, fmt.Sprintf("pid %d", holder.Process.Pid)) || !strings.Contains(stderr, "--lock-timeout") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	stop()
	if code, _, stderr := e.run("install", "3.13.1"); code != 0 {
		t.Fatal(stderr)
	}
	if fi, err := os.Stat(lockFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("home lock file: %v %v, want mode 0600", fi.Mode(), err)
	}
}

// peakRSS runs the built pyfetch under GNU time and returns its exit
// code, stderr and peak resident memory in MB. Not the rusage of a child
// of this test process: Linux carries the parent's high-water mark into
// a child across exec, so a child of a large (race-instrumented) test
// reports the test's peak, not its own.
func peakRSS(t *testing.T, env []string, args ...string) (int, string, float64) {
	t.Helper()
	timeBin := "/usr/bin/time"
	if _, err := os.Stat(timeBin); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("/usr/bin/time is missing (.ci/run installs the time package)")
		}
		t.Skip("/usr/bin/time (GNU time) is not installed: apt-get install time")
	}
	report := filepath.Join(t.TempDir(), "rss")
	cmd := exec.Command(timeBin, append([]string{"-f", "%M", "-o", report, binary(t)}, args...)...)
	cmd.Env = env
	var errb strings.Builder
	cmd.Stderr = &errb
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(data))
	kb, err := strconv.Atoi(fields[len(fields)-1])
	if err != nil {
		t.Fatalf("GNU time wrote %q", data)
	}
	return cmd.ProcessState.ExitCode(), errb.String(), float64(kb) / 1024
}

// What a validly signed or hostile input may cost is bounded: deep paths
// and huge listings are refused with peak RSS under 64 MB (docs/performance.md's
// promise for every shape of archive), measured on the real binary.
func TestBoundsKeepMemoryFlat(t *testing.T) {
	t.Parallel()
	type E = pyfetchtest.Entry
	t.Run("deep paths in a signed tarball", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		var entries []E
		for i := range 3 {
			entries = append(entries, E{Name: "Python-3.13.1/" + strings.Repeat(fmt.Sprintf("d%d/", i), 1600) + "f", Body: "x"})
		}
		e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, entries)
		code, stderr, mb := peakRSS(t, e.binaryEnv(), "install", "3.13.1")
		if code != exitUnsafe || !strings.Contains(stderr, "exceeds a cap") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
		if mb >= 64 {
			t.Errorf("peak RSS %.1f MB, want under 64", mb)
		}
		t.Logf("peak RSS %.1f MB", mb)
	})
	t.Run("huge listings", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		var root strings.Builder
		for i := 1; i <= 100; i++ {
			fmt.Fprintf(&root, "<a href=\"3.13.%d/\">3.13.%d/</a>\n", i, i)
		}
		// Each folder's listing: just under the 1 MiB cap, 9 000 links
		// to nothing pyfetch wants.
		var folder strings.Builder
		for i := range 9000 {
			fmt.Fprintf(&folder, "<a href=\"junk-%06d-%s\">x</a>\n", i, strings.Repeat("z", 80))
		}
		listings := 0
		var mu sync.Mutex
		e.mirror.Fault(func(w http.ResponseWriter, r *http.Request, n int) bool {
			if r.URL.Path == "/" {
				w.Write([]byte(root.String()))
				return true
			}
			mu.Lock()
			listings++
			mu.Unlock()
			w.Write([]byte(folder.String()))
			return true
		})
		code, stderr, mb := peakRSS(t, e.binaryEnv(), "install", "3.13")
		if code == 0 || !strings.Contains(stderr, "exceeds a cap") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
		mu.Lock()
		defer mu.Unlock()
		if listings > 64 {
			t.Errorf("read %d folder listings, want at most 64", listings)
		}
		if mb >= 64 {
			t.Errorf("peak RSS %.1f MB, want under 64", mb)
		}
		t.Logf("%d listings, peak RSS %.1f MB", listings, mb)
	})
	t.Run("a listing over the cap", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		big := strings.Repeat("<p>padding</p>\n", 600_000) // 9 MB
		e.mirror.Fault(func(w http.ResponseWriter, r *http.Request, n int) bool {
			w.Write([]byte(big))
			return true
		})
		code, stderr, mb := peakRSS(t, e.binaryEnv(), "install", "3.13")
		if code == 0 || !strings.Contains(stderr, "larger than allowed") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
		if mb >= 64 {
			t.Errorf("peak RSS %.1f MB, want under 64", mb)
		}
	})
}

// verify takes the expected signer and the "is it that release" check
// from one parse of one name: a genuine 3.13.5 saved under any name that
// says 3.13.6 is refused, never "OK".
func TestVerifyRenamedRelease(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rel := e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, nil)
	dir := t.TempDir()
	for _, tc := range []struct {
		file, bundle string
		code         int
	}{
		{"Python-3.13.6.tar.xz", "", exitVerify},
		{"python-3.13.6.tar.xz", "", exitUsage},
		{"Python-3.13.6.tar.XZ", "", exitUsage},
		{"Python-3.13.6.txz", "", exitUsage},
		{"Python-3.13.6.tar.gz", "", exitUsage},
		{"download.bin", "Python-3.13.6.tar.xz.sigstore", exitVerify},
		{"download.bin", "b.json", exitUsage},
	} {
		p := filepath.Join(dir, tc.file)
		os.WriteFile(p, rel.Artifact, 0o644)
		bundle := p + ".sigstore"
		if tc.bundle != "" {
			bundle = filepath.Join(dir, tc.bundle)
		}
		os.WriteFile(bundle, rel.Bundle, 0o644)
		code, stdout, stderr := e.run("verify", "--bundle", bundle, p)
		if code != tc.code || strings.Contains(stdout, "OK") {
			t.Errorf("%s (bundle %s): exit %d, stdout %q, stderr %q; want exit %d", tc.file, filepath.Base(bundle), code, stdout, stderr, tc.code)
		}
		os.Remove(p)
		os.Remove(bundle)
	}
	// Its own name is fine.
	p := filepath.Join(dir, rel.Name)
	os.WriteFile(p, rel.Artifact, 0o644)
	os.WriteFile(p+".sigstore", rel.Bundle, 0o644)
	if code, stdout, stderr := e.run("verify", p); code != 0 || stdout != "OK: Python-3.13.5.tar.xz\n" {
		t.Errorf("genuine name: exit %d, %q %q", code, stdout, stderr)
	}
}

// A build never outlives pyfetch: after kill -9, configure and what it
// started die too, and the next run removes the build folder left behind.
func TestBuildNeverOutlivesPyfetch(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the parent-death signal is Linux's")
	}
	t.Parallel()
	e := newEnv(t)
	pidFile := filepath.Join(t.TempDir(), "pids")
	e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, pyfetchtest.BuildableSource("3.13.5", pyfetchtest.BuildSpec{
		// configure and a grandchild of it, both long-running.
		Configure: "sleep 300 & echo $$ $! > " + pidFile + ".tmp && mv " + pidFile + ".tmp " + pidFile + "; wait",
	}))
	cmd := exec.Command(binary(t), "install", "--build", "3.13.5")
	cmd.Env = e.binaryEnv()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pids []int
	waitFor(t, func() bool {
		b, err := os.ReadFile(pidFile)
		if err != nil {
			return false
		}
		pids = nil
		for _, f := range strings.Fields(string(b)) {
			n, _ := strconv.Atoi(f)
			pids = append(pids, n)
		}
		return len(pids) == 2
	})
	cmd.Process.Kill()
	cmd.Wait()
	waitFor(t, func() bool { return !alive(pids[0]) && !alive(pids[1]) })
	stale, _ := filepath.Glob(filepath.Join(e.home, "build", ".tmp-*"))
	if len(stale) == 0 {
		t.Fatal("kill -9 left no build folder: the test does not test the clean-up")
	}
	// The next run, of another version, removes it.
	e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
	if code, _, stderr := e.run("install", "3.13.1"); code != 0 {
		t.Fatal(stderr)
	}
	if left, _ := filepath.Glob(filepath.Join(e.home, "build", ".tmp-*")); len(left) != 0 {
		t.Errorf("stale build folders left: %v", left)
	}
}

// A build failure is exit 7 whatever it wraps: a source without
// ./configure wraps "not found" and was exit 3.
func TestBuildFailureExitCode(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("%w: configure: %w", compile.ErrBuild, &fs.PathError{Op: "fork/exec", Path: "./configure", Err: fs.ErrNotExist})
	if code := exitCode(err); code != exitBuild {
		t.Errorf("exit %d, want %d", code, exitBuild)
	}
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, nil) // no configure
	if code, _, stderr := e.run("install", "--build", "3.13.5"); code != exitBuild || !strings.Contains(stderr, "configure") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// The working folder is run's to be told: .python-version is found from
// it in-process, as from the process's own folder in the binary.
func TestVersionFileFromTheWorkingFolder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
	project, sub := projectWithSub(t)
	os.WriteFile(filepath.Join(project, ".python-version"), []byte("3.13.1\n"), 0o644)
	code, stdout, stderr := e.runIn(sub, "install")
	if code != 0 || !strings.Contains(stderr, "using 3.13.1 from "+filepath.Join(project, ".python-version")) || !strings.Contains(stdout, "installed 3.13.1") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// A private mirror's credentials in its URL (https://user:pass@host/)
// authenticate every request to it, and appear nowhere: not on stdout or
// stderr (progress, retries, errors, --json), not in a receipt, the
// index, GITHUB_OUTPUT or any other file under the home.
func TestMirrorCredentialsNeverShown(t *testing.T) {
	t.Parallel()
	const secret = "s3cretPassw0rd"
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
	e.mirror.Fault(func(w http.ResponseWriter, r *http.Request, _ int) bool {
		if u, p, ok := r.BasicAuth(); ok && u == "ci" && p == secret {
			return false
		}
		w.WriteHeader(http.StatusUnauthorized)
		return true
	})
	withCreds := strings.Replace(e.mirror.URL(), "http://", "http://ci:"+secret+"@", 1)
	ghOut := filepath.Join(t.TempDir(), "gh_output")
	e.vars["GITHUB_OUTPUT"] = ghOut
	var shown strings.Builder
	for _, args := range [][]string{
		{"releases", "--mirror", withCreds},
		{"releases", "--json", "--mirror", withCreds},
		{"install", "--mirror", withCreds, "3.13"},
		{"install", "--json", "--force", "--mirror", withCreds, "3.13.1"},
		{"list", "--json"},
	} {
		code, stdout, stderr := e.run(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d %q %q", args, code, stdout, stderr)
		}
		shown.WriteString(stdout + stderr)
	}
	// A wrong password and an unreachable mirror fail without showing it
	// (in another home: this one's cache would answer).
	home2 := t.TempDir()
	e.vars["PYFETCH_HOME"] = home2
	wrong := strings.Replace(withCreds, secret, secret+"x", 1)
	code, stdout, stderr := e.run("install", "--force", "--mirror", wrong, "3.13.1")
	if code == 0 || !strings.Contains(stderr, "answered 401 Unauthorized; the mirror refused the credentials in its URL") {
		t.Errorf("a wrong password: exit %d %q %q", code, stdout, stderr)
	}
	shown.WriteString(stdout + stderr)
	// A mirror with credentials in its URL that refuses connections.
	refused := strings.Replace(pyfetchtest.RefusedURL(t), "http://", "http://ci:"+secret+"@", 1)
	code, stdout, stderr = e.run("install", "--force", "--mirror", refused, "3.13.1")
	if code == 0 || !strings.Contains(stderr, "retrying") && !strings.Contains(stderr, "cannot reach") {
		t.Errorf("an unreachable mirror: exit %d %q", code, stderr)
	}
	shown.WriteString(stdout + stderr)
	code, _, stderr = e.run("install", "--mirror", "https://ci:"+secret+"@[::1/", "3.13.1")
	if code != exitUsage {
		t.Errorf("a malformed mirror URL: exit %d %q", code, stderr)
	}
	shown.WriteString(stderr)
	if strings.Contains(shown.String(), secret) {
		t.Errorf("the password was shown:\n%s", shown.String())
	}
	if !strings.Contains(shown.String(), "installed 3.13.1") {
		t.Errorf("nothing installed:\n%s", shown.String())
	}
	for _, root := range []string{e.home, home2, ghOut} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if data, err := os.ReadFile(p); err == nil && strings.Contains(string(data), secret) {
				t.Errorf("%s holds the password", p)
			}
			return nil
		})
	}
}

// GITHUB_OUTPUT and GITHUB_PATH are written only as regular files with
// one link: a symlink or hard link planted at the path is not written
// through, and a FIFO nobody reads never hangs the job.
func TestGitHubFilesNotWrittenThrough(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	entries := append(pyfetchtest.SourceTree("3.13.1"), pyfetchtest.Entry{Name: "Python-3.13.1/bin/python3", Body: "#!/bin/sh\n", Mode: 0o755})
	e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, entries)
	if code, _, stderr := e.run("install", "3.13.1"); code != 0 {
		t.Fatal(stderr)
	}
	for _, variable := range []string{"GITHUB_OUTPUT", "GITHUB_PATH"} {
		for _, tc := range []struct {
			name  string
			plant func(path, victim string)
			want  string
		}{
			{"a symlink", func(path, victim string) { os.Symlink(victim, path) }, "a symlink"},
			{"a hard link", func(path, victim string) { os.Link(victim, path) }, "hard-linked (2 links)"},
			{"a FIFO", func(path, _ string) { syscall.Mkfifo(path, 0o644) }, "not a regular file"},
			{"a folder", func(path, _ string) { os.Mkdir(path, 0o755) }, "is a directory"},
		} {
			t.Run(variable+"/"+tc.name, func(t *testing.T) {
				dir := t.TempDir()
				victim := filepath.Join(dir, "victim")
				os.WriteFile(victim, []byte("keep\n"), 0o644)
				path := filepath.Join(dir, "file-command")
				tc.plant(path, victim)
				e := *e
				e.t = t
				e.vars = maps.Clone(e.vars)
				e.vars[variable] = path
				done := make(chan struct{})
				var code int
				var stderr string
				go func() {
					defer close(done)
					code, _, stderr = e.run("install", "3.13.1")
				}()
				select {
				case <-done:
				case <-time.After(2 * time.Minute):
					t.Fatal("pyfetch hung on the planted file")
				}
				if code != exitFailure || !strings.Contains(stderr, "write "+variable) || !strings.Contains(stderr, tc.want) {
					t.Errorf("exit %d, stderr %q (want it to name %s and say %q)", code, stderr, variable, tc.want)
				}
				if data, _ := os.ReadFile(victim); string(data) != "keep\n" {
					t.Errorf("written through: %q", data)
				}
			})
		}
	}
	// A file in a folder that is not there is the runner's problem, not
	// a missing release: exit 1, not 3 (which sends scripts to another
	// mirror).
	for _, variable := range []string{"GITHUB_OUTPUT", "GITHUB_PATH"} {
		e := *e
		e.vars = maps.Clone(e.vars)
		e.vars[variable] = filepath.Join(t.TempDir(), "gone", "file-command")
		if code, _, stderr := e.run("install", "3.13.1"); code != exitFailure || !strings.Contains(stderr, "write "+variable) || !strings.Contains(stderr, "no such file") {
			t.Errorf("%s in a missing folder: exit %d, stderr %q", variable, code, stderr)
		}
	}
	// A regular file of its own is appended to.
	out := filepath.Join(t.TempDir(), "gh_output")
	os.WriteFile(out, []byte("earlier=1\n"), 0o644)
	e.vars["GITHUB_OUTPUT"] = out
	if code, _, stderr := e.run("install", "3.13.1"); code != 0 {
		t.Fatal(stderr)
	}
	if data, _ := os.ReadFile(out); !strings.HasPrefix(string(data), "earlier=1\npython-version=3.13.1\n") {
		t.Errorf("GITHUB_OUTPUT = %q", data)
	}
}

// A bundle the user names may be a pipe (--bundle <(curl …)): its content
// is verified like a file's. A folder or a device named there is a usage
// error; the same planted beside the artifact stays a security error.
func TestVerifyNamedBundle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rel := e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, nil)
	dir := t.TempDir()
	art := filepath.Join(dir, rel.Name)
	os.WriteFile(art, rel.Artifact, 0o644)
	fifo := filepath.Join(dir, "bundle-pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			f.Write(rel.Bundle)
			f.Close()
		}
	}()
	if code, stdout, stderr := e.run("verify", "--bundle", fifo, art); code != 0 || stdout != "OK: "+rel.Name+"\n" {
		t.Errorf("bundle through a pipe: exit %d %q %q", code, stdout, stderr)
	}
	for _, bad := range []string{dir, "/dev/null"} {
		if code, stdout, stderr := e.run("verify", "--bundle", bad, art); code != exitUsage || stdout != "" || !strings.Contains(stderr, "--bundle takes a bundle file (or a pipe)") {
			t.Errorf("--bundle %s: exit %d %q %q", bad, code, stdout, stderr)
		}
	}
	os.Mkdir(art+".sigstore", 0o755)
	if code, _, stderr := e.run("verify", art); code != exitVerify || !strings.Contains(stderr, "SECURITY ERROR") {
		t.Errorf("a folder beside the artifact: exit %d %q", code, stderr)
	}
}

// A FIFO nobody writes to, named as --bundle, --trusted-root or
// --signers, is a usage error once the wait for its writer is over
// (safefile.PipeWait, shortened here); it hung the command (and a CI
// job) until it was killed.
func TestNamedPipesNeverHang(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		args func(fifo, art string) []string
	}{
		{"--bundle", func(fifo, art string) []string { return []string{"verify", "--bundle", fifo, art} }},
		{"--trusted-root", func(fifo, art string) []string { return []string{"verify", "--trusted-root", fifo, art} }},
		{"--signers", func(fifo, art string) []string { return []string{"verify", "--signers", fifo, art} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.pipeWait = 100 * time.Millisecond
			rel := e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, nil)
			dir := t.TempDir()
			art := filepath.Join(dir, rel.Name)
			os.WriteFile(art, rel.Artifact, 0o644)
			os.WriteFile(art+".sigstore", rel.Bundle, 0o644)
			fifo := filepath.Join(dir, "pipe")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			type result struct {
				code           int
				stdout, stderr string
			}
			done := make(chan result, 1)
			go func() {
				code, stdout, stderr := e.run(c.args(fifo, art)...)
				done <- result{code, stdout, stderr}
			}()
			select {
			case r := <-done:
				if r.code != exitUsage || !strings.Contains(r.stderr, "nothing is writing to the pipe") {
					t.Errorf("exit %d %q %q", r.code, r.stdout, r.stderr)
				}
			case <-time.After(2 * time.Minute):
				t.Fatal("still waiting on the FIFO")
			}
		})
	}
}
