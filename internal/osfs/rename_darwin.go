package osfs

import "golang.org/x/sys/unix"

// Exchange swaps two paths in one step (renamex_np RENAME_SWAP), so a
// reinstall never has a moment with no tree at the target.
func Exchange(a, b string) error {
	return unix.RenamexNp(a, b, unix.RENAME_SWAP)
}

// SyncFS flushes file systems; macOS has no per-file-system syncfs.
func SyncFS(string) error {
	unix.Sync()
	return nil
}
