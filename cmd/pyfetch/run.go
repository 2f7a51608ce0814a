package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/pyfetch/pyfetch/build"
	"github.com/pyfetch/pyfetch/extract"
	"github.com/pyfetch/pyfetch/fetch"
	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/verify"
)

// Exit codes, documented in the README. Decided in exitCode only.
const (
	exitOK          = 0
	exitFailure     = 1 // network, disk, anything not below
	exitUsage       = 2 // bad command line or input
	exitNotFound    = 3 // version, artifact or bundle does not exist
	exitVerify      = 4 // signature, identity or digest check failed
	exitUnsafe      = 5 // archive refused by the extractor
	exitUnsigned    = 6 // no signer known, or release predates signing
	exitBuild       = 7 // install --build: no toolchain, configure/make failed, ssl or zlib missing
	exitInterrupted = 130
)

var errUsage = install.ErrUsage

func exitCode(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errUsage), errors.Is(err, releases.ErrBadVersion), errors.Is(err, releases.ErrBadFormat):
		return exitUsage
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.Is(err, verify.ErrVerification):
		return exitVerify
	case errors.Is(err, extract.ErrUnsafe):
		return exitUnsafe
	case errors.Is(err, releases.ErrUnsigned), errors.Is(err, releases.ErrUnknownLine):
		return exitUnsigned
	case errors.Is(err, fetch.ErrNotFound):
		return exitNotFound
	case errors.Is(err, build.ErrBuild):
		return exitBuild
	}
	return exitFailure
}

const usageText = `usage: pyfetch <command> [flags] [args]

commands:
  install SPEC...         download, verify and unpack CPython source releases
                          (SPEC: 3.13.1, 3.15.0a1, 3.13, 3 or latest)
  verify ARTIFACT|sha256:HEX  verify a file you already have against its bundle
  fetch SPEC...           download and verify into the cache, without unpacking
  releases [SPEC]         what the mirror offers, newest first
  cache ls | cache prune [--older-than DUR]   inspect or trim the download cache
  mirror export DIR [SPEC...]  write a python.org-shaped mirror from the cache
  list                    installed versions with their receipts
  path SPEC               the install dir of an installed version
  uninstall VERSION...    remove installed versions
  signers                 the release-manager identity of each release line
  version                 print pyfetch's version

Run 'pyfetch <command> -h' for a command's flags.
`

// app carries what every command shares.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// envErrs collects PYFETCH_* values that do not parse; the command
	// fails with them as usage errors.
	envErrs []error
}

func (a *app) warn(msg string) { fmt.Fprintln(a.stderr, msg) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) (code int) {
	a := &app{stdout: stdout, stderr: stderr, getenv: getenv}
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
	switch cmd, rest := args[0], args[1:]; cmd {
	case "install":
		err = a.install(ctx, rest)
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
		fmt.Fprint(stdout, usageText)
	default:
		err = fmt.Errorf("%w: unknown command %q (expected install, fetch, verify, releases, list, path, uninstall, cache, mirror, signers or version)", errUsage, cmd)
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		a.report(err)
	}
	return exitCode(err)
}

func (a *app) versionCmd(args []string) error {
	switch {
	case len(args) == 0:
		fmt.Fprintln(a.stdout, "pyfetch", version)
		return nil
	case len(args) == 1 && (args[0] == "--json" || args[0] == "-json"):
		return a.printJSON(map[string]string{"version": version})
	}
	return fmt.Errorf("%w: version takes only --json, got %q", errUsage, args)
}

// report prints an error the way its kind deserves: security failures
// loudly, with what was expected and found on their own lines.
func (a *app) report(err error) {
	msg := err.Error()
	switch {
	case errors.Is(err, verify.ErrVerification):
		fmt.Fprintf(a.stderr, "SECURITY ERROR: %s\nNothing was installed or changed.\n", msg)
	case errors.Is(err, extract.ErrUnsafe):
		fmt.Fprintf(a.stderr, "SECURITY ERROR: archive refused: %s\nNothing was installed or changed.\n", msg)
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(a.stderr, "pyfetch: interrupted; nothing was installed or changed")
	default:
		fmt.Fprintf(a.stderr, "pyfetch: %s\n", msg)
	}
}
