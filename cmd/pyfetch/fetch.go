package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/pyfetch/pyfetch/internal/parallel"
)

func (a *app) fetch(ctx context.Context, args []string) error {
	jobs := 0
	var c pipelineOptions
	p, err := a.prepare(ctx, "fetch", args, &c, func(fs *flag.FlagSet) {
		jobs = a.envInt("PYFETCH_JOBS", 3)
		fs.Var(countFlag{&jobs}, "jobs", "`N` downloads in parallel, 0 for all at once (env PYFETCH_JOBS)")
	}, nil)
	if err != nil {
		return err
	}
	type row struct {
		Version    string `json:"version"`
		SHA256     string `json:"sha256"`
		Signer     string `json:"signer"`
		Downloaded bool   `json:"downloaded"`
	}
	rows := make([]*row, len(p.versions))
	errs := parallel.Each(len(p.versions), allIfZero(jobs, len(p.versions)), func(i int) error {
		v := p.versions[i]
		res, fetched, err := p.opts.Prime(ctx, v, p.opts.Format, p.opts.AnyFormat)
		err = p.explain(ctx, v, err)
		if err != nil {
			return fmt.Errorf("fetch %s: %w", v, err)
		}
		rows[i] = &row{v.String(), res.SHA256, res.Identity.SAN, fetched}
		return nil
	})
	done := []*row{}
	for _, r := range rows {
		if r == nil {
			continue
		}
		done = append(done, r)
		if !p.c.jsonOut {
			what := "cached"
			if r.Downloaded {
				what = "fetched"
			}
			fmt.Fprintf(a.stdout, "%s %s into %s (sha256 %s, signed by %s)\n", what, r.Version, p.opts.Home.CacheRoot(), r.SHA256, r.Signer)
		}
	}
	names, errs := p.outcomes(errs)
	if p.c.jsonOut {
		if err := a.printJSON(map[string]any{"fetched": done, "failed": failures(names, errs)}); err != nil {
			return err
		}
	}
	return a.perVersion(names, errs, false)
}
