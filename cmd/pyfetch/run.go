package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pyfetch/pyfetch/extract"
	"github.com/pyfetch/pyfetch/fetch"
	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/verify"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Exit codes, documented in the README. Decided in exitCode only.
const (
	exitOK          = 0
	exitFailure     = 1 // network, disk, anything not below
	exitUsage       = 2 // bad command line or input
	exitNotFound    = 3 // version, artifact or bundle does not exist
	exitVerify      = 4 // signature, identity or digest check failed
	exitUnsafe      = 5 // archive refused by the extractor
	exitUnsigned    = 6 // no signer known, or release predates signing
	exitInterrupted = 130
)

var errUsage = install.ErrUsage

func exitCode(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errUsage), errors.Is(err, releases.ErrBadVersion), errors.Is(err, releases.ErrBadFormat):
		return exitUsage
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.Is(err, verify.ErrVerification):
		return exitVerify
	case errors.Is(err, extract.ErrUnsafe):
		return exitUnsafe
	case errors.Is(err, releases.ErrUnsigned), errors.Is(err, releases.ErrUnknownLine):
		return exitUnsigned
	case errors.Is(err, fetch.ErrNotFound):
		return exitNotFound
	}
	return exitFailure
}

const usageText = `usage: pyfetch <command> [flags] [args]

commands:
  install SPEC...         download, verify and unpack CPython source releases
                          (SPEC: 3.13.1, 3.15.0a1, 3.13, 3 or latest)
  verify ARTIFACT|sha256:HEX  verify a file you already have against its bundle
  fetch SPEC...           download and verify into the cache, without unpacking
  releases [SPEC]         what the mirror offers, newest first
  cache ls | cache prune [--older-than DUR]   inspect or trim the download cache
  mirror export DIR [SPEC...]  write a python.org-shaped mirror from the cache
  list                    installed versions with their receipts
  path SPEC               the install dir of an installed version
  uninstall VERSION...    remove installed versions
  signers                 the release-manager identity of each release line
  version                 print pyfetch's version

Run 'pyfetch <command> -h' for a command's flags.
`

// app carries what every command shares.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

func (a *app) warn(msg string) { fmt.Fprintln(a.stderr, msg) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "install":
		err = a.install(ctx, rest)
	case "verify":
		err = a.verify(ctx, rest)
	case "list":
		err = a.list(rest)
	case "signers":
		err = a.signers(rest)
	case "releases":
		err = a.releases(ctx, rest)
	case "fetch":
		err = a.fetch(ctx, rest)
	case "cache":
		err = a.cache(ctx, rest)
	case "mirror":
		err = a.mirror(ctx, rest)
	case "uninstall":
		err = a.uninstall(ctx, rest)
	case "path":
		err = a.path(rest)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "pyfetch", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usageText)
	default:
		err = fmt.Errorf("%w: unknown command %q (expected install, fetch, verify, releases, list, path, uninstall, cache, mirror, signers or version)", errUsage, cmd)
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		a.report(err)
	}
	return exitCode(err)
}

// report prints an error the way its kind deserves: security failures
// loudly, with what was expected and found on their own lines.
func (a *app) report(err error) {
	msg := err.Error()
	switch {
	case errors.Is(err, verify.ErrVerification):
		fmt.Fprintf(a.stderr, "SECURITY ERROR: %s\nNothing was installed or changed.\n", msg)
	case errors.Is(err, extract.ErrUnsafe):
		fmt.Fprintf(a.stderr, "SECURITY ERROR: archive refused: %s\nNothing was installed or changed.\n", msg)
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(a.stderr, "pyfetch: interrupted; nothing was installed or changed")
	default:
		fmt.Fprintf(a.stderr, "pyfetch: %s\n", msg)
	}
}

// common holds the flags shared by install and verify, with their
// PYFETCH_* environment defaults.
type common struct {
	home, cache, mirror, format, trustedRoot string
	identity, issuer                         string
	signersFile                              string
	offline, jsonOut, quiet                  bool
}

func (a *app) env(name, def string) string {
	if v := a.getenv(name); v != "" {
		return v
	}
	return def
}

