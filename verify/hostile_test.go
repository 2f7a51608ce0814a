package verify_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
	"github.com/pyfetch/pyfetch/verify"
)

// mutate decodes bundle JSON, lets f change it, and re-encodes it.
func mutate(t *testing.T, bundle []byte, f func(b map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(bundle, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// get walks a path of map keys and slice indexes.
func get(m any, path ...any) map[string]any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m = m.(map[string]any)[k]
		case int:
			m = m.([]any)[k]
		}
	}
	return m.(map[string]any)
}

// flipB64 flips one bit in the middle of a base64 field.
func flipB64(t *testing.T, m map[string]any, key string) {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(m[key].(string))
	if err != nil {
		t.Fatalf("%s is not base64: %v", key, err)
	}
	raw[len(raw)/2] ^= 0x01
	m[key] = base64.StdEncoding.EncodeToString(raw)
}

type hostileCase struct {
	name   string
	mutate func(t *testing.T, b map[string]any)
	want   error
	msg    string // part of the error naming the failed check
}

// bundleAttacks are the alterations of one field each; every one must be
// refused.
var bundleAttacks = []hostileCase{
	{"signature altered", func(t *testing.T, b map[string]any) { flipB64(t, get(b, "messageSignature"), "signature") }, verify.ErrSignature, "signature"},
	{"tlog body altered", func(t *testing.T, b map[string]any) {
		flipB64(t, get(b, "verificationMaterial", "tlogEntries", 0), "canonicalizedBody")
	}, verify.ErrVerification, ""},
	{"signed entry timestamp altered", func(t *testing.T, b map[string]any) {
		flipB64(t, get(b, "verificationMaterial", "tlogEntries", 0, "inclusionPromise"), "signedEntryTimestamp")
	}, verify.ErrSignature, ""},
	{"inclusion proof root altered", func(t *testing.T, b map[string]any) {
		flipB64(t, get(b, "verificationMaterial", "tlogEntries", 0, "inclusionProof"), "rootHash")
	}, verify.ErrSignature, ""},
	{"checkpoint altered", func(t *testing.T, b map[string]any) {
		cp := get(b, "verificationMaterial", "tlogEntries", 0, "inclusionProof", "checkpoint")
		env := cp["envelope"].(string)
		cp["envelope"] = strings.Replace(env, "\n", "\n0", 1)
	}, verify.ErrSignature, ""},
	{"integrated time moved", func(t *testing.T, b map[string]any) {
		get(b, "verificationMaterial", "tlogEntries", 0)["integratedTime"] = "1700000000"
	}, verify.ErrSignature, ""},
	{"tlog entries removed", func(t *testing.T, b map[string]any) {
		get(b, "verificationMaterial")["tlogEntries"] = []any{}
	}, verify.ErrVerification, ""},
}

func TestHostileVirtualBundles(t *testing.T) {
	t.Parallel()
	ss := pyfetchtest.NewSigstore(t)
	v := newVerifier(t, ss.RootFile)
	art := []byte("artifact bytes")
	sum := sha256.Sum256(art)
	id := verify.Identity{SAN: thomas, Issuer: google}
	good := ss.Sign(t, thomas, google, art)
	other := ss.Sign(t, thomas, google, art) // same signer, another key and cert
	cases := append([]hostileCase{}, bundleAttacks...)
	cases = append(cases, hostileCase{"certificate swapped", func(t *testing.T, b map[string]any) {
		var o map[string]any
		json.Unmarshal(other, &o)
		get(b, "verificationMaterial")["certificate"] = get(o, "verificationMaterial", "certificate")
	}, verify.ErrSignature, ""})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := mutate(t, good, func(b map[string]any) { tc.mutate(t, b) })
			assertRefused(t, v, data, sum[:], id, tc.want, tc.msg)
		})
	}
	t.Run("DSSE envelope instead of a message signature", func(t *testing.T) {
		data := mutate(t, good, func(b map[string]any) {
			delete(b, "messageSignature")
			b["dsseEnvelope"] = map[string]any{
				"payload":     base64.StdEncoding.EncodeToString([]byte(`{"_type":"https://in-toto.io/Statement/v1"}`)),
				"payloadType": "application/vnd.in-toto+json",
				"signatures":  []any{map[string]any{"sig": base64.StdEncoding.EncodeToString([]byte("sig"))}},
			}
		})
		assertRefused(t, v, data, sum[:], id, verify.ErrBundle, "found a DSSE envelope")
	})
	t.Run("integrated time outside certificate validity", func(t *testing.T) {
		data, err := pyfetchtest.SignBundleAt(ss.VS, thomas, google, art, time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		assertRefused(t, v, data, sum[:], id, verify.ErrSignature, "")
	})
	t.Run("unaltered control", func(t *testing.T) {
		b, err := verify.ParseBundle(good)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(b, sum[:], id); err != nil {
			t.Fatalf("the unaltered bundle must verify, or every case above proves nothing: %v", err)
		}
	})
}

