package verify

import (
	"bytes"
	"crypto"
	"fmt"

	"github.com/sigstore/sigstore-go/pkg/bundle"

	"github.com/pyfetch/pyfetch/internal/digest"
)

// Expect is everything an artifact must be to be accepted: who signed
// it, and optionally the exact digest and transparency-log entry (a lock
// file pins them, so that even a valid signature by a stolen identity
// cannot move a pinned install). Built in one place from the signer
// table, the user's overrides and, later, a lock file.
type Expect struct {
	// Identity is the Sigstore signer (certificate SAN and OIDC issuer).
	Identity Identity
	// KeyFingerprint is the OpenPGP signer: the primary key's
	// fingerprint, upper-case hex (releases before Sigstore).
	KeyFingerprint string
	// SHA256, when set, is the only digest accepted.
	SHA256 []byte
	// LogIndex, when set, is the only transparency-log entry accepted.
	LogIndex *int64
}

// Expectation is what Verify checks against: an Expect, or an Identity
// alone.
type Expectation interface{ expect() Expect }

func (e Expect) expect() Expect   { return e }
func (i Identity) expect() Expect { return Expect{Identity: i} }

// ErrPinned: the artifact is signed as expected, but is not the one a
// lock file pinned.
var ErrPinned = fmt.Errorf("%w: not the pinned artifact", ErrVerification)

// checkPins applies Expect's optional pins to a verified result.
func (e Expect) checkPins(digest []byte, res *Result) error {
	if e.SHA256 != nil && !bytes.Equal(e.SHA256, digest) {
		return fmt.Errorf("%w:\n  expected sha256: %x (pinned)\n  found sha256:    %x", ErrPinned, e.SHA256, digest)
	}
	if e.LogIndex != nil && res.LogIndex != *e.LogIndex {
		return fmt.Errorf("%w:\n  expected rekor_log_index: %d (pinned)\n  found rekor_log_index:    %d", ErrPinned, *e.LogIndex, res.LogIndex)
	}
	return nil
}

// Scheme is one way a release's signature is published beside it and
// checked: Sigstore today; OpenPGP and a fleet's signed provenance plug
// in here. The store asks a Scheme for the sidecar's name, parses what it
// fetched, computes Hashes in the single pass over the artifact, and
// verifies against an Expect.
type Scheme interface {
	// Name says which method verified an artifact ("sigstore").
	Name() string
	// Sidecar is the signature file's name beside artifact.
	Sidecar(artifact string) string
	// MaxSidecarBytes caps what is read of a sidecar.
	MaxSidecarBytes() int64
	// Parse decodes a sidecar.
	Parse(data []byte) (Signature, error)
	// Hashes are the digests Verify needs besides SHA-256 (an OpenPGP
	// signature names its own).
	Hashes(sig Signature) []crypto.Hash
	// Verify checks sig over the artifact whose hashes were computed in
	// the one pass over its bytes.
	Verify(sig Signature, hashes *digest.Set, want Expectation) (*Result, error)
}

// Signature is a parsed sidecar; only its Scheme reads it.
type Signature interface{ Scheme() string }

// Sigstore is the Sigstore Scheme: python.org's .sigstore bundles checked
// by a Verifier.
type Sigstore struct{ V *Verifier }

// SchemeSigstore is Sigstore's Name.
const SchemeSigstore = "sigstore"

type sigstoreSig struct{ b *bundle.Bundle }

func (sigstoreSig) Scheme() string { return SchemeSigstore }

// Name implements Scheme.
func (Sigstore) Name() string { return SchemeSigstore }

// Sidecar implements Scheme.
func (Sigstore) Sidecar(artifact string) string { return artifact + ".sigstore" }

// MaxSidecarBytes implements Scheme.
func (Sigstore) MaxSidecarBytes() int64 { return MaxBundleBytes }

// Parse implements Scheme.
func (Sigstore) Parse(data []byte) (Signature, error) {
	b, err := ParseBundle(data)
	if err != nil {
		return nil, err
	}
	return sigstoreSig{b}, nil
}

// Hashes implements Scheme: Sigstore signs the SHA-256 alone.
func (Sigstore) Hashes(Signature) []crypto.Hash { return nil }

// Verify implements Scheme.
func (s Sigstore) Verify(sig Signature, hashes *digest.Set, want Expectation) (*Result, error) {
	ss, ok := sig.(sigstoreSig)
	if !ok {
		return nil, fmt.Errorf("%w: expected a Sigstore bundle, got a %s signature", ErrBundle, sig.Scheme())
	}
	if want.expect().Identity == (Identity{}) {
		return nil, fmt.Errorf("%w: no Sigstore signer is known for this release", ErrIdentity)
	}
	return s.V.Verify(ss.b, hashes.Sums()[crypto.SHA256], want)
}
