package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrExists means the install dir already exists and Replace was not set.
var ErrExists = errors.New("already installed")

// tempPrefix marks unpack dirs; a name starting with "." never collides
// with a version and is skipped by listings.
const tempPrefix = ".tmp-"

// InstallOptions for Install.
type InstallOptions struct {
	Options
	// Replace swaps an existing install for the new one atomically.
	Replace bool
	// Finalize runs on the complete temp dir before it is moved into
	// place (it writes the receipt). An error aborts the install.
	Finalize func(dir string) error
}

// Install unpacks r into parent/name atomically: into a temp dir beside
// the target, then one rename. A crash at any point leaves either the old
// state or the complete new tree, plus at worst a temp dir that
// CleanStale removes. Callers serialise installs of one name with a lock.
func Install(ctx context.Context, r io.Reader, parent, name string, o InstallOptions) (st Stats, err error) {
	if name == "" || strings.ContainsAny(name, `/\`) || name[0] == '.' {
		return Stats{}, fmt.Errorf("install: bad name %q", name)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return Stats{}, fmt.Errorf("install: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, tempPrefix+name+"-")
	if err != nil {
		return Stats{}, fmt.Errorf("install: %w", err)
	}
	defer func() {
		// After a successful swap tmp holds the old tree; after a failure
		// it holds a partial one. Either way it goes.
		if rerr := os.RemoveAll(tmp); rerr != nil && err == nil {
			err = fmt.Errorf("install: remove %s: %w", tmp, rerr)
		}
	}()
	st, err = Extract(ctx, r, tmp, o.Options)
	if err != nil {
		return st, err
	}
	if o.Finalize != nil {
		if err := o.Finalize(tmp); err != nil {
			return st, err
		}
	}
	if err := ctx.Err(); err != nil {
		return st, err
	}
	// Make the new tree durable before it becomes visible: one syncfs for
	// the whole file system instead of an fsync per file, so that after a
	// power loss the renamed tree is never one of empty files.
	if err := syncFS(tmp); err != nil {
		return st, fmt.Errorf("install: sync %s: %w", tmp, err)
	}
	target := filepath.Join(parent, name)
	// Something that is not a folder at the target (a planted symlink, a
	// stray file) is never followed: with Replace it is removed (the link
	// itself, not what it points to); without, the install stops.
	if fi, err := os.Lstat(target); err == nil && !fi.IsDir() {
		if !o.Replace {
			return st, fmt.Errorf("install %s: %w (and it is not a folder)", target, ErrExists)
		}
		if err := os.Remove(target); err != nil {
			return st, fmt.Errorf("install: %w", err)
		}
	}
	if err := os.Rename(tmp, target); err == nil {
		syncDir(parent)
		return st, nil
	} else if !isExistErr(err) {
		return st, fmt.Errorf("install: %w", err)
	}
	if !o.Replace {
		return st, fmt.Errorf("install %s: %w", target, ErrExists)
	}
	if err := exchange(tmp, target); err != nil {
		return st, fmt.Errorf("install: replace %s: %w", target, err)
	}
	syncDir(parent)
	return st, nil
}

func isExistErr(err error) bool {
	return errors.Is(err, os.ErrExist) || errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST)
}

func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync() // best effort: durability, not correctness
		f.Close()
	}
}

// CleanStale removes temp dirs an interrupted install of name left in
// parent. Call it holding name's lock.
func CleanStale(parent, name string) error {
	matches, err := filepath.Glob(filepath.Join(parent, tempPrefix+name+"-*"))
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range matches {
		errs = append(errs, os.RemoveAll(m))
	}
	return errors.Join(errs...)
}
