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
	"time"

	"github.com/pyfetch/pyfetch/fetch"
	"github.com/pyfetch/pyfetch/home"
	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/internal/lock"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/resolve"
	"github.com/pyfetch/pyfetch/verify"
	"github.com/sigstore/sigstore-go/pkg/root"
)

// common holds the flags shared by install and verify, with their
// PYFETCH_* environment defaults.
type common struct {
	home, cache, mirror, format, trustedRoot string
	identity, issuer                         string
	signersFile                              string
	offline, jsonOut, quiet                  bool
	lockTimeout                              time.Duration
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

// Flag groups: each command registers only the flags it uses, so a
// flag that would do nothing (list --cert-identity) is an error.
type flagGroup uint8

const (
	homeFlags   flagGroup = 1 << iota // --home, --json
	cacheFlags                        // --cache
	trustFlags                        // --trusted-root, --cert-identity, --cert-oidc-issuer
	signerFlag                        // --signers
	offlineFlag                       // --offline
)

func (a *app) flags(name string, c *common, groups flagGroup) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// Parse errors become one line through report; -h prints the flags.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if v := a.getenv("PYFETCH_INDEX_TTL"); v != "" {
		if _, err := parseDuration(v); err != nil {
			a.envErrs = append(a.envErrs, fmt.Errorf("%w: PYFETCH_INDEX_TTL=%q: %v", errUsage, v, err))
		}
	}
	c.home = a.defaultHome()
	c.cache = a.env("PYFETCH_CACHE", "")
	fs.BoolVar(&c.jsonOut, "json", false, "print one JSON document on stdout")
	if groups&homeFlags != 0 {
		fs.StringVar(&c.home, "home", c.home, "pyfetch's data folder (env PYFETCH_HOME)")
		c.lockTimeout = lock.DefaultTimeout
		if v := a.getenv("PYFETCH_LOCK_TIMEOUT"); v != "" {
			d, err := parseDuration(v)
			if err != nil || d == 0 {
				a.envErrs = append(a.envErrs, fmt.Errorf("%w: PYFETCH_LOCK_TIMEOUT=%q: expected a duration above zero such as 30m", errUsage, v))
			} else {
				c.lockTimeout = d
			}
		}
		fs.Var(durationFlag{&c.lockTimeout}, "lock-timeout", "give up waiting for another pyfetch's lock after this long, exit 8 (env PYFETCH_LOCK_TIMEOUT)")
	}
	if groups&cacheFlags != 0 {
		fs.StringVar(&c.cache, "cache", c.cache, "download cache (env PYFETCH_CACHE; default HOME/cache)")
	}
	if groups&trustFlags != 0 {
		fs.StringVar(&c.trustedRoot, "trusted-root", a.env("PYFETCH_TRUSTED_ROOT", ""), "use exactly this Sigstore trusted_root.json (env PYFETCH_TRUSTED_ROOT)")
		fs.StringVar(&c.identity, "cert-identity", "", "expected signer e-mail (overrides the release-manager table)")
		fs.StringVar(&c.issuer, "cert-oidc-issuer", "", "expected OIDC issuer URL (with --cert-identity)")
	}
	if groups&offlineFlag != 0 {
		fs.BoolVar(&c.offline, "offline", a.envBool("PYFETCH_OFFLINE"), "no network access: cached TUF metadata or the embedded trusted root, cache or file:// mirror (env PYFETCH_OFFLINE=1)")
	}
	if groups&signerFlag != 0 {
		fs.StringVar(&c.signersFile, "signers", a.env("PYFETCH_SIGNERS", ""), "JSON file adding or overriding signers (env PYFETCH_SIGNERS)")
	}
	return fs
}

// parse parses flags anywhere among the arguments ("install 3.13.1 --force").
func (a *app) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	if len(a.envErrs) > 0 {
		return nil, errors.Join(a.envErrs...)
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				printHelp(a.stdout, fs.Name(), fs)
				return nil, err
			}
			msg := err.Error()
			if bad, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
				// A usual flag another command takes: say so.
				name := strings.TrimLeft(bad, "-")
				msg = fmt.Sprintf("unknown flag %s for pyfetch %s", bad, fs.Name())
				if s := suggest(name, flagNames(fs)); s != "" {
					msg += fmt.Sprintf(" (did you mean --%s?)", s)
				}
				msg += fmt.Sprintf("; see pyfetch %s -h", fs.Name())
			}
			return nil, fmt.Errorf("%w: %s", errUsage, msg)
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

// envInt reads a non-negative integer variable; a value that is not one
// is recorded as a usage error (reported after flag parsing), never
// silently replaced by the default.
func (a *app) envInt(name string, def int) int {
	v := a.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		a.envErrs = append(a.envErrs, fmt.Errorf("%w: %s=%q: expected a whole number, 0 or more", errUsage, name, v))
		return def
	}
	return n
}

// envBool reads a boolean variable: 1/0, true/false, yes/no, on/off
// (any case); anything else is a usage error.
func (a *app) envBool(name string) bool {
	v := strings.ToLower(strings.TrimSpace(a.getenv(name)))
	switch v {
	case "", "0", "false", "no", "off":
		return false
	case "1", "true", "yes", "on":
		return true
	}
	a.envErrs = append(a.envErrs, fmt.Errorf("%w: %s=%q: expected 1/0, true/false, yes/no or on/off", errUsage, name, a.getenv(name)))
	return false
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

func (c *common) homeDirs() (home.Home, error) {
	if c.home == "" {
		return home.Home{}, fmt.Errorf("%w: cannot tell where pyfetch's data goes: set PYFETCH_HOME or HOME", errUsage)
	}
	return home.Home{Root: c.home, Cache: c.cache, LockTimeout: c.lockTimeout}, nil
}

// verifier loads the trusted root the flags ask for and builds the
// verifier (verify.Load decides the policy); it also returns the root
// and where it came from.
func (a *app) verifier(ctx context.Context, c *common, h home.Home) (*verify.Verifier, *root.TrustedRoot, string, error) {
	return verify.Load(ctx, verify.RootOptions{
		File:     c.trustedRoot,
		CacheDir: h.CacheRoot(),
		Offline:  c.offline,
		TUFURL:   a.getenv("PYFETCH_TUF_URL"),
		Notify:   a.warn,
	})
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

func (a *app) resolver(c *common, h home.Home, fc *fetch.Client) *resolve.Resolver {
	ttl, err := parseDuration(a.getenv("PYFETCH_INDEX_TTL"))
	if err != nil {
		ttl = 0 // reported as a usage error by flags
	}
	m, err := releases.ParseMirror(c.mirror)
	if err != nil {
		m = releases.MustMirror(releases.DefaultMirror) // c.mirror was checked by prepare
	}
	return &resolve.Resolver{Home: h, Mirror: m, Fetch: fc, TTL: ttl, Offline: c.offline, Notify: a.warn, Installed: install.Answer(h)}
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

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// parseDuration reads a Go duration ("90m", "12h") or a number of days
// ("7d"); "" is 0.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err == nil && n >= 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("expected a duration such as 7d, 12h or 90m, got %q", s)
	}
	return d, nil
}

// durationFlag is a flag.Value accepting parseDuration's forms.
type durationFlag struct{ d *time.Duration }

func (f durationFlag) String() string {
	if f.d == nil {
		return "0"
	}
	return f.d.String()
}

func (f durationFlag) Set(s string) error {
	d, err := parseDuration(s)
	if err != nil {
		return err
	}
	*f.d = d
	return nil
}
