//go:build unix && !linux

package osfs

import (
	"syscall"
	"time"
)

// Outside Linux there is no parent-death signal: the group is killed on
// cancel only.
// GroupAttr starts a child as the leader of its own process group
// (and, on Linux, with a parent-death signal).
func GroupAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// WaitGroupGone waits until no process of group pgid is left, up to max.
func WaitGroupGone(pgid int, max time.Duration) {
	deadline := time.Now().Add(max)
	for GroupAlive(pgid) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

// GroupAlive reports whether group pgid still has a process (zombies
// included: there is no /proc to tell them apart).
func GroupAlive(pgid int) bool { return syscall.Kill(-pgid, 0) == nil }
