package verify

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/internal/scratch"
	"github.com/pyfetch/pyfetch/internal/textsafe"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"
)

// embeddedTrustedRoot is the Sigstore public-good trusted root shipped by
// the npm package @sigstore/tuf@5.0.1 (seeds.json, target
// trusted_root.json, sha256 6494e21e…); it lists Rekor log2025-1 and the
// 2025 CT log, which sigstore-go v1.3.0's own copy lacks. `make
// update-root` refreshes it.
//
//go:embed embedded/trusted_root.json
var embeddedTrustedRoot []byte

// embeddedTUFRoot is TUF root v16 of the public-good repository (same
// package; expires 2027-04-22). sigstore-go v1.3.0 embeds v14, which
// expired on 2026-06-22; starting from v16 keeps the walk short.
//
//go:embed embedded/tuf_root.json
var embeddedTUFRoot []byte

// Where a trusted root came from: the only three sources pyfetch trusts.
// A file's location never makes it trusted: no root is ever read from
// the cache as such.
const (
	SourceFile     = "file"     // the user named it (--trusted-root)
	SourceTUF      = "tuf"      // TUF delivered it, chain checked at use
	SourceEmbedded = "embedded" // the snapshot built into pyfetch
)

// RootOptions says where to find the trusted root.
type RootOptions struct {
	// File, if set, is used exactly (--trusted-root): no TUF, no fallback.
	File string
	// PipeWait bounds the wait for a pipe's writer when File is a FIFO
	// (0: safefile.PipeWait).
	PipeWait time.Duration
	// CacheDir holds the TUF metadata (CacheDir/tuf).
	CacheDir string
	// Offline forbids network access: the cached TUF metadata is checked
	// again from the embedded TUF root without a network (signatures,
	// versions, expiry, and the target's length and hashes); when it does
	// not check out, the embedded trusted root is used.
	Offline bool
	// TUFURL replaces the public-good TUF repository (a private or test
	// repository); its root must chain from the embedded TUF root.
	TUFURL string
	// TUFRoot replaces the embedded TUF root (tests, private instances).
	TUFRoot []byte
	// TUFTimeout bounds the online TUF refresh (default 20s).
	TUFTimeout time.Duration
	// Notify receives a line when pyfetch falls back from TUF.
	Notify func(string)
}

// ErrRootFile: the trusted root file a user named cannot be read as one.
var ErrRootFile = errors.New("not a Sigstore trusted root")

// maxRootBytes caps a trusted root file the user names (the public-good
// one is under 10 KB).
const maxRootBytes = 4 << 20

// readRootFile reads the trusted root the user named: a file, or a pipe
// (--trusted-root <(...)); a FIFO nobody writes to is not waited on
// forever.
func readRootFile(path string, wait time.Duration) (*root.TrustedRoot, error) {
	f, err := safefile.OpenNamedOrPipe(path, wait)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRootBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxRootBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxRootBytes)
	}
	if len(data) == 0 {
		return nil, errors.New("it is empty")
	}
	return root.NewTrustedRootFromJSON(data)
}

// LoadTrustedRoot returns the trusted root to verify against and where it
// came from (one of the Source constants).
func LoadTrustedRoot(ctx context.Context, o RootOptions) (*root.TrustedRoot, string, error) {
	if o.File != "" {
		tr, err := readRootFile(o.File, o.PipeWait)
		if err != nil {
			return nil, "", fmt.Errorf("%w: %s: %v (expected a Sigstore trusted_root.json, as cosign's --trusted-root reads)", ErrRootFile, textsafe.Escape(o.File), oneLine(err))
		}
		return tr, SourceFile, nil
	}
	// Offline with no TUF metadata cached there is nothing to check: the
	// embedded root is the answer, without a warning.
	if o.CacheDir != "" && (!o.Offline || hasTUFCache(o.CacheDir)) {
		data, err := fetchTUF(ctx, o)
		if err == nil {
			tr, perr := ParseTrustedRoot(data)
			if perr == nil {
				return tr, SourceTUF, nil
			}
			err = perr
		}
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		if o.Notify != nil {
			how := "refresh the Sigstore trusted root through TUF"
			if o.Offline {
				how = "use the cached TUF metadata offline"
			}
			// One short line: the cause can be a page of go-tuf text.
			o.Notify(fmt.Sprintf("warning: could not %s (%s); using the trusted root embedded in pyfetch", how, textsafe.Short(oneLine(err), 100)))
		}
	}
	tr, err := EmbeddedTrustedRoot()
	return tr, SourceEmbedded, err
}

// ParseTrustedRoot parses trusted_root.json content.
func ParseTrustedRoot(data []byte) (*root.TrustedRoot, error) {
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("trusted root: %v", oneLine(err))
	}
	return tr, nil
}

// EmbeddedTrustedRoot parses the snapshot built into pyfetch.
func EmbeddedTrustedRoot() (*root.TrustedRoot, error) {
	tr, err := ParseTrustedRoot(embeddedTrustedRoot)
	if err != nil {
		return nil, fmt.Errorf("embedded %w", err)
	}
	return tr, nil
}

