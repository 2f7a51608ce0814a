package main

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pyfetch/pyfetch/compile"
	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/internal/textsafe"
)

// buildFlags are install's --build options.
type buildFlags struct {
	build, keepSource, optimize, freethreaded bool
	configureOpts                             string
	makeJobs                                  int
	fs                                        *flag.FlagSet // to tell typed flags from environment defaults
}

func (a *app) buildFlagSet(fs *flag.FlagSet, bf *buildFlags) {
	bf.fs = fs
	fs.BoolVar(&bf.build, "build", a.envBool("PYFETCH_BUILD"), "build the verified source into a working Python (env PYFETCH_BUILD=1)")
	fs.BoolVar(&bf.keepSource, "keep-source", false, "with --build: keep the unpacked source in HOME/build/VERSION-src")
	fs.BoolVar(&bf.optimize, "optimize", false, "with --build: --enable-optimizations --with-lto (about 3x slower to build)")
	fs.BoolVar(&bf.freethreaded, "freethreaded", false, "with --build: free-threaded build (--disable-gil, 3.13+), installed as X.Y.Zt")
	fs.StringVar(&bf.configureOpts, "configure-opts", a.env("PYFETCH_CONFIGURE_OPTS", ""), "with --build: extra ./configure arguments (env PYFETCH_CONFIGURE_OPTS)")
	fs.IntVar(&bf.makeJobs, "make-jobs", a.envInt("PYFETCH_MAKE_JOBS", runtime.NumCPU()), "with --build: make -j (env PYFETCH_MAKE_JOBS; default: CPUs)")
}

// configureArgs are --configure-opts split into arguments, refused (a
// usage error) when one undoes what pyfetch sets itself.
func (bf *buildFlags) configureArgs() ([]string, error) {
	args := strings.Fields(bf.configureOpts)
	if err := compile.CheckConfigureArgs(args, bf.freethreaded); err != nil {
		return nil, fmt.Errorf("%w: --configure-opts (or PYFETCH_CONFIGURE_OPTS): %w", errUsage, err)
	}
	return args, nil
}

// buildOptions turns the flags into install's BuildOptions (nil without
// --build) and the function that ends the phase display. In a pipe (a CI
// log) each phase is one line, with the time the previous one took, and a
// phase that runs long says so every minute, so that a log never sits
// silent long enough for a CI's no-output timeout; on a terminal, for one
// version, the current phase's line also shows its elapsed time, updated
// every second.
// maxMakeJobs bounds make -j: a typo (--make-jobs 100000) would fork
// that many compilers at once.
const maxMakeJobs = 1024

func (a *app) buildOptions(bf *buildFlags, versions int) (*install.BuildOptions, func(), error) {
	if !bf.build {
		return nil, func() {}, nil
	}
	if bf.makeJobs < 1 || bf.makeJobs > maxMakeJobs {
		return nil, func() {}, fmt.Errorf("%w: --make-jobs (or PYFETCH_MAKE_JOBS) must be 1 to %d, got %d", errUsage, maxMakeJobs, bf.makeJobs)
	}
	configureArgs, err := bf.configureArgs()
	if err != nil {
		return nil, func() {}, err
	}
	_, tty := a.isTerminal()
	live := tty && versions == 1
	every := pipeHeartbeat
	if live {
		every = time.Second
	}
	ccache, err := a.ccache()
	if err != nil {
		return nil, func() {}, err
	}
	d := newPhaseDisplay(a.stderr, live, every)
	return &install.BuildOptions{
		CCache:         ccache,
		ConfigureCache: a.env("PYFETCH_CONFIGURE_CACHE", "1") != "0",
		ConfigureArgs:  configureArgs,
		Optimize:       bf.optimize,
		FreeThreaded:   bf.freethreaded,
		Jobs:           bf.makeJobs,
		KeepSource:     bf.keepSource,
		Phase:          d.phase,
		Gate:           make(chan struct{}, 1),
	}, d.stop, nil
}

// pipeHeartbeat is how often a pipe hears of a phase still running.
const pipeHeartbeat = time.Minute

// phaseDisplay shows build phases on stderr.
type phaseDisplay struct {
	mu      sync.Mutex
	out     io.Writer
	live    bool                 // one redrawn line (a terminal, one version)
	phases  map[string]string    // version → the phase in progress
	started map[string]time.Time // version → when that phase started
	done    chan struct{}        // closed by stop
	stopped bool
}

