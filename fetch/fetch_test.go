package fetch_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pyfetch/pyfetch/fetch"
)

var payload = bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB

func client() *fetch.Client {
	return &fetch.Client{RetryWait: time.Millisecond, Retries: 3, IdleTimeout: 2 * time.Second}
}

// serveBytes answers like a static file server, honouring Range.
func serveBytes(w http.ResponseWriter, r *http.Request, data []byte) {
	http.ServeContent(w, r, "f", time.Time{}, bytes.NewReader(data))
}

// cut sends the headers and the first n bytes of a full response, then
// drops the connection.
func cut(w http.ResponseWriter, data []byte, n int) {
	w.Header().Set("Content-Length", fmt.Sprint(len(data)))
	w.WriteHeader(http.StatusOK)
	w.Write(data[:n])
	w.(http.Flusher).Flush()
	panic(http.ErrAbortHandler)
}

func TestDownload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// handler gets the 1-based request number.
		handler   func(w http.ResponseWriter, r *http.Request, n int)
		wantErr   error
		wantRange bool // a later request must carry a Range header
		minReqs   int
	}{
		{name: "plain", handler: func(w http.ResponseWriter, r *http.Request, n int) { serveBytes(w, r, payload) }, minReqs: 1},
		{name: "503 twice then ok", minReqs: 3, handler: func(w http.ResponseWriter, r *http.Request, n int) {
			if n <= 2 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			serveBytes(w, r, payload)
		}},
		{name: "429 with Retry-After", minReqs: 2, handler: func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			serveBytes(w, r, payload)
		}},
		{name: "cut mid-body then resumed with Range", wantRange: true, minReqs: 2, handler: func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				cut(w, payload, len(payload)/2)
			}
			serveBytes(w, r, payload)
		}},
		{name: "server ignores Range", wantRange: true, minReqs: 2, handler: func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				cut(w, payload, len(payload)/3)
			}
			r.Header.Del("Range")
			serveBytes(w, r, payload)
		}},
		{name: "206 with wrong Content-Range", minReqs: 3, handler: func(w http.ResponseWriter, r *http.Request, n int) {
			switch n {
			case 1:
				cut(w, payload, 1000)
			case 2:
				w.Header().Set("Content-Range", fmt.Sprintf("bytes 5-%d/%d", len(payload)-1, len(payload)))
				w.WriteHeader(http.StatusPartialContent)
				w.Write(payload[5:])
				return
			}
			serveBytes(w, r, payload)
		}},
		{name: "404", wantErr: fetch.ErrNotFound, handler: func(w http.ResponseWriter, r *http.Request, n int) { http.NotFound(w, r) }},
		{name: "always 500", handler: func(w http.ResponseWriter, r *http.Request, n int) { w.WriteHeader(500) }, wantErr: errAny},
		{name: "body shorter than Content-Length", wantErr: errAny, handler: func(w http.ResponseWriter, r *http.Request, n int) {
			cut(w, payload, 10)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var n atomic.Int32
			var sawRange atomic.Bool
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Range") != "" {
					sawRange.Store(true)
				}
				tc.handler(w, r, int(n.Add(1)))
			}))
			defer srv.Close()
			dst := filepath.Join(t.TempDir(), "f.tgz")
			f, res, err := client().Download(context.Background(), srv.URL+"/f.tgz", dst, 0, nil)
			if f != nil {
				defer f.Close()
			}
			if tc.wantErr != nil {
				if err == nil || (tc.wantErr != errAny && !errors.Is(err, tc.wantErr)) {
					t.Fatalf("got %v, want %v", err, tc.wantErr)
				}
				if _, err := os.Stat(dst); !os.IsNotExist(err) {
					t.Errorf("failed download left %s", dst)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(dst)
			want := sha256.Sum256(payload)
			if !bytes.Equal(got, payload) || !bytes.Equal(res.SHA256, want[:]) || res.Size != int64(len(payload)) {
				t.Fatalf("file or digest wrong: %d bytes, sha %x", len(got), res.SHA256)
			}
			if int(n.Load()) < tc.minReqs {
				t.Errorf("%d requests, want at least %d", n.Load(), tc.minReqs)
			}
			if tc.wantRange && !sawRange.Load() {
				t.Error("no Range request was made to resume")
			}
			if _, err := os.Stat(dst + ".part"); !os.IsNotExist(err) {
				t.Error(".part left behind")
			}
		})
	}
}

