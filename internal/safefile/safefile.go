// Package safefile opens files that someone else may have planted (in the
// cache, the home, a mirror) without being fooled by them: a symlink is
// never followed, a FIFO never blocks the caller, and a file is trusted
// only when it is a regular file with one link that no other user can
// write.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/pyfetch/pyfetch/internal/osfs"
)

var (
	// ErrUntrusted means the path holds something pyfetch will not read
	// or write through; its children say why.
	ErrUntrusted = errors.New("not trusted")
	// ErrSymlink: the path is a symbolic link.
	ErrSymlink = fmt.Errorf("%w: a symlink", ErrUntrusted)
	// ErrNotRegular: a FIFO, socket, device or folder.
	ErrNotRegular = fmt.Errorf("%w: not a regular file", ErrUntrusted)
	// ErrNotDir: a file, FIFO, socket or device where a folder should be.
	ErrNotDir = fmt.Errorf("%w: not a folder", ErrUntrusted)
	// ErrHardLinked: the file has more than one name.
	ErrHardLinked = fmt.Errorf("%w: hard-linked", ErrUntrusted)
	// ErrForeign: another user owns the file or may write it.
	ErrForeign = fmt.Errorf("%w: another user owns it or may write it", ErrUntrusted)
)

// Open opens path read-only for content pyfetch will trust after checking
// it (a cached artifact, bundle or receipt): see Check.
func Open(path string) (*os.File, error) {
	return OpenFile(path, os.O_RDONLY)
}

// OpenFile opens an existing path with flag plus O_NOFOLLOW and
// O_NONBLOCK, then checks the open file (Check). O_NONBLOCK makes opening
// a FIFO return at once; it has no effect on regular files, so the
// descriptor is cleared of it only for tidiness.
func OpenFile(path string, flag int) (*os.File, error) {
	f, err := openNoFollow(path, flag, 0)
	if err != nil {
		return nil, err
	}
	if err := Check(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// OpenAppend opens path for appending, creating it (0644) if needed, for
// a file a runner named to pyfetch (GITHUB_OUTPUT, GITHUB_PATH): never
// through a symlink, never blocking on a FIFO, and only a regular file
// with one link, so that nothing planted at the path is written through.
// Its owner is not checked: in a container job the runner's file is
// bind-mounted and belongs to the runner's user, not to root inside.
func OpenAppend(path string) (*os.File, error) {
	f, err := openNoFollow(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, Describe(fi.Mode()))
	} else if _, links, ok := osfs.Owner(fi); err == nil && ok && links != 1 {
		err = fmt.Errorf("%s: %w (%d links)", path, ErrHardLinked, links)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func openNoFollow(path string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, flag|osfs.NoFollow|osfs.NonBlock|osfs.CloExec, perm)
	if osfs.IsLink(err) {
		return nil, fmt.Errorf("%s: %w", path, ErrSymlink)
	}
	if osfs.IsNoReader(err) { // a socket, or a FIFO opened write-only
		return nil, fmt.Errorf("%s: %w", path, ErrNotRegular)
	}
	return f, err
}

// Check reports whether an open file may be trusted: a regular file,
// one link, owned by the current user (or root) and writable by nobody
// else. Such a file cannot change under pyfetch except by its own user.
func Check(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return CheckInfo(fi)
}

// CheckInfo is Check for a FileInfo from Stat or Lstat.
func CheckInfo(fi fs.FileInfo) error {
	if fi.Mode()&fs.ModeSymlink != 0 {
		return ErrSymlink
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w (%s)", ErrNotRegular, Describe(fi.Mode()))
	}
	uid, links, ok := osfs.Owner(fi)
	if !ok {
		return nil
	}
	if links != 1 {
		return fmt.Errorf("%w (%d links)", ErrHardLinked, links)
	}
	if !osfs.OwnedByYou(fi) {
		return fmt.Errorf("%w (owner uid %d, you are %d)", ErrForeign, uid, os.Geteuid())
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%w (mode %v)", ErrForeign, fi.Mode().Perm())
	}
	return nil
}

// Describe names what a file system entry is, for an error: "a folder",
// "a FIFO", "a device", "a socket", "a file".
func Describe(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a file"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a folder"
	}
	return m.Type().String()
}

// ReadFile reads a small trusted file (see Open), refusing more than max
// bytes.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readMax(f, path, max)
}

func readMax(f *os.File, path string, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, max)
	}
	return data, nil
}

// ReadRegular reads a small file whose content is checked afterwards
// anyway (a bundle, a listing index): it only has to be a regular file,
// reached without following a symlink or blocking on a FIFO.
func ReadRegular(path string, max int64) ([]byte, error) {
	f, err := openNoFollow(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, Describe(fi.Mode()))
	}
	return readMax(f, path, max)
}

// OpenNamed opens a file the user named (or a file:// mirror's file) for
// reading: a symlink is followed, since the user chose the path, but a
// FIFO or device never blocks the caller and is refused.
func OpenNamed(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|osfs.NonBlock|osfs.CloExec, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, Describe(fi.Mode()))
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// ErrNoWriter: a pipe the user named that nothing opened to write to.
var ErrNoWriter = errors.New("nothing is writing to the pipe")

// PipeWait is how long OpenNamedOrPipe waits for a pipe's writer by
// default.
const PipeWait = 30 * time.Second

