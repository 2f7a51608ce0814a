package lock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestAcquireExcludesAndReleases(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x.lock")
	ctx := context.Background()
	l1, err := Acquire(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to open file descriptions, so a second open in the
	// same process contends exactly like another process would.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	waited := false
	if _, err := Acquire(short, path, Options{OnWait: func(string) { waited = true }}); err == nil {
		t.Fatal("second Acquire succeeded while the lock was held")
	}
	if !waited {
		t.Error("onWait was not called for a busy lock")
	}
	if err := l1.Unlock(); err != nil {
		t.Fatal(err)
	}
	l2, err := Acquire(ctx, path, Options{})
	if err != nil {
		t.Fatalf("Acquire after Unlock: %v", err)
	}
	l2.Unlock()
}

// TestPlantedLockFiles: a symlink planted as a lock file must not make
// pyfetch create a file at its target, and a FIFO must not hang it.
func TestPlantedLockFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	tests := []struct {
		name  string
		plant func(path string) error
	}{
		{"symlink", func(p string) error { return os.Symlink(victim, p) }},
		{"fifo", func(p string) error { return syscall.Mkfifo(p, 0o644) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".lock")
			if err := tc.plant(path); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				l, err := Acquire(context.Background(), path, Options{})
				if err == nil {
					l.Unlock()
				}
				done <- err
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("Acquire: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Acquire hung on a planted lock file")
			}
			if _, err := os.Lstat(victim); err == nil {
				t.Error("a file was created at the symlink's target")
			}
			fi, err := os.Lstat(path)
			if err != nil || !fi.Mode().IsRegular() {
				t.Errorf("lock file is not a regular file now: %v %v", fi, err)
			}
		})
	}
}

func TestTryAcquire(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x.lock")
	l, err := Acquire(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := TryAcquire(path, false); ok || err != nil {
		t.Fatalf("TryAcquire on a held lock: ok %v, err %v", ok, err)
	}
	l.Unlock()
	l2, ok, err := TryAcquire(path, false)
	if !ok || err != nil {
		t.Fatalf("TryAcquire on a free lock: ok %v, err %v", ok, err)
	}
	l2.Unlock()
}

// A lock under the private home is 0600, and an old 0644 one of yours is
// narrowed: nobody else can open it, so nobody else can hold it.
func TestPrivateLockMode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fresh := filepath.Join(dir, "fresh.lock")
	old := filepath.Join(dir, "old.lock")
	os.WriteFile(old, nil, 0o644)
	os.Chmod(old, 0o644)
	for _, p := range []string{fresh, old} {
		l, err := Acquire(context.Background(), p, Options{Private: true})
		if err != nil {
			t.Fatal(err)
		}
		l.Unlock()
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
	shared := filepath.Join(dir, "shared.lock")
	l, _ := Acquire(context.Background(), shared, Options{})
	l.Unlock()
	if fi, _ := os.Stat(shared); fi.Mode().Perm()&0o044 == 0 {
		t.Errorf("a shared cache's lock is %v, want others able to open it", fi.Mode().Perm())
	}
}

// A wait is bounded and names the holder: a lock held forever by someone
// else ends in ErrTimeout, not a hang.
func TestWaitIsBoundedAndNamesTheHolder(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x.lock")
	// The holder is another process, so /proc/locks names its pid.
	holder := exec.Command("flock", path, "sleep", "60")
	if _, err := exec.LookPath("flock"); err != nil {
		holder = nil
	}
	var wantHolder string
	if holder != nil {
		if err := holder.Start(); err != nil {
			t.Fatal(err)
		}
		defer holder.Process.Kill()
		// Wait until it holds the lock.
		for i := 0; ; i++ {
			l, ok, err := TryAcquire(path, false)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			l.Unlock()
			if i > 5000 {
				t.Fatal("flock never took the lock")
			}
			time.Sleep(2 * time.Millisecond)
		}
		if runtime.GOOS == "linux" {
			wantHolder = fmt.Sprintf("pid %d", holder.Process.Pid)
		}
	} else {
		l, err := Acquire(context.Background(), path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Unlock()
	}
	var told string
	_, err := Acquire(context.Background(), path, Options{Timeout: 50 * time.Millisecond, OnWait: func(h string) { told = h }})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if wantHolder != "" && (!strings.Contains(told, wantHolder) || !strings.Contains(err.Error(), wantHolder)) {
		t.Errorf("holder told %q, error %q; want %q", told, err, wantHolder)
	}
}

// A folder lock excludes like a file lock, leaves nothing in the folder,
// and is refused through a link or on a file.
func TestAcquireDir(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	l1, err := AcquireDir(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	waited := false
	if _, err := AcquireDir(ctx, dir, Options{Timeout: 50 * time.Millisecond, OnWait: func(string) { waited = true }}); !errors.Is(err, ErrTimeout) || !waited {
		t.Fatalf("second AcquireDir while held: %v (waited %v), want ErrTimeout", err, waited)
	}
	l1.Unlock()
	l2, err := AcquireDir(ctx, dir, Options{})
	if err != nil {
		t.Fatalf("AcquireDir after Unlock: %v", err)
	}
	l2.Unlock()
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("a folder lock left %d entries in the folder", len(ents))
	}
	link := filepath.Join(t.TempDir(), "link")
	file := filepath.Join(t.TempDir(), "file")
	os.Symlink(dir, link)
	os.WriteFile(file, nil, 0o644)
	for _, p := range []string{link, file} {
		if l, err := AcquireDir(ctx, p, Options{}); err == nil {
			l.Unlock()
			t.Errorf("AcquireDir(%s) took a lock on a link or a file", p)
		}
	}
}
