package extract

import (
	"archive/tar"
	"context"
	"fmt"
	"io"

	"github.com/mholt/archives"
)

// FirstEntry returns the name of a compressed tarball's first entry,
// reading no further than its header: cheap enough to run on every
// artifact, to check which release it really is.
func FirstEntry(ctx context.Context, r io.Reader, c Compression) (string, error) {
	var comp archives.Decompressor
	switch c {
	case Gzip:
		comp = archives.Gz{}
	case XZ:
		comp = archives.Xz{}
	default:
		return "", fmt.Errorf("extract: unknown compression %q", c)
	}
	rc, err := comp.OpenReader(r)
	if err != nil {
		return "", fmt.Errorf("extract: %w: %v", ErrCorrupt, err)
	}
	defer rc.Close()
	if err := ctx.Err(); err != nil {
		return "", err
	}
	hdr, err := tar.NewReader(rc).Next()
	if err != nil {
		return "", fmt.Errorf("extract: %w: first entry: %v", ErrCorrupt, err)
	}
	return hdr.Name, nil
}
