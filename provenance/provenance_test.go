package provenance_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
	"github.com/pyfetch/pyfetch/provenance"
	"github.com/pyfetch/pyfetch/verify"
)

func sample(archive []byte) provenance.Build {
	sum := sha256.Sum256(archive)
	return provenance.Build{
		Archive:       "cpython-3.13.5-linux-x86_64-gnu-0123456789ab.tar.zst",
		ArchiveSHA256: hex.EncodeToString(sum[:]),
		Version:       "3.13.5",
		Platform:      provenance.Platform{OS: "linux", Arch: "x86_64", Libc: "gnu", LibcVersion: "2.36"},
		Options:       provenance.Options{ConfigureArgs: []string{"--with-lto"}, Optimize: true},
		Source: provenance.Source{Name: "Python-3.13.5.tar.xz", URL: "https://www.python.org/ftp/python/3.13.5/Python-3.13.5.tar.xz",
			SHA256: "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640", Signer: "thomas@python.org", Issuer: "https://accounts.google.com", LogIndex: 123456},
		Prefix:        "/home/builder/.pyfetch/versions/3.13.5",
		Compiler:      "gcc (Debian 12.2.0-14) 12.2.0",
		ConfigureArgs: []string{"--prefix=/home/builder/.pyfetch/versions/3.13.5", "--with-lto", "--enable-optimizations"},
		Missing:       []string{"_tkinter"},
		Pyfetch:       "v1.2.3",
		FinishedOn:    time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
	}
}

func TestStatementRoundTrip(t *testing.T) {
	b := sample([]byte("archive"))
	data, err := provenance.Statement(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := provenance.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, b) {
		t.Errorf("round trip:\n got %+v\nwant %+v", *got, b)
	}
	for _, bad := range []string{`{}`, `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"x","digest":{"sha256":"00"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"buildType":"other"}}}`} {
		if _, err := provenance.Parse([]byte(bad)); !errors.Is(err, provenance.ErrStatement) {
			t.Errorf("Parse(%s) = %v, want ErrStatement", bad, err)
		}
	}
}

