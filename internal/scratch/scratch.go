// Package scratch makes private working folders in the system's temp
// folder (a bucket upload's staging, a copied TUF cache) whose names say
// which process made them, so that a later run removes the ones a killed
// run left behind (kill -9 runs no deferred clean-up).
package scratch

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/pyfetch/pyfetch/internal/osfs"
)

// Dir first removes orphans of prefix (see RemoveOrphans), then creates a
// private (0700) folder named prefix, this process's id, "-" and a random
// suffix in the system's temp folder. The caller removes it when done.
func Dir(prefix string) (string, error) {
	RemoveOrphans(os.TempDir(), prefix)
	return os.MkdirTemp("", prefix+strconv.Itoa(os.Getpid())+"-")
}

// RemoveOrphans removes the folders in parent that Dir made for prefix in
// processes that are gone: only real folders (never a link), owned by the
// current user, whose process id no longer runs. A process id that runs
// again under another program keeps its folder; that errs on the safe
// side.
func RemoveOrphans(parent, prefix string) {
	ents, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok {
			continue
		}
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() || running(pid) {
			continue
		}
		p := filepath.Join(parent, e.Name())
		fi, err := os.Lstat(p)
		if err != nil || !fi.IsDir() {
			continue
		}
		if uid, _, ok := osfs.Owner(fi); !ok || uid != os.Geteuid() {
			continue
		}
		os.RemoveAll(p)
	}
}

// running reports whether process pid exists (signal 0: EPERM means it
// exists under another user).
func running(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
