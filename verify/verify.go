package verify

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/pyfetch/pyfetch/internal/textsafe"
)

// Sentinel errors. Every verification failure wraps ErrVerification, and
// the more specific ones below wrap it too, so errors.Is works at either
// level.
var (
	ErrVerification = errors.New("verification failed")
	// ErrBundle: the bundle is missing, malformed, too large or of a kind
	// pyfetch does not accept.
	ErrBundle = fmt.Errorf("%w: bad bundle", ErrVerification)
	// ErrIdentity: signed by someone other than the expected signer.
	ErrIdentity = fmt.Errorf("%w: signer identity mismatch", ErrVerification)
	// ErrDigest: the bundle signs other bytes than the ones at hand.
	ErrDigest = fmt.Errorf("%w: digest mismatch", ErrVerification)
	// ErrSignature: certificate chain, signature, transparency log or
	// timestamp checks failed.
	ErrSignature = fmt.Errorf("%w: signature, certificate or transparency log check failed", ErrVerification)
	// ErrWrongRelease means the signature is genuine but the artifact is
	// another release than the one it is served as: a bundle signs a
	// digest, not a file name, so the name is checked against the content.
	ErrWrongRelease = fmt.Errorf("%w: the signed artifact is another release", ErrVerification)
)

// MaxBundleBytes caps a bundle's size; real ones are under 10 KB.
const MaxBundleBytes = 1 << 20

// Identity is who must have signed: a certificate SAN and the OIDC issuer
// that vouched for it, both compared exactly.
type Identity struct {
	SAN    string `json:"identity"`
	Issuer string `json:"issuer"`
}

// String names the identity for messages. Both parts may come from a
// certificate nobody vouched for yet, so they are escaped: a SAN holding
// a line break cannot add a line to a log.
func (i Identity) String() string {
	return textsafe.Escape(i.SAN) + " via " + textsafe.Escape(i.Issuer)
}

// Result is what a successful verification established.
type Result struct {
	// Method is the Scheme that verified the artifact ("sigstore").
	Method         string    `json:"method"`
	Identity       Identity  `json:"signer"`
	SHA256         string    `json:"sha256"`
	LogIndex       int64     `json:"rekor_log_index"`
	IntegratedTime time.Time `json:"integrated_time,omitzero"`
}

// Verifier checks python.org-style Sigstore bundles: message signatures
// over a SHA-256 digest, a Fulcio certificate for an exact identity, at
// least one transparency-log entry and one trusted time, and SCTs whenever
// the trusted root lists CT logs.
type Verifier struct {
	v *sgverify.Verifier
}

// Option weakens a Verifier's policy; each is named for what it gives up.
type Option func(*config)

type config struct{ noSCT bool }

// WithoutSCTsUnsafe drops the requirement that the certificate carry a
// signed certificate timestamp from a CT log. Only for a private Sigstore
// instance without CT logs (whose certificates cannot carry SCTs), named
// by the user; never for the public-good instance.
func WithoutSCTsUnsafe() Option { return func(c *config) { c.noSCT = true } }

// NewVerifier builds a Verifier for trusted material. SCTs are required
// unless the caller explicitly passes WithoutSCTsUnsafe.
func NewVerifier(tm root.TrustedMaterial, options ...Option) (*Verifier, error) {
	var c config
	for _, o := range options {
		o(&c)
	}
	opts := []sgverify.VerifierOption{
		sgverify.WithTransparencyLog(1),
		sgverify.WithObserverTimestamps(1),
	}
	if !c.noSCT {
		opts = append(opts, sgverify.WithSignedCertificateTimestamps(1))
	}
	v, err := sgverify.NewVerifier(tm, opts...)
	if err != nil {
		return nil, fmt.Errorf("build verifier: %w", err)
	}
	return &Verifier{v: v}, nil
}

// ParseBundle decodes a bundle's JSON and checks it is a message-signature
// bundle with a certificate (what python.org publishes).
func ParseBundle(data []byte) (*bundle.Bundle, error) {
	b, err := decodeBundle(data, "Sigstore bundle JSON")
	if err != nil {
		return nil, err
	}
	if b.GetMessageSignature() == nil {
		return nil, fmt.Errorf("%w: expected a message signature (python.org signs blobs), found a DSSE envelope", ErrBundle)
	}
	if b.GetVerificationMaterial().GetPublicKey() != nil {
		return nil, fmt.Errorf("%w: expected a Fulcio certificate, found a bare public key", ErrBundle)
	}
	return b, nil
}

