// Package extract unpacks source tarballs safely and installs them
// atomically.
//
// Guarantees: nothing is written outside the target dir (every write goes
// through os.Root, after each header was validated); absolute paths, "..",
// escaping or traversed symlinks, hard links to anything but an earlier
// file of the archive, device and fifo nodes, duplicate and case-colliding
// names are refused with ErrUnsafe; size and entry caps are enforced with
// ErrLimit; setuid/setgid bits are dropped. Install unpacks into a temp dir
// beside the target and renames it into place (or swaps it in with
// RENAME_EXCHANGE), so a crash leaves the old state or the complete new
// tree, never a partial one at the target.
package extract
