package verify_test

import (
	"bytes"
	"crypto"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/pyfetch/pyfetch/internal/digest"
	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/verify"
)

const thomasFP = "7169605F62C751356D054A26A821E680E5FA6305"

func verifyASC(t *testing.T, o *verify.OpenPGP, asc, artifact []byte, fp string) (*verify.Result, error) {
	t.Helper()
	sig, err := o.Parse(asc)
	if err != nil {
		return nil, err
	}
	set, err := digest.Reader(bytes.NewReader(artifact), o.Hashes(sig)...)
	if err != nil {
		t.Fatal(err)
	}
	return o.Verify(sig, set, verify.Expect{KeyFingerprint: fp})
}

// The genuine 3.13.5 .asc verifies with the embedded key, today, although
// the key expired in 2026: validity is judged when the signature was made.
// A flipped byte, another release's .asc and another release manager's
// signature are refused.
func TestRealOpenPGP(t *testing.T) {
	dir := pyfetchtest.RealDir(t)
	o, err := verify.NewOpenPGP()
	if err != nil {
		t.Fatal(err)
	}
	tarball, err := os.ReadFile(filepath.Join(dir, "artifacts", "Python-3.13.5.tar.xz"))
	if err != nil {
		t.Skipf("no genuine tarball: %v", err)
	}
	asc, _ := os.ReadFile(filepath.Join(dir, "openpgp", "Python-3.13.5.tar.xz.asc"))
	res, err := verifyASC(t, o, asc, tarball, thomasFP)
	if err != nil || res.Method != "openpgp" || res.SHA256 != "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640" {
		t.Fatalf("genuine 3.13.5: %+v %v", res, err)
	}
	flipped := append([]byte(nil), tarball...)
	flipped[len(flipped)/2] ^= 1
	if _, err := verifyASC(t, o, asc, flipped, thomasFP); !errors.Is(err, verify.ErrVerification) {
		t.Errorf("one flipped byte: %v", err)
	}
	other, _ := os.ReadFile(filepath.Join(dir, "openpgp", "Python-3.13.0.tar.xz.asc"))
	if _, err := verifyASC(t, o, other, tarball, thomasFP); !errors.Is(err, verify.ErrVerification) {
		t.Errorf("another release's .asc: %v", err)
	}
	pablo, _ := os.ReadFile(filepath.Join(dir, "openpgp", "Python-3.11.2.tar.xz.asc"))
	if _, err := verifyASC(t, o, pablo, tarball, thomasFP); !errors.Is(err, verify.ErrIdentity) {
		t.Errorf("another release manager's signature: %v", err)
	}
	// Pablo's key from a keyring the user names: only with its pinned
	// fingerprint; and his signature is made with a subkey, found through
	// the primary key's binding.
	pk, _ := os.ReadFile(filepath.Join(dir, "openpgp", "pablo-galindo-salgado-A035C8C19219BA821ECEA86B64E628F8D684696D.asc"))
	if err := o.AddKeyring(bytes.NewReader(pk), thomasFP); !errors.Is(err, verify.ErrKeyring) {
		t.Errorf("a keyring with another fingerprint: %v", err)
	}
	if err := o.AddKeyring(bytes.NewReader(pk), "A035C8C19219BA821ECEA86B64E628F8D684696D"); err != nil {
		t.Fatal(err)
	}
	sig, err := o.Parse(pablo)
	if err != nil {
		t.Fatal(err)
	}
	if hs := o.Hashes(sig); len(hs) != 1 {
		t.Errorf("hashes %v", hs)
	}
}

