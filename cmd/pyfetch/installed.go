package main

import (
	"context"
	"fmt"
	"time"

	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/internal/textsafe"
	"github.com/pyfetch/pyfetch/releases"
)

// manageOptions are list's, path's and uninstall's.
type manageOptions struct {
	outputOpts
	homeOpts
}

func (a *app) list(args []string) error {
	var c manageOptions
	fs := a.flagSet("list", &c.outputOpts, &c.homeOpts)
	if pos, err := a.parse(fs, args); err != nil {
		return err
	} else if len(pos) != 0 {
		return fmt.Errorf("%w: list takes no arguments, got %q", errUsage, pos)
	}
	h, err := c.dirs()
	if err != nil {
		return err
	}
	rows, err := install.List(h)
	if err != nil {
		return err
	}
	if c.jsonOut {
		if rows == nil {
			rows = []install.Installed{}
		}
		return a.printJSON(map[string]any{"versions": rows})
	}
	if len(rows) == 0 {
		fmt.Fprintf(a.stderr, "no versions installed in %s\n", h.Versions())
	}
	for _, r := range rows {
		if r.Receipt == nil {
			fmt.Fprintf(a.stdout, "%-10s %s  (%s)\n", r.Version, textsafe.Escape(r.Path), textsafe.Escape(r.Problem))
			continue
		}
		kind := r.Receipt.Kind
		if kind == "" {
			kind = install.KindSource // receipts from before kinds existed
		}
		from := ""
		if p := r.Receipt.Prebuilt; p != nil {
			from = fmt.Sprintf(", built from %s (sha256 %s) signed by %s", p.Source.Artifact, p.Source.SHA256, p.Source.Signer)
		}
		fmt.Fprintf(a.stdout, "%-10s %-6s %s  signed by %s, sha256 %s%s, installed %s\n",
			r.Version, kind, r.Path, r.Receipt.Signer, r.Receipt.SHA256, from, r.Receipt.InstalledAt.Format(time.RFC3339))
	}
	return nil
}

func (a *app) uninstall(ctx context.Context, args []string) error {
	var c manageOptions
	fs := a.flagSet("uninstall", &c.outputOpts, &c.homeOpts)
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fmt.Errorf("%w: uninstall needs an installed version, e.g. pyfetch uninstall 3.13.1 (or 3.13 when one 3.13 is installed)", errUsage)
	}
	h, err := c.dirs()
	if err != nil {
		return err
	}
	// Each argument names an install before any is removed, so that
	// "3.13 3.13.1" (or one argument twice) removes it once, not once
	// and then "not installed". Failures are reported in argument order.
	given := uniq(pos)
	errs := make([]error, len(given))
	name := make([]string, len(given))
	seen := map[string]bool{}
	for i, p := range given {
		n, err := install.UninstallTarget(h, p)
		switch {
		case err != nil:
			errs[i] = fmt.Errorf("uninstall %s: %w", p, err)
		case !seen[n]:
			seen[n] = true
			name[i] = n
		}
	}
	removed := []string{}
	for i, n := range name {
		if n == "" {
			continue
		}
		dir, err := install.Uninstall(ctx, h, n)
		if err != nil {
			errs[i] = fmt.Errorf("uninstall %s: %w", given[i], err)
			continue
		}
		removed = append(removed, n)
		if !c.jsonOut {
			fmt.Fprintf(a.stdout, "removed %s (%s)\n", n, dir)
		}
	}
	if c.jsonOut {
		if err := a.printJSON(map[string]any{"removed": removed, "failed": failures(given, errs)}); err != nil {
			return err
		}
	}
	// Each failure on its own line, as install reports each version's.
	return a.perVersion(given, errs, false)
}

// uniq is s without repeats, in first-seen order.
func uniq(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func (a *app) path(args []string) error {
	var c manageOptions
	var vf versionFileOpts
	fs := a.flagSet("path", &c.outputOpts, &c.homeOpts, &vf)
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 && vf.versionFile != "" {
		return fmt.Errorf("%w: --version-file is read when no SPEC is given, and path was given both", errUsage)
	}
	if len(pos) == 0 {
		// As install does: the nearest .python-version's first version.
		file, specs, err := vf.find(a)
		if err != nil {
			return err
		}
		if file == "" {
			return fmt.Errorf("%w: path takes one installed version or spec, e.g. pyfetch path 3.13 (or a .python-version, a mise.toml, a .tool-versions or a pyproject.toml with requires-python, here or in a parent folder)", errUsage)
		}
		pos = specs[:1]
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: path takes one installed version or spec, e.g. pyfetch path 3.13", errUsage)
	}
	sp, err := releases.ParseSpec(pos[0])
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	h, err := c.dirs()
	if err != nil {
		return err
	}
	in, err := install.Find(h, sp)
	if err != nil {
		return err
	}
	if c.jsonOut {
		return a.printJSON(in)
	}
	fmt.Fprintln(a.stdout, in.Path)
	return nil
}
