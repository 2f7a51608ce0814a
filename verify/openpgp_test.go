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

const (
	thomasFP = "7169605F62C751356D054A26A821E680E5FA6305"
	pabloFP  = "A035C8C19219BA821ECEA86B64E628F8D684696D"
	lukaszFP = "E3FF2839C048B25C084DEBE9B26995E310250568"
	nedFP    = "0D96DF4D4110E5C43FBFB17F2D347EA6AA65421D"
)

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
	if err := o.AddKeyring(bytes.NewReader(pk), pabloFP); err != nil {
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
	return signWith(t, e.PrivateKey, data, at)
}

// signWith is sign with one key: the primary, or a subkey.
func signWith(t *testing.T, priv *packet.PrivateKey, data []byte, at time.Time) []byte {
	t.Helper()
	keyID := priv.KeyId
	sig := &packet.Signature{Version: 4, SigType: packet.SigTypeBinary, PubKeyAlgo: priv.PubKeyAlgo,
		Hash: crypto.SHA512, CreationTime: at, IssuerKeyId: &keyID}
	h := crypto.SHA512.New()
	h.Write(data)
	if err := sig.Sign(h, priv, &packet.Config{}); err != nil {
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

// FuzzAddKeyring: a keyring the user names never panics pyfetch, and
// whatever it holds is added only as the pinned key.
func FuzzAddKeyring(f *testing.F) {
	pablo, err := os.ReadFile(filepath.Join("embedded", "openpgp", "pablo-galindo-salgado-"+pabloFP+".asc"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pablo)
	f.Add([]byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQIN\n-----END PGP PUBLIC KEY BLOCK-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		o, _ := verify.NewOpenPGP()
		if err := o.AddKeyring(bytes.NewReader(data), pabloFP); err == nil && !o.Has(pabloFP) {
			t.Fatal("added, yet not there")
		} else if err != nil && !errors.Is(err, verify.ErrKeyring) {
			t.Fatalf("not a keyring error: %v", err)
		}
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
		if want := fp != nedFP; o.Has(fp) != want {
			t.Errorf("key %s: loaded %v, want %v (every pinned key but Ned Deily's is embedded)", fp, o.Has(fp), want)
		}
	}
	if !slices.Contains(releases.OpenPGPFingerprints(), thomas) {
		t.Errorf("%s is not a pinned fingerprint", thomas)
	}
}

// TestRealOpenPGPEmbeddedKeys: python.org's genuine .asc of each release
// manager whose key is embedded reaches the signature's own check through
// the embedded key, valid when the signature was made (Pablo Galindo
// Salgado's through his signing subkey's binding): over other bytes it is
// a digest mismatch, never "another key" or "not embedded". Ned Deily's
// key is not embedded. And the embedded keys are python.org's published
// ones: the same primary key and subkeys as the copies in ../shared.
func TestRealOpenPGPEmbeddedKeys(t *testing.T) {
	dir := pyfetchtest.RealDir(t)
	o, err := verify.NewOpenPGP()
	if err != nil {
		t.Fatal(err)
	}
	other := []byte("bytes that are not the release")
	for _, c := range []struct {
		asc, fp string
		want    error
	}{
		{"Python-3.9.20.tar.xz.asc", lukaszFP, verify.ErrDigest},
		{"Python-3.10.11.tar.xz.asc", pabloFP, verify.ErrDigest},
		{"Python-3.11.2.tar.xz.asc", pabloFP, verify.ErrDigest},
		{"Python-3.13.0.tar.xz.asc", thomasFP, verify.ErrDigest},
		{"Python-3.6.15.tar.xz.asc", nedFP, verify.ErrKeyring},
	} {
		asc, err := os.ReadFile(filepath.Join(dir, "openpgp", c.asc))
		if err != nil {
			t.Fatal(err)
		}
		_, err = verifyASC(t, o, asc, other, c.fp)
		if !errors.Is(err, c.want) || errors.Is(err, verify.ErrIdentity) {
			t.Errorf("%s over other bytes: %v, want %v", c.asc, err, c.want)
		}
	}
	for _, k := range []struct{ name, fp string }{
		{"pablo-galindo-salgado", pabloFP},
		{"lukasz-langa", lukaszFP},
		{"thomas-wouters", thomasFP},
	} {
		file := k.name + "-" + k.fp + ".asc"
		embedded, published := keyIDs(t, filepath.Join("embedded", "openpgp", file)), keyIDs(t, filepath.Join(dir, "openpgp", file))
		if !slices.Equal(embedded, published) || embedded[0] != k.fp {
			t.Errorf("%s: embedded keys %v, published %v", file, embedded, published)
		}
	}
}

// keyIDs: the fingerprint of the one key in an armored file, then its
// subkeys' fingerprints, sorted.
func keyIDs(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	list, err := openpgp.ReadArmoredKeyRing(f)
	if err != nil || len(list) != 1 {
		t.Fatalf("%s: %d keys, %v", file, len(list), err)
	}
	var subs []string
	for _, s := range list[0].Subkeys {
		subs = append(subs, strings.ToUpper(hex.EncodeToString(s.PublicKey.Fingerprint)))
	}
	slices.Sort(subs)
	return append([]string{strings.ToUpper(hex.EncodeToString(list[0].PrimaryKey.Fingerprint))}, subs...)
}

// A key is judged as it stood when it signed. Release managers refresh
// their keys (Łukasz Langa's was re-signed in 2025 with a later expiry):
// a signature made before the refresh verifies (go-crypto alone judges
// it by the newest self-signature, which did not exist yet, and refuses
// it); one made after the old expiry and before the refresh does not;
// one made after the refresh does. The same for a signing subkey whose
// binding was refreshed.
func TestOpenPGPRefreshedKey(t *testing.T) {
	t.Parallel()
	created := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	refreshed := created.AddDate(2, 0, 0)
	year, fiveYears := uint32(365*24*3600), uint32(5*365*24*3600)
	cfg := &packet.Config{Time: func() time.Time { return created }, Algorithm: packet.PubKeyAlgoEdDSA, KeyLifetimeSecs: year}
	rm, err := openpgp.NewEntity("Release Manager", "", "rm@python.org", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := rm.AddSigningSubkey(cfg); err != nil {
		t.Fatal(err)
	}
	at := &packet.Config{Time: func() time.Time { return refreshed }}
	for _, id := range rm.Identities {
		self := &packet.Signature{Version: 4, SigType: packet.SigTypePositiveCert, PubKeyAlgo: rm.PrimaryKey.PubKeyAlgo, Hash: crypto.SHA256,
			CreationTime: refreshed, IssuerKeyId: &rm.PrimaryKey.KeyId, KeyLifetimeSecs: &fiveYears, FlagsValid: true, FlagSign: true, FlagCertify: true}
		if err := self.SignUserId(id.UserId.Id, rm.PrimaryKey, rm.PrivateKey, at); err != nil {
			t.Fatal(err)
		}
		id.Signatures = append(id.Signatures, self)
	}
	sub := rm.Subkeys[len(rm.Subkeys)-1] // after NewEntity's encryption subkey
	binding := &packet.Signature{Version: 4, SigType: packet.SigTypeSubkeyBinding, PubKeyAlgo: rm.PrimaryKey.PubKeyAlgo, Hash: crypto.SHA256,
		CreationTime: refreshed, IssuerKeyId: &rm.PrimaryKey.KeyId, KeyLifetimeSecs: &fiveYears, FlagsValid: true, FlagSign: true,
		EmbeddedSignature: &packet.Signature{Version: 4, SigType: packet.SigTypePrimaryKeyBinding, PubKeyAlgo: sub.PublicKey.PubKeyAlgo,
			Hash: crypto.SHA256, CreationTime: refreshed, IssuerKeyId: &sub.PublicKey.KeyId}}
	if err := binding.EmbeddedSignature.CrossSignKey(sub.PublicKey, rm.PrimaryKey, sub.PrivateKey, at); err != nil {
		t.Fatal(err)
	}
	if err := binding.SignKey(sub.PublicKey, rm.PrivateKey, at); err != nil {
		t.Fatal(err)
	}
	// The published key: the user ID with both self-signatures, the
	// subkey with both bindings.
	var pub bytes.Buffer
	w, _ := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	rm.Subkeys = nil
	rm.Serialize(w)
	sub.PublicKey.Serialize(w)
	sub.Sig.Serialize(w)
	binding.Serialize(w)
	w.Close()
	fp := strings.ToUpper(hex.EncodeToString(rm.PrimaryKey.Fingerprint))
	o, err := verify.NewOpenPGP()
	if err != nil {
		t.Fatal(err)
	}
	if err := o.AddKeyring(&pub, fp); err != nil {
		t.Fatal(err)
	}
	data := []byte("Python-3.8.1.tar.xz bytes")
	for _, c := range []struct {
		name string
		by   *packet.PrivateKey
		when time.Time
		ok   bool
	}{
		{"primary, before the refresh", rm.PrivateKey, created.AddDate(0, 1, 0), true},
		{"primary, expired, before the refresh", rm.PrivateKey, created.AddDate(1, 6, 0), false},
		{"primary, after the refresh", rm.PrivateKey, refreshed.AddDate(1, 0, 0), true},
		{"primary, after the refreshed expiry", rm.PrivateKey, created.AddDate(5, 1, 0), false},
		{"subkey, before the refresh", sub.PrivateKey, created.AddDate(0, 1, 0), true},
		{"subkey, expired, before the refresh", sub.PrivateKey, created.AddDate(1, 6, 0), false},
		{"subkey, after the refresh", sub.PrivateKey, refreshed.AddDate(1, 0, 0), true},
		{"before the key was made", rm.PrivateKey, created.AddDate(0, 0, -1), false},
	} {
		_, err := verifyASC(t, o, signWith(t, c.by, data, c.when), data, fp)
		if c.ok && err != nil || !c.ok && !errors.Is(err, verify.ErrIdentity) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
