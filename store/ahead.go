package store

import (
	"context"
	"crypto"
	"io"
	"os"

	"github.com/pyfetch/pyfetch/internal/digest"
	"github.com/pyfetch/pyfetch/internal/safefile"
)

// hashAhead is the cached artifact hashed while its signature is still
// being fetched: the SHA-256 that a Sigstore bundle signs is then ready
// when the bundle is, instead of after it. It creates, locks and removes
// nothing. Under the cache lock, useCached opens the artifact as always
// and takes this digest only if that is the very file hashed here (the
// same inode, which only its owner can write, and which pyfetch never
// rewrites: cached files appear by rename); otherwise it hashes again.
type hashAhead struct {
	f      *os.File
	cancel context.CancelFunc
	done   chan struct{}
	set    *digest.Set
	err    error
}

// startHashAhead starts hashing path when it is a file pyfetch may read
// (safefile's checks); nil when it is absent or not such a file, which
// useCached then handles under the lock.
func startHashAhead(ctx context.Context, path string) *hashAhead {
	f, err := safefile.Open(path)
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	h := &hashAhead{f: f, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		h.set, h.err = digest.Reader(&ctxReader{ctx: ctx, r: f})
	}()
	return h
}

// sum waits for the hash and returns it when f is the file hashed and
// SHA-256 alone is wanted (the hashes beyond it are extra); else nil.
func (h *hashAhead) sum(f *os.File, extra []crypto.Hash) *digest.Set {
	if h == nil {
		return nil
	}
	for _, x := range extra {
		if x != crypto.SHA256 {
			return nil
		}
	}
	<-h.done
	if h.err != nil {
		return nil
	}
	a, aerr := h.f.Stat()
	b, berr := f.Stat()
	if aerr != nil || berr != nil || !os.SameFile(a, b) || a.Size() != b.Size() {
		return nil
	}
	return h.set
}

// close stops the hash if it still runs and closes the file.
func (h *hashAhead) close() {
	if h == nil {
		return
	}
	h.cancel()
	<-h.done
	h.f.Close()
}

// ctxReader stops reading once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
