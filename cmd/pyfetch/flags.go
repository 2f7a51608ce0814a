package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pyfetch/pyfetch/fetch"
	"github.com/pyfetch/pyfetch/home"
	"github.com/pyfetch/pyfetch/internal/lock"
	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/internal/textsafe"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/s3mirror"
	"github.com/pyfetch/pyfetch/session"
	"github.com/pyfetch/pyfetch/verify"
)

func (a *app) env(name, def string) string {
	if v := a.getenv(name); v != "" {
		return v
	}
	return def
}

// defaultHome is the home when --home is not given, and what it came
// from, for an error about it. A relative XDG_DATA_HOME is ignored, as
// the XDG Base Directory specification says.
func (a *app) defaultHome() (dir, from string) {
	if h := a.getenv("PYFETCH_HOME"); h != "" {
		return h, "--home (or PYFETCH_HOME)"
	}
	if x := a.getenv("XDG_DATA_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "pyfetch"), "XDG_DATA_HOME"
	}
	if h := a.getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "pyfetch"), "the data folder under HOME"
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "pyfetch"), "the data folder under your home"
	}
	return "", ""
}

// Option groups. Each command's options struct embeds the groups it
// takes and registers exactly those (flagSet), so a flag that would do
// nothing (list --cert-identity) is an error; each group reads its
// PYFETCH_* defaults as it registers.
type registrar interface {
	register(a *app, fs *flag.FlagSet)
}

// flagSet makes a command's flag set from its option groups.
func (a *app) flagSet(name string, groups ...registrar) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// Parse errors become one line through report; -h prints the flags.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if v := a.getenv("PYFETCH_INDEX_TTL"); v != "" {
		if _, err := parseDuration(v); err != nil {
			a.envErrs = append(a.envErrs, fmt.Errorf("%w: PYFETCH_INDEX_TTL=%q: %v", errUsage, v, err))
		}
	}
	for _, g := range groups {
		g.register(a, fs)
	}
	return fs
}

// outputOpts: --json, which every command takes.
type outputOpts struct{ jsonOut bool }

func (o *outputOpts) register(a *app, fs *flag.FlagSet) {
	fs.BoolVar(&o.jsonOut, "json", false, "print one JSON document on stdout")
}

// homeOpts: --home and --lock-timeout; the cache folder comes from
// PYFETCH_CACHE unless the command also takes cacheOpts.
type homeOpts struct {
	home, cache string
	// defHome is the home without --home, from defHomeFrom.
	defHome, defHomeFrom string
	lockTimeout          time.Duration
	userHome             string // $HOME, to expand ~
}

func (o *homeOpts) register(a *app, fs *flag.FlagSet) {
	o.defHome, o.defHomeFrom = a.defaultHome()
	o.home = o.defHome
	o.cache = a.env("PYFETCH_CACHE", "")
	o.userHome = a.getenv("HOME")
	fs.StringVar(&o.home, "home", o.home, "pyfetch's data folder (env PYFETCH_HOME)")
	o.lockTimeout = lock.DefaultTimeout
	if v := a.getenv("PYFETCH_LOCK_TIMEOUT"); v != "" {
		d, err := parseDuration(v)
		if err != nil || d == 0 {
			a.envErrs = append(a.envErrs, fmt.Errorf("%w: PYFETCH_LOCK_TIMEOUT=%q: expected a duration above zero such as 30m", errUsage, v))
		} else {
			o.lockTimeout = d
		}
	}
	fs.Var(durationFlag{&o.lockTimeout}, "lock-timeout", "give up waiting for another pyfetch's lock after this `duration` (30m, 2h), exit 8 (env PYFETCH_LOCK_TIMEOUT)")
}

// dirs is the home the options name. "~" and "~/…" (what a YAML env:
// block hands over unexpanded) are the user's home; a relative folder is
// refused, never silently made under the working folder.
func (o *homeOpts) dirs() (home.Home, error) {
	if o.home == "" {
		return home.Home{}, fmt.Errorf("%w: cannot tell where pyfetch's data goes: set PYFETCH_HOME or HOME", errUsage)
	}
	what := "--home (or PYFETCH_HOME)"
	if o.home == o.defHome {
		what = o.defHomeFrom
	}
	root, err := o.absolute(what, o.home)
	if err != nil {
		return home.Home{}, err
	}
	cache := o.cache
	if cache != "" {
		if cache, err = o.absolute("--cache (or PYFETCH_CACHE)", cache); err != nil {
			return home.Home{}, err
		}
	}
	return home.Home{Root: root, Cache: cache, LockTimeout: o.lockTimeout}, nil
}

