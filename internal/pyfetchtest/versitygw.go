package pyfetchtest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Versitygw starts versitygw (a real S3 server that checks every SigV4
// signature) on a loopback port, serving a fresh folder that holds the
// bucket "fleet", with root credentials access/secret and any extra
// flags; it returns the endpoint URL. It skips on a machine without the
// binary and fails under CI=true (.ci/run installs it).
func Versitygw(t testing.TB, access, secret string, extra ...string) string {
	t.Helper()
	bin := VersitygwBinary(t)
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "fleet"), 0o755) // the posix backend: a bucket is a folder
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	args := append([]string{"--access", access, "--secret", secret, "--port", addr}, extra...)
	cmd := exec.Command(bin, append(args, "posix", dir)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not listen on %s", addr)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return "http://" + addr
}

// VersitygwBinary finds versitygw on PATH or in GOPATH/bin.
func VersitygwBinary(t testing.TB) string {
	t.Helper()
	if bin, err := exec.LookPath("versitygw"); err == nil {
		return bin
	}
	if gp, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		if p := filepath.Join(strings.TrimSpace(string(gp)), "bin", "versitygw"); fileExists(p) {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("versitygw is not installed (.ci/run installs it)")
	}
	t.Skip("versitygw is not installed: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0")
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
