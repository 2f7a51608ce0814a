package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pyfetch/pyfetch/internal/scratch"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/s3mirror"
	"github.com/pyfetch/pyfetch/store"
)

func (a *app) mirror(ctx context.Context, args []string) error {
	if len(args) > 0 && isHelpFlag(args[0]) {
		printHelp(a.stdout, "mirror", nil)
		return nil
	}
	if len(args) == 0 {
		return fmt.Errorf("%w: expected pyfetch mirror export DIR [SPEC...] or mirror push s3://BUCKET/PREFIX/ [SPEC...]", errUsage)
	}
	if args[0] == "push" {
		return a.mirrorPush(ctx, args[1:])
	}
	if args[0] != "export" {
		return unknownSubcommand("mirror", args[0], "export", "push")
	}
	m, err := a.mirrorSetup(ctx, "mirror export", args[1:], "a target DIR", func(dir string) error {
		if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
			return fmt.Errorf("%w: mirror export writes into a folder, and %s is not one", errUsage, dir)
		}
		return nil
	})
	if err != nil {
		return err
	}
	c, pos, src := m.c, m.pos, m.src
	out, err := m.store.Export(ctx, pos[0], m.versions, m.rootJSON)
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

// mirrorPush uploads verified cached artifacts, their signatures and the
// trusted root to an S3 bucket in python.org's layout: they are exported
// (re-verified) into a private temp folder first, so nothing unverified
// is ever uploaded, then pushed, skipping objects already there with the
// same SHA-256.
func (a *app) mirrorPush(ctx context.Context, args []string) error {
	var dest releases.Mirror
	m, err := a.mirrorSetup(ctx, "mirror push", args, "a bucket, e.g. pyfetch mirror push s3://BUCKET/python/ 3.13", func(target string) error {
		var err error
		if dest, err = releases.ParseMirror(target); err != nil || !dest.IsS3() {
			return fmt.Errorf("%w: mirror push takes s3://BUCKET/PREFIX/, got %q (for a folder, use mirror export)", errUsage, releases.RedactURL(target))
		}
		return s3mirror.CheckBucket(dest)
	})
	if err != nil {
		return err
	}
	c := m.c
	tmp, err := scratch.Dir("pyfetch-push-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if _, err := m.store.Export(ctx, tmp, m.versions, m.rootJSON); err != nil {
		return err
	}
	client, err := s3mirror.NewClient(s3mirror.ConfigFromEnv(a.getenv), nil)
	if err != nil {
		return err
	}
	pushed, err := s3mirror.Push(ctx, client, dest, tmp)
	if c.jsonOut {
		if pushed == nil {
			pushed = []s3mirror.Pushed{}
		}
		if jerr := a.printJSON(map[string]any{"mirror": dest.String(), "objects": pushed}); jerr != nil {
			return jerr
		}
	} else {
		bucket, _ := dest.Bucket()
		for _, p := range pushed {
			what := "uploaded"
			if !p.Uploaded {
				what = "already there"
			}
			fmt.Fprintf(a.stdout, "%s s3://%s/%s\n", what, bucket, p.Key)
		}
		if err == nil {
			fmt.Fprintf(a.stderr, "on runners (with read-only credentials for the bucket):\n  PYFETCH_MIRROR=%s pyfetch install VERSION\n", dest)
		}
	}
	return err
}

// mirrorOptions are mirror export's and mirror push's.
type mirrorOptions struct {
	outputOpts
	homeOpts
	trustOpts
	signerOpts
	offlineOpts
}

// mirrorSetup is what export and push share: the options, the target
// (pos[0]) and specs, the cached versions to write, the store that
// re-verifies them, and the trusted root that verified them.
type mirrorSetup struct {
	c        mirrorOptions
	pos      []string
	versions []releases.Version
	store    store.Store
	rootJSON []byte
	src      string
}

// checkTarget judges the target before any trusted-root or cache work,
// so a mistake there is said at once.
func (a *app) mirrorSetup(ctx context.Context, name string, args []string, target string, checkTarget func(string) error) (*mirrorSetup, error) {
	m := &mirrorSetup{}
	c := &m.c
	fs := a.flagSet(name, &c.outputOpts, &c.homeOpts, cacheOpts{&c.homeOpts}, &c.trustOpts, &c.signerOpts, &c.offlineOpts)
	pos, err := a.parse(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) == 0 {
		return nil, fmt.Errorf("%w: %s needs %s", errUsage, name, target)
	}
	if err := checkTarget(pos[0]); err != nil {
		return nil, err
	}
	m.pos = pos
	s, err := a.session(c.homeOpts, c.offlineOpts, &c.trustOpts, &c.signerOpts, nil)
	if err != nil {
		return nil, err
	}
	specs, err := parseSpecs(pos[1:])
	if err != nil {
		return nil, err
	}
	if m.versions, err = store.ResolveCached(ctx, s.Home, specs); err != nil {
		return nil, err
	}
	_, tr, src, err := s.Verifier(ctx)
	if err != nil {
		return nil, err
	}
	if m.rootJSON, err = tr.MarshalJSON(); err != nil {
		return nil, err
	}
	m.src, m.store = src, s.Store(ctx)
	return m, nil
}
