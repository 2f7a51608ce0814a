package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pyfetch/pyfetch/compile"
	"github.com/pyfetch/pyfetch/extract"
	"github.com/pyfetch/pyfetch/fetch"
	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/internal/lock"
	"github.com/pyfetch/pyfetch/internal/textsafe"
	"github.com/pyfetch/pyfetch/prebuilt"
	"github.com/pyfetch/pyfetch/provenance"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/s3mirror"
	"github.com/pyfetch/pyfetch/store"
	"github.com/pyfetch/pyfetch/verify"
)

// Exit codes, documented in docs/commands.md. Decided in exitCode only.
const (
	exitOK          = 0
	exitFailure     = 1 // network, disk, anything not below
	exitUsage       = 2 // bad command line or input
	exitNotFound    = 3 // version, artifact or bundle does not exist
	exitVerify      = 4 // signature, identity or digest check failed
	exitUnsafe      = 5 // archive refused by the extractor
	exitUnsigned    = 6 // no signer known, or release predates signing
	exitBuild       = 7 // install --build: no toolchain, configure/make failed, ssl or zlib missing
	exitBusy        = 8 // another process held a lock past --lock-timeout
	exitDenied      = 9 // a bucket mirror refused the credentials (or there are none)
	exitInterrupted = 130
)

// errUsage marks a bad command line or configuration: exit 2.
var errUsage = errors.New("usage")

// errorTable classifies an error, first match wins, and says both its
// exit code and how stderr shows it: the order is the point. A build
// failure is exit 7 whatever it wraps (a missing ./configure wraps
// fs.ErrNotExist), a verification failure exit 4 whatever it wraps, and
// only then the generic kinds. Anything else is exit 1, "pyfetch: …".
// interruptedNote is what an interrupted run says it left: an install,
// a download, an upload is whole or absent, and what finished stays.
const interruptedNote = "what was not finished was not installed, cached or uploaded"

var errorTable = []struct {
	kinds []error
	code  int
	// show is what stderr says, from the error's message and the
	// "nothing was installed or changed" sentence; nil: "pyfetch: msg".
	show func(msg, nothing string) string
}{
	{[]error{errUsage, verify.ErrRootFile, install.ErrRequest, store.ErrRequest, releases.ErrBadVersion, releases.ErrBadFormat, s3mirror.ErrRegion, s3mirror.ErrBucketName, prebuilt.ErrNotPublishable, provenance.ErrKey, provenance.ErrKeyExists}, exitUsage, nil},
	// Before the full-disk row: a full disk behind stdout is not pyfetch's home.
	{[]error{errOutput, errGitHubFile}, exitFailure, nil},
	{[]error{s3mirror.ErrDenied}, exitDenied, nil},
	{[]error{s3mirror.ErrNoBucket}, exitNotFound, nil},
	{[]error{context.Canceled}, exitInterrupted, func(string, string) string {
		return "pyfetch: interrupted; " + interruptedNote
	}},
	{[]error{lock.ErrTimeout}, exitBusy, nil},
	{[]error{verify.ErrVerification}, exitVerify, func(msg, nothing string) string {
		return "SECURITY ERROR: " + msg + "\n" + nothing
	}},
	{[]error{extract.ErrUnsafe}, exitUnsafe, func(msg, nothing string) string {
		return "SECURITY ERROR: archive refused: " + msg + "\n" + nothing
	}},
	{[]error{compile.ErrBuild}, exitBuild, nil},
	{[]error{releases.ErrUnsigned, releases.ErrUnknownLine}, exitUnsigned, nil},
	{[]error{fetch.ErrUnreachable}, exitFailure, func(msg, _ string) string {
		return "pyfetch: " + msg + "\n  to try: another mirror with --mirror URL (or PYFETCH_MIRROR); --offline if the cache has the release; or check HTTPS_PROXY/HTTP_PROXY/NO_PROXY"
	}},
	{[]error{fetch.ErrNotFound, install.ErrNotInstalled, fs.ErrNotExist}, exitNotFound, nil},
	{[]error{syscall.ENOSPC, syscall.EDQUOT}, exitFailure, func(msg, _ string) string {
		return "pyfetch: " + msg + "\n  the disk (or your quota) is full where pyfetch writes: its home (--home, PYFETCH_HOME) and download cache (--cache, PYFETCH_CACHE); free space there or point them at a larger disk (an install or download is never left half-written)"
	}},
	// EROFS comes only from writing, so the hint cannot mislead a read.
	{[]error{syscall.EROFS}, exitFailure, func(msg, _ string) string {
		return "pyfetch: " + msg + "\n  that file system is read-only; pyfetch writes into its home (--home, PYFETCH_HOME) and download cache (--cache, PYFETCH_CACHE), and into the folders you name (export, publish, keygen): point them at a writable folder"
	}},
	{[]error{deniedWrite{}}, exitFailure, func(msg, _ string) string {
		return "pyfetch: " + msg + "\n  you may not write there; pyfetch writes into its home (--home, PYFETCH_HOME) and download cache (--cache, PYFETCH_CACHE), and into the folders you name (export, publish, keygen): point them at a folder you own"
	}},
}

