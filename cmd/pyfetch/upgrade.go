package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"runtime"
	"slices"
	"strings"

	"github.com/pyfetch/pyfetch/compile"
	"github.com/pyfetch/pyfetch/home"
	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/internal/textsafe"
	"github.com/pyfetch/pyfetch/lockfile"
	"github.com/pyfetch/pyfetch/provenance"
	"github.com/pyfetch/pyfetch/releases"
)

// errNothingInstalled: upgrade without a line, and no install to upgrade.
var errNothingInstalled = errors.New("nothing installed")

// upgradeLine is one release line's upgrade: its newest install, and the
// newest signed release of the line.
type upgradeLine struct {
	spec    releases.Spec
	current install.Installed // Receipt is set
	version releases.Version  // current's version
	target  releases.Version
	older   []string            // the line's other installs, newest first
	unread  []install.Installed // the line's entries without a readable receipt
	err     error
}

// upgraded, current and planned are upgrade's JSON rows.
type upgradedRow struct {
	Line string `json:"line"`
	From string `json:"from"`
	To   string `json:"to"`
	Path string `json:"path"`
	Kind string `json:"kind"`
}

type currentRow struct {
	Line    string `json:"line"`
	Version string `json:"version"`
	Path    string `json:"path"`
}

// upgrade moves each installed release line (or each line named) to its
// newest signed release, made the way the line's newest install was:
// unpacked, built with the same options, or the fleet's prebuilt for the
// same options (checked against the policy given). The older install is
// kept unless --remove-old; a line already at its newest is said so.
// --dry-run says what would be installed (and removed) and changes
// nothing.
func (a *app) upgrade(ctx context.Context, args []string) error {
	var c pipelineOptions
	var pf prebuiltFlags
	var dryRun, removeOld bool
	var makeJobs int
	var h home.Home
	var rows []install.Installed // listed once, by whichever hook runs first
	listed := false
	list := func() error {
		if listed {
			return nil
		}
		var err error
		if h, err = c.dirs(); err != nil {
			return err
		}
		rows, err = install.List(h)
		listed = err == nil
		return err
	}
	lines := map[string]*upgradeLine{} // by spec Raw
	// Entries without a readable receipt are passed over, and said to
	// be once the lines are known (one in a target's way is an error).
	var passed []install.Installed
	passOver := func(r install.Installed) {
		if !slices.ContainsFunc(passed, func(q install.Installed) bool { return q.Version == r.Version }) {
			passed = append(passed, r)
		}
	}
	blocked := map[string]bool{} // passed-over entries named in an error
	sayPassed := func() {
		for _, r := range passed {
			if !blocked[r.Version] {
				a.warn(fmt.Sprintf("note: %s is passed over: %s (pyfetch install --force %s reinstalls it)", r.Version, textsafe.Escape(r.Problem), r.Version))
			}
		}
	}
	c.mustResolve = true
	c.noVersionFile = true // the lines come from the installs, or the arguments
	c.specsWithout = func() ([]string, error) {
		if err := list(); err != nil {
			return nil, err
		}
		var specs []string
		for _, r := range rows {
			in, err := releases.ParseInstallName(r.Version)
			if err != nil {
				continue
			}
			if r.Receipt == nil {
				// Said, not skipped silently: its line may need a
				// reinstall.
				passOver(r)
				continue
			}
			line := in.Version.Line()
			if in.FreeThreaded {
				line += releases.FreeThreadedSuffix
			}
			if !slices.Contains(specs, line) {
				specs = append(specs, line)
			}
		}
		if len(specs) == 0 {
			return nil, errNothingInstalled
		}
		return specs, nil
	}
	p, err := a.prepare(ctx, "upgrade", args, &c, func(fs *flag.FlagSet) {
		fs.BoolVar(&dryRun, "dry-run", false, "say what would be installed (and removed), change nothing")
		fs.BoolVar(&removeOld, "remove-old", false, "then remove each line's older installs, keeping its newest")
		fs.IntVar(&makeJobs, "make-jobs", a.envInt("PYFETCH_MAKE_JOBS", runtime.NumCPU()), "for a line that was built: make -j (env PYFETCH_MAKE_JOBS; default: CPUs)")
		a.prebuiltPolicyFlagSet(fs, &pf)
	}, func(specs []releases.Spec) error {
		// A job that installs only what its lock file pins never moves
		// past a pin by upgrading.
		if a.envBool("PYFETCH_LOCKED") {
			return fmt.Errorf("%w: PYFETCH_LOCKED=1 says install exactly what %s pins, and upgrade would move past the pins (pyfetch lock --upgrade moves them; install --locked then installs them)", errUsage, lockfile.Name)
		}
		for _, sp := range specs {
			if sp.Exact != nil || sp.Range != nil || sp.Minor < 0 {
				return fmt.Errorf("%w: upgrade takes release lines (3.13, 3.13t), got %q (pyfetch install %s installs that)", errUsage, sp.Raw, shellWord(sp.Raw))
			}
		}
		if err := list(); err != nil {
			return err
		}
		for _, sp := range specs {
			l := &upgradeLine{spec: sp}
			lines[sp.Raw] = l
			l.err = fmt.Errorf("%w: %s, so there is nothing to upgrade (pyfetch install %s installs it)", install.ErrNotInstalled, sp.Raw, shellWord(sp.Raw))
			var unread []install.Installed // the line's installs without a receipt
			for _, r := range rows {       // newest first
				in, err := releases.ParseInstallName(r.Version)
				if err != nil || in.FreeThreaded != sp.FreeThreaded || in.Version.Major != sp.Major || in.Version.Minor != sp.Minor {
					continue
				}
				if r.Receipt == nil {
					unread = append(unread, r)
					continue
				}
				if l.err == nil {
					l.older = append(l.older, r.Version)
					continue
				}
				l.current, l.version, l.err = r, in.Version, nil
				// A line followed through its prereleases (3.15.0a1)
				// moves on to the next one, or to its final.
				c.pre = c.pre || in.Version.IsPrerelease()
			}
			l.unread = unread
			switch {
			case len(unread) > 0 && l.err != nil:
				// Installed, but how it was made cannot be read: never
				// guessed, and never called "not installed".
				r := unread[0]
				l.err = fmt.Errorf("%s is installed, but pyfetch cannot tell how to make its successor: %s (pyfetch install --force %s reinstalls it)", r.Version, textsafe.Escape(r.Problem), r.Version)
			case len(unread) > 0:
				// A line named is upgraded from its readable
				// installs; the others are said, as without a line.
				for _, r := range unread {
					passOver(r)
				}
			}
		}
		return nil
	})
	if err != nil {
		sayPassed()
	}
	if errors.Is(err, errNothingInstalled) {
		if c.jsonOut {
			return a.printJSON(map[string]any{"upgraded": []upgradedRow{}, "current": []currentRow{}, "removed": []string{}, "failed": []failure{}})
		}
		if len(rows) > 0 {
			fmt.Fprintf(a.stderr, "no install in %s has a receipt pyfetch can read, so nothing to upgrade\n", h.Versions())
			return nil
		}
		fmt.Fprintf(a.stderr, "nothing installed in %s, so nothing to upgrade (pyfetch install 3.13 installs a version)\n", h.Versions())
		return nil
	}
	if err != nil {
		return err
	}
	for _, sp := range p.specs {
		l := lines[sp.Raw]
		for _, v := range p.versions {
			if v.Major == sp.Major && v.Minor == sp.Minor {
				l.target = v
			}
		}
		for _, u := range p.unresolved {
			if u.Spec.Raw == sp.Raw && l.err == nil {
				l.err = u.Err
			}
		}
		// The newest release's name is taken by something that is not
		// an install: the upgrade would stop there, so --dry-run says
		// so too.
		to := releases.InstallName{Version: l.target, FreeThreaded: sp.FreeThreaded}.String()
		for _, r := range l.unread {
			if r.Version == to && l.err == nil && l.target.Compare(l.version) > 0 {
				l.err = fmt.Errorf("%w: %s cannot move to %s, which is taken: %s (remove it, or pyfetch install --force %s replaces it)", install.ErrInTheWay, sp.Raw, to, textsafe.Escape(r.Problem), to)
				blocked[r.Version] = true
			}
		}
	}
	sayPassed()

	upgraded, current, planned, removed := []upgradedRow{}, []currentRow{}, []upgradedRow{}, []string{}
	var names []string
	var errs []error
	// removeOlder removes l's older installs once its newest is in place
	// (with --remove-old): the current one too when it was upgraded.
	removeOlder := func(l *upgradeLine, upgradedFrom bool) error {
		if !removeOld {
			return nil
		}
		olds := l.older
		if upgradedFrom {
			olds = append([]string{l.current.Version}, olds...)
		}
		for _, old := range olds {
			if dryRun {
				if !c.jsonOut {
					fmt.Fprintf(a.stdout, "%s: would remove %s (--dry-run)\n", l.spec.Raw, old)
				}
				continue
			}
			dir, err := install.Uninstall(ctx, h, old)
			if err != nil {
				return fmt.Errorf("remove %s: %w", old, err)
			}
			removed = append(removed, old)
			if !c.jsonOut {
				fmt.Fprintf(a.stdout, "removed %s (%s)\n", old, dir)
			}
		}
		return nil
	}
	seen := map[string]bool{} // 3.13 and python3.13 are one line
	for _, sp := range p.specs {
		l := lines[sp.Raw]
		key := fmt.Sprint(sp.Major, sp.Minor, sp.FreeThreaded)
		if seen[key] {
			continue
		}
		seen[key] = true
		names = append(names, sp.Raw)
		if l.err != nil {
			errs = append(errs, l.err)
			continue
		}
		if l.target.Compare(l.version) <= 0 {
			current = append(current, currentRow{sp.Raw, l.current.Version, l.current.Path})
			if !c.jsonOut {
				fmt.Fprintf(a.stdout, "%s: %s is the newest, installed in %s\n", sp.Raw, l.current.Version, l.current.Path)
			}
			// A workflow step after it uses the line's newest, upgraded
			// or not.
			if !dryRun {
				if err := a.githubOutputs(&install.Outcome{Dir: l.current.Path, Receipt: l.current.Receipt, AlreadyInstalled: true}); err != nil {
					errs = append(errs, err)
					continue
				}
			}
			errs = append(errs, removeOlder(l, false))
			continue
		}
		kind, err := upgradeKind(l.current)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		to := releases.InstallName{Version: l.target, FreeThreaded: sp.FreeThreaded}.String()
		if dryRun {
			planned = append(planned, upgradedRow{Line: sp.Raw, From: l.current.Version, To: to, Kind: kind})
			if !c.jsonOut {
				fmt.Fprintf(a.stdout, "%s: %s → %s (would %s; not installed: --dry-run)\n", sp.Raw, l.current.Version, to, upgradeHow(l.current.Receipt))
			}
			errs = append(errs, removeOlder(l, true))
			continue
		}
		// How the successor is made comes from the receipt: said before
		// it is done, as a build's options are run.
		a.warn(fmt.Sprintf("upgrading %s: %s → %s (%s, as %s was)", sp.Raw, l.current.Version, to, upgradeHow(l.current.Receipt), l.current.Version))
		out, err := a.upgradeLine(ctx, p, l, &pf, makeJobs)
		if err != nil {
			errs = append(errs, fmt.Errorf("upgrade %s to %s: %w", sp.Raw, l.target, err))
			continue
		}
		upgraded = append(upgraded, upgradedRow{sp.Raw, l.current.Version, out.Receipt.Version, out.Dir, out.Receipt.Kind})
		ghErr := a.githubOutputs(out) // said once the upgrade is
		if !c.jsonOut {
			r := out.Receipt
			fmt.Fprintf(a.stdout, "upgraded %s: %s → %s in %s (sha256 %s, signed by %s via %s)\n", sp.Raw, l.current.Version, r.Version, out.Dir, r.SHA256, r.Signer, r.Issuer)
			if !removeOld {
				a.warn(fmt.Sprintf("note: %s is kept in %s (pyfetch uninstall %s removes it; upgrade --remove-old removes a line's older installs)", l.current.Version, l.current.Path, l.current.Version))
			}
		}
		if ghErr != nil {
			errs = append(errs, ghErr)
			continue
		}
		errs = append(errs, removeOlder(l, true))
	}
	if c.jsonOut {
		doc := map[string]any{"upgraded": upgraded, "current": current, "removed": removed, "failed": failures(names, errs)}
		if dryRun {
			doc["planned"] = planned
		}
		if err := a.printJSON(doc); err != nil {
			return err
		}
	}
	return a.perVersion(names, errs, false)
}