// OpenNamedOrPipe is OpenNamed that also takes a pipe: a FIFO, or what a
// shell's <(...) hands over, for the files a user names whose content is
// checked anyway (a bundle, a trusted root, a signers file). A pipe's
// writer is waited for at most wait (a FIFO nobody writes to would
// otherwise hang the command, and a job, until it is killed); a shell's
// <(...) has its writer already. A folder, device or socket is refused.
//
// wait 0 is PipeWait.
func OpenNamedOrPipe(path string, wait time.Duration) (*os.File, error) {
	if wait <= 0 {
		wait = PipeWait
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Type() != fs.ModeNamedPipe {
		return OpenNamed(path) // a regular file, or refused
	}
	type opened struct {
		f   *os.File
		err error
	}
	done := make(chan opened, 1)
	go func() {
		f, err := os.OpenFile(path, os.O_RDONLY|osfs.CloExec, 0) // blocks until a writer opens it
		done <- opened{f, err}
	}()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case o := <-done:
		if o.err != nil {
			return nil, o.err
		}
		if fi, err := o.f.Stat(); err != nil || fi.Mode().Type() != fs.ModeNamedPipe {
			o.f.Close()
			return nil, fmt.Errorf("%s: %w (it changed while it was opened)", path, ErrNotRegular)
		}
		return o.f, nil
	case <-timer.C:
		// Release the open still waiting: a writer that comes and goes
		// (it cannot block: a reader is there), then close what it gave.
		// Only while the path is still a FIFO: nothing else is opened to
		// write.
		if fi, err := os.Stat(path); err == nil && fi.Mode().Type() == fs.ModeNamedPipe {
			if w, err := os.OpenFile(path, os.O_WRONLY|osfs.NonBlock|osfs.CloExec, 0); err == nil {
				w.Close()
			}
		}
		go func() {
			if o := <-done; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, fmt.Errorf("%s: %w: nothing opened it to write within %s", path, ErrNoWriter, wait)
	}
}

// OpenLock opens (creating with mode if needed) a lock file: never through
// a symlink, never blocking on a FIFO. A lock file carries no data, so in
// a shared cache it may belong to another user; it only has to be a
// regular file. With a private mode (0600), an existing lock file of yours
// that others could open is narrowed to it, so that nobody else can open
// it and hold the lock. A symlink or other non-file planted at path is
// removed (the link, not its target) and replaced.
func OpenLock(path string, mode os.FileMode) (*os.File, error) {
	for attempt := 0; ; attempt++ {
		f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|osfs.NoFollow|osfs.NonBlock|osfs.CloExec, mode)
		if err == nil {
			fi, serr := f.Stat()
			if serr == nil && fi.Mode().IsRegular() {
				if fi.Mode().Perm()&^mode != 0 {
					if uid, _, ok := osfs.Owner(fi); ok && uid == os.Geteuid() {
						if err := f.Chmod(mode); err != nil {
							f.Close()
							return nil, err
						}
					}
				}
				return f, nil
			}
			f.Close()
			err = ErrNotRegular
		}
		if osfs.IsLink(err) || errors.Is(err, ErrNotRegular) || osfs.IsNoReader(err) {
			if attempt < 3 {
				if rerr := removePlanted(path); rerr == nil {
					continue
				}
			}
			return nil, fmt.Errorf("lock file %s is not a regular file (planted?): remove it", path)
		}
		return nil, err
	}
}

// removePlanted removes a non-regular entry at path without following it.
func removePlanted(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if fi.Mode().IsRegular() || fi.IsDir() {
		return fmt.Errorf("%s: not removing a %s", path, Describe(fi.Mode()))
	}
	return os.Remove(path)
}

// Remove deletes whatever is at path, without following a symlink; a
// folder is left alone. A missing path is not an error.
func Remove(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a folder; leaving it alone", path)
	}
	err = os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// IsPlainDir returns an error unless path is a folder itself, not a
// symlink to one: writes below a planted link would land elsewhere.
func IsPlainDir(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s: %w", path, ErrSymlink)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s: %w (%s)", path, ErrNotDir, Describe(fi.Mode()))
	}
	return nil
}

// ErrSharedDir means a folder another user could change under pyfetch.
var ErrSharedDir = fmt.Errorf("%w: a folder another user owns or may write", ErrUntrusted)

// CheckPrivateDir returns an error unless path is a folder itself (not a
// symlink to one), owned by the current user (or root) and writable by
// nobody else. pyfetch renames and builds by path in such folders (the
// install's temp folder, the build folder), so another user who could
// write there could swap a folder between verification and use.
func CheckPrivateDir(path string) error {
	if err := IsPlainDir(path); err != nil {
		return err
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if uid, _, ok := osfs.Owner(fi); ok && !osfs.OwnedByYou(fi) {
		return fmt.Errorf("%s: %w (owner uid %d, you are %d)", path, ErrSharedDir, uid, os.Geteuid())
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%s: %w (mode %v; run chmod go-w %s)", path, ErrSharedDir, fi.Mode().Perm(), path)
	}
	return nil
}

// ReadNamed reads a small file the user named (see OpenNamed), refusing
// more than max bytes.
func ReadNamed(path string, max int64) ([]byte, error) {
	f, err := OpenNamed(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readMax(f, path, max)
}
