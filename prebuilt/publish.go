package prebuilt

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pyfetch/pyfetch/internal/atomicfile"
	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/provenance"
)

// ErrNotPublishable: an install that must not be published (not a build,
// a build missing modules, a source that does not verify now).
var ErrNotPublishable = errors.New("not publishable")

// Publication is what Publish wrote.
type Publication struct {
	Archive   string `json:"archive"` // path
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	Statement string `json:"statement"`
	Source    string `json:"source_bundle"`
	// Bundle is the fleet's signed statement; "" when no key was given
	// (the statement is then to be signed elsewhere, e.g. keyless).
	Bundle string `json:"bundle,omitempty"`
}

// PublishOptions say what to publish and where.
type PublishOptions struct {
	// Dir is the install to pack (its prefix when it was built).
	Dir string
	// Name is its install name (3.13.5, 3.13.5t), Release its folder in
	// the mirror (3.13.5 for 3.13.5 and 3.13.5t alike).
	Name, Release string
	// Build says what the statement says (the subject is filled in).
	Build provenance.Build
	// SourceBundle is python.org's bundle for the source, as verified.
	SourceBundle []byte
	// Key signs the statement; nil writes it unsigned.
	Key *ecdsa.PrivateKey
	// Out is the local mirror tree to write into (a folder, or a temp
	// folder then pushed to a bucket).
	Out string
	// Skip are files of Dir left out of the archive (the receipt).
	Skip []string
}

// Publish packs the install, writes the archive (hashing it as it is
// written), the statement naming it, python.org's source bundle and,
// with a key, the signed statement, into Out/RELEASE/prebuilt/. Each
// file appears whole (written aside, then renamed), the signature last,
// so a runner never finds a signature for an archive that is not there.
func Publish(ctx context.Context, o PublishOptions) (*Publication, error) {
	name := ArchiveName(o.Name, o.Build.Platform, o.Build.Options)
	dir := filepath.Join(o.Out, filepath.FromSlash(RelDir(o.Release)))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// DEST/X.Y.Z or its prebuilt/ planted as a link would send the
	// archive elsewhere.
	for _, d := range []string{filepath.Dir(filepath.Clean(dir)), dir} {
		if err := safefile.IsPlainDir(d); err != nil {
			return nil, fmt.Errorf("publish folder %s is not a plain directory; refusing to write through it: %w", d, err)
		}
	}
	archive := filepath.Join(dir, name)
	tmp, err := os.CreateTemp(dir, ".tmp-"+name+"-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	if err := Pack(ctx, o.Dir, io.MultiWriter(tmp, h), o.Skip...); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, err
	}
	fi, err := tmp.Stat()
	if err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), archive); err != nil {
		return nil, err
	}
	b := o.Build
	b.Archive, b.ArchiveSHA256 = name, hex.EncodeToString(h.Sum(nil))
	st, err := provenance.Statement(b)
	if err != nil {
		return nil, err
	}
	pub := &Publication{Archive: archive, SHA256: b.ArchiveSHA256, Statement: archive + StatementSuffix, Source: archive + SourceSuffix, Size: fi.Size()}
	if err := atomicfile.WriteFile(pub.Statement, st, 0o644); err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(pub.Source, o.SourceBundle, 0o644); err != nil {
		return nil, err
	}
	if o.Key == nil {
		return pub, nil
	}
	signed, err := provenance.Sign(ctx, st, o.Key)
	if err != nil {
		return nil, err
	}
	pub.Bundle = archive + BundleSuffix
	if err := atomicfile.WriteFile(pub.Bundle, signed, 0o644); err != nil {
		return nil, err
	}
	return pub, nil
}

// CheckPublishable refuses what must never reach runners as a build:
// anything but a build (a source tree, another fleet's prebuilt). A
// build whose required modules (ssl, zlib) or checks failed never became
// an install; optional modules it lacks are named in the statement.
func CheckPublishable(kind string) error {
	if kind != "build" {
		return fmt.Errorf("%w: expected a build (install --build), found a %s install", ErrNotPublishable, kind)
	}
	return nil
}
