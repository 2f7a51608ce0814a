package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
)

// env is a test's environment: a fresh PYFETCH_HOME and the mirror's
// trusted root, so nothing reaches the network.
type env struct {
	t      *testing.T
	home   string
	ss     *pyfetchtest.Sigstore
	mirror *pyfetchtest.Mirror
	vars   map[string]string
	// pipeWait bounds the wait for a named pipe's writer (0: the default).
	pipeWait time.Duration
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, home: t.TempDir(), ss: pyfetchtest.NewSigstore(t), mirror: pyfetchtest.NewMirror(t)}
	e.vars = map[string]string{
		"PYFETCH_HOME":         e.home,
		"PYFETCH_MIRROR":       e.mirror.URL(),
		"PYFETCH_TRUSTED_ROOT": e.ss.RootFile,
		"HOME":                 t.TempDir(),
		"PYFETCH_RETRIES":      "2",
		// Fixtures are published as tar.xz; the default (tgz) is covered
		// by TestInstallFormatsAndForce.
		"PYFETCH_FORMAT": "tar.xz",
	}
	return e
}

func (e *env) run(args ...string) (code int, stdout, stderr string) {
	e.t.Helper()
	return e.runIn("", args...)
}

// runIn runs pyfetch in-process with wd as its working folder.
func (e *env) runIn(wd string, args ...string) (code int, stdout, stderr string) {
	e.t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), world{args: args, stdout: &out, stderr: &errb, getenv: func(k string) string { return e.vars[k] }, wd: wd, pipeWait: e.pipeWait})
	return code, out.String(), errb.String()
}

// versionsDir lists what is under versions/, ignoring lock files.
func (e *env) versions() []string {
	ents, _ := os.ReadDir(filepath.Join(e.home, "versions"))
	var names []string
	for _, d := range ents {
		if !strings.HasSuffix(d.Name(), ".lock") {
			names = append(names, d.Name())
		}
	}
	return names
}

