package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pyfetch/pyfetch/fetch"
	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/verify"
)

func (a *app) list(args []string) error {
	var c common
	fs := a.flags("list", &c)
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
	fs := a.flags("signers", &c)
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
	fs := a.flags("releases", &c)
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
	fs := a.flags("uninstall", &c)
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fmt.Errorf("%w: uninstall needs an exact installed version, e.g. pyfetch uninstall 3.13.1", errUsage)
	}
	h, err := c.homeDirs()
	if err != nil {
		return err
	}
	var errs []error
	removed := []string{}
	for _, p := range pos {
		dir, err := install.Uninstall(ctx, h, p)
		if err != nil {
			errs = append(errs, fmt.Errorf("uninstall %s: %w", p, err))
			continue
		}
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
	fs := a.flags("path", &c)
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
	if len(args) == 0 || (args[0] != "ls" && args[0] != "prune") {
		return fmt.Errorf("%w: expected pyfetch cache ls or pyfetch cache prune [--older-than DUR]", errUsage)
	}
	var c common
	fs := a.flags("cache "+args[0], &c)
	older := new(time.Duration)
	fs.Var(durationFlag{older}, "older-than", "prune: also remove artifacts unused for this long (e.g. 30d, 12h), even if installed")
	dry := fs.Bool("dry-run", false, "prune: only say what would go")
	pos, err := a.parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("%w: cache %s takes no arguments, got %q", errUsage, args[0], pos)
	}
	h, err := c.homeDirs()
	if err != nil {
		return err
	}
	var rows []install.CacheEntry
	verb := "removed"
	switch {
	case args[0] == "ls":
		rows, err = install.CacheList(h)
	case *dry:
		verb = "would remove"
		all, lerr := install.CacheList(h)
		err = lerr
		for _, e := range all {
			if !e.InUse || (*older > 0 && time.Since(e.LastUsed) > *older) {
				rows = append(rows, e)
			}
		}
	default:
		rows, err = install.CachePrune(ctx, h, *older, time.Now())
	}
	if err != nil {
		return err
	}
	if c.jsonOut {
		if rows == nil {
			rows = []install.CacheEntry{}
		}
		key := "cached"
		if args[0] == "prune" {
			key = strings.ReplaceAll(verb, " ", "_")
		}
		return a.printJSON(map[string]any{key: rows})
	}
	var total int64
	for _, e := range rows {
		total += e.Size
		use := ""
		if e.InUse {
			use = "  [installed]"
		}
		if args[0] == "ls" {
			fmt.Fprintf(a.stdout, "%-28s %8.1f MB  last used %s%s\n", e.Artifact, float64(e.Size)/1e6, e.LastUsed.Format("2006-01-02"), use)
		} else {
			fmt.Fprintf(a.stdout, "%s %s (%.1f MB)\n", verb, e.Artifact, float64(e.Size)/1e6)
		}
	}
	fmt.Fprintf(a.stderr, "%d artifacts, %.1f MB in %s\n", len(rows), float64(total)/1e6, h.CacheRoot())
	return nil
}

func (a *app) mirror(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "export" {
		return fmt.Errorf("%w: expected pyfetch mirror export DIR [SPEC...]", errUsage)
	}
	var c common
	fs := a.flags("mirror export", &c)
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
		v, err := cacheMirror.Resolve(ctx, sp, releases.TarXZ, false)
		if err != nil {
			v, err = cacheMirror.Resolve(ctx, sp, releases.TGZ, false)
		}
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
	for _, name := range out {
		if !c.jsonOut {
			fmt.Fprintf(a.stdout, "exported %s\n", name)
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
