package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
)

// The attacks of the outside security review (issue #9), one test each.

// runWithin runs the CLI in-process and fails the test, instead of hanging
// it, when the run does not end in time.
func (e *env) runWithin(d time.Duration, args ...string) (code int, stdout, stderr string) {
	e.t.Helper()
	type result struct {
		code           int
		stdout, stderr string
	}
	ch := make(chan result, 1)
	go func() {
		c, o, s := e.run(args...)
		ch <- result{c, o, s}
	}()
	select {
	case r := <-ch:
		return r.code, r.stdout, r.stderr
	case <-time.After(d):
		e.t.Fatalf("pyfetch %v did not end within %s", args, d)
		return 0, "", ""
	}
}

// fetched publishes a signed 3.13.1 on e's mirror and fetches it into the
// cache, returning the cached artifact's path.
func (e *env) fetched() string {
	e.t.Helper()
	e.mirror.Publish(e.t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
	if code, _, stderr := e.run("fetch", "3.13.1"); code != 0 {
		e.t.Fatal(stderr)
	}
	return e.cacheFile("3.13.1", "Python-3.13.1.tar.xz")
}

// assertDownloaded fails unless versions/3.13.1 came from a download,
// not from the cached file.
func (e *env) assertDownloaded() {
	e.t.Helper()
	if rc := readReceipt(e.t, filepath.Join(e.home, "versions", "3.13.1")); rc["from_cache"] != false {
		e.t.Errorf("installed from the cached file: %v", rc)
	}
}

func (e *env) cacheFile(version, name string) string {
	return filepath.Join(e.home, "cache", version, name)
}

func readReceipt(t *testing.T, dir string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, install.ReceiptName))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Attack 1: a trusted_root.json planted in the cache, with the attacker's
// own CA, and a tarball "signed by thomas@python.org" under it.
func TestPlantedTrustedRootIsNotTrusted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	delete(e.vars, "PYFETCH_TRUSTED_ROOT")
	attacker := pyfetchtest.NewSigstore(t)
	rel := pyfetchtest.NewMirror(t).Publish(t, attacker, "3.13.1", "tar.xz", thomas, google, nil)
	os.MkdirAll(filepath.Join(e.home, "cache", "3.13.1"), 0o755)
	os.WriteFile(e.cacheFile("3.13.1", rel.Name), rel.Artifact, 0o644)
	os.WriteFile(e.cacheFile("3.13.1", rel.Name+".sigstore"), rel.Bundle, 0o644)
	rootJSON, _ := os.ReadFile(attacker.RootFile)
	os.WriteFile(filepath.Join(e.home, "cache", "trusted_root.json"), rootJSON, 0o644)

	code, _, stderr := e.run("install", "--offline", "3.13.1")
	if code != exitVerify || len(e.versions()) != 0 {
		t.Fatalf("install --offline: exit %d, versions %v, stderr %q", code, e.versions(), stderr)
	}
	code, stdout, stderr := e.run("verify", e.cacheFile("3.13.1", rel.Name))
	if code != exitVerify || strings.Contains(stdout, "OK") {
		t.Errorf("verify: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	out := t.TempDir()
	code, _, stderr = e.run("mirror", "export", "--offline", out)
	if code != exitVerify {
		t.Errorf("mirror export: exit %d, stderr %q", code, stderr)
	}
	if b, err := os.ReadFile(filepath.Join(out, "trusted_root.json")); err == nil && string(b) == string(rootJSON) {
		t.Error("mirror export copied the planted root")
	}
}

// The receipt names the trusted root that verified the install.
func TestReceiptNamesRootAndSource(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fetched()
	if code, _, stderr := e.run("install", "--offline", "3.13.1"); code != 0 {
		t.Fatal(stderr)
	}
	dir := filepath.Join(e.home, "versions", "3.13.1")
	rc := readReceipt(t, dir)
	if rc["trusted_root"] != "file" {
		t.Errorf("trusted_root = %v, want file", rc["trusted_root"])
	}
	if rc["from_cache"] != true || rc["url"] != e.cacheFile("3.13.1", "Python-3.13.1.tar.xz") {
		t.Errorf("offline receipt says url %v, from_cache %v: want the cache path", rc["url"], rc["from_cache"])
	}
	// Installed trees are for everyone the umask allows (0755 under 022),
	// not 0700 like a temp folder.
	fi, _ := os.Stat(dir)
	if want := os.FileMode(0o777) &^ currentUmask(); fi.Mode().Perm() != want {
		t.Errorf("install dir mode %v, want %v", fi.Mode().Perm(), want)
	}
}

func currentUmask() os.FileMode {
	m := syscall.Umask(0o022)
	syscall.Umask(m)
	return os.FileMode(m)
}

// Attack 2 (the .part) is covered in fetch's TestPlantedPart; here the
// whole install path, with a hard link to a file elsewhere.
func TestHardLinkedPartIsNotWrittenThrough(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
	victim := filepath.Join(e.home, "victim")
	os.WriteFile(victim, []byte("precious"), 0o644)
	os.MkdirAll(filepath.Join(e.home, "cache", "3.13.1"), 0o755)
	if err := os.Link(victim, e.cacheFile("3.13.1", "Python-3.13.1.tar.xz.part")); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := e.run("install", "3.13.1")
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Fatalf("the hard-linked .part's other name was written (exit %d, %q)", code, stderr)
	}
	if code != 0 || !strings.Contains(stderr, "SECURITY WARNING") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// Attack 3: a cached artifact another user could rewrite between
// verification and unpacking is never used: online a private copy is
// downloaded, offline the install is refused.
func TestForeignCachedArtifact(t *testing.T) {
	t.Parallel()
	type plant func(t *testing.T, path string)
	cases := map[string]plant{
		"group-writable": func(t *testing.T, p string) { os.Chmod(p, 0o664) },
		"world-writable": func(t *testing.T, p string) { os.Chmod(p, 0o666) },
	}
	if os.Geteuid() == 0 {
		cases["owned by another user"] = func(t *testing.T, p string) {
			if err := os.Chown(p, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			cached := e.fetched()
			mod(t, cached)
			code, _, stderr := e.run("install", "--offline", "3.13.1")
			if code != exitVerify || len(e.versions()) != 0 || !strings.Contains(stderr, "another user") {
				t.Fatalf("offline: exit %d, versions %v, stderr %q", code, e.versions(), stderr)
			}
			code, _, stderr = e.run("install", "3.13.1")
			if code != 0 || !strings.Contains(stderr, "SECURITY WARNING") || !strings.Contains(stderr, "private copy") {
				t.Fatalf("online: exit %d, stderr %q", code, stderr)
			}
			e.assertDownloaded()
			fi, err := os.Stat(cached)
			if err != nil || fi.Mode().Perm()&0o022 != 0 {
				t.Errorf("cached copy is not private now: %v %v", fi, err)
			}
		})
	}
}

// Attack 4: a FIFO planted as any cache file never hangs pyfetch.
func TestPlantedFIFOsNeverHang(t *testing.T) {
	t.Parallel()
	// Every file pyfetch reads from the home or cache in an install.
	for _, name := range []string{"cache/3.13.1/Python-3.13.1.tar.xz", "cache/3.13.1/Python-3.13.1.tar.xz.part", "cache/3.13.1/Python-3.13.1.tar.xz.sigstore", "cache/index.json", "versions/3.13.1/" + install.ReceiptName, "cache/3.13.1/Python-3.13.1.tar.xz.lock", "versions/.3.13.1.lock"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
			p := filepath.Join(e.home, name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Fatal(err)
			}
			receipt := strings.HasSuffix(name, install.ReceiptName)
			code, stdout, stderr := e.runWithin(30*time.Second, "install", "3.13", "--offline")
			if code == 0 && name != "cache/index.json" && !strings.HasSuffix(name, ".lock") {
				t.Errorf("offline with a FIFO as %s: exit %d, %q %q", name, code, stdout, stderr)
			}
			if receipt {
				// A FIFO receipt is no install: path and list say so.
				if code, stdout, _ := e.runWithin(30*time.Second, "path", "3.13.1"); code == 0 {
					t.Errorf("path handed out a tree with a FIFO receipt: %q", stdout)
				}
				e.runWithin(30*time.Second, "list")
			}
			args := []string{"install", "3.13.1"}
			if receipt {
				args = append(args, "--force")
			}
			code, stdout, stderr = e.runWithin(30*time.Second, args...)
			if code != 0 || !strings.Contains(stdout, "installed 3.13.1") {
				t.Fatalf("online: exit %d %q %q", code, stdout, stderr)
			}
		})
	}
}

