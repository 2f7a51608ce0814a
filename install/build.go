package install

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/pyfetch/pyfetch/compile"
	"github.com/pyfetch/pyfetch/extract"
	"github.com/pyfetch/pyfetch/internal/atomicdir"
	"github.com/pyfetch/pyfetch/internal/atomicfile"
	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/provenance"
	"github.com/pyfetch/pyfetch/releases"
)

// ErrBuildFailed wraps a failed build with the tail of its log.
var ErrBuildFailed = compile.ErrBuild

// buildInto unpacks the verified source into a private build folder
// (never into versions/), builds it with the final prefix, stages it with
// DESTDIR, and moves the staged prefix into tmp (the install's temp
// folder beside versions/<name>). The build folder goes afterwards, the
// source too unless KeepSource.
func buildInto(ctx context.Context, src io.Reader, art releases.Artifact, name string, tmp *atomicdir.Dir, rc *Receipt, o *Options) (err error) {
	// The build runs by path (configure, make): nobody else may be able
	// to change the folder it runs in. Logs may live in a shared cache:
	// each is a new file (O_EXCL) written through its descriptor, so only
	// a symlinked logs folder is refused.
	for _, d := range []string{o.Home.BuildRoot(), o.Home.LogDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := safefile.CheckPrivateDir(o.Home.BuildRoot()); err != nil {
		return fmt.Errorf("build folder: %w", err)
	}
	if err := safefile.IsPlainDir(o.Home.LogDir()); err != nil {
		return fmt.Errorf("logs folder: %w", err)
	}
	work, err := os.MkdirTemp(o.Home.BuildRoot(), atomicdir.TempPrefix+name+"-")
	if err != nil {
		return err
	}
	source, stage := filepath.Join(work, "src"), filepath.Join(work, "stage")
	defer func() {
		if o.Build.KeepSource && err == nil {
			kept := filepath.Join(o.Home.BuildRoot(), name+"-src")
			os.RemoveAll(kept)
			if rerr := os.Rename(source, kept); rerr == nil {
				o.notify("kept the source in %s", kept)
			}
		}
		os.RemoveAll(work)
	}()
	for _, d := range []string{source, stage} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return err
		}
	}
	if _, err := extract.Extract(ctx, src, source, extract.Options{Compression: extract.Compression(art.Format.Compression()), StripPrefix: art.TopDir(), Verified: true}); err != nil {
		return err
	}
	// A new file each build (O_EXCL, random suffix): two builds in one
	// second, or a planted file, never share or follow a log.
	logf, err := os.CreateTemp(o.Home.LogDir(), fmt.Sprintf("build-%s-%s-*.log", name, time.Now().UTC().Format("20060102T150405Z")))
	if err != nil {
		return err
	}
	defer logf.Close()
	logPath := logf.Name()
	prefix := o.Home.VersionDir(name)
	if !filepath.IsAbs(prefix) {
		if prefix, err = filepath.Abs(prefix); err != nil {
			return err
		}
	}
	if o.Build.Phase != nil {
		defer o.Build.Phase(name, "")
	}
	if g := o.Build.Gate; g != nil {
		select {
		case g <- struct{}{}:
		default:
			if o.Build.Phase != nil {
				o.Build.Phase(name, "waiting for another build to finish")
			}
			select {
			case g <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		defer func() { <-g }()
	}
	copts, saveConfig, err := buildCaches(ctx, o, source, work, rc.SHA256, prefix)
	if err != nil {
		return err
	}
	res, err := compile.Run(ctx, compile.Options{
		CCache:            copts.CCache,
		CCacheDir:         copts.CCacheDir,
		ConfigCache:       copts.ConfigCache,
		ConfigCacheReused: copts.ConfigCacheReused,
		Source:            source,
		Prefix:            prefix,
		Stage:             stage,
		ConfigureArgs:     o.Build.ConfigureArgs,
		Optimize:          o.Build.Optimize,
		FreeThreaded:      o.Build.FreeThreaded,
		Jobs:              o.Build.Jobs,
		Log:               logf,
		Phase: func(p string) {
			if o.Build.Phase != nil {
				o.Build.Phase(name, p)
			}
		},
	})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		if errors.Is(err, compile.ErrRequiredModule) {
			// The tail of make install says nothing of it; configure's
			// findings about the required modules do.
			return fmt.Errorf("%w\n--- what configure found (from %s) ---\n%s\n--- full log: %s", err, logPath, compile.Tail(logPath, 20, "ssl", "zlib"), logPath)
		}
		return fmt.Errorf("%w\n--- last lines of %s ---\n%s\n--- full log: %s", err, logPath, compile.Tail(logPath, 30), logPath)
	}
	// Kept whatever optional modules the build lacks: installing their
	// -dev packages changes the key (the system folders' times).
	saveConfig()
	// The staged prefix becomes the (empty) temp folder in one rename,
	// then the usual atomic commit.
	if err := tmp.Fill(filepath.Join(stage, prefix)); err != nil {
		return err
	}
	rc.Kind = KindBuild
	if res.Missing == nil {
		res.Missing = []string{} // "missing_modules": [] rather than null
	}
	opts := &provenance.Options{ConfigureArgs: o.Build.ConfigureArgs, Optimize: o.Build.Optimize, FreeThreaded: o.Build.FreeThreaded}
	if opts.ConfigureArgs == nil {
		opts.ConfigureArgs = []string{}
	}
	rc.Build = &BuildInfo{Result: *res, Log: logPath, CacheKey: cacheKey(name, rc.SHA256, res), Options: opts}
	if len(res.Missing) > 0 {
		o.notify("note: %s was built without %s\n%s", name, strings.Join(res.Missing, ", "), compile.Advice(res.Missing, compile.ReadOSRelease()))
	}
	return nil
}

