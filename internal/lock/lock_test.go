package lock

import (
	"context"
	"path/filepath"
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