// Attack 4, second half: SIGINT and SIGTERM always end a run, even one
// blocked in a system call (here: reading a FIFO named as the trusted
// root, whose writer never writes), and --json still gets its one
// document from the forced exit.
func TestSignalsAlwaysEndARun(t *testing.T) {
	forEachInterrupt(t, func(t *testing.T, sig syscall.Signal) {
		e := newEnv(t)
		fifo := filepath.Join(t.TempDir(), "root.json")
		syscall.Mkfifo(fifo, 0o644)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, binary(t), "verify", "--json", "--trusted-root", fifo, "sha256:"+strings.Repeat("0", 64), "--bundle", fifo)
		cmd.Env = e.binaryEnv()
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Ready when pyfetch has the FIFO open for reading (it is then
		// blocked on it, long after main installed its signal handler):
		// opening the write end without blocking succeeds only then.
		var w int
		waitFor(t, func() bool {
			fd, err := syscall.Open(fifo, syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
			w = fd
			return err == nil
		})
		defer syscall.Close(w)
		cmd.Process.Signal(sig)
		err := cmd.Wait()
		if ctx.Err() != nil {
			t.Fatalf("%s did not end the run", sig)
		}
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitInterrupted {
			t.Errorf("exit: %v, want %d", err, exitInterrupted)
		}
		if doc := oneJSONDocument(t, "--json, interrupted", stdout.String()); doc["exit_code"] != float64(exitInterrupted) {
			t.Errorf("--json, interrupted: %q", stdout.String())
		}
	})
}

// Attack 6: the genuine 3.13.5 tarball with its genuine bundle, served as
// 3.13.4, is refused everywhere with exit 4, naming both versions.
func TestReleasePassedOffAsAnother(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	genuine := pyfetchtest.NewMirror(t).Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, nil)
	e.mirror.Put(t, "3.13.4/Python-3.13.4.tar.xz", genuine.Artifact)
	e.mirror.Put(t, "3.13.4/Python-3.13.4.tar.xz.sigstore", genuine.Bundle)
	check := func(what string, code int, stderr string) {
		t.Helper()
		if code != exitVerify || !strings.Contains(stderr, "SECURITY ERROR") || !strings.Contains(stderr, "Python-3.13.4/") || !strings.Contains(stderr, "Python-3.13.5/") {
			t.Errorf("%s: exit %d, stderr %q", what, code, stderr)
		}
	}
	code, _, stderr := e.run("install", "3.13.4")
	check("install", code, stderr)
	code, _, stderr = e.run("fetch", "3.13.4")
	check("fetch", code, stderr)
	if _, err := os.Stat(e.cacheFile("3.13.4", "Python-3.13.4.tar.xz")); err == nil {
		t.Error("fetch left the passed-off artifact in the cache")
	}
	dir := t.TempDir()
	art := filepath.Join(dir, "Python-3.13.4.tar.xz")
	os.WriteFile(art, genuine.Artifact, 0o644)
	os.WriteFile(art+".sigstore", genuine.Bundle, 0o644)
	code, _, stderr = e.run("verify", art)
	check("verify", code, stderr)
	// Planted in the cache under the wrong name, it is not exported.
	os.MkdirAll(filepath.Join(e.home, "cache", "3.13.4"), 0o755)
	os.WriteFile(e.cacheFile("3.13.4", "Python-3.13.4.tar.xz"), genuine.Artifact, 0o644)
	os.WriteFile(e.cacheFile("3.13.4", "Python-3.13.4.tar.xz.sigstore"), genuine.Bundle, 0o644)
	out := t.TempDir()
	code, _, stderr = e.run("mirror", "export", out, "3.13.4")
	check("mirror export", code, stderr)
	if _, err := os.Stat(filepath.Join(out, "3.13.4", "Python-3.13.4.tar.xz")); err == nil {
		t.Error("export wrote the passed-off artifact")
	}
	if len(e.versions()) != 0 {
		t.Errorf("versions/ holds %v", e.versions())
	}
}

