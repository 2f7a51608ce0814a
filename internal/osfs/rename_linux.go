package osfs

import (
	"os"

	"golang.org/x/sys/unix"
)

// Exchange swaps two paths in one step (renameat2 RENAME_EXCHANGE), so a
// reinstall never has a moment with no tree at the target.
func Exchange(a, b string) error {
	return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
}

// SyncFS flushes the file system holding dir (syncfs(2)).
func SyncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