func (o *homeOpts) absolute(what, p string) (string, error) {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if o.userHome == "" {
			return "", fmt.Errorf("%w: %s is %q, but HOME is not set to expand ~", errUsage, what, p)
		}
		p = filepath.Join(o.userHome, strings.TrimPrefix(p, "~"))
	}
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("%w: %s is the relative path %q (expected an absolute folder such as /home/me/.local/share/pyfetch or ~/pyfetch)", errUsage, what, p)
	}
	// Not there yet is fine (it is made); something else than a folder
	// there is a mistake, said now rather than as a failed mkdir.
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
		return "", fmt.Errorf("%w: %s is %s, which is %s, not a folder", errUsage, what, textsafe.Escape(p), safefile.Describe(fi.Mode()))
	}
	return filepath.Clean(p), nil
}

// cacheOpts: --cache, into the command's homeOpts.
type cacheOpts struct{ h *homeOpts }

func (o cacheOpts) register(a *app, fs *flag.FlagSet) {
	fs.StringVar(&o.h.cache, "cache", o.h.cache, "download cache (env PYFETCH_CACHE; default HOME/cache)")
}

// trustOpts: which trusted root, and who must have signed.
type trustOpts struct{ trustedRoot, identity, issuer, keyring string }

func (o *trustOpts) register(a *app, fs *flag.FlagSet) {
	fs.StringVar(&o.keyring, "openpgp-keyring", a.env("PYFETCH_OPENPGP_KEYRING", ""), "an armored OpenPGP key of a release manager not embedded in pyfetch; it must be the key pinned for its line (env PYFETCH_OPENPGP_KEYRING)")
	fs.StringVar(&o.trustedRoot, "trusted-root", a.env("PYFETCH_TRUSTED_ROOT", ""), "use exactly this Sigstore trusted_root.json (env PYFETCH_TRUSTED_ROOT)")
	fs.StringVar(&o.identity, "cert-identity", "", "expected signer e-mail (overrides the release-manager table)")
	fs.StringVar(&o.issuer, "cert-oidc-issuer", "", "expected OIDC issuer URL (with --cert-identity)")
}

func (o *trustOpts) identityOverride() (*verify.Identity, error) {
	if o.identity == "" && o.issuer == "" {
		return nil, nil
	}
	if o.identity == "" || o.issuer == "" {
		return nil, fmt.Errorf("%w: --cert-identity and --cert-oidc-issuer go together (got identity %q, issuer %q)", errUsage, o.identity, o.issuer)
	}
	return &verify.Identity{SAN: o.identity, Issuer: o.issuer}, nil
}

// offlineOpts: --offline.
type offlineOpts struct{ offline bool }

func (o *offlineOpts) register(a *app, fs *flag.FlagSet) {
	fs.BoolVar(&o.offline, "offline", a.envBool("PYFETCH_OFFLINE"), "no network access: cached TUF metadata or the embedded trusted root, cache or file:// mirror (env PYFETCH_OFFLINE=1)")
}

// signerOpts: --signers.
type signerOpts struct{ signersFile string }

func (o *signerOpts) register(a *app, fs *flag.FlagSet) {
	fs.StringVar(&o.signersFile, "signers", a.env("PYFETCH_SIGNERS", ""), "JSON file adding or overriding signers (env PYFETCH_SIGNERS)")
}

// mirrorOpts: --mirror and --format.
type mirrorOpts struct{ mirror, format string }

func (o *mirrorOpts) register(a *app, fs *flag.FlagSet) {
	fs.StringVar(&o.mirror, "mirror", a.env("PYFETCH_MIRROR", releases.DefaultMirror), "python.org-shaped mirror: http(s):// or file:// (env PYFETCH_MIRROR)")
	fs.StringVar(&o.format, "format", a.env("PYFETCH_FORMAT", string(releases.DefaultFormat)), "archive format: tar.xz or tgz (env PYFETCH_FORMAT)")
}

// parsed is the mirror the options name; a relative folder is taken
// from the working folder wd, like an absolute one.
func (o *mirrorOpts) parsed(wd string) (releases.Mirror, error) {
	if u, err := url.Parse(o.mirror); err == nil && u.Scheme == "" && !filepath.IsAbs(o.mirror) && wd != "" {
		o.mirror = filepath.Join(wd, o.mirror)
	}
	m, err := releases.ParseMirror(o.mirror)
	if err != nil {
		return releases.Mirror{}, fmt.Errorf("%w: --mirror (or PYFETCH_MIRROR): %v", errUsage, err)
	}
	o.mirror = m.String()
	return m, nil
}

// retryOpts: --retries and --timeout.
type retryOpts struct {
	retries int
	timeout time.Duration
}