// Attack 7: path and GITHUB_OUTPUT only ever name a tree with a valid
// receipt.
func TestPathSkipsBrokenReceipts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, nil)
	if code, _, stderr := e.run("install", "3.13.5"); code != 0 {
		t.Fatal(stderr)
	}
	good, _ := os.ReadFile(filepath.Join(e.home, "versions", "3.13.5", install.ReceiptName))
	for name, receipt := range map[string]string{
		"3.13.99": string(good[:len(good)/2]),                                      // truncated
		"3.13.98": strings.Replace(string(good), `"3.13.5"`, `"3.13.98x"`, 1),      // another version's
		"3.13.97": strings.Replace(string(good), `"sha256": "`, `"sha256": "x`, 1), // no digest
	} {
		os.MkdirAll(filepath.Join(e.home, "versions", name), 0o755)
		os.WriteFile(filepath.Join(e.home, "versions", name, install.ReceiptName), []byte(receipt), 0o644)
	}
	os.MkdirAll(filepath.Join(e.home, "versions", "3.13.96"), 0o755)
	syscall.Mkfifo(filepath.Join(e.home, "versions", "3.13.96", install.ReceiptName), 0o644)
	code, stdout, stderr := e.runWithin(30*time.Second, "path", "3.13")
	if want := filepath.Join(e.home, "versions", "3.13.5") + "\n"; code != 0 || stdout != want {
		t.Fatalf("path 3.13: exit %d, %q (want %q), %q", code, stdout, want, stderr)
	}
	code, stdout, _ = e.run("path", "3.13.99")
	if code != exitNotFound || stdout != "" {
		t.Errorf("path 3.13.99 (broken receipt): exit %d, %q", code, stdout)
	}
}

