package fetch

import (
	"fmt"
	"testing"
)

// FuzzParseContentRange: a server's Content-Range never panics the
// parser, and whatever it accepts is a range that makes sense.
func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-99/100", "bytes 100-199/*", "bytes 5-4/10", "bytes -1-2/3", "bytes 0-9/9", "items 0-1/2", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		start, total, err := parseContentRange(v)
		if err != nil {
			return
		}
		if start < 0 || total != -1 && total <= start {
			t.Fatalf("%q accepted as start %d, total %d", v, start, total)
		}
		// What it accepts round-trips from its own numbers' shape.
		if _, _, err := parseContentRange(fmt.Sprintf("bytes %d-%d/*", start, start)); err != nil {
			t.Fatalf("a range it produced is refused: %v", err)
		}
	})
}
