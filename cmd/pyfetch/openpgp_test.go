package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

const thomasFingerprint = "7169605F62C751356D054A26A821E680E5FA6305"

// A mirror (or an export) that carries only python.org's .asc of a
// release signed both ways still installs, through OpenPGP and the
// embedded key, judged when the signature was made (the key expired in
// 2026); with the bundle there too, Sigstore is used; verify says which.
func TestGenuineOpenPGPInstall(t *testing.T) {
	real, mirror := realMirror(t)
	os.Remove(filepath.Join(mirror, "3.13.5", "Python-3.13.5.tar.xz.sigstore"))
	asc, _ := filepath.Abs(filepath.Join(real, "openpgp", "Python-3.13.5.tar.xz.asc"))
	if err := os.Symlink(asc, filepath.Join(mirror, "3.13.5", "Python-3.13.5.tar.xz.asc")); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	delete(e.vars, "PYFETCH_TRUSTED_ROOT") // the public-good root: embedded, offline
	e.vars["PYFETCH_MIRROR"] = "file://" + mirror + "/"
	code, stdout, stderr := e.run("install", "--offline", "3.13.5")
	if code != 0 || !strings.Contains(stdout, "signed by "+thomasFingerprint+" via openpgp") {
		t.Fatalf("install through OpenPGP: exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
	rc := readReceipt(t, filepath.Join(e.home, "versions", "3.13.5"))
	if rc["method"] != "openpgp" || rc["signer"] != thomasFingerprint {
		t.Errorf("receipt: method %v, signer %v", rc["method"], rc["signer"])
	}
	// verify finds the .asc beside the file.
	art := filepath.Join(mirror, "3.13.5", "Python-3.13.5.tar.xz")
	code, stdout, stderr = e.run("verify", "--offline", art)
	if code != 0 || stdout != "OK: Python-3.13.5.tar.xz\n" || !strings.Contains(stderr, thomasFingerprint) ||
		!strings.Contains(stderr, ", signed 2025-06-11") || strings.Contains(stderr, "Rekor") {
		t.Errorf("verify with an .asc: exit %d %q %q", code, stdout, stderr)
	}
	// An .asc named as --bundle under another name (as <(curl …) gives)
	// is known by its content.
	sig := filepath.Join(t.TempDir(), "signature")
	data, _ := os.ReadFile(asc)
	os.WriteFile(sig, data, 0o644)
	if code, stdout, stderr := e.run("verify", "--offline", "--bundle", sig, art); code != 0 || stdout != "OK: Python-3.13.5.tar.xz\n" || !strings.Contains(stderr, thomasFingerprint) {
		t.Errorf("an .asc under another name: exit %d %q %q", code, stdout, stderr)
	}
	// Both there: Sigstore.
	bundle, _ := filepath.Abs(filepath.Join(real, "bundles", "Python-3.13.5.tar.xz.sigstore"))
	os.Symlink(bundle, filepath.Join(mirror, "3.13.5", "Python-3.13.5.tar.xz.sigstore"))
	if code, _, stderr := e.run("install", "--offline", "--force", "3.13.5"); code != 0 {
		t.Fatal(stderr)
	}
	if rc := readReceipt(t, filepath.Join(e.home, "versions", "3.13.5")); rc["method"] != "sigstore" || rc["signer"] != "thomas@python.org" {
		t.Errorf("with both: method %v, signer %v", rc["method"], rc["signer"])
	}
	// A keyring the user names must hold a pinned release manager's key.
	pablo := filepath.Join(real, "openpgp", "pablo-galindo-salgado-A035C8C19219BA821ECEA86B64E628F8D684696D.asc")
	if code, _, stderr := e.run("verify", "--offline", "--openpgp-keyring", pablo, art); code != 0 {
		t.Errorf("Pablo's genuine key as a keyring: exit %d %q", code, stderr)
	}
	bogus := filepath.Join(t.TempDir(), "key.asc")
	_, pub := newTestKey(t)
	os.WriteFile(bogus, []byte(pub), 0o644)
	code, _, stderr = e.run("verify", "--offline", "--openpgp-keyring", bogus, art)
	if code != exitVerify || !strings.Contains(stderr, "no release manager's pinned key") {
		t.Errorf("an unpinned keyring: exit %d %q", code, stderr)
	}
}

// newTestKey makes an OpenPGP key no release manager has.
func newTestKey(t *testing.T) (fingerprint, armored string) {
	t.Helper()
	e, err := openpgp.NewEntity("Mallory", "", "thomas@python.org", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	w, _ := armor.Encode(&b, openpgp.PublicKeyType, nil)
	e.Serialize(w)
	w.Close()
	return fmt.Sprintf("%X", e.PrimaryKey.Fingerprint), b.String()
}

// releases says how each release is signed: an .asc alone (a release
// from before Sigstore) counts, as OpenPGP.
func TestReleasesSayTheMethod(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mirror.Publish(t, e.ss, "3.9.20", "tar.xz", "lukasz@langa.pl", github, nil)
	e.mirror.Put(t, "3.9.10/Python-3.9.10.tar.xz", []byte("old"))
	e.mirror.Put(t, "3.9.10/Python-3.9.10.tar.xz.asc", []byte("sig"))
	code, stdout, stderr := e.run("releases", "3.9")
	if code != 0 || !strings.Contains(stdout, "3.9.10     tar.xz         signed: tar.xz (openpgp)") || !strings.Contains(stdout, "3.9.20     tar.xz         signed: tar.xz\n") {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
}

// The release managers' keys are embedded but Ned Deily's: python.org's
// genuine .asc of 3.9 (Łukasz Langa), 3.10 and 3.11 (Pablo Galindo
// Salgado, through his signing subkey) reaches the signature's own check
// with no keyring named; over bytes that are not the release that check
// fails. 3.6 asks for a keyring.
func TestEmbeddedOpenPGPKeys(t *testing.T) {
	real, _ := realMirror(t)
	e := newEnv(t)
	dir := t.TempDir()
	tarball, _ := filepath.Abs(filepath.Join(real, "artifacts", "Python-3.13.5.tar.xz"))
	for _, c := range []struct{ version, want string }{
		{"3.9.20", "digest mismatch: the OpenPGP signature does not match the artifact"},
		{"3.10.11", "digest mismatch: the OpenPGP signature does not match the artifact"},
		{"3.11.2", "digest mismatch: the OpenPGP signature does not match the artifact"},
		{"3.6.15", "key 0D96DF4D4110E5C43FBFB17F2D347EA6AA65421D is not embedded in pyfetch; pass a keyring holding it (--openpgp-keyring FILE)"},
	} {
		art := filepath.Join(dir, "Python-"+c.version+".tar.xz")
		if err := os.Symlink(tarball, art); err != nil {
			t.Fatal(err)
		}
		asc, err := os.ReadFile(filepath.Join(real, "openpgp", "Python-"+c.version+".tar.xz.asc"))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(art+".asc", asc, 0o644)
		if code, _, stderr := e.run("verify", "--offline", art); code != exitVerify || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d %q", c.version, code, stderr)
		}
	}
}

// The signer table in docs/commands.md is pyfetch's own: each line's
// Sigstore identity and OpenPGP key, and whether the key is embedded, as
// pyfetch signers --json prints them.
func TestSignerTableDocumented(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	code, stdout, stderr := e.run("signers", "--json")
	if code != 0 {
		t.Fatal(stderr)
	}
	var table struct {
		Signers []struct {
			Line, Identity, Issuer string
			FirstSigned            string `json:"first_signed"`
		}
		OpenPGP []struct {
			Line, Name, Fingerprint string
			Embedded                bool
		}
	}
	if err := json.Unmarshal([]byte(stdout), &table); err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, s := range table.Signers {
		rows[s.Line] = fmt.Sprintf("| %s | `%s` | `%s` | %s | ", s.Line, s.Identity, s.Issuer, s.FirstSigned)
	}
	for _, k := range table.OpenPGP {
		where := "`--openpgp-keyring`"
		if k.Embedded {
			where = "embedded"
		}
		row, ok := rows[k.Line]
		if !ok {
			row = fmt.Sprintf("| %s | | | | ", k.Line)
		}
		rows[k.Line] = row + fmt.Sprintf("%s `%s` | %s |", k.Name, k.Fingerprint, where)
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "commands.md"))
	if err != nil {
		t.Fatal(err)
	}
	for line, row := range rows {
		if !strings.HasSuffix(row, " |") {
			row += "(none: PEP 761) | |"
		}
		if !strings.Contains(string(doc), "\n"+row+"\n") {
			t.Errorf("docs/commands.md's signer table has no row for %s as pyfetch signers says it:\n%s", line, row)
		}
	}
}
