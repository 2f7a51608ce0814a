package extract

import (
	"io/fs"
	"path"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// tree creates entries below one folder with one system call each: it
// keeps a descriptor for every folder it has made, opened from its parent
// with O_NOFOLLOW|O_DIRECTORY, and creates each file, link or folder
// relative to its parent's descriptor with a single name (no slash, no
// ".."). No lookup ever passes through a symlink, so nothing lands
// outside the root, the same containment os.Root gives, without walking
// every path component on every create (os.Root's openat per component,
// plus Go's fcntl and netpoll registration per *os.File, tripled the
// system calls of an unpack).
type tree struct {
	mu  sync.Mutex
	fds map[string]int // folder ("." is the root) → descriptor
}

func openTree(dir string) (*tree, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	return &tree{fds: map[string]int{".": fd}}, nil
}

func (t *tree) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, fd := range t.fds {
		unix.Close(fd)
	}
	t.fds = nil
}

// dir returns the descriptor of folder rel, opening (and caching) it
// from its parent's without following a symlink.
func (t *tree) dir(rel string) (int, error) {
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
func (t *tree) parent(rel string) (int, string, error) {
	fd, err := t.dir(path.Dir(rel))
	return fd, path.Base(rel), err
}

func (t *tree) mkdir(rel string, perm fs.FileMode) error {
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

// create makes a new regular file (O_EXCL: never an existing one, never
// through a link) and returns its descriptor.
func (t *tree) create(rel string, perm fs.FileMode) (int, error) {
	pfd, name, err := t.parent(rel)
	if err != nil {
		return -1, err
	}
	fd, err := unix.Openat(pfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(perm.Perm()))
	if err != nil {
		return -1, &fs.PathError{Op: "openat", Path: rel, Err: err}
	}
	return fd, nil
}

func (t *tree) symlink(target, rel string) error {
	pfd, name, err := t.parent(rel)
	if err != nil {
		return err
	}
	if err := unix.Symlinkat(target, pfd, name); err != nil {
		return &fs.PathError{Op: "symlinkat", Path: rel, Err: err}
	}
	return nil
}

func (t *tree) link(old, rel string) error {
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

// chtimes sets a folder's times, not following a symlink.
func (t *tree) chtimes(rel string, mt time.Time) error {
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

// fdWriter writes to a raw descriptor, retrying short writes.
type fdWriter int

func (w fdWriter) Write(p []byte) (int, error) {
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

// setMtimeFD keeps the archive's time on a file (make compares
// timestamps of generated sources), through its descriptor.
func setMtimeFD(fd int, rel string, t time.Time) error {
	if t.IsZero() {
		return nil
	}
	tv := unix.NsecToTimeval(t.UnixNano())
	if err := unix.Futimes(fd, []unix.Timeval{tv, tv}); err != nil {
		return &fs.PathError{Op: "futimes", Path: rel, Err: err}
	}
	return nil
}