func (o *retryOpts) register(a *app, fs *flag.FlagSet) {
	fs.IntVar(&o.retries, "retries", a.envInt("PYFETCH_RETRIES", fetch.DefaultRetries), "retries per download, with backoff (env PYFETCH_RETRIES)")
	o.timeout = fetch.DefaultTimeout
	if v := a.getenv("PYFETCH_TIMEOUT"); v != "" {
		d, err := parseDuration(v)
		if err != nil || d == 0 {
			a.envErrs = append(a.envErrs, fmt.Errorf("%w: PYFETCH_TIMEOUT=%q: expected a duration above zero such as 10s", errUsage, v))
		} else {
			o.timeout = d
		}
	}
	fs.Var(durationFlag{&o.timeout}, "timeout", "give up on a connection or a response's headers after this `duration` (retried at most twice; env PYFETCH_TIMEOUT)")
}

// maxRetries bounds --retries.
const maxRetries = 100

// client is the HTTP client the options ask for.
func (o *retryOpts) client(a *app, offline bool) (*fetch.Client, error) {
	// Each retry may wait up to 30 s: past maxRetries a dead mirror
	// would hold a CI job for hours.
	if o.retries < 0 || o.retries > maxRetries {
		return nil, fmt.Errorf("%w: --retries must be 0 to %d, got %d", errUsage, maxRetries, o.retries)
	}
	n := o.retries
	if n == 0 {
		n = -1 // fetch.Client reads 0 as "default"
	}
	if o.timeout <= 0 {
		return nil, fmt.Errorf("%w: --timeout must be above zero, got %s", errUsage, o.timeout)
	}
	return &fetch.Client{Offline: offline, Notify: a.warn, Retries: n, Timeout: o.timeout}, nil
}

// flagHints says why a command does not take a flag another one does
// ("COMMAND FLAG"), where a suggestion of a near name would mislead.
var flagHints = map[string]string{
	"upgrade prebuilt":     "a line is upgraded the way its newest install was made, which its receipt says: a prebuilt line stays prebuilt, checked against --prebuilt-key or --prebuilt-identity",
	"upgrade version-file": "upgrade takes release lines (3.13) or none (every installed line); pyfetch install reads a version file",
	"upgrade build":        "a line that was built is built again, with the options its receipt kept",
}

// shortFlags are the one-letter forms of the flags typed most often,
// as pyenv and uv take them (install -f, -q, -j 4): long name → short.
var shortFlags = map[string]string{"force": "f", "quiet": "q", "jobs": "j"}

// addShortFlags defines, for each of fs's flags that has a short form,
// that form as the same flag (one value, set by either).
func addShortFlags(fs *flag.FlagSet) {
	for long, short := range shortFlags {
		if f := fs.Lookup(long); f != nil && fs.Lookup(short) == nil {
			fs.Var(f.Value, short, "short for --"+long)
		}
	}
}

// shortOf returns the short form fs gives flag f, if any; isShort
// reports whether f is itself such a short form.
func shortOf(fs *flag.FlagSet, f *flag.Flag) string {
	if s, ok := shortFlags[f.Name]; ok && fs.Lookup(s) != nil {
		return s
	}
	return ""
}

func isShort(f *flag.Flag) bool { return len(f.Name) == 1 }

// parse parses flags anywhere among the arguments ("install 3.13.1 --force").
func (a *app) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	if len(a.envErrs) > 0 {
		return nil, errors.Join(a.envErrs...)
	}
	addShortFlags(fs)
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
				msg = fmt.Sprintf("unknown flag --%s for pyfetch %s", name, fs.Name())
				if len([]rune(name)) == 1 {
					// A short flag: say it as typed, and which there are.
					msg = fmt.Sprintf("unknown flag -%s for pyfetch %s", name, fs.Name())
					var shorts []string
					fs.VisitAll(func(f *flag.Flag) {
						if s := shortOf(fs, f); s != "" {
							shorts = append(shorts, "-"+s+" (--"+f.Name+")")
						}
					})
					if len(shorts) > 0 {
						msg += " (its short flags: " + strings.Join(shorts, ", ") + ")"
					}
				} else if h, ok := flagHints[fs.Name()+" "+name]; ok {
					msg += " (" + h + ")"
				} else if s := suggest(name, flagNames(fs)); s != "" {
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
		// Past about 292 years a Duration overflows into the past: a
		// huge --older-than would then select everything.
		if err == nil && n >= 0 && n <= int(math.MaxInt64/(24*time.Hour)) {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("expected a duration such as 7d, 12h or 90m (at most 106751d), got %q", s)
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

// allIfZero is --jobs as xargs -P and GNU parallel read it: 0 means no
// limit, every one of n at once.
func allIfZero(jobs, n int) int {
	if jobs == 0 {
		return n
	}
	return jobs
}

// countFlag is a flag.Value for a whole number, 0 or more (PYFETCH_JOBS's
// rule), so that --jobs -1 is a usage error rather than a silent 1.
type countFlag struct{ n *int }

func (f countFlag) String() string {
	if f.n == nil {
		return "0"
	}
	return strconv.Itoa(*f.n)
}

func (f countFlag) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return errors.New("expected a whole number, 0 or more")
	}
	*f.n = n
	return nil
}

