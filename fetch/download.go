package fetch

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pyfetch/pyfetch/internal/digest"
	"github.com/pyfetch/pyfetch/internal/osfs"
	"github.com/pyfetch/pyfetch/internal/safefile"
)

// Result describes a completed download.
type Result struct {
	Size   int64
	SHA256 []byte
	// Hashes holds the SHA-256 and every extra hash asked for
	// (DownloadHashing), all from the one pass over the bytes.
	Hashes *digest.Set
	// Head is the first bytes of the body, to tell a misdelivered HTML
	// error page from a corrupt archive in error messages.
	Head []byte
	// ResumedFrom is the offset an earlier run's .part was resumed at (0
	// for a fresh download): a digest mismatch after a resume may be the
	// old partial file's fault, not the server's.
	ResumedFrom int64
	// Body reads the downloaded bytes (the private temp file), so a check
	// can look inside before anything is moved into place.
	Body io.ReaderAt
}

// Check inspects a completed download before it is moved into place; an
// error discards the download.
type Check func(Result) error

// Download fetches rawURL into dst and returns dst open for reading at
// offset 0: the very file that was hashed, so a path swapped after the
// rename cannot slip other bytes to the caller. The caller closes it.
//
// Bytes go to dst+".part", created afresh with O_EXCL and mode 0600, and
// are hashed as they arrive. A .part left by an earlier run is resumed
// with an HTTP Range request only when it is a regular file with one link
// that the current user owns and nobody else can write (safefile.Check);
// anything else planted there (a symlink, a hard link, a FIFO, another
// user's file) is reported, removed and never written through. Callers
// hold a lock for dst, so no other pyfetch writes the same .part. When the body is complete, check (if non-nil) sees the
// size and SHA-256; only if it returns nil is the file made readable
// (0644) and renamed to dst. On any failure dst is untouched; the partial
// bytes are kept as dst+".part" only when resuming them later makes sense
// (a network failure after some bytes arrived), never after a failed
// check.
func (c *Client) Download(ctx context.Context, rawURL, dst string, maxBytes int64, check Check) (*os.File, Result, error) {
	return c.DownloadHashing(ctx, rawURL, dst, maxBytes, nil, check)
}

// DownloadHashing is Download that also computes extra hashes (what a
// signature scheme needs) in the same pass, into Result.Digests.
func (c *Client) DownloadHashing(ctx context.Context, rawURL, dst string, maxBytes int64, extra []crypto.Hash, check Check) (*os.File, Result, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	name := baseName(rawURL)
	part := dst + ".part"
	f, err := c.openPart(part)
	if err != nil {
		return nil, Result{}, fmt.Errorf("fetch %s: %w", name, err)
	}
	work := f.Name()
	keepPart, keepOpen := true, false
	defer func() {
		if !keepOpen {
			f.Close()
		}
		switch {
		case keepOpen:
		case keepPart && work != part:
			if err := os.Rename(work, part); err != nil {
				os.Remove(work)
			}
		case !keepPart:
			os.Remove(work)
		}
	}()

	h, err := digest.New(extra...)
	if err != nil {
		keepPart = false
		return nil, Result{}, fmt.Errorf("fetch %s: %w", name, err)
	}
	// A .part from an interrupted run: hash what is there (its only read)
	// and ask for the rest.
	offset, err := io.Copy(h, f)
	if err != nil {
		keepPart = false
		return nil, Result{}, fmt.Errorf("fetch %s: read partial download: %w", name, err)
	}
	s := &stream{c: c, name: name, url: rawURL, out: &fileSink{File: f}, h: h, offset: offset, max: maxBytes, showProgress: true, resumedPart: offset > 0}
	if err := s.run(ctx); err != nil {
		// Resume only what is worth resuming: some bytes, and a failure
		// another attempt could get past.
		if s.offset == 0 || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrOffline) || errors.Is(err, ErrInsecureRedirect) {
			keepPart = false
		}
		return nil, Result{}, fmt.Errorf("fetch %s: %w", name, err)
	}
	res := Result{Size: s.offset, SHA256: h.Sum(nil), Hashes: h, Head: s.head, ResumedFrom: offset, Body: f}
	if err := f.Sync(); err != nil {
		return nil, Result{}, fmt.Errorf("fetch %s: %w", name, err)
	}
	if check != nil {
		if err := check(res); err != nil {
			keepPart = false
			return nil, res, err
		}
	}
	res.Body = nil
	if err := f.Chmod(0o644); err != nil {
		keepPart = false
		return nil, Result{}, fmt.Errorf("fetch %s: %w", name, err)
	}
	if err := os.Rename(work, dst); err != nil {
		keepPart = false
		return nil, Result{}, fmt.Errorf("fetch %s: %w", name, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, Result{}, fmt.Errorf("fetch %s: %w", name, err)
	}
	keepOpen = true
	return f, res, nil
}

