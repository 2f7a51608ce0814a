package install

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/verify"
)

// CheckRequest asks whether an artifact a user already has is genuine.
type CheckRequest struct {
	// Artifact is a file path, or "sha256:<64 hex digits>".
	Artifact string
	// Bundle is the bundle's path; default Artifact + ".sigstore".
	Bundle string
	// Identity overrides the signer derived from the file name.
	Identity *verify.Identity
	// Signers is the signer table (built-in when nil).
	Signers *releases.Table
}

// ErrUsage marks a request that cannot be acted on as given.
var ErrUsage = fmt.Errorf("usage")

// Check verifies an artifact (or a bare digest) against its bundle. The
// artifact is read once, through SHA-256.
func Check(ctx context.Context, req CheckRequest, v *verify.Verifier) (name string, res *verify.Result, err error) {
	var digest []byte
	var file *os.File // the artifact, when given as a file
	hexDigest, isDigest := strings.CutPrefix(req.Artifact, "sha256:")
	if isDigest {
		digest, err = hex.DecodeString(hexDigest)
		if err != nil || len(digest) != 32 {
			return "", nil, fmt.Errorf("%w: %q: expected sha256: followed by 64 hex digits", ErrUsage, req.Artifact)
		}
		if req.Bundle == "" {
			return "", nil, fmt.Errorf("%w: verifying a bare digest needs --bundle FILE", ErrUsage)
		}
		name = strings.TrimSuffix(filepath.Base(req.Bundle), ".sigstore")
	} else {
		name = filepath.Base(req.Artifact)
		f, err := safefile.OpenNamed(req.Artifact)
		if err != nil {
			return name, nil, err
		}
		defer f.Close()
		sum, err := hashFile(f)
		if err != nil {
			return name, nil, err
		}
		digest = sum
		file = f
		if req.Bundle == "" {
			req.Bundle = req.Artifact + ".sigstore"
		}
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
		id, err := Identity(ver, name, nil, req.Signers)
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
	// A source tarball must also be the release its name says.
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