// session wires the parts for one command from its options.
func (a *app) session(h homeOpts, off offlineOpts, t *trustOpts, sg *signerOpts, fc *fetch.Client) (*session.Session, error) {
	hd, err := h.dirs()
	if err != nil {
		return nil, err
	}
	s := &session.Session{Home: hd, Offline: off.offline, Fetch: fc, Notify: a.warn}
	if t != nil {
		if s.Identity, err = t.identityOverride(); err != nil {
			return nil, err
		}
		if t.trustedRoot != "" {
			// Said now, naming where the value came from, rather than
			// when the root is first needed.
			fi, err := os.Stat(t.trustedRoot)
			if err != nil {
				return nil, fmt.Errorf("%w: --trusted-root (or PYFETCH_TRUSTED_ROOT): %w", errUsage, err)
			}
			// A folder is a mistake; a pipe is not (--trusted-root <(...)).
			if fi.IsDir() {
				return nil, fmt.Errorf("%w: --trusted-root (or PYFETCH_TRUSTED_ROOT): %s is a folder, expected a trusted_root.json file", errUsage, t.trustedRoot)
			}
		}
		s.Root = verify.RootOptions{File: t.trustedRoot, TUFURL: a.getenv("PYFETCH_TUF_URL"), PipeWait: a.pipeWait}
		if s.OpenPGP, err = verify.NewOpenPGP(); err != nil {
			return nil, err
		}
		if t.keyring != "" {
			data, err := safefile.ReadNamed(t.keyring, 1<<20)
			if err != nil {
				return nil, fmt.Errorf("%w: --openpgp-keyring (or PYFETCH_OPENPGP_KEYRING): %w", errUsage, err)
			}
			if err := s.OpenPGP.AddPinnedKeyring(data, releases.OpenPGPFingerprints()); err != nil {
				return nil, fmt.Errorf("--openpgp-keyring %s: %w", textsafe.Escape(t.keyring), err)
			}
		}
	}
	if sg != nil {
		if s.Signers, err = a.signerTable(sg.signersFile); err != nil {
			return nil, err
		}
	}
	ttl, err := parseDuration(a.getenv("PYFETCH_INDEX_TTL"))
	if err == nil {
		s.IndexTTL = ttl // a bad value is reported as a usage error by flagSet
	}
	return s, nil
}

// signerTable is the built-in table plus the signers file, if any; every
// change to the built-in table is reported on stderr.
func (a *app) signerTable(file string) (*releases.Table, error) {
	t := releases.DefaultTable()
	if file == "" {
		return t, nil
	}
	// A file or a pipe (<(...)); a FIFO nobody writes to is not waited on
	// forever.
	f, err := safefile.OpenNamedOrPipe(file, a.pipeWait)
	if err != nil {
		return nil, fmt.Errorf("%w: --signers (or PYFETCH_SIGNERS): %w", errUsage, err)
	}
	defer f.Close()
	notes, err := t.LoadOverrides(f)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errUsage, file, err)
	}
	for _, n := range notes {
		a.warn("note: " + n)
	}
	return t, nil
}

// useMirror sets the session's mirror; an s3:// bucket gets its lister
// and its transport (presigned GETs through fc), from the AWS
// environment.
func (a *app) useMirror(s *session.Session, m releases.Mirror, fc *fetch.Client) error {
	s.Mirror = m
	if origin, user := m.Credentials(); user != nil {
		fc.Auth = map[string]*url.Userinfo{origin: user}
	}
	if !m.IsS3() {
		return nil
	}
	if err := s3mirror.CheckBucket(m); err != nil {
		return err
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.ResponseHeaderTimeout = fc.Timeout
	client, err := s3mirror.NewClient(s3mirror.ConfigFromEnv(a.getenv), base)
	if err != nil {
		return err
	}
	s.Lister = s3mirror.Lister{Client: client, Mirror: m}
	fc.Transport = s3mirror.Transport{Client: client, Base: base}
	return nil
}
