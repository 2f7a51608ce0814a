package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
	"github.com/pyfetch/pyfetch/prebuilt"
	"github.com/pyfetch/pyfetch/provenance"
)

// fleet is a builder that built 3.13.5 (a fake build) and published it,
// signed, into the test mirror, and the runner-side paths to use it.
type fleet struct {
	*env
	keyDir  string
	archive string // mirror-relative folder + name
	name    string
}

func newFleet(t *testing.T, sign bool) *fleet {
	t.Helper()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, pyfetchtest.BuildableSource("3.13.5", pyfetchtest.BuildSpec{}))
	f := &fleet{env: e, keyDir: t.TempDir()}
	for _, k := range []string{"fleet", "other"} {
		if code, out, errs := e.run("keygen", filepath.Join(f.keyDir, k)); code != 0 {
			t.Fatalf("keygen: %d %s %s", code, out, errs)
		}
	}
	// Never over a key: exit 2 naming the file.
	if code, _, errs := e.run("keygen", filepath.Join(f.keyDir, "fleet")); code != exitUsage || !strings.Contains(errs, "key file exists: "+filepath.Join(f.keyDir, "fleet.key")) {
		t.Errorf("keygen over a key: %d %q", code, errs)
	}
	if code, out, errs := e.run("install", "--build", "3.13.5"); code != 0 {
		t.Fatalf("build: %d %s %s", code, out, errs)
	}
	args := []string{"publish", e.mirror.Dir, "3.13.5"}
	if sign {
		args = append([]string{"publish", "--sign-key", f.key("fleet")}, args[1:]...)
	}
	code, out, errs := e.run(args...)
	if code != 0 {
		t.Fatalf("publish: %d %s %s", code, out, errs)
	}
	m, _ := filepath.Glob(filepath.Join(e.mirror.Dir, "3.13.5", "prebuilt", "cpython-3.13.5-*.tar.zst"))
	if len(m) != 1 {
		t.Fatalf("published %v", m)
	}
	f.name = filepath.Base(m[0])
	f.archive = m[0]
	return f
}

func (f *fleet) key(name string) string { return filepath.Join(f.keyDir, name+".key") }
func (f *fleet) pub(name string) string { return filepath.Join(f.keyDir, name+".pub") }

// runner returns the environment of a runner: another home (so the
// install is relocated), the same mirror and trust.
func (f *fleet) runner(t *testing.T) *env {
	r := &env{t: t, home: filepath.Join(t.TempDir(), "runner-home"), ss: f.ss, mirror: f.mirror, vars: map[string]string{}}
	for k, v := range f.vars {
		r.vars[k] = v
	}
	r.vars["PYFETCH_HOME"] = r.home
	return r
}

// statement is the published statement, decoded.
func (f *fleet) statement(t *testing.T) provenance.Build {
	t.Helper()
	data, err := os.ReadFile(f.archive + prebuilt.StatementSuffix)
	if err != nil {
		t.Fatal(err)
	}
	b, err := provenance.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return *b
}

