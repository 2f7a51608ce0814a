// Package prebuilt is the second kind of distribution: an interpreter
// built once by a fleet's builder, packed into one archive per version,
// platform and build options, published in a mirror beside python.org's
// layout with a signed provenance statement and python.org's bundle for
// its source, and obtained by runners only when the whole chain holds
// (the fleet's signature, the archive's digest, python.org's signature
// on the source, the version, the platform and the options). It names,
// packs, relocates, publishes and obtains; it installs nothing (the
// install package does).
//
// Layout in a mirror (a folder or a bucket), beside python.org's:
//
//	X.Y.Z/prebuilt/cpython-X.Y.Z[t]-OS-ARCH[-LIBC]-KEY.tar.zst          the interpreter
//	X.Y.Z/prebuilt/cpython-...tar.zst.sigstore                        the fleet's signed statement (DSSE)
//	X.Y.Z/prebuilt/cpython-...tar.zst.intoto.json                     the statement, for people
//	X.Y.Z/prebuilt/cpython-...tar.zst.source.sigstore                 python.org's bundle for the source
//
// KEY hashes the build options a runner asks for (configure arguments,
// optimize, free-threaded), so a runner computes the name and needs no
// listing.
package prebuilt
