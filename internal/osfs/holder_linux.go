package osfs

import (
	"bufio"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// LockHolder says who holds the flock on f's file ("pid 123, user bob"), from
// /proc/locks, or "" when that cannot be told.
func LockHolder(f *os.File) string {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return ""
	}
	// /proc/locks names a file as MAJOR:MINOR:INODE (hex, hex, decimal).
	want := fmt.Sprintf("%02x:%02x:%d", unix.Major(st.Dev), unix.Minor(st.Dev), st.Ino)
	locks, err := os.Open("/proc/locks")
	if err != nil {
		return ""
	}
	defer locks.Close()
	sc := bufio.NewScanner(locks)
	for sc.Scan() {
		// "1: FLOCK  ADVISORY  WRITE 12345 fd:01:1234567 0 EOF"; waiters
		// have "->" after the number and are skipped.
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1] == "->" || fields[1] != "FLOCK" || fields[5] != want {
			continue
		}
		pid, err := strconv.Atoi(fields[4])
		if err != nil || pid <= 0 {
			continue
		}
		who := fmt.Sprintf("pid %d", pid)
		var pst syscall.Stat_t
		if syscall.Stat(fmt.Sprintf("/proc/%d", pid), &pst) == nil {
			name := strconv.Itoa(int(pst.Uid))
			if u, err := user.LookupId(name); err == nil {
				name = u.Username
			}
			who += ", user " + name
		}
		return who
	}
	return ""
}
