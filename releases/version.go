package releases

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ErrBadVersion is returned for a string that is not a CPython version.
var ErrBadVersion = errors.New("not a CPython version")

// Version is a CPython release version such as 3.13.1 or 3.14.0rc1.
type Version struct {
	Major, Minor, Patch int
	// Pre is "", "a", "b" or "rc".
	Pre string
	// PreN is the prerelease number (the 1 of rc1); zero for finals.
	PreN int
}

var versionRE = regexp.MustCompile(`^([0-9]{1,4})\.([0-9]{1,4})\.([0-9]{1,4})(?:(a|b|rc)([0-9]{1,4}))?$`)

// ParseVersion parses an exact CPython version ("3.13.1", "3.15.0a1").
func ParseVersion(s string) (Version, error) {
	m := versionRE.FindStringSubmatch(s)
	if m == nil {
		return Version{}, fmt.Errorf("%w: %q (expected X.Y.Z, optionally followed by a1, b2 or rc1)", ErrBadVersion, s)
	}
	v := Version{Major: atoi(m[1]), Minor: atoi(m[2]), Patch: atoi(m[3]), Pre: m[4]}
	if m[5] != "" {
		v.PreN = atoi(m[5])
	}
	return v, nil
}

// MustVersion is ParseVersion for a version known to be good (a
// constant, a test's); it panics otherwise.
func MustVersion(s string) Version {
	v, err := ParseVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s) // the regexp admits at most four digits
	return n
}

// String returns the canonical form, e.g. "3.14.0rc1".
func (v Version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.Pre != "" {
		s += v.Pre + strconv.Itoa(v.PreN)
	}
	return s
}

// Line returns the release line, e.g. "3.13".
func (v Version) Line() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// IsPrerelease reports whether v is an alpha, beta or release candidate.
func (v Version) IsPrerelease() bool { return v.Pre != "" }

// Final returns the final version v leads to: python.org keeps
// prereleases in the folder of their final release (3.14.0rc1 → 3.14.0).
func (v Version) Final() Version { return Version{Major: v.Major, Minor: v.Minor, Patch: v.Patch} }

func preRank(p string) int {
	switch p {
	case "a":
		return 0
	case "b":
		return 1
	case "rc":
		return 2
	}
	return 3 // final sorts after every prerelease
}

// Compare returns -1, 0 or +1 following CPython's version ordering
// (3.13.10 > 3.13.9; 3.14.0a1 < 3.14.0b1 < 3.14.0rc1 < 3.14.0).
func (v Version) Compare(w Version) int {
	for _, d := range [...]int{v.Major - w.Major, v.Minor - w.Minor, v.Patch - w.Patch, preRank(v.Pre) - preRank(w.Pre), v.PreN - w.PreN} {
		switch {
		case d < 0:
			return -1
		case d > 0:
			return 1
		}
	}
	return 0
}

// fileVersionRE finds the version in the name of every file python.org
// signs: source tarballs (Python-3.13.1.tgz), Windows installers and
// embeddable zips (python-3.13.1-amd64.exe, python-3.14.0-embed-win32.zip),
// macOS packages (python-3.12.0-macos11.pkg), Android and iOS tarballs
// (python-3.14.0-aarch64-linux-android.tar.gz), and the Windows install
// manager's feeds (windows-3.14.0.json), each optionally followed by
// .sigstore.
var fileVersionRE = regexp.MustCompile(`(?i)^(?:python|windows)-([0-9]+\.[0-9]+\.[0-9]+(?:(?:a|b|rc)[0-9]+)?)(?:[-.]|$)`)

// VersionFromFileName extracts the CPython version from a python.org
// artifact or bundle file name (see ParseFileName).
func VersionFromFileName(name string) (Version, error) {
	nf, err := ParseFileName(strings.TrimSuffix(name, ".sigstore"))
	return nf.Version, err
}

// NamedFile is what a python.org file name says: the version, and for a
// source tarball the artifact, whose content can be checked to be that
// release (install.CheckRelease).
type NamedFile struct {
	Version Version
	// Source is set for a source tarball; nil for the other kinds
	// (installers, packages, zips, feeds), whose content pyfetch cannot
	// look into.
	Source *Artifact
}

// ErrNoVersionInName: a file name that names no CPython version at all.
var ErrNoVersionInName = fmt.Errorf("%w in the file name", ErrBadVersion)

// sourceExts are the extensions that make a name a source tarball's.
var sourceExts = []string{"tgz", "tar.xz", "txz", "tar.gz", "tar.bz2", "tbz", "tbz2", "tar", "xz", "gz"}

// ParseFileName reads a python.org file name. The version comes from the
// same parse that decides whether the name is a source tarball's: a name
// shaped like one ("python-3.13.6.tar.XZ", "Python-3.13.6.txz") must be
// exactly python.org's (Python-3.13.6.tgz or .tar.xz), or it is refused,
// so no version is ever inferred from a tarball name that then escapes
// the check of which release is inside.
func ParseFileName(name string) (NamedFile, error) {
	m := fileVersionRE.FindStringSubmatchIndex(name)
	if m == nil {
		return NamedFile{}, fmt.Errorf("%w: cannot find a version in file name %q (expected a python.org name such as Python-3.13.1.tgz)", ErrNoVersionInName, name)
	}
	v, err := ParseVersion(name[m[2]:m[3]])
	if err != nil {
		return NamedFile{}, err
	}
	if ext, ok := strings.CutPrefix(name[m[3]:], "."); ok {
		for _, se := range sourceExts {
			if !strings.EqualFold(ext, se) {
				continue
			}
			art, ok := ParseArtifactName(name)
			if !ok {
				return NamedFile{}, fmt.Errorf("%w: %q is shaped like a source tarball but is not python.org's name for one (expected exactly Python-%s.tgz or Python-%s.tar.xz)", ErrBadVersion, name, v, v)
			}
			return NamedFile{Version: v, Source: &art}, nil
		}
	}
	return NamedFile{Version: v}, nil
}
