package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// versitygw starts versitygw (a real S3 server with strict SigV4) serving
// a fresh folder with bucket "fleet" on a loopback port, and returns its
// endpoint. It skips on a laptop without the binary and fails under CI
// (.ci/run installs it).
func versitygw(t *testing.T, access, secret string) string {
	t.Helper()
	bin, err := exec.LookPath("versitygw")
	if err != nil {
		if gp, gerr := exec.Command("go", "env", "GOPATH").Output(); gerr == nil {
			if p := filepath.Join(strings.TrimSpace(string(gp)), "bin", "versitygw"); fileExists(p) {
				bin, err = p, nil
			}
		}
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("versitygw is not installed (.ci/run installs it)")
		}
		t.Skip("versitygw is not installed: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0")
	}
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "fleet"), 0o755) // the posix backend: a bucket is a folder
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "--access", access, "--secret", secret, "--port", addr, "posix", dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitFor(t, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return "http://" + addr
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// End to end against a server that checks every signature: a builder
// pushes its verified cache to the bucket, a runner with another home
// installs from it, a runner with the wrong secret gets a clear error and
// nothing installed, and a runner primes its cache from the bucket, then
// installs offline.
func TestBucketEndToEndWithStrictSigV4(t *testing.T) {
	t.Parallel()
	endpoint := versitygw(t, "fleet-admin", "fleet-secret-value")
	aws := func(e *env, secret string) {
		e.vars["AWS_ENDPOINT_URL"] = endpoint
		e.vars["AWS_ACCESS_KEY_ID"] = "fleet-admin"
		e.vars["AWS_SECRET_ACCESS_KEY"] = secret
		e.vars["AWS_REGION"] = "us-east-1"
	}
	builder := releaseMirror(t)
	aws(builder, "fleet-secret-value")
	if code, _, stderr := builder.run("fetch", "3.13"); code != 0 {
		t.Fatal(stderr)
	}
	if code, stdout, stderr := builder.run("mirror", "push", "s3://fleet/python/", "3.13"); code != 0 || !strings.Contains(stdout, "uploaded s3://fleet/python/3.13.10/Python-3.13.10.tar.xz") {
		t.Fatalf("push: exit %d %q %q", code, stdout, stderr)
	}
	runner := func(secret string) *env {
		e := newEnv(t)
		e.vars["PYFETCH_TRUSTED_ROOT"] = builder.vars["PYFETCH_TRUSTED_ROOT"]
		e.vars["PYFETCH_MIRROR"] = "s3://fleet/python/"
		aws(e, secret)
		return e
	}
	good := runner("fleet-secret-value")
	if code, stdout, stderr := good.run("install", "3.13"); code != 0 || !strings.Contains(stdout, "installed 3.13.10") {
		t.Errorf("runner: exit %d %q %q", code, stdout, stderr)
	}
	bad := runner("wrong-secret")
	code, _, stderr := bad.run("install", "3.13")
	if code != exitDenied || !strings.Contains(stderr, "credentials are missing or wrong") || strings.Contains(stderr, "wrong-secret") {
		t.Errorf("wrong secret: exit %d %q", code, stderr)
	}
	if len(bad.versions()) != 0 {
		t.Errorf("wrong secret installed %v", bad.versions())
	}
	prime := runner("fleet-secret-value")
	if code, _, stderr := prime.run("fetch", "3.13"); code != 0 {
		t.Fatal(stderr)
	}
	delete(prime.vars, "AWS_ENDPOINT_URL")
	if code, stdout, stderr := prime.run("install", "--offline", "3.13"); code != 0 || !strings.Contains(stdout, "installed 3.13.10") {
		t.Errorf("offline after priming from the bucket: exit %d %q %q", code, stdout, stderr)
	}
}
