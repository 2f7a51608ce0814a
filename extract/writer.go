package extract

import (
	"io"
	"io/fs"
	"sync"
	"time"

	"github.com/pyfetch/pyfetch/internal/osfs"
)

// writer creates regular files from several goroutines. Creating a file
// costs far more than writing a source file's few kilobytes (an openat
// with O_CREAT|O_EXCL is ~0.5 ms on common disks), and file systems
// create files in different folders in parallel, so a pool of writers
// unpacks a CPython tree about twice as fast as one. The tar stream is
// still read in order by one goroutine, which validates every header and
// creates folders and links itself; only the create-write-close of
// regular files fans out. Memory stays bounded: at most maxInFlight bytes
// of file contents wait for a writer.
type writer struct {
	root *osfs.Tree
	jobs chan writeJob
	wg   sync.WaitGroup

	mu       sync.Mutex
	cond     *sync.Cond
	inFlight int64 // bytes queued or being written
	pending  int   // jobs not finished
	err      error // first failure
}

type writeJob struct {
	rel   string
	perm  fs.FileMode
	mtime time.Time
	data  []byte
}

const (
	writers     = 8
	maxInFlight = 4 << 20
	// bufferedFileMax: larger files are streamed, not queued.
	bufferedFileMax = 1 << 20
)

// Buffers for queued files are recycled: a source tree is thousands of
// small files, and fresh buffers would make the heap grow with the GC's
// slack instead of staying near maxInFlight.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func getBuf(n int) []byte {
	bp := bufPool.Get().(*[]byte)
	if cap(*bp) < n {
		return make([]byte, n)
	}
	return (*bp)[:n]
}

func putBuf(b []byte) {
	if cap(b) > 256<<10 {
		return // rare large buffers go back to the GC, not to the pool
	}
	bufPool.Put(&b)
}

// writeStream writes one large file from r in the calling goroutine.
func (w *writer) writeStream(rel string, perm fs.FileMode, mtime time.Time, r io.Reader) (int64, error) {
	if err := w.failed(); err != nil {
		return 0, err
	}
	fd, err := w.root.Create(rel, perm)
	if err != nil {
		return 0, err
	}
	bp := bufPool.Get().(*[]byte)
	buf := (*bp)[:cap(*bp)]
	n, err := io.CopyBuffer(pathWriter{fd, rel}, r, buf)
	bufPool.Put(bp)
	if err == nil {
		err = fd.SetMtime(rel, mtime)
	}
	if cerr := fd.Close(); err == nil && cerr != nil {
		err = &fs.PathError{Op: "close", Path: rel, Err: cerr}
	}
	return n, err
}

func newWriter(root *osfs.Tree) *writer {
	w := &writer{root: root, jobs: make(chan writeJob, 256)}
	w.cond = sync.NewCond(&w.mu)
	for range writers {
		w.wg.Add(1)
		go w.loop()
	}
	return w
}

// submit queues a file, waiting while too many bytes are in flight. It
// returns the first error any writer hit, so the reader stops early.
func (w *writer) submit(j writeJob) error {
	n := int64(len(j.data))
	w.mu.Lock()
	for w.err == nil && w.inFlight > 0 && w.inFlight+n > maxInFlight {
		w.cond.Wait()
	}
	if err := w.err; err != nil {
		w.mu.Unlock()
		return err
	}
	w.inFlight += n
	w.pending++
	w.mu.Unlock()
	w.jobs <- j
	return nil
}

// flush waits until every queued file is written (before a hard link to
// one of them) and returns the first error.
func (w *writer) flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.pending > 0 && w.err == nil {
		w.cond.Wait()
	}
	return w.err
}

// close stops the writers after the queued files and returns the first error.
func (w *writer) close() error {
	close(w.jobs)
	w.wg.Wait()
	return w.err
}

func (w *writer) loop() {
	defer w.wg.Done()
	for j := range w.jobs {
		var err error
		if w.failed() == nil {
			err = w.write(j)
		}
		w.mu.Lock()
		if err != nil && w.err == nil {
			w.err = err
		}
		w.inFlight -= int64(len(j.data))
		w.pending--
		putBuf(j.data)
		w.cond.Broadcast()
		w.mu.Unlock()
	}
}

func (w *writer) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *writer) write(j writeJob) error {
	fd, err := w.root.Create(j.rel, j.perm)
	if err != nil {
		return err
	}
	if _, err := fd.Write(j.data); err != nil {
		fd.Close()
		return &fs.PathError{Op: "write", Path: j.rel, Err: err}
	}
	if err := fd.SetMtime(j.rel, j.mtime); err != nil {
		fd.Close()
		return err
	}
	if err := fd.Close(); err != nil {
		return &fs.PathError{Op: "close", Path: j.rel, Err: err}
	}
	return nil
}

// pathWriter names the file in a write error (a full disk while several
// writers run must name the file that failed).
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