// openPart returns the file to download into: an earlier run's .part to
// resume when it is a private regular file of ours, else a fresh one
// created with O_EXCL (so it is a new inode: never a planted hard link,
// symlink or FIFO). Anything planted at the .part is reported and removed
// (the entry, never its target); when it cannot be removed (another
// user's file in a sticky folder) the download goes to a fresh private
// temp file with a random name instead.
func (c *Client) openPart(part string) (*os.File, error) {
	f, err := safefile.OpenFile(part, os.O_RDWR)
	if err == nil {
		return f, nil
	}
	if errors.Is(err, safefile.ErrUntrusted) {
		c.notify("SECURITY WARNING: %v; not resuming from it, removing it and downloading afresh", err)
		if rerr := safefile.Remove(part); rerr != nil {
			return os.CreateTemp(filepath.Dir(part), ".dl-"+filepath.Base(part)+"-*")
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	f, err = os.OpenFile(part, os.O_RDWR|os.O_CREATE|os.O_EXCL|osfs.NoFollow|osfs.CloExec, 0o600)
	if errors.Is(err, fs.ErrExist) {
		// Planted between the check and the create: never share it.
		return os.CreateTemp(filepath.Dir(part), ".dl-"+filepath.Base(part)+"-*")
	}
	return f, err
}

// Get reads a small file (a bundle, a listing) into memory, refusing
// anything larger than maxBytes. It retries and resumes like Download.
func (c *Client) Get(ctx context.Context, rawURL string, maxBytes int64) ([]byte, error) {
	buf := &memSink{}
	s := &stream{c: c, name: baseName(rawURL), url: rawURL, out: buf, max: maxBytes}
	if err := s.run(ctx); err != nil {
		return nil, fmt.Errorf("fetch %s: %w", s.name, err)
	}
	return buf.Bytes(), nil
}

// sink is where a stream's bytes go; Reset starts it over.
type sink interface {
	io.Writer
	Reset() error
}

type fileSink struct {
	*os.File
	unflushed int64 // bytes written since writeback was last started
}

// writebackEvery is how many downloaded bytes pass between starts of the
// disk's writeback: the fsync before the download is renamed into the
// cache then waits only for the tail, not for the whole artifact.
const writebackEvery = 8 << 20

// Write marks a failure to write as the disk's (DiskError), so that it is
// never retried like a network error.
func (f *fileSink) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	if err != nil {
		err = &DiskError{Path: f.Name(), Err: err}
	}
	if f.unflushed += int64(n); f.unflushed >= writebackEvery {
		f.unflushed = 0
		osfs.StartWriteback(f.File)
	}
	return n, err
}

// ErrDisk means a download could not be written where it goes: the disk
// is full, over quota or read-only. Retrying does not help.
var ErrDisk = errors.New("cannot write the download")

// DiskError is a failure to write a download's bytes.
type DiskError struct {
	Path string
	Err  error
}

func (e *DiskError) Error() string { return "write " + e.Path + ": " + e.Err.Error() }

// Unwrap gives both the cause and ErrDisk.
func (e *DiskError) Unwrap() []error { return []error{ErrDisk, e.Err} }

func (f *fileSink) Reset() error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.Seek(0, io.SeekStart)
	return err
}

type memSink struct{ bytes.Buffer }

func (m *memSink) Reset() error { m.Buffer.Reset(); return nil }

// headWriter keeps the first headSize bytes written to it.
type headWriter []byte

const headSize = 512

func (w *headWriter) Write(p []byte) (int, error) {
	if room := headSize - len(*w); room > 0 {
		*w = append(*w, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// LooksLikeHTML reports whether a body starts like an HTML page.
func LooksLikeHTML(head []byte) bool {
	h := strings.ToLower(strings.TrimSpace(string(head)))
	return strings.HasPrefix(h, "<!doctype html") || strings.HasPrefix(h, "<html") || strings.HasPrefix(h, "<head") || strings.HasPrefix(h, "<body")
}
