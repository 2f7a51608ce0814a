package compile

import (
	"errors"
	"fmt"
	"strings"
)

// ErrConfigureArg means an extra configure argument that would undo what
// pyfetch sets itself: where the build is installed, or what kind of
// build it is.
var ErrConfigureArg = errors.New("configure argument pyfetch sets itself")

// layoutOptions are autoconf's installation-directory options. pyfetch
// sets the prefix to the install dir and stages it with DESTDIR; any of
// these would move files out of the tree that becomes the install, and
// the build would fail its checks after minutes of compiling.
var layoutOptions = []string{
	"prefix", "exec-prefix", "bindir", "sbindir", "libexecdir", "sysconfdir",
	"sharedstatedir", "localstatedir", "runstatedir", "libdir", "includedir",
	"oldincludedir", "datarootdir", "datadir", "infodir", "localedir",
	"mandir", "docdir", "htmldir", "dvidir", "pdfdir", "psdir",
}

// CheckConfigureArgs refuses extra configure arguments that pyfetch sets
// itself, before anything is downloaded or compiled: an installation
// directory (as --libdir=DIR, --libdir DIR, an abbreviation autoconf
// accepts such as --pre=DIR, or the variable prefix=DIR), and
// --disable-gil, which is --freethreaded's job (the install is then named
// X.Y.Zt). freeThreaded says --freethreaded was given.
func CheckConfigureArgs(args []string, freeThreaded bool) error {
	for _, a := range args {
		if name, _, ok := strings.Cut(a, "="); ok && !strings.HasPrefix(name, "-") {
			// VAR=VALUE: configure sets the shell variable VAR.
			for _, o := range layoutOptions {
				if name == strings.ReplaceAll(o, "-", "_") {
					return fmt.Errorf("%w: %q sets the install layout; pyfetch installs into its own versions folder (pyfetch path VERSION shows where)", ErrConfigureArg, a)
				}
			}
			continue
		}
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, val, _ := strings.Cut(strings.ReplaceAll(strings.ToLower(strings.TrimLeft(a, "-")), "_", "-"), "=")
		switch gilOff := name == "disable-gil" || (name == "enable-gil" && val == "no"); {
		case gilOff && !freeThreaded:
			return fmt.Errorf("%w: %q builds a free-threaded Python; use --freethreaded, which installs it as X.Y.Zt beside the default build", ErrConfigureArg, a)
		case name == "enable-gil" && !gilOff && freeThreaded:
			return fmt.Errorf("%w: %q contradicts --freethreaded", ErrConfigureArg, a)
		}
		if len(name) < 2 {
			continue
		}
		for _, o := range layoutOptions {
			if strings.HasPrefix(o, name) {
				return fmt.Errorf("%w: %q sets the install layout (--%s); pyfetch installs into its own versions folder (pyfetch path VERSION shows where)", ErrConfigureArg, a, o)
			}
		}
	}
	return nil
}
