package extract

import (
	"io"
	"io/fs"
	"time"

	"github.com/pyfetch/pyfetch/internal/osfs"
)

// copyBufSize is the buffer every file's bytes pass through on their way
// from the tar stream to disk: most source files fit in one write.
const copyBufSize = 256 << 10

// writeFile creates rel (never an existing file, never through a link),
// copies r into it, keeps the archive's time and closes it, in the
// calling goroutine: one openat, the writes, one futimes, one close.
//
// Files are written one at a time, in archive order, as tar does. A pool
// of writer goroutines was measured against this on ext4 and tmpfs
// (docs/performance.md): on 2 CPUs it never won, and on disk it doubled
// the kernel time (creates in one folder contend on its lock) and added
// scheduler hand-offs per file.
func writeFile(root *osfs.Tree, rel string, perm fs.FileMode, mtime time.Time, r io.Reader, buf []byte) (int64, error) {
	fd, err := root.Create(rel, perm)
	if err != nil {
		return 0, err
	}
	n, err := io.CopyBuffer(pathWriter{fd, rel}, r, buf)
	if err == nil {
		err = fd.SetMtime(rel, mtime)
	}
	if cerr := fd.Close(); err == nil && cerr != nil {
		err = &fs.PathError{Op: "close", Path: rel, Err: cerr}
	}
	return n, err
}

// pathWriter names the file in a write error (a full disk names the file
// that did not fit).
type pathWriter struct {
	fd  osfs.FD
	rel string
}

func (w pathWriter) Write(p []byte) (int, error) {
	n, err := w.fd.Write(p)
	if err != nil {
		err = &fs.PathError{Op: "write", Path: w.rel, Err: err}
	}
	return n, err
}
