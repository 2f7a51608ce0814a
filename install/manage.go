package install

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/pyfetch/pyfetch/home"
	"github.com/pyfetch/pyfetch/internal/atomicdir"
	"github.com/pyfetch/pyfetch/internal/osfs"
	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/releases"
)

// ErrNotInstalled means the version asked for is not installed.
var ErrNotInstalled = errors.New("not installed")

// ErrRequest marks a request that cannot be acted on as asked (the CLI
// reports it as a usage error).
var ErrRequest = errors.New("invalid request")

// ErrInTheWay means a folder pyfetch did not install (no valid receipt)
// stands where an install goes: it is neither used nor replaced without
// --force.
var ErrInTheWay = errors.New("not a pyfetch install")

// Uninstall removes an installed version atomically: under the version's
// lock the tree is renamed out of versions/<v> in one step, then deleted.
// The version string is parsed first, so nothing outside versions/ can be
// named.
func Uninstall(ctx context.Context, h home.Home, version string) (string, error) {
	in, err := releases.ParseInstallName(version)
	if err != nil {
		return "", err
	}
	name := in.String()
	v := installName(name)
	dir := h.VersionDir(name)
	// Never through a link or in a folder others may write: the rename
	// and delete below go by path.
	if err := checkVersions(h); errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w: %s is not in %s", ErrNotInstalled, v, h.Versions())
	} else if err != nil {
		return "", err
	}
	l, err := h.Lock(ctx, h.LockPath(name), "installing "+name, nil)
	if err != nil {
		return "", err
	}
	defer l.Unlock()
	fi, err := os.Lstat(dir)
	if os.IsNotExist(err) {
		return "", fmt.Errorf("%w: %s is not in %s", ErrNotInstalled, v, h.Versions())
	}
	if err != nil {
		return "", err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return "", fmt.Errorf("%w: %s is a symlink, not an install; leaving what it points to alone (remove the link: rm %s)", ErrUntrustedInstall, dir, dir)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%w: %s is %s, not an install; leaving it alone (remove it: rm %s)", ErrUntrustedInstall, dir, safefile.Describe(fi.Mode()), dir)
	}
	if uid, _, _ := osfs.Owner(fi); !osfs.OwnedByYou(fi) {
		return "", fmt.Errorf("%w: %s belongs to uid %d, not to you; leaving it alone", ErrUntrustedInstall, dir, uid)
	}
	// Out of versions/ in one step, under a temp folder's name, so a
	// crash before the delete finishes is cleaned by a later install.
	trash, err := atomicdir.MoveAside(h.Versions(), name, "uninstall")
	if err != nil {
		return "", err
	}
	if err := os.RemoveAll(trash); err != nil {
		return dir, fmt.Errorf("removed from versions/, but deleting %s failed: %w", trash, err)
	}
	return dir, nil
}

// Find returns the newest installed version matching spec.
func Find(h home.Home, spec releases.Spec) (Installed, error) {
	rows, err := List(h)
	if err != nil {
		return Installed{}, err
	}
	var names []string
	var broken []string
	for _, r := range rows {
		in, _ := releases.ParseInstallName(r.Version)
		v := in.Version
		if in.FreeThreaded != spec.FreeThreaded {
			names = append(names, r.Version)
			continue
		}
		if r.Receipt == nil {
			// Never hand out a tree without a valid receipt.
			if spec.Matches(v, spec.Exact != nil) {
				broken = append(broken, r.Version)
			}
			continue
		}
		if spec.Matches(v, spec.Exact != nil) {
			return r, nil
		}
		names = append(names, r.Version)
	}
	if len(broken) > 0 {
		return Installed{}, fmt.Errorf("%w: no verified install matches %q (%v have no valid pyfetch receipt; reinstall with --force)", ErrNotInstalled, spec.Raw, broken)
	}
	if len(names) == 0 {
		return Installed{}, fmt.Errorf("%w: %s (nothing is installed in %s)", ErrNotInstalled, spec.Raw, h.Versions())
	}
	return Installed{}, fmt.Errorf("%w: no installed version matches %q (installed: %v)", ErrNotInstalled, spec.Raw, names)
}

// installName is a folder name under versions/, printed as is.
type installName string

func (n installName) String() string { return string(n) }

// UninstallTarget turns what a user typed into the install to remove: an
// exact version as is; a line or major ("3.13", "3") when exactly one
// install matches it, and a usage error listing them when several do.
func UninstallTarget(h home.Home, typed string) (string, error) {
	sp, err := releases.ParseSpec(typed)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrRequest, err)
	}
	if sp.Exact != nil {
		return releases.InstallName{Version: *sp.Exact, FreeThreaded: sp.FreeThreaded}.String(), nil
	}
	rows, err := List(h)
	if err != nil {
		return "", err
	}
	var matches []string
	for _, r := range rows {
		in, err := releases.ParseInstallName(r.Version)
		if err == nil && in.FreeThreaded == sp.FreeThreaded && sp.Matches(in.Version, true) {
			matches = append(matches, r.Version)
		}
	}
	switch len(matches) {
	case 0:
		return "", fmt.Errorf("%w: no installed version matches %q (pyfetch list shows what is installed)", ErrNotInstalled, typed)
	case 1:
		return matches[0], nil
	}
	return "", fmt.Errorf("%w: %q matches %s; name the one to remove", ErrRequest, typed, strings.Join(matches, ", "))
}