func TestKeySignVerify(t *testing.T) {
	dir := t.TempDir()
	fleet := filepath.Join(dir, "fleet")
	fp, err := provenance.Keygen(fleet)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(fleet + ".key"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi.Mode(), err)
	}
	if _, err := provenance.Keygen(fleet); !errors.Is(err, provenance.ErrKeyExists) {
		t.Errorf("keygen over an existing key: %v, want ErrKeyExists", err)
	}
	// A link planted where the key goes is not written through.
	planted := filepath.Join(dir, "planted")
	os.Symlink(filepath.Join(dir, "victim"), planted+".key")
	if _, err := provenance.Keygen(planted); !errors.Is(err, provenance.ErrKeyExists) {
		t.Errorf("keygen through a planted link: %v, want ErrKeyExists", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "victim")); err == nil {
		t.Error("keygen wrote through a planted link")
	}
	other := filepath.Join(dir, "other")
	if _, err := provenance.Keygen(other); err != nil {
		t.Fatal(err)
	}
	archive := []byte("the archive")
	st, err := provenance.Statement(sample(archive))
	if err != nil {
		t.Fatal(err)
	}
	key, err := provenance.LoadPrivateKey(fleet + ".key")
	if err != nil {
		t.Fatal(err)
	}
	bundleJSON, err := provenance.Sign(context.Background(), st, key)
	if err != nil {
		t.Fatal(err)
	}
	policy := func(pubFile string) verify.AttestationPolicy {
		pub, err := provenance.LoadPublicKey(pubFile)
		if err != nil {
			t.Fatal(err)
		}
		kv, err := verify.NewKeyVerifier(pub)
		if err != nil {
			t.Fatal(err)
		}
		return verify.AttestationPolicy{Key: kv}
	}
	b, err := verify.ParseAttestation(bundleJSON)
	if err != nil {
		t.Fatal(err)
	}
	good := sha256.Sum256(archive)
	stmt, res, err := verify.VerifyAttestation(b, good[:], policy(fleet+".pub"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Identity.SAN != fp || res.Identity.Issuer != verify.KeyIssuer {
		t.Errorf("signer %+v, want %s", res.Identity, fp)
	}
	if got, err := provenance.FromStatement(stmt); err != nil || got.Version != "3.13.5" {
		t.Errorf("statement: %+v %v", got, err)
	}
	other256 := sha256.Sum256([]byte("another archive"))
	for name, tc := range map[string]struct {
		digest []byte
		policy verify.AttestationPolicy
		want   error
	}{
		"another key":     {good[:], policy(other + ".pub"), verify.ErrSignature},
		"another archive": {other256[:], policy(fleet + ".pub"), verify.ErrDigest},
		"no policy":       {good[:], verify.AttestationPolicy{}, verify.ErrIdentity},
	} {
		if _, _, err := verify.VerifyAttestation(b, tc.digest, tc.policy); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}

func TestLoadKeys(t *testing.T) {
	dir := t.TempDir()
	if _, err := exec.LookPath("openssl"); err == nil {
		k := filepath.Join(dir, "ossl.key")
		if out, err := exec.Command("openssl", "ecparam", "-genkey", "-name", "prime256v1", "-out", k).CombinedOutput(); err != nil {
			t.Fatalf("%v %s", err, out)
		}
		os.Chmod(k, 0o600)
		if _, err := provenance.LoadPrivateKey(k); err != nil {
			t.Errorf("openssl ecparam key: %v", err)
		}
		os.Chmod(k, 0o644)
		if _, err := provenance.LoadPrivateKey(k); !errors.Is(err, provenance.ErrKey) {
			t.Errorf("a key others may read: %v, want ErrKey", err)
		}
	}
	junk := filepath.Join(dir, "junk")
	os.WriteFile(junk, []byte("not a key"), 0o600)
	if _, err := provenance.LoadPrivateKey(junk); !errors.Is(err, provenance.ErrKey) {
		t.Errorf("junk private: %v", err)
	}
	if _, err := provenance.LoadPublicKey(junk); !errors.Is(err, provenance.ErrKey) {
		t.Errorf("junk public: %v", err)
	}
}

func TestKeylessAttestation(t *testing.T) {
	ss := pyfetchtest.NewSigstore(t)
	archive := []byte("the archive")
	st, err := provenance.Statement(sample(archive))
	if err != nil {
		t.Fatal(err)
	}
	const id, iss = "https://github.com/org/fleet/.github/workflows/build.yml@refs/heads/main", "https://token.actions.githubusercontent.com"
	b, err := verify.ParseAttestation(ss.Attest(t, id, iss, st))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(archive)
	v := ss.Verifier(t)
	if _, res, err := verify.VerifyAttestation(b, sum[:], verify.AttestationPolicy{Verifier: v, Identity: verify.Identity{SAN: id, Issuer: iss}}); err != nil || res.Identity.SAN != id {
		t.Fatalf("keyless: %+v %v", res, err)
	}
	wrong := verify.Identity{SAN: "https://github.com/org/fleet/.github/workflows/evil.yml@refs/heads/main", Issuer: iss}
	if _, _, err := verify.VerifyAttestation(b, sum[:], verify.AttestationPolicy{Verifier: v, Identity: wrong}); !errors.Is(err, verify.ErrIdentity) {
		t.Errorf("another workflow: %v, want ErrIdentity", err)
	}
	// A message-signature bundle is not an attestation.
	if _, err := verify.ParseAttestation(ss.Sign(t, id, iss, archive)); !errors.Is(err, verify.ErrBundle) {
		t.Errorf("message signature: %v, want ErrBundle", err)
	}
}

// A statement's text reaches receipts and logs, and its prefix is
// rewritten in files: control characters and a prefix that is not a
// clean absolute folder are refused, however it is signed.
func TestStatementRefusesHostileText(t *testing.T) {
	for name, mutate := range map[string]func(*provenance.Build){
		"line break in the compiler": func(b *provenance.Build) { b.Compiler = "gcc\nsigned by thomas@python.org" },
		"escape in a configure arg":  func(b *provenance.Build) { b.Options.ConfigureArgs = []string{"--x\x1b[2J"} },
		"prefix /":                   func(b *provenance.Build) { b.Prefix = "/" },
		"relative prefix":            func(b *provenance.Build) { b.Prefix = "home/x" },
		"prefix with ..":             func(b *provenance.Build) { b.Prefix = "/home/x/../y" },
	} {
		b := sample([]byte("a"))
		mutate(&b)
		st, err := provenance.Statement(b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := provenance.Parse(st); !errors.Is(err, provenance.ErrStatement) {
			t.Errorf("%s: %v, want ErrStatement", name, err)
		}
	}
}

// A key the user names may be a link (a secrets folder); its mode is the
// file's own.
func TestLoadKeyThroughLink(t *testing.T) {
	dir := t.TempDir()
	if _, err := provenance.Keygen(filepath.Join(dir, "fleet")); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{".key", ".pub"} {
		os.Symlink(filepath.Join(dir, "fleet"+ext), filepath.Join(dir, "link"+ext))
	}
	if _, err := provenance.LoadPrivateKey(filepath.Join(dir, "link.key")); err != nil {
		t.Errorf("private key through a link: %v", err)
	}
	if _, err := provenance.LoadPublicKey(filepath.Join(dir, "link.pub")); err != nil {
		t.Errorf("public key through a link: %v", err)
	}
	os.Chmod(filepath.Join(dir, "fleet.key"), 0o640)
	if _, err := provenance.LoadPrivateKey(filepath.Join(dir, "link.key")); !errors.Is(err, provenance.ErrKey) {
		t.Errorf("a group-readable key through a link: %v, want ErrKey", err)
	}
}