var errAny = errors.New("any error")

func TestDownloadResumesPartFromEarlierRun(t *testing.T) {
	t.Parallel()
	var ranges []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ranges = append(ranges, r.Header.Get("Range"))
		serveBytes(w, r, payload)
	}))
	defer srv.Close()
	dst := filepath.Join(t.TempDir(), "f")
	os.WriteFile(dst+".part", payload[:12345], 0o644)
	_, res, err := client().Download(context.Background(), srv.URL+"/f", dst, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(payload)
	if !bytes.Equal(res.SHA256, want[:]) {
		t.Fatal("digest of resumed download is wrong")
	}
	if len(ranges) != 1 || ranges[0] != "bytes=12345-" {
		t.Errorf("requests' Range headers %q, want one bytes=12345-", ranges)
	}
}

func TestDownloadCheckFailureDiscards(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serveBytes(w, r, payload) }))
	defer srv.Close()
	dst := filepath.Join(t.TempDir(), "f")
	bad := errors.New("not signed")
	_, _, err := client().Download(context.Background(), srv.URL+"/f", dst, 0, func(fetch.Result) error { return bad })
	if !errors.Is(err, bad) {
		t.Fatalf("got %v", err)
	}
	for _, p := range []string{dst, dst + ".part"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s exists after a failed check", p)
		}
	}
}

func TestDownloadSizeCap(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serveBytes(w, r, payload) }))
	defer srv.Close()
	dst := filepath.Join(t.TempDir(), "f")
	if _, _, err := client().Download(context.Background(), srv.URL+"/f", dst, 1000, nil); !errors.Is(err, fetch.ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
	if _, err := client().Get(context.Background(), srv.URL+"/f", 1000); !errors.Is(err, fetch.ErrTooLarge) {
		t.Fatalf("Get: got %v, want ErrTooLarge", err)
	}
}

// firstThenPayload serves the first request with first and every later
// one with the payload (honouring Range); requests counts them.
func firstThenPayload(t *testing.T, first http.HandlerFunc) (srv *httptest.Server, requests *atomic.Int32) {
	t.Helper()
	requests = new(atomic.Int32)
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) == 1 {
			first(w, r)
			return
		}
		serveBytes(w, r, payload)
	}))
	t.Cleanup(srv.Close)
	return srv, requests
}

// downloadPayload downloads the payload with c, checks its digest, and
// returns the lines c reported through Notify.
func downloadPayload(t *testing.T, c *fetch.Client, url string) (notes []string) {
	t.Helper()
	c.Notify = func(s string) { notes = append(notes, s) }
	f, res, err := c.Download(context.Background(), url, filepath.Join(t.TempDir(), "f"), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if want := sha256.Sum256(payload); !bytes.Equal(res.SHA256, want[:]) {
		t.Error("wrong digest")
	}
	return notes
}

// TestDownloadStallResumes: a body that stops flowing (before its first
// byte, or midway) trips the idle timeout and the download resumes.
func TestDownloadStallResumes(t *testing.T) {
	t.Parallel()
	for _, before := range []int{0, 100} {
		t.Run(fmt.Sprintf("after %d bytes", before), func(t *testing.T) {
			t.Parallel()
			var ranges []string
			var mu sync.Mutex
			srv, _ := firstThenPayload(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", fmt.Sprint(len(payload)))
				w.Write(payload[:before])
				w.(http.Flusher).Flush()
				<-r.Context().Done() // stall until the client gives up
			})
			inner := srv.Config.Handler
			srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				ranges = append(ranges, r.Header.Get("Range"))
				mu.Unlock()
				inner.ServeHTTP(w, r)
			})
			c := client()
			c.IdleTimeout = 100 * time.Millisecond
			notes := downloadPayload(t, c, srv.URL+"/f")
			if !strings.Contains(strings.Join(notes, "\n"), "stalled: fewer than 102 bytes in 100ms") {
				t.Errorf("stall not reported: %q", notes)
			}
			// A resume asks for the rest; with nothing received there is
			// nothing to resume from.
			want := []string{"", ""}
			if before > 0 {
				want[1] = fmt.Sprintf("bytes=%d-", before)
			}
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(ranges, want) {
				t.Errorf("Range headers %q, want %q", ranges, want)
			}
		})
	}
}

