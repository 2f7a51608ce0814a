package releases

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/pyfetch/pyfetch/internal/textsafe"
)

// Issuers used by CPython release managers.
const (
	IssuerGoogle = "https://accounts.google.com"
	IssuerGitHub = "https://github.com/login/oauth"
)

var (
	// ErrUnknownLine means pyfetch has no release manager on record for a
	// release line; the caller must name the identity explicitly.
	ErrUnknownLine = errors.New("no release manager known for this release line")
	// ErrUnsigned means python.org published no Sigstore bundle for the
	// version: it predates Sigstore signing of its release line.
	ErrUnsigned = errors.New("python.org publishes no Sigstore bundle for this version")
)

// Signer is the identity that signs a release line's artifacts.
type Signer struct {
	Line     string `json:"line"`     // "3.13"
	Identity string `json:"identity"` // certificate SAN (an e-mail)
	Issuer   string `json:"issuer"`   // OIDC issuer URL
	// FirstSigned is the first version of the line with a Sigstore bundle.
	FirstSigned string `json:"first_signed"`
}

// signers is the release-manager table, from python.org's "Sigstore
// information" page. FirstSigned is the first release of each line that
// python.org published a bundle for.
var signers = map[string]Signer{
	"3.7":  {"3.7", "nad@python.org", IssuerGitHub, "3.7.14"},
	"3.8":  {"3.8", "lukasz@langa.pl", IssuerGitHub, "3.8.14"},
	"3.9":  {"3.9", "lukasz@langa.pl", IssuerGitHub, "3.9.14"},
	"3.10": {"3.10", "pablogsal@python.org", IssuerGoogle, "3.10.7"},
	"3.11": {"3.11", "pablogsal@python.org", IssuerGoogle, "3.11.0"},
	"3.12": {"3.12", "thomas@python.org", IssuerGoogle, "3.12.0a1"},
	"3.13": {"3.13", "thomas@python.org", IssuerGoogle, "3.13.0a1"},
	"3.14": {"3.14", "hugo@python.org", IssuerGitHub, "3.14.0a1"},
	"3.15": {"3.15", "hugo@python.org", IssuerGitHub, "3.15.0a1"},
}

// Table maps releases to their signers: the built-in release lines plus
// overrides from a signers file. The zero value is not usable; use
// DefaultTable.
type Table struct {
	lines     map[string]Signer
	versions  map[string]Signer // exact version → signer
	artifacts map[string]Signer // artifact file name → signer
}

// DefaultTable returns the built-in signer table.
func DefaultTable() *Table {
	t := &Table{lines: map[string]Signer{}, versions: map[string]Signer{}, artifacts: map[string]Signer{}}
	for k, v := range signers {
		t.lines[k] = v
	}
	return t
}

// Lines returns the table's release lines, oldest first.
func (t *Table) Lines() []Signer {
	out := make([]Signer, 0, len(t.lines))
	for _, s := range t.lines {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := ParseVersion(out[i].Line + ".0")
		b, _ := ParseVersion(out[j].Line + ".0")
		return a.Compare(b) < 0
	})
	return out
}

// SignerFor returns the identity expected to have signed artifact (a file
// name, may be empty) of version v: a per-artifact exception first, then a
// per-version one, then the release line. It fails with ErrUnknownLine
// for a line not in the table and with ErrUnsigned for a version older
// than any line python.org signs (before 3.7).
//
// FirstSigned never refuses: python.org signed some releases after the
// fact (every 3.10.1 artifact has a bundle from April 2023), so a bundle
// that exists is always verified. FirstSigned only explains a missing one
// (see ExplainMissing).
func (t *Table) SignerFor(v Version, artifact string) (Signer, error) {
	if s, ok := t.artifacts[artifact]; ok && artifact != "" {
		return s, nil
	}
	if s, ok := t.versions[v.String()]; ok {
		return s, nil
	}
	s, ok := t.lines[v.Line()]
	if !ok && (v.Major < 3 || v.Major == 3 && v.Minor < 7) {
		return Signer{}, fmt.Errorf("%w: %s (python.org signs releases with Sigstore from 3.7.14, 3.8.14, 3.9.14, 3.10.7 and 3.11.0 on)", ErrUnsigned, v)
	}
	if !ok {
		return Signer{}, fmt.Errorf("%w: %s (pass --cert-identity and --cert-oidc-issuer to name the signer, or add the line to a signers file)", ErrUnknownLine, v.Line())
	}
	return s, nil
}