func fetchTUF(ctx context.Context, o RootOptions) ([]byte, error) {
	timeout := o.TUFTimeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	opts := tuf.DefaultOptions()
	opts.Root = embeddedTUFRoot
	if o.TUFRoot != nil {
		opts.Root = o.TUFRoot
	}
	tufDir := filepath.Join(o.CacheDir, "tuf")
	cleanup := func() {}
	if err := privateTUFCache(o.CacheDir, tufDir); err != nil {
		if !errors.Is(err, safefile.ErrSharedDir) {
			return nil, err
		}
		// go-tuf reads and writes its cache by plain paths: another user
		// who may change these folders could swap a file between the
		// clean-up and go-tuf's use. Such a cache is not used at all.
		if o.Offline {
			return nil, fmt.Errorf("the TUF cache is not used: %w", err)
		}
		// (go-tuf's DisableLocalCache would still read metadata from a
		// path relative to the working folder: a fresh private folder it
		// is, removed once go-tuf is done with it.)
		tmp, terr := scratch.Dir("pyfetch-tuf-")
		if terr != nil {
			return nil, terr
		}
		cleanup = func() { os.RemoveAll(tmp) }
		opts.CachePath = tmp
		if o.Notify != nil {
			o.Notify(fmt.Sprintf("note: the TUF cache is not used (%s); the TUF metadata is fetched afresh into a private temp folder", oneLine(err)))
		}
	} else {
		opts.CachePath = tufDir
	}
	// Refresh the TUF metadata at most daily: an install should not pay a
	// round trip to the TUF CDN every time (go-tuf still refreshes early
	// when the cached metadata has expired).
	opts.CacheValidity = 1
	opts.Context = ctx
	if o.TUFURL != "" {
		opts.RepositoryBaseURL = o.TUFURL
	}
	if o.Offline {
		// Use the cached metadata as long as it verifies from the TUF
		// root and has not expired; any attempt to refresh fails at once.
		opts.ForceCache = true
		opts.Fetcher = offlineFetcher{}
	}
	type answer struct {
		data []byte
		err  error
	}
	ch := make(chan answer, 1)
	// go-tuf's fetcher takes no context for every request; run it aside so
	// a hung network cannot outlive the timeout.
	go func() {
		defer cleanup()
		c, err := tuf.New(opts)
		if err != nil {
			ch <- answer{nil, err}
			return
		}
		data, err := c.GetTarget("trusted_root.json")
		ch <- answer{data, err}
	}()
	select {
	case a := <-ch:
		return a.data, a.err
	case <-ctx.Done():
		return nil, errors.New("timed out")
	}
}

func hasTUFCache(cacheDir string) bool {
	fi, err := os.Lstat(filepath.Join(cacheDir, "tuf"))
	return err == nil && fi.IsDir()
}

// offlineFetcher refuses every download: offline TUF use may only verify
// what is cached.
type offlineFetcher struct{}

func (offlineFetcher) DownloadFile(urlPath string, _ int64, _ time.Duration) ([]byte, error) {
	return nil, fmt.Errorf("offline: not downloading %s", urlPath)
}

// privateTUFCache checks that the cache folder is this user's alone
// (ErrSharedDir otherwise; it is created if missing) and scrubs the TUF
// cache in it.
func privateTUFCache(cacheDir, tufDir string) error {
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return err
	}
	if err := safefile.CheckPrivateDir(cacheDir); err != nil {
		return err
	}
	return scrubTUFCache(tufDir)
}

// scrubTUFCache makes the TUF cache safe for go-tuf, which reads and
// writes plain paths: a symlink planted as the folder (or anything in
// it) would send metadata writes elsewhere, and a FIFO would hang a read.
// Anything but private folders and private regular files is removed, and
// a cache folder that is itself a symlink is removed (the link only) and
// started afresh; what cannot be removed makes it ErrSharedDir. TUF
// re-verifies whatever remains.
func scrubTUFCache(dir string) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		if err := os.Remove(dir); err != nil {
			return fmt.Errorf("TUF cache %s is not a folder and cannot be removed: %w", dir, err)
		}
		return nil
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() { // WalkDir reports symlinks as such, never as dirs
			perr := safefile.CheckPrivateDir(p)
			if perr == nil {
				return nil
			}
			if err := os.RemoveAll(p); err != nil {
				return fmt.Errorf("%w; removing it: %v", perr, err)
			}
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if safefile.CheckInfo(info) != nil {
			return os.Remove(p)
		}
		return nil
	})
}

// Load returns the Verifier for the trusted root o asks for, with the
// root and where it came from. SCTs are required, except for a trusted
// root the user named (o.File) that lists no CT log at all (a private
// Sigstore instance, whose certificates cannot carry SCTs): the user
// chose that root, and the weakening is said through o.Notify every time,
// never silently. The public-good root (TUF or embedded) lists CT logs:
// SCTs are always required with it.
func Load(ctx context.Context, o RootOptions) (*Verifier, *root.TrustedRoot, string, error) {
	tr, src, err := LoadTrustedRoot(ctx, o)
	if err != nil {
		return nil, nil, "", err
	}
	var opts []Option
	if src == SourceFile && len(tr.CTLogs()) == 0 {
		opts = append(opts, WithoutSCTsUnsafe())
		if o.Notify != nil {
			o.Notify(fmt.Sprintf("note: the trusted root %s lists no CT log, so certificates are checked without SCTs (a private Sigstore instance)", o.File))
		}
	}
	v, err := NewVerifier(tr, opts...)
	return v, tr, src, err
}