// resign replaces the published signature with one by key over b.
func (f *fleet) resign(t *testing.T, b provenance.Build, key string) {
	t.Helper()
	st, err := provenance.Statement(b)
	if err != nil {
		t.Fatal(err)
	}
	k, err := provenance.LoadPrivateKey(f.key(key))
	if err != nil {
		t.Fatal(err)
	}
	signed, err := provenance.Sign(context.Background(), st, k)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.archive+prebuilt.BundleSuffix, signed, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPrebuiltInstall(t *testing.T) {
	t.Parallel()
	f := newFleet(t, true)
	builder := filepath.Join(f.home, "versions", "3.13.5")
	r := f.runner(t)
	out := filepath.Join(t.TempDir(), "gh_output")
	r.vars["GITHUB_OUTPUT"] = out
	code, stdout, stderr := r.run("install", "--prebuilt", "--prebuilt-key", f.pub("fleet"), "3.13.5")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	dir := filepath.Join(r.home, "versions", "3.13.5")
	if !strings.Contains(stdout, "installed the prebuilt 3.13.5 in "+dir) || !strings.Contains(stdout, "signed by thomas@python.org via https://accounts.google.com") {
		t.Errorf("stdout %q", stdout)
	}
	rc, err := install.ReadReceipt(dir)
	if err != nil {
		t.Fatal(err)
	}
	src := f.statement(t).Source
	if rc.Kind != install.KindPrebuilt || rc.Prebuilt == nil || rc.Prebuilt.Source.SHA256 != src.SHA256 || rc.Prebuilt.Source.Signer != thomas ||
		!strings.HasPrefix(rc.Signer, "sha256:") || rc.Issuer != "public key" || rc.Prebuilt.BuiltPrefix != builder || rc.Prebuilt.StatementSHA256 == "" {
		t.Errorf("receipt %+v %+v", rc, rc.Prebuilt)
	}
	// Relocated: what recorded the builder's prefix names the runner's.
	pc, _ := os.ReadFile(filepath.Join(dir, "lib", "pkgconfig", "python3.pc"))
	if string(pc) != "prefix="+dir+"\n" {
		t.Errorf("pkgconfig %q, want the runner's prefix %s", pc, dir)
	}
	if gh, _ := os.ReadFile(out); !strings.Contains(string(gh), "python-path="+filepath.Join(dir, "bin", "python3")+"\n") {
		t.Errorf("GITHUB_OUTPUT:\n%s", gh)
	}
	// Again: already installed; --force uses the cached archive, checked
	// again end to end.
	if code, stdout, _ := r.run("install", "--prebuilt", "--prebuilt-key", f.pub("fleet"), "--force", "3.13.5"); code != 0 || !strings.Contains(stdout, "installed the prebuilt") {
		t.Errorf("--force: %d %s", code, stdout)
	}
	if rc, err := install.ReadReceipt(dir); err != nil || !rc.FromCache {
		t.Errorf("second install not from the cache: %+v %v", rc, err)
	}
	// A cached archive changed on disk is not used: removed, downloaded
	// again, and checked again.
	cached := filepath.Join(r.home, "cache", "3.13.5", "prebuilt", f.name)
	data, _ := os.ReadFile(cached)
	data[len(data)/3] ^= 1
	os.WriteFile(cached, data, 0o644)
	code, stdout, stderr = r.run("install", "--prebuilt", "--prebuilt-key", f.pub("fleet"), "--force", "3.13.5")
	if code != 0 || !strings.Contains(stderr, "does not match its signed statement; removing it") {
		t.Errorf("tampered cache: %d %s %s", code, stdout, stderr)
	}
	if rc, err := install.ReadReceipt(dir); err != nil || rc.FromCache {
		t.Errorf("install after a tampered cache: %+v %v", rc, err)
	}
	if code, stdout, _ := r.run("list"); code != 0 || !strings.Contains(stdout, "prebuilt") || !strings.Contains(stdout, "built from Python-3.13.5.tar.xz (sha256 "+src.SHA256+") signed by "+thomas) {
		t.Errorf("list: %d %s", code, stdout)
	}
	// mirror export writes python.org's layout, and passes a cached
	// prebuilt over (publish is what writes those).
	if code, stdout, stderr := r.run("mirror", "export", t.TempDir()); code != 0 {
		t.Errorf("mirror export with a prebuilt in the cache: %d %s %s", code, stdout, stderr)
	}
	// The cache lists it, in use; prune keeps it.
	if code, stdout, _ := r.run("cache", "ls"); code != 0 || !strings.Contains(stdout, f.name) || !strings.Contains(stdout, "[installed]") {
		t.Errorf("cache ls: %d %s", code, stdout)
	}
}

func TestPrebuiltRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy []string // default: the fleet's key
		tamper func(t *testing.T, f *fleet)
		code   int
		want   string
	}{
		{name: "signed by another key", tamper: func(t *testing.T, f *fleet) { f.resign(t, f.statement(t), "other") },
			code: exitVerify, want: "the fleet's signature"},
		{name: "runner trusts another key", policy: []string{"--prebuilt-key", "other"}, code: exitVerify, want: "signature"},
		{name: "subject is another archive", tamper: func(t *testing.T, f *fleet) {
			b := f.statement(t)
			sum := sha256.Sum256([]byte("another archive"))
			b.ArchiveSHA256 = hex.EncodeToString(sum[:])
			f.resign(t, b, "fleet")
		}, code: exitVerify, want: "subject is another artifact"},
		{name: "another version", tamper: func(t *testing.T, f *fleet) {
			b := f.statement(t)
			b.Version = "3.13.4"
			f.resign(t, b, "fleet")
		}, code: exitVerify, want: "is for version 3.13.4, not 3.13.5"},
		{name: "source of another version", tamper: func(t *testing.T, f *fleet) {
			b := f.statement(t)
			b.Source.Name = "Python-3.13.4.tar.xz"
			f.resign(t, b, "fleet")
		}, code: exitVerify, want: "names the source"},
		{name: "source signature fails", tamper: func(t *testing.T, f *fleet) {
			src := f.statement(t).Source
			data, _ := os.ReadFile(filepath.Join(f.mirror.Dir, "3.13.5", "Python-3.13.5.tar.xz"))
			if hex.EncodeToString(sha(data)) != src.SHA256 {
				t.Fatal("the statement does not name the published source")
			}
			os.WriteFile(f.archive+prebuilt.SourceSuffix, f.ss.Sign(t, "mallory@example.com", google, data), 0o644)
		}, code: exitVerify, want: "python.org's signature on Python-3.13.5.tar.xz"},
		{name: "platform mismatch", tamper: func(t *testing.T, f *fleet) {
			b := f.statement(t)
			b.Platform.Arch = "riscv64"
			f.resign(t, b, "fleet")
		}, code: exitVerify, want: "expected platform"},
		{name: "newer libc", tamper: func(t *testing.T, f *fleet) {
			b := f.statement(t)
			if b.Platform.Libc != "gnu" {
				t.Skip("not glibc")
			}
			b.Platform.LibcVersion = "9.99"
			f.resign(t, b, "fleet")
		}, code: exitVerify, want: "expected platform"},
		{name: "tampered archive", tamper: func(t *testing.T, f *fleet) {
			data, _ := os.ReadFile(f.archive)
			data[len(data)/2] ^= 1
			os.WriteFile(f.archive, data, 0o644)
		}, code: exitVerify, want: "subject is another artifact"},
		{name: "no policy", policy: []string{}, code: exitUsage, want: "never installed on the mirror's word"},
		{name: "a message signature instead", tamper: func(t *testing.T, f *fleet) {
			data, _ := os.ReadFile(f.archive)
			os.WriteFile(f.archive+prebuilt.BundleSuffix, f.ss.Sign(t, thomas, google, data), 0o644)
		}, code: exitVerify, want: "expected a DSSE envelope"},
		{name: "none published", tamper: func(t *testing.T, f *fleet) {
			os.RemoveAll(filepath.Dir(f.archive))
		}, code: exitNotFound, want: "no prebuilt interpreter: looked for "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFleet(t, true)
			if tc.tamper != nil {
				tc.tamper(t, f)
			}
			r := f.runner(t)
			args := []string{"install", "--prebuilt", "--prebuilt-key", f.pub("fleet")}
			if tc.policy != nil {
				args = []string{"install", "--prebuilt"}
				if len(tc.policy) == 2 {
					args = append(args, tc.policy[0], f.pub(tc.policy[1]))
				}
			}
			code, stdout, stderr := r.run(append(args, "3.13.5")...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d (want %d), stderr lacks %q:\n%s\n%s", code, tc.code, tc.want, stdout, stderr)
			}
			if v := r.versions(); len(v) != 0 {
				t.Errorf("versions/ holds %v", v)
			}
		})
	}
}