// ExplainMissing says why a bundle for v may be missing: when v predates
// its line's first release signed at release time, it returns ErrUnsigned
// with that fact; otherwise nil (the bundle should exist).
func (t *Table) ExplainMissing(v Version) error {
	s, ok := t.lines[v.Line()]
	if !ok || s.FirstSigned == "" {
		return nil
	}
	first, err := ParseVersion(s.FirstSigned)
	if err != nil || v.Compare(first) >= 0 {
		return nil
	}
	return fmt.Errorf("%w: %s (the first %s release signed at release time is %s; python.org signed a few older ones later, but not this one)", ErrUnsigned, v, s.Line, s.FirstSigned)
}

// ErrSignersFile marks a signers file pyfetch cannot use.
var ErrSignersFile = errors.New("bad signers file")

// signersFile is the JSON a user can add signers with:
//
//	{"lines":     {"3.16": {"identity": "x@python.org", "issuer": "https://..."}},
//	 "versions":  {"3.14.0a5": {...}},
//	 "artifacts": {"python-3.14.0-amd64.exe": {...}}}
type signersFile struct {
	Lines     map[string]signerEntry `json:"lines"`
	Versions  map[string]signerEntry `json:"versions"`
	Artifacts map[string]signerEntry `json:"artifacts"`
}

type signerEntry struct {
	Identity    string `json:"identity"`
	Issuer      string `json:"issuer"`
	FirstSigned string `json:"first_signed,omitempty"`
}

// LoadOverrides merges a signers file into t. It returns one line per
// entry that replaced a built-in one or added a new one, for the caller to
// show: built-in entries are never replaced silently.
func (t *Table) LoadOverrides(r io.Reader) (notes []string, err error) {
	// A UTF-8 byte-order mark (a Windows editor's) is not content.
	br := bufio.NewReader(io.LimitReader(r, 1<<20))
	if b, err := br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		br.Discard(3) //nolint:errcheck // peeked: the bytes are there
	}
	dec := json.NewDecoder(br)
	dec.DisallowUnknownFields()
	var f signersFile
	err = dec.Decode(&f)
	if err == nil {
		// One object, nothing after it (a second one pasted below would
		// otherwise be ignored without a word).
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("content after the JSON object")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v (expected {\"lines\": {\"3.16\": {\"identity\": ..., \"issuer\": ...}}})", ErrSignersFile, err)
	}
	check := func(what string, e signerEntry) error {
		if !strings.Contains(e.Identity, "@") || !strings.HasPrefix(e.Issuer, "https://") || !textsafe.Clean(e.Identity+e.Issuer) {
			return fmt.Errorf("%w: %s: expected an e-mail identity and an https:// issuer, found %q and %q", ErrSignersFile, what, e.Identity, e.Issuer)
		}
		return nil
	}
	for _, line := range sortedKeys(f.Lines) {
		e := f.Lines[line]
		if _, err := ParseVersion(line + ".0"); err != nil {
			return nil, fmt.Errorf("%w: %q is not a release line such as 3.16", ErrSignersFile, line)
		}
		if err := check(line, e); err != nil {
			return nil, err
		}
		s := Signer{Line: line, Identity: e.Identity, Issuer: e.Issuer, FirstSigned: e.FirstSigned}
		if old, ok := t.lines[line]; ok {
			if s.FirstSigned == "" {
				s.FirstSigned = old.FirstSigned
			}
			notes = append(notes, fmt.Sprintf("signers file overrides %s: %s via %s (built in: %s via %s)", line, s.Identity, s.Issuer, old.Identity, old.Issuer))
		} else {
			notes = append(notes, fmt.Sprintf("signers file adds %s: %s via %s", line, s.Identity, s.Issuer))
		}
		t.lines[line] = s
	}
	for _, ver := range sortedKeys(f.Versions) {
		e := f.Versions[ver]
		if _, err := ParseVersion(ver); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrSignersFile, err)
		}
		if err := check(ver, e); err != nil {
			return nil, err
		}
		t.versions[ver] = Signer{Line: ver, Identity: e.Identity, Issuer: e.Issuer}
		notes = append(notes, fmt.Sprintf("signers file sets %s: %s via %s", ver, e.Identity, e.Issuer))
	}
	for _, name := range sortedKeys(f.Artifacts) {
		e := f.Artifacts[name]
		if err := check(name, e); err != nil {
			return nil, err
		}
		t.artifacts[name] = Signer{Line: name, Identity: e.Identity, Issuer: e.Issuer}
		notes = append(notes, fmt.Sprintf("signers file sets %s: %s via %s", name, e.Identity, e.Issuer))
	}
	return notes, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// OpenPGPKey is a release manager's OpenPGP key, pinned by fingerprint.