// TestHostileRealBundles applies the same attacks to a genuine python.org
// bundle, and replays genuine bundles against other artifacts' digests.
func TestHostileRealBundles(t *testing.T) {
	dir := pyfetchtest.RealDir(t)
	tr, err := verify.EmbeddedTrustedRoot()
	if err != nil {
		t.Fatal(err)
	}
	v, _ := verify.NewVerifier(tr)
	good, err := os.ReadFile(filepath.Join(dir, "bundles", "Python-3.13.1.tgz.sigstore"))
	if err != nil {
		t.Fatal(err)
	}
	sum, _ := hex.DecodeString("1513925a9f255ef0793dbf2f78bb4533c9f184bdd0ad19763fd7f47a400a7c55")
	id := verify.Identity{SAN: thomas, Issuer: google}
	for _, tc := range bundleAttacks {
		t.Run(tc.name, func(t *testing.T) {
			assertRefused(t, v, mutate(t, good, func(b map[string]any) { tc.mutate(t, b) }), sum, id, tc.want, tc.msg)
		})
	}
	arts := pyfetchtest.RealArtifacts(t)
	t.Run("replay of another release's genuine bundle", func(t *testing.T) {
		// 3.13.1's bundle offered for 3.13.5, same signer: only the digest differs.
		d, _ := hex.DecodeString(find(t, arts, "Python-3.13.5.tgz").SHA256)
		assertRefused(t, v, good, d, id, verify.ErrDigest, "expected sha256: 1513925a")
	})
	// python.org re-uploaded some artifacts (3.14.0a5, …): an old digest
	// must fail against the new bundle. Every genuine bundle with a digest
	// one bit off stands in for that.
	for _, a := range arts {
		t.Run("stale digest "+a.File, func(t *testing.T) {
			data, _ := os.ReadFile(filepath.Join(dir, "bundles", a.File+".sigstore"))
			d, _ := hex.DecodeString(a.SHA256)
			d[31] ^= 1
			b, err := verify.ParseBundle(data)
			if err != nil {
				t.Fatal(err)
			}
			// The right signer, so that only the digest is stale.
			if _, err := v.Verify(b, d, signerOf(t, a.File)); !errors.Is(err, verify.ErrDigest) {
				t.Fatalf("got %v, want ErrDigest", err)
			}
		})
	}
}

func find(t *testing.T, arts []pyfetchtest.RealArtifact, file string) pyfetchtest.RealArtifact {
	for _, a := range arts {
		if a.File == file {
			return a
		}
	}
	t.Fatalf("%s not in artifacts.tsv", file)
	return pyfetchtest.RealArtifact{}
}

func newVerifier(t *testing.T, rootFile string) *verify.Verifier {
	t.Helper()
	data, err := os.ReadFile(rootFile)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := verify.ParseTrustedRoot(bytes.TrimSpace(data))
	if err != nil {
		t.Fatal(err)
	}
	var opts []verify.Option
	if len(tr.CTLogs()) == 0 { // a VirtualSigstore; the real root lists CT logs
		opts = append(opts, verify.WithoutSCTsUnsafe())
	}
	v, err := verify.NewVerifier(tr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func assertRefused(t *testing.T, v *verify.Verifier, data, digest []byte, id verify.Identity, want error, msg string) {
	t.Helper()
	b, err := verify.ParseBundle(data)
	if err == nil {
		_, err = v.Verify(b, digest, id)
	}
	if !errors.Is(err, want) || !errors.Is(err, verify.ErrVerification) {
		t.Fatalf("got %v, want %v", err, want)
	}
	t.Logf("refused: %v", err)
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("error %q does not name %q", err, msg)
	}
}
