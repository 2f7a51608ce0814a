package install

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

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
	// Identity overrides the signer derived from the file name.
	Identity *verify.Identity
	// Signers is the signer table (built-in when nil).
	Signers *releases.Table
}

// VerifyFile verifies an artifact (or a bare digest) against its bundle.
// The artifact is read once, through SHA-256; a source tarball must also
// be the release its name says (CheckRelease). It returns the artifact's
// name, from Path or, for a bare digest, from the bundle's name.
func VerifyFile(ctx context.Context, req VerifyFileRequest, v *verify.Verifier) (name string, res *verify.Result, err error) {
	digest := req.Digest
	var file *os.File
	if req.Path != "" {
		name = filepath.Base(req.Path)
		if file, err = safefile.OpenNamed(req.Path); err != nil {
			return name, nil, err
		}
		defer file.Close()
		if digest, err = hashFile(file); err != nil {
			return name, nil, err
		}
		if req.Bundle == "" {
			req.Bundle = req.Path + ".sigstore"
		}
	} else {
		if req.Bundle == "" || len(digest) != 32 {
			return "", nil, fmt.Errorf("%w: verifying a bare SHA-256 digest needs --bundle FILE", ErrRequest)
		}
		name = strings.TrimSuffix(filepath.Base(req.Bundle), ".sigstore")
	}
	want := req.Identity
	if want == nil {
		ver, err := releases.VersionFromFileName(name)
		if err != nil {
			ver, err = releases.VersionFromFileName(filepath.Base(req.Bundle))
		}
		if err != nil {
			return name, nil, fmt.Errorf("%w; pass --cert-identity and --cert-oidc-issuer", err)
		}
		id, err := ExpectedSigner(ver, name, nil, req.Signers)
		if err != nil {
			return name, nil, err
		}
		want = &id
	}
	bf, err := safefile.OpenNamed(req.Bundle)
	if err != nil {
		return name, nil, fmt.Errorf("%w: %v", verify.ErrBundle, err)
	}
	b, err := verify.ReadBundle(bf)
	bf.Close()
	if err != nil {
		return name, nil, fmt.Errorf("%s: %w", filepath.Base(req.Bundle), err)
	}
	res, err = v.Verify(b, digest, *want)
	if err != nil || file == nil {
		return name, res, err
	}
	if art, ok := releases.ParseArtifactName(name); ok {
		if _, err := file.Seek(0, io.SeekStart); err != nil {
			return name, nil, err
		}
		if err := CheckRelease(ctx, file, art); err != nil {
			return name, nil, err
		}
	}
	return name, res, nil
}
