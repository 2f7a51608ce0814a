package pyfetchtest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Release managers, one version each, as the signer table has them.
var Managers = []struct{ Version, Identity, Issuer string }{
	{"3.7.14", "nad@python.org", "https://github.com/login/oauth"},
	{"3.9.20", "lukasz@langa.pl", "https://github.com/login/oauth"},
	{"3.11.9", "pablogsal@python.org", "https://accounts.google.com"},
	{"3.13.1", "thomas@python.org", "https://accounts.google.com"},
	{"3.14.0", "hugo@python.org", "https://github.com/login/oauth"},
}

// Mirror is a folder shaped like python.org/ftp/python, served over HTTP
// by an httptest server whose behaviour tests can change per request.
type Mirror struct {
	Dir    string
	Server *httptest.Server

	mu       sync.Mutex
	fault    func(w http.ResponseWriter, r *http.Request, n int) bool
	requests []*http.Request
}

// NewMirror starts an empty mirror; it stops when the test ends.
func NewMirror(t testing.TB) *Mirror {
	t.Helper()
	m := &Mirror{Dir: t.TempDir()}
	files := http.FileServer(http.Dir(m.Dir))
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.requests = append(m.requests, r.Clone(r.Context()))
		n := len(m.requests)
		fault := m.fault
		m.mu.Unlock()
		if fault != nil && fault(w, r, n) {
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(m.Server.Close)
	return m
}

// URL is the mirror root with a trailing slash.
func (m *Mirror) URL() string { return m.Server.URL + "/" }

// FileURL is the mirror folder as a file:// URL.
func (m *Mirror) FileURL() string { return "file://" + m.Dir + "/" }

// Put writes a file at a mirror-relative path ("3.13.1/Python-3.13.1.tgz").
func (m *Mirror) Put(t testing.TB, rel string, data []byte) {
	t.Helper()
	p := filepath.Join(m.Dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Fault installs a hook that runs before the file server; it gets the
// request's 1-based number and returns true when it answered itself.
func (m *Mirror) Fault(f func(w http.ResponseWriter, r *http.Request, n int) bool) {
	m.mu.Lock()
	m.fault = f
	m.mu.Unlock()
}

// Requests returns a copy of the requests seen so far.
func (m *Mirror) Requests() []*http.Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*http.Request(nil), m.requests...)
}

// Release is a generated, signed source release.
type Release struct {
	Version, Name string
	Artifact      []byte
	Bundle        []byte
}

// Publish builds a source tarball for version in format ("tgz" or
// "tar.xz"), signs it as identity/issuer, and puts both on the mirror.
// entries replaces the default tree when non-nil.
func (m *Mirror) Publish(t testing.TB, ss *Sigstore, version, format, identity, issuer string, entries []Entry) Release {
	t.Helper()
	if entries == nil {
		entries = SourceTree(version)
	}
	raw := Tar(t, entries)
	var art []byte
	if format == "tgz" {
		art = Gzip(t, raw)
	} else {
		art = XZ(t, raw)
	}
	r := Release{Version: version, Name: "Python-" + version + "." + format, Artifact: art}
	r.Bundle = ss.Sign(t, identity, issuer, art)
	dir := finalDir(version)
	m.Put(t, dir+"/"+r.Name, r.Artifact)
	m.Put(t, dir+"/"+r.Name+".sigstore", r.Bundle)
	return r
}

// finalDir is the python.org folder of a version: prereleases live in the
// folder of their final release.
func finalDir(v string) string {
	for i, c := range v {
		if c == 'a' || c == 'b' || c == 'r' {
			return v[:i]
		}
	}
	return v
}
