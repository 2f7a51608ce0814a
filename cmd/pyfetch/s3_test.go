package main

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// s3Bucket serves a real S3 implementation (gofakes3, in memory) with
// bucket "fleet" holding e's mirror under python/, and points e at it.
func s3Bucket(t *testing.T, e *env) *s3mem.Backend {
	t.Helper()
	backend := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	if err := backend.CreateBucket("fleet"); err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir(e.mirror.Dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(e.mirror.Dir, p)
		data, _ := os.ReadFile(p)
		_, err = backend.PutObject("fleet", "python/"+filepath.ToSlash(rel), nil, bytes.NewReader(data), int64(len(data)), nil)
		return err
	})
	e.vars["AWS_ENDPOINT_URL"] = srv.URL
	e.vars["AWS_ACCESS_KEY_ID"] = "fleet-reader"
	e.vars["AWS_SECRET_ACCESS_KEY"] = "a-secret-never-printed"
	e.vars["AWS_REGION"] = "us-east-1"
	e.vars["PYFETCH_MIRROR"] = "s3://fleet/python/"
	return backend
}

// An S3 bucket is a mirror: resolution lists it with ListObjectsV2
// (paging past 1000 keys), downloads are signed GETs, and every artifact
// is verified as from any mirror; no secret reaches the output or the
// receipt.
func TestS3BucketMirror(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	backend := s3Bucket(t, e)
	// More folders than one ListObjectsV2 page holds.
	for i := range 1100 {
		backend.PutObject("fleet", fmt.Sprintf("python/2.%d.0/README", i), nil, strings.NewReader("x"), 1, nil)
	}
	code, stdout, stderr := e.run("install", "3.13")
	if code != 0 || !strings.Contains(stdout, "installed 3.13.10") {
		t.Fatalf("install from a bucket: exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
	rc := readReceipt(t, filepath.Join(e.home, "versions", "3.13.10"))
	if rc["url"] != "s3://fleet/python/3.13.10/Python-3.13.10.tar.xz" {
		t.Errorf("receipt url %v", rc["url"])
	}
	b, _ := os.ReadFile(filepath.Join(e.home, "versions", "3.13.10", ".pyfetch-receipt.json"))
	if strings.Contains(string(b)+stdout+stderr, "a-secret-never-printed") {
		t.Error("a secret reached the output or the receipt")
	}
	code, stdout, _ = e.run("releases", "3.12")
	if code != 0 || !strings.Contains(stdout, "3.12.8") {
		t.Errorf("releases from a bucket: exit %d %q", code, stdout)
	}
	// Hostile objects are refused as over HTTP: another release's genuine
	// bytes under this name.
	r14, _ := os.ReadFile(filepath.Join(e.mirror.Dir, "3.14.0", "Python-3.14.0.tar.xz"))
	b14, _ := os.ReadFile(filepath.Join(e.mirror.Dir, "3.14.0", "Python-3.14.0.tar.xz.sigstore"))
	backend.PutObject("fleet", "python/3.13.9/Python-3.13.9.tar.xz", nil, bytes.NewReader(r14), int64(len(r14)), nil)
	backend.PutObject("fleet", "python/3.13.9/Python-3.13.9.tar.xz.sigstore", nil, bytes.NewReader(b14), int64(len(b14)), nil)
	if code, _, stderr := e.run("install", "3.13.9"); code != exitVerify {
		t.Errorf("another release's bytes from the bucket: exit %d %q", code, stderr)
	}
	// A bucket that does not exist is said so.
	e.vars["PYFETCH_MIRROR"] = "s3://nosuch/python/"
	if code, _, stderr := e.run("install", "3.12"); code != exitNotFound || !strings.Contains(stderr, "the bucket nosuch does not exist") {
		t.Errorf("missing bucket: exit %d %q", code, stderr)
	}
}

// mirror push uploads what the cache holds, verified, in python.org's
// layout; a second push skips what is there with the same content; a
// runner with another home installs from the bucket.
func TestMirrorPushToBucket(t *testing.T) {
	t.Parallel()
	builder := releaseMirror(t)
	if code, _, stderr := builder.run("fetch", "3.13", "3.12"); code != 0 {
		t.Fatal(stderr)
	}
	runner := newEnv(t)
	runner.ss = builder.ss
	runner.vars["PYFETCH_TRUSTED_ROOT"] = builder.vars["PYFETCH_TRUSTED_ROOT"]
	s3Bucket(t, runner) // an empty bucket: the runner's mirror has nothing
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"} {
		builder.vars[k] = runner.vars[k]
	}
	code, stdout, stderr := builder.run("mirror", "push", "s3://fleet/python/", "3.13", "3.12")
	if code != 0 || !strings.Contains(stdout, "uploaded s3://fleet/python/3.13.10/Python-3.13.10.tar.xz") || !strings.Contains(stdout, "uploaded s3://fleet/python/trusted_root.json") || !strings.Contains(stderr, "PYFETCH_MIRROR=s3://fleet/python/ pyfetch install") {
		t.Fatalf("push: exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
	code, stdout, _ = builder.run("mirror", "push", "s3://fleet/python/", "3.13", "3.12")
	if code != 0 || strings.Contains(stdout, "uploaded") || !strings.Contains(stdout, "already there") {
		t.Errorf("second push: exit %d %q", code, stdout)
	}
	if code, stdout, stderr := runner.run("install", "3.13"); code != 0 || !strings.Contains(stdout, "installed 3.13.10") {
		t.Errorf("runner: exit %d %q %q", code, stdout, stderr)
	}
}

// A public bucket reached over plain http(s) (its REST endpoint) is a
// mirror too: its ListObjectsV2 XML is read as the listing, page by page,
// and objects are plain GETs.
func TestPublicBucketOverHTTP(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	backend := s3Bucket(t, e)
	for i := range 1100 {
		backend.PutObject("fleet", fmt.Sprintf("python/2.%d.0/README", i), nil, strings.NewReader("x"), 1, nil)
	}
	endpoint := e.vars["AWS_ENDPOINT_URL"]
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"} {
		delete(e.vars, k)
	}
	e.vars["PYFETCH_MIRROR"] = endpoint + "/fleet/python/"
	code, stdout, stderr := e.run("install", "3.13")
	if code != 0 || !strings.Contains(stdout, "installed 3.13.10") {
		t.Fatalf("install from a public bucket: exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
	if code, stdout, _ := e.run("releases", "3.12"); code != 0 || !strings.Contains(stdout, "3.12.8") {
		t.Errorf("releases: exit %d %q", code, stdout)
	}
}