func sha(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

func TestPrebuiltFallsBackToBuild(t *testing.T) {
	t.Parallel()
	f := newFleet(t, true)
	r := f.runner(t)
	// Built with other options than the runner asks for: its name is
	// another, so it is not found, and --build builds instead.
	code, stdout, stderr := r.run("install", "--prebuilt", "--prebuilt-key", f.pub("fleet"), "--build", "--configure-opts", "--with-foo", "3.13.5")
	if code != 0 || !strings.Contains(stderr, "no prebuilt interpreter") || !strings.Contains(stderr, "building 3.13.5 from the verified source instead") || !strings.Contains(stdout, "built 3.13.5") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	// A prebuilt for another platform under the asked-for name: the
	// same, with --build.
	b := f.statement(t)
	b.Platform.Arch = "riscv64"
	f.resign(t, b, "fleet")
	r2 := f.runner(t)
	code, stdout, stderr = r2.run("install", "--prebuilt", "--prebuilt-key", f.pub("fleet"), "--build", "3.13.5")
	if code != 0 || !strings.Contains(stderr, "expected platform") || !strings.Contains(stdout, "built 3.13.5") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	// A signature that fails is no reason to build: it is refused.
	f.resign(t, f.statement(t), "other")
	r3 := f.runner(t)
	if code, _, stderr := r3.run("install", "--prebuilt", "--prebuilt-key", f.pub("fleet"), "--build", "3.13.5"); code != exitVerify || len(r3.versions()) != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
}

func TestPrebuiltKeylessIdentity(t *testing.T) {
	t.Parallel()
	f := newFleet(t, false)
	if _, err := os.Stat(f.archive + prebuilt.BundleSuffix); err == nil {
		t.Fatal("publish without --sign-key wrote a signature")
	}
	const workflow = "https://github.com/org/fleet/.github/workflows/build.yml@refs/heads/main"
	const actions = "https://token.actions.githubusercontent.com"
	st, err := os.ReadFile(f.archive + prebuilt.StatementSuffix)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(f.archive+prebuilt.BundleSuffix, f.ss.Attest(t, workflow, actions, st), 0o644)
	r := f.runner(t)
	code, stdout, stderr := r.run("install", "--prebuilt", "--prebuilt-identity", workflow, "--prebuilt-issuer", actions, "3.13.5")
	if code != 0 || !strings.Contains(stdout, "signed by "+workflow) {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	// Another workflow of the same organisation is not the fleet.
	r2 := f.runner(t)
	r2.vars["PYFETCH_PREBUILT"] = "1"
	r2.vars["PYFETCH_PREBUILT_IDENTITY"] = strings.Replace(workflow, "build.yml", "evil.yml", 1)
	r2.vars["PYFETCH_PREBUILT_ISSUER"] = actions
	if code, _, stderr := r2.run("install", "3.13.5"); code != exitVerify || !strings.Contains(stderr, "signer identity mismatch") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
}

func TestPrebuiltStalePart(t *testing.T) {
	t.Parallel()
	f := newFleet(t, true)
	r := f.runner(t)
	// An earlier run left half of another file as the partial download.
	cdir := filepath.Join(r.home, "cache", "3.13.5", "prebuilt")
	os.MkdirAll(cdir, 0o755)
	os.WriteFile(filepath.Join(cdir, f.name+".part"), []byte(strings.Repeat("x", 100)), 0o644)
	code, stdout, stderr := r.run("install", "--prebuilt", "--prebuilt-key", f.pub("fleet"), "3.13.5")
	if code != 0 || !strings.Contains(stderr, "resumed from an earlier partial download, did not match its signed statement") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	rc, err := install.ReadReceipt(filepath.Join(r.home, "versions", "3.13.5"))
	data, _ := os.ReadFile(f.archive)
	if err != nil || rc.SHA256 != hex.EncodeToString(sha(data)) {
		t.Errorf("receipt %+v %v", rc, err)
	}
}

// A builder publishes straight to a bucket (s3://), and a runner whose
// mirror is that bucket installs the prebuilt with signed GETs.
func TestPrebuiltThroughBucket(t *testing.T) {
	t.Parallel()
	f := newFleet(t, true)
	backend := s3Bucket(t, f.env)
	// Publish into a prefix of the bucket that holds nothing yet.
	code, stdout, stderr := f.run("publish", "--sign-key", f.key("fleet"), "s3://fleet/fleet-builds/", "3.13.5")
	if code != 0 || !strings.Contains(stdout, "uploaded s3://fleet/fleet-builds/3.13.5/prebuilt/"+f.name) {
		t.Fatalf("publish to a bucket: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, key := range []string{"prebuilt/" + f.name, "prebuilt/" + f.name + prebuilt.BundleSuffix, "prebuilt/" + f.name + prebuilt.SourceSuffix,
		"prebuilt/" + f.name + prebuilt.StatementSuffix, "Python-3.13.5.tar.xz", "Python-3.13.5.tar.xz.sigstore"} {
		if _, err := backend.HeadObject("fleet", "fleet-builds/3.13.5/"+key); err != nil {
			t.Errorf("%s not in the bucket: %v", key, err)
		}
	}
	// The bucket holds nothing but what publish put there, and a runner
	// asks for a line: the listing resolves it from python.org's source
	// published beside the build.
	r := f.runner(t)
	r.vars["PYFETCH_MIRROR"] = "s3://fleet/fleet-builds/"
	code, stdout, stderr = r.run("install", "--prebuilt", "--prebuilt-key", f.pub("fleet"), "3.13")
	if code != 0 || !strings.Contains(stdout, "installed the prebuilt 3.13.5") {
		t.Fatalf("install from the bucket: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, "a-secret-never-printed") {
		t.Error("a secret reached the output")
	}
}

// pyfetch.lock pins python.org's source; a prebuilt must have been built
// from exactly those bytes.
func TestPrebuiltHonoursTheLockFile(t *testing.T) {
	t.Parallel()
	f := newFleet(t, true)
	r := f.runner(t)
	wd := t.TempDir()
	if code, _, stderr := r.runIn(wd, "lock", "3.13.5"); code != 0 {
		t.Fatalf("lock: %d %s", code, stderr)
	}
	args := []string{"install", "--locked", "--prebuilt", "--prebuilt-key", f.pub("fleet"), "3.13.5"}
	if code, stdout, stderr := r.runIn(wd, args...); code != 0 {
		t.Fatalf("locked prebuilt: %d %s %s", code, stdout, stderr)
	}
	lock := filepath.Join(wd, "pyfetch.lock")
	data, _ := os.ReadFile(lock)
	src := f.statement(t).Source.SHA256
	if !strings.Contains(string(data), src) {
		t.Fatalf("the lock file does not pin %s:\n%s", src, data)
	}
	other := strings.Repeat("0", 64)
	os.WriteFile(lock, []byte(strings.ReplaceAll(string(data), src, other)), 0o644)
	r2 := f.runner(t)
	code, _, stderr := r2.runIn(wd, args...)
	if code != exitVerify || !strings.Contains(stderr, "pyfetch.lock pins "+other) || len(r2.versions()) != 0 {
		t.Fatalf("a prebuilt of other bytes than pinned: exit %d\n%s", code, stderr)
	}
}

// Nothing is published but a build pyfetch made from a source that
// verifies now.
func TestPublishRefuses(t *testing.T) {
	t.Parallel()
	f := newFleet(t, true)
	out := t.TempDir()
	// A source tree is not a build.
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.13.5", "tar.xz", thomas, google, pyfetchtest.SourceTree("3.13.5"))
	if code, _, _ := e.run("install", "3.13.5"); code != 0 {
		t.Fatal("install")
	}
	if code, _, stderr := e.run("publish", "--sign-key", f.key("fleet"), out, "3.13.5"); code != exitUsage || !strings.Contains(stderr, "expected a build (install --build), found a source install") {
		t.Errorf("a source tree: exit %d %s", code, stderr)
	}
	// DEST/3.13.5/prebuilt planted as a link: nothing is written through it.
	elsewhere, linked := t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(linked, "3.13.5"), 0o755)
	os.Symlink(elsewhere, filepath.Join(linked, "3.13.5", "prebuilt"))
	code, _, stderr := f.run("publish", "--sign-key", f.key("fleet"), linked, "3.13.5")
	if ents, _ := os.ReadDir(elsewhere); code == 0 || len(ents) != 0 || !strings.Contains(stderr, "not a plain directory") {
		t.Errorf("publish through a planted link: exit %d, wrote %v\n%s", code, ents, stderr)
	}
	// The build's cached source changed on disk, offline: it no longer
	// verifies, so nothing is published.
	cached := filepath.Join(f.home, "cache", "3.13.5", "Python-3.13.5.tar.xz")
	data, err := os.ReadFile(cached)
	if err != nil {
		t.Fatal(err)
	}
	data[100] ^= 1
	os.WriteFile(cached, data, 0o644)
	code, _, stderr = f.run("publish", "--offline", "--sign-key", f.key("fleet"), out, "3.13.5")
	if code != exitVerify || !strings.Contains(stderr, "the source no longer verifies") {
		t.Errorf("a source that no longer verifies: exit %d %s", code, stderr)
	}
	// A signing key others may read.
	os.Chmod(f.key("fleet"), 0o644)
	if code, _, stderr := f.run("publish", "--sign-key", f.key("fleet"), out, "3.13.5"); code != exitUsage || !strings.Contains(stderr, "chmod 600") {
		t.Errorf("a readable key: exit %d %s", code, stderr)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("published %v", ents)
	}
}

// keygen's NAME: "fleet.key" means the pair fleet.key/fleet.pub; an empty
// name or a folder is a usage error, never a hidden ".key".
func TestKeygenNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := t.TempDir()
	if code, stdout, stderr := e.run("keygen", filepath.Join(dir, "fleet.key")); code != 0 || !strings.Contains(stdout, "wrote "+filepath.Join(dir, "fleet.key")+" ") {
		t.Errorf("keygen fleet.key: %d %q %q", code, stdout, stderr)
	}
	for _, f := range []string{"fleet.key", "fleet.pub"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("keygen fleet.key: %v", err)
		}
	}
	for _, name := range []string{"", dir + "/", dir + "/.", dir + "/sub/.."} {
		if code, _, stderr := e.run("keygen", name); code != exitUsage || !strings.Contains(stderr, "keygen takes a NAME") {
			t.Errorf("keygen %q: %d %q", name, code, stderr)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("%d files in the folder, want fleet.key and fleet.pub", len(ents))
	}
}
