package store

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
)

// TestHashAhead: the digest hashed ahead is used only for the very file
// opened later, and only when SHA-256 alone is wanted; a file replaced
// in between (a new inode), another file, or a planted symlink get nil,
// so useCached hashes what it opened.
func TestHashAhead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "Python-3.13.5.tar.xz")
	old := bytes.Repeat([]byte("old release bytes "), 100000)
	if err := os.WriteFile(path, old, 0o644); err != nil {
		t.Fatal(err)
	}
	oldSum := sha256.Sum256(old)
	open := func(t *testing.T) *os.File {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}

	t.Run("same file", func(t *testing.T) {
		h := startHashAhead(context.Background(), path)
		defer h.close()
		set := h.sum(open(t), nil)
		if set == nil || !bytes.Equal(set.Sum(nil), oldSum[:]) {
			t.Fatalf("sum = %v, want the file's SHA-256", set)
		}
		if h.sum(open(t), []crypto.Hash{crypto.SHA256}) == nil {
			t.Error("SHA-256 named as the extra hash: want the digest")
		}
		if h.sum(open(t), []crypto.Hash{crypto.SHA512}) != nil {
			t.Error("SHA-512 wanted too: want nil (hash again, with both)")
		}
	})
	t.Run("replaced by rename", func(t *testing.T) {
		h := startHashAhead(context.Background(), path)
		defer h.close()
		next := filepath.Join(dir, "next")
		if err := os.WriteFile(next, []byte("other bytes"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(next, path); err != nil {
			t.Fatal(err)
		}
		if set := h.sum(open(t), nil); set != nil {
			t.Fatalf("the path names another file now: sum = %x, want nil", set.Sum(nil))
		}
	})
	t.Run("absent", func(t *testing.T) {
		h := startHashAhead(context.Background(), filepath.Join(dir, "missing"))
		if h != nil {
			t.Fatal("want nil for a missing file")
		}
		h.close() // a nil hashAhead is usable
		if h.sum(open(t), nil) != nil {
			t.Fatal("nil hashAhead: want nil sum")
		}
	})
	t.Run("symlink", func(t *testing.T) {
		link := filepath.Join(dir, "link")
		if err := os.Symlink(path, link); err != nil {
			t.Fatal(err)
		}
		if h := startHashAhead(context.Background(), link); h != nil {
			h.close()
			t.Fatal("a symlink is not hashed ahead")
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		h := startHashAhead(ctx, path)
		defer h.close()
		if set := h.sum(open(t), nil); set != nil {
			t.Fatal("a cancelled hash: want nil")
		}
	})
}
