package releases

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"sort"
	"strings"

	"golang.org/x/net/html"
)

// ErrBadSpec is returned for a version spec pyfetch cannot read.
var ErrBadSpec = errors.New("not a version spec")

// Caps on one directory listing page: python.org's largest (the root)
// is about 60 KB with some 400 entries, a release folder under 200.
const (
	MaxListingBytes = 1 << 20
	MaxListingNames = 10_000
)

// ErrListingTooLarge means a listing exceeds MaxListingBytes or
// MaxListingNames, or a resolution would read more listings than its cap.
var ErrListingTooLarge = errors.New("listing exceeds a cap")

// ParseListing reads an HTML directory listing (nginx autoindex, Apache,
// Python's http.server, S3-style index pages) and returns the names of the
// entries directly inside base, folders with a trailing "/". Links that
// leave base, point deeper, go up, carry only a query (sort links) or are
// not http(s) are ignored. Names are unescaped; duplicates removed.
func ParseListing(r io.Reader, base string) ([]string, error) {
	bu, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("listing base %q: %w", base, err)
	}
	if !strings.HasSuffix(bu.Path, "/") {
		bu.Path += "/"
	}
	seen := map[string]bool{}
	var names []string
	z := html.NewTokenizer(io.LimitReader(r, MaxListingBytes))
	z.SetMaxBuf(64 << 10) // one token (a tag, a run of text) at most 64 KiB
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if errors.Is(z.Err(), io.EOF) {
				break
			}
			return nil, fmt.Errorf("read listing: %w", z.Err())
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		if string(name) != "a" || !hasAttr {
			continue
		}
		for {
			k, v, more := z.TagAttr()
			if string(k) == "href" {
				if n, ok := childName(bu, string(v)); ok && !seen[n] {
					if len(names) == MaxListingNames {
						return nil, fmt.Errorf("%w: more than %d entries", ErrListingTooLarge, MaxListingNames)
					}
					seen[n] = true
					names = append(names, n)
				}
			}
			if !more {
				break
			}
		}
	}
	sort.Strings(names)
	return names, nil
}

// childName resolves href against base and returns the entry name if the
// link names something directly inside base.
func childName(base *url.URL, href string) (string, bool) {
	href = strings.TrimSpace(href)
	if href == "" || strings.HasPrefix(href, "?") || strings.HasPrefix(href, "#") {
		return "", false
	}
	ref, err := url.Parse(href)
	if err != nil {
		return "", false
	}
	u := base.ResolveReference(ref)
	if (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file") || u.Host != base.Host || u.Scheme != base.Scheme {
		return "", false
	}
	p := u.Path
	rest, ok := strings.CutPrefix(p, base.Path)
	if !ok || rest == "" {
		return "", false
	}
	dir := strings.HasSuffix(rest, "/")
	rest = strings.TrimSuffix(rest, "/")
	if rest == "" || strings.Contains(rest, "/") || rest == "." || rest == ".." || path.Clean(rest) != rest {
		return "", false
	}
	if dir {
		rest += "/"
	}
	// A copy: rest is a slice of the resolved URL's path, whose larger
	// allocation would otherwise stay alive as long as the name.
	return strings.Clone(rest), true
}

// Spec is what a user asks to install: an exact version, a release line
// ("3.13"), a major version ("3") or "latest".
type Spec struct {
	Raw   string
	Exact *Version
	Major int
	Minor int // -1 when only the major is given
	// FreeThreaded is a trailing "t" ("3.13t", "3.13.5t"): the
	// free-threaded build, installed as X.Y.Zt.
	FreeThreaded bool
	// Range is a PEP 440 version range (">=3.11,<3.14", a pyproject.toml's
	// requires-python): nil for the other kinds.
	Range *Range
}

// ParseSpec reads "3.13.1", "3.15.0a1", "3.13", "3" or "latest", or a
// PEP 440 version range (">=3.11", ">=3.11,<3.14", "~=3.12").
//
// The spellings people type are accepted too: "python3.13",
// "python3.13.5", "cpython-3.13.5", "py3.13", "v3.13.5".
func ParseSpec(s string) (Spec, error) {
	raw := s
	if LooksLikeRange(strings.TrimSpace(s)) {
		r, err := parseRange(strings.TrimSpace(s))
		if err != nil {
			return Spec{}, err
		}
		return Spec{Raw: strings.TrimSpace(s), Minor: -1, Range: r}, nil
	}
	lower := strings.ToLower(s)
	for _, p := range []string{"cpython-", "cpython", "python-", "python", "py", "v"} {
		if rest, ok := strings.CutPrefix(lower, p); ok && rest != "" && rest[0] >= '0' && rest[0] <= '9' {
			s = rest
			break
		}
	}
	base, ft := strings.CutSuffix(s, FreeThreadedSuffix)
	if !ft || base == "" || base[len(base)-1] < '0' || base[len(base)-1] > '9' {
		base, ft = s, false
	}
	sp, err := parseSpec(base)
	if err != nil && ft {
		sp, err = parseSpec(s) // not a "t" suffix after all
		ft = false
	}
	if err != nil {
		// Quote what was given, not what is left of it once a prefix or
		// suffix is taken off.
		return Spec{}, badSpec(raw)
	}
	sp.Raw, sp.FreeThreaded = raw, ft
	return sp, nil
}

