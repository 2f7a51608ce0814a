package osfs

import (
	"os"

	"golang.org/x/sys/unix"
)

// Pipe makes a pipe read with plain blocking reads (not through Go's
// poller: a reader that keeps up with a fast producer would otherwise
// park and wake on nearly every write) and asks for a buffer of size
// bytes (F_SETPIPE_SZ), so the producer, such as a decompressor, runs
// ahead while the reader is busy. The size is best effort: the kernel
// caps it for unprivileged processes (/proc/sys/fs/pipe-max-size, 1 MiB
// by default) and a refusal leaves the default 64 KiB.
func Pipe(size int) (r, w *os.File, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, nil, os.NewSyscallError("pipe2", err)
	}
	unix.FcntlInt(uintptr(p[0]), unix.F_SETPIPE_SZ, size)
	return os.NewFile(uintptr(p[0]), "|0"), os.NewFile(uintptr(p[1]), "|1"), nil
}

// StartWriteback starts writing f's dirty pages to disk without waiting
// (sync_file_range SYNC_FILE_RANGE_WRITE), so that a later fsync waits
// for little. Best effort: errors are left to that fsync.
func StartWriteback(f *os.File) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		unix.SyncFileRange(int(fd), 0, 0, unix.SYNC_FILE_RANGE_WRITE)
	})
}

// Pending is the number of bytes waiting to be read in the pipe f
// (TIOCINQ, which is FIONREAD), or -1 when it cannot be told.
func Pending(f *os.File) int {
	rc, err := f.SyscallConn()
	if err != nil {
		return -1
	}
	n := -1
	rc.Control(func(fd uintptr) {
		if v, err := unix.IoctlGetInt(int(fd), unix.TIOCINQ); err == nil {
			n = v
		}
	})
	return n
}