// matcher is an errorTable kind that is not one error value but a test.
type matcher interface{ matches(error) bool }

// classify returns err's row of errorTable (code exitFailure, show nil
// when none matches).
func classify(err error) (code int, show func(msg, nothing string) string) {
	for _, row := range errorTable {
		for _, k := range row.kinds {
			if m, ok := k.(matcher); ok && m.matches(err) || errors.Is(err, k) {
				return row.code, row.show
			}
		}
	}
	return exitFailure, nil
}

// deniedWrite is the errorTable kind of a folder pyfetch could not make
// or rename into for want of permission. Only those get the hint about
// where pyfetch writes: a permission error opening a file may be a read
// of a file the user named, and the hint would mislead it.
type deniedWrite struct{}

func (deniedWrite) Error() string { return "permission denied writing" }

func (deniedWrite) matches(err error) bool {
	if !errors.Is(err, fs.ErrPermission) {
		return false
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Op == "mkdir" {
		return true
	}
	var le *os.LinkError
	return errors.As(err, &le) && le.Op == "rename"
}

func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	code, _ := classify(err)
	return code
}

const usageText = `usage: pyfetch <command> [flags] [args]

commands:
  install [SPEC...]       download, verify and unpack CPython source releases,
                          or --build them into a working python
                          (SPEC: 3.13.1, 3.15.0a1, 3.13, 3, latest, 3.13t,
                          ">=3.11,<3.14"; none: the nearest .python-version,
                          mise.toml, .tool-versions or pyproject.toml)
  verify ARTIFACT|sha256:HEX  verify a file you already have against its bundle
  fetch SPEC...           download and verify into the cache, without unpacking
  publish DEST VERSION... pack installed builds, sign their provenance (--sign-key)
                          and publish them to a mirror folder or bucket
  keygen NAME             write a fleet signing key pair: NAME.key, NAME.pub
  lock [SPEC...]          pin versions in pyfetch.lock (install --locked installs exactly those)
  releases [SPEC]         what the mirror offers, newest first
  cache ls | prune | clean  inspect or trim the download cache
  mirror export DIR [SPEC...]  write a python.org-shaped mirror from the cache
  upgrade [LINE...]       move each installed line (3.13) to its newest release,
                          made as its install was (unpacked, built, prebuilt)
  list                    installed versions with their receipts
  path SPEC               the install dir of an installed version
  uninstall VERSION...    remove installed versions
  signers                 the release-manager identity of each release line
  version                 print pyfetch's version

Run 'pyfetch help <command>' (or 'pyfetch <command> -h') for its flags and examples.
`

