package extract

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/pyfetch/pyfetch/internal/osfs"
)

// TestBatchedPipe: the reader sleeps (once per read) only when less than
// its minimum waits, still delivers what there is, and EOF; its sleep
// doubles up to batchWait while a sleep gathers less than the minimum
// (a slow decoder) and halves down to minWait when one gathers more (a
// fast decoder).
func TestBatchedPipe(t *testing.T) {
	r, w, err := osfs.Pipe(pipeSize)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if osfs.Pending(r) < 0 {
		t.Skip("this system cannot tell the bytes waiting in a pipe: batchedPipe reads at once")
	}
	var slept []time.Duration
	during := 0 // bytes the "decoder" writes while the reader sleeps
	b := &batchedPipe{f: r, min: 4096, sleep: func(d time.Duration) {
		slept = append(slept, d)
		if during > 0 {
			w.Write(make([]byte, during))
		}
	}}
	buf := make([]byte, 64<<10)
	for _, tc := range []struct {
		name          string
		before, while int
		want          []time.Duration
	}{
		{"a batch waits: read at once", 8192, 0, nil},
		{"exactly the minimum: read at once", 4096, 0, nil},
		{"little waits, a slow decoder: sleep, then read", 100, 10, []time.Duration{minWait}},
		{"slow again: the sleep doubles", 0, 10, []time.Duration{2 * minWait}},
		{"and doubles", 0, 10, []time.Duration{4 * minWait}},
		{"and doubles", 0, 10, []time.Duration{8 * minWait}},
		{"and doubles", 0, 10, []time.Duration{16 * minWait}},
		{"up to batchWait", 0, 10, []time.Duration{batchWait}},
		{"and stays there", 0, 10, []time.Duration{batchWait}},
		{"a fast decoder fills it: the sleep halves", 0, 8192, []time.Duration{batchWait}},
		{"and halves", 0, 8192, []time.Duration{batchWait / 2}},
		{"and halves", 0, 8192, []time.Duration{batchWait / 4}},
	} {
		slept, during = nil, tc.while
		if tc.before > 0 {
			if _, err := w.Write(make([]byte, tc.before)); err != nil {
				t.Fatal(err)
			}
		}
		n, err := b.Read(buf)
		if err != nil || n != tc.before+tc.while {
			t.Fatalf("%s: read %d, %v; want %d bytes", tc.name, n, err, tc.before+tc.while)
		}
		if fmt.Sprint(slept) != fmt.Sprint(tc.want) {
			t.Errorf("%s: slept %v, want %v", tc.name, slept, tc.want)
		}
	}
	if b.wait != batchWait/8 {
		t.Errorf("next sleep %v, want %v", b.wait, batchWait/8)
	}
	// A buffer smaller than the minimum is filled without a sleep.
	slept, during = nil, 0
	w.Write([]byte("abc"))
	if n, err := b.Read(buf[:3]); n != 3 || err != nil || slept != nil {
		t.Errorf("small buffer: read %d, %v, slept %v; want 3, nil, none", n, err, slept)
	}
	w.Close()
	slept = nil
	if n, err := b.Read(buf); n != 0 || err != io.EOF {
		t.Errorf("after the writer closed: read %d, %v; want 0, EOF", n, err)
	}
	if len(slept) != 1 {
		t.Errorf("at EOF: slept %v, want one sleep (then the read returns)", slept)
	}
}
