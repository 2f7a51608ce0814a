package main

import (
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
	l := newLineProgress(&out, &mu, "Python-3.13.5.tgz", 4_000_000, true)
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
