package install

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/pyfetch/pyfetch/extract"
	"github.com/pyfetch/pyfetch/fetch"
	"github.com/pyfetch/pyfetch/internal/atomicfile"
	"github.com/pyfetch/pyfetch/internal/lock"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/verify"
	"github.com/sigstore/sigstore-go/pkg/bundle"
)

// ErrCacheTampered means a cached artifact no longer matches its verified
// bundle. Online installs replace it; offline installs refuse.
var ErrCacheTampered = fmt.Errorf("%w: cached artifact changed on disk", verify.ErrDigest)

// Options configure Install. Home and Mirror are required, and Verifier
// or Trust.
type Options struct {
	Home     Home
	Mirror   string
	Format   releases.Format
	Offline  bool
	Force    bool
	Identity *verify.Identity // overrides the signer table when set
	Signers  *releases.Table  // nil means the built-in table
	Fetch    *fetch.Client
	Verifier *verify.Verifier
	// RootSource names the trusted root in use, for the receipt.
	RootSource string
	// Trust, when Verifier is nil, builds the verifier on first need and
	// returns it with its RootSource: an install that finds the version
	// already there never loads a trusted root (no TUF round trip).
	Trust func() (*verify.Verifier, string, error)
	// Notify receives diagnostics (stderr in the CLI).
	Notify func(string)
	// Now is the clock for receipts (time.Now when nil).
	Now func() time.Time
}

// verifier returns Verifier, or asks Trust for it once.
func (o *Options) verifier() (*verify.Verifier, error) {
	if o.Verifier != nil {
		return o.Verifier, nil
	}
	if o.Trust == nil {
		return nil, errors.New("install: no verifier configured")
	}
	v, src, err := o.Trust()
	if err != nil {
		return nil, err
	}
	o.Verifier, o.RootSource = v, src
	return v, nil
}

func (o *Options) notify(format string, args ...any) {
	if o.Notify != nil {
		o.Notify(fmt.Sprintf(format, args...))
	}
}

// Outcome is what Install did.
type Outcome struct {
	Dir              string   `json:"path"`
	Receipt          *Receipt `json:"receipt"`
	AlreadyInstalled bool     `json:"already_installed"`
	Downloaded       bool     `json:"downloaded"`
}

// Identity returns the signer expected for artifact (a file name) of v:
// the override if given, else the signer table (built-in when nil).
func Identity(v releases.Version, artifact string, override *verify.Identity, table *releases.Table) (verify.Identity, error) {
	if override != nil {
		return *override, nil
	}
	if table == nil {
		table = releases.DefaultTable()
	}
	s, err := table.SignerFor(v, artifact)
	if err != nil {
		return verify.Identity{}, err
	}
	return verify.Identity{SAN: s.Identity, Issuer: s.Issuer}, nil
}

// Install makes version v available under Home's versions dir, in this
// fixed order: bundle → artifact (download → hash → verify, or re-hash a
// cached copy → verify) → unpack into a temp dir → rename. Nothing is
// unpacked before verification succeeded.
func Install(ctx context.Context, v releases.Version, o Options) (*Outcome, error) {
	if o.Format == "" {
		o.Format = releases.DefaultFormat
	}
	art := releases.Artifact{Version: v, Format: o.Format}
	want, err := Identity(v, art.Name(), o.Identity, o.Signers)
	if err != nil {
		return nil, err
	}
	dir := o.Home.VersionDir(v.String())
	if _, err := os.Stat(dir); err == nil && !o.Force {
		return alreadyInstalled(dir)
	}
	if err := os.MkdirAll(o.Home.Versions(), 0o755); err != nil {
		return nil, err
	}
	l, err := lock.Acquire(ctx, filepath.Join(o.Home.Versions(), "."+v.String()+".lock"), func() {
		o.notify("waiting for another pyfetch installing %s", v)
	})
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	// Re-check under the lock: another process may have just finished.
	if _, err := os.Stat(dir); err == nil && !o.Force {
		return alreadyInstalled(dir)
	}
	if err := extract.CleanStale(o.Home.Versions(), v.String()); err != nil {
		o.notify("warning: could not remove a stale temp dir: %v", err)
	}

	f, res, fetched, err := Obtain(ctx, art, want, &o)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	artURL, _ := art.URL(o.Mirror)
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	rc := &Receipt{
		Version:        v.String(),
		Artifact:       art.Name(),
		URL:            artURL,
		SHA256:         res.SHA256,
		Signer:         res.Identity.SAN,
		Issuer:         res.Identity.Issuer,
		LogIndex:       res.LogIndex,
		IntegratedTime: res.IntegratedTime,
		TrustedRoot:    o.RootSource,
		InstalledAt:    now().UTC().Truncate(time.Second),
	}
	_, err = extract.Install(ctx, f, o.Home.Versions(), v.String(), extract.InstallOptions{
		Options:  extract.Options{Compression: compression(o.Format), StripPrefix: art.TopDir()},
		Replace:  o.Force,
		Finalize: func(tmp string) error { return rc.write(tmp) },
	})
	if errors.Is(err, extract.ErrExists) {
		// Cannot happen under the lock unless someone bypassed it; the
		// tree that is there is a complete install either way.
		return alreadyInstalled(dir)
	}
	if err != nil {
		return nil, err
	}
	return &Outcome{Dir: dir, Receipt: rc, Downloaded: fetched}, nil
}