// Attack 8: planted symlinks are never written through: the TUF cache
// folder and an export's version folder.
func TestPlantedSymlinksWhereWeWrite(t *testing.T) {
	t.Parallel()
	t.Run("cache/tuf", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
		delete(e.vars, "PYFETCH_TRUSTED_ROOT")
		e.vars["PYFETCH_TUF_URL"] = pyfetchtest.NewMirror(t).URL() // answers 404
		elsewhere := t.TempDir()
		os.MkdirAll(filepath.Join(e.home, "cache"), 0o755)
		os.Symlink(elsewhere, filepath.Join(e.home, "cache", "tuf"))
		e.run("install", "3.13.1") // fails: the embedded root does not know the test CA
		if ents, _ := os.ReadDir(elsewhere); len(ents) != 0 {
			t.Errorf("TUF metadata written through the planted symlink: %v", ents)
		}
	})
	t.Run("mirror export DIR/<version>", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.fetched()
		out, elsewhere := t.TempDir(), t.TempDir()
		os.Symlink(elsewhere, filepath.Join(out, "3.13.1"))
		code, _, stderr := e.run("mirror", "export", out)
		if code == 0 || !strings.Contains(stderr, "not a plain directory") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
		if ents, _ := os.ReadDir(elsewhere); len(ents) != 0 {
			t.Errorf("export wrote through the planted symlink: %v", ents)
		}
	})
}

// Also fixed: a temp folder an interrupted install of any version left
// over an hour ago goes at the start of the next install.
func TestStaleTempFoldersOfOtherVersions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
	versions := filepath.Join(e.home, "versions")
	old, fresh := filepath.Join(versions, ".tmp-3.12.0-111"), filepath.Join(versions, ".tmp-3.11.0-222")
	for _, d := range []string{old, fresh} {
		os.MkdirAll(filepath.Join(d, "Lib"), 0o755)
	}
	then := time.Now().Add(-2 * time.Hour)
	os.Chtimes(old, then, then)
	if code, _, stderr := e.run("install", "3.13.1"); code != 0 {
		t.Fatal(stderr)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Error("a stale temp folder of another version was kept")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("a fresh temp folder (maybe in use) was removed")
	}
}

// TestForeignCachedArtifactThatStays: another user's cached artifact that
// cannot be removed (their file in a sticky folder; here an immutable
// one) is not used either: a private copy is downloaded for this run and
// nothing of it is left behind.
func TestForeignCachedArtifactThatStays(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make another user's unremovable file")
	}
	if _, err := exec.LookPath("chattr"); err != nil {
		t.Skip("chattr not installed")
	}
	t.Parallel()
	e := newEnv(t)
	cached := e.fetched()
	os.Chown(cached, 65534, 65534)
	if out, err := exec.Command("chattr", "+i", cached).CombinedOutput(); err != nil {
		t.Skipf("chattr +i not supported here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", cached).Run() })
	code, stdout, stderr := e.run("install", "3.13.1")
	if code != 0 || !strings.Contains(stdout, "installed 3.13.1") || !strings.Contains(stderr, "downloading a private copy") {
		t.Fatalf("exit %d %q %q", code, stdout, stderr)
	}
	e.assertDownloaded()
	ents, _ := os.ReadDir(filepath.Join(e.home, "cache", "3.13.1"))
	for _, en := range ents {
		if strings.HasPrefix(en.Name(), ".private") || strings.HasSuffix(en.Name(), ".part") {
			t.Errorf("left behind: %s", en.Name())
		}
	}
}

