// Package proc runs a child command as the leader of its own process
// group, so that everything it starts can be stopped at once, and so that
// none of it outlives pyfetch: not after a cancel (the group is killed and
// waited for) and, on Linux, not after pyfetch itself is killed (a parent-
// death signal reaches a small shell that kills its whole group).
package proc

import (
	"context"
	"os/exec"
	"runtime"
	"time"

	"github.com/pyfetch/pyfetch/internal/osfs"
)

// groupScript runs the command in the background and waits for it; on
// SIGTERM (the parent-death signal) it kills its whole process group,
// itself included. Only POSIX sh is needed.
const groupScript = `trap 'kill -KILL 0' TERM; "$@" & wait $!`

// Command returns a command that runs name with args in its own process
// group under /bin/sh (see groupScript). Set Dir, Env, Stdout, Stderr on
// it, then Run it with Run.
func Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command("/bin/sh", append([]string{"-c", groupScript, "pyfetch-child", name}, args...)...)
	cmd.SysProcAttr = osfs.GroupAttr()
	return cmd
}

// Run starts cmd (from Command) and waits for it. When ctx is done, the
// whole group is killed, and Run returns only once no process of the
// group is left running (within waitGone), so that a caller that exits
// right after leaves nothing behind. After a normal end, whatever the
// command left running in its group is killed too.
func Run(ctx context.Context, cmd *exec.Cmd) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// The parent-death signal is tied to the thread that started the
	// child: keep that thread alive, and this goroutine on it, until the
	// child is gone.
	started := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		err := cmd.Start()
		started <- err
		if err == nil {
			<-done
		}
	}()
	if err := <-started; err != nil {
		return err
	}
	pgid := cmd.Process.Pid
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	var err error
	select {
	case err = <-waitErr:
	case <-ctx.Done():
		osfs.KillGroup(pgid)
		err = <-waitErr
	}
	close(done)
	// Whatever a finished or killed command left in its group goes too,
	// and is waited for.
	osfs.KillGroup(pgid)
	osfs.WaitGroupGone(pgid, waitGone)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// waitGone bounds the wait for a killed group's processes to be gone.
const waitGone = 3 * time.Second
