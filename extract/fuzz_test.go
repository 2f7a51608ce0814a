package extract_test

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyfetch/pyfetch/extract"
	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
)

// FuzzExtract unpacks arbitrary gzip bytes: whatever happens, nothing may
// appear outside the target dir and no symlink inside may point out.
func FuzzExtract(f *testing.F) {
	type E = pyfetchtest.Entry
	for _, entries := range [][]E{
		pyfetchtest.SourceTree("3.13.1"),
		{{Name: top + "../x", Body: "x"}},
		{{Name: top + "l", Type: tar.TypeSymlink, Linkname: "../../x"}, {Name: top + "l/y", Body: "y"}},
		{{Name: top + "h", Type: tar.TypeLink, Linkname: "/etc/passwd"}},
	} {
		f.Add(pyfetchtest.Gzip(f, pyfetchtest.Tar(f, entries)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		base := t.TempDir()
		dir := filepath.Join(base, "target")
		os.Mkdir(dir, 0o755)
		extract.Extract(context.Background(), bytes.NewReader(data), dir, extract.Options{
			Compression: extract.Gzip, StripPrefix: "Python-3.13.1",
			Limits: extract.Limits{MaxBytes: 1 << 20, MaxEntries: 1000},
		})
		ents, _ := os.ReadDir(base)
		if len(ents) != 1 {
			t.Fatalf("extraction wrote beside the target: %v", ents)
		}
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.Type()&os.ModeSymlink == 0 {
				return nil
			}
			target, _ := os.Readlink(p)
			resolved := filepath.Join(filepath.Dir(p), target)
			if filepath.IsAbs(target) || !strings.HasPrefix(resolved, dir+string(filepath.Separator)) && resolved != dir {
				t.Fatalf("symlink %s → %s leaves the tree", p, target)
			}
			return nil
		})
	})
}