func (a *app) defaultHome() string {
	if h := a.getenv("PYFETCH_HOME"); h != "" {
		return h
	}
	if x := a.getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "pyfetch")
	}
	if h := a.getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "pyfetch")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "pyfetch")
	}
	return ""
}

func (a *app) flags(name string, c *common) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// Parse errors become one line through report; -h prints the flags.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&c.home, "home", a.defaultHome(), "pyfetch's data folder (env PYFETCH_HOME)")
	fs.StringVar(&c.cache, "cache", a.env("PYFETCH_CACHE", ""), "download cache (env PYFETCH_CACHE; default HOME/cache)")
	fs.StringVar(&c.trustedRoot, "trusted-root", a.env("PYFETCH_TRUSTED_ROOT", ""), "use exactly this Sigstore trusted_root.json (env PYFETCH_TRUSTED_ROOT)")
	fs.BoolVar(&c.offline, "offline", a.env("PYFETCH_OFFLINE", "") == "1", "no network access: cached/embedded trusted root, cache or file:// mirror (env PYFETCH_OFFLINE=1)")
	fs.StringVar(&c.identity, "cert-identity", "", "expected signer e-mail (overrides the release-manager table)")
	fs.StringVar(&c.issuer, "cert-oidc-issuer", "", "expected OIDC issuer URL (with --cert-identity)")
	fs.BoolVar(&c.jsonOut, "json", false, "print one JSON document on stdout")
	fs.StringVar(&c.signersFile, "signers", a.env("PYFETCH_SIGNERS", ""), "JSON file adding or overriding signers (env PYFETCH_SIGNERS)")
	return fs
}

// parse parses flags anywhere among the arguments ("install 3.13.1 --force").
func (a *app) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintf(a.stdout, "usage: pyfetch %s [flags]\n", fs.Name())
				fs.SetOutput(a.stdout)
				fs.PrintDefaults()
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func envInt(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return n
	}
	return def
}

func (c *common) identityOverride() (*verify.Identity, error) {
	if c.identity == "" && c.issuer == "" {
		return nil, nil
	}
	if c.identity == "" || c.issuer == "" {
		return nil, fmt.Errorf("%w: --cert-identity and --cert-oidc-issuer go together (got identity %q, issuer %q)", errUsage, c.identity, c.issuer)
	}
	return &verify.Identity{SAN: c.identity, Issuer: c.issuer}, nil
}

func (c *common) homeDirs() (install.Home, error) {
	if c.home == "" {
		return install.Home{}, fmt.Errorf("%w: cannot tell where pyfetch's data goes: set PYFETCH_HOME or HOME", errUsage)
	}
	return install.Home{Root: c.home, Cache: c.cache}, nil
}

func (a *app) verifier(ctx context.Context, c *common, h install.Home) (*verify.Verifier, string, error) {
	tr, src, err := verify.LoadTrustedRoot(ctx, verify.RootOptions{
		File:     c.trustedRoot,
		CacheDir: h.CacheRoot(),
		Offline:  c.offline,
		TUFURL:   a.getenv("PYFETCH_TUF_URL"),
		Warn:     a.warn,
	})
	if err != nil {
		return nil, "", err
	}
	v, err := verify.NewVerifier(tr)
	return v, src, err
}

