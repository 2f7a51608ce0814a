// Package extract unpacks a compressed tarball into an empty folder it is
// given, refusing anything that could write outside it or cost more than
// its caps.
//
// Guarantees: nothing is written outside the target dir (every write is
// relative to a folder descriptor opened without following links, see
// internal/osfs, after each header was validated); absolute paths, "..",
// escaping or traversed symlinks, hard links to anything but an earlier
// file of the archive, device and fifo nodes, duplicate and case-colliding
// names are refused with ErrUnsafe; size and entry caps are enforced with
// ErrLimit (entries, bytes, path depth and length, and what the
// decompressed stream may hold, after the tar's end too); names with
// control characters are refused; setuid/setgid bits are dropped. The
// caller unpacks into a temp folder and renames it into place
// (internal/atomicdir), so a failure never leaves a partial tree.
//
// Whether the bytes are genuine is the caller's business: with
// Options.Verified (an installer's artifact, checked against a signed
// digest) the decoders skip their own check of the decompressed content.
package extract
