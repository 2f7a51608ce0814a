package pyfetchtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Nginx is a real nginx serving a folder on a loopback port with
// autoindex on.
type Nginx struct {
	URL       string // with trailing slash
	AccessLog string
}

// StartNginx serves root with nginx until the test ends. Without an
// nginx binary the test is skipped, except under CI (CI=true), where the
// binary is required and its absence fails the test.
func StartNginx(t testing.TB, root string) *Nginx {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		for _, p := range []string{"/usr/sbin/nginx", "/usr/local/sbin/nginx"} {
			if _, serr := os.Stat(p); serr == nil {
				bin, err = p, nil
			}
		}
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("nginx is required in CI (.ci/run installs it with apt-get) but was not found")
		}
		t.Skip("nginx not installed; skipping the real web server test (apt-get install nginx to run it)")
	}
	prefix := t.TempDir()
	port := freePort(t)
	conf := filepath.Join(prefix, "nginx.conf")
	accessLog := filepath.Join(prefix, "access.log")
	// master_process off: one process running as the test's user, so it
	// can read the test's private temp dirs even when tests run as root.
	cfg := fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 64; }
http {
  access_log %[2]s;
  default_type application/octet-stream;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  server {
    listen 127.0.0.1:%[3]d;
    root %[4]s;
    autoindex on;
  }
}
`, prefix, accessLog, port, root)
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", conf, "-p", prefix)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(prefix, "error.log"))
			t.Fatalf("nginx did not listen on %s: %s", addr, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &Nginx{URL: "http://" + addr + "/", AccessLog: accessLog}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
