package atomicdir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

func fill(t *testing.T, d *Dir, marker string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(d.Path, "marker"), []byte(marker), 0o644); err != nil {
		t.Fatal(err)
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func TestCommit(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	target := filepath.Join(parent, "3.13.1")
	commit := func(marker string, replace bool) error {
		d, err := Create(parent, "3.13.1")
		if err != nil {
			t.Fatal(err)
		}
		defer d.Discard()
		fill(t, d, marker)
		return d.Commit(replace)
	}
	if err := commit("one", false); err != nil {
		t.Fatal(err)
	}
	if err := commit("two", false); !errors.Is(err, ErrExists) {
		t.Fatalf("second commit: got %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(filepath.Join(target, "marker")); string(b) != "one" {
		t.Fatalf("a refused commit changed the tree: %q", b)
	}
	if err := commit("three", true); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(target, "marker")); string(b) != "three" {
		t.Fatalf("replace did not swap the tree: %q", b)
	}
	if got := names(t, parent); len(got) != 1 || got[0] != "3.13.1" {
		t.Errorf("parent holds %v, want only 3.13.1", got)
	}
	// The tree gets the umask's permissions, like tar, not MkdirTemp's 0700.
	fi, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if want := 0o777 &^ Umask(); fi.Mode().Perm() != want {
		t.Errorf("installed tree mode %v, want %v", fi.Mode().Perm(), want)
	}
}

// TestCommitOverPlantedSymlink: a symlink at the target is never followed.
func TestCommitOverPlantedSymlink(t *testing.T) {
	t.Parallel()
	parent, elsewhere := t.TempDir(), t.TempDir()
	os.Symlink(elsewhere, filepath.Join(parent, "v"))
	d, _ := Create(parent, "v")
	defer d.Discard()
	fill(t, d, "x")
	if err := d.Commit(false); !errors.Is(err, ErrExists) {
		t.Fatalf("got %v, want ErrExists", err)
	}
	if err := d.Commit(true); err != nil {
		t.Fatal(err)
	}
	if got := names(t, elsewhere); len(got) != 0 {
		t.Errorf("wrote through the symlink: %v", got)
	}
	if fi, err := os.Lstat(filepath.Join(parent, "v")); err != nil || !fi.IsDir() {
		t.Errorf("target is not the new folder: %v %v", fi, err)
	}
}

func TestFindStale(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	old := time.Now().Add(-2 * time.Hour)
	for _, n := range []string{".tmp-3.13.1-123", ".tmp-3.12.0-uninstall-abc", ".tmp-3.14.0-999"} {
		os.Mkdir(filepath.Join(parent, n), 0o700)
	}
	os.Chtimes(filepath.Join(parent, ".tmp-3.13.1-123"), old, old)
	os.Chtimes(filepath.Join(parent, ".tmp-3.12.0-uninstall-abc"), old, old)
	st, err := FindStale(parent, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range st {
		got[filepath.Base(s.Path)] = s.Name
	}
	want := map[string]string{".tmp-3.13.1-123": "3.13.1", ".tmp-3.12.0-uninstall-abc": "3.12.0"}
	if len(got) != len(want) || got[".tmp-3.13.1-123"] != "3.13.1" || got[".tmp-3.12.0-uninstall-abc"] != "3.12.0" {
		t.Errorf("FindStale = %v, want %v (the fresh one is not stale)", got, want)
	}
}

// Fill moves a prepared folder into the temp folder's place; MoveAside
// takes a target out under a temp folder's name that FindStale sees.
func TestFillAndMoveAside(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	d, err := Create(parent, "3.13.5")
	if err != nil {
		t.Fatal(err)
	}
	staged := filepath.Join(t.TempDir(), "prefix")
	os.MkdirAll(filepath.Join(staged, "bin"), 0o755)
	os.WriteFile(filepath.Join(staged, "bin", "python3"), []byte("py"), 0o755)
	if err := d.Fill(staged); err != nil {
		t.Fatal(err)
	}
	if err := d.Commit(false); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(parent, "3.13.5", "bin", "python3")); err != nil || string(b) != "py" {
		t.Fatalf("committed tree: %q %v", b, err)
	}
	aside, err := MoveAside(parent, "3.13.5", "uninstall")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(parent, "3.13.5")); !os.IsNotExist(err) {
		t.Errorf("the target is still there: %v", err)
	}
	stale, err := FindStale(parent, 0, time.Now())
	if err != nil || len(stale) != 1 || stale[0].Path != aside || stale[0].Name != "3.13.5" {
		t.Errorf("FindStale = %+v, %v; want %s for 3.13.5", stale, err, aside)
	}
}

// TestWriteback: writebacks started while the folder fills (several at
// once coalesce) are over when Commit or Discard returns, and the
// committed tree holds everything written.
func TestWriteback(t *testing.T) {
	t.Parallel()
	for _, commit := range []bool{true, false} {
		parent := t.TempDir()
		d, err := Create(parent, "3.13.1")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := range 50 {
				d.Writeback()
				if err := os.WriteFile(filepath.Join(d.Path, fmt.Sprint("f", i)), []byte("x"), 0o644); err != nil {
					t.Error(err)
				}
			}
		}()
		d.Writeback()
		<-done
		d.Writeback()
		if commit {
			err = d.Commit(false)
		} else {
			err = d.Discard()
		}
		if err != nil {
			t.Fatal(err)
		}
		d.mu.Lock()
		running := d.flushDone != nil
		d.mu.Unlock()
		if running {
			t.Errorf("commit %v: a writeback still runs after it returned", commit)
		}
		want := 0
		if commit {
			want = 50
		}
		if ents, _ := os.ReadDir(filepath.Join(parent, "3.13.1")); len(ents) != want {
			t.Errorf("commit %v: the target holds %d files, want %d", commit, len(ents), want)
		}
		if got := names(t, parent); len(got) != want/50 {
			t.Errorf("commit %v: parent holds %v", commit, got)
		}
	}
}
