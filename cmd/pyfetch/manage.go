package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/pyfetch/pyfetch/fetch"
	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/verify"
)

func (a *app) list(args []string) error {
	var c common
	fs := a.flags("list", &c, homeFlags)
	if pos, err := a.parse(fs, args); err != nil {
		return err
	} else if len(pos) != 0 {
		return fmt.Errorf("%w: list takes no arguments, got %q", errUsage, pos)
	}
	h, err := c.homeDirs()
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
			fmt.Fprintf(a.stdout, "%-10s %s  (%s)\n", r.Version, r.Path, r.Problem)
			continue
		}
		kind := r.Receipt.Kind
		if kind == "" {
			kind = install.KindSource // receipts from before kinds existed
		}
		fmt.Fprintf(a.stdout, "%-10s %-6s %s  signed by %s, sha256 %s, installed %s\n",
			r.Version, kind, r.Path, r.Receipt.Signer, r.Receipt.SHA256, r.Receipt.InstalledAt.Format(time.RFC3339))
	}
	return nil
}

func (a *app) signers(args []string) error {
	var c common
	fs := a.flags("signers", &c, signerFlag)
	if pos, err := a.parse(fs, args); err != nil {
		return err
	} else if len(pos) != 0 {
		return fmt.Errorf("%w: signers takes no arguments, got %q", errUsage, pos)
	}
	table, err := a.signerTable(&c)
	if err != nil {
		return err
	}
	rows := table.Lines()
	if c.jsonOut {
		return a.printJSON(map[string]any{"signers": rows})
	}
	for _, s := range rows {
		fmt.Fprintf(a.stdout, "%-5s %-22s %-32s first signed %s\n", s.Line, s.Identity, s.Issuer, s.FirstSigned)
	}
	return nil
}

func (a *app) releases(ctx context.Context, args []string) error {
	var c common
	fs := a.flags("releases", &c, homeFlags|cacheFlags|offlineFlag)
	a.mirrorFlags(fs, &c)
	pre := fs.Bool("pre", false, "include alphas, betas and release candidates")
	retries := fs.Int("retries", a.envInt("PYFETCH_RETRIES", fetch.DefaultRetries), "retries per listing request, with backoff (env PYFETCH_RETRIES)")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return fmt.Errorf("%w: releases takes at most one SPEC, got %d", errUsage, len(pos))
	}
	var spec *releases.Spec
	if len(pos) == 1 {
		sp, err := releases.ParseSpec(pos[0])
		if err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		spec = &sp
	}
	if c.mirror, err = releases.NormalizeMirror(c.mirror); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	h, err := c.homeDirs()
	if err != nil {
		return err
	}
	if *retries < 0 {
		return fmt.Errorf("%w: --retries must be 0 or more, got %d", errUsage, *retries)
	}
	if *retries == 0 {
		*retries = -1 // fetch.Client reads 0 as "default"
	}
	r := a.resolver(&c, h, &fetch.Client{Offline: c.offline, Notify: a.warn, Retries: *retries})
	offers, err := r.Releases(ctx, spec, *pre)
	r.Save() //nolint:errcheck // the index is a cache
	if err != nil {
		return err
	}
	if c.jsonOut {
		if offers == nil {
			offers = []install.Offer{}
		}
		return a.printJSON(map[string]any{"mirror": c.mirror, "releases": offers})
	}
	for _, o := range offers {
		signed := "no bundle"
		if len(o.Signed) > 0 {
			signed = "signed: " + strings.Join(o.Signed, ", ")
		}
		inst := ""
		if o.Installed {
			inst = "  [installed]"
		}
		fmt.Fprintf(a.stdout, "%-10s %-14s %s%s\n", o.Version, strings.Join(o.Formats, ","), signed, inst)
	}
	if len(offers) == 0 {
		a.warn("no releases match on " + c.mirror)
	}
	return nil
}