func alreadyInstalled(dir string) (*Outcome, error) {
	rc, err := ReadReceipt(dir)
	if err != nil {
		return nil, fmt.Errorf("%s exists but has no readable pyfetch receipt (remove it or use --force): %w", dir, err)
	}
	return &Outcome{Dir: dir, Receipt: rc, AlreadyInstalled: true}, nil
}

func compression(f releases.Format) extract.Compression {
	if f == releases.TGZ {
		return extract.Gzip
	}
	return extract.XZ
}

// Obtain returns the verified artifact, open at offset 0, from the cache
// or the mirror. The returned file is the very one that was hashed, so a
// later swap of the path cannot slip unverified bytes to the unpacker.
// fetched reports whether it was downloaded now.
func Obtain(ctx context.Context, art releases.Artifact, want verify.Identity, o *Options) (f *os.File, res *verify.Result, fetched bool, err error) {
	cdir := o.Home.CacheDir(art.Dir())
	if err := os.MkdirAll(cdir, 0o755); err != nil {
		return nil, nil, false, err
	}
	// A symlink planted as a cache folder would send writes elsewhere.
	if fi, err := os.Lstat(cdir); err != nil || !fi.IsDir() {
		return nil, nil, false, fmt.Errorf("cache folder %s is not a plain directory (a symlink?); refusing to use it", cdir)
	}
	artPath := filepath.Join(cdir, art.Name())
	l, err := lock.Acquire(ctx, artPath+".lock", func() {
		o.notify("waiting for another pyfetch downloading %s", art.Name())
	})
	if err != nil {
		return nil, nil, false, err
	}
	defer l.Unlock()

	b, bundleData, err := loadBundle(ctx, art, o)
	if err != nil {
		return nil, nil, false, err
	}
	vf, err := o.verifier()
	if err != nil {
		return nil, nil, false, err
	}

	// A cached artifact is re-hashed and re-verified on every use.
	if f, err := os.OpenFile(artPath, os.O_RDONLY|syscall.O_NOFOLLOW, 0); err == nil {
		sum, herr := hashFile(f)
		if herr == nil {
			res, verr := vf.Verify(b, sum, want)
			if verr == nil {
				// mtime records last use, for cache prune --older-than.
				now := time.Now()
				_ = os.Chtimes(artPath, now, now)
				if err := saveBundle(cdir, art, bundleData); err != nil {
					f.Close()
					return nil, nil, false, err
				}
				_, err := f.Seek(0, io.SeekStart)
				return f, res, false, err
			}
			herr = verr
		}
		f.Close()
		if !errors.Is(herr, verify.ErrDigest) {
			return nil, nil, false, fmt.Errorf("cached %s: %w", art.Name(), herr)
		}
		o.notify("SECURITY WARNING: cached %s does not match its signed digest; removing it", artPath)
		os.Remove(artPath)
		if o.Offline && !isFileURL(o.Mirror) {
			return nil, nil, false, fmt.Errorf("%w: %s (offline: cannot fetch a fresh copy): %v", ErrCacheTampered, artPath, herr)
		}
	}

	artURL, err := art.URL(o.Mirror)
	if err != nil {
		return nil, nil, false, err
	}
	if o.Offline && !isFileURL(o.Mirror) {
		return nil, nil, false, fmt.Errorf("%w: offline and %s is not in the cache (run pyfetch fetch %s online first)", fetch.ErrNotFound, artPath, art.Version)
	}
	var vres *verify.Result
	f, _, err = o.Fetch.Download(ctx, artURL, artPath, fetch.DefaultMaxBytes, func(r fetch.Result) error {
		var err error
		vres, err = vf.Verify(b, r.SHA256, want)
		if errors.Is(err, verify.ErrDigest) && fetch.LooksLikeHTML(r.Head) {
			return fmt.Errorf("%w\n  the server returned an HTML page (%d bytes), not %s", err, r.Size, art.Name())
		}
		return err
	})
	if errors.Is(err, fetch.ErrNotFound) {
		return nil, nil, false, fmt.Errorf("%s does not exist on mirror %s (that version or format is not published there): %w", art.Name(), o.Mirror, err)
	}
	if err != nil {
		return nil, nil, false, err
	}
	if err := saveBundle(cdir, art, bundleData); err != nil {
		f.Close()
		return nil, nil, false, err
	}
	// Downloaded, hashed in flight and verified: f is that very file.
	return f, vres, true, nil
}

