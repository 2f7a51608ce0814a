package osfs

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// GroupAttr starts a child as the leader of its own process group
// (and, on Linux, with a parent-death signal).
func GroupAttr() *syscall.SysProcAttr {
	// SIGTERM to the shell when pyfetch dies, even by SIGKILL: its trap
	// then kills the group.
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// WaitGroupGone waits until no process of group pgid is running (zombies
// waiting to be reaped by someone else do not count), up to max.
func WaitGroupGone(pgid int, max time.Duration) {
	deadline := time.Now().Add(max)
	for GroupAlive(pgid) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

// GroupAlive reports whether a process of group pgid is still running,
// from /proc (a zombie is not running).
func GroupAlive(pgid int) bool {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return syscall.Kill(-pgid, 0) == nil
	}
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// "pid (comm) state ppid pgrp ...": comm may hold spaces and
		// parentheses, so fields are counted after the last ')'.
		s := string(data)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 3 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if g, err := strconv.Atoi(f[2]); err == nil && g == pgid {
			return true
		}
	}
	return false
}