func (a *app) uninstall(ctx context.Context, args []string) error {
	var c common
	fs := a.flags("uninstall", &c, homeFlags)
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fmt.Errorf("%w: uninstall needs an installed version, e.g. pyfetch uninstall 3.13.1 (or 3.13 when one 3.13 is installed)", errUsage)
	}
	h, err := c.homeDirs()
	if err != nil {
		return err
	}
	var errs []error
	removed := []string{}
	for _, p := range pos {
		name, err := install.UninstallTarget(h, p)
		if err != nil {
			errs = append(errs, fmt.Errorf("uninstall %s: %w", p, err))
			continue
		}
		dir, err := install.Uninstall(ctx, h, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("uninstall %s: %w", p, err))
			continue
		}
		p = name
		removed = append(removed, p)
		if !c.jsonOut {
			fmt.Fprintf(a.stdout, "removed %s (%s)\n", p, dir)
		}
	}
	if c.jsonOut {
		if err := a.printJSON(map[string]any{"removed": removed}); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

func (a *app) path(args []string) error {
	var c common
	fs := a.flags("path", &c, homeFlags)
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: path takes one installed version or spec, e.g. pyfetch path 3.13", errUsage)
	}
	sp, err := releases.ParseSpec(pos[0])
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	h, err := c.homeDirs()
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

func (a *app) cache(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "ls" && args[0] != "prune" && args[0] != "clean") {
		return fmt.Errorf("%w: expected pyfetch cache ls, cache prune [--older-than 30d] [--dry-run] or cache clean", errUsage)
	}
	sub := args[0]
	var c common
	fs := a.flags("cache "+sub, &c, homeFlags|cacheFlags)
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
	h, err := c.homeDirs()
	if err != nil {
		return err
	}
	if sub == "ls" {
		rows, err := install.CacheList(h)
		if err != nil {
			return err
		}
		if rows == nil {
			rows = []install.CacheEntry{}
		}
		if c.jsonOut {
			return a.printJSON(map[string]any{"cached": rows})
		}
		for _, e := range rows {
			use := ""
			if e.InUse {
				use = "  [installed]"
			}
			fmt.Fprintf(a.stdout, "%-28s %8.1f MB  last used %s%s\n", e.Artifact, float64(e.Size)/1e6, e.LastUsed.Format("2006-01-02"), use)
		}
		fmt.Fprintf(a.stderr, "%d artifacts, %.1f MB in %s\n", len(rows), mbOf(rows), h.CacheRoot())
		return nil
	}
	res, err := install.CachePrune(ctx, h, install.PruneOptions{OlderThan: *older, All: sub == "clean", DryRun: *dry})
	if err != nil {
		return err
	}
	verb := "removed"
	if *dry {
		verb = "would remove"
	}
	if c.jsonOut {
		return a.printJSON(map[string]any{strings.ReplaceAll(verb, " ", "_"): res.Removed, "kept": res.Kept})
	}
	for _, e := range res.Removed {
		fmt.Fprintf(a.stdout, "%s %s (%.1f MB)\n", verb, e.Artifact, float64(e.Size)/1e6)
	}
	why := ""
	if sub == "prune" && *older == 0 {
		why = fmt.Sprintf(" (prune keeps what an install came from and what was fetched or used in the last %d days; cache clean removes everything)", int(install.DefaultKeepRecent.Hours()/24))
	}
	fmt.Fprintf(a.stderr, "%s %d artifacts (%.1f MB); %d remain (%.1f MB) in %s%s\n", verb, len(res.Removed), mbOf(res.Removed), len(res.Kept), mbOf(res.Kept), h.CacheRoot(), why)
	return nil
}

func mbOf(rows []install.CacheEntry) float64 {
	var total int64
	for _, e := range rows {
		total += e.Size
	}
	return float64(total) / 1e6
}

func (a *app) mirror(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "export" {
		return fmt.Errorf("%w: expected pyfetch mirror export DIR [SPEC...]", errUsage)
	}
	var c common
	fs := a.flags("mirror export", &c, homeFlags|cacheFlags|trustFlags|signerFlag|offlineFlag)
	pos, err := a.parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fmt.Errorf("%w: mirror export needs a target DIR", errUsage)
	}
	id, err := c.identityOverride()
	if err != nil {
		return err
	}
	table, err := a.signerTable(&c)
	if err != nil {
		return err
	}
	h, err := c.homeDirs()
	if err != nil {
		return err
	}
	specs, err := parseSpecs(pos[1:])
	if err != nil {
		return err
	}
	// SPECs resolve against what the cache holds: the cache is a mirror.
	cacheMirror := &install.Resolver{Home: h, Mirror: "file://" + h.CacheRoot() + "/", Offline: true}
	var versions []releases.Version
	for _, sp := range specs {
		v, err := cacheMirror.Resolve(ctx, sp, []releases.Format{releases.TarXZ, releases.TGZ}, false)
		if err != nil {
			return err
		}
		versions = append(versions, v)
	}
	v, tr, src, err := a.verifier(ctx, &c, h)
	if err != nil {
		return err
	}
	rootJSON, err := tr.MarshalJSON()
	if err != nil {
		return err
	}
	trust := func() (*verify.Verifier, string, error) { return v, src, nil }
	opts := install.Options{Home: h, Identity: id, Signers: table, Trust: trust}
	out, err := install.Export(ctx, h, pos[0], versions, opts, rootJSON)
	dir, _ := filepath.Abs(pos[0])
	if !c.jsonOut {
		for _, name := range out {
			art, _ := releases.ParseArtifactName(name)
			fmt.Fprintf(a.stdout, "exported %s to %s\n", name, filepath.Join(dir, art.Dir())+string(filepath.Separator))
		}
		if err == nil && len(out) > 0 {
			spec := "VERSION"
			if len(pos) > 1 {
				spec = strings.Join(pos[1:], " ")
			}
			fmt.Fprintf(a.stdout, "wrote %s (the %s trusted root that verified them)\n", filepath.Join(dir, "trusted_root.json"), src)
			fmt.Fprintf(a.stderr, "on the other machine, carry the folder (and the trusted root over a channel you trust), then:\n  pyfetch install --mirror file://%s/ --trusted-root %s %s\nor serve the folder with any static web server and pass its URL as --mirror\n",
				dir, filepath.Join(dir, "trusted_root.json"), spec)
		}
	}
	if c.jsonOut {
		if out == nil {
			out = []string{}
		}
		if jerr := a.printJSON(map[string]any{"dir": pos[0], "exported": out}); jerr != nil {
			return jerr
		}
	}
	return err
}
