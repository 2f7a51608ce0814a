package verify_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
	"github.com/pyfetch/pyfetch/verify"
)

const (
	thomas = "thomas@python.org"
	google = "https://accounts.google.com"
	github = "https://github.com/login/oauth"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	ss := pyfetchtest.NewSigstore(t)
	tr, src, err := verify.LoadTrustedRoot(context.Background(), verify.RootOptions{File: ss.RootFile})
	if err != nil || src != verify.SourceFile {
		t.Fatalf("LoadTrustedRoot: %v %q", err, src)
	}
	v, err := verify.NewVerifier(tr, verify.WithoutSCTsUnsafe()) // a VirtualSigstore has no CT log
	if err != nil {
		t.Fatal(err)
	}
	artifact := []byte("the artifact")
	other := []byte("another artifact")
	sum := func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }
	want := verify.Identity{SAN: thomas, Issuer: google}

	tests := []struct {
		name    string
		bundle  []byte
		digest  []byte
		wantErr error
		msg     string
	}{
		{"good", ss.Sign(t, thomas, google, artifact), sum(artifact), nil, ""},
		{"wrong SAN", ss.Sign(t, "attacker@gmail.com", google, artifact), sum(artifact), verify.ErrIdentity, "found:    attacker@gmail.com"},
		{"wrong issuer", ss.Sign(t, thomas, github, artifact), sum(artifact), verify.ErrIdentity, "via " + github},
		{"bundle of another artifact", ss.Sign(t, thomas, google, other), sum(artifact), verify.ErrDigest, "expected sha256"},
		{"artifact tampered", ss.Sign(t, thomas, google, artifact), sum(append([]byte{}, "The artifact"...)), verify.ErrDigest, "found sha256"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := verify.ParseBundle(tc.bundle)
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.Verify(b, tc.digest, want)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if res.Identity != want || res.IntegratedTime.IsZero() {
					t.Errorf("result %+v", res)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) || !errors.Is(err, verify.ErrVerification) {
				t.Fatalf("Verify: got %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
		})
	}
}

func TestVerifyRejectsOtherTrustRoot(t *testing.T) {
	t.Parallel()
	signer := pyfetchtest.NewSigstore(t)
	other := pyfetchtest.NewSigstore(t)
	tr, _, err := verify.LoadTrustedRoot(context.Background(), verify.RootOptions{File: other.RootFile})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := verify.NewVerifier(tr, verify.WithoutSCTsUnsafe()) // a VirtualSigstore has no CT log
	artifact := []byte("x")
	b, err := verify.ParseBundle(signer.Sign(t, thomas, google, artifact))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(artifact)
	if _, err := v.Verify(b, sum[:], verify.Identity{SAN: thomas, Issuer: google}); !errors.Is(err, verify.ErrSignature) {
		t.Fatalf("bundle from an untrusted instance: got %v, want ErrSignature", err)
	}
}

func TestParseBundleRejects(t *testing.T) {
	t.Parallel()
	tests := map[string][]byte{
		"empty":              {},
		"not json":           []byte("<html>hello</html>"),
		"truncated":          []byte(`{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "verif`),
		"huge":               []byte(strings.Repeat(" ", verify.MaxBundleBytes+1)),
		"unknown media type": []byte(`{"mediaType":"application/x-nope","verificationMaterial":{},"messageSignature":{}}`),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := verify.ParseBundle(data); !errors.Is(err, verify.ErrBundle) {
				t.Fatalf("got %v, want ErrBundle", err)
			}
		})
	}
}

// TestSCTsRequired: a certificate without an SCT is refused once the
// trusted root lists a CT log, and by default even when it lists none
// (only the explicit WithoutSCTsUnsafe drops the requirement).
func TestSCTsRequired(t *testing.T) {
	t.Parallel()
	ss := pyfetchtest.NewSigstore(t)
	withCT, err := pyfetchtest.TrustedRootJSONWithCT(ss.VS)
	if err != nil {
		t.Fatal(err)
	}
	withoutCT, err := os.ReadFile(ss.RootFile)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"root lists a CT log": withCT, "root lists none, default policy": withoutCT} {
		t.Run(name, func(t *testing.T) {
			tr, err := verify.ParseTrustedRoot(bytes.TrimSpace(data))
			if err != nil {
				t.Fatal(err)
			}
			v, err := verify.NewVerifier(tr)
			if err != nil {
				t.Fatal(err)
			}
			art := []byte("x")
			b, err := verify.ParseBundle(ss.Sign(t, thomas, google, art))
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(art)
			_, err = v.Verify(b, sum[:], verify.Identity{SAN: thomas, Issuer: google})
			if !errors.Is(err, verify.ErrSignature) || !strings.Contains(strings.ToLower(err.Error()), "sct") {
				t.Fatalf("got %v, want a refusal for the missing SCT", err)
			}
		})
	}
}
