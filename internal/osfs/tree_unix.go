//go:build unix

package osfs

import (
	"io/fs"
	"path"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Tree creates entries below one folder with one system call each: it
// keeps a descriptor for every folder it has made, opened from its parent
// with O_NOFOLLOW|O_DIRECTORY, and creates each file, link or folder
// relative to its parent's descriptor with a single name (no slash, no
// ".."). No lookup ever passes through a symlink, so nothing lands
// outside the root, the same containment os.Root gives, without walking
// every path component on every create (os.Root's openat per component,
// plus Go's fcntl and netpoll registration per *os.File, tripled the
// system calls of an unpack).
type Tree struct {
	mu  sync.Mutex
	fds map[string]int // folder ("." is the root) → descriptor
}

// OpenTree opens dir as the root of a Tree.
func OpenTree(dir string) (*Tree, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	return &Tree{fds: map[string]int{".": fd}}, nil
}

// Close releases every folder descriptor.
func (t *Tree) Close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, fd := range t.fds {
		unix.Close(fd)
	}
	t.fds = nil
}

// dir returns the descriptor of folder rel, opening (and caching) it
// from its parent's without following a symlink.
func (t *Tree) dir(rel string) (int, error) {
	t.mu.Lock()
	fd, ok := t.fds[rel]
	t.mu.Unlock()
	if ok {
		return fd, nil
	}
	pfd, err := t.dir(path.Dir(rel))
	if err != nil {
		return -1, err
	}
	fd, err = unix.Openat(pfd, path.Base(rel), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &fs.PathError{Op: "openat", Path: rel, Err: err}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.fds[rel]; ok { // another writer got there first
		unix.Close(fd)
		return old, nil
	}
	t.fds[rel] = fd
	return fd, nil
}

// parent returns rel's folder descriptor and its last element.
func (t *Tree) parent(rel string) (int, string, error) {
	fd, err := t.dir(path.Dir(rel))
	return fd, path.Base(rel), err
}

// Mkdir makes folder rel.
func (t *Tree) Mkdir(rel string, perm fs.FileMode) error {
	pfd, name, err := t.parent(rel)
	if err != nil {
		return err
	}
	if err := unix.Mkdirat(pfd, name, uint32(perm.Perm())); err != nil {
		if err == unix.EEXIST {
			return &fs.PathError{Op: "mkdirat", Path: rel, Err: fs.ErrExist}
		}
		return &fs.PathError{Op: "mkdirat", Path: rel, Err: err}
	}
	return nil
}

// Create makes a new regular file (O_EXCL: never an existing one, never
// through a link) and returns its descriptor.
func (t *Tree) Create(rel string, perm fs.FileMode) (FD, error) {
	pfd, name, err := t.parent(rel)
	if err != nil {
		return -1, err
	}
	fd, err := unix.Openat(pfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(perm.Perm()))
	if err != nil {
		return -1, &fs.PathError{Op: "openat", Path: rel, Err: err}
	}
	return FD(fd), nil
}

// Symlink makes rel a symlink to target.
func (t *Tree) Symlink(target, rel string) error {
	pfd, name, err := t.parent(rel)
	if err != nil {
		return err
	}
	if err := unix.Symlinkat(target, pfd, name); err != nil {
		return &fs.PathError{Op: "symlinkat", Path: rel, Err: err}
	}
	return nil
}

// Link makes rel a hard link to old, both inside the tree.
func (t *Tree) Link(old, rel string) error {
	ofd, oname, err := t.parent(old)
	if err != nil {
		return err
	}
	nfd, nname, err := t.parent(rel)
	if err != nil {
		return err
	}
	if err := unix.Linkat(ofd, oname, nfd, nname, 0); err != nil {
		return &fs.PathError{Op: "linkat", Path: rel, Err: err}
	}
	return nil
}

// Chtimes sets an entry's times, not following a symlink.
func (t *Tree) Chtimes(rel string, mt time.Time) error {
	pfd, name, err := t.parent(rel)
	if err != nil {
		return err
	}
	ts := unix.NsecToTimespec(mt.UnixNano())
	if err := unix.UtimesNanoAt(pfd, name, []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &fs.PathError{Op: "utimensat", Path: rel, Err: err}
	}
	return nil
}

// FD is a file Create made: written, timed and closed by descriptor.
type FD int

// Write writes p, retrying short writes.
func (w FD) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := unix.Write(int(w), p[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		n += m
	}
	return n, nil
}

// SetMtime keeps the archive's time on a file (make compares
// timestamps of generated sources), through its descriptor; rel names
// it in errors.
func (fd FD) SetMtime(rel string, t time.Time) error {
	if t.IsZero() {
		return nil
	}
	tv := unix.NsecToTimeval(t.UnixNano())
	if err := unix.Futimes(int(fd), []unix.Timeval{tv, tv}); err != nil {
		return &fs.PathError{Op: "futimes", Path: rel, Err: err}
	}
	return nil
}

// Close closes the file.
func (fd FD) Close() error { return unix.Close(int(fd)) }
