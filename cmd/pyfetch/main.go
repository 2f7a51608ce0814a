// Command pyfetch installs CPython source releases from python.org after
// verifying their Sigstore bundles against the release manager's identity.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"golang.org/x/term"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), interrupts()...)
	// sigstore-go v1.3.0 prints straight to os.Stderr when it falls back to
	// its compatibility verifier (every P-384 bundle python.org made before
	// late 2024). pyfetch's own diagnostics go to the real stderr handed to
	// run; the process-wide os.Stderr is pointed at /dev/null so library
	// noise never reaches users. Runtime panics still reach fd 2.
	stderr := os.Stderr
	if null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		os.Stderr = null
	}
	// A soft heap limit keeps peak RSS flat (under 64 MB) whatever the
	// archive's size: the GC works harder instead of letting garbage pile
	// up to twice the live heap. GOMEMLIMIT, if set, wins.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(40 << 20)
	}
	out := &countingWriter{w: os.Stdout}
	go forceExitAfterSignal(ctx, stderr, out, wantsJSON(os.Args[1:]))
	w := world{args: os.Args[1:], stdout: out, stderr: stderr, getenv: os.Getenv}
	w.wd, _ = os.Getwd()
	if term.IsTerminal(int(stderr.Fd())) {
		w.terminal = stderr
	}
	code := run(ctx, w)
	stop()
	os.Exit(code)
}

// forceExitAfterSignal guarantees that SIGINT or SIGTERM ends the run:
// the first one cancels ctx and lets run clean up (temp files, locks);
// if run has not returned within graceTime, or a second signal comes,
// the process exits 130 at once. Whatever is left then is a temp file
// or folder that the next run removes; nothing half-written is ever in
// place, since every final path appears by rename. With --json, stdout
// still gets its one document, unless the run printed its own.
func forceExitAfterSignal(ctx context.Context, stderr *os.File, stdout *countingWriter, jsonOut bool) {
	<-ctx.Done()
	again := make(chan os.Signal, 1)
	signal.Notify(again, interrupts()...)
	select {
	case <-again:
	case <-time.After(graceTime):
	}
	fmt.Fprintln(stderr, "pyfetch: interrupted; "+interruptedNote)
	if jsonOut {
		if doc, err := json.MarshalIndent(map[string]any{"error": "interrupted; " + interruptedNote, "exit_code": exitInterrupted}, "", "  "); err == nil {
			stdout.writeIfNothing(append(doc, '\n'))
		}
	}
	os.Exit(exitInterrupted)
}

const graceTime = 5 * time.Second

// interrupts are the signals that end a run cleanly: Ctrl-C's SIGINT, a
// cancelled CI job's SIGTERM, and the SIGHUP of a closed terminal or a
// dropped SSH session (which otherwise killed pyfetch outright, leaving
// its temp folder for the next run). A signal the process was started
// with ignored stays ignored: nohup's SIGHUP, and the SIGINT a shell
// ignores for a background job.
func interrupts() []os.Signal {
	sigs := []os.Signal{syscall.SIGTERM}
	for _, s := range []os.Signal{os.Interrupt, syscall.SIGHUP} {
		if !signal.Ignored(s) {
			sigs = append(sigs, s)
		}
	}
	return sigs
}
