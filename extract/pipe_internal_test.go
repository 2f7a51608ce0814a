package extract

import (
	"bytes"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/pyfetch/pyfetch/internal/osfs"
)

// TestBatchedPipe: the reader sleeps (once) only when less than its
// minimum waits, and then still delivers what there is, and EOF.
func TestBatchedPipe(t *testing.T) {
	r, w, err := osfs.Pipe(pipeSize)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if osfs.Pending(r) < 0 {
		t.Skip("this system cannot tell the bytes waiting in a pipe: batchedPipe reads at once")
	}
	slept := 0
	b := &batchedPipe{f: r, min: 4096, sleep: func(d time.Duration) {
		if d != batchWait {
			t.Errorf("slept %v, want %v", d, batchWait)
		}
		slept++
	}}
	buf := make([]byte, 64<<10)
	for _, tc := range []struct {
		name  string
		write int
		sleep int
	}{
		{"a batch waits: read at once", 8192, 0},
		{"little waits: sleep, then read it", 100, 1},
		{"exactly the minimum: read at once", 4096, 0},
	} {
		slept = 0
		data := bytes.Repeat([]byte{'x'}, tc.write)
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		n, err := b.Read(buf)
		if err != nil || n != tc.write {
			t.Fatalf("%s: read %d, %v; want %d bytes", tc.name, n, err, tc.write)
		}
		if slept != tc.sleep {
			t.Errorf("%s: slept %d times, want %d", tc.name, slept, tc.sleep)
		}
	}
	// A buffer smaller than the minimum is filled without a sleep.
	slept = 0
	w.Write([]byte("abc"))
	if n, err := b.Read(buf[:3]); n != 3 || err != nil || slept != 0 {
		t.Errorf("small buffer: read %d, %v, slept %d; want 3, nil, 0", n, err, slept)
	}
	w.Close()
	slept = 0
	if n, err := b.Read(buf); n != 0 || err != io.EOF {
		t.Errorf("after the writer closed: read %d, %v; want 0, EOF", n, err)
	}
	if slept != 1 {
		t.Errorf("at EOF: slept %d times, want 1 (then the read returns)", slept)
	}
}

// TestYieldProc: each decoder running takes one P, down to 1, and the
// last to end restores GOMAXPROCS; a restore called twice counts once.
func TestYieldProc(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	var r1, r2, r3, r4 func()
	for i, s := range []struct {
		do   func()
		want int
	}{
		{func() { r1 = yieldProc() }, 3},
		{func() { r2 = yieldProc() }, 2},
		{func() { r3 = yieldProc() }, 1},
		{func() { r4 = yieldProc() }, 1},
		{func() { r1(); r1() }, 1},
		{func() { r3() }, 2},
		{func() { r4() }, 3},
		{func() { r2() }, 4},
	} {
		s.do()
		if got := runtime.GOMAXPROCS(0); got != s.want {
			t.Fatalf("step %d: GOMAXPROCS %d, want %d", i, got, s.want)
		}
	}
}