// decodeBundle decodes a bundle's JSON of at most MaxBundleBytes; what
// names the file expected, for the message of an empty one.
func decodeBundle(data []byte, what string) (*bundle.Bundle, error) {
	if len(data) > MaxBundleBytes {
		return nil, fmt.Errorf("%w: %d bytes, expected at most %d", ErrBundle, len(data), MaxBundleBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%w: empty file, expected %s", ErrBundle, what)
	}
	b := &bundle.Bundle{Bundle: new(protobundle.Bundle)}
	if err := b.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, oneLine(err))
	}
	return b, nil
}

// ReadBundle reads and parses a bundle, reading no more than one byte past
// MaxBundleBytes whatever r holds.
func ReadBundle(r io.Reader) (*bundle.Bundle, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBundleBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	return ParseBundle(data)
}

// Verify checks that b signs the artifact whose SHA-256 is digest, as
// expected (the signer's identity; the pinned digest and log entry when
// set). The checks that produce the clearest messages (digest,
// identity) run first; sigstore-go then re-checks everything.
func (v *Verifier) Verify(b *bundle.Bundle, digest []byte, expectation Expectation) (*Result, error) {
	exp := expectation.expect()
	want := exp.Identity
	ms := b.GetMessageSignature()
	if ms == nil {
		return nil, fmt.Errorf("%w: expected a message signature", ErrBundle)
	}
	md := ms.GetMessageDigest()
	if md.GetAlgorithm() != protocommon.HashAlgorithm_SHA2_256 {
		return nil, fmt.Errorf("%w: expected a SHA2_256 message digest, found %s", ErrBundle, md.GetAlgorithm())
	}
	if !bytes.Equal(md.GetDigest(), digest) {
		return nil, fmt.Errorf("%w:\n  expected sha256: %x (signed in the bundle)\n  found sha256:    %x (the artifact)", ErrDigest, md.GetDigest(), digest)
	}
	got, err := bundleIdentity(b)
	if err != nil {
		return nil, err
	}
	if got != want {
		return nil, fmt.Errorf("%w:\n  expected: %s\n  found:    %s", ErrIdentity, want, got)
	}
	certID, err := sgverify.NewShortCertificateIdentity(want.Issuer, "", want.SAN, "")
	if err != nil {
		return nil, fmt.Errorf("identity %s: %w", want, err)
	}
	_, err = v.v.Verify(b, sgverify.NewPolicy(
		sgverify.WithArtifactDigest("sha256", digest),
		sgverify.WithCertificateIdentity(certID),
	))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, oneLine(err))
	}
	out := &Result{Identity: want, SHA256: hex.EncodeToString(digest)}
	if entries, err := b.TlogEntries(); err == nil && len(entries) > 0 {
		out.LogIndex = entries[0].LogIndex()
		if t := entries[0].IntegratedTime(); t.Unix() > 0 {
			out.IntegratedTime = t.UTC()
		}
	}
	if err := exp.checkPins(digest, out); err != nil {
		return nil, err
	}
	out.Method = SchemeSigstore
	return out, nil
}

// bundleIdentity reads the SAN and issuer from the bundle's leaf
// certificate, only to report them; trust comes from sigstore-go.
func bundleIdentity(b *bundle.Bundle) (Identity, error) {
	vc, err := b.VerificationContent()
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrBundle, oneLine(err))
	}
	cert := vc.Certificate()
	if cert == nil {
		return Identity{}, fmt.Errorf("%w: expected a Fulcio certificate, found none", ErrBundle)
	}
	sum, err := certificate.SummarizeCertificate(cert)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: certificate: %v", ErrBundle, oneLine(err))
	}
	return Identity{SAN: sum.SubjectAlternativeName, Issuer: sum.Issuer}, nil
}

// oneLine keeps library errors to a single line of output.
func oneLine(err error) string {
	return textsafe.Escape(strings.Join(strings.Fields(err.Error()), " "))
}
