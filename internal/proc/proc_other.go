//go:build !linux

package proc

import (
	"syscall"
	"time"
)

// Outside Linux there is no parent-death signal: the group is killed on
// cancel only.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

func waitGroupGone(pgid int, max time.Duration) {
	deadline := time.Now().Add(max)
	for GroupAlive(pgid) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

// GroupAlive reports whether group pgid still has a process (zombies
// included: there is no /proc to tell them apart).
func GroupAlive(pgid int) bool { return syscall.Kill(-pgid, 0) == nil }