// TestSharedFoldersWherePyfetchRenames: versions/ and build/, where
// pyfetch renames and builds by path, must be folders only the current
// user can change: a world-writable one, or a symlink, is refused with
// what to do, and nothing is installed or built there.
func TestSharedFoldersWherePyfetchRenames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, folder string
		args         []string
		plant        func(t *testing.T, p string)
		want         string
	}{
		{"world-writable versions", "versions", []string{"install", "3.13.5"}, func(t *testing.T, p string) {
			os.MkdirAll(p, 0o755)
			os.Chmod(p, 0o777)
		}, "versions folder: %s: not trusted: a folder another user owns or may write (mode -rwxrwxrwx; run chmod go-w %s)"},
		{"symlinked build", "build", []string{"install", "--build", "3.13.5"}, func(t *testing.T, p string) {
			os.Symlink(t.TempDir(), p)
		}, "build folder: %s: not trusted: a symlink"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, pyfetchtest.BuildableSource("3.13.5", pyfetchtest.BuildSpec{}))
			p := filepath.Join(e.home, tc.folder)
			tc.plant(t, p)
			want := strings.ReplaceAll(tc.want, "%s", p)
			code, _, stderr := e.run(tc.args...)
			if code == 0 || !strings.Contains(stderr, want) {
				t.Fatalf("exit %d, stderr %q (want %q)", code, stderr, want)
			}
			if ents, _ := os.ReadDir(filepath.Join(e.home, "versions")); len(ents) > 0 && tc.folder != "versions" {
				for _, en := range ents {
					if !strings.HasPrefix(en.Name(), ".") {
						t.Errorf("installed %s anyway", en.Name())
					}
				}
			}
		})
	}
}

// defaultInChildren makes the pyfetch processes a test starts get sig
// with its default action. pyfetch keeps a signal it was started with
// ignored, and a child inherits an ignore (a test run under nohup, or as
// a shell's background job); a signal caught here instead starts with
// the default action in the children.
func defaultInChildren(sig syscall.Signal) {
	if signal.Ignored(sig) {
		signal.Notify(make(chan os.Signal, 1), sig)
	}
}

// forEachInterrupt runs f as a parallel subtest for SIGINT (Ctrl-C), for
// SIGTERM (a cancelled CI job) and for SIGHUP (a closed terminal); it
// spawns processes, so -short skips it.
func forEachInterrupt(t *testing.T, f func(t *testing.T, sig syscall.Signal)) {
	t.Helper()
	if testing.Short() {
		t.Skip("spawns processes; skipped with -short")
	}
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			defaultInChildren(sig)
			f(t, sig)
		})
	}
}

// TestNamedRootThatIsNotOne: a --trusted-root that is no trusted root (a
// typo'd file, a bundle passed in its place) is a usage error saying what
// was expected, before the artifact is downloaded; never exit 1 with
// only a protobuf message.
func TestNamedRootThatIsNotOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rel := e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
	dir := t.TempDir()
	notJSON := filepath.Join(dir, "root.json")
	os.WriteFile(notJSON, []byte("{not json"), 0o644)
	aBundle := filepath.Join(dir, rel.Name+".sigstore")
	os.WriteFile(aBundle, rel.Bundle, 0o644)
	for _, file := range []string{notJSON, aBundle} {
		for _, args := range [][]string{{"install", "--trusted-root", file, "3.13.1"}, {"verify", "--trusted-root", file, "--bundle", aBundle, "sha256:" + strings.Repeat("0", 64)}} {
			code, stdout, stderr := e.run(args...)
			if code != exitUsage || stdout != "" || !strings.Contains(stderr, "not a Sigstore trusted root: "+file) ||
				!strings.Contains(stderr, "expected a Sigstore trusted_root.json") || strings.Count(stderr, "\n") != 1 {
				t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
			}
		}
	}
	for _, r := range e.mirror.Requests() {
		if strings.HasSuffix(r.URL.Path, rel.Name) {
			t.Errorf("downloaded %s with a root it cannot use", r.URL.Path)
		}
	}
	if len(e.versions()) != 0 {
		t.Errorf("installed %v", e.versions())
	}
}
