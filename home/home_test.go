package home

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLayout(t *testing.T) {
	t.Parallel()
	h := Home{Root: "/data/pyfetch"}
	for got, want := range map[string]string{
		h.Versions():            "/data/pyfetch/versions",
		h.VersionDir("3.13.5t"): "/data/pyfetch/versions/3.13.5t",
		h.LockPath("3.13.5"):    "/data/pyfetch/versions/.3.13.5.lock",
		h.BuildRoot():           "/data/pyfetch/build",
		h.CacheRoot():           "/data/pyfetch/cache",
		h.CacheDir("3.14.0"):    "/data/pyfetch/cache/3.14.0",
		h.LogDir():              "/data/pyfetch/cache/logs",
	} {
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
	if c := (Home{Root: "/h", Cache: "/shared/cache"}); c.CacheRoot() != "/shared/cache" || c.LogDir() != "/shared/cache/logs" {
		t.Errorf("a named cache: %s %s", c.CacheRoot(), c.LogDir())
	}
}

// A lock in a folder only you can write is 0600; in a folder others may
// write (a shared cache) it stays 0644 so they can take it too. A busy
// lock waits at most LockTimeout and says so.
func TestLock(t *testing.T) {
	t.Parallel()
	private := t.TempDir()
	os.Chmod(private, 0o755)
	shared := t.TempDir()
	os.Chmod(shared, 0o777)
	h := Home{Root: private, LockTimeout: 50 * time.Millisecond}
	for dir, want := range map[string]os.FileMode{private: 0o600, shared: 0o644} {
		p := filepath.Join(dir, "x.lock")
		l, err := h.Lock(context.Background(), p, "testing", nil)
		if err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(p); fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", dir, fi.Mode().Perm(), want)
		}
		var said string
		if _, err := h.Lock(context.Background(), p, "testing", func(s string) { said = s }); err == nil {
			t.Error("a held lock was taken twice")
		}
		if said == "" {
			t.Error("the wait was not said")
		}
		l.Unlock()
	}
}
