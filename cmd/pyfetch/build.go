package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/pyfetch/pyfetch/install"
)

// buildFlags are install's --build options.
type buildFlags struct {
	build, keepSource, optimize, freethreaded bool
	configureOpts                             string
	makeJobs                                  int
}

func (a *app) buildFlagSet(fs *flag.FlagSet, bf *buildFlags) {
	fs.BoolVar(&bf.build, "build", a.envBool("PYFETCH_BUILD"), "build the verified source into a working Python (env PYFETCH_BUILD=1)")
	fs.BoolVar(&bf.keepSource, "keep-source", false, "with --build: keep the unpacked source in HOME/build/VERSION-src")
	fs.BoolVar(&bf.optimize, "optimize", false, "with --build: --enable-optimizations --with-lto (about 3x slower to build)")
	fs.BoolVar(&bf.freethreaded, "freethreaded", false, "with --build: free-threaded build (--disable-gil, 3.13+), installed as X.Y.Zt")
	fs.StringVar(&bf.configureOpts, "configure-opts", a.env("PYFETCH_CONFIGURE_OPTS", ""), "with --build: extra ./configure arguments (env PYFETCH_CONFIGURE_OPTS)")
	fs.IntVar(&bf.makeJobs, "make-jobs", a.envInt("PYFETCH_MAKE_JOBS", runtime.NumCPU()), "with --build: make -j (env PYFETCH_MAKE_JOBS; default: CPUs)")
}

// buildOptions turns the flags into install's BuildOptions (nil without
// --build) and the function that ends the phase display. In a pipe (a CI
// log) each phase is one line, with the time the previous one took; on a
// terminal, for one version, the current phase's line also shows its
// elapsed time, updated every second.
func (a *app) buildOptions(bf *buildFlags, versions int) (*install.BuildOptions, func(), error) {
	if !bf.build {
		if bf.keepSource || bf.optimize || bf.freethreaded || bf.configureOpts != "" {
			return nil, func() {}, fmt.Errorf("%w: --keep-source, --optimize, --freethreaded and --configure-opts go with --build", errUsage)
		}
		return nil, func() {}, nil
	}
	if bf.makeJobs < 1 {
		return nil, func() {}, fmt.Errorf("%w: --make-jobs must be at least 1, got %d", errUsage, bf.makeJobs)
	}
	d := &phaseDisplay{out: a.stderr, started: map[string]time.Time{}}
	if _, tty := a.isTerminal(); tty && versions == 1 {
		d.live = make(chan struct{})
		go d.tick()
	}
	return &install.BuildOptions{
		ConfigureArgs: strings.Fields(bf.configureOpts),
		Optimize:      bf.optimize,
		FreeThreaded:  bf.freethreaded,
		Jobs:          bf.makeJobs,
		KeepSource:    bf.keepSource,
		Phase:         d.phase,
	}, d.stop, nil
}

// phaseDisplay shows build phases on stderr.
type phaseDisplay struct {
	mu      sync.Mutex
	out     io.Writer
	started map[string]time.Time
	current string // "building 3.13.5: compile", for the live line
	since   time.Time
	live    chan struct{} // nil in a pipe; closed by stop
	stopped bool
}

func (d *phaseDisplay) phase(version, phase string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	msg := fmt.Sprintf("building %s: %s", version, phase)
	if d.live != nil {
		if d.current != "" {
			fmt.Fprintf(d.out, "\r%s, done in %s\n", d.current, now.Sub(d.since).Round(time.Second))
		}
		d.current, d.since = msg, now
		fmt.Fprintf(d.out, "\r%s", msg)
		return
	}
	if t, ok := d.started[version]; ok {
		msg += fmt.Sprintf(" (previous step took %s)", now.Sub(t).Round(time.Second))
	}
	d.started[version] = now
	fmt.Fprintln(d.out, msg)
}

func (d *phaseDisplay) tick() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-d.live:
			return
		case <-t.C:
			d.mu.Lock()
			if d.current != "" && !d.stopped {
				fmt.Fprintf(d.out, "\r%s (%s)", d.current, time.Since(d.since).Round(time.Second))
			}
			d.mu.Unlock()
		}
	}
}

// stop ends the live line (if any); the display says nothing more.
func (d *phaseDisplay) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.live == nil || d.stopped {
		return
	}
	d.stopped = true
	close(d.live)
	if d.current != "" {
		fmt.Fprintf(d.out, "\r%s, done in %s\n", d.current, time.Since(d.since).Round(time.Second))
	}
}
