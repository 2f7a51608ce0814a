package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// version is stamped by the Makefile and the release build with
// -ldflags "-X main.version=v1.2.3"; commit likewise. Unstamped (go
// install …@v1.2.3, go build), they come from the build information Go
// records: the module's version and the VCS revision.
var (
	version = ""
	commit  = ""
)

// buildInfo is what pyfetch version reports.
type buildInfo struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Go      string `json:"go"`
}

func currentBuild() buildInfo {
	b := buildInfo{Version: version, Commit: commit, Go: runtime.Version()}
	if info, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			b.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision" && b.Commit == "":
				b.Commit = s.Value
			case s.Key == "vcs.modified" && s.Value == "true" && b.Commit != "" && !strings.HasSuffix(b.Commit, "-dirty"):
				b.Commit += "-dirty"
			}
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	return b
}

func (a *app) versionCmd(args []string) error {
	var o outputOpts
	fs := a.flagSet("version", &o)
	if pos, err := a.parse(fs, args); err != nil {
		return err
	} else if len(pos) != 0 {
		return fmt.Errorf("%w: version takes no arguments, got %q", errUsage, pos)
	}
	b := currentBuild()
	if o.jsonOut {
		return a.printJSON(b)
	}
	fmt.Fprintf(a.stdout, "pyfetch %s (commit %s, %s)\n", b.Version, b.Commit, b.Go)
	return nil
}