// upgradeLine installs l's target the way l's current install was made.
func (a *app) upgradeLine(ctx context.Context, p *pipeline, l *upgradeLine, pf *prebuiltFlags, makeJobs int) (*install.Outcome, error) {
	o := p.opts
	o.Build, o.Prebuilt = nil, nil
	r := l.current.Receipt
	stop := func() {}
	defer func() { stop() }()
	switch r.Kind {
	case install.KindBuild:
		if err := compile.Preflight(nil); err != nil {
			return nil, err
		}
		bf := buildFlagsFor(buildOptionsOf(r, l.spec), makeJobs)
		var err error
		if o.Build, stop, err = a.buildOptions(&bf, 1); err != nil {
			return nil, err
		}
	case install.KindPrebuilt:
		on := *pf
		on.on = true
		bf := buildFlagsFor(r.Prebuilt.Options, makeJobs)
		var err error
		if o.Prebuilt, err = a.prebuiltOptions(&on, &bf); err != nil {
			return nil, fmt.Errorf("%s is the fleet's prebuilt, and its successor is checked as it was: %w", l.current.Version, err)
		}
	}
	out, err := install.Install(ctx, l.target, o)
	return out, p.explain(ctx, l.target, err)
}

// upgradeKind is how in was made: source (also a receipt from before
// kinds were kept), build, or prebuilt with the record of its chain; any
// other receipt cannot say how to make its successor.
func upgradeKind(in install.Installed) (string, error) {
	switch r := in.Receipt; {
	case r.Kind == "" || r.Kind == install.KindSource:
		return install.KindSource, nil
	case r.Kind == install.KindBuild, r.Kind == install.KindPrebuilt && r.Prebuilt != nil:
		return r.Kind, nil
	default:
		return "", fmt.Errorf("%s: its receipt says kind %s without what pyfetch needs to make its successor the same way (expected source, build, or prebuilt with its chain); reinstall it (install --force) or name how (install)", in.Version, textsafe.Short(r.Kind, 20))
	}
}

