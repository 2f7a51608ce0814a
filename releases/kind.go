package releases

import (
	"fmt"
	"strings"
)

// Kind is one kind of artifact pyfetch installs from: how its file is
// named, how it is compressed and what it unpacks to. The table Kinds is
// the one place that knows them; a new kind (a prebuilt interpreter, a
// Windows zip) is a new row.
type Kind struct {
	// Format is the file name's suffix after "Python-<version>.".
	Format Format
	// Aliases are other spellings a user may type for Format.
	Aliases []string
	// Compression is the archive's compression ("gz", "xz").
	Compression string
	// Unpacks says what the archive holds.
	Unpacks Content
}

// Content is what an artifact unpacks to.
type Content string

// Contents.
const (
	// SourceTree: a CPython source release, every entry below
	// "Python-<version>/".
	SourceTree Content = "source tree"
)

// Kinds are the artifact kinds pyfetch installs from, the most compact
// first (the order "any format" tries after the preferred one).
var Kinds = []Kind{
	{Format: TarXZ, Aliases: []string{"xz", "txz"}, Compression: "xz", Unpacks: SourceTree},
	{Format: TGZ, Aliases: []string{"tar.gz", "gz"}, Compression: "gz", Unpacks: SourceTree},
}

// KindOf returns f's row of Kinds.
func KindOf(f Format) (Kind, bool) {
	for _, k := range Kinds {
		if k.Format == f {
			return k, true
		}
	}
	return Kind{}, false
}

// Formats returns every format, f first (when it is one), then the rest
// in Kinds' order: the order to try when any format will do.
func Formats(f Format) []Format {
	out := []Format{}
	if _, ok := KindOf(f); ok {
		out = append(out, f)
	}
	for _, k := range Kinds {
		if k.Format != f {
			out = append(out, k.Format)
		}
	}
	return out
}

// Compression is the compression of f's archives ("" when f is no kind).
func (f Format) Compression() string {
	k, _ := KindOf(f)
	return k.Compression
}

// ParseFormat accepts a format or one of its aliases (case-insensitive,
// with or without a leading dot).
func ParseFormat(s string) (Format, error) {
	low := strings.ToLower(strings.TrimPrefix(s, "."))
	for _, k := range Kinds {
		if low == string(k.Format) {
			return k.Format, nil
		}
		for _, a := range k.Aliases {
			if low == a {
				return k.Format, nil
			}
		}
	}
	var names []string
	for _, f := range Formats(DefaultFormat) {
		names = append(names, string(f))
	}
	return "", fmt.Errorf("%w: %q (expected %s)", ErrBadFormat, s, strings.Join(names, " or "))
}

// FreeThreadedSuffix marks a free-threaded build, after the version in a
// spec ("3.13t") and in an install's name ("3.13.5t"), as uv and pyenv
// name it.
const FreeThreadedSuffix = "t"

// InstallName is what an install is called, and the name of its folder
// under versions/: the version, with a "t" for a free-threaded build (the
// name uv and pyenv use).
type InstallName struct {
	Version      Version
	FreeThreaded bool
}

func (n InstallName) String() string {
	if n.FreeThreaded {
		return n.Version.String() + FreeThreadedSuffix
	}
	return n.Version.String()
}

// ParseInstallName reads "3.13.5" or "3.13.5t".
func ParseInstallName(s string) (InstallName, error) {
	base, ft := strings.CutSuffix(s, FreeThreadedSuffix)
	v, err := ParseVersion(base)
	if err != nil {
		return InstallName{}, err
	}
	return InstallName{Version: v, FreeThreaded: ft}, nil
}
