package s3mirror

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/pyfetch/pyfetch/releases"
)

// cancelOnPut is a transport that cancels the push (a Ctrl-C, a CI job
// stopped) when the upload of key carries its bytes: a whole-object PUT,
// or the second part of a multipart upload.
type cancelOnPut struct {
	key    string
	cancel context.CancelFunc
}

func (c cancelOnPut) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, c.key) && r.URL.Query().Get("partNumber") != "1" {
		c.cancel()
		return nil, context.Canceled
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestPushLeavesNoPartialUpload: a push stopped halfway through a large
// file (a Ctrl-C, a CI job cancelled) says it was interrupted (the CLI's
// exit 130, not a bucket fault) and leaves neither the object nor an
// incomplete multipart upload, which S3 keeps, and bills, until a
// lifecycle rule removes it (minio-go aborts its own upload); a second
// push then uploads the file.
func TestPushLeavesNoPartialUpload(t *testing.T) {
	t.Parallel()
	_, cfg := bucket(t)
	dir := t.TempDir()
	big := make([]byte, 40<<20) // past minio-go's 16 MiB multipart threshold
	rand.Read(big)
	os.MkdirAll(filepath.Join(dir, "3.13.5"), 0o755)
	os.WriteFile(filepath.Join(dir, "3.13.5", "Python-3.13.5.tgz"), big, 0o644)
	m := releases.MustMirror("s3://fleet/python/")
	const key = "python/3.13.5/Python-3.13.5.tgz"

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := NewClient(cfg, cancelOnPut{key: key, cancel: cancel})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Push(ctx, c, m, dir); !errors.Is(err, context.Canceled) {
		t.Fatalf("push stopped halfway: %v", err)
	}

	c, _ = NewClient(cfg, nil)
	for u := range c.ListIncompleteUploads(context.Background(), "fleet", "python/", true) {
		t.Errorf("left an incomplete upload: %+v", u)
	}
	if _, err := c.StatObject(context.Background(), "fleet", key, minio.StatObjectOptions{}); err == nil {
		t.Error("left an object")
	}
	// Its bytes are not compared here: gofakes3 stores this multipart
	// upload larger than the file. make bench's TestBenchBucket uploads
	// the real 22.9 MB archive through minio-go to versitygw and installs
	// it, digest checked.
	if pushed, err := Push(context.Background(), c, m, dir); err != nil || len(pushed) != 1 || !pushed[0].Uploaded {
		t.Fatalf("second push: %+v %v", pushed, err)
	}
}
