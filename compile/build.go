package compile

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/pyfetch/pyfetch/internal/proc"
)

var (
	// ErrBuild means configure, make or make install failed.
	ErrBuild = errors.New("build failed")
	// ErrToolchain means a C compiler or make is missing.
	ErrToolchain = fmt.Errorf("%w: no C toolchain", ErrBuild)
	// ErrRequiredModule means the built interpreter cannot import ssl or
	// zlib, without which pip and most of Python's ecosystem do not work.
	ErrRequiredModule = fmt.Errorf("%w: a required module is missing", ErrBuild)
)

// Options for Run.
type Options struct {
	// Source is the unpacked source folder (holds ./configure).
	Source string
	// Prefix is the final install prefix, compiled into the interpreter.
	Prefix string
	// Stage is the DESTDIR: the prefix is installed at Stage+Prefix.
	Stage string
	// ConfigureArgs are appended to pyfetch's own configure arguments.
	ConfigureArgs []string
	// Optimize adds --enable-optimizations --with-lto (PGO + LTO).
	Optimize bool
	// FreeThreaded adds --disable-gil (3.13+).
	FreeThreaded bool
	// Jobs is make's -j (default: the number of CPUs).
	Jobs int
	// Log receives configure and make output.
	Log io.Writer
	// Phase, when set, is told when each phase starts: configure,
	// compile, install, checks.
	Phase func(name string)
	// Env is the children's environment (os.Environ when nil).
	Env []string
	// CCache, when set, is the ccache program the compiler runs under,
	// with its cache in CCacheDir (a private folder): a rebuild of the
	// same version compiles in seconds.
	CCache, CCacheDir string
	// ConfigCache, when set, is configure's cache file (--cache-file),
	// holding a previous run's findings when ConfigCacheReused. A
	// configure that fails with a reused cache runs again without it.
	ConfigCache       string
	ConfigCacheReused bool
}

// Result describes a finished build.
type Result struct {
	ConfigureArgs []string `json:"configure_args"`
	Compiler      string   `json:"compiler"`
	MakeJobs      int      `json:"make_jobs"`
	Seconds       float64  `json:"build_seconds"`
	// Missing lists the optional modules the interpreter cannot import.
	Missing []string `json:"missing_modules"`
	// Python is the staged interpreter (Stage+Prefix/bin/python3).
	Python string `json:"-"`
	// CCache says the compiler ran under ccache; ConfigureCache whether
	// configure reused a cache of its findings ("reused"), wrote a new
	// one ("written") or ran without ("").
	CCache         bool   `json:"ccache"`
	ConfigureCache string `json:"configure_cache,omitempty"`
}

