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
  install VERSION...      download, verify and unpack CPython source releases
  verify ARTIFACT|sha256:HEX  verify a file you already have against its bundle
  list                    installed versions with their receipts
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
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "pyfetch", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usageText)
	default:
		err = fmt.Errorf("%w: unknown command %q (expected install, verify, list, signers or version)", errUsage, cmd)
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
	var c common
	fs := a.flags("install", &c)
	fs.StringVar(&c.mirror, "mirror", a.env("PYFETCH_MIRROR", releases.DefaultMirror), "python.org-shaped mirror: http(s):// or file:// (env PYFETCH_MIRROR)")
	fs.StringVar(&c.format, "format", a.env("PYFETCH_FORMAT", string(releases.DefaultFormat)), "archive format: tar.xz or tgz (env PYFETCH_FORMAT)")
	force := fs.Bool("force", false, "reinstall atomically even if installed")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress bar")
	retries := fs.Int("retries", envInt(a.env("PYFETCH_RETRIES", ""), fetch.DefaultRetries), "retries per download, with backoff (env PYFETCH_RETRIES)")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fmt.Errorf("%w: install needs a version, e.g. pyfetch install 3.13.1", errUsage)
	}
	format, err := releases.ParseFormat(c.format)
	if err != nil {
		return err
	}
	if _, err := releases.ParseMirror(c.mirror); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	id, err := c.identityOverride()
	if err != nil {
		return err
	}
	var versions []releases.Version
	for _, p := range pos {
		v, err := releases.ParseVersion(p)
		if err != nil {
			return err
		}
		if id == nil {
			if _, err := releases.SignerFor(v); err != nil {
				return err
			}
		}
		versions = append(versions, v)
	}
	h, err := c.homeDirs()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(h.CacheRoot(), 0o755); err != nil {
		return err
	}
	v, src, err := a.verifier(ctx, &c, h)
	if err != nil {
		return err
	}
	if *retries == 0 {
		*retries = -1 // fetch.Client reads 0 as "default"
	}
	fc := &fetch.Client{Offline: c.offline, Notify: a.warn, Retries: *retries}
	if !c.quiet && !c.jsonOut {
		fc.Progress = a.progress()
	}
	opts := install.Options{
		Home: h, Mirror: c.mirror, Format: format, Offline: c.offline, Force: *force,
		Identity: id, Fetch: fc, Verifier: v, RootSource: src, Notify: a.warn,
	}
	var outs []*install.Outcome
	for _, ver := range versions {
		out, err := install.Install(ctx, ver, opts)
		if err != nil {
			return fmt.Errorf("install %s: %w", ver, err)
		}
		outs = append(outs, out)
		if !c.jsonOut {
			r := out.Receipt
			if out.AlreadyInstalled {
				fmt.Fprintf(a.stdout, "%s is already installed in %s (use --force to reinstall)\n", ver, out.Dir)
			} else {
				fmt.Fprintf(a.stdout, "installed %s in %s (sha256 %s, signed by %s via %s)\n", ver, out.Dir, r.SHA256, r.Signer, r.Issuer)
			}
		}
	}
	if c.jsonOut {
		return a.printJSON(map[string]any{"installed": outs})
	}
	return nil
}

// progress returns a progress-bar factory when stderr is a terminal, and
// nil (quiet) otherwise.
func (a *app) progress() func(string, int64) io.WriteCloser {
	f, ok := a.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
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
	name, res, err := install.Check(install.CheckRequest{Artifact: pos[0], Bundle: *bundlePath, Identity: id}, v)
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
	rows := releases.Signers()
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