// loadBundle returns the artifact's bundle: from the mirror when online
// (a bundle is tiny, and the mirror may have re-signed), else from the
// cache.
func loadBundle(ctx context.Context, art releases.Artifact, o *Options) (b *bundle.Bundle, data []byte, err error) {
	cached := filepath.Join(o.Home.CacheDir(art.Dir()), art.BundleName())
	if o.Offline && !isFileURL(o.Mirror) {
		data, err = os.ReadFile(cached)
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("%w: offline and %s is not in the cache (run pyfetch install or fetch online first)", fetch.ErrNotFound, cached)
		}
	} else {
		artURL, uerr := art.URL(o.Mirror)
		if uerr != nil {
			return nil, nil, uerr
		}
		data, err = o.Fetch.Get(ctx, artURL+".sigstore", verify.MaxBundleBytes+1)
		if err != nil && !errors.Is(err, fetch.ErrNotFound) && !errors.Is(err, fetch.ErrTooLarge) && ctx.Err() == nil {
			// The mirror is unreachable: a cached bundle is as good as a
			// fresh one, since it is verified the same way.
			if cachedData, cerr := os.ReadFile(cached); cerr == nil {
				o.notify("warning: %v; using the cached bundle", err)
				data, err = cachedData, nil
			}
		}
		if errors.Is(err, fetch.ErrNotFound) {
			table := o.Signers
			if table == nil {
				table = releases.DefaultTable()
			}
			if why := table.ExplainMissing(art.Version); why != nil {
				return nil, nil, fmt.Errorf("%w; the mirror has no %s.sigstore either", why, art.Name())
			}
			err = fmt.Errorf("%w: no Sigstore bundle for %s on this mirror (%s.sigstore); refusing to install unverified", fetch.ErrNotFound, art.Name(), artURL)
		} else if errors.Is(err, fetch.ErrTooLarge) {
			err = fmt.Errorf("%w: %v", verify.ErrBundle, err)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	b, err = verify.ParseBundle(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", art.BundleName(), err)
	}
	return b, data, nil
}

func saveBundle(cdir string, art releases.Artifact, data []byte) error {
	path := filepath.Join(cdir, art.BundleName())
	if old, err := os.ReadFile(path); err == nil && string(old) == string(data) {
		return nil
	}
	return atomicfile.WriteFile(path, data, 0o644)
}

// hashWriter passes bytes on to w while hashing them.
type hashWriter struct {
	w io.Writer
	h hash.Hash
}

func newHashWriter(w io.Writer) *hashWriter { return &hashWriter{w: w, h: sha256.New()} }

func (hw *hashWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	return n, err
}

// Sum is the SHA-256 of everything written so far.
func (hw *hashWriter) Sum() []byte { return hw.h.Sum(nil) }

func hashFile(f *os.File) ([]byte, error) {
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

func isFileURL(s string) bool {
	u, err := releases.ParseMirror(s)
	return err == nil && u.Scheme == "file"
}
