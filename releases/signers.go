package releases

import (
	"errors"
	"fmt"
	"sort"
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

// Signers returns the built-in signer table, oldest release line first.
func Signers() []Signer {
	out := make([]Signer, 0, len(signers))
	for _, s := range signers {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := ParseVersion(out[i].FirstSigned)
		b, _ := ParseVersion(out[j].FirstSigned)
		return a.Compare(b) < 0
	})
	return out
}

// SignerFor returns the identity expected to have signed version v.
// It fails with ErrUnknownLine for a release line not in the table and
// with ErrUnsigned for a release older than its line's first signed one.
func SignerFor(v Version) (Signer, error) {
	s, ok := signers[v.Line()]
	if !ok && (v.Major < 3 || v.Major == 3 && v.Minor < 7) {
		return Signer{}, fmt.Errorf("%w: %s (python.org signs releases with Sigstore from 3.7.14, 3.8.14, 3.9.14, 3.10.7 and 3.11.0 on)", ErrUnsigned, v)
	}
	if !ok {
		return Signer{}, fmt.Errorf("%w: %s (pass --cert-identity and --cert-oidc-issuer to name the signer)", ErrUnknownLine, v.Line())
	}
	first, err := ParseVersion(s.FirstSigned)
	if err != nil {
		return Signer{}, err // the table is ours; a test covers every entry
	}
	if v.Compare(first) < 0 {
		return Signer{}, fmt.Errorf("%w: %s (the first signed %s release is %s)", ErrUnsigned, v, s.Line, s.FirstSigned)
	}
	return s, nil
}