func cacheKey(name, sourceSHA string, res *compile.Result) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%s/%s\n%s\n", name, sourceSHA, strings.Join(res.ConfigureArgs, " "), runtime.GOOS, runtime.GOARCH, res.Compiler)
	return "pyfetch-" + name + "-" + hex.EncodeToString(h.Sum(nil))[:16]
}

// PlanCacheKey is the cache key a build of v with b will have (the one its
// receipt records), known before building: from the verified source's
// SHA-256 (obtained through the store, so the later build finds it
// cached), the configure arguments and the compiler's version. A CI cache
// step keys on it before the step that builds.
func PlanCacheKey(ctx context.Context, v releases.Version, b *BuildOptions, o Options) (string, error) {
	if b == nil {
		b = &BuildOptions{}
	}
	o.Build = b
	dist := o.distribution()
	if err := dist.Check(v); err != nil {
		return "", err
	}
	name := dist.Name(v).String()
	_, got, err := o.ObtainFormat(ctx, v, o.Format, o.AnyFormat)
	if err != nil {
		return "", err
	}
	got.File.Close()
	prefix, err := filepath.Abs(o.Home.VersionDir(name))
	if err != nil {
		return "", err
	}
	args := compile.ConfigureArgs(compile.Options{Prefix: prefix, ConfigureArgs: b.ConfigureArgs, Optimize: b.Optimize, FreeThreaded: b.FreeThreaded})
	return cacheKey(name, got.Result.SHA256, &compile.Result{ConfigureArgs: args, Compiler: compile.CompilerVersion(ctx)}), nil
}

// buildCaches prepares what makes a rebuild fast: ccache in a private
// cache/ccache, and configure's cache file copied from
// cache/configure/KEY.cache when one was kept for this exact key. It
// returns the compile options for them and the function that keeps the
// cache file after a good build. configure sources its cache file as
// shell: only a file you own that nobody else may write is reused.
func buildCaches(ctx context.Context, o *Options, source, work, sourceSHA, prefix string) (compile.Options, func(), error) {
	var c compile.Options
	save := func() {}
	if o.Build.CCache != "" {
		dir := filepath.Join(o.Home.CacheRoot(), "ccache")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return c, save, err
		}
		if err := safefile.CheckPrivateDir(dir); err != nil {
			// Objects others could plant would end up in the interpreter.
			o.notify("warning: not using ccache: %v", err)
		} else {
			c.CCache, c.CCacheDir = o.Build.CCache, dir
		}
	}
	if !o.Build.ConfigureCache {
		return c, save, nil
	}
	dir := filepath.Join(o.Home.CacheRoot(), "configure")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return c, save, err
	}
	if err := safefile.CheckPrivateDir(dir); err != nil {
		o.notify("warning: not using a configure cache: %v", err)
		return c, save, nil
	}
	args := compile.ConfigureArgs(compile.Options{Prefix: prefix, ConfigureArgs: o.Build.ConfigureArgs, Optimize: o.Build.Optimize, FreeThreaded: o.Build.FreeThreaded})
	key := configureKey(ctx, sourceSHA, args, c.CCache != "")
	kept := filepath.Join(dir, key+".cache")
	c.ConfigCache = filepath.Join(work, "config.cache")
	if data, err := safefile.ReadFile(kept, 16<<20); err == nil {
		if err := os.WriteFile(c.ConfigCache, data, 0o600); err != nil {
			return c, save, err
		}
		c.ConfigCacheReused = true
	} else if !errors.Is(err, fs.ErrNotExist) {
		o.notify("warning: not reusing the configure cache %s: %v", kept, err)
	}
	save = func() {
		if data, err := os.ReadFile(c.ConfigCache); err == nil && len(data) > 0 {
			if err := atomicfile.WriteFile(kept, data, 0o600); err != nil {
				o.notify("warning: could not keep the configure cache: %v", err)
			}
		}
	}
	return c, save, nil
}

// configureKey hashes everything configure's findings depend on: the
// source (each release's configure differs), the configure arguments,
// the compiler and its version, ccache, the platform, the environment
// configure reads, and when the system's headers and libraries last
// changed (installing libssl-dev changes the key).
func configureKey(ctx context.Context, sourceSHA string, args []string, ccache bool) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%q\n%s\n%t\n%s/%s\n", sourceSHA, args, compile.CompilerVersion(ctx), ccache, runtime.GOOS, runtime.GOARCH)
	for _, v := range []string{"CC", "CFLAGS", "CPPFLAGS", "LDFLAGS", "LIBS", "CPP", "PKG_CONFIG", "PKG_CONFIG_PATH", "PATH"} {
		fmt.Fprintf(h, "%s=%s\n", v, os.Getenv(v))
	}
	dirs := []string{"/usr/include", "/usr/local/include", "/usr/lib", "/usr/lib64", "/usr/local/lib", "/usr/lib/pkgconfig", "/usr/share/pkgconfig", "/opt/homebrew/lib", "/opt/homebrew/include"}
	if multi, _ := filepath.Glob("/usr/lib/*-linux-gnu*"); len(multi) > 0 {
		for _, m := range multi {
			dirs = append(dirs, m, filepath.Join(m, "pkgconfig"))
		}
	}
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil {
			fmt.Fprintf(h, "%s %d\n", d, fi.ModTime().UnixNano())
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:24]
}
