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
// tar.xz, from the same tree recompressed as tgz (gzip -6, as
// python.org's tgz files are) and as tar.zst (zstd -3, as prebuilt
// interpreters are, when the system has zstd), from memory, to measure
// the unpacker alone.
func BenchmarkExtractReal(b *testing.B) {
	xzData, err := os.ReadFile(filepath.Join(pyfetchtest.RealDir(b), "artifacts", "Python-3.13.5.tar.xz"))
	if err != nil {
		b.Fatal(err)
	}
	tgz := recompress(b, xzData, "gzip -6")
	zst := recompress(b, xzData, "zstd -3 -q")
	for _, tc := range []struct {
		name string
		c    extract.Compression
		data []byte
	}{{"tar.xz", extract.XZ, xzData}, {"tgz", extract.Gzip, tgz}, {"tar.zst", extract.Zstd, zst}} {
		b.Run(tc.name, func(b *testing.B) {
			if tc.data == nil {
				b.Skip("the system has no zstd to make the tar.zst")
			}
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

// recompress is the tarball decoded by xz and encoded by the command
// given; nil when the command is missing (xz missing skips).
func recompress(b *testing.B, xzData []byte, encoder string) []byte {
	b.Helper()
	if _, err := exec.LookPath("xz"); err != nil {
		b.Skipf("xz is needed to recompress the tarball: %v", err)
	}
	cmd := exec.Command("sh", "-c", "xz -dc | "+encoder)
	cmd.Stdin = bytes.NewReader(xzData)
	out, err := cmd.Output()
	if err != nil {
		return nil
	}
	return out
}