// Run configures, compiles and installs the source into Stage, then
// checks the staged interpreter and adds the python and pip links.
func Run(ctx context.Context, o Options) (*Result, error) {
	start := time.Now()
	if o.Jobs <= 0 {
		o.Jobs = runtime.NumCPU()
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if err := CheckConfigureArgs(o.ConfigureArgs, o.FreeThreaded); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBuild, err)
	}
	args := ConfigureArgs(o)
	res := &Result{ConfigureArgs: args, MakeJobs: o.Jobs, Compiler: CompilerVersion(ctx)}
	phase := func(name string) {
		if o.Phase != nil {
			o.Phase(name)
		}
		fmt.Fprintf(o.Log, "\n=== pyfetch: %s (%s) ===\n", name, time.Now().UTC().Format(time.RFC3339))
	}
	if o.Env == nil {
		o.Env = os.Environ()
	}
	if o.CCache != "" {
		cc := envValue(o.Env, "CC")
		if cc == "" {
			cc = "cc"
		}
		// Paths under the (temporary) source folder are hashed relative
		// to it, and the working folder not at all: a build in another
		// temp folder hits the same entries.
		o.Env = append(o.Env, "CC="+o.CCache+" "+cc, "CCACHE_DIR="+o.CCacheDir, "CCACHE_BASEDIR="+o.Source, "CCACHE_NOHASHDIR=1")
		res.CCache = true
	}
	phase("configure")
	cargs := args
	if o.ConfigCache != "" {
		cargs = append(slices.Clone(args), "--cache-file="+o.ConfigCache)
		res.ConfigureCache = "written"
		if o.ConfigCacheReused {
			res.ConfigureCache = "reused"
		}
	}
	err := o.run(ctx, "./configure", cargs...)
	if err != nil && o.ConfigCacheReused && ctx.Err() == nil {
		// A cache that no longer fits (the system changed under the
		// same key): once more, from nothing.
		fmt.Fprintf(o.Log, "\n=== pyfetch: configure failed with its reused cache; running it again without ===\n")
		if terr := os.Truncate(o.ConfigCache, 0); terr == nil {
			res.ConfigureCache = "written"
			err = o.run(ctx, "./configure", cargs...)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: configure: %w", ErrBuild, err)
	}
	// CPython 3.11+ configure decides which extension modules it can
	// build and writes its verdicts into the Makefile: a required one it
	// cannot build fails now, not after minutes of compiling.
	if req := requiredNotConfigured(filepath.Join(o.Source, "Makefile")); len(req) > 0 {
		return nil, fmt.Errorf("%w: configure found nothing to build %s with, so the new interpreter could not import it\n%s", ErrRequiredModule, strings.Join(req, " or "), Advice(req, ReadOSRelease()))
	}
	phase("compile")
	if err := o.run(ctx, "make", fmt.Sprintf("-j%d", o.Jobs)); err != nil {
		return nil, fmt.Errorf("%w: make: %w", ErrBuild, err)
	}
	phase("install")
	if err := o.run(ctx, "make", "install", "DESTDIR="+o.Stage); err != nil {
		return nil, fmt.Errorf("%w: make install: %w", ErrBuild, err)
	}
	staged := filepath.Join(o.Stage, o.Prefix)
	res.Python = filepath.Join(staged, "bin", "python3")
	if err := addLinks(filepath.Join(staged, "bin")); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBuild, err)
	}
	phase("checks")
	missing, err := Check(ctx, res.Python, staged, o.Env)
	if err != nil {
		return nil, err
	}
	res.Missing = missing
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// ConfigureArgs is the full configure command line pyfetch uses.
func ConfigureArgs(o Options) []string {
	args := []string{"--prefix=" + o.Prefix}
	if o.Optimize {
		args = append(args, "--enable-optimizations", "--with-lto")
	}
	if o.FreeThreaded {
		args = append(args, "--disable-gil")
	}
	return append(args, o.ConfigureArgs...)
}

// run runs one build command in Source, in its own process group, with
// its output in the log. A cancelled ctx kills the whole group, and run
// returns only once it is gone; if pyfetch itself is killed, the group
// dies with it (Linux; see internal/proc).
func (o Options) run(ctx context.Context, name string, args ...string) error {
	cmd := proc.Command(name, args...)
	cmd.Dir = o.Source
	cmd.Env = o.Env
	cmd.Stdout, cmd.Stderr = o.Log, o.Log
	return proc.Run(ctx, cmd)
}

// addLinks adds python → python3 and pip → pip3, as setup-python and uv
// give them, when make install did not.
func addLinks(bin string) error {
	for link, target := range map[string]string{"python": "python3", "pip": "pip3"} {
		if _, err := os.Lstat(filepath.Join(bin, target)); err != nil {
			continue
		}
		if _, err := os.Lstat(filepath.Join(bin, link)); err == nil {
			continue
		}
		if err := os.Symlink(target, filepath.Join(bin, link)); err != nil {
			return err
		}
	}
	return nil
}

// Module is an optional extension module and what brings it.
type Module struct {
	Import string // the module to import
	// Packages per platform: the development packages that make the
	// build include it.
	Debian, Fedora, Alpine, Homebrew string
}

// Required modules: a build without them fails.
var Required = []Module{
	{"ssl", "libssl-dev", "openssl-devel", "openssl-dev", "openssl@3"},
	{"zlib", "zlib1g-dev", "zlib-devel", "zlib-dev", "zlib"},
}

