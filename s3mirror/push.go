package s3mirror

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/releases"
)

// Pushed is one file Push handled.
type Pushed struct {
	Key      string `json:"key"`
	SHA256   string `json:"sha256"`
	Uploaded bool   `json:"uploaded"` // false: already there with this content
}

// shaKey is the user metadata holding an object's SHA-256 (S3 returns it
// as X-Amz-Meta-Sha256): the content check that lets several machines
// push the same mirror, each skipping what is there already.
const shaKey = "Sha256"

// Push uploads a local mirror tree (what store.Export wrote: verified
// artifacts, their signatures, trusted_root.json) under the mirror's
// prefix. An object already there with the same SHA-256 is skipped;
// large files go up in multipart uploads (minio-go's). Every upload is a
// whole object, so concurrent pushes of the same tree leave it whole.
func Push(ctx context.Context, c *minio.Client, m releases.Mirror, dir string) ([]Pushed, error) {
	bucket, prefix := m.Bucket()
	var out []Pushed
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !d.Type().IsRegular() {
			return nil // never through a link
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		key := prefix + filepath.ToSlash(rel)
		sum, err := fileSHA256(p)
		if err != nil {
			return err
		}
		if info, err := c.StatObject(ctx, bucket, key, minio.StatObjectOptions{}); err == nil && strings.EqualFold(info.UserMetadata[shaKey], sum) {
			out = append(out, Pushed{Key: key, SHA256: sum})
			return nil
		}
		_, err = c.FPutObject(ctx, bucket, key, p, minio.PutObjectOptions{
			UserMetadata: map[string]string{shaKey: sum},
			ContentType:  "application/octet-stream",
		})
		if err != nil {
			return fmt.Errorf("upload s3://%s/%s: %w", bucket, key, describe(err, bucket))
		}
		out = append(out, Pushed{Key: key, SHA256: sum, Uploaded: true})
		return nil
	})
	return out, err
}

func fileSHA256(p string) (string, error) {
	f, err := safefile.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
