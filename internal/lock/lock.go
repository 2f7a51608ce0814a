// Package lock provides cross-process advisory file locks that die with
// their process: a lock held by a killed pyfetch is released by the kernel,
// so a crash never wedges later runs.
package lock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/pyfetch/pyfetch/internal/safefile"
)

// Lock is a held lock; Unlock releases it.
type Lock struct{ f *os.File }

// pollInterval is how often a waiting process retries the lock. flock has
// no way to wait with a deadline, so waiting is a non-blocking poll that
// also watches ctx.
const pollInterval = 20 * time.Millisecond

// Acquire takes an exclusive lock on path (creating the file), waiting
// until it is free or ctx is done. onWait, if non-nil, is called once when
// the lock is found busy.
func Acquire(ctx context.Context, path string, onWait func()) (*Lock, error) {
	f, err := safefile.OpenLock(path)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	waited := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &Lock{f: f}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !waited && onWait != nil {
			onWait()
		}
		waited = true
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

// TryAcquire takes the lock only if it is free now; ok is false when
// another process holds it.
func TryAcquire(path string) (l *Lock, ok bool, err error) {
	f, err := safefile.OpenLock(path)
	if err != nil {
		return nil, false, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, syscall.EINTR) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("lock %s: %w", path, err)
	}
	return &Lock{f: f}, true, nil
}

// Unlock releases the lock. The lock file stays: removing it would race
// with a process that has opened it but not yet locked it.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the descriptor releases the flock
	l.f = nil
	return err
}
