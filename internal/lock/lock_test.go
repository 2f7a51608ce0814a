package lock

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestAcquireExcludesAndReleases(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x.lock")
	ctx := context.Background()
	l1, err := Acquire(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to open file descriptions, so a second open in the
	// same process contends exactly like another process would.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	waited := false
	if _, err := Acquire(short, path, func() { waited = true }); err == nil {
		t.Fatal("second Acquire succeeded while the lock was held")
	}
	if !waited {
		t.Error("onWait was not called for a busy lock")
	}
	if err := l1.Unlock(); err != nil {
		t.Fatal(err)
	}
	l2, err := Acquire(ctx, path, nil)
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
				l, err := Acquire(context.Background(), path, nil)
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
	l, err := Acquire(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := TryAcquire(path); ok || err != nil {
		t.Fatalf("TryAcquire on a held lock: ok %v, err %v", ok, err)
	}
	l.Unlock()
	l2, ok, err := TryAcquire(path)
	if !ok || err != nil {
		t.Fatalf("TryAcquire on a free lock: ok %v, err %v", ok, err)
	}
	l2.Unlock()
}
