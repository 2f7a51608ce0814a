package atomicdir

import "golang.org/x/sys/unix"

// exchange swaps two paths in one step (renamex_np RENAME_SWAP), so a
// reinstall never has a moment with no tree at the target.
func exchange(a, b string) error {
	return unix.RenamexNp(a, b, unix.RENAME_SWAP)
}

// syncFS flushes file systems; macOS has no per-file-system syncfs.
func syncFS(string) error {
	unix.Sync()
	return nil
}
