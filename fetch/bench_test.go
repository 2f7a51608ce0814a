package fetch_test

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/pyfetch/pyfetch/fetch"
)

// BenchmarkDownloadFile measures the download path without a network:
// a file:// source streamed into the .part, SHA-256 and the rename.
func BenchmarkDownloadFile(b *testing.B) {
	dir := b.TempDir()
	src := filepath.Join(dir, "src")
	data := make([]byte, 64<<20)
	rand.Read(data)
	os.WriteFile(src, data, 0o644)
	c := &fetch.Client{}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		dst := filepath.Join(dir, "dst")
		f, _, err := c.Download(context.Background(), "file://"+src, dst, 0, nil)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
		os.Remove(dst)
	}
}
