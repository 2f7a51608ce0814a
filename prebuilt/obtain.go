package prebuilt

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"

	"github.com/pyfetch/pyfetch/fetch"
	"github.com/pyfetch/pyfetch/internal/atomicfile"
	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/internal/textsafe"
	"github.com/pyfetch/pyfetch/provenance"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/store"
	"github.com/pyfetch/pyfetch/verify"
)

var (
	// ErrNotFound: the mirror has no prebuilt for this version, platform
	// and options (a build from source may follow).
	ErrNotFound = fmt.Errorf("%w: no prebuilt interpreter", fetch.ErrNotFound)
	// ErrMismatch: the mirror's prebuilt is for another platform or other
	// build options (a build from source may follow).
	ErrMismatch = fmt.Errorf("%w: the prebuilt is not the build asked for", verify.ErrVerification)
	// ErrChain: the prebuilt's statement does not bind it to the release
	// asked for (another version, a source whose python.org signature
	// fails).
	ErrChain = fmt.Errorf("%w: the prebuilt is not bound to python.org's signed source", verify.ErrVerification)
)

// MaxArchiveBytes caps a prebuilt archive's download.
const MaxArchiveBytes = 2 << 30

// Request is what a runner asks for.
type Request struct {
	Version  releases.Version
	Name     string // install name: 3.13.5, 3.13.5t
	Platform provenance.Platform
	Options  provenance.Options
	// Policy is the fleet's: a key, or an identity (the Verifier is
	// filled in from the store's trust when nil).
	Policy verify.AttestationPolicy
}

// Archive is the file name Request names.
func (r Request) Archive() string { return ArchiveName(r.Name, r.Platform, r.Options) }

// Obtained is a prebuilt whose whole chain holds, open at offset 0.
type Obtained struct {
	File       *os.File
	Archive    string // file name
	From       string // URL, or cache path
	Downloaded bool
	// Fleet is who signed the statement, Build what it says, Source how
	// python.org's signature on the source verified.
	Fleet           *verify.Result
	Build           *provenance.Build
	Source          *verify.Result
	StatementSHA256 string
}

