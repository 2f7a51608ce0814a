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

	"github.com/pyfetch/pyfetch/internal/digest"
	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/verify"
)

// ErrRequest marks a request that cannot be acted on as asked (the CLI
// reports it as a usage error).
var ErrRequest = errors.New("invalid request")

// VerifyFileRequest asks whether an artifact a user already has (a file,
// or just its digest) is genuine.
type VerifyFileRequest struct {
	// Path is the artifact's file; empty when only Digest is known.
	Path string
	// Digest is the artifact's SHA-256, when Path is empty.
	Digest []byte
	// Bundle is the bundle's path; default Path + ".sigstore".
	Bundle string
	// BundleData, when set, is the bundle's content, read by the caller
	// from Bundle (a file or a pipe the user named); Bundle then only
	// names it. Content that is an armored OpenPGP signature is an .asc
	// whatever its name.
	BundleData []byte
	// Identity overrides the signer derived from the file name.
	Identity *verify.Identity
	// Signers is the signer table (built-in when nil).
	Signers *releases.Table
	// OpenPGP verifies an .asc: named as Bundle, or found beside Path
	// when there is no .sigstore (nil: Sigstore only).
	OpenPGP *verify.OpenPGP
}

// VerifyFile verifies an artifact (or a bare digest) against its bundle.
// The artifact is read once, through SHA-256. The expected signer and the
// check of which release a source tarball holds come from one parse of
// one name (releases.ParseFileName): the artifact's, or, when that names
// no version, the bundle's. A tarball is checked to be the release that
// name says (CheckRelease); a bare digest of one cannot be, so its result
// is named by the digest and Unchecked says why. It returns the name the
// result is for.
func VerifyFile(ctx context.Context, req VerifyFileRequest, v *verify.Verifier) (name string, res *verify.Result, err error) {
	var file *os.File
	if req.Path != "" {
		name = filepath.Base(req.Path)
		if file, err = safefile.OpenNamed(req.Path); err != nil {
			return name, nil, err
		}
		defer file.Close()
		if req.Bundle == "" {
			req.Bundle = req.Path + ".sigstore"
			// No bundle, but python.org's .asc: OpenPGP.
			if _, serr := os.Stat(req.Bundle); errors.Is(serr, fs.ErrNotExist) && req.OpenPGP != nil {
				if _, aerr := os.Stat(req.Path + ".asc"); aerr == nil {
					req.Bundle = req.Path + ".asc"
				}
			}
		}
	} else {
		if req.Bundle == "" || len(req.Digest) != 32 {
			return "", nil, fmt.Errorf("%w: verifying a bare SHA-256 digest needs --bundle FILE", ErrRequest)
		}
		name = strings.TrimSuffix(strings.TrimSuffix(filepath.Base(req.Bundle), ".sigstore"), ".asc")
	}
	var scheme verify.Scheme = verify.Sigstore{V: v}
	if req.OpenPGP != nil && (strings.HasSuffix(req.Bundle, ".asc") || bytes.HasPrefix(bytes.TrimSpace(req.BundleData), []byte("-----BEGIN PGP SIGNATURE"))) {
		scheme = req.OpenPGP
	}
	// One parse of one name gives both the signer's release line and the
	// release a source tarball must hold: the artifact's name, or, when
	// that names no version at all, the bundle's.
	var nf releases.NamedFile
	named, perr := "", releases.ErrNoVersionInName
	if req.Path != "" {
		named = filepath.Base(req.Path)
		nf, perr = releases.ParseFileName(named)
		if perr != nil && !errors.Is(perr, releases.ErrNoVersionInName) {
			return name, nil, fmt.Errorf("%w; rename it to python.org's name", perr)
		}
	}
	if perr != nil {
		named = strings.TrimSuffix(strings.TrimSuffix(filepath.Base(req.Bundle), ".sigstore"), ".asc")
		nf, perr = releases.ParseFileName(named)
		if perr != nil && (req.Identity == nil || !errors.Is(perr, releases.ErrNoVersionInName)) {
			return name, nil, fmt.Errorf("%w: neither the file's name nor the bundle's (%s) is a python.org name that says the release: name the files as python.org does, or pass --cert-identity and --cert-oidc-issuer to name the signer", ErrRequest, filepath.Base(req.Bundle))
		}
	}
	want, err := Expectation(nf.Version, named, req.Identity, req.Signers)
	if err != nil {
		return name, nil, err
	}
	data := req.BundleData
	if data == nil {
		if data, err = readBundle(req.Bundle, scheme.MaxSidecarBytes()); err != nil {
			return name, nil, err
		}
	}
	sig, err := scheme.Parse(data)
	if err != nil {
		return name, nil, fmt.Errorf("%s: %w", filepath.Base(req.Bundle), err)
	}
	// The artifact is read once, through every hash the signature needs.
	var set *digest.Set
	if file != nil {
		set, err = digest.Reader(file, scheme.Hashes(sig)...)
	} else if len(scheme.Hashes(sig)) > 0 {
		err = fmt.Errorf("%w: an %s signature needs the file, not its SHA-256", ErrRequest, scheme.Name())
	} else {
		set, err = digest.Of(req.Digest)
	}
	if err != nil {
		return name, nil, err
	}
	res, err = scheme.Verify(sig, set, want)
	if err != nil || nf.Source == nil || file == nil {
		// Not a tarball, or a bare digest: which release is inside
		// cannot be seen (the CLI says so).
		return name, res, err
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return name, nil, err
	}
	if err := CheckRelease(ctx, file, *nf.Source); err != nil {
		return name, nil, err
	}
	return name, res, nil
}

// readBundle reads the bundle found beside an artifact: a regular file
// (followed through a link, never blocking on a FIFO), at most max+1
// bytes, so that Parse sees an oversized one.
func readBundle(path string, max int64) ([]byte, error) {
	bf, err := safefile.OpenNamed(path)
	if errors.Is(err, fs.ErrNotExist) {
		// Nothing failed verification: there is nothing to verify with.
		return nil, fmt.Errorf("no bundle %s: %w (expected the .sigstore (or python.org's .asc) beside the artifact, or --bundle FILE)", path, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", verify.ErrBundle, err)
	}
	defer bf.Close()
	data, err := io.ReadAll(io.LimitReader(bf, max+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", verify.ErrBundle, err)
	}
	return data, nil
}
