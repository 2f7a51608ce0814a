// Package store obtains verified artifacts and their signatures from a
// mirror into the cache, and manages the cache: listing, pruning, export
// as a mirror, and verifying a file a user already has.
//
// Guarantees: a signature is fetched before its artifact; the artifact is
// hashed as it arrives (or re-hashed from the cache on every use) and
// verified before anyone sees it; the file handed out is the very file
// that was hashed, and only its owner can write it; a genuine release
// served under another version's name is refused (CheckRelease).
package store