// newKey makes an OpenPGP key as a release manager would, valid from
// created for lifetime (0: forever).
func newKey(t *testing.T, email string, created time.Time, lifetime time.Duration) (*openpgp.Entity, string) {
	t.Helper()
	cfg := &packet.Config{Time: func() time.Time { return created }, Algorithm: packet.PubKeyAlgoEdDSA, KeyLifetimeSecs: uint32(lifetime.Seconds())}
	e, err := openpgp.NewEntity("Release Manager", "", email, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var pub bytes.Buffer
	w, _ := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	e.Serialize(w)
	w.Close()
	return e, pub.String()
}

// sign makes a detached signature dated at, with the low-level signer:
// go-crypto's own refuses to sign with an expired key, and a forger's
// tool would not.
func sign(t *testing.T, e *openpgp.Entity, data []byte, at time.Time) []byte {
	t.Helper()
	keyID := e.PrivateKey.KeyId
	sig := &packet.Signature{Version: 4, SigType: packet.SigTypeBinary, PubKeyAlgo: e.PrivateKey.PubKeyAlgo,
		Hash: crypto.SHA512, CreationTime: at, IssuerKeyId: &keyID}
	h := crypto.SHA512.New()
	h.Write(data)
	if err := sig.Sign(h, e.PrivateKey, &packet.Config{}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w, _ := armor.Encode(&out, openpgp.SignatureType, nil)
	sig.Serialize(w)
	w.Close()
	return out.Bytes()
}

// What the genuine material cannot show, with keys made here: a key
// swapped for one with the same user ID and another fingerprint; a
// signature made after the key expired; a good one made before.
func TestOpenPGPKeys(t *testing.T) {
	t.Parallel()
	created := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	rm, rmPub := newKey(t, "rm@python.org", created, 365*24*time.Hour)
	fp := strings.ToUpper(hex.EncodeToString(rm.PrimaryKey.Fingerprint))
	impostor, impostorPub := newKey(t, "rm@python.org", created, 0)
	o, err := verify.NewOpenPGP()
	if err != nil {
		t.Fatal(err)
	}
	if err := o.AddKeyring(strings.NewReader(impostorPub), fp); !errors.Is(err, verify.ErrKeyring) || !strings.Contains(err.Error(), "found fingerprint") {
		t.Errorf("a key with the same user ID and another fingerprint: %v", err)
	}
	var two bytes.Buffer
	w, _ := armor.Encode(&two, openpgp.PublicKeyType, nil)
	rm.Serialize(w)
	impostor.Serialize(w)
	w.Close()
	if err := o.AddKeyring(&two, fp); !errors.Is(err, verify.ErrKeyring) {
		t.Errorf("a keyring of two keys: %v", err)
	}
	if err := o.AddKeyring(strings.NewReader(rmPub), fp); err != nil {
		t.Fatal(err)
	}
	data := []byte("Python-3.7.17.tar.xz bytes")
	if _, err := verifyASC(t, o, sign(t, rm, data, created.Add(30*24*time.Hour)), data, fp); err != nil {
		t.Errorf("signed while the key was valid (it has expired since): %v", err)
	}
	if _, err := verifyASC(t, o, sign(t, rm, data, created.Add(400*24*time.Hour)), data, fp); !errors.Is(err, verify.ErrIdentity) {
		t.Errorf("signed after the key expired: %v", err)
	}
	if _, err := verifyASC(t, o, []byte("-----BEGIN PGP SIGNATURE-----\n\nnot base64\n-----END PGP SIGNATURE-----\n"), data, fp); !errors.Is(err, verify.ErrBundle) {
		t.Errorf("garbage: %v", err)
	}
}

// FuzzParseOpenPGP: an .asc never panics the parser.
func FuzzParseOpenPGP(f *testing.F) {
	f.Add([]byte("-----BEGIN PGP SIGNATURE-----\n\niQIz\n-----END PGP SIGNATURE-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		o := &verify.OpenPGP{}
		o.Parse(data) //nolint:errcheck // only that it returns
	})
}

// TestOpenPGPEmbeddedLazily: the embedded key is there on first use,
// from goroutines at once (parsed once), and only the pinned ones are.
func TestOpenPGPEmbeddedLazily(t *testing.T) {
	t.Parallel()
	o, err := verify.NewOpenPGP()
	if err != nil {
		t.Fatal(err)
	}
	const thomas = thomasFP
	var wg sync.WaitGroup
	has := make([]bool, 8)
	for i := range has {
		wg.Go(func() { has[i] = o.Has(thomas) })
	}
	wg.Wait()
	for i, ok := range has {
		if !ok {
			t.Errorf("goroutine %d: the embedded key of Thomas Wouters is missing", i)
		}
	}
	for _, fp := range releases.OpenPGPFingerprints() {
		if fp != thomas && o.Has(fp) {
			t.Errorf("key %s is reported loaded, but only Thomas Wouters' is embedded", fp)
		}
	}
	if !slices.Contains(releases.OpenPGPFingerprints(), thomas) {
		t.Errorf("%s is not a pinned fingerprint", thomas)
	}
}