func (a *app) install(ctx context.Context, args []string) error {
	var force bool
	jobs := 0
	p, err := a.prepare(ctx, "install", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&force, "force", false, "reinstall atomically even if installed")
		fs.IntVar(&jobs, "jobs", envInt(a.env("PYFETCH_JOBS", ""), 3), "versions installed in parallel (env PYFETCH_JOBS)")
	})
	if err != nil {
		return err
	}
	p.opts.Force = force
	outs := make([]*install.Outcome, len(p.versions))
	errs := forEach(len(p.versions), jobs, func(i int) error {
		out, err := install.Install(ctx, p.versions[i], p.opts)
		if err != nil {
			return fmt.Errorf("install %s: %w", p.versions[i], err)
		}
		outs[i] = out
		return nil
	})
	done := []*install.Outcome{}
	for i, out := range outs {
		if out == nil {
			continue
		}
		done = append(done, out)
		if !p.c.jsonOut {
			if out.AlreadyInstalled {
				fmt.Fprintf(a.stdout, "%s is already installed in %s (use --force to reinstall)\n", p.versions[i], out.Dir)
			} else {
				r := out.Receipt
				fmt.Fprintf(a.stdout, "installed %s in %s (sha256 %s, signed by %s via %s)\n", p.versions[i], out.Dir, r.SHA256, r.Signer, r.Issuer)
			}
		}
		if err := a.githubOutputs(out); err != nil {
			errs = append(errs, err)
		}
	}
	if p.c.jsonOut {
		if err := a.printJSON(map[string]any{"installed": done}); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

func (a *app) mirrorFlags(fs *flag.FlagSet, c *common) {
	fs.StringVar(&c.mirror, "mirror", a.env("PYFETCH_MIRROR", releases.DefaultMirror), "python.org-shaped mirror: http(s):// or file:// (env PYFETCH_MIRROR)")
	fs.StringVar(&c.format, "format", a.env("PYFETCH_FORMAT", string(releases.DefaultFormat)), "archive format: tar.xz or tgz (env PYFETCH_FORMAT)")
}

func parseSpecs(pos []string) ([]releases.Spec, error) {
	var specs []releases.Spec
	for _, p := range pos {
		sp, err := releases.ParseSpec(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		specs = append(specs, sp)
	}
	return specs, nil
}

func (a *app) resolver(c *common, h install.Home, fc *fetch.Client) *install.Resolver {
	ttl, err := time.ParseDuration(a.getenv("PYFETCH_INDEX_TTL"))
	if err != nil {
		ttl = 0
	}
	return &install.Resolver{Home: h, Mirror: c.mirror, Fetch: fc, TTL: ttl, Offline: c.offline, Notify: a.warn}
}

// resolveAll turns specs into distinct versions, in the order given.
func resolveAll(ctx context.Context, r *install.Resolver, specs []releases.Spec, f releases.Format, pre bool) ([]releases.Version, error) {
	defer r.Save() //nolint:errcheck // the index is a cache; losing it costs a request
	seen := map[releases.Version]bool{}
	var out []releases.Version
	for _, sp := range specs {
		v, err := r.Resolve(ctx, sp, f, pre)
		if err != nil {
			return nil, err
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out, nil
}

// githubOutputs appends to $GITHUB_OUTPUT and $GITHUB_PATH when set, so a
// workflow step can use the install. With several versions the last one
// written wins for each key.
func (a *app) githubOutputs(out *install.Outcome) error {
	if p := a.getenv("GITHUB_OUTPUT"); p != "" {
		r := out.Receipt
		lines := fmt.Sprintf("python-version=%s\npython-path=%s\nsha256=%s\nsigner=%s\n", r.Version, out.Dir, r.SHA256, r.Signer)
		if err := appendFile(p, lines); err != nil {
			return fmt.Errorf("write GITHUB_OUTPUT: %w", err)
		}
	}
	if p := a.getenv("GITHUB_PATH"); p != "" {
		bin := filepath.Join(out.Dir, "bin")
		if fi, err := os.Stat(bin); err == nil && fi.IsDir() {
			if err := appendFile(p, bin+"\n"); err != nil {
				return fmt.Errorf("write GITHUB_PATH: %w", err)
			}
		}
	}
	return nil
}

func appendFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(s); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// signerTable is the built-in table plus the signers file, if any; every
// change to the built-in table is reported on stderr.
func (a *app) signerTable(c *common) (*releases.Table, error) {
	t := releases.DefaultTable()
	if c.signersFile == "" {
		return t, nil
	}
	f, err := os.Open(c.signersFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUsage, err)
	}
	defer f.Close()
	notes, err := t.LoadOverrides(f)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errUsage, c.signersFile, err)
	}
	for _, n := range notes {
		a.warn("note: " + n)
	}
	return t, nil
}

// progress returns a progress-bar factory when stderr is a terminal, and
// nil (quiet) otherwise. With several parallel downloads, bars would
// overwrite each other: each download gets one line when it starts and
// one when it ends instead.
func (a *app) progress(parallel bool) func(string, int64) io.WriteCloser {
	f, ok := a.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	if parallel {
		var mu sync.Mutex
		return func(name string, total int64) io.WriteCloser {
			mu.Lock()
			fmt.Fprintf(f, "downloading %s (%.1f MB)\n", name, float64(total)/1e6)
			mu.Unlock()
			return &lineProgress{name: name, out: f, mu: &mu}
		}
	}
	return func(name string, total int64) io.WriteCloser {
		bar := progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(f),
			progressbar.OptionSetDescription(name),
			progressbar.OptionShowBytes(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		return barCloser{bar}
	}
}

type barCloser struct{ *progressbar.ProgressBar }

// lineProgress counts bytes and prints one line when the download ends.
type lineProgress struct {
	name string
	n    int64
	out  io.Writer
	mu   *sync.Mutex
}

func (l *lineProgress) Write(p []byte) (int, error) { l.n += int64(len(p)); return len(p), nil }

func (l *lineProgress) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := fmt.Fprintf(l.out, "downloaded %s (%.1f MB)\n", l.name, float64(l.n)/1e6)
	return err
}

func (b barCloser) Close() error { return b.Finish() }

func (a *app) verify(ctx context.Context, args []string) error {
	var c common
	fs := a.flags("verify", &c)
	bundlePath := fs.String("bundle", "", "the Sigstore bundle (default ARTIFACT.sigstore; required with sha256:HEX)")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: verify takes one ARTIFACT or sha256:HEX, got %d arguments", errUsage, len(pos))
	}
	id, err := c.identityOverride()
	if err != nil {
		return err
	}
	h, err := c.homeDirs()
	if err != nil {
		return err
	}
	v, _, err := a.verifier(ctx, &c, h)
	if err != nil {
		return err
	}
	table, err := a.signerTable(&c)
	if err != nil {
		return err
	}
	name, res, err := install.Check(install.CheckRequest{Artifact: pos[0], Bundle: *bundlePath, Identity: id, Signers: table}, v)
	if c.jsonOut {
		doc := map[string]any{"name": name, "verified": err == nil}
		if err != nil {
			doc["error"] = err.Error()
		} else {
			doc["result"] = res
		}
		if jerr := a.printJSON(doc); jerr != nil {
			return jerr
		}
		return err // JSON on stdout; the error also goes to stderr
	}
	if err != nil {
		return fmt.Errorf("verify %s: %w", name, err)
	}
	fmt.Fprintf(a.stdout, "OK: %s\n", name)
	fmt.Fprintf(a.stderr, "signed by %s via %s, sha256 %s, Rekor log index %d\n", res.Identity.SAN, res.Identity.Issuer, res.SHA256, res.LogIndex)
	return nil
}