func badSpec(s string) error {
	return fmt.Errorf("%w: %q (expected 3.13.1, 3.15.0a1, 3.13, 3, latest or a range such as >=3.11)", ErrBadSpec, s)
}

func parseSpec(s string) (Spec, error) {
	if s == "latest" {
		return Spec{Raw: s, Major: 3, Minor: -1}, nil
	}
	if v, err := ParseVersion(s); err == nil {
		return Spec{Raw: s, Exact: &v}, nil
	}
	parts := strings.Split(s, ".")
	if len(parts) > 2 {
		return Spec{}, badSpec(s)
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		if p == "" || len(p) > 4 || strings.Trim(p, "0123456789") != "" {
			return Spec{}, badSpec(s)
		}
		nums[i] = atoi(p)
	}
	sp := Spec{Raw: s, Major: nums[0], Minor: -1}
	if len(nums) == 2 {
		sp.Minor = nums[1]
	}
	return sp, nil
}

// Matches reports whether v satisfies the spec. Prereleases match a
// non-exact spec only when pre is set.
func (s Spec) Matches(v Version, pre bool) bool {
	if s.Range != nil {
		return s.Range.contains(v, pre)
	}
	if s.Exact != nil {
		return v == *s.Exact
	}
	if v.IsPrerelease() && !pre {
		return false
	}
	return v.Major == s.Major && (s.Minor < 0 || v.Minor == s.Minor)
}

// MatchesFolder reports whether a mirror folder (a final version) can hold
// a version the spec matches.
func (s Spec) MatchesFolder(final Version) bool {
	if s.Range != nil {
		return s.Range.mayHold(final)
	}
	if s.Exact != nil {
		return s.Exact.Final() == final
	}
	return final.Major == s.Major && (s.Minor < 0 || final.Minor == s.Minor)
}

// Folders returns the version folders among listing names, newest first.
func Folders(names []string) []Version {
	var out []Version
	for _, n := range names {
		n, ok := strings.CutSuffix(n, "/")
		if !ok {
			continue
		}
		if v, err := ParseVersion(n); err == nil && !v.IsPrerelease() {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Compare(out[j]) > 0 })
	return out
}

// Available is a version found in a folder listing, with what it offers.
type Available struct {
	Version Version
	// Formats with an artifact, and those whose signature is there too (a
	// Sigstore bundle, or an .asc where the line has an OpenPGP key).
	Artifacts map[Format]bool
	Signed    map[Format]bool
	// Methods says, per signed format, how: "sigstore" (preferred) or
	// "openpgp".
	Methods map[Format]string
}

// FolderReleases reads the source artifacts and bundles in one folder's
// listing (names as ParseListing returns them), newest first.
func FolderReleases(names []string) []Available {
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	byVersion := map[Version]*Available{}
	for _, n := range names {
		art, ok := ParseArtifactName(n)
		if !ok {
			continue
		}
		a := byVersion[art.Version]
		if a == nil {
			a = &Available{Version: art.Version, Artifacts: map[Format]bool{}, Signed: map[Format]bool{}, Methods: map[Format]string{}}
			byVersion[art.Version] = a
		}
		a.Artifacts[art.Format] = true
		_, pgp := OpenPGPKeyFor(art.Version)
		switch {
		case have[n+".sigstore"]:
			a.Signed[art.Format], a.Methods[art.Format] = true, "sigstore"
		case pgp && have[n+".asc"]:
			a.Signed[art.Format], a.Methods[art.Format] = true, "openpgp"
		}
	}
	out := make([]Available, 0, len(byVersion))
	for _, a := range byVersion {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version.Compare(out[j].Version) > 0 })
	return out
}

// KeepRelevant returns the names pyfetch can use from a listing: version
// folders ("3.13.1/"), source artifacts and their signatures (.sigstore
// bundles, .asc). A hostile
// mirror's other entries cost nothing beyond the listing's own cap.
func KeepRelevant(names []string) []string {
	var out []string // never a slice of names: that would keep them all alive
	for _, n := range names {
		if f, ok := strings.CutSuffix(n, "/"); ok {
			if _, err := ParseVersion(f); err == nil {
				out = append(out, n)
			}
			continue
		}
		if _, ok := ParseArtifactName(strings.TrimSuffix(strings.TrimSuffix(n, ".sigstore"), ".asc")); ok {
			out = append(out, n)
		}
	}
	return out
}
