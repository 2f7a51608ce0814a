// Package verify checks python.org's signatures against what is expected
// of an artifact (Expect): Sigstore bundles with sigstore-go, and
// detached OpenPGP .asc signatures with go-crypto, each a Scheme.
//
// Guarantees (Sigstore): a nil error from Verify means the bundle is a message
// signature over exactly the given SHA-256 digest, by a Fulcio certificate
// whose SAN and OIDC issuer equal the expected identity, recorded in a
// trusted transparency log with at least one trusted time, with SCTs
// whenever the trusted root lists CT logs. Every failure wraps
// ErrVerification; ErrBundle, ErrIdentity, ErrDigest and ErrSignature say
// which check failed. LoadTrustedRoot never touches the network when
// offline or when given a file.
package verify