// app carries what every command shares.
type app struct {
	stdout io.Writer
	// stderr serialises writes (parallel installs report at once).
	stderr io.Writer
	getenv func(string) string
	// envErrs collects PYFETCH_* values that do not parse; the command
	// fails with them as usage errors.
	envErrs []error
	// wd is the working folder (where .python-version is looked for);
	// terminal is stderr when it is a terminal (progress bars), else nil.
	wd       string
	terminal *os.File
	// pipeWait bounds the wait for a named pipe's writer (0: the default).
	pipeWait time.Duration
}

// warn prints a diagnostic. Messages quote outside text (a mirror's
// answer, a certificate, a file name) escaped where it is quoted; as a
// last guard, no control character but a line feed or tab reaches the
// terminal or the CI log.
func (a *app) warn(msg string) { fmt.Fprintln(a.stderr, textsafe.Lines(msg)) }

// world is what run gets from its process: the arguments, the output
// streams, the environment, the working folder, and stderr when it is a
// terminal. Tests pass their own.
type world struct {
	args           []string
	stdout, stderr io.Writer
	getenv         func(string) string
	wd             string
	terminal       *os.File // stderr when it is a terminal, else nil
	pipeWait       time.Duration
}

func run(ctx context.Context, w world) (code int) {
	args, stderr, getenv := w.args, w.stderr, w.getenv
	out, ok := w.stdout.(*countingWriter) // main's, shared with its forced exit
	if !ok {
		out = &countingWriter{w: w.stdout}
	}
	stdout := io.Writer(out)
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	a := &app{stdout: stdout, stderr: &lockedWriter{w: stderr}, getenv: getenv, wd: w.wd, terminal: w.terminal, pipeWait: w.pipeWait}
	// A bug must still end in one line and an exit code, not a stack trace.
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "pyfetch: internal error: %v (please report it with the command line)\n", r)
			code = exitFailure
		}
	}()
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	var err error
commands:
	switch cmd, rest := args[0], args[1:]; cmd {
	case "install":
		err = a.install(ctx, rest)
	case "upgrade":
		err = a.upgrade(ctx, rest)
	case "lock":
		err = a.lock(ctx, rest)
	case "publish":
		err = a.publish(ctx, rest)
	case "keygen":
		err = a.keygen(rest)
	case "verify":
		err = a.verify(ctx, rest)
	case "list":
		err = a.list(rest)
	case "signers":
		err = a.signers(rest)
	case "releases":
		err = a.releases(ctx, rest)
	case "fetch":
		err = a.fetch(ctx, rest)
	case "cache":
		err = a.cache(ctx, rest)
	case "mirror":
		err = a.mirror(ctx, rest)
	case "uninstall":
		err = a.uninstall(ctx, rest)
	case "path":
		err = a.path(rest)
	case "version", "--version", "-version":
		err = a.versionCmd(rest)
	case "help", "-h", "--help":
		if wantsJSON(rest) {
			err = a.helpJSON(rest)
			break
		}
		if len(rest) > 0 {
			if _, ok := commandHelp[rest[0]]; !ok {
				err = unknownCommand(rest[0])
				break
			}
			if _, ok := commandHelp[rest[0]]; ok {
				switch rest[0] {
				case "cache", "mirror", "version": // their flags hang off a subcommand
					printHelp(stdout, rest[0], nil)
					break commands
				}
				// The command's own -h lists its flags too.
				w.args = []string{rest[0], "-h"}
				return run(ctx, w)
			}
		}
		fmt.Fprint(stdout, usageText)
	default:
		err = unknownCommand(cmd)
	}
	if errors.Is(err, flag.ErrHelp) {
		err = nil
	}
	if err == nil && out.err != nil {
		err = out.err
	}
	var rep reported
	if err != nil && !errors.As(err, &rep) {
		a.report(err)
	}
	// --json promises one document on stdout whatever happens: a command
	// that failed before printing its own (a bad flag, an unreachable
	// mirror, a missing file) prints the error as one.
	if err != nil && wantsJSON(args) && out.n == 0 {
		a.printJSON(map[string]any{"error": err.Error(), "exit_code": exitCode(err)}) //nolint:errcheck // stdout gone: nothing else to say it on
	}
	return exitCode(err)
}