// Optional modules: reported when missing, recorded in the receipt.
var Optional = []Module{
	{"sqlite3", "libsqlite3-dev", "sqlite-devel", "sqlite-dev", "sqlite"},
	{"ctypes", "libffi-dev", "libffi-devel", "libffi-dev", "libffi"},
	{"bz2", "libbz2-dev", "bzip2-devel", "bzip2-dev", "bzip2"},
	{"lzma", "liblzma-dev", "xz-devel", "xz-dev", "xz"},
	{"readline", "libreadline-dev", "readline-devel", "readline-dev", "readline"},
	{"curses", "libncurses-dev", "ncurses-devel", "ncurses-dev", "ncurses"},
	{"uuid", "uuid-dev", "libuuid-devel", "util-linux-dev", "ossp-uuid"},
	{"dbm.gnu", "libgdbm-dev", "gdbm-devel", "gdbm-dev", "gdbm"},
	{"tkinter", "tk-dev", "tk-devel", "tk-dev", "tcl-tk"},
}

// checkScript imports every module and prints one JSON line: the prefix
// the interpreter computed and the modules that failed to import.
const checkScript = `import importlib, json, sys
missing = []
for m in sys.argv[1:]:
    try:
        importlib.import_module(m)
    except Exception:
        missing.append(m)
print(json.dumps({"prefix": sys.prefix, "missing": missing}))
`

// Check runs the staged interpreter (PYTHONHOME pointing at the staged
// prefix) and returns the optional modules it cannot import; a missing
// required module is ErrRequiredModule.
func Check(ctx context.Context, python, home string, env []string) (missing []string, err error) {
	var names []string
	for _, m := range append(append([]Module{}, Required...), Optional...) {
		names = append(names, m.Import)
	}
	cmd := exec.CommandContext(ctx, python, append([]string{"-c", checkScript}, names...)...)
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append(env, "PYTHONHOME="+home, "PYTHONNOUSERSITE=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%w: the new interpreter does not run: %v: %s", ErrBuild, err, lastLine(errb.String()))
	}
	var doc struct {
		Missing []string `json:"missing"`
	}
	if err := json.Unmarshal(lastLineBytes(out.Bytes()), &doc); err != nil {
		return nil, fmt.Errorf("%w: the new interpreter's check printed %q", ErrBuild, lastLine(out.String()))
	}
	var req []string
	for _, m := range doc.Missing {
		for _, r := range Required {
			if r.Import == m {
				req = append(req, m)
			}
		}
	}
	if len(req) > 0 {
		return doc.Missing, fmt.Errorf("%w: the new interpreter cannot import %s\n%s", ErrRequiredModule, strings.Join(req, ", "), Advice(req, ReadOSRelease()))
	}
	var opt []string
	for _, m := range doc.Missing {
		if !isRequired(m) {
			opt = append(opt, m)
		}
	}
	return opt, nil
}

// moduleStates maps configure's Makefile variables to required modules.
var moduleStates = map[string]string{"MODULE__SSL_STATE": "ssl", "MODULE_ZLIB_STATE": "zlib"}

// requiredNotConfigured reads the Makefile configure wrote and returns
// the required modules whose state is set to anything but "yes"
// (missing, disabled, n/a). A Makefile without these variables (CPython
// before 3.11) says nothing; the checks after the build still run.
func requiredNotConfigured(makefile string) []string {
	data, err := os.ReadFile(makefile)
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if m, known := moduleStates[k]; ok && known && strings.TrimSpace(v) != "yes" && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	slices.Sort(out)
	return out
}

func isRequired(m string) bool {
	for _, r := range Required {
		if r.Import == m {
			return true
		}
	}
	return false
}

