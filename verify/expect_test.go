package verify_test

import (
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/pyfetch/pyfetch/internal/digest"
	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
	"github.com/pyfetch/pyfetch/verify"
)

// An Expect's pins hold even over a valid signature by the expected
// signer: another digest or another log entry is refused (ErrPinned),
// through the Sigstore Scheme as through the Verifier.
func TestExpectPinsAndTheSigstoreScheme(t *testing.T) {
	t.Parallel()
	ss := pyfetchtest.NewSigstore(t)
	v := ss.Verifier(t)
	artifact := []byte("the artifact")
	sum := sha256.Sum256(artifact)
	var scheme verify.Scheme = verify.Sigstore{V: v}
	if scheme.Sidecar("Python-3.13.5.tgz") != "Python-3.13.5.tgz.sigstore" || scheme.Name() != "sigstore" {
		t.Errorf("sidecar %q, name %q", scheme.Sidecar("Python-3.13.5.tgz"), scheme.Name())
	}
	sig, err := scheme.Parse(ss.Sign(t, thomas, google, artifact))
	if err != nil {
		t.Fatal(err)
	}
	sums, _ := digest.Reader(strings.NewReader(string(artifact)), scheme.Hashes(sig)...)
	id := verify.Identity{SAN: thomas, Issuer: google}
	res, err := scheme.Verify(sig, sums, verify.Expect{Identity: id, SHA256: sum[:]})
	if err != nil || res.Method != "sigstore" {
		t.Fatalf("pinned to its own digest: %v %+v", err, res)
	}
	other := sha256.Sum256([]byte("another"))
	wrongIndex := res.LogIndex + 1
	for name, exp := range map[string]verify.Expect{
		"another digest pinned":    {Identity: id, SHA256: other[:]},
		"another log entry pinned": {Identity: id, LogIndex: &wrongIndex},
	} {
		if _, err := scheme.Verify(sig, sums, exp); !errors.Is(err, verify.ErrPinned) || !errors.Is(err, verify.ErrVerification) {
			t.Errorf("%s: %v, want ErrPinned", name, err)
		}
	}
	otherSet, _ := digest.Reader(strings.NewReader("another"))
	if _, err := scheme.Verify(sig, otherSet, id); !errors.Is(err, verify.ErrDigest) {
		t.Errorf("other bytes: %v, want ErrDigest", err)
	}
}
