package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/pyfetch/pyfetch/internal/textsafe"
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
	// DefaultTimeout bounds connecting and waiting for a response's
	// headers. With at most maxTimeoutRetries retries of a timeout, a
	// mirror that accepts connections and never answers costs about
	// 30 s, as pip and uv spend, not minutes.
	DefaultTimeout  = 10 * time.Second
	DefaultMinSpeed = 1024 // bytes per second, averaged over IdleTimeout
)

// Client downloads files over http(s) or from file:// URLs. Its zero value
// is ready to use.
type Client struct {
	// Retries bounds both request retries and body resumptions (0 means
	// DefaultRetries, negative means none).
	Retries int
	// RetryWait is the first pause between attempts (doubles each time).
	RetryWait time.Duration
	// IdleTimeout aborts and resumes a body that stalls this long: one
	// that brings fewer than MinSpeed bytes a second over that time (a
	// server trickling a byte every few seconds counts as stalled).
	IdleTimeout time.Duration
	// Timeout bounds connecting and waiting for response headers
	// (DefaultTimeout when zero); a body that stalls is IdleTimeout's.
	Timeout time.Duration
	// MinSpeed is the low-speed limit in bytes per second (default
	// DefaultMinSpeed; negative disables it, leaving the idle timeout).
	MinSpeed int64
	// MaxRetryWait caps any wait between attempts, including one a
	// server asks for with Retry-After (default 60s): a hostile or broken
	// server must not park pyfetch for hours.
	MaxRetryWait time.Duration
	// Offline refuses http(s) URLs with ErrOffline.
	Offline bool
	// Progress, when set, is called when a download starts (and again if
	// it must start over) with the file name, the total size (-1 when
	// unknown) and the bytes already there (a resumed .part); its writer
	// sees every body byte after those. It is closed when the download is
	// complete; one that did not complete is Aborted when the writer is
	// an Aborter.
	Progress func(name string, total, done int64) io.WriteCloser
	// Notify, when set, receives one line per retry or resume.
	Notify func(msg string)
	// Transport replaces the default (proxy-aware) transport; for tests.
	Transport http.RoundTripper
	// Auth maps an origin ("https://host:port", as releases.Mirror's
	// Credentials gives it) to the basic-auth credentials sent with each
	// request to that origin and to no other (a redirect elsewhere drops
	// them). URLs themselves never carry credentials, so no message,
	// receipt or index shows them.
	Auth map[string]*url.Userinfo

	once sync.Once // builds the default HTTP client; a Client is shared by parallel downloads
	def  *retryablehttp.Client
	// why holds, per URL, why its last attempt failed, for the retry line.
	why sync.Map
	// timeouts counts, per URL, attempts that got no answer in time.
	timeouts sync.Map
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

// maxTimeoutRetries is how often an attempt that got no answer in time is
// retried.
const maxTimeoutRetries = 2

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
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
			reason := ""
			if why, ok := c.why.LoadAndDelete(r.URL.String()); ok {
				reason = " after: " + why.(string)
			}
			c.notify("retrying %s (attempt %d of %d)%s", r.URL, attempt+1, rc.RetryMax+1, reason)
		}
	}
	// ProxyFromEnvironment comes with cleanhttp's pooled transport. A
	// server that accepts the connection but never answers must not hang
	// pyfetch: the header wait is bounded like a stalled body, and
	// retryablehttp retries the timeout.
	if t, ok := rc.HTTPClient.Transport.(*http.Transport); ok {
		t.ResponseHeaderTimeout = c.timeout()
		t.DialContext = (&net.Dialer{Timeout: c.timeout(), KeepAlive: 30 * time.Second}).DialContext
		t.TLSHandshakeTimeout = c.timeout()
	}
	if c.Transport != nil {
		rc.HTTPClient.Transport = c.Transport
	}
	if len(c.Auth) > 0 {
		rc.HTTPClient.Transport = authTransport{base: rc.HTTPClient.Transport, auth: c.Auth}
	}
	rc.HTTPClient.CheckRedirect = checkRedirect
	// Retry what time can fix (timeouts, resets, refused connections of a
	// mirror still starting, 5xx, 429), not what it cannot: a refused
	// redirect or loop, a name that does not resolve, a certificate that
	// does not verify, a proxy that refuses. A connection still refused
	// after the retries is reported as unreachable.
	rc.CheckRetry = func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if err != nil && unreachable(err) && !errors.Is(err, syscall.ECONNREFUSED) {
			return false, err
		}
		if resp != nil && err == nil && (resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests) {
			c.why.Store(resp.Request.URL.String(), textsafe.Escape(resp.Status))
		} else if err != nil && resp == nil {
			var ue *url.Error
			msg := err.Error()
			if errors.As(err, &ue) {
				msg = ue.Err.Error()
				if ue.Timeout() {
					msg = fmt.Sprintf("no answer within %s (%s)", c.timeout(), msg)
					// A server that never answers is not retried as
					// often as one that fails fast.
					n, _ := c.timeouts.LoadOrStore(ue.URL, new(atomic.Int32))
					if n.(*atomic.Int32).Add(1) > maxTimeoutRetries {
						return false, err
					}
				}
			}
			if ctx.Err() == nil {
				if u := requestURL(err); u != "" {
					c.why.Store(u, textsafe.Escape(oneLine(errors.New(msg))))
				}
			}
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

// requestURL is the URL a *url.Error names ("" when err is not one).
func requestURL(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.URL
	}
	return ""
}

// authTransport adds an origin's basic-auth credentials to each request
// for that origin, redirects included, and to no other: net/http itself
// would forward a header set on the first request to another port of
// the same host.
type authTransport struct {
	base http.RoundTripper
	auth map[string]*url.Userinfo
}

func (t authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ui := t.auth[origin(req.URL)]
	if ui == nil || req.Header.Get("Authorization") != "" {
		return t.base.RoundTrip(req)
	}
	r := req.Clone(req.Context()) // a RoundTripper must not change req
	pass, _ := ui.Password()
	r.SetBasicAuth(ui.Username(), pass)
	return t.base.RoundTrip(r)
}

// origin is u's scheme and host (with its port, if any): the key of
// Client.Auth.
func origin(u *url.URL) string { return u.Scheme + "://" + u.Host }
