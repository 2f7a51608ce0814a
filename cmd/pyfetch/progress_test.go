package main

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPipeProgress: in a pipe, a download prints a line when it starts,
// one per interval with bytes, percentage and rate, and one at the end.
func TestPipeProgress(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	var mu sync.Mutex
	l := newLineProgress(&out, &mu, "Python-3.13.5.tgz", 4_000_000, 0, true)
	l.every = 10 * time.Millisecond
	for range 4 {
		time.Sleep(120 * time.Millisecond)
		l.Write(make([]byte, 1_000_000))
	}
	l.Close()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 6 || lines[0] != "downloading Python-3.13.5.tgz (4.0 MB)" ||
		!strings.HasPrefix(lines[2], "  Python-3.13.5.tgz: 2.0 of 4.0 MB (50%), ") || !strings.HasSuffix(lines[2], " MB/s") ||
		!strings.HasPrefix(lines[5], "downloaded Python-3.13.5.tgz (4.0 MB in ") {
		t.Errorf("lines:\n%s", out.String())
	}
}

// TestDelayedBar: the terminal bar is not drawn in the first moments,
// its clock starts with the download (so its first frame's rate is bytes
// over the time since then, not over a millisecond), and bytes from
// before it is drawn are counted.
func TestDelayedBar(t *testing.T) {
	t.Parallel()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	d := newDelayedBar(null, "x", 3000, 0)
	d.Write(make([]byte, 1000))
	if d.shown || d.bar.State().CurrentNum != 0 {
		t.Fatal("bar drawn at once")
	}
	time.Sleep(barDelay)
	d.Write(make([]byte, 1000))
	st := d.bar.State()
	if !d.shown || st.CurrentNum != 2000 {
		t.Fatalf("bar after the delay: %+v", st)
	}
	// 2000 bytes over at least barDelay: at most 2000/0.3 B/s.
	if st.SecondsSince < barDelay.Seconds() || st.KBsPerSecond > 2/barDelay.Seconds() {
		t.Errorf("first frame: %.3f s since the start, %.1f kB/s; want ≥ %.1f s and ≤ %.1f kB/s", st.SecondsSince, st.KBsPerSecond, barDelay.Seconds(), 2/barDelay.Seconds())
	}
	d.Write(make([]byte, 1000))
	if d.bar.State().CurrentNum != 3000 {
		t.Errorf("bar at %d, want 3000", d.bar.State().CurrentNum)
	}
	d.Close()
}