func (a *app) list(args []string) error {
	var c common
	fs := a.flags("list", &c)
	if _, err := a.parse(fs, args); err != nil {
		return err
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
		fmt.Fprintf(a.stdout, "%-10s %s  signed by %s, sha256 %s, installed %s\n",
			r.Version, r.Path, r.Receipt.Signer, r.Receipt.SHA256, r.Receipt.InstalledAt.Format(time.RFC3339))
	}
	return nil
}

func (a *app) signers(args []string) error {
	var c common
	fs := a.flags("signers", &c)
	if _, err := a.parse(fs, args); err != nil {
		return err
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

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (a *app) releases(ctx context.Context, args []string) error {
	var c common
	fs := a.flags("releases", &c)
	a.mirrorFlags(fs, &c)
	pre := fs.Bool("pre", false, "include alphas, betas and release candidates")
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
	if _, err := releases.ParseMirror(c.mirror); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	h, err := c.homeDirs()
	if err != nil {
		return err
	}
	r := a.resolver(&c, h, &fetch.Client{Offline: c.offline, Notify: a.warn})
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

// pipeline is what install and fetch share: parsed flags, resolved
// versions and ready options.
type pipeline struct {
	c        common
	versions []releases.Version
	opts     install.Options
}

func (a *app) prepare(ctx context.Context, name string, args []string, extra func(*flag.FlagSet)) (*pipeline, error) {
	p := &pipeline{}
	c := &p.c
	fs := a.flags(name, c)
	a.mirrorFlags(fs, c)
	pre := fs.Bool("pre", false, "let 3.14, 3 and latest pick alphas, betas and release candidates")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress bar")
	retries := fs.Int("retries", envInt(a.env("PYFETCH_RETRIES", ""), fetch.DefaultRetries), "retries per download, with backoff (env PYFETCH_RETRIES)")
	if extra != nil {
		extra(fs)
	}
	pos, err := a.parse(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) == 0 {
		return nil, fmt.Errorf("%w: %s needs a version, e.g. pyfetch %s 3.13.1 or 3.13", errUsage, name, name)
	}
	format, err := releases.ParseFormat(c.format)
	if err != nil {
		return nil, err
	}
	if _, err := releases.ParseMirror(c.mirror); err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	id, err := c.identityOverride()
	if err != nil {
		return nil, err
	}
	specs, err := parseSpecs(pos)
	if err != nil {
		return nil, err
	}
	table, err := a.signerTable(c)
	if err != nil {
		return nil, err
	}
	h, err := c.homeDirs()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(h.CacheRoot(), 0o755); err != nil {
		return nil, err
	}
	if *retries == 0 {
		*retries = -1 // fetch.Client reads 0 as "default"
	}
	fc := &fetch.Client{Offline: c.offline, Notify: a.warn, Retries: *retries}
	if !c.quiet && !c.jsonOut {
		fc.Progress = a.progress(len(specs) > 1)
	}
	p.versions, err = resolveAll(ctx, a.resolver(c, h, fc), specs, format, *pre)
	if err != nil {
		return nil, err
	}
	// Refuse unsigned releases before any network or trust-root work.
	for _, v := range p.versions {
		if _, err := install.Identity(v, releases.Artifact{Version: v, Format: format}.Name(), id, table); err != nil {
			return nil, err
		}
	}
	v, src, err := a.verifier(ctx, c, h)
	if err != nil {
		return nil, err
	}
	p.opts = install.Options{
		Home: h, Mirror: c.mirror, Format: format, Offline: c.offline,
		Identity: id, Signers: table, Fetch: fc, Verifier: v, RootSource: src, Notify: a.warn,
	}
	return p, nil
}

func (a *app) fetch(ctx context.Context, args []string) error {
	jobs := 0
	p, err := a.prepare(ctx, "fetch", args, func(fs *flag.FlagSet) {
		fs.IntVar(&jobs, "jobs", envInt(a.env("PYFETCH_JOBS", ""), 3), "downloads in parallel (env PYFETCH_JOBS)")
	})
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
	errs := forEach(len(p.versions), jobs, func(i int) error {
		v := p.versions[i]
		res, fetched, err := install.Fetch(ctx, v, p.opts)
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
	if p.c.jsonOut {
		if err := a.printJSON(map[string]any{"fetched": done}); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

// forEach runs f(0..n-1) with at most jobs at once and returns the errors.
func forEach(n, jobs int, f func(i int) error) []error {
	if jobs < 1 {
		jobs = 1
	}
	errs := make([]error, n)
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = f(i)
		}()
	}
	wg.Wait()
	var failed []error
	for _, err := range errs {
		if err != nil {
			failed = append(failed, err)
		}
	}
	return failed
}

func (a *app) cache(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "ls" && args[0] != "prune") {
		return fmt.Errorf("%w: expected pyfetch cache ls or pyfetch cache prune [--older-than DUR]", errUsage)
	}
	var c common
	fs := a.flags("cache "+args[0], &c)
	older := fs.Duration("older-than", 0, "prune: also remove artifacts unused for this long (e.g. 720h), even if installed")
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
	tr, _, err := verify.LoadTrustedRoot(ctx, verify.RootOptions{File: c.trustedRoot, CacheDir: h.CacheRoot(), Offline: c.offline, TUFURL: a.getenv("PYFETCH_TUF_URL"), Warn: a.warn})
	if err != nil {
		return err
	}
	v, err := verify.NewVerifier(tr)
	if err != nil {
		return err
	}
	rootJSON, err := tr.MarshalJSON()
	if err != nil {
		return err
	}
	opts := install.Options{Home: h, Identity: id, Signers: table, Verifier: v}
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
