package releases

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// DefaultMirror is python.org's release folder.
const DefaultMirror = "https://www.python.org/ftp/python/"

// ErrBadFormat is returned for an archive format pyfetch does not install.
var ErrBadFormat = errors.New("unsupported archive format")

// Format is a source-release archive format.
type Format string

// Formats python.org publishes source releases in.
const (
	TarXZ Format = "tar.xz"
	TGZ   Format = "tgz"
)

// DefaultFormat is the format installed unless told otherwise. tgz is
// about 30% larger than tar.xz, but gzip decompresses over twice as fast
// as xz, which measured end to end (make bench) makes tgz the faster
// install whenever the network is faster than about 50 Mbit/s: CI
// runners and most broadband. See README.
const DefaultFormat = TGZ

// Artifact names one source-release file of a version.
type Artifact struct {
	Version Version
	Format  Format
}

// Name is the file name python.org uses, e.g. "Python-3.13.1.tgz".
func (a Artifact) Name() string { return "Python-" + a.Version.String() + "." + string(a.Format) }

// BundleName is the Sigstore bundle's file name.
func (a Artifact) BundleName() string { return a.Name() + ".sigstore" }

// Dir is the folder the artifact lives in on a mirror and in the cache:
// the final version, so 3.14.0rc1 lives in "3.14.0".
func (a Artifact) Dir() string { return a.Version.Final().String() }

// TopDir is the single folder every source tarball entry lives under.
func (a Artifact) TopDir() string { return "Python-" + a.Version.String() }

// URL joins the artifact's path onto a mirror root (http, https or file).
func (a Artifact) URL(mirror string) (string, error) {
	base, err := ParseMirror(mirror)
	if err != nil {
		return "", err
	}
	return base.JoinPath(a.Dir(), a.Name()).String(), nil
}

// ParseMirror checks a mirror root URL: http(s) or file, nothing else.
// An absolute folder path is taken as a file:// URL.
func ParseMirror(mirror string) (*url.URL, error) {
	if strings.HasPrefix(mirror, "/") {
		return &url.URL{Scheme: "file", Path: strings.TrimSuffix(mirror, "/") + "/"}, nil
	}
	u, err := url.Parse(mirror)
	if err != nil {
		return nil, fmt.Errorf("mirror %q: %w", mirror, err)
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return nil, fmt.Errorf("mirror %q: expected a host after %s://", mirror, u.Scheme)
		}
	case "file":
		// file://host/... or file://./rel would silently mean another folder.
		if u.Path == "" || (u.Host != "" && u.Host != "localhost") || u.Opaque != "" {
			return nil, fmt.Errorf("mirror %q: expected file:///absolute/folder", mirror)
		}
		u.Host = ""
	default:
		return nil, fmt.Errorf("mirror %q: expected an http://, https:// or file:// URL", mirror)
	}
	u.RawQuery, u.Fragment = "", ""
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u, nil
}

// NormalizeMirror returns the canonical form of a mirror root: a URL with
// a trailing slash, absolute paths turned into file:// URLs.
func NormalizeMirror(mirror string) (string, error) {
	u, err := ParseMirror(mirror)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// ParseArtifactName recognises a source tarball's file name
// ("Python-3.13.1.tar.xz"); ok is false for anything else.
func ParseArtifactName(name string) (a Artifact, ok bool) {
	rest, ok := strings.CutPrefix(name, "Python-")
	if !ok {
		return Artifact{}, false
	}
	for _, k := range Kinds {
		if vs, ok := strings.CutSuffix(rest, "."+string(k.Format)); ok {
			v, err := ParseVersion(vs)
			if err != nil {
				return Artifact{}, false
			}
			return Artifact{Version: v, Format: k.Format}, true
		}
	}
	return Artifact{}, false
}
