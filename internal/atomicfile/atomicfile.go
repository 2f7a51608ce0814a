// Package atomicfile writes small files so that readers see either the
// old content or the new, never a torn write.
package atomicfile

import (
	"os"
	"path/filepath"
)

// WriteFile writes data to a temp file beside path, syncs it and renames
// it over path. Parent folders are created.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, true)
}

// WriteStaged is WriteFile without the fsync, for a file inside a folder
// that is made durable as a whole before anyone sees it (an install's
// private temp folder, synced by atomicdir's Commit): an fsync per file
// there only makes the journal commit again and again.
func WriteStaged(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, false)
}

func write(path string, data []byte, perm os.FileMode, sync bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // no-op after a successful rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if sync {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
