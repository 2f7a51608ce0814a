package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pyfetch/pyfetch/extract"
	"github.com/pyfetch/pyfetch/fetch"
	"github.com/pyfetch/pyfetch/internal/atomicfile"
	"github.com/pyfetch/pyfetch/internal/digest"
	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/verify"
)

// errForeignStays: a cached file another user could write cannot be
// removed (their file in a sticky folder).
var errForeignStays = errors.New("foreign cached file stays")

var (
	// ErrCacheTampered means a cached artifact no longer matches its
	// verified bundle. Online installs replace it; offline installs refuse.
	ErrCacheTampered = fmt.Errorf("%w: cached artifact changed on disk", verify.ErrDigest)
	// ErrCacheUntrusted means a cached file is not one pyfetch can trust
	// (a symlink, hard link, FIFO, or a file another user owns or may
	// write). Online installs download a private copy; offline installs
	// refuse.
	ErrCacheUntrusted = fmt.Errorf("%w: cached file not trusted", verify.ErrVerification)
)

// Obtained is a verified artifact, open at offset 0. File is the very
// file that was hashed, and only its owner can write it, so the bytes
// unpacked are the bytes verified.
type Obtained struct {
	File   *os.File
	Result *verify.Result
	// Downloaded reports a download now, as opposed to a cache hit.
	Downloaded bool
	// From is where the bytes came from: the artifact's URL, or the
	// cache path for a cache hit.
	From string
	// RootSource is where the trusted root came from (verify.Source*).
	RootSource string
}

// Obtain returns the verified artifact from the cache or the mirror, in
// this order: bundle → (cached artifact: checked to be a private regular
// file, re-hashed, verified; or download: hashed in flight, verified) →
// the release check (the tarball's top folder names the version it is
// served as). The caller closes File.
func (s *Store) Obtain(ctx context.Context, art releases.Artifact, want verify.Expect) (*Obtained, error) {
	cdir := s.Home.CacheDir(art.Dir())
	artPath := filepath.Join(cdir, art.Name())
	// While the signature is fetched, a cached artifact is already being
	// hashed (read only: nothing is made, locked or removed yet).
	ahead := startHashAhead(ctx, artPath)
	defer ahead.close()
	// The signature first, before any folder or lock file is made: a
	// version the mirror does not have leaves nothing behind.
	scheme, sig, bundleData, err := s.signature(ctx, art, want)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cdir, 0o755); err != nil {
		return nil, err
	}
	// A symlink planted as a cache folder would send writes elsewhere.
	if err := safefile.IsPlainDir(cdir); err != nil {
		return nil, fmt.Errorf("cache folder %s is not a plain directory (a symlink?); refusing to use it: %w", cdir, err)
	}
	l, err := s.Home.Lock(ctx, artPath+".lock", "downloading "+art.Name(), s.Notify)
	if err != nil {
		return nil, err
	}
	defer l.Unlock()

	rootSource := verify.SchemeOpenPGP // keys embedded or named, pinned by fingerprint
	if _, ok := scheme.(verify.Sigstore); ok {
		vf, src, err := s.trust()
		if err != nil {
			return nil, err
		}
		scheme, rootSource = verify.Sigstore{V: vf}, src
	}
	offline := s.Offline && !s.Local()

	// A cached artifact is re-checked, re-hashed and re-verified on every use.
	got, err := s.useCached(ctx, art, artPath, sig, want, scheme, ahead)
	dst, transient := artPath, false
	if errors.Is(err, errForeignStays) {
		// Download to a name only this user writes, and unlink it once
		// open: the descriptor is the private copy, and nothing is left.
		dst, transient, err = filepath.Join(cdir, fmt.Sprintf(".private-uid%d-%s", os.Geteuid(), art.Name())), true, nil
	}
	if err != nil {
		return nil, err
	}
	if got != nil {
		if err := saveSidecar(cdir, scheme.Sidecar(art.Name()), bundleData); err != nil {
			got.File.Close()
			return nil, err
		}
		got.RootSource = rootSource
		return got, nil
	}

	artURL := art.URL(s.Mirror)
	if offline {
		return nil, fmt.Errorf("%w: offline and %s is not in the cache (run pyfetch fetch %s online first)", fetch.ErrNotFound, artPath, art.Version)
	}
	var vres *verify.Result
	check := func(r fetch.Result) error {
		s.step("verifying %s", art.Name())
		var err error
		vres, err = scheme.Verify(sig, r.Hashes, want)
		if errors.Is(err, verify.ErrDigest) && fetch.LooksLikeHTML(r.Head) {
			return fmt.Errorf("%w\n  the server returned an HTML page (%d bytes), not %s", err, r.Size, art.Name())
		}
		if err != nil {
			return err
		}
		return CheckRelease(ctx, io.NewSectionReader(r.Body, 0, r.Size), art)
	}
	var resumed bool
	f, _, err := s.Fetch.DownloadHashing(ctx, artURL, dst, fetch.DefaultMaxBytes, scheme.Hashes(sig), func(r fetch.Result) error {
		resumed = r.ResumedFrom > 0
		return check(r)
	})
	if errors.Is(err, verify.ErrDigest) && resumed {
		// The partial file an earlier run left may be what is wrong (a
		// different file, a server that changed): once, from byte 0,
		// before calling anything a verification failure.
		s.notify("warning: %s, resumed from an earlier partial download, did not match its signed digest; downloading it again from the start", art.Name())
		f, _, err = s.Fetch.DownloadHashing(ctx, artURL, dst, fetch.DefaultMaxBytes, scheme.Hashes(sig), check)
	}
	if errors.Is(err, fetch.ErrNotFound) {
		return nil, fmt.Errorf("%w (that version or format is not published on this mirror)", err)
	}
	if err != nil {
		return nil, err
	}
	if transient {
		os.Remove(dst)
	}
	if err := saveSidecar(cdir, scheme.Sidecar(art.Name()), bundleData); err != nil {
		f.Close()
		return nil, err
	}
	// Downloaded, hashed in flight and verified: f is that very file.
	return &Obtained{File: f, Result: vres, Downloaded: true, From: artURL, RootSource: rootSource}, nil
}