// TestRetryAfterIsCapped: a server asking for an hour's wait gets
// MaxRetryWait instead, and is told so.
func TestRetryAfterIsCapped(t *testing.T) {
	t.Parallel()
	srv, _ := firstThenPayload(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	c := client()
	c.MaxRetryWait = 50 * time.Millisecond
	notes := downloadPayload(t, c, srv.URL+"/f")
	if !strings.Contains(strings.Join(notes, "\n"), "server asked to wait 1h0m0s before retrying; waiting 50ms") {
		t.Errorf("cap not reported: %q", notes)
	}
}

// TestDownloadNoHeaders: a server that accepts and never answers the
// first request is retried, not waited on forever.
func TestDownloadNoHeaders(t *testing.T) {
	t.Parallel()
	srv, requests := firstThenPayload(t, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	c := client()
	c.Timeout = 200 * time.Millisecond
	notes := downloadPayload(t, c, srv.URL+"/f")
	if n := requests.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	if !strings.Contains(strings.Join(notes, "\n"), "after: no answer within 200ms") {
		t.Errorf("the retry does not say why: %q", notes)
	}
}

// TestDeadMirrorCostsSeconds: a server that accepts connections and never
// answers is given up on after maxTimeoutRetries retries, not after every
// retry the budget allows: tens of seconds at the default timeout, not
// minutes.
func TestDeadMirrorCostsSeconds(t *testing.T) {
	t.Parallel()
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	c := client()
	c.Retries, c.Timeout = 5, 100*time.Millisecond
	_, err := c.Get(context.Background(), srv.URL+"/f", 100)
	if err == nil {
		t.Fatal("a dead mirror answered")
	}
	if n := requests.Load(); n != 3 {
		t.Errorf("%d attempts at a server that never answers, want 3 (the first and 2 retries)", n)
	}
}

func TestOfflineAndFileURLs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.WriteFile(src, payload, 0o644)
	c := client()
	c.Offline = true
	if _, _, err := c.Download(context.Background(), "http://127.0.0.1:1/f", filepath.Join(dir, "a"), 0, nil); !errors.Is(err, fetch.ErrOffline) {
		t.Fatalf("offline http: got %v", err)
	}
	_, res, err := c.Download(context.Background(), "file://"+src, filepath.Join(dir, "b"), 0, nil)
	if err != nil || res.Size != int64(len(payload)) {
		t.Fatalf("file:// download: %v %+v", err, res)
	}
	if _, err := c.Get(context.Background(), "file://"+filepath.Join(dir, "missing"), 10); !errors.Is(err, fetch.ErrNotFound) {
		t.Fatalf("missing file: got %v", err)
	}
}

func TestRedirectDowngradeRefused(t *testing.T) {
	t.Parallel()
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serveBytes(w, r, payload) }))
	defer plain.Close()
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/f", http.StatusFound)
	}))
	defer tlsSrv.Close()
	c := client()
	c.Transport = tlsSrv.Client().Transport
	_, _, err := c.Download(context.Background(), tlsSrv.URL+"/f", filepath.Join(t.TempDir(), "f"), 0, nil)
	if !errors.Is(err, fetch.ErrInsecureRedirect) {
		t.Fatalf("got %v, want ErrInsecureRedirect", err)
	}
}

func TestRedirectLoopRefused(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	}))
	defer srv.Close()
	_, _, err := client().Download(context.Background(), srv.URL+"/f", filepath.Join(t.TempDir(), "f"), 0, nil)
	if !errors.Is(err, fetch.ErrInsecureRedirect) {
		t.Fatalf("got %v, want a refused redirect", err)
	}
}

