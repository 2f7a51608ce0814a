//go:build unix

package osfs

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The tree writes only below its root: creating through a symlink the
// tree did not make fails, files are new (O_EXCL), links and times work
// by descriptor.
func TestTree(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	outside := t.TempDir()
	os.Symlink(outside, filepath.Join(root, "escape"))
	tr, err := OpenTree(root)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if err := tr.Mkdir("a", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := tr.Mkdir("a", 0o755); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second Mkdir: %v, want ErrExist", err)
	}
	fd, err := tr.Create("a/f", 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fd.Write([]byte("data"))
	mt := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := fd.SetMtime("a/f", mt); err != nil {
		t.Fatal(err)
	}
	fd.Close()
	if fi, err := os.Stat(filepath.Join(root, "a", "f")); err != nil || !fi.ModTime().Equal(mt) {
		t.Errorf("file: %v %v", fi, err)
	}
	if _, err := tr.Create("a/f", 0o644); err == nil {
		t.Error("Create over an existing file succeeded")
	}
	if _, err := tr.Create("escape/x", 0o644); err == nil {
		t.Error("Create through a symlink succeeded")
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("wrote outside the tree: %v", ents)
	}
	if err := tr.Symlink("f", "a/l"); err != nil {
		t.Fatal(err)
	}
	if err := tr.Link("a/f", "a/h"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "a", "h")); err != nil || string(b) != "data" {
		t.Errorf("hard link: %q %v", b, err)
	}
	if err := tr.Chtimes("a", mt); err != nil {
		t.Fatal(err)
	}
}

func TestFilesAndLocks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, nil, 0o644)
	os.Symlink(p, filepath.Join(dir, "l"))
	if _, err := os.OpenFile(filepath.Join(dir, "l"), os.O_RDONLY|NoFollow, 0); !IsLink(err) {
		t.Errorf("open through a link: %v, want IsLink", err)
	}
	fi, _ := os.Stat(p)
	if uid, links, ok := Owner(fi); !ok || uid != os.Geteuid() || links != 1 || !OwnedByYou(fi) {
		t.Errorf("Owner = %d %d %v", uid, links, ok)
	}
	a, _ := os.Open(p)
	b, _ := os.Open(p)
	defer a.Close()
	defer b.Close()
	if ok, err := TryLock(a); !ok || err != nil {
		t.Fatalf("TryLock: %v %v", ok, err)
	}
	if ok, err := TryLock(b); ok || err != nil {
		t.Errorf("a second open file description took the lock: %v %v", ok, err)
	}
	// Exchange swaps two folders in one step; RenameOverEmpty replaces an
	// empty folder.
	x, y := filepath.Join(dir, "x"), filepath.Join(dir, "y")
	os.MkdirAll(filepath.Join(x, "in-x"), 0o755)
	os.MkdirAll(filepath.Join(y, "in-y"), 0o755)
	if err := Exchange(x, y); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(x, "in-y")); err != nil {
		t.Errorf("Exchange: %v", err)
	}
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	if err := RenameOverEmpty(x, empty); err != nil {
		t.Fatal(err)
	}
	if err := SyncFS(dir); err != nil {
		t.Error(err)
	}
}

// A process group is started, seen alive, killed and waited for.
func TestProcessGroup(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("sh", "-c", "sleep 60 & wait")
	cmd.SysProcAttr = GroupAttr()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	if !GroupAlive(pgid) {
		t.Fatal("a running group is not alive")
	}
	KillGroup(pgid)
	cmd.Wait()
	WaitGroupGone(pgid, 10*time.Second)
	if GroupAlive(pgid) {
		t.Error("the killed group is still alive")
	}
}
