package releases

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
	pep440 "github.com/aquasecurity/go-pep440-version"
)

// Range is a PEP 440 version specifier set, as a pyproject.toml's
// requires-python writes it: ">=3.11", ">=3.11,<3.14", "~=3.12",
// "==3.13.*", "!=3.13.0". The comparisons are the library's (a port of
// pypa/packaging); pyfetch only checks the text is a specifier set
// first (PEP 440's operators, comma-separated, nothing else: not npm's
// "||", not the arbitrary "===", not a bare version).
//
// It may instead be Poetry's ("^3.10", "~3.11", a pyproject.toml's
// [tool.poetry.dependencies] python): caret and tilde as npm reads them
// (^3.10 is >=3.10,<4; ~3.11 is >=3.11,<3.12), compared by
// github.com/Masterminds/semver.
type Range struct {
	set    pep440.Specifiers
	poetry *semver.Constraints
	// pre: a clause names a prerelease (">=3.15.0a1"), so prereleases
	// match without --pre, as PEP 440 says.
	pre bool
}

// rangeOps are PEP 440's comparison operators, longest first so that
// "<=" is not read as "<".
var rangeOps = []string{"~=", "==", "!=", "<=", ">=", "<", ">"}

// maxRange caps a specifier set's length: real ones are a few clauses.
const maxRange = 200

// rangeChars are the characters a specifier set may contain.
const rangeChars = "0123456789.*,<>=!~ \tabcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+-_"

// LooksLikeRange reports whether s starts as a version range does: with
// a PEP 440 operator or Poetry's caret or tilde, not a digit.
func LooksLikeRange(s string) bool {
	return s != "" && strings.ContainsRune("<>=!~^", rune(s[0]))
}

// isPoetry reports a Poetry range: a caret, or a tilde that is not PEP
// 440's "~=".
func isPoetry(s string) bool {
	return strings.HasPrefix(s, "^") || (strings.HasPrefix(s, "~") && !strings.HasPrefix(s, "~="))
}

// poetryChars are the characters a Poetry range of Python versions may
// contain.
const poetryChars = "0123456789.*xX^~,<>=! \t|"

// parsePoetry reads a Poetry range ("^3.10", "~3.11", "^3.10 || ^4").
func parsePoetry(s string) (*Range, error) {
	if i := strings.IndexFunc(s, func(r rune) bool { return !strings.ContainsRune(poetryChars, r) }); i >= 0 {
		return nil, fmt.Errorf("%w: a caret or tilde range with a character it cannot contain, at byte %d (expected e.g. ^3.10 or ~3.11)", ErrBadSpec, i+1)
	}
	c, err := semver.NewConstraint(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not a caret or tilde range (expected e.g. ^3.10 or ~3.11)", ErrBadSpec, s)
	}
	return &Range{poetry: c}, nil
}

// semverOf is v as semver spells it (3.15.0a1 → 3.15.0-a.1, so that rc10
// sorts after rc9).
func semverOf(v Version) *semver.Version {
	pre := ""
	if v.IsPrerelease() {
		pre = fmt.Sprintf("%s.%d", v.Pre, v.PreN)
	}
	return semver.New(uint64(v.Major), uint64(v.Minor), uint64(v.Patch), pre, "")
}

// parseRange reads a PEP 440 specifier set.
func parseRange(s string) (*Range, error) {
	bad := func(why string) error {
		return fmt.Errorf("%w: %q is not a PEP 440 version range: %s (expected e.g. >=3.11 or >=3.11,<3.14)", ErrBadSpec, s, why)
	}
	if len(s) > maxRange {
		return nil, fmt.Errorf("%w: a version range of %d characters (at most %d)", ErrBadSpec, len(s), maxRange)
	}
	if isPoetry(s) {
		return parsePoetry(s)
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return !strings.ContainsRune(rangeChars, r) }); i >= 0 {
		return nil, fmt.Errorf("%w: a version range with a character a PEP 440 specifier cannot contain, at byte %d (expected e.g. >=3.11 or >=3.11,<3.14)", ErrBadSpec, i+1)
	}
	r := &Range{}
	for _, clause := range strings.Split(s, ",") {
		clause = strings.TrimSpace(clause)
		if strings.HasPrefix(clause, "===") {
			return nil, bad("the arbitrary equality === matches strings, not versions")
		}
		op := ""
		for _, o := range rangeOps {
			if strings.HasPrefix(clause, o) {
				op = o
				break
			}
		}
		if op == "" {
			return nil, bad(fmt.Sprintf("each clause starts with one of %s", strings.Join(rangeOps, " ")))
		}
		ver := strings.TrimSpace(strings.TrimPrefix(clause, op))
		v, err := pep440.Parse(strings.TrimSuffix(ver, ".*"))
		if err != nil || ver == "" {
			return nil, bad(fmt.Sprintf("%q does not name a version", clause))
		}
		// A prerelease named in a clause that admits it (any but "!=")
		// lets prereleases match.
		r.pre = r.pre || (v.IsPreRelease() && op != "!=")
	}
	set, err := pep440.NewSpecifiers(s)
	if err != nil {
		return nil, bad("the specifier library refused it")
	}
	r.set = set
	return r, nil
}

// contains reports whether v is in the range. A prerelease is only when
// pre is set or the range names a prerelease.
func (r *Range) contains(v Version, pre bool) bool {
	if v.IsPrerelease() && !pre && !r.pre {
		return false
	}
	if r.poetry != nil {
		// A prerelease is in it when its final is too: ~3.10 (<3.11)
		// never picks 3.11.0rc1, as PEP 440's "<" would not.
		c := *r.poetry
		c.IncludePrerelease = true
		return c.Check(semverOf(v)) && (!v.IsPrerelease() || c.Check(semverOf(v.Final())))
	}
	pv, err := pep440.Parse(v.String())
	if err != nil {
		return false
	}
	return r.set.Check(pv)
}

// mayHold reports whether the folder of a final version can hold a
// version in the range: the final itself is in it, or the range names a
// prerelease (whose folder's final may be outside it: "==3.15.0a1").
func (r *Range) mayHold(final Version) bool {
	if r.pre {
		return true
	}
	return r.contains(final, false)
}
