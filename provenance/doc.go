// Package provenance is a fleet's signed word about a prebuilt
// interpreter: an in-toto Statement v1 with a SLSA v1 provenance
// predicate that names the archive as its subject and python.org's signed
// source as its resolved dependency, the fleet's ECDSA P-256 keys, and
// signing the statement into a Sigstore bundle (a DSSE envelope) with
// sigstore-go's pkg/sign, with no Fulcio and no Rekor. Checking a
// signature is verify's job; what the statement must say is the prebuilt
// package's.
package provenance
