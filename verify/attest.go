package verify

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"time"

	intoto "github.com/in-toto/attestation/go/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"
)

// InTotoPayloadType is the DSSE payload type of an in-toto statement.
const InTotoPayloadType = "application/vnd.in-toto+json"

// KeyIssuer is the Issuer of a Result whose signer is a public key (its
// Identity.SAN is then the key's fingerprint).
const KeyIssuer = "public key"

// KeyFingerprint names a public key: "sha256:" and the hex SHA-256 of
// its DER SubjectPublicKeyInfo.
func KeyFingerprint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// ParseAttestation decodes a Sigstore bundle holding a DSSE envelope with
// an in-toto statement (what a fleet signs, or cosign attest-blob and
// GitHub's attest actions make), capped at MaxBundleBytes.
func ParseAttestation(data []byte) (*bundle.Bundle, error) {
	b, err := decodeBundle(data, "a Sigstore bundle JSON with a DSSE envelope")
	if err != nil {
		return nil, err
	}
	env := b.GetDsseEnvelope()
	if env == nil {
		return nil, fmt.Errorf("%w: expected a DSSE envelope (a signed statement), found a message signature", ErrBundle)
	}
	if env.GetPayloadType() != InTotoPayloadType {
		return nil, fmt.Errorf("%w: expected DSSE payload type %s, found %q", ErrBundle, InTotoPayloadType, oneLine(fmt.Errorf("%s", env.GetPayloadType())))
	}
	return b, nil
}

// UnverifiedStatement returns the statement inside b without checking
// anything: only to decide early that a statement cannot be the one
// wanted (another platform), never to accept one.
func UnverifiedStatement(b *bundle.Bundle) []byte {
	return b.GetDsseEnvelope().GetPayload()
}

// KeyVerifier checks attestations signed by one public key (a fleet's),
// with no certificate, transparency log or timestamp: the key is the
// whole trust, as for air-gapped fleets.
type KeyVerifier struct {
	v           *sgverify.Verifier
	fingerprint string
}

// NewKeyVerifier builds a KeyVerifier for an ECDSA P-256 public key.
func NewKeyVerifier(pub crypto.PublicKey) (*KeyVerifier, error) {
	sv, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	fp, err := KeyFingerprint(pub)
	if err != nil {
		return nil, err
	}
	key := root.NewExpiringKey(sv, time.Time{}, time.Time{})
	tm := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) { return key, nil })
	v, err := sgverify.NewVerifier(tm, sgverify.WithNoObserverTimestamps())
	if err != nil {
		return nil, fmt.Errorf("build verifier: %w", err)
	}
	return &KeyVerifier{v: v, fingerprint: fp}, nil
}

// AttestationPolicy is who must have signed an attestation: a public key
// (KeyVerifier) or a certificate identity under a trusted root
// (Verifier with an Identity).
type AttestationPolicy struct {
	Key      *KeyVerifier
	Verifier *Verifier
	Identity Identity
}

// String names the policy for messages.
func (p AttestationPolicy) String() string {
	if p.Key != nil {
		return "the key " + p.Key.fingerprint
	}
	return p.Identity.String()
}

// VerifyAttestation checks that b, a DSSE bundle, signs an in-toto
// statement naming the artifact whose SHA-256 is digest as a subject,
// signed as p demands. It returns the verified statement and who signed.
func VerifyAttestation(b *bundle.Bundle, digest []byte, p AttestationPolicy) (*intoto.Statement, *Result, error) {
	artifact := sgverify.WithArtifactDigest("sha256", digest)
	var res *sgverify.VerificationResult
	var err error
	out := &Result{Method: "attestation", SHA256: hex.EncodeToString(digest)}
	switch {
	case p.Key != nil:
		if b.GetVerificationMaterial().GetPublicKey() == nil {
			return nil, nil, fmt.Errorf("%w: expected a statement signed by %s, found one signed with a certificate", ErrIdentity, p)
		}
		res, err = p.Key.v.Verify(b, sgverify.NewPolicy(artifact, sgverify.WithKey()))
		out.Identity = Identity{SAN: p.Key.fingerprint, Issuer: KeyIssuer}
	case p.Verifier != nil && p.Identity != (Identity{}):
		if b.GetVerificationMaterial().GetPublicKey() != nil {
			return nil, nil, fmt.Errorf("%w: expected a statement signed by %s, found one signed by a bare key", ErrIdentity, p)
		}
		got, ierr := bundleIdentity(b)
		if ierr != nil {
			return nil, nil, ierr
		}
		if got != p.Identity {
			return nil, nil, fmt.Errorf("%w:\n  expected: %s\n  found:    %s", ErrIdentity, p.Identity, got)
		}
		certID, cerr := sgverify.NewShortCertificateIdentity(p.Identity.Issuer, "", p.Identity.SAN, "")
		if cerr != nil {
			return nil, nil, fmt.Errorf("identity %s: %w", p.Identity, cerr)
		}
		res, err = p.Verifier.v.Verify(b, sgverify.NewPolicy(artifact, sgverify.WithCertificateIdentity(certID)))
		out.Identity = p.Identity
		if entries, terr := b.TlogEntries(); terr == nil && len(entries) > 0 {
			out.LogIndex = entries[0].LogIndex()
			if t := entries[0].IntegratedTime(); t.Unix() > 0 {
				out.IntegratedTime = t.UTC()
			}
		}
	default:
		return nil, nil, fmt.Errorf("%w: no policy for attestations (a public key, or an identity and issuer)", ErrIdentity)
	}
	if err != nil {
		if !subjectNamed(b, digest) {
			return nil, nil, fmt.Errorf("%w: the statement's subject is another artifact than this one (sha256 %x)", ErrDigest, digest)
		}
		return nil, nil, fmt.Errorf("%w: %v", ErrSignature, oneLine(err))
	}
	if res.Statement == nil {
		return nil, nil, fmt.Errorf("%w: the envelope holds no in-toto statement", ErrBundle)
	}
	return res.Statement, out, nil
}

// subjectNamed reports whether the (unverified) statement in b names
// digest among its subjects: only to say which check failed.
func subjectNamed(b *bundle.Bundle, digest []byte) bool {
	var st intoto.Statement
	if protojson.Unmarshal(UnverifiedStatement(b), &st) != nil {
		return false
	}
	want := hex.EncodeToString(digest)
	for _, s := range st.GetSubject() {
		if s.GetDigest()["sha256"] == want {
			return true
		}
	}
	return false
}