// Obtain finds the prebuilt for req on the store's mirror (or in the
// cache) and returns it only when all of these hold: the statement's
// signature verifies against the fleet's policy; the archive's SHA-256,
// streamed as it downloads, is the statement's subject; the source the
// statement names verifies against python.org's release manager for that
// line from the source bundle beside it, and is the version asked for;
// the platform and options are the ones asked for.
func Obtain(ctx context.Context, s *store.Store, req Request) (*Obtained, error) {
	name := req.Archive()
	rel := RelDir(req.Version.Final().String())
	bundleData, err := sidecar(ctx, s, rel, name+BundleSuffix)
	if err != nil {
		return nil, err
	}
	b, err := verify.ParseAttestation(bundleData)
	if err != nil {
		return nil, fmt.Errorf("%s%s: %w", name, BundleSuffix, err)
	}
	// Before downloading: a statement for another platform or options
	// need not be fetched (nothing is believed of it: it is checked
	// again once verified).
	if pre, err := provenance.Parse(verify.UnverifiedStatement(b)); err == nil {
		if err := matches(pre, req); errors.Is(err, ErrMismatch) {
			return nil, err
		}
	}
	if req.Policy.Key == nil && req.Policy.Verifier == nil {
		if s.Trust == nil {
			return nil, fmt.Errorf("%w: no trusted root to check the fleet's identity with", verify.ErrIdentity)
		}
		vf, _, err := s.Trust()
		if err != nil {
			return nil, err
		}
		req.Policy.Verifier = vf
	}
	sourceData, err := sidecar(ctx, s, rel, name+SourceSuffix)
	if err != nil {
		return nil, err
	}
	srcBundle, err := verify.ParseBundle(sourceData)
	if err != nil {
		return nil, fmt.Errorf("%s%s: %w", name, SourceSuffix, err)
	}
	out := &Obtained{Archive: name, StatementSHA256: statementDigest(b)}
	check := func(digest []byte) error {
		stmt, fleet, err := verify.VerifyAttestation(b, digest, req.Policy)
		if err != nil {
			return fmt.Errorf("%s: the fleet's signature: %w", name, err)
		}
		build, err := provenance.FromStatement(stmt)
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrChain, name, err)
		}
		if build.Archive != name {
			return fmt.Errorf("%w: the statement is for %s, not %s", ErrMismatch, textsafe.Escape(build.Archive), name)
		}
		if err := matches(build, req); err != nil {
			return err
		}
		src, err := checkSource(s, build, srcBundle, req.Version)
		if err != nil {
			return err
		}
		out.Fleet, out.Build, out.Source = fleet, build, src
		return nil
	}

	cdir := filepath.Join(s.Home.CacheDir(req.Version.Final().String()), Folder)
	if err := os.MkdirAll(cdir, 0o755); err != nil {
		return nil, err
	}
	if err := safefile.IsPlainDir(cdir); err != nil {
		return nil, fmt.Errorf("cache folder %s is not a plain directory (a symlink?); refusing to use it: %w", cdir, err)
	}
	path := filepath.Join(cdir, name)
	l, err := s.Home.Lock(ctx, path+".lock", "downloading "+name, s.Notify)
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	save := func() error {
		for n, data := range map[string][]byte{name + BundleSuffix: bundleData, name + SourceSuffix: sourceData} {
			if err := atomicfile.WriteFile(filepath.Join(cdir, n), data, 0o644); err != nil {
				return err
			}
		}
		return nil
	}

	// A cached archive is re-hashed and the whole chain re-checked.
	if f, err := safefile.Open(path); err == nil {
		h := sha256.New()
		_, err := io.Copy(h, f)
		if err == nil {
			if err = check(h.Sum(nil)); err == nil {
				if _, err = f.Seek(0, io.SeekStart); err == nil {
					now := time.Now() // last use, for cache prune
					_ = os.Chtimes(path, now, now)
					out.File, out.From = f, path
					return out, save()
				}
			}
		}
		f.Close()
		if !errors.Is(err, verify.ErrDigest) {
			return nil, err
		}
		notify(s, "SECURITY WARNING: cached %s does not match its signed statement; removing it", path)
		safefile.Remove(path)
	} else if errors.Is(err, safefile.ErrUntrusted) {
		notify(s, "SECURITY WARNING: %v; not using it", err)
		if err := safefile.Remove(path); err != nil {
			return nil, fmt.Errorf("%w: %v", store.ErrCacheUntrusted, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if s.Offline && !s.Local() {
		return nil, fmt.Errorf("%w: offline and %s is not in the cache", ErrNotFound, path)
	}
	url := s.Mirror.File(rel, name)
	if s.Step != nil {
		s.Step("downloading " + name)
	}
	var resumed bool
	verifyDownload := func(r fetch.Result) error {
		resumed = r.ResumedFrom > 0
		if s.Step != nil {
			s.Step("verifying " + name)
		}
		return check(r.SHA256)
	}
	f, _, err := s.Fetch.Download(ctx, url, path, MaxArchiveBytes, verifyDownload)
	if errors.Is(err, verify.ErrDigest) && resumed {
		// The partial file an earlier run left is refused with the rest
		// of what it became; once, from byte 0.
		notify(s, "SECURITY WARNING: %s, resumed from an earlier partial download, did not match its signed statement; downloading it again from the start", name)
		f, _, err = s.Fetch.Download(ctx, url, path, MaxArchiveBytes, verifyDownload)
	}
	if errors.Is(err, fetch.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s has a signed statement but no archive (%s)", ErrNotFound, name, url)
	}
	if err != nil {
		return nil, err
	}
	out.File, out.From, out.Downloaded = f, url, true
	if err := save(); err != nil {
		f.Close()
		return nil, err
	}
	return out, nil
}

// matches checks the (verified, or only looked at) statement against
// the request: the version, the platform, the options.
//
// What the statement says is shown escaped and cut short: it may not be
// verified yet (the check before downloading), and a mirror's megabyte
// of text is no message.
func matches(b *provenance.Build, req Request) error {
	if b.Version != req.Version.String() {
		return fmt.Errorf("%w: the statement is for version %s, not %s", ErrChain, textsafe.Short(b.Version, 40), req.Version)
	}
	if !Runs(b.Platform, req.Platform) {
		return fmt.Errorf("%w:\n  expected platform: %s (libc %s)\n  found:             %s (libc %s)", ErrMismatch,
			req.Platform, req.Platform.LibcVersion, textsafe.Short(b.Platform.String(), 80), textsafe.Short(b.Platform.LibcVersion, 40))
	}
	if !slices.Equal(b.Options.ConfigureArgs, req.Options.ConfigureArgs) || b.Options.Optimize != req.Options.Optimize || b.Options.FreeThreaded != req.Options.FreeThreaded {
		return fmt.Errorf("%w:\n  expected options: %s\n  found:            %s", ErrMismatch, describe(req.Options), textsafe.Short(describe(b.Options), 400))
	}
	return nil
}

func describe(o provenance.Options) string {
	return fmt.Sprintf("configure %q, optimize %t, free-threaded %t", o.ConfigureArgs, o.Optimize, o.FreeThreaded)
}

// checkSource verifies python.org's bundle for the source the statement
// names: the source is of the version asked for, and its digest is
// signed by that line's release manager.
func checkSource(s *store.Store, b *provenance.Build, sb *bundle.Bundle, v releases.Version) (*verify.Result, error) {
	art, ok := releases.ParseArtifactName(b.Source.Name)
	if !ok || art.Version != v {
		return nil, fmt.Errorf("%w: the statement names the source %q, expected Python-%s.tar.xz or .tgz", ErrChain, textsafe.Escape(b.Source.Name), v)
	}
	digest, err := hex.DecodeString(b.Source.SHA256)
	if err != nil || len(digest) != sha256.Size {
		return nil, fmt.Errorf("%w: the statement's source sha256 %q is not a SHA-256", ErrChain, textsafe.Escape(b.Source.SHA256))
	}
	want, err := store.Expectation(v, art.Name(), s.Identity, s.Signers)
	if err != nil {
		return nil, err
	}
	// A lock file's pin on the source holds for a build of it too.
	if pin, ok := s.Pins[art.Name()]; ok && pin.SHA256 != nil && !bytes.Equal(pin.SHA256, digest) {
		return nil, fmt.Errorf("%w: the prebuilt was built from %s with sha256 %x; pyfetch.lock pins %x", verify.ErrPinned, art.Name(), digest, pin.SHA256)
	}
	if s.Trust == nil {
		return nil, fmt.Errorf("%w: no trusted root to check python.org's signature with", ErrChain)
	}
	vf, _, err := s.Trust()
	if err != nil {
		return nil, err
	}
	res, err := vf.Verify(sb, digest, want)
	if err != nil {
		return nil, fmt.Errorf("%w: python.org's signature on %s: %w", ErrChain, art.Name(), err)
	}
	return res, nil
}

// sidecar reads a small file published beside an archive: from the
// mirror, or offline from the cache.
func sidecar(ctx context.Context, s *store.Store, rel, name string) ([]byte, error) {
	if s.Offline && !s.Local() {
		data, err := safefile.ReadRegular(filepath.Join(s.Home.CacheDir(rel), name), verify.MaxBundleBytes)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: offline and %s is not in the cache", ErrNotFound, name)
		}
		return data, err
	}
	url := s.Mirror.File(rel, name)
	data, err := s.Fetch.Get(ctx, url, verify.MaxBundleBytes+1)
	if errors.Is(err, fetch.ErrNotFound) {
		return nil, fmt.Errorf("%w: looked for %s", ErrNotFound, url)
	}
	if errors.Is(err, fetch.ErrTooLarge) {
		return nil, fmt.Errorf("%w: %s: %v", verify.ErrBundle, name, err)
	}
	return data, err
}

func statementDigest(b *bundle.Bundle) string {
	sum := sha256.Sum256(b.GetDsseEnvelope().GetPayload())
	return hex.EncodeToString(sum[:])
}

func notify(s *store.Store, format string, args ...any) {
	if s.Notify != nil {
		s.Notify(fmt.Sprintf(format, args...))
	}
}
