// Package install is pyfetch's pipeline, in a fixed order: take the
// version's lock → load the bundle → obtain the artifact (download while
// hashing, or re-hash the cached copy) → verify → unpack into a temp dir →
// write the receipt → rename into versions/.
//
// Guarantees: nothing is unpacked before verification succeeded; a cached
// artifact is re-verified on every use and never trusted because it is in
// the cache; concurrent processes sharing a home serialise per version and
// per cache file; an install that fails leaves versions/ as it was.
package install
