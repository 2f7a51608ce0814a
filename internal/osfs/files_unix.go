//go:build unix

package osfs

import (
	"errors"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// NoFollow and NonBlock are open flags: never through a symlink (the
// open fails, IsLink), and never blocking on a FIFO.
const (
	NoFollow = syscall.O_NOFOLLOW
	NonBlock = syscall.O_NONBLOCK
	CloExec  = syscall.O_CLOEXEC
	// Directory refuses to open anything but a folder.
	Directory = syscall.O_DIRECTORY
)

// IsLink reports an open refused because the last element is a symlink.
func IsLink(err error) bool {
	return errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK)
}

// IsNoReader reports an open refused because nothing could be opened
// without blocking: a socket, or a FIFO opened write-only.
func IsNoReader(err error) bool { return errors.Is(err, syscall.ENXIO) }

// Owner returns who owns a file and how many names it has; ok is false
// where the platform says neither.
func Owner(fi fs.FileInfo) (uid int, links uint64, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return int(st.Uid), uint64(st.Nlink), true
}

// OwnedByYou reports whether fi belongs to the current user or root (on
// a platform that cannot tell, true).
func OwnedByYou(fi fs.FileInfo) bool {
	uid, _, ok := Owner(fi)
	return !ok || uid == os.Geteuid() || uid == 0
}

// TryLock takes an exclusive flock on f without waiting; ok is false
// when another open file description holds it.
func TryLock(f *os.File) (ok bool, err error) {
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, syscall.EINTR) {
		return false, nil
	}
	return false, err
}

// RenameOverEmpty renames src to dst, replacing dst when it is an empty
// folder (rename(2) does; os.Rename refuses an existing folder).
func RenameOverEmpty(src, dst string) error { return unix.Rename(src, dst) }

// IsExist reports a rename refused because the target exists.
func IsExist(err error) bool {
	return errors.Is(err, os.ErrExist) || errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST)
}

// Umask sets the file mode creation mask and returns the old one.
func Umask(m int) int { return unix.Umask(m) }

// KillGroup sends SIGKILL to process group pgid.
func KillGroup(pgid int) { syscall.Kill(-pgid, syscall.SIGKILL) }
