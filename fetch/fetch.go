package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/pyfetch/pyfetch/internal/safefile"
)

var (
	// ErrNotFound means the mirror has no such file (HTTP 404 or a missing local file).
	ErrNotFound = errors.New("not found")
	// ErrTooLarge means a download exceeded its size cap.
	ErrTooLarge = errors.New("larger than allowed")
	// ErrOffline means a network download was asked for in offline mode.
	ErrOffline = errors.New("network access disabled (--offline)")
	// ErrInsecureRedirect means a redirect was refused: a step down from
	// https, or a loop.
	ErrInsecureRedirect = errors.New("refused redirect")
)

// Defaults for the zero Client.
const (
	DefaultMaxBytes    = 1 << 30 // 1 GiB: CPython source tarballs are ~30 MB
	DefaultRetries     = 5
	DefaultIdleTimeout = 30 * time.Second
	DefaultMinSpeed    = 1024 // bytes per second, averaged over IdleTimeout
)

// Client downloads files over http(s) or from file:// URLs. Its zero value
// is ready to use.
type Client struct {
	// HTTP is the retrying client; nil builds one with Retries and proxy
	// settings from the environment.
	HTTP *retryablehttp.Client
	// Retries bounds both request retries and body resumptions (0 means
	// DefaultRetries, negative means none).
	Retries int
	// RetryWait is the first pause between attempts (doubles each time).
	RetryWait time.Duration
	// IdleTimeout aborts and resumes a body that stalls this long: one
	// that brings fewer than MinSpeed bytes a second over that time (a
	// server trickling a byte every few seconds counts as stalled).
	IdleTimeout time.Duration
	// MinSpeed is the low-speed limit in bytes per second (default
	// DefaultMinSpeed; negative disables it, leaving the idle timeout).
	MinSpeed int64
	// MaxRetryWait caps any wait between attempts, including one a
	// server asks for with Retry-After (default 60s): a hostile or broken
	// server must not park pyfetch for hours.
	MaxRetryWait time.Duration
	// Offline refuses http(s) URLs with ErrOffline.
	Offline bool
	// Progress, when set, is called once per download with the file name
	// and total size (-1 when unknown); its writer sees every body byte.
	Progress func(name string, total int64) io.WriteCloser
	// Notify, when set, receives one line per retry or resume.
	Notify func(msg string)
	// Transport replaces the default (proxy-aware) transport; for tests.
	Transport http.RoundTripper

	once sync.Once // builds the default HTTP client; a Client is shared by parallel downloads
	def  *retryablehttp.Client
}

func (c *Client) retries() int {
	if c.Retries < 0 {
		return 0
	}
	if c.Retries > 0 {
		return c.Retries
	}
	return DefaultRetries
}

func (c *Client) retryWait() time.Duration {
	if c.RetryWait > 0 {
		return c.RetryWait
	}
	return 500 * time.Millisecond
}

// minWindowBytes is how many bytes each IdleTimeout window must bring.
func (c *Client) minWindowBytes() int64 {
	speed := c.MinSpeed
	if speed == 0 {
		speed = DefaultMinSpeed
	}
	if speed < 0 {
		return 1
	}
	return max(1, int64(float64(speed)*c.idle().Seconds()))
}

func (c *Client) idle() time.Duration {
	if c.IdleTimeout > 0 {
		return c.IdleTimeout
	}
	return DefaultIdleTimeout
}

func (c *Client) notify(format string, args ...any) {
	if c.Notify != nil {
		c.Notify(fmt.Sprintf(format, args...))
	}
}

func (c *Client) httpClient() *retryablehttp.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	c.once.Do(func() { c.def = c.newHTTPClient() })
	return c.def
}

func (c *Client) newHTTPClient() *retryablehttp.Client {
	rc := retryablehttp.NewClient()
	rc.Logger = nil // libraries never print; retries are reported through Notify
	rc.RetryMax = c.retries()
	rc.RetryWaitMin = c.retryWait()
	maxWait := c.MaxRetryWait
	if maxWait <= 0 {
		maxWait = 60 * time.Second
	}
	rc.RetryWaitMax = min(30*time.Second, maxWait)
	rc.Backoff = func(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
		d := retryablehttp.DefaultBackoff(lo, hi, attempt, resp) // honours Retry-After on 429 and 503
		if d > maxWait {
			c.notify("server asked to wait %s before retrying; waiting %s", d, maxWait)
			d = maxWait
		}
		return d
	}
	rc.RequestLogHook = func(_ retryablehttp.Logger, r *http.Request, attempt int) {
		if attempt > 0 {
			c.notify("retrying %s (attempt %d of %d)", r.URL, attempt+1, rc.RetryMax+1)
		}
	}
	// ProxyFromEnvironment comes with cleanhttp's pooled transport. A
	// server that accepts the connection but never answers must not hang
	// pyfetch: the header wait is bounded like a stalled body, and
	// retryablehttp retries the timeout.
	if t, ok := rc.HTTPClient.Transport.(*http.Transport); ok {
		t.ResponseHeaderTimeout = c.idle()
	}
	if c.Transport != nil {
		rc.HTTPClient.Transport = c.Transport
	}
	rc.HTTPClient.CheckRedirect = checkRedirect
	// Retry what time can fix (timeouts, resets, 5xx, 429), not what it
	// cannot: a refused redirect or loop, a name that does not resolve, a
	// certificate that does not verify, a refused connection or proxy.
	rc.CheckRetry = func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if err != nil && unreachable(err) {
			return false, err
		}
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	// Return the last response instead of a bare "giving up" error, so a
	// final 503 is reported with its status.
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	return rc
}

