package extract

import (
	"io"
	"io/fs"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
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
	root *os.Root
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
	f, err := w.root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return 0, err
	}
	bp := bufPool.Get().(*[]byte)
	buf := (*bp)[:cap(*bp)]
	n, err := io.CopyBuffer(onlyWriter{f}, r, buf)
	bufPool.Put(bp)
	if err == nil {
		err = setMtime(f, rel, mtime)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// onlyWriter hides ReadFrom, so CopyBuffer uses the pooled buffer.
type onlyWriter struct{ io.Writer }

func newWriter(root *os.Root) *writer {
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
	f, err := w.root.OpenFile(j.rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, j.perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(j.data); err != nil {
		f.Close()
		return err
	}
	if err := setMtime(f, j.rel, j.mtime); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// setMtime keeps the archive's times (make compares timestamps of
// generated sources), through the open descriptor: no second path lookup.
func setMtime(f *os.File, rel string, t time.Time) error {
	if t.IsZero() {
		return nil
	}
	tv := unix.NsecToTimeval(t.UnixNano())
	if err := unix.Futimes(int(f.Fd()), []unix.Timeval{tv, tv}); err != nil {
		return &fs.PathError{Op: "futimes", Path: rel, Err: err}
	}
	return nil
}
