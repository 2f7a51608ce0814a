package s3mirror

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/pyfetch/pyfetch/releases"
)

func bucket(t *testing.T) (*s3mem.Backend, Config) {
	t.Helper()
	b := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(b).Server())
	t.Cleanup(srv.Close)
	b.CreateBucket("fleet")
	return b, Config{Endpoint: srv.URL, Region: "us-east-1", AccessKey: "k", SecretKey: "s"}
}

// The lister pages through ListObjectsV2 and returns folders and files
// directly under the prefix; the transport turns s3:// GETs into signed
// ones and keeps their Range.
func TestListerAndTransport(t *testing.T) {
	t.Parallel()
	b, cfg := bucket(t)
	for i := range 1100 {
		b.PutObject("fleet", fmt.Sprintf("python/3.%d.0/x", i), nil, strings.NewReader("x"), 1, nil)
	}
	b.PutObject("fleet", "python/3.13.5/Python-3.13.5.tgz", nil, strings.NewReader("0123456789"), 10, nil)
	b.PutObject("fleet", "elsewhere/3.99.0/x", nil, strings.NewReader("x"), 1, nil)
	c, err := NewClient(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	l := Lister{Client: c, Mirror: releases.MustMirror("s3://fleet/python/")}
	root, err := l.List(context.Background(), "")
	if err != nil || len(root) != 1101 || !strings.HasSuffix(root[0], "/") {
		t.Fatalf("root: %d names, %v", len(root), err)
	}
	files, err := l.List(context.Background(), "3.13.5")
	if err != nil || len(files) != 1 || files[0] != "Python-3.13.5.tgz" {
		t.Fatalf("folder: %v %v", files, err)
	}
	tr := Transport{Client: c}
	req, _ := http.NewRequest(http.MethodGet, "s3://fleet/python/3.13.5/Python-3.13.5.tgz", nil)
	req.Header.Set("Range", "bytes=4-")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || string(body) != "456789" {
		t.Errorf("ranged GET: %d %q", resp.StatusCode, body)
	}
	if _, err := (Lister{Client: c, Mirror: releases.MustMirror("s3://nosuch/")}).List(context.Background(), ""); err == nil || !strings.Contains(err.Error(), "the bucket nosuch does not exist") {
		t.Errorf("missing bucket: %v", err)
	}
}

// BenchmarkList10000Keys: one folder of 10 000 entries, ten
// ListObjectsV2 pages, through a real (in-memory) S3 server on loopback.
func BenchmarkList10000Keys(b *testing.B) {
	be := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(be).Server())
	defer srv.Close()
	be.CreateBucket("fleet")
	for i := range 10000 {
		be.PutObject("fleet", fmt.Sprintf("python/3.%d.0/x", i), nil, strings.NewReader("x"), 1, nil)
	}
	c, err := NewClient(Config{Endpoint: srv.URL, Region: "us-east-1", AccessKey: "k", SecretKey: "s"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	l := Lister{Client: c, Mirror: releases.MustMirror("s3://fleet/python/")}
	b.ResetTimer()
	for b.Loop() {
		names, err := l.List(context.Background(), "")
		if err != nil || len(names) != 10000 {
			b.Fatalf("%d names, %v", len(names), err)
		}
	}
}