func TestInstallEveryReleaseManager(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var args []string
	for _, m := range pyfetchtest.Managers {
		e.mirror.Publish(t, e.ss, m.Version, "tar.xz", m.Identity, m.Issuer, nil)
		args = append(args, m.Version)
	}
	code, stdout, stderr := e.run(append([]string{"install"}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	for _, m := range pyfetchtest.Managers {
		dir := filepath.Join(e.home, "versions", m.Version)
		want := "installed " + m.Version + " in " + dir
		if !strings.Contains(stdout, want) || !strings.Contains(stdout, "signed by "+m.Identity+" via "+m.Issuer) {
			t.Errorf("stdout lacks %q with signer %s:\n%s", want, m.Identity, stdout)
		}
		b, err := os.ReadFile(filepath.Join(dir, "Include", "patchlevel.h"))
		if err != nil || !strings.Contains(string(b), m.Version) {
			t.Errorf("%s: patchlevel.h %q %v", m.Version, b, err)
		}
		rc, err := install.ReadReceipt(dir)
		if err != nil {
			t.Fatal(err)
		}
		if rc.Signer != m.Identity || rc.Issuer != m.Issuer || len(rc.SHA256) != 64 || rc.URL != e.mirror.URL()+m.Version+"/Python-"+m.Version+".tar.xz" || rc.IntegratedTime.IsZero() {
			t.Errorf("receipt %+v", rc)
		}
	}
	if !onlyProgress(stderr) {
		t.Errorf("stderr holds more than progress lines: %q", stderr)
	}

	// Installing again is a no-op that says so.
	code, stdout, _ = e.run("install", "3.13.1")
	if code != 0 || !strings.Contains(stdout, "3.13.1 is already installed") {
		t.Errorf("reinstall: exit %d, %q", code, stdout)
	}

	// list shows the receipts, newest first; --json parses.
	code, stdout, _ = e.run("list", "--json")
	var doc struct {
		Versions []install.Installed `json:"versions"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &doc) != nil || len(doc.Versions) != len(pyfetchtest.Managers) {
		t.Fatalf("list --json: exit %d %q", code, stdout)
	}
	if doc.Versions[0].Version != "3.14.0" || doc.Versions[0].Receipt.Signer != "hugo@python.org" {
		t.Errorf("list order or receipt: %+v", doc.Versions[0])
	}
}

func TestInstallFormatsAndForce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.1", "tgz", "thomas@python.org", "https://accounts.google.com", nil)
	delete(e.vars, "PYFETCH_FORMAT")
	code, _, stderr := e.run("install", "3.13.1") // tgz is the default
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	marker := filepath.Join(e.home, "versions", "3.13.1", "marker")
	os.WriteFile(marker, nil, 0o644)
	// --force with a bad bundle keeps the old tree.
	e.mirror.Put(t, "3.13.1/Python-3.13.1.tgz.sigstore", e.ss.Sign(t, "mallory@example.com", "https://accounts.google.com", []byte("x")))
	if code, _, _ := e.run("install", "--format", "tgz", "--force", "3.13.1"); code != exitVerify {
		t.Fatalf("forced install with a bad bundle: exit %d, want %d", code, exitVerify)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatal("a failed --force lost the installed tree")
	}
	e.mirror.Publish(t, e.ss, "3.13.1", "tgz", "thomas@python.org", "https://accounts.google.com", nil)
	if code, _, stderr := e.run("install", "3.13.1", "--format=tgz", "--force"); code != 0 {
		t.Fatalf("--force: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Error("--force did not replace the tree")
	}
	if got := e.versions(); strings.Join(got, ",") != "3.13.1" {
		t.Errorf("versions/ holds %v", got)
	}
}

// TestInstallRefused checks every refusal leaves nothing under versions/.
func TestInstallRefused(t *testing.T) {
	t.Parallel()
	const v, thomas, google = "3.13.1", "thomas@python.org", "https://accounts.google.com"
	top := "Python-" + v + "/"
	type E = pyfetchtest.Entry
	hostile := func(entries ...E) func(*env) {
		return func(e *env) {
			e.mirror.Publish(e.t, e.ss, v, "tar.xz", thomas, google, append([]E{{Name: top, Type: tar.TypeDir}}, entries...))
		}
	}
	tests := []struct {
		name     string
		setup    func(e *env)
		wantCode int
		wantMsg  string
	}{
		{"wrong SAN", func(e *env) {
			e.mirror.Publish(e.t, e.ss, v, "tar.xz", "attacker@gmail.com", google, nil)
		}, exitVerify, "found:    attacker@gmail.com via " + google},
		{"wrong issuer", func(e *env) {
			e.mirror.Publish(e.t, e.ss, v, "tar.xz", thomas, "https://github.com/login/oauth", nil)
		}, exitVerify, "found:    thomas@python.org via https://github.com/login/oauth"},
		{"artifact tampered by one byte", func(e *env) {
			r := e.mirror.Publish(e.t, e.ss, v, "tar.xz", thomas, google, nil)
			r.Artifact[len(r.Artifact)/2] ^= 1
			e.mirror.Put(e.t, v+"/"+r.Name, r.Artifact)
		}, exitVerify, "digest mismatch"},
		{"bundle of another artifact", func(e *env) {
			r := e.mirror.Publish(e.t, e.ss, v, "tar.xz", thomas, google, nil)
			e.mirror.Put(e.t, v+"/"+r.Name+".sigstore", e.ss.Sign(e.t, thomas, google, []byte("another artifact")))
		}, exitVerify, "expected sha256"},
		{"missing bundle", func(e *env) {
			r := e.mirror.Publish(e.t, e.ss, v, "tar.xz", thomas, google, nil)
			os.Remove(filepath.Join(e.mirror.Dir, v, r.Name+".sigstore"))
		}, exitNotFound, "no Sigstore bundle"},
		{"missing artifact", func(e *env) {
			r := e.mirror.Publish(e.t, e.ss, v, "tar.xz", thomas, google, nil)
			os.Remove(filepath.Join(e.mirror.Dir, v, r.Name))
		}, exitNotFound, "404"},
		{"truncated body", func(e *env) {
			r := e.mirror.Publish(e.t, e.ss, v, "tar.xz", thomas, google, nil)
			e.mirror.Fault(func(w http.ResponseWriter, req *http.Request, n int) bool {
				if strings.HasSuffix(req.URL.Path, ".xz") {
					w.Header().Set("Content-Length", "100000")
					w.Write(r.Artifact[:len(r.Artifact)/2])
					w.(http.Flusher).Flush()
					panic(http.ErrAbortHandler)
				}
				return false
			})
		}, exitFailure, "body ended"},
		{"dotdot entry", hostile(E{Name: top + "../evil", Body: "x"}), exitUnsafe, `contains ".."`},
		{"absolute path", hostile(E{Name: "/tmp/pyfetch-evil", Body: "x"}), exitUnsafe, "absolute path"},
		{"symlink escaping, then a file through it", hostile(
			E{Name: top + "esc", Type: tar.TypeSymlink, Linkname: "../../../../tmp"},
			E{Name: top + "esc/evil", Body: "x"}), exitUnsafe, "outside the tree"},
		{"hard link outside", hostile(E{Name: top + "hl", Type: tar.TypeLink, Linkname: "/etc/passwd"}), exitUnsafe, "absolute path"},
		{"device node", hostile(E{Name: top + "null", Type: tar.TypeChar}), exitUnsafe, "device or fifo"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			tc.setup(e)
			code, stdout, stderr := e.run("install", v)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstderr: %s", code, tc.wantCode, stderr)
			}
			if !strings.Contains(stderr, tc.wantMsg) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantMsg, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout not empty: %q", stdout)
			}
			if got := e.versions(); len(got) != 0 {
				t.Errorf("versions/ holds %v after a refusal", got)
			}
			// Nothing unverified is left in the cache under the artifact's name.
			if _, err := os.Stat(filepath.Join(e.home, "cache", v, "Python-"+v+".tar.xz")); err == nil && tc.wantCode == exitVerify {
				t.Error("an unverified artifact was left in the cache")
			}
		})
	}
}

func TestInstallRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault func(r pyfetchtest.Release) func(w http.ResponseWriter, req *http.Request, n int) bool
		check func(t *testing.T, reqs []*http.Request)
	}{
		{"503 twice then served", func(pyfetchtest.Release) func(http.ResponseWriter, *http.Request, int) bool {
			fails := 0
			return func(w http.ResponseWriter, req *http.Request, n int) bool {
				if strings.HasSuffix(req.URL.Path, ".xz") && fails < 2 {
					fails++
					w.WriteHeader(http.StatusServiceUnavailable)
					return true
				}
				return false
			}
		}, func(t *testing.T, reqs []*http.Request) {
			if n := countPath(reqs, ".xz"); n != 3 {
				t.Errorf("%d artifact requests, want 3", n)
			}
		}},
		{"cut mid-body, resumed with Range", func(r pyfetchtest.Release) func(http.ResponseWriter, *http.Request, int) bool {
			cut := false
			return func(w http.ResponseWriter, req *http.Request, n int) bool {
				if strings.HasSuffix(req.URL.Path, ".xz") && !cut {
					cut = true
					w.Header().Set("Content-Length", strconv.Itoa(len(r.Artifact)))
					w.Write(r.Artifact[:len(r.Artifact)/2])
					w.(http.Flusher).Flush()
					panic(http.ErrAbortHandler)
				}
				return false
			}
		}, func(t *testing.T, reqs []*http.Request) {
			last := reqs[len(reqs)-1]
			if !strings.HasPrefix(last.Header.Get("Range"), "bytes=") {
				t.Errorf("resume request had no Range header: %v", last.Header)
			}
		}},
		{"cut mid-body, server ignores Range", func(r pyfetchtest.Release) func(http.ResponseWriter, *http.Request, int) bool {
			cut := false
			return func(w http.ResponseWriter, req *http.Request, n int) bool {
				if !strings.HasSuffix(req.URL.Path, ".xz") {
					return false
				}
				if !cut {
					cut = true
					w.Header().Set("Content-Length", strconv.Itoa(len(r.Artifact)))
					w.Write(r.Artifact[:len(r.Artifact)/2])
					w.(http.Flusher).Flush()
					panic(http.ErrAbortHandler)
				}
				w.Write(r.Artifact) // 200 with the whole file, Range or not
				return true
			}
		}, func(t *testing.T, reqs []*http.Request) {
			if reqs[len(reqs)-1].Header.Get("Range") == "" {
				t.Error("second request did not ask for a Range")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			r := e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", "thomas@python.org", "https://accounts.google.com", nil)
			e.mirror.Fault(tc.fault(r))
			code, _, stderr := e.run("install", "3.13.1")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if _, err := os.Stat(filepath.Join(e.home, "versions", "3.13.1", "README.rst")); err != nil {
				t.Error(err)
			}
			tc.check(t, e.mirror.Requests())
		})
	}
}

func countPath(reqs []*http.Request, suffix string) int {
	n := 0
	for _, r := range reqs {
		if strings.HasSuffix(r.URL.Path, suffix) {
			n++
		}
	}
	return n
}

// TestTUFUnreachableFallsBack: online, with the TUF repository failing,
// pyfetch says so on stderr and verifies with the embedded root.
func TestTUFUnreachableFallsBack(t *testing.T) {
	t.Parallel()
	dir := pyfetchtest.RealDir(t)
	tufSrv := pyfetchtest.NewMirror(t) // empty: every TUF request is a 404
	e := newEnv(t)
	delete(e.vars, "PYFETCH_TRUSTED_ROOT")
	e.vars["PYFETCH_TUF_URL"] = tufSrv.URL()
	code, stdout, stderr := e.run("verify", "--bundle", filepath.Join(dir, "bundles", "Python-3.13.1.tgz.sigstore"),
		"sha256:1513925a9f255ef0793dbf2f78bb4533c9f184bdd0ad19763fd7f47a400a7c55")
	if code != 0 || stdout != "OK: Python-3.13.1.tgz\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "could not refresh the Sigstore trusted root through TUF") {
		t.Errorf("no fallback warning on stderr: %q", stderr)
	}
	if len(tufSrv.Requests()) == 0 {
		t.Error("the TUF repository was never asked")
	}
}

func TestVerifyCommand(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.mirror.Publish(t, e.ss, "3.14.0", "tgz", "hugo@python.org", "https://github.com/login/oauth", nil)
	art := filepath.Join(e.mirror.Dir, "3.14.0", r.Name)
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string
		errMatch string
	}{
		{"artifact, default bundle, identity from name", []string{"verify", art}, 0, "OK: Python-3.14.0.tgz\n", "signed by hugo@python.org"},
		{"json", []string{"verify", "--json", art}, 0, `"verified": true`, ""},
		{"wrong identity", []string{"verify", "--cert-identity", "thomas@python.org", "--cert-oidc-issuer", "https://accounts.google.com", art}, exitVerify, "", "expected: thomas@python.org via https://accounts.google.com"},
		{"identity half given", []string{"verify", "--cert-identity", "x@y", art}, exitUsage, "", "go together"},
		{"digest without bundle", []string{"verify", "sha256:" + strings.Repeat("a", 64)}, exitUsage, "", "needs --bundle"},
		{"bad digest", []string{"verify", "--bundle", art + ".sigstore", "sha256:xyz"}, exitUsage, "", "64 hex digits"},
		// A missing bundle is not found (exit 3), not a failed verification (issue #21).
		{"missing bundle", []string{"verify", "--bundle", art + ".nope", art}, exitNotFound, "", "no bundle"},
		{"no args", []string{"verify"}, exitUsage, "", "takes one ARTIFACT"},
		// A folder named as the artifact is a usage mistake, said as one.
		{"a folder", []string{"verify", filepath.Dir(art)}, exitUsage, "", "verify takes an artifact's file (or sha256:HEX with --bundle), got " + filepath.Dir(art) + ": not trusted: not a regular file (a folder)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := e.run(tc.args...)
			if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.errMatch) {
				t.Errorf("exit %d (want %d)\nstdout %q (want %q)\nstderr %q (want %q)", code, tc.code, stdout, tc.stdout, stderr, tc.errMatch)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{nil, exitUsage, "usage: pyfetch"},
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{[]string{"install"}, exitUsage, "install needs a version"},
		{[]string{"install", "3.13.x"}, exitUsage, `not a version spec: "3.13.x" (expected 3.13.1, 3.15.0a1, 3.13, 3, latest or a range such as >=3.11)`},
		{[]string{"install", "3.13.1.1"}, exitUsage, `not a version spec: "3.13.1.1"`},
		{[]string{"install", "--format", "zip", "3.13.1"}, exitUsage, `unsupported archive format: "zip" (expected tgz or tar.xz)`},
		{[]string{"install", "--mirror", "ftp://x/", "3.13.1"}, exitUsage, "expected an http://, https:// or file:// URL"},
		{[]string{"install", "--nope", "3.13.1"}, exitUsage, "unknown flag --nope for pyfetch install; see pyfetch install -h"},
		{[]string{"install", "3.10.6"}, exitUnsigned, "python.org publishes no Sigstore bundle for this version: 3.10.6 (the first 3.10 release signed at release time is 3.10.7; python.org signed a few older ones later, but not this one); the mirror has no Python-3.10.6.tar.xz.sigstore either"},
		{[]string{"install", "3.16.0"}, exitUnsigned, "--cert-identity and --cert-oidc-issuer"},
	}
	for _, tc := range tests {
		code, stdout, stderr := e.run(tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) || stdout != "" {
			t.Errorf("%v: exit %d (want %d), stdout %q, stderr %q (want %q)", tc.args, code, tc.code, stdout, stderr, tc.msg)
		}
		if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
			t.Errorf("%v: stderr looks like a stack trace: %q", tc.args, stderr)
		}
	}
}

// TestSignedAfterTheFact: python.org signed 3.10.1 in 2023, long after
// 3.10.7 started release-time signing. A bundle that exists is verified,
// whatever the first-signed table says.
func TestSignedAfterTheFact(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.10.1", "tar.xz", "pablogsal@python.org", google, nil)
	code, stdout, stderr := e.run("install", "3.10.1")
	if code != 0 || !strings.Contains(stdout, "installed 3.10.1") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestOfflineWithoutCacheNamesMissingFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	code, _, stderr := e.run("install", "--offline", "3.13.1")
	want := filepath.Join(e.home, "cache", "3.13.1", "Python-3.13.1.tar.xz.sigstore")
	if code != exitNotFound || !strings.Contains(stderr, want) {
		t.Fatalf("exit %d, stderr %q (want it to name %s)", code, stderr, want)
	}
	if len(e.mirror.Requests()) != 0 {
		t.Error("offline install made a network request")
	}
}

// TestInstalledNeedsNoTrustRoot: "already installed" is answered without
// loading a trusted root, so no TUF round trip.
func TestInstalledNeedsNoTrustRoot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
	if code, _, stderr := e.run("install", "3.13.1"); code != 0 {
		t.Fatal(stderr)
	}
	tufSrv := pyfetchtest.NewMirror(t)
	delete(e.vars, "PYFETCH_TRUSTED_ROOT")
	e.vars["PYFETCH_TUF_URL"] = tufSrv.URL()
	e.vars["PYFETCH_INDEX_TTL"] = "1ns" // no cached listing to hide a request behind
	before := len(e.mirror.Requests())
	code, stdout, stderr := e.run("install", "3.13.1")
	if n := len(e.mirror.Requests()) - before; n != 0 {
		t.Errorf("%d mirror requests for an installed version", n)
	}
	if code != 0 || !strings.Contains(stdout, "already installed") || stderr != "" {
		t.Fatalf("exit %d %q %q", code, stdout, stderr)
	}
	if n := len(tufSrv.Requests()); n != 0 {
		t.Errorf("%d TUF requests for an installed version", n)
	}
}

// onlyProgress reports whether stderr holds nothing but progress and step
// lines (downloads, verifying, unpacking): no warnings, no library noise.
func onlyProgress(stderr string) bool {
	for _, line := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		ok := line == ""
		for _, p := range []string{"downloading ", "downloaded ", "  Python-", "verifying ", "unpacking ", "note: the trusted root "} {
			ok = ok || strings.HasPrefix(line, p)
		}
		if !ok {
			return false
		}
	}
	return true
}

// A full disk (or quota) says where pyfetch writes and how to move it,
// whichever step hit it.
func TestDiskFullSaysWhere(t *testing.T) {
	t.Parallel()
	for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT} {
		err := fmt.Errorf("install 3.13.5: extract: %w", &fs.PathError{Op: "write", Path: "Lib/x.py", Err: errno})
		var stderr bytes.Buffer
		(&app{stderr: &stderr}).reportFor("3.13.5", err)
		got := stderr.String()
		if exitCode(err) != exitFailure || !strings.HasPrefix(got, "pyfetch: install 3.13.5: extract: write Lib/x.py: ") ||
			!strings.Contains(got, "PYFETCH_HOME") || !strings.Contains(got, "PYFETCH_CACHE") || !strings.Contains(got, "never left half-written") {
			t.Errorf("%v: exit %d, stderr %q", errno, exitCode(err), got)
		}
	}
}

// TestReadOnlySaysWhere: a read-only file system names pyfetch's home
// and cache and their flags, as a full disk does.
func TestReadOnlySaysWhere(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("fetch 3.13.5: %w", &fs.PathError{Op: "mkdir", Path: "/ro/pyfetch/cache", Err: syscall.EROFS})
	var stderr bytes.Buffer
	(&app{stderr: &stderr}).report(err)
	got := stderr.String()
	if exitCode(err) != exitFailure || !strings.HasPrefix(got, "pyfetch: fetch 3.13.5: mkdir /ro/pyfetch/cache: read-only file system\n") ||
		!strings.Contains(got, "PYFETCH_HOME") || !strings.Contains(got, "PYFETCH_CACHE") || !strings.Contains(got, "writable folder") {
		t.Errorf("exit %d, stderr %q", exitCode(err), got)
	}
}

// A folder pyfetch may not make or rename into (a home in a folder
// another user owns, as on a runner whose tool cache is root's) says
// where pyfetch writes; a file it may not open (it may be one the user
// named, being read) gets no such hint.
func TestPermissionDeniedSaysWhere(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		hint bool
	}{
		{&fs.PathError{Op: "mkdir", Path: "/opt/hostedtoolcache/pyfetch", Err: syscall.EACCES}, true},
		{&os.LinkError{Op: "rename", Old: "/h/versions/.tmp-3.13.5-1", New: "/h/versions/3.13.5", Err: syscall.EPERM}, true},
		{&fs.PathError{Op: "open", Path: "/root/trusted_root.json", Err: syscall.EACCES}, false},
		{&fs.PathError{Op: "mkdir", Path: "/h/cache", Err: syscall.EEXIST}, false},
	} {
		var stderr bytes.Buffer
		(&app{stderr: &stderr}).report(fmt.Errorf("install 3.13.5: %w", tc.err))
		if got := strings.Contains(stderr.String(), "PYFETCH_HOME"); got != tc.hint || exitCode(tc.err) != exitFailure {
			t.Errorf("%v: exit %d, stderr %q (hint wanted: %v)", tc.err, exitCode(tc.err), stderr.String(), tc.hint)
		}
	}
}

// fullWriter is a stdout redirected to a full disk.
type fullWriter struct{}

func (fullWriter) Write([]byte) (int, error) {
	return 0, &fs.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.ENOSPC}
}

// TestOutputThatCannotBeWritten: a stdout that takes nothing (a redirect
// to a full disk) is exit 1 saying so, not exit 0 with nothing printed
// (`PY=$(pyfetch path 3.13)`), and the full-disk hint about pyfetch's
// home is not given for it. A command that failed keeps its own error.
func TestOutputThatCannotBeWritten(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, nil)
	if code, _, stderr := e.run("install", "3.13.5"); code != 0 {
		t.Fatal(stderr)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"path", "3.13.5"}, exitFailure, "pyfetch: cannot write the output (stdout): write /dev/stdout: no space left on device"},
		{[]string{"list"}, exitFailure, "cannot write the output (stdout)"},
		{[]string{"list", "--json"}, exitFailure, "cannot write the output (stdout)"},
		{[]string{"install", "3.13.5"}, exitFailure, "cannot write the output (stdout)"},
		{[]string{"signers"}, exitFailure, "cannot write the output (stdout)"},
		{[]string{"help", "install"}, exitFailure, "cannot write the output (stdout)"},
		{[]string{"help", "cache"}, exitFailure, "cannot write the output (stdout)"},
		{[]string{"path", "3.12"}, exitNotFound, "not installed"},
	} {
		var stderr bytes.Buffer
		code := run(context.Background(), world{args: tc.args, stdout: fullWriter{}, stderr: &stderr, getenv: func(k string) string { return e.vars[k] }})
		got := stderr.String()
		if code != tc.code || !strings.Contains(got, tc.want) || strings.Contains(got, "PYFETCH_HOME") || strings.Count(got, "pyfetch:") != 1 {
			t.Errorf("%v: exit %d, stderr %q", tc.args, code, got)
		}
	}
}
