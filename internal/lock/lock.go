// Package lock provides cross-process advisory file locks that die with
// their process: a lock held by a killed pyfetch is released by the kernel,
// so a crash never wedges later runs. A wait is bounded and says who holds
// the lock, so a lock held by someone else forever cannot wedge one either.
package lock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/pyfetch/pyfetch/internal/osfs"
	"github.com/pyfetch/pyfetch/internal/safefile"
)

// ErrTimeout means the lock stayed busy for the whole wait allowed.
var ErrTimeout = errors.New("timed out waiting for a lock")

// DefaultTimeout bounds a wait when Options.Timeout is zero: long enough
// for another pyfetch to finish a build of the same version, short of a
// CI job's own limit.
const DefaultTimeout = 30 * time.Minute

// Options say how to take a lock.
type Options struct {
	// Private creates the lock file 0600 and narrows an existing one of
	// yours to 0600: nobody else can open it, so nobody else can hold
	// it. For locks under the private home. A lock in a cache shared by
	// several users stays 0644.
	Private bool
	// Timeout bounds the wait (DefaultTimeout when zero).
	Timeout time.Duration
	// OnWait, if set, is called once when the lock is found busy, with
	// who holds it ("pid 123, user bob") when that can be told.
	OnWait func(holder string)
}

// Lock is a held lock; Unlock releases it.
type Lock struct{ f *os.File }

// pollInterval is how often a waiting process retries the lock. flock has
// no way to wait with a deadline, so waiting is a non-blocking poll that
// also watches ctx.
const pollInterval = 20 * time.Millisecond

// Acquire takes an exclusive lock on path (creating the file), waiting
// until it is free, ctx is done or o.Timeout has passed (ErrTimeout,
// naming the holder when known).
func Acquire(ctx context.Context, path string, o Options) (*Lock, error) {
	f, err := open(path, o.Private)
	if err != nil {
		return nil, err
	}
	return wait(ctx, f, path, o)
}

// AcquireDir takes an exclusive lock on the folder dir itself, on the same
// terms as Acquire. It serialises changes to a file that is replaced by
// rename (a lock on the file would stay with the replaced copy) without
// leaving a lock file beside it, as in a project's folder. dir must be a
// real folder, not a link to one.
func AcquireDir(ctx context.Context, dir string, o Options) (*Lock, error) {
	f, err := os.OpenFile(dir, os.O_RDONLY|osfs.NoFollow|osfs.CloExec|osfs.Directory, 0)
	if err != nil {
		return nil, fmt.Errorf("lock folder %s: %w", dir, err)
	}
	return wait(ctx, f, dir, o)
}

// wait polls for the flock on f until it is taken, ctx is done or the
// timeout has passed; f is closed unless the lock is returned.
func wait(ctx context.Context, f *os.File, path string, o Options) (*Lock, error) {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	waited := false
	for {
		ok, err := try(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if ok {
			return &Lock{f: f}, nil
		}
		if !waited && o.OnWait != nil {
			o.OnWait(osfs.LockHolder(f))
		}
		waited = true
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
		case <-deadline.C:
			who := osfs.LockHolder(f)
			f.Close()
			if who == "" {
				who = "another process"
			}
			return nil, fmt.Errorf("%w: %s held by %s for over %s (raise --lock-timeout, or stop that process)", ErrTimeout, path, who, timeout)
		case <-time.After(pollInterval):
		}
	}
}

// TryAcquire takes the lock only if it is free now; ok is false when
// another process holds it.
func TryAcquire(path string, private bool) (l *Lock, ok bool, err error) {
	f, err := open(path, private)
	if err != nil {
		return nil, false, err
	}
	ok, err = try(f)
	if err != nil || !ok {
		f.Close()
		if err != nil {
			err = fmt.Errorf("lock %s: %w", path, err)
		}
		return nil, false, err
	}
	return &Lock{f: f}, true, nil
}

func open(path string, private bool) (*os.File, error) {
	mode := os.FileMode(0o644)
	if private {
		mode = 0o600
	}
	f, err := safefile.OpenLock(path, mode)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}

func try(f *os.File) (bool, error) { return osfs.TryLock(f) }

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