type OpenPGPKey struct {
	Name        string
	Fingerprint string // primary key, upper-case hex
}

// openPGPKeys pin each release line's OpenPGP signer: python.org signed
// releases with detached .asc signatures until 3.13 (PEP 761 ends them
// from 3.14); these are public data, as python.org lists them.
var openPGPKeys = map[string]OpenPGPKey{
	"3.6":  {"Ned Deily", "0D96DF4D4110E5C43FBFB17F2D347EA6AA65421D"},
	"3.7":  {"Ned Deily", "0D96DF4D4110E5C43FBFB17F2D347EA6AA65421D"},
	"3.8":  {"Łukasz Langa", "E3FF2839C048B25C084DEBE9B26995E310250568"},
	"3.9":  {"Łukasz Langa", "E3FF2839C048B25C084DEBE9B26995E310250568"},
	"3.10": {"Pablo Galindo Salgado", "A035C8C19219BA821ECEA86B64E628F8D684696D"},
	"3.11": {"Pablo Galindo Salgado", "A035C8C19219BA821ECEA86B64E628F8D684696D"},
	"3.12": {"Thomas Wouters", "7169605F62C751356D054A26A821E680E5FA6305"},
	"3.13": {"Thomas Wouters", "7169605F62C751356D054A26A821E680E5FA6305"},
}

// OpenPGPKeyFor is the OpenPGP key that signs v's line, if any.
func OpenPGPKeyFor(v Version) (OpenPGPKey, bool) {
	k, ok := openPGPKeys[v.Line()]
	return k, ok
}

// OpenPGPFingerprints lists every pinned OpenPGP fingerprint once.
func OpenPGPFingerprints() []string {
	seen := map[string]bool{}
	var out []string
	for _, k := range openPGPKeys {
		if !seen[k.Fingerprint] {
			seen[k.Fingerprint] = true
			out = append(out, k.Fingerprint)
		}
	}
	sort.Strings(out)
	return out
}

// OpenPGPLines lists each line's OpenPGP key, oldest line first.
func OpenPGPLines() []struct {
	Line string
	OpenPGPKey
} {
	var out []struct {
		Line string
		OpenPGPKey
	}
	for line, k := range openPGPKeys {
		out = append(out, struct {
			Line string
			OpenPGPKey
		}{line, k})
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := ParseVersion(out[i].Line + ".0")
		b, _ := ParseVersion(out[j].Line + ".0")
		return a.Compare(b) < 0
	})
	return out
}