// TestDownloadTrickleIsAStall: a server sending a byte now and then never
// stays idle for IdleTimeout, but it is below the low-speed limit, so the
// download goes through the stall/resume path and ends.
func TestDownloadTrickleIsAStall(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "40")
		w.WriteHeader(http.StatusOK)
		for i := 0; i < 40; i++ {
			if _, err := w.Write([]byte{'x'}); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}))
	defer srv.Close()
	c := client()
	c.Retries = 1
	c.IdleTimeout = 200 * time.Millisecond
	c.MinSpeed = 1000 // 200 bytes per window; the server sends ~10
	var notes []string
	c.Notify = func(s string) { notes = append(notes, s) }
	dst := filepath.Join(t.TempDir(), "f")
	_, _, err := c.Download(context.Background(), srv.URL+"/f", dst, 0, nil)
	if err == nil || !strings.Contains(err.Error(), "stalled: fewer than 200 bytes in 200ms") {
		t.Fatalf("trickle: got %v, want a stall", err)
	}
}

// TestPlantedPart: only a private regular file of ours is resumed. A hard
// link, a symlink or a FIFO planted as the .part is never written
// through, never blocks, and the download starts afresh.
func TestPlantedPart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		plant func(t *testing.T, part, victim string)
	}{
		{"hard link", func(t *testing.T, part, victim string) {
			if err := os.Link(victim, part); err != nil {
				t.Fatal(err)
			}
		}},
		{"symlink", func(t *testing.T, part, victim string) {
			if err := os.Symlink(victim, part); err != nil {
				t.Fatal(err)
			}
		}},
		{"fifo", func(t *testing.T, part, victim string) {
			if err := syscall.Mkfifo(part, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"group-writable", func(t *testing.T, part, victim string) {
			if err := os.WriteFile(part, payload[:100], 0o600); err != nil {
				t.Fatal(err)
			}
			os.Chmod(part, 0o666)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var ranges atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Range") != "" {
					ranges.Add(1)
				}
				serveBytes(w, r, payload)
			}))
			defer srv.Close()
			dir := t.TempDir()
			victim := filepath.Join(dir, "victim")
			original := []byte("precious data that is not a download")
			if err := os.WriteFile(victim, original, 0o644); err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(dir, "f")
			tc.plant(t, dst+".part", victim)
			var notes []string
			c := client()
			c.Notify = func(s string) { notes = append(notes, s) }
			done := make(chan error, 1)
			go func() {
				f, res, err := c.Download(context.Background(), srv.URL+"/f", dst, 0, nil)
				if err == nil {
					f.Close()
					if want := sha256.Sum256(payload); !bytes.Equal(res.SHA256, want[:]) {
						err = errors.New("wrong digest")
					}
				}
				done <- err
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("Download hung on a planted .part")
			}
			if got, _ := os.ReadFile(victim); !bytes.Equal(got, original) {
				t.Errorf("the planted .part's target was written through: %q...", got[:min(len(got), 40)])
			}
			if ranges.Load() != 0 {
				t.Error("resumed from a planted .part")
			}
			if !strings.Contains(strings.Join(notes, "\n"), "SECURITY WARNING") {
				t.Errorf("planted .part not reported: %q", notes)
			}
			if fi, err := os.Stat(dst); err != nil || fi.Mode().Perm() != 0o644 {
				t.Errorf("downloaded file: %v, %v", fi, err)
			}
		})
	}
}

// TestFailedRedirectLeavesNothing: a refused redirect is not retried (a
// loop is not transient) and leaves no 0-byte .part behind.
func TestFailedRedirectLeavesNothing(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.Redirect(w, r, "/loop", http.StatusFound)
	}))
	defer srv.Close()
	dir := t.TempDir()
	c := client()
	c.RetryWait = 50 * time.Millisecond
	_, _, err := c.Download(context.Background(), srv.URL+"/f", filepath.Join(dir, "f"), 0, nil)
	if !errors.Is(err, fetch.ErrInsecureRedirect) {
		t.Fatalf("got %v, want a refused redirect", err)
	}
	if got := n.Load(); got > 11 {
		t.Errorf("%d requests: the loop was retried", got)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
}

// TestBadContentRangeNamesAskedOffset: the message names the offset that
// was asked for, not the one the server answered with.
func TestBadContentRangeNamesAskedOffset(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Range") == "" {
			serveBytes(w, r, payload)
			return
		}
		w.Header().Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", len(payload)-1, len(payload)))
		w.WriteHeader(http.StatusPartialContent)
		w.Write(payload)
	}))
	defer srv.Close()
	dst := filepath.Join(t.TempDir(), "f")
	os.WriteFile(dst+".part", payload[:500], 0o600)
	var notes []string
	c := client()
	c.Notify = func(s string) { notes = append(notes, s) }
	if _, _, err := c.Download(context.Background(), srv.URL+"/f", dst, 0, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(notes, "\n"), "for offset 500") {
		t.Errorf("notes %q do not name offset 500", notes)
	}
}

