package fetch

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/internal/textsafe"
)

// stream is one download in progress: the file, the running hash and how
// far both have got.
type stream struct {
	c      *Client
	name   string
	url    string
	out    sink
	h      hash.Hash // nil when nobody needs the digest (Get)
	offset int64
	max    int64
	pw     io.WriteCloser
	head   []byte
	// showProgress: artifacts get a progress bar; bundles and listings,
	// a few kilobytes each, do not.
	showProgress bool
	// resumedPart: the first attempt resumes an earlier run's .part.
	resumedPart bool
}

func (s *stream) run(ctx context.Context) (err error) {
	defer func() {
		if s.pw == nil {
			return
		}
		if err != nil {
			abort(s.pw) // never "downloaded" for what was not
			return
		}
		s.pw.Close()
	}()
	var lastErr error
	for attempt := 0; attempt <= s.c.retries(); attempt++ {
		if attempt > 0 {
			s.c.notify("resuming %s at byte %d after: %v", s.name, s.offset, lastErr)
			if err := sleep(ctx, s.c.retryWait()<<min(attempt-1, 6)); err != nil {
				return err
			}
		}
		err := s.once(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var perm permanent
		if errors.As(err, &perm) {
			return perm.error
		}
		lastErr = err
	}
	if n := s.c.retries() + 1; n > 1 {
		return fmt.Errorf("giving up after %d attempts: %w", n, lastErr)
	}
	return lastErr
}

// Aborter is a progress writer that can be told its download did not
// complete (interrupted, failed, or started over), instead of Close.
type Aborter interface{ Abort() }

func abort(pw io.WriteCloser) {
	if a, ok := pw.(Aborter); ok {
		a.Abort()
		return
	}
	pw.Close()
}

// permanent marks an error that another attempt cannot fix.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// once makes one request from s.offset and copies the body. A transient
// failure is returned plain; one that retrying cannot fix is permanent.
func (s *stream) once(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	body, start, total, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer body.Close()
	if start != s.offset {
		// The server ignored the Range request: start over from byte 0,
		// which still ends in a correct file.
		if err := s.reset(); err != nil {
			return permanent{err}
		}
	}
	if total > s.max {
		return permanent{fmt.Errorf("%w: server announces %d bytes, cap is %d", ErrTooLarge, total, s.max)}
	}
	if s.pw == nil && s.offset > 0 && s.showProgress && s.resumedPart {
		s.c.notify("resuming %s from byte %d of %d (a partial download an earlier run left)", s.name, s.offset, total)
	}
	s.resumedPart = false
	if s.pw == nil && s.c.Progress != nil && s.showProgress {
		// The progress counts the whole file: what an earlier attempt
		// brought is already done.
		s.pw = s.c.Progress(s.name, total, s.offset)
	}
	// A stalled body cancels this attempt's context; the loop resumes.
	timer := time.AfterFunc(s.c.idle(), cancel)
	defer timer.Stop()
	r := &idleReader{r: body, t: timer, d: s.c.idle(), need: s.c.minWindowBytes()}
	dst := []io.Writer{s.out, (*headWriter)(&s.head)}
	if s.h != nil {
		dst = append(dst, s.h)
	}
	if s.pw != nil {
		dst = append(dst, s.pw)
	}
	n, err := io.Copy(io.MultiWriter(dst...), io.LimitReader(r, s.max-s.offset+1))
	s.offset += n
	if s.offset > s.max {
		return permanent{fmt.Errorf("%w: more than %d bytes", ErrTooLarge, s.max)}
	}
	var disk *DiskError
	if errors.As(err, &disk) {
		// A full disk, a quota, a read-only file system: no retry fixes
		// it. Say where, and how much is still needed.
		need := "more room"
		if total >= 0 {
			need = fmt.Sprintf("%.1f MB more", float64(total-s.offset)/1e6)
		}
		return permanent{fmt.Errorf("%w in %s: %v (the download needs %s there; free it, or point --cache elsewhere)", ErrDisk, filepath.Dir(disk.Path), disk.Err, need)}
	}
	if err != nil {
		if !timer.Stop() {
			return fmt.Errorf("stalled: fewer than %d bytes in %s: %w", s.c.minWindowBytes(), s.c.idle(), err)
		}
		if total >= 0 {
			return fmt.Errorf("body ended at byte %d of %d: %w", s.offset, total, err)
		}
		return err
	}
	if total >= 0 && s.offset != total {
		return fmt.Errorf("body ended at byte %d of %d: %w", s.offset, total, io.ErrUnexpectedEOF)
	}
	return nil
}

// reset throws away what was downloaded so far; the progress starts
// over too, so it never passes 100%.
func (s *stream) reset() error {
	if err := s.out.Reset(); err != nil {
		return err
	}
	if s.pw != nil {
		abort(s.pw)
		s.pw = nil
	}
	if s.h != nil {
		s.h.Reset()
	}
	s.offset = 0
	s.head = s.head[:0]
	return nil
}

// open starts the body at s.offset if the source allows it. It returns
// where the body actually starts and the file's total size (-1 if unknown).
func (s *stream) open(ctx context.Context) (io.ReadCloser, int64, int64, error) {
	u, err := url.Parse(s.url)
	if err != nil {
		return nil, 0, 0, permanent{err}
	}
	if u.Scheme == "file" {
		return openFile(u, s.offset)
	}
	if s.c.Offline {
		return nil, 0, 0, permanent{fmt.Errorf("%w: would download %s", ErrOffline, s.url)}
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, 0, 0, permanent{err}
	}
	// Identity encoding: a transparently gunzipped body would not be the
	// signed bytes, and Range offsets must count the bytes on the wire.
	req.Header.Set("Accept-Encoding", "identity")
	if s.offset > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", s.offset))
	}
	resp, err := s.c.httpClient().Do(req)
	if err != nil && !errors.Is(err, ErrInsecureRedirect) && unreachable(err) {
		return nil, 0, 0, permanent{fmt.Errorf("%w %s: %v", ErrUnreachable, req.URL.Host, oneLine(err))}
	}
	if err != nil {
		// retryablehttp has already retried connection errors with
		// backoff; retrying its retries would multiply the wait.
		return nil, 0, 0, permanent{err}
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return resp.Body, 0, resp.ContentLength, nil
	case http.StatusPartialContent:
		start, total, err := parseContentRange(resp.Header.Get("Content-Range"))
		if err != nil || start != s.offset {
			resp.Body.Close()
			asked := s.offset
			// A 206 for bytes we did not ask for cannot be spliced in:
			// drop what we have and ask for the whole file.
			if rerr := s.reset(); rerr != nil {
				return nil, 0, 0, permanent{rerr}
			}
			return nil, 0, 0, fmt.Errorf("bad Content-Range %q for offset %d", cut(resp.Header.Get("Content-Range")), asked)
		}
		return resp.Body, start, total, nil
	case http.StatusRequestedRangeNotSatisfiable:
		resp.Body.Close()
		if err := s.reset(); err != nil {
			return nil, 0, 0, permanent{err}
		}
		return nil, 0, 0, fmt.Errorf("server refused resuming (416)")
	case http.StatusNotFound, http.StatusGone:
		resp.Body.Close()
		return nil, 0, 0, permanent{fmt.Errorf("%w: %s answered %s", ErrNotFound, s.url, textsafe.Escape(resp.Status))}
	case http.StatusUnauthorized:
		resp.Body.Close()
		hint := "the mirror wants credentials: give them in its URL, https://USER:PASSWORD@host/... (pyfetch never shows them)"
		if s.c.Auth[origin(u)] != nil {
			hint = "the mirror refused the credentials in its URL"
		}
		return nil, 0, 0, permanent{fmt.Errorf("%s answered %s; %s", s.url, textsafe.Escape(resp.Status), hint)}
	default:
		// 5xx and 429 reach here only once retryablehttp gave up on them.
		resp.Body.Close()
		return nil, 0, 0, permanent{fmt.Errorf("%s answered %s", s.url, textsafe.Escape(resp.Status))}
	}
}

