package scratch

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// A folder of a process that is gone is removed; one of a running
// process, a link, a file and another prefix's folder stay.
func TestRemoveOrphans(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Skip("no true(1):", err)
	}
	dead := strconv.Itoa(gone.Process.Pid)
	alive := strconv.Itoa(os.Getppid())
	mk := func(name string) string {
		p := filepath.Join(parent, name)
		os.MkdirAll(filepath.Join(p, "sub"), 0o700)
		os.WriteFile(filepath.Join(p, "sub", "f"), []byte("x"), 0o600)
		return p
	}
	orphan := mk("pyfetch-push-" + dead + "-123")
	stays := []string{
		mk("pyfetch-push-" + alive + "-456"),
		mk("pyfetch-publish-" + dead + "-789"),
		mk("pyfetch-push-notapid-1"),
	}
	elsewhere := mk("elsewhere")
	link := filepath.Join(parent, "pyfetch-push-"+dead+"-link")
	os.Symlink(elsewhere, link)
	stays = append(stays, link, elsewhere)
	RemoveOrphans(parent, "pyfetch-push-")
	if _, err := os.Lstat(orphan); !os.IsNotExist(err) {
		t.Errorf("the orphan stayed: %v", err)
	}
	for _, p := range stays {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(p), err)
		}
	}
	if _, err := os.Stat(filepath.Join(elsewhere, "sub", "f")); err != nil {
		t.Errorf("removed through a link: %v", err)
	}
}

func TestDirNamesItsProcess(t *testing.T) {
	t.Parallel()
	d, err := Dir("pyfetch-scratch-test-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(d)
	fi, err := os.Stat(d)
	want := "pyfetch-scratch-test-" + strconv.Itoa(os.Getpid()) + "-"
	if err != nil || fi.Mode().Perm() != 0o700 || filepath.Base(d)[:len(want)] != want {
		t.Errorf("Dir = %s (%v, %v)", d, fi.Mode(), err)
	}
}
