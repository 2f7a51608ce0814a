package main

import (
	"flag"
	"fmt"
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
// --build). Each phase is one line on stderr, with the time the previous
// one took, so a terminal and a CI log read alike.
func (a *app) buildOptions(bf *buildFlags) (*install.BuildOptions, error) {
	if !bf.build {
		if bf.keepSource || bf.optimize || bf.freethreaded || bf.configureOpts != "" {
			return nil, fmt.Errorf("%w: --keep-source, --optimize, --freethreaded and --configure-opts go with --build", errUsage)
		}
		return nil, nil
	}
	if bf.makeJobs < 1 {
		return nil, fmt.Errorf("%w: --make-jobs must be at least 1, got %d", errUsage, bf.makeJobs)
	}
	var mu sync.Mutex
	started := map[string]time.Time{}
	return &install.BuildOptions{
		ConfigureArgs: strings.Fields(bf.configureOpts),
		Optimize:      bf.optimize,
		FreeThreaded:  bf.freethreaded,
		Jobs:          bf.makeJobs,
		KeepSource:    bf.keepSource,
		Phase: func(version, phase string) {
			mu.Lock()
			defer mu.Unlock()
			now := time.Now()
			msg := fmt.Sprintf("building %s: %s", version, phase)
			if t, ok := started[version]; ok {
				msg += fmt.Sprintf(" (previous step took %s)", now.Sub(t).Round(time.Second))
			}
			started[version] = now
			a.warn(msg)
		},
	}, nil
}
