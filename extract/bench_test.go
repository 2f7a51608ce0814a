package extract_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pyfetch/pyfetch/extract"
	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
)

// BenchmarkExtractReal unpacks the genuine CPython 3.13.5 tree from
// tar.xz and from the same tree recompressed as tgz (gzip -6, as
// python.org's tgz files are), from memory, to measure the unpacker alone.
func BenchmarkExtractReal(b *testing.B) {
	xzData, err := os.ReadFile(filepath.Join(pyfetchtest.RealDir(b), "artifacts", "Python-3.13.5.tar.xz"))
	if err != nil {
		b.Fatal(err)
	}
	tgz := recompress(b, xzData)
	for _, tc := range []struct {
		name string
		c    extract.Compression
		data []byte
	}{{"tar.xz", extract.XZ, xzData}, {"tgz", extract.Gzip, tgz}} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.data)))
			b.ReportMetric(float64(len(tc.data)), "archive-bytes")
			for b.Loop() {
				dir := b.TempDir()
				if _, err := extract.Extract(context.Background(), bytes.NewReader(tc.data), dir, extract.Options{Compression: tc.c, StripPrefix: "Python-3.13.5"}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				os.RemoveAll(dir)
				b.StartTimer()
			}
		})
	}
}

func recompress(b *testing.B, xzData []byte) []byte {
	b.Helper()
	cmd := exec.Command("sh", "-c", "xz -dc | gzip -6")
	cmd.Stdin = bytes.NewReader(xzData)
	out, err := cmd.Output()
	if err != nil {
		b.Skipf("xz and gzip are needed to recompress the tarball: %v", err)
	}
	return out
}
