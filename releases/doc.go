// Package releases knows CPython's release scheme: version parsing and
// ordering (3.13.10 > 3.13.9, 3.14.0rc1 < 3.14.0), release lines, the table
// of release managers who sign each line with Sigstore, and where each
// source artifact and its bundle live on a python.org-shaped mirror.
//
// It does no I/O. It guarantees that a Version it returns round-trips
// through String, and that SignerFor never returns a signer for a release
// python.org did not sign.
package releases