// ErrUnreachable means the server cannot be reached in a way no retry
// fixes: DNS, TLS certificate, refused connection or proxy.
var ErrUnreachable = errors.New("cannot reach the server")

// unreachable reports whether err is a failure retrying cannot fix.
func unreachable(err error) bool {
	if errors.Is(err, ErrInsecureRedirect) || errors.Is(err, ErrUnreachable) {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && !dnsErr.IsTimeout && !dnsErr.IsTemporary {
		return true
	}
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	if errors.As(err, &certErr) || errors.As(err, &unknownCA) || errors.As(err, &hostErr) || errors.As(err, &invalid) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "proxyconnect" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// checkRedirect refuses redirect loops and any step down from https: a
// mirror reached over https must not hand the download to plain http.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return fmt.Errorf("%w: more than 10 redirects from %s", ErrInsecureRedirect, via[0].URL)
	}
	prev := via[len(via)-1].URL
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fmt.Errorf("%w: %s redirected to %s (only http and https are followed)", ErrInsecureRedirect, prev, req.URL)
	}
	if prev.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("%w: %s redirected to %s (https to %s)", ErrInsecureRedirect, prev, req.URL, req.URL.Scheme)
	}
	return nil
}

// Result describes a completed download.
type Result struct {
	Size   int64
	SHA256 []byte
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

	h := sha256.New()
	// A .part from an interrupted run: hash what is there (its only read)
	// and ask for the rest.
	offset, err := io.Copy(h, f)
	if err != nil {
		keepPart = false
		return nil, Result{}, fmt.Errorf("fetch %s: read partial download: %w", name, err)
	}
	s := &stream{c: c, name: name, url: rawURL, out: fileSink{f}, h: h, offset: offset, max: maxBytes, showProgress: true}
	if err := s.run(ctx); err != nil {
		// Resume only what is worth resuming: some bytes, and a failure
		// another attempt could get past.
		if s.offset == 0 || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrOffline) || errors.Is(err, ErrInsecureRedirect) {
			keepPart = false
		}
		return nil, Result{}, fmt.Errorf("fetch %s: %w", name, err)
	}
	res := Result{Size: s.offset, SHA256: h.Sum(nil), Head: s.head, ResumedFrom: offset, Body: f}
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
	f, err = os.OpenFile(part, os.O_RDWR|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if errors.Is(err, fs.ErrExist) {
		// Planted between the check and the create: never share it.
		return os.CreateTemp(filepath.Dir(part), ".dl-"+filepath.Base(part)+"-*")
	}
	return f, err
}

// stream is one download in progress: the file, the running hash and how
// far both have got.
type stream struct {
	c      *Client
	name   string
	url    string
	out    sink
	h      hash.Hash
	offset int64
	max    int64
	pw     io.WriteCloser
	head   []byte
	// showProgress: artifacts get a progress bar; bundles and listings,
	// a few kilobytes each, do not.
	showProgress bool
}

func (s *stream) run(ctx context.Context) error {
	defer func() {
		if s.pw != nil {
			s.pw.Close()
		}
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
	return fmt.Errorf("giving up after %d attempts: %w", s.c.retries()+1, lastErr)
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
	if s.pw == nil && s.c.Progress != nil && s.showProgress {
		s.pw = s.c.Progress(s.name, total)
	}
	// A stalled body cancels this attempt's context; the loop resumes.
	timer := time.AfterFunc(s.c.idle(), cancel)
	defer timer.Stop()
	r := &idleReader{r: body, t: timer, d: s.c.idle(), need: s.c.minWindowBytes()}
	dst := []io.Writer{s.out, s.h, (*headWriter)(&s.head)}
	if s.pw != nil {
		dst = append(dst, s.pw)
	}
	n, err := io.Copy(io.MultiWriter(dst...), io.LimitReader(r, s.max-s.offset+1))
	s.offset += n
	if s.offset > s.max {
		return permanent{fmt.Errorf("%w: more than %d bytes", ErrTooLarge, s.max)}
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

// reset throws away what was downloaded so far.
func (s *stream) reset() error {
	if err := s.out.Reset(); err != nil {
		return err
	}
	s.h.Reset()
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
			return nil, 0, 0, fmt.Errorf("bad Content-Range %q for offset %d", resp.Header.Get("Content-Range"), asked)
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
		return nil, 0, 0, permanent{fmt.Errorf("%w: %s answered %s", ErrNotFound, s.url, resp.Status)}
	default:
		// 5xx and 429 reach here only once retryablehttp gave up on them.
		resp.Body.Close()
		return nil, 0, 0, permanent{fmt.Errorf("%s answered %s", s.url, resp.Status)}
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
		return 0, 0, fmt.Errorf("bad Content-Range %q", v)
	}
	rng, tot, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, fmt.Errorf("bad Content-Range %q", v)
	}
	a, b, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, fmt.Errorf("bad Content-Range %q", v)
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || start < 0 || end < start {
		return 0, 0, fmt.Errorf("bad Content-Range %q", v)
	}
	total = -1
	if tot != "*" {
		total, err = strconv.ParseInt(tot, 10, 64)
		if err != nil || total <= end {
			return 0, 0, fmt.Errorf("bad Content-Range %q", v)
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

// Get reads a small file (a bundle, a listing) into memory, refusing
// anything larger than maxBytes. It retries and resumes like Download.
func (c *Client) Get(ctx context.Context, rawURL string, maxBytes int64) ([]byte, error) {
	buf := &memSink{}
	s := &stream{c: c, name: baseName(rawURL), url: rawURL, out: buf, h: sha256.New(), max: maxBytes}
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

type fileSink struct{ *os.File }

func (f fileSink) Reset() error {
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
