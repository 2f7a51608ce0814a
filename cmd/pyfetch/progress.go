package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// pipeInterval is how often a download in a pipe (a CI log) reports.
const pipeInterval = 5 * time.Second

// isTerminal returns stderr when it is a terminal (run's world says).
func (a *app) isTerminal() (*os.File, bool) { return a.terminal, a.terminal != nil }

// progress returns the download progress factory for stderr: a bar on a
// terminal (one line per download when several run in parallel, since
// bars would overwrite each other); in a pipe, a line when a download
// starts, one at most every 5 s with bytes and rate, and one at the end,
// so CI logs show progress.
func (a *app) progress(parallel bool) func(string, int64, int64) io.WriteCloser {
	var mu sync.Mutex
	f, tty := a.isTerminal()
	if !tty || parallel {
		return func(name string, total, done int64) io.WriteCloser {
			return newLineProgress(a.stderr, &mu, name, total, done, !tty)
		}
	}
	return func(name string, total, done int64) io.WriteCloser {
		return newDelayedBar(f, name, total, done)
	}
}

// stepper prints the steps after a download (verifying, unpacking), so a
// run never sits silent; nil when quiet.
func (a *app) stepper() func(string) {
	var mu sync.Mutex
	return func(msg string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(a.stderr, msg)
	}
}

// lineProgress reports a download as lines.
type lineProgress struct {
	out      io.Writer
	mu       *sync.Mutex
	name     string
	total, n int64
	done0    int64 // bytes there before this run (a resumed .part)
	start    time.Time
	last     time.Time
	periodic bool
	every    time.Duration
}

func newLineProgress(out io.Writer, mu *sync.Mutex, name string, total, done int64, periodic bool) *lineProgress {
	l := &lineProgress{out: out, mu: mu, name: name, total: total, n: done, done0: done, start: time.Now(), periodic: periodic, every: pipeInterval}
	l.last = l.start
	if done > 0 {
		l.printf("downloading %s (%s, %.1f MB already here)", name, mbText(total), float64(done)/1e6)
	} else {
		l.printf("downloading %s (%s)", name, mbText(total))
	}
	return l
}

func (l *lineProgress) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.out, format+"\n", args...)
}

func (l *lineProgress) Write(p []byte) (int, error) {
	l.n += int64(len(p))
	if now := time.Now(); l.periodic && now.Sub(l.last) >= l.every {
		l.last = now
		pct := ""
		if l.total > 0 {
			pct = fmt.Sprintf(" (%d%%)", l.n*100/l.total)
		}
		l.printf("  %s: %.1f of %s%s, %s", l.name, float64(l.n)/1e6, mbText(l.total), pct, rate(l.n-l.done0, now.Sub(l.start)))
	}
	return len(p), nil
}

func (l *lineProgress) Close() error {
	d := time.Since(l.start)
	if d < time.Second {
		l.printf("downloaded %s (%.1f MB in %s)", l.name, float64(l.n)/1e6, d.Round(time.Millisecond))
		return nil
	}
	l.printf("downloaded %s (%.1f MB in %s, %s)", l.name, float64(l.n)/1e6, d.Round(100*time.Millisecond), rate(l.n-l.done0, d))
	return nil
}

// Abort says where a download that did not complete stopped (never
// "downloaded").
func (l *lineProgress) Abort() {
	l.printf("  %s: stopped at %.1f of %s", l.name, float64(l.n)/1e6, mbText(l.total))
}

func mbText(n int64) string {
	if n < 0 {
		return "size unknown"
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

func rate(n int64, d time.Duration) string {
	if d < 100*time.Millisecond {
		return "rate pending"
	}
	return fmt.Sprintf("%.1f MB/s", float64(n)/1e6/d.Seconds())
}

// delayedBar draws its progress bar only after barDelay, and the bar's
// clock starts with the download: progressbar's rate is bytes over the
// time since its start, so a bar started late reads "12 MB/s" for its
// first frame, and one drawn a millisecond in reads "79 GB/s". Bytes
// that arrive before the first frame are added at once when it is drawn.
type delayedBar struct {
	name    string
	out     io.Writer
	start   time.Time
	pending int64
	shown   bool
	bar     *progressbar.ProgressBar
}

const barDelay = 300 * time.Millisecond

func newDelayedBar(out *os.File, name string, total, done int64) *delayedBar {
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(out),
		progressbar.OptionSetDescription(name),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		// No timer redraws (a size unknown makes a spinner): only Add
		// draws, so nothing shows before barDelay.
		progressbar.OptionSetSpinnerChangeInterval(0),
	)
	bar.StartWithoutRender()
	// What a resumed .part already holds counts as done.
	return &delayedBar{name: name, out: out, start: time.Now(), bar: bar, pending: done}
}

func (d *delayedBar) Write(p []byte) (int, error) {
	if d.shown {
		return len(p), d.bar.Add64(int64(len(p)))
	}
	d.pending += int64(len(p))
	if time.Since(d.start) < barDelay {
		return len(p), nil
	}
	d.shown = true
	return len(p), d.bar.Add64(d.pending)
}

// Abort clears the bar of a download that did not complete.
func (d *delayedBar) Abort() { d.bar.Exit() }

func (d *delayedBar) Close() error {
	if !d.shown {
		d.bar.Exit()
		fmt.Fprintf(d.out, "downloaded %s (%.1f MB)\n", d.name, float64(d.pending)/1e6)
		return nil
	}
	return d.bar.Finish()
}
