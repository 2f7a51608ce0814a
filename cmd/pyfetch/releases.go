package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/pyfetch/pyfetch/fetch"
	"github.com/pyfetch/pyfetch/internal/textsafe"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/resolve"
	"github.com/pyfetch/pyfetch/verify"
)

func (a *app) signers(args []string) error {
	var c struct {
		outputOpts
		signerOpts
	}
	fs := a.flagSet("signers", &c.outputOpts, &c.signerOpts)
	if pos, err := a.parse(fs, args); err != nil {
		return err
	} else if len(pos) != 0 {
		return fmt.Errorf("%w: signers takes no arguments, got %q", errUsage, pos)
	}
	table, err := a.signerTable(c.signersFile)
	if err != nil {
		return err
	}
	rows := table.Lines()
	pgp, err := verify.NewOpenPGP()
	if err != nil {
		return err
	}
	type pgpRow struct {
		Line        string `json:"line"`
		Name        string `json:"name"`
		Fingerprint string `json:"fingerprint"`
		Embedded    bool   `json:"embedded"`
	}
	var keys []pgpRow
	for _, k := range releases.OpenPGPLines() {
		keys = append(keys, pgpRow{k.Line, k.Name, k.Fingerprint, pgp.Has(k.Fingerprint)})
	}
	if c.jsonOut {
		return a.printJSON(map[string]any{"signers": rows, "openpgp": keys})
	}
	for _, s := range rows {
		fmt.Fprintf(a.stdout, "%-5s %-22s %-32s first signed %s\n", s.Line, textsafe.Escape(s.Identity), textsafe.Escape(s.Issuer), s.FirstSigned)
	}
	fmt.Fprintln(a.stdout, "\nOpenPGP (.asc, releases up to 3.13; used where a release has no Sigstore bundle):")
	for _, k := range keys {
		where := "key embedded"
		if !k.Embedded {
			where = "key from --openpgp-keyring"
		}
		fmt.Fprintf(a.stdout, "%-5s %-22s %s  (%s)\n", k.Line, k.Name, k.Fingerprint, where)
	}
	return nil
}

func (a *app) releases(ctx context.Context, args []string) error {
	var c struct {
		outputOpts
		homeOpts
		offlineOpts
		mirrorOpts
		retryOpts
		pre bool
	}
	fs := a.flagSet("releases", &c.outputOpts, &c.homeOpts, cacheOpts{&c.homeOpts}, &c.offlineOpts, &c.mirrorOpts, &c.retryOpts)
	fs.BoolVar(&c.pre, "pre", false, "include alphas, betas and release candidates")
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
	m, err := c.mirrorOpts.parsed(a.wd)
	if err != nil {
		return err
	}
	fc, err := c.client(a, c.offline)
	if err != nil {
		return err
	}
	s, err := a.session(c.homeOpts, c.offlineOpts, nil, nil, fc)
	if err != nil {
		return err
	}
	if err := a.useMirror(s, m, fc); err != nil {
		return err
	}
	r := s.Resolver()
	offers, err := r.Releases(ctx, spec, c.pre)
	r.Save() //nolint:errcheck // the index is a cache
	if err != nil {
		return err
	}
	// Nothing offered is "not found" (exit 3), as install says it, so a
	// script can branch on it; --json still prints its document first.
	var none error
	if len(offers) == 0 {
		none = fmt.Errorf("%w: no releases on %s", fetch.ErrNotFound, r.Where())
		if spec != nil {
			none = fmt.Errorf("%w: no release matches %q on %s", fetch.ErrNotFound, pos[0], r.Where())
		}
	}
	if c.jsonOut {
		if offers == nil {
			offers = []resolve.Offer{}
		}
		if err := a.printJSON(map[string]any{"mirror": c.mirror, "releases": offers}); err != nil {
			return err
		}
		return none
	}
	for _, o := range offers {
		signed := "no bundle"
		if len(o.Signed) > 0 {
			var parts []string
			for _, f := range o.Signed {
				p := f
				if o.Methods[f] == "openpgp" {
					p += " (openpgp)"
				}
				parts = append(parts, p)
			}
			signed = "signed: " + strings.Join(parts, ", ")
		}
		inst := ""
		if o.Installed {
			inst = "  [installed]"
		}
		fmt.Fprintf(a.stdout, "%-10s %-14s %s%s\n", o.Version, strings.Join(o.Formats, ","), signed, inst)
	}
	return none
}