// TestRefusedConnectionIsRetried: a mirror that refuses connections
// while it starts (a CI service container, a restarted nginx) is retried
// within the retry budget; one that never comes up ends unreachable.
func TestRefusedConnectionIsRetried(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there until the first retry
	up := make(chan struct{})
	var once sync.Once
	c := client()
	c.RetryWait, c.Retries = 20*time.Millisecond, 8
	c.Notify = func(s string) {
		if strings.HasPrefix(s, "retrying") {
			once.Do(func() { close(up) })
		}
	}
	go func() {
		<-up
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return // the port was taken meanwhile: the Get below fails, said there
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serveBytes(w, r, payload) })}
		t.Cleanup(func() { srv.Close() })
		srv.Serve(l)
	}()
	body, err := c.Get(context.Background(), "http://"+addr+"/f", int64(len(payload)))
	if err != nil || !bytes.Equal(body, payload) {
		t.Fatalf("a mirror that came up after a refused connection: %v", err)
	}

	// Never up: unreachable, after the retries.
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := dead.Addr().String()
	dead.Close()
	var notes []string
	c2 := client()
	c2.RetryWait = time.Millisecond
	c2.Notify = func(s string) { notes = append(notes, s) }
	_, err = c2.Get(context.Background(), "http://"+deadAddr+"/f", 100)
	if !errors.Is(err, fetch.ErrUnreachable) {
		t.Fatalf("got %v, want ErrUnreachable", err)
	}
	if len(notes) == 0 || !strings.Contains(notes[0], "after: dial tcp") || !strings.Contains(notes[0], "refused") {
		t.Errorf("a refused connection was not retried with its reason: %q", notes)
	}
}

// TestNameThatDoesNotResolveFailsAtOnce: what no retry can fix is not
// retried.
func TestNameThatDoesNotResolveFailsAtOnce(t *testing.T) {
	t.Parallel()
	var notes []string
	c := client()
	c.RetryWait = time.Second
	c.Notify = func(s string) { notes = append(notes, s) }
	// .invalid never resolves (RFC 2606), with or without a resolver.
	_, err := c.Get(context.Background(), "http://pyfetch-test.invalid/f", 100)
	if !errors.Is(err, fetch.ErrUnreachable) {
		t.Fatalf("got %v, want ErrUnreachable", err)
	}
	if len(notes) != 0 {
		t.Errorf("retried: %q", notes)
	}
}

// TestRedirectToOtherSchemes: pyfetch's own rule refuses any redirect to a
// scheme other than http(s), whatever net/http would do with it.
func TestRedirectToOtherSchemes(t *testing.T) {
	t.Parallel()
	for _, target := range []string{"file:///etc/passwd", "ftp://example.com/x", "gopher://example.com/"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", target)
			w.WriteHeader(http.StatusFound)
		}))
		_, err := client().Get(context.Background(), srv.URL+"/f", 100)
		srv.Close()
		if !errors.Is(err, fetch.ErrInsecureRedirect) || !strings.Contains(err.Error(), "only http and https are followed") {
			t.Errorf("redirect to %s: %v", target, err)
		}
	}
}

// TestGivingUpCountsAttempts: a body that keeps breaking ends with how
// many attempts were made, and a client told not to retry never claims
// "after 1 attempts".
func TestGivingUpCountsAttempts(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { cut(w, payload, 10) }))
	defer srv.Close()
	for _, tc := range []struct {
		retries int
		want    string
	}{{-1, ""}, {2, "giving up after 3 attempts"}} {
		c := client()
		c.Retries = tc.retries
		_, _, err := c.Download(context.Background(), srv.URL+"/f.tgz", filepath.Join(t.TempDir(), "f.tgz"), 0, nil)
		if err == nil || strings.Contains(err.Error(), "attempts") != (tc.want != "") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("retries %d: %v, want %q", tc.retries, err, tc.want)
		}
	}
}

