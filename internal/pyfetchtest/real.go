package pyfetchtest

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// RealDir returns ../shared/fixtures/real next to the project root, or
// skips the test when it is absent (a user's fresh clone has none).
func RealDir(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "fixtures", "real")
	if _, err := os.Stat(filepath.Join(dir, "artifacts.tsv")); err != nil {
		t.Skipf("real python.org fixtures not found at %s (they live in ../shared/fixtures/real beside the project); skipping", dir)
	}
	return dir
}

// RealArtifact is one row of artifacts.tsv.
type RealArtifact struct {
	Version, File, SHA256, MediaType, URL string
}

// RealArtifacts reads artifacts.tsv from RealDir.
func RealArtifacts(t testing.TB) []RealArtifact {
	t.Helper()
	f, err := os.Open(filepath.Join(RealDir(t), "artifacts.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []RealArtifact
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 5 {
			t.Fatalf("artifacts.tsv: bad row %q", sc.Text())
		}
		out = append(out, RealArtifact{c[0], c[1], c[2], c[3], c[4]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("artifacts.tsv has no rows")
	}
	return out
}