// newPhaseDisplay starts the ticker (unless every is 0) that redraws the
// live line, or in a pipe writes a line for each phase still running.
func newPhaseDisplay(out io.Writer, live bool, every time.Duration) *phaseDisplay {
	d := &phaseDisplay{out: out, live: live, phases: map[string]string{}, started: map[string]time.Time{}, done: make(chan struct{})}
	if every > 0 {
		go d.tick(every)
	}
	return d
}

// phase records that version's build entered phase ("" when it ended).
func (d *phaseDisplay) phase(version, phase string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return
	}
	now := time.Now()
	if d.live {
		d.endLive(version, now)
	}
	if phase == "" {
		delete(d.phases, version)
		return
	}
	msg := fmt.Sprintf("building %s: %s", version, phase)
	prev, hadPrev := d.started[version]
	d.phases[version], d.started[version] = phase, now
	if d.live {
		fmt.Fprintf(d.out, "\r%s", msg)
		return
	}
	if hadPrev {
		msg += fmt.Sprintf(" (previous step took %s)", now.Sub(prev).Round(time.Second))
	}
	fmt.Fprintln(d.out, msg)
}

// endLive finishes the live line of version's phase, if one is shown.
func (d *phaseDisplay) endLive(version string, now time.Time) {
	if p, ok := d.phases[version]; ok {
		fmt.Fprintf(d.out, "\rbuilding %s: %s, done in %s\n", version, p, now.Sub(d.started[version]).Round(time.Second))
	}
}

func (d *phaseDisplay) tick(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-d.done:
			return
		case <-t.C:
			d.mu.Lock()
			now := time.Now()
			for _, v := range slices.Sorted(maps.Keys(d.phases)) {
				took := now.Sub(d.started[v]).Round(time.Second)
				if d.live {
					fmt.Fprintf(d.out, "\rbuilding %s: %s (%s)", v, d.phases[v], took)
				} else {
					fmt.Fprintf(d.out, "building %s: %s, still running after %s\n", v, d.phases[v], took)
				}
			}
			d.mu.Unlock()
		}
	}
}

// stop ends the display: the live line (if any) is finished, and nothing
// more is written.
func (d *phaseDisplay) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return
	}
	d.stopped = true
	close(d.done)
	if d.live {
		for v := range d.phases {
			d.endLive(v, time.Now())
		}
	}
	clear(d.phases)
}

// ccache is the ccache program builds run under: PYFETCH_CCACHE names it
// (or turns it off with 0), else ccache on PATH when there is one.
func (a *app) ccache() (string, error) {
	v := a.getenv("PYFETCH_CCACHE")
	switch strings.ToLower(v) {
	case "0", "off", "false", "no":
		return "", nil
	case "", "1", "on", "true", "yes":
		p, err := exec.LookPath("ccache")
		if err != nil {
			if v != "" {
				return "", fmt.Errorf("%w: PYFETCH_CCACHE=%s but no ccache is on PATH (apt-get install ccache)", errUsage, v)
			}
			return "", nil
		}
		return p, nil
	}
	p, err := exec.LookPath(v)
	if err != nil {
		return "", fmt.Errorf("%w: PYFETCH_CCACHE=%q: expected the ccache program (or 0 to build without): %v", errUsage, textsafe.Escape(v), err)
	}
	return p, nil
}

// typedWithoutBuild: typed build flags without --build are a mistake; a
// job-wide PYFETCH_CONFIGURE_OPTS or PYFETCH_MAKE_JOBS is not: it only
// matters to the builds of the job.
func (bf *buildFlags) typedWithoutBuild() error {
	return typedWithout(bf.fs, "--build", "", "keep-source", "optimize", "freethreaded", "configure-opts", "make-jobs")
}

// typedWithout is the usage error for flags of names typed on the command
// line (not set from the environment) without the flag they go with
// (want), or nil; hint follows the message.
func typedWithout(fs *flag.FlagSet, want, hint string, names ...string) error {
	var typed []string
	if fs != nil {
		fs.Visit(func(f *flag.Flag) {
			if slices.Contains(names, f.Name) {
				typed = append(typed, "--"+f.Name)
			}
		})
	}
	if len(typed) == 0 {
		return nil
	}
	verb := "go"
	if len(typed) == 1 {
		verb = "goes"
	}
	return fmt.Errorf("%w: %s %s with %s%s", errUsage, strings.Join(typed, ", "), verb, want, hint)
}