// recorder is a progress writer that remembers how it was used.
type recorder struct {
	done, n         int64
	closed, aborted bool
}

func (r *recorder) Write(p []byte) (int, error) { r.n += int64(len(p)); return len(p), nil }
func (r *recorder) Close() error                { r.closed = true; return nil }
func (r *recorder) Abort()                      { r.aborted = true }

// A resumed .part is said with where it resumes, and its progress counts
// the whole file; a download that fails is Aborted, never Closed as
// "downloaded".
func TestProgressOfResumedAndFailedDownloads(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serveBytes(w, r, payload) }))
	t.Cleanup(srv.Close)
	dst := filepath.Join(t.TempDir(), "f")
	os.WriteFile(dst+".part", payload[:100], 0o600)
	var recs []*recorder
	var notes []string
	c := client()
	c.Notify = func(s string) { notes = append(notes, s) }
	c.Progress = func(name string, total, done int64) io.WriteCloser {
		r := &recorder{done: done}
		recs = append(recs, r)
		return r
	}
	f, _, err := c.Download(context.Background(), srv.URL+"/f", dst, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if len(recs) != 1 || recs[0].done != 100 || recs[0].done+recs[0].n != int64(len(payload)) || !recs[0].closed || recs[0].aborted {
		t.Errorf("progress of a resumed download: %+v", recs[0])
	}
	if !strings.Contains(strings.Join(notes, "\n"), fmt.Sprintf("resuming f from byte 100 of %d", len(payload))) {
		t.Errorf("the resume is not said: %q", notes)
	}

	recs = nil
	_, _, err = c.Download(context.Background(), srv.URL+"/f", filepath.Join(t.TempDir(), "g"), 0, func(fetch.Result) error { return errors.New("refused") })
	if err == nil {
		t.Fatal("the check's refusal was ignored")
	}
	// The check runs after the body is complete: the download itself
	// completed. A body that fails midway is aborted:
	cut := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(payload)))
		w.Write(payload[:10])
	}))
	t.Cleanup(cut.Close)
	recs = nil
	c.Retries = -1
	if _, _, err := c.Download(context.Background(), cut.URL+"/f", filepath.Join(t.TempDir(), "h"), 0, nil); err == nil {
		t.Fatal("a cut body succeeded")
	}
	if len(recs) != 1 || !recs[0].aborted || recs[0].closed {
		t.Errorf("progress of a failed download: %+v", recs)
	}
}

// Auth sends a mirror's basic-auth credentials to its origin only, and a
// redirect to another origin does not take them along.
func TestAuthOnlyToItsOrigin(t *testing.T) {
	t.Parallel()
	var seen sync.Map // path → Authorization header
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store("other"+r.URL.Path, r.Header.Get("Authorization"))
		w.Write([]byte("elsewhere"))
	}))
	defer other.Close()
	mirror := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.URL.Path, r.Header.Get("Authorization"))
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, other.URL+"/moved", http.StatusFound)
			return
		}
		if u, p, ok := r.BasicAuth(); !ok || u != "ci" || p != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer mirror.Close()
	c := &fetch.Client{Retries: -1, Auth: map[string]*url.Userinfo{mirror.URL: url.UserPassword("ci", "s3cret")}}
	if body, err := c.Get(context.Background(), mirror.URL+"/f", 1<<20); err != nil || string(body) != "ok" {
		t.Fatalf("with credentials: %q %v", body, err)
	}
	if body, err := c.Get(context.Background(), other.URL+"/g", 1<<20); err != nil || string(body) != "elsewhere" {
		t.Fatalf("another origin: %q %v", body, err)
	}
	if h, _ := seen.Load("other/g"); h != "" {
		t.Errorf("credentials sent to another origin: %q", h)
	}
	if _, err := c.Get(context.Background(), mirror.URL+"/moved", 1<<20); err != nil {
		t.Fatalf("redirect: %v", err)
	}
	if h, _ := seen.Load("other/moved"); h != "" {
		t.Errorf("credentials followed a redirect to another origin: %q", h)
	}
	none := &fetch.Client{Retries: -1}
	if _, err := none.Get(context.Background(), mirror.URL+"/f", 1<<20); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("without credentials: %v", err)
	}
}