func openFile(u *url.URL, offset int64) (io.ReadCloser, int64, int64, error) {
	f, err := safefile.OpenNamed(u.Path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, 0, 0, permanent{fmt.Errorf("%w: %s", ErrNotFound, u.Path)}
		}
		return nil, 0, 0, permanent{err}
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, 0, permanent{fmt.Errorf("%s: not a regular file", u.Path)}
	}
	if offset > fi.Size() {
		offset = 0
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, 0, 0, permanent{err}
	}
	return f, offset, fi.Size(), nil
}

// parseContentRange parses "bytes START-END/TOTAL" (TOTAL may be "*").
func parseContentRange(v string) (start, total int64, err error) {
	rest, ok := strings.CutPrefix(v, "bytes ")
	if !ok {
		return 0, 0, fmt.Errorf("bad Content-Range %q", cut(v))
	}
	rng, tot, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, fmt.Errorf("bad Content-Range %q", cut(v))
	}
	a, b, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, fmt.Errorf("bad Content-Range %q", cut(v))
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || start < 0 || end < start {
		return 0, 0, fmt.Errorf("bad Content-Range %q", cut(v))
	}
	total = -1
	if tot != "*" {
		total, err = strconv.ParseInt(tot, 10, 64)
		if err != nil || total <= end {
			return 0, 0, fmt.Errorf("bad Content-Range %q", cut(v))
		}
	}
	return start, total, nil
}

// idleReader pushes the stall timer back each time a window's worth of
// bytes (the low-speed limit times the idle timeout) has arrived, so a
// trickle of a byte now and then cannot keep a download alive forever.
type idleReader struct {
	r    io.Reader
	t    *time.Timer
	d    time.Duration
	need int64 // bytes per window
	got  int64 // bytes in the current window
}

func (r *idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.got += int64(n)
	if r.got >= r.need {
		r.got = 0
		r.t.Reset(r.d)
	}
	return n, err
}

// oneLine strips the Go-internal "Get "URL": " framing off a network
// error, keeping the cause.
func oneLine(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err.Error()
	}
	return err.Error()
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// baseName is the file name in rawURL, for messages; a folder's URL
// (a listing) is named whole, so no message reads "fetch : ...".
func baseName(rawURL string) string {
	if strings.HasSuffix(rawURL, "/") {
		return rawURL
	}
	if i := strings.LastIndexByte(rawURL, '/'); i >= 0 {
		return rawURL[i+1:]
	}
	return rawURL
}

// cut bounds a header value quoted in an error (%q escapes it).
func cut(v string) string {
	if len(v) > 100 {
		return v[:100] + "…"
	}
	return v
}