// useCached returns the cached artifact when it is present, trusted and
// verifies; nil when there is none worth using (then a download follows,
// or offline, an error).
func (s *Store) useCached(ctx context.Context, art releases.Artifact, artPath string, sig verify.Signature, want verify.Expect, scheme verify.Scheme, ahead *hashAhead) (*Obtained, error) {
	offline := s.Offline && !s.Local()
	f, err := safefile.Open(artPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err == nil {
		s.step("verifying the cached %s", art.Name())
	}
	if errors.Is(err, safefile.ErrUntrusted) {
		// Another user could change these bytes after they were hashed:
		// never unpack from such a file. Download a private copy instead.
		if offline {
			return nil, fmt.Errorf("%w: %v (offline: cannot download a private copy; remove it or fetch again online)", ErrCacheUntrusted, err)
		}
		s.notify("SECURITY WARNING: %v; not using it, downloading a private copy", err)
		if rerr := safefile.Remove(artPath); rerr != nil {
			// Another user's file in a sticky folder stays; the private
			// copy is used for this run only.
			return nil, errForeignStays
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	set := ahead.sum(f, scheme.Hashes(sig))
	if set == nil {
		set, err = digest.Reader(f, scheme.Hashes(sig)...)
	}
	if err == nil {
		var res *verify.Result
		res, err = scheme.Verify(sig, set, want)
		if err == nil {
			if _, err = f.Seek(0, io.SeekStart); err == nil {
				err = CheckRelease(ctx, f, art)
			}
			if err == nil {
				// mtime records last use, for cache prune --older-than.
				now := time.Now()
				_ = os.Chtimes(artPath, now, now)
				if _, err := f.Seek(0, io.SeekStart); err != nil {
					f.Close()
					return nil, err
				}
				return &Obtained{File: f, Result: res, From: artPath}, nil
			}
		}
	}
	f.Close()
	if errors.Is(err, verify.ErrWrongRelease) {
		s.notify("SECURITY WARNING: cached %s is a genuine release, but not %s; removing it", artPath, art.Version)
		safefile.Remove(artPath)
		return nil, err
	}
	if !errors.Is(err, verify.ErrDigest) {
		return nil, fmt.Errorf("cached %s: %w", art.Name(), err)
	}
	s.notify("SECURITY WARNING: cached %s does not match its signed digest; removing it", artPath)
	safefile.Remove(artPath)
	if offline {
		return nil, fmt.Errorf("%w: %s (offline: cannot fetch a fresh copy): %v", ErrCacheTampered, artPath, err)
	}
	return nil, nil
}

// CheckRelease checks that a verified artifact is the release it is named:
// a bundle signs a digest, not a file name, so the genuine 3.13.5 tarball
// with its genuine bundle could be served as 3.13.4. A source tarball's
// first entry must live in Python-<version>/; one header is read.
// Artifacts that are not source tarballs pass.
func CheckRelease(ctx context.Context, r io.Reader, art releases.Artifact) error {
	kind, ok := releases.KindOf(art.Format)
	if !ok || kind.Unpacks != releases.SourceTree {
		return nil // what another kind holds is checked by its own rule
	}
	name, err := extract.FirstEntry(ctx, r, extract.Compression(kind.Compression))
	if err != nil {
		return fmt.Errorf("%s: %w", art.Name(), err)
	}
	top, _, _ := strings.Cut(strings.TrimPrefix(name, "./"), "/")
	if top == art.TopDir() {
		return nil
	}
	return fmt.Errorf("%w:\n  expected: %s/ (release %s)\n  found:    %s/ (the first entry is %q)\n  %s is signed, but it is not release %s",
		verify.ErrWrongRelease, art.TopDir(), art.Version, top, name, art.Name(), art.Version)
}

// signature finds the artifact's signature: its Sigstore bundle, or,
// when the mirror has none (or the release predates Sigstore) and the
// release manager's OpenPGP key is known, its .asc. When a mirror has
// both, Sigstore is used.
func (s *Store) signature(ctx context.Context, art releases.Artifact, want verify.Expect) (verify.Scheme, verify.Signature, []byte, error) {
	var sig verify.Signature
	var data []byte
	err := errNoScheme
	if want.Identity != (verify.Identity{}) {
		if sig, data, err = s.loadSignature(ctx, art, verify.Sigstore{}); err == nil {
			return verify.Sigstore{}, sig, data, nil
		}
		if !errors.Is(err, fetch.ErrNotFound) && !errors.Is(err, releases.ErrUnsigned) {
			return nil, nil, nil, err
		}
	}
	if s.OpenPGP == nil || want.KeyFingerprint == "" {
		return nil, nil, nil, err
	}
	psig, pdata, perr := s.loadSignature(ctx, art, s.OpenPGP)
	if perr != nil {
		if err == errNoScheme {
			return nil, nil, nil, perr
		}
		return nil, nil, nil, fmt.Errorf("%w (nor an OpenPGP signature, %s.asc)", err, art.Name())
	}
	return s.OpenPGP, psig, pdata, nil
}

var errNoScheme = fmt.Errorf("%w: no signature scheme applies", releases.ErrUnsigned)

// loadSignature returns the artifact's signature sidecar in scheme: from
// the mirror when online (it is tiny, and the mirror may have re-signed),
// else from the cache.
func (s *Store) loadSignature(ctx context.Context, art releases.Artifact, scheme verify.Scheme) (sig verify.Signature, data []byte, err error) {
	sidecar := scheme.Sidecar(art.Name())
	cached := filepath.Join(s.Home.CacheDir(art.Dir()), sidecar)
	if s.Offline && !s.Local() {
		data, err = readCachedSidecar(cached, scheme)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("%w: offline and %s is not in the cache (run pyfetch install or fetch online first)", fetch.ErrNotFound, cached)
		}
	} else {
		artURL := art.URL(s.Mirror)
		sidecarURL := strings.TrimSuffix(artURL, art.Name()) + sidecar
		data, err = s.Fetch.Get(ctx, sidecarURL, scheme.MaxSidecarBytes()+1)
		if err != nil && !errors.Is(err, fetch.ErrNotFound) && !errors.Is(err, fetch.ErrTooLarge) && ctx.Err() == nil {
			// The mirror is unreachable: a cached bundle is as good as a
			// fresh one, since it is verified the same way.
			if cachedData, cerr := readCachedSidecar(cached, scheme); cerr == nil {
				s.notify("warning: %v; using the cached bundle", err)
				data, err = cachedData, nil
			}
		}
		if errors.Is(err, fetch.ErrNotFound) {
			table := s.Signers
			if table == nil {
				table = releases.DefaultTable()
			}
			if _, ok := scheme.(verify.Sigstore); !ok {
				err = fmt.Errorf("%w: no %s signature for %s on this mirror (%s); refusing to install unverified", fetch.ErrNotFound, scheme.Name(), art.Name(), sidecarURL)
			} else if why := table.ExplainMissing(art.Version); why != nil {
				return nil, nil, fmt.Errorf("%w; the mirror has no %s.sigstore either", why, art.Name())
			} else {
				err = fmt.Errorf("%w: no Sigstore bundle for %s on this mirror (%s.sigstore); refusing to install unverified", fetch.ErrNotFound, art.Name(), artURL)
			}
		} else if errors.Is(err, fetch.ErrTooLarge) {
			err = fmt.Errorf("%w: %v", verify.ErrBundle, err)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	sig, err = scheme.Parse(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", sidecar, err)
	}
	return sig, data, nil
}

// readCachedSidecar reads a cached signature without following a symlink
// or blocking on a FIFO. A signature is verified in full whoever wrote
// it, so only its file type matters.
func readCachedSidecar(path string, scheme verify.Scheme) ([]byte, error) {
	return safefile.ReadRegular(path, scheme.MaxSidecarBytes())
}

func saveSidecar(cdir, name string, data []byte) error {
	path := filepath.Join(cdir, name)
	if old, err := safefile.ReadFile(path, int64(len(data))); err == nil && bytes.Equal(old, data) {
		return nil
	}
	// A new file renamed over the path: a planted symlink or FIFO there
	// is replaced, never written through.
	return atomicfile.WriteFile(path, data, 0o644)
}

// Local reports a mirror in a local folder (file://), which offline
// mode may read.
func (s *Store) Local() bool {
	_, ok := s.Mirror.Folder()
	return ok
}
