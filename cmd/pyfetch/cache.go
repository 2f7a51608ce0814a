package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/internal/textsafe"
	"github.com/pyfetch/pyfetch/store"
)

func (a *app) cache(ctx context.Context, args []string) error {
	if len(args) > 0 && isHelpFlag(args[0]) {
		printHelp(a.stdout, "cache", nil)
		return nil
	}
	if len(args) == 0 {
		return fmt.Errorf("%w: expected pyfetch cache ls, cache prune [--older-than 30d] [--dry-run] or cache clean", errUsage)
	}
	if args[0] != "ls" && args[0] != "prune" && args[0] != "clean" {
		return unknownSubcommand("cache", args[0], "ls", "prune", "clean")
	}
	sub := args[0]
	var c struct {
		outputOpts
		homeOpts
	}
	fs := a.flagSet("cache "+sub, &c.outputOpts, &c.homeOpts, cacheOpts{&c.homeOpts})
	older := new(time.Duration)
	var dry *bool
	if sub == "prune" {
		fs.Var(durationFlag{older}, "older-than", "also remove artifacts unused for this long (e.g. 30d, 12h), even if installed")
	}
	if sub != "ls" {
		dry = fs.Bool("dry-run", false, "only say what would go")
	}
	pos, err := a.parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("%w: cache %s takes no arguments, got %q", errUsage, sub, pos)
	}
	olderSet := false
	fs.Visit(func(f *flag.Flag) { olderSet = olderSet || f.Name == "older-than" })
	h, err := c.dirs()
	if err != nil {
		return err
	}
	if sub == "ls" {
		rows, err := store.CacheList(h, install.InUse(h))
		if err != nil {
			return err
		}
		if rows == nil {
			rows = []store.CacheEntry{}
		}
		if c.jsonOut {
			return a.printJSON(map[string]any{"cached": rows})
		}
		for _, e := range rows {
			use := ""
			if e.InUse {
				use = "  [installed]"
			}
			fmt.Fprintf(a.stdout, "%-28s %9s  last used %s%s\n", e.Artifact, size(e.Size), e.LastUsed.Format("2006-01-02"), use)
		}
		fmt.Fprintf(a.stderr, "%s, %s in %s\n", plural(len(rows), "artifact"), size(total(rows)), h.CacheRoot())
		return nil
	}
	res, err := store.CachePrune(ctx, h, store.PruneOptions{OlderThan: *older, OlderThanSet: olderSet, All: sub == "clean", DryRun: *dry, InUse: install.InUse(h)})
	if err != nil {
		return err
	}
	verb := "removed"
	if *dry {
		verb = "would remove"
	}
	if c.jsonOut {
		key := strings.ReplaceAll(verb, " ", "_")
		return a.printJSON(map[string]any{key: res.Removed, "kept": res.Kept, key + "_logs": res.RemovedLogs, "kept_logs": res.KeptLogs})
	}
	for _, e := range res.Removed {
		fmt.Fprintf(a.stdout, "%s %s (%s)\n", verb, e.Artifact, size(e.Size))
	}
	var logBytes int64
	for _, l := range res.RemovedLogs {
		fmt.Fprintf(a.stdout, "%s build log %s (%s)\n", verb, textsafe.Escape(filepath.Base(l.Path)), size(l.Size))
		logBytes += l.Size
	}
	why := ""
	if sub == "prune" && !olderSet {
		why = fmt.Sprintf(" (prune keeps what an install came from and what was fetched or used in the last %d days; cache clean removes everything)", int(store.DefaultKeepRecent.Hours()/24))
	}
	logs := ""
	if n := len(res.RemovedLogs) + len(res.KeptLogs); n > 0 {
		logs = fmt.Sprintf(" and %d of %s (%s)", len(res.RemovedLogs), plural(n, "build log"), size(logBytes))
	}
	remain := "remain"
	if len(res.Kept) == 1 {
		remain = "remains"
	}
	fmt.Fprintf(a.stderr, "%s %s (%s)%s; %s %s (%s) in %s%s\n", verb, plural(len(res.Removed), "artifact"), size(total(res.Removed)), logs, plural(len(res.Kept), "artifact"), remain, size(total(res.Kept)), h.CacheRoot(), why)
	return nil
}

func total(rows []store.CacheEntry) int64 {
	var n int64
	for _, e := range rows {
		n += e.Size
	}
	return n
}

// size prints a byte count the way a person reads it: 0 B, 812 B, 3.4 KB,
// 22.9 MB, 1.2 GB (powers of 1000, as the download progress counts).
func size(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1e6:
		return fmt.Sprintf("%.1f KB", float64(n)/1e3)
	case n < 1e9:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(n)/1e9)
}

// plural says "1 artifact", "2 artifacts".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
