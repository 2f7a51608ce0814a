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
// runners and most broadband. See docs/how-it-works.md.
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

// URL is the artifact's URL on mirror m.
func (a Artifact) URL(m Mirror) string { return m.File(a.Dir(), a.Name()) }

// Mirror is a python.org-shaped mirror root (http, https or a local
// folder), parsed and checked once; every URL on it is joined from parts,
// never concatenated.
type Mirror struct {
	u url.URL
	// user is an http(s) mirror's basic-auth credentials
	// (https://user:pass@host/), kept out of u so that no URL the mirror
	// builds, shows or stores carries them.
	user *url.Userinfo
}

// ParseMirror checks a mirror root URL: http(s) or file, nothing else.
// An absolute folder path is taken as a file:// URL.
func ParseMirror(mirror string) (Mirror, error) {
	if strings.HasPrefix(mirror, "/") {
		return Mirror{u: url.URL{Scheme: "file", Path: strings.TrimSuffix(mirror, "/") + "/"}}, nil
	}
	shown := RedactURL(mirror) // errors never show a password
	u, err := url.Parse(mirror)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its URL would show the password
		}
		return Mirror{}, fmt.Errorf("mirror %q: %w", shown, err)
	}
	var user *url.Userinfo
	switch u.Scheme {
	case "s3":
		// s3://BUCKET/PREFIX/: an S3-compatible bucket (s3mirror).
		if u.Host == "" || u.User != nil {
			return Mirror{}, fmt.Errorf("mirror %q: expected s3://BUCKET/PREFIX/ (credentials come from the AWS environment, never the URL)", shown)
		}
	case "http", "https":
		if u.Host == "" {
			return Mirror{}, fmt.Errorf("mirror %q: expected a host after %s://", shown, u.Scheme)
		}
		user, u.User = u.User, nil
	case "file":
		// file://host/... or file://./rel would silently mean another folder.
		if u.Path == "" || (u.Host != "" && u.Host != "localhost") || u.Opaque != "" || u.User != nil {
			return Mirror{}, fmt.Errorf("mirror %q: expected file:///absolute/folder", shown)
		}
		u.Host = ""
	default:
		return Mirror{}, fmt.Errorf("mirror %q: expected an http://, https:// or file:// URL (or s3://BUCKET/PREFIX/)", shown)
	}
	u.RawQuery, u.Fragment = "", ""
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return Mirror{u: *u, user: user}, nil
}

// Credentials returns an http(s) mirror's basic-auth credentials, given
// as https://user:pass@host/, and the origin (scheme://host[:port]) they
// are for; user is nil when the mirror has none.
func (m Mirror) Credentials() (origin string, user *url.Userinfo) {
	if m.user == nil {
		return "", nil
	}
	return m.u.Scheme + "://" + m.u.Host, m.user
}

// RedactURL is s with its user information, if any, replaced by "xxxxx"
// (a token may be the user name), also when s does not parse as a URL:
// fit to print.
func RedactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		if u.User == nil {
			return s // as given
		}
		u.User = url.User("xxxxx")
		return u.String()
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	authority, path := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, path = rest[:i], rest[i:]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return s
	}
	return scheme + "://xxxxx" + authority[at:] + path
}

// MustMirror is ParseMirror for a mirror known to be good (a constant, a
// test's server); it panics otherwise.
func MustMirror(mirror string) Mirror {
	m, err := ParseMirror(mirror)
	if err != nil {
		panic(err)
	}
	return m
}

// String is the mirror's canonical URL, with a trailing slash.
func (m Mirror) String() string { return m.u.String() }

// Folder returns the local folder of a file:// mirror, and whether it is
// one.
func (m Mirror) Folder() (string, bool) { return m.u.Path, m.u.Scheme == "file" }

// Dir is the URL of folder rel ("" for the root), with a trailing slash.
func (m Mirror) Dir(rel string) string {
	if rel == "" {
		return m.String()
	}
	return m.u.JoinPath(rel).String() + "/"
}

// S3Listings returns where a public bucket's REST endpoint would list
// folder rel through ListObjectsV2: for each way the mirror URL may name
// its bucket (virtual-hosted: the host is the bucket; path-style: the
// first path element is), the bucket's URL with the list query but no
// continuation token, and the key prefix it lists.
func (m Mirror) S3Listings(rel string) []struct{ URL, Prefix string } {
	if m.u.Scheme != "http" && m.u.Scheme != "https" {
		return nil
	}
	path := strings.TrimPrefix(m.u.Path, "/")
	if rel != "" {
		path += strings.Trim(rel, "/") + "/"
	}
	var out []struct{ URL, Prefix string }
	list := func(root, prefix string) {
		q := url.Values{"list-type": {"2"}, "delimiter": {"/"}, "prefix": {prefix}}
		u := url.URL{Scheme: m.u.Scheme, Host: m.u.Host, Path: root, RawQuery: q.Encode()}
		out = append(out, struct{ URL, Prefix string }{u.String(), prefix})
	}
	list("/", path)
	if bucket, prefix, ok := strings.Cut(path, "/"); ok && bucket != "" {
		list("/"+bucket+"/", prefix)
	}
	return out
}

// File is the URL of file name in folder dir.
func (m Mirror) File(dir, name string) string { return m.u.JoinPath(dir, name).String() }

// Bucket returns an s3:// mirror's bucket and key prefix ("python/",
// "" at the bucket's root).
func (m Mirror) Bucket() (bucket, prefix string) {
	return m.u.Host, strings.TrimPrefix(m.u.Path, "/")
}

// IsS3 reports an s3:// mirror.
func (m Mirror) IsS3() bool { return m.u.Scheme == "s3" }

// IsZero reports an unset Mirror.
func (m Mirror) IsZero() bool { return m.u.Scheme == "" }

// NormalizeMirror returns the canonical form of a mirror root: a URL with
// a trailing slash, absolute paths turned into file:// URLs.
func NormalizeMirror(mirror string) (string, error) {
	m, err := ParseMirror(mirror)
	if err != nil {
		return "", err
	}
	return m.String(), nil
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
