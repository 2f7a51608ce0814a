// Package atomicdir makes a folder appear at its final place in one step:
// it is filled as a private temp folder beside the target, made durable,
// given the permissions the umask asks for, and renamed (or exchanged
// with the old one) so that a crash at any moment leaves either the old
// state or the complete new folder, plus at worst a temp folder that
// CleanStale removes later.
package atomicdir

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pyfetch/pyfetch/internal/osfs"
)

// ErrExists means the target already exists and Replace was not asked.
var ErrExists = errors.New("already installed")

// TempPrefix starts every temp folder's name: a name starting with "."
// never collides with a version and listings skip it. The name that
// follows is the target's, then "-" and a random suffix.
const TempPrefix = ".tmp-"

// Dir is a temp folder that becomes parent/name on Commit.
type Dir struct {
	parent, name string
	// Path is the temp folder to fill.
	Path string

	mu        sync.Mutex
	flushDone chan struct{} // a running Writeback's: closed when it ends
}

// Create makes a private temp folder for parent/name.
func Create(parent, name string) (*Dir, error) {
	if name == "" || strings.ContainsAny(name, `/\`) || name[0] == '.' {
		return nil, fmt.Errorf("atomicdir: bad name %q", name)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(parent, TempPrefix+name+"-")
	if err != nil {
		return nil, err
	}
	return &Dir{parent: parent, name: name, Path: tmp}, nil
}

// Discard removes the temp folder (after a failure, or holding the old
// tree after a replacing Commit).
func (d *Dir) Discard() error {
	d.waitWriteback()
	return os.RemoveAll(d.Path)
}

// Writeback starts writing what the folder holds so far to disk in the
// background (a syncfs on another thread), while the caller goes on
// filling it: the disk works while the CPU unpacks, and the syncfs that
// Commit must wait for has only the tail left. A call while one is
// still running does nothing. Errors are left to Commit's own syncfs,
// which is the one durability rests on.
func (d *Dir) Writeback() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.flushDone != nil {
		return
	}
	done := make(chan struct{})
	d.flushDone = done
	go func() {
		osfs.SyncFS(d.Path)
		d.mu.Lock()
		d.flushDone = nil
		d.mu.Unlock()
		close(done)
	}()
}

// waitWriteback waits for a running Writeback.
func (d *Dir) waitWriteback() {
	d.mu.Lock()
	done := d.flushDone
	d.mu.Unlock()
	if done != nil {
		<-done
	}
}

// Fill makes the folder src (on the same file system, e.g. a build's
// staged prefix) the temp folder's content in one rename: rename(2)
// replaces the still empty temp folder. Commit then works as usual.
func (d *Dir) Fill(src string) error {
	if err := osfs.RenameOverEmpty(src, d.Path); err != nil {
		return fmt.Errorf("move %s into place: %w", src, err)
	}
	return nil
}

// MoveAside renames parent/name out of the way in one step, to a temp
// folder's name (so a crash before it is deleted leaves a folder the next
// run's FindStale sees), and returns where it went. tag says why (it is
// part of the name: ".tmp-3.13.5-uninstall-1a2b...").
func MoveAside(parent, name, tag string) (string, error) {
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", err
	}
	aside := filepath.Join(parent, TempPrefix+name+"-"+tag+"-"+hex.EncodeToString(rnd[:]))
	if err := os.Rename(filepath.Join(parent, name), aside); err != nil {
		return "", err
	}
	return aside, nil
}

// Commit makes the temp folder the target. Without replace, an existing
// target fails with ErrExists; with it, the old tree is swapped out in one
// step (it is then in d.Path, for Discard). Something at the target that
// is not a folder (a planted symlink, a stray file) is never followed:
// with replace it is removed (the link itself), without, Commit fails.
func (d *Dir) Commit(replace bool) error {
	// os.MkdirTemp makes 0700; an install tree is for everyone to read
	// as the umask allows, as tar would make it (0755 under umask 022),
	// but never writable by anyone else, even under umask 002: a folder
	// others may write is never handed out as an install.
	if err := os.Chmod(d.Path, 0o777&^Umask()&^0o022); err != nil {
		return err
	}
	// Durable before visible: one syncfs for the whole file system
	// instead of an fsync per file, so that after a power loss the
	// renamed tree is never one of empty files.
	d.waitWriteback()
	if err := osfs.SyncFS(d.Path); err != nil {
		return fmt.Errorf("sync %s: %w", d.Path, err)
	}
	target := filepath.Join(d.parent, d.name)
	if fi, err := os.Lstat(target); err == nil && !fi.IsDir() {
		if !replace {
			return fmt.Errorf("%s: %w (and it is not a folder)", target, ErrExists)
		}
		if err := os.Remove(target); err != nil {
			return err
		}
	}
	if err := os.Rename(d.Path, target); err == nil {
		syncDir(d.parent)
		return nil
	} else if !isExistErr(err) {
		return err
	}
	if !replace {
		return fmt.Errorf("%s: %w", target, ErrExists)
	}
	if err := osfs.Exchange(d.Path, target); err != nil {
		return fmt.Errorf("replace %s: %w", target, err)
	}
	syncDir(d.parent)
	return nil
}

// Umask returns the process's file mode creation mask, read once. Linux
// shows it in /proc/self/status; elsewhere reading it means setting it,
// which is done once, early, before parallel work creates files.
var Umask = sync.OnceValue(func() os.FileMode {
	if data, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "Umask:"); ok {
				if m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
					return os.FileMode(m)
				}
			}
		}
	}
	m := osfs.Umask(0o022)
	osfs.Umask(m)
	return os.FileMode(m)
})

func isExistErr(err error) bool {
	return osfs.IsExist(err)
}

func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync() // best effort: durability, not correctness
		f.Close()
	}
}

// Stale is a temp folder left by an interrupted run.
type Stale struct {
	Path string
	Name string // the target's name it was made for
}

// FindStale lists temp folders in parent older than minAge.
func FindStale(parent string, minAge time.Duration, now time.Time) ([]Stale, error) {
	ents, err := os.ReadDir(parent)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Stale
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), TempPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		i := strings.LastIndexByte(rest, '-')
		if i <= 0 {
			continue
		}
		info, err := e.Info()
		if err != nil || now.Sub(info.ModTime()) < minAge {
			continue
		}
		out = append(out, Stale{Path: filepath.Join(parent, e.Name()), Name: trimTag(rest[:i])})
	}
	return out, nil
}

// trimTag drops a "-uninstall" style tag from a temp folder's name.
func trimTag(name string) string {
	if i := strings.IndexByte(name, '-'); i > 0 {
		return name[:i]
	}
	return name
}