// Advice is the one command that installs the packages bringing modules,
// for the platform described by osRelease (from /etc/os-release; empty
// on macOS).
func Advice(modules []string, osRelease map[string]string) string {
	all := append(append([]Module{}, Required...), Optional...)
	kind := Platform(osRelease)
	var pkgs []string
	for _, name := range modules {
		for _, m := range all {
			if m.Import != name {
				continue
			}
			switch kind {
			case "debian":
				pkgs = append(pkgs, m.Debian)
			case "fedora":
				pkgs = append(pkgs, m.Fedora)
			case "alpine":
				pkgs = append(pkgs, m.Alpine)
			case "macos":
				pkgs = append(pkgs, m.Homebrew)
			}
		}
	}
	if len(pkgs) == 0 {
		return "  install the development packages for: " + strings.Join(modules, ", ") + ", then rebuild with --force"
	}
	return "  to fix it, run: " + installCommand(kind, pkgs, isRoot()) + "\n  then rebuild with pyfetch install --build --force"
}

// installCommand is the one line that installs pkgs on a kind of system:
// with sudo unless root (CI containers run as root and often have no
// sudo), and on Debian/Ubuntu after apt-get update (a fresh container
// has no package lists).
func installCommand(kind string, pkgs []string, root bool) string {
	p := strings.Join(pkgs, " ")
	sudo := "sudo "
	if root {
		sudo = ""
	}
	switch kind {
	case "debian":
		return sudo + "apt-get update && " + sudo + "apt-get install -y " + p
	case "fedora":
		return sudo + "dnf install -y " + p
	case "alpine":
		return sudo + "apk add " + p
	case "macos":
		return "brew install " + p
	}
	return p
}

func isRoot() bool { return os.Geteuid() == 0 }

// Platform names the package family of the running system: debian,
// fedora, alpine, macos, or "" when unknown.
func Platform(osRelease map[string]string) string {
	if runtime.GOOS == "darwin" {
		return "macos"
	}
	ids := osRelease["ID"] + " " + osRelease["ID_LIKE"]
	for _, f := range strings.Fields(ids) {
		switch f {
		case "debian", "ubuntu":
			return "debian"
		case "fedora", "rhel", "centos", "rocky", "almalinux":
			return "fedora"
		case "alpine":
			return "alpine"
		}
	}
	return ""
}

// ReadOSRelease parses /etc/os-release (empty when absent).
func ReadOSRelease() map[string]string {
	out := map[string]string{}
	f, err := os.Open("/etc/os-release")
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok {
			out[k] = strings.Trim(v, `"'`)
		}
	}
	return out
}

// Preflight checks for a C compiler and make before anything is
// downloaded; when one is missing it says how to install both.
func Preflight(env []string) error {
	var missing []string
	for _, tool := range []string{"cc", "make"} {
		if _, err := lookPath(tool, env); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	kind := Platform(ReadOSRelease())
	cmd := "install a C compiler (cc) and make"
	switch kind {
	case "debian":
		cmd = installCommand(kind, []string{"build-essential"}, isRoot())
	case "fedora":
		cmd = installCommand(kind, []string{"gcc", "make"}, isRoot())
	case "alpine":
		cmd = installCommand(kind, []string{"build-base"}, isRoot())
	case "macos":
		cmd = "xcode-select --install"
	}
	return fmt.Errorf("%w: %s not found on PATH (expected a C compiler and make to build CPython); to fix it, run: %s", ErrToolchain, strings.Join(missing, " and "), cmd)
}

func lookPath(tool string, env []string) (string, error) {
	path := os.Getenv("PATH")
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, tool)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// CompilerVersion is the first line of `cc --version` ("" if it fails).
func CompilerVersion(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "cc", "--version").Output()
	if err != nil {
		return ""
	}
	return lastLine(strings.SplitN(string(out), "\n", 2)[0])
}

// envValue is name's value in env ("" when unset).
func envValue(env []string, name string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], name+"="); ok {
			return v
		}
	}
	return ""
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func lastLineBytes(b []byte) []byte { return []byte(lastLine(string(b))) }

// Tail returns the last n lines of a log file, for a failed build's
// error; with words (lower case), only the lines holding one of them.
func Tail(path string, n int, words ...string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(words) > 0 {
		lines = slices.DeleteFunc(lines, func(l string) bool {
			l = strings.ToLower(l)
			return !slices.ContainsFunc(words, func(w string) bool { return strings.Contains(l, w) })
		})
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