// buildOptionsOf are the options r's build was made with; a receipt from
// before they were kept gives the free-threadedness of its name only.
func buildOptionsOf(r *install.Receipt, sp releases.Spec) provenance.Options {
	if r.Build != nil && r.Build.Options != nil {
		return *r.Build.Options
	}
	return provenance.Options{FreeThreaded: sp.FreeThreaded}
}

// buildFlagsFor are the build flags that make a build with these options.
func buildFlagsFor(o provenance.Options, makeJobs int) buildFlags {
	return buildFlags{build: true, optimize: o.Optimize, freethreaded: o.FreeThreaded, configureOpts: strings.Join(o.ConfigureArgs, " "), makeJobs: makeJobs}
}

// upgradeHow says how a line's next release would be made.
func upgradeHow(r *install.Receipt) string {
	var o provenance.Options
	switch r.Kind {
	case install.KindBuild:
		if r.Build == nil || r.Build.Options == nil {
			return "build it"
		}
		o = *r.Build.Options
	case install.KindPrebuilt:
		o = r.Prebuilt.Options
	default:
		return "unpack its source"
	}
	var with []string
	if o.Optimize {
		with = append(with, "--optimize")
	}
	if o.FreeThreaded {
		with = append(with, "--freethreaded")
	}
	if len(o.ConfigureArgs) > 0 {
		with = append(with, "--configure-opts "+shellWord(strings.Join(o.ConfigureArgs, " ")))
	}
	what := "build it"
	if r.Kind == install.KindPrebuilt {
		what = "install the fleet's prebuilt"
	}
	if len(with) > 0 {
		what += " with " + textsafe.Escape(strings.Join(with, " "))
	}
	return what
}
