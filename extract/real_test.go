package extract_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/pyfetch/pyfetch/extract"
	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
)

// TestExtractRealTarball unpacks the genuine CPython 3.13.5 release: the
// safety checks must not refuse anything a real release contains.
func TestExtractRealTarball(t *testing.T) {
	if testing.Short() {
		t.Skip("unpacks 5 000 files; skipped with -short")
	}
	f, err := os.Open(filepath.Join(pyfetchtest.RealDir(t), "artifacts", "Python-3.13.5.tar.xz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dir := t.TempDir()
	st, err := extract.Extract(context.Background(), f, dir, extract.Options{Compression: extract.XZ, StripPrefix: "Python-3.13.5"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Files < 4000 {
		t.Errorf("only %d files unpacked", st.Files)
	}
	if _, err := os.Stat(filepath.Join(dir, "Include", "patchlevel.h")); err != nil {
		t.Error(err)
	}
}