// wantsJSON reports --json among a command's arguments (before "--").
func wantsJSON(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "--json", "-json", "--json=true", "-json=true", "--json=1", "-json=1":
			return true
		}
	}
	return false
}

// errOutput: stdout did not take what pyfetch printed (a redirect to a
// full disk, a closed stdout). A script reading `pyfetch path 3.13` must
// not get exit 0 and nothing.
var errOutput = errors.New("cannot write the output (stdout)")

// countingWriter counts what was written through it and keeps the first
// failure, as errOutput.
type countingWriter struct {
	mu  sync.Mutex
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err != nil {
		err = fmt.Errorf("%w: %w", errOutput, err)
		if c.err == nil {
			c.err = err
		}
	}
	return n, err
}

// writeIfNothing writes p if nothing was written yet: the one JSON
// document a forced exit owes --json. It never waits: a write stuck on a
// full pipe holds the lock, and the exit must not hang on it.
func (c *countingWriter) writeIfNothing(p []byte) {
	if !c.mu.TryLock() {
		return
	}
	defer c.mu.Unlock()
	if c.n == 0 {
		n, _ := c.w.Write(p)
		c.n += int64(n)
	}
}

// report prints an error the way its kind deserves: security failures
// loudly, with what was expected and found on their own lines.
func (a *app) report(err error) { a.reportFor("", err) }

// reportFor is report for one version of several: "nothing changed" is
// said of that version only, since others may have been installed.
func (a *app) reportFor(version string, err error) {
	msg := textsafe.Lines(err.Error())
	nothing := "Nothing was installed or changed."
	if version != "" {
		nothing = "Nothing was installed or changed for " + version + "."
	}
	_, show := classify(err)
	if show == nil {
		show = func(msg, _ string) string { return "pyfetch: " + msg }
	}
	fmt.Fprintln(a.stderr, show(msg, nothing))
}

// reported wraps errors already printed (one per version): run maps it to
// an exit code without printing it again.
type reported struct{ error }

func (r reported) Unwrap() error { return r.error }

// perVersion reports each version's error on its own and returns them
// joined as already reported, or nil when none failed.
func (a *app) perVersion(versions []string, errs []error, quiet bool) error {
	var failed []error
	for i, err := range errs {
		if err == nil {
			continue
		}
		if !quiet {
			a.reportFor(versions[i], err)
		}
		failed = append(failed, err)
	}
	if len(failed) == 0 {
		return nil
	}
	return reported{errors.Join(failed...)}
}

// lockedWriter makes one Write at a time.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// unknownCommand names a command that does not exist, with the nearest
// one when it looks like a typo.
func unknownCommand(cmd string) error {
	hint := ""
	var names []string
	for n := range commandHelp {
		names = append(names, n)
	}
	if s := suggest(cmd, names); s != "" {
		hint = fmt.Sprintf("did you mean %s? ", s)
	}
	if strings.HasPrefix(cmd, "-") {
		hint = fmt.Sprintf("flags go after the command, e.g. pyfetch install %s ...; ", textsafe.Escape(cmd))
	}
	return fmt.Errorf("%w: unknown command %q (%sexpected install, fetch, lock, upgrade, verify, releases, list, path, uninstall, cache, mirror, publish, keygen, signers, version or help)", errUsage, cmd, hint)
}

// unknownSubcommand names a subcommand that does not exist, with the
// nearest one when it looks like a typo.
func unknownSubcommand(cmd, sub string, subs ...string) error {
	hint := ""
	if strings.HasPrefix(sub, "-") {
		hint = fmt.Sprintf("flags go after the subcommand: pyfetch %s SUBCOMMAND %s ...; ", cmd, textsafe.Escape(sub))
	}
	if s := suggest(sub, subs); s != "" {
		hint = fmt.Sprintf("did you mean %s %s? ", cmd, s)
	}
	return fmt.Errorf("%w: unknown subcommand %s %q (%sexpected %s %s)", errUsage, cmd, sub, hint, cmd, strings.Join(subs, ", "+cmd+" "))
}
