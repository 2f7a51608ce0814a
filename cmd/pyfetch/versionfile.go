package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf16"

	"github.com/pyfetch/pyfetch/internal/osfs"
	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/internal/textsafe"
	"github.com/pyfetch/pyfetch/internal/tomlfile"
	"github.com/pyfetch/pyfetch/releases"
)

// versionFileName is the file pyenv, uv and setup-python's
// python-version-file read; versionsFileName is uv's for several
// versions to install (read as a .python-version is); miseNames are
// mise's, whose [tools] python is read where a folder has no
// .python-version; toolVersionsName is asdf's (and mise's), whose python
// line is read where a folder has neither; pyprojectName is a Python
// project's, whose requires-python is read where no folder up the tree
// has any of those (as uv does).
const (
	versionFileName  = ".python-version"
	versionsFileName = ".python-versions"
	toolVersionsName = ".tool-versions"
	pyprojectName    = "pyproject.toml"
)

// miseNames are mise's project configuration files, in the order mise
// prefers them (its local override first; the dotted names are older).
var miseNames = []string{
	"mise.local.toml", "mise.toml", "mise/config.toml", ".config/mise.toml", ".config/mise/config.toml",
	".mise.local.toml", ".mise.toml", ".mise/config.toml",
}

// isMise tells whether the file at path is one of mise's by its name.
func isMise(path string) bool {
	path = filepath.ToSlash(path)
	return slices.ContainsFunc(miseNames, func(n string) bool { return path == n || strings.HasSuffix(path, "/"+n) })
}

// maxVersionFile caps what is read of a .python-version: real ones are a
// few bytes. A repository's file is hostile input (it may be a link to
// /proc/self/environ or a credentials file), so its bytes are never
// echoed either (see parseVersionFile). maxToolVersions and maxProjectTOML
// are the same for a .tool-versions and a pyproject.toml or mise.toml,
// which hold more.
const (
	maxVersionFile  = 4 << 10
	maxToolVersions = 64 << 10  // a monorepo's lists every tool it uses
	maxProjectTOML  = 256 << 10 // a pyproject.toml's or mise.toml's
)

// findVersionFile returns the nearest .python-version (dir, then its
// parents) and the versions it names, one per line; blank lines and #
// comments are skipped. A folder without one may have a .tool-versions
// whose python line names them (one without a python line is passed
// over, as asdf does), or, before it, one of mise's (miseNames) whose
// [tools] python names them (one without is passed over). Where no
// folder has any of these, the nearest pyproject.toml with a
// requires-python names a version range (one without is passed over).
// No file is not an error. A file in a folder
// that another user owns (neither you nor root), or that such a user
// owns, is not used, as git refuses a repository another user owns: it
// is said through warn and the search goes on upwards.
//
// In each folder, uv's .python-versions comes before the .python-version
// beside it when several is set (what to install: install, fetch, lock,
// as uv python install reads them), after it otherwise (the one to use:
// path).
func findVersionFile(dir string, several bool, warn func(string)) (string, []string, error) {
	if dir == "" {
		return "", nil, nil
	}
	first := []string{versionFileName, versionsFileName}
	if several {
		first = []string{versionsFileName, versionFileName}
	}
	names := append(append(first, miseNames...), toolVersionsName)
	file, specs, err := findUpwards(dir, names, warn)
	if file != "" || err != nil {
		return file, specs, err
	}
	return findUpwards(dir, []string{pyprojectName}, warn)
}

// findUpwards is findVersionFile's search for the named files, in that
// order in each folder, from dir up.
func findUpwards(dir string, names []string, warn func(string)) (string, []string, error) {
	for {
		for _, name := range names {
			p := filepath.Join(dir, name)
			data, err := readVersionFile(p, false)
			switch {
			case err == nil:
				specs, found, err := parseAnyVersionFile(p, data, warn)
				if !found {
					continue
				}
				return p, specs, err
			case errors.Is(err, errForeignVersionFile):
				warn(fmt.Sprintf("note: not using %s: %v; --version-file %s reads it all the same", p, err, shellWord(p)))
			case !errors.Is(err, fs.ErrNotExist):
				return "", nil, fmt.Errorf("%w: %v", errUsage, err) // err names p
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil, nil
		}
		dir = parent
	}
}

// parseAnyVersionFile reads the versions of the version file at path
// by its name: a .tool-versions' python line, a mise.toml's [tools]
// python, a pyproject.toml's requires-python, and any other as a
// .python-version. found is false when a .tool-versions, mise.toml or
// pyproject.toml names none.
func parseAnyVersionFile(path string, data []byte, warn func(string)) (specs []string, found bool, err error) {
	switch filepath.Base(path) {
	case toolVersionsName:
		return parseToolVersions(path, data, warn)
	case pyprojectName:
		return parsePyproject(path, data)
	}
	if isMise(path) {
		return parseMise(path, data, warn)
	}
	specs, err = parseVersionFile(path, data, warn)
	return specs, true, err
}

// parsePyproject reads the requires-python of a pyproject.toml's
// [project] table (PEP 621), else Poetry's [tool.poetry.dependencies]
// python: found is false when it has neither. It must be a version range
// (">=3.11", ">=3.11,<3.14", Poetry's "^3.11"); the file's other bytes
// are never echoed, and neither is a value with a character no range
// has.
func parsePyproject(path string, content []byte) (specs []string, found bool, err error) {
	text, err := versionFileText(content)
	if err != nil {
		return nil, true, fmt.Errorf("%w: %s %v", errUsage, textsafe.Escape(path), err)
	}
	var doc struct {
		Project struct {
			RequiresPython *string `toml:"requires-python"`
		} `toml:"project"`
		Tool struct {
			Poetry struct {
				Dependencies struct {
					Python *string `toml:"python"`
				} `toml:"dependencies"`
			} `toml:"poetry"`
		} `toml:"tool"`
	}
	if err := tomlfile.Decode([]byte(text), &doc, false); err != nil {
		return nil, true, fmt.Errorf("%w: %s: %v (expected requires-python = \">=3.11\" under [project]; the file is not shown)", errUsage, textsafe.Escape(path), err)
	}
	key, value := "requires-python", doc.Project.RequiresPython
	if value == nil {
		key, value = "[tool.poetry.dependencies] python", doc.Tool.Poetry.Dependencies.Python
	}
	if value == nil {
		return nil, false, nil
	}
	v := strings.TrimSpace(*value)
	if !releases.LooksLikeRange(v) {
		return nil, true, fmt.Errorf("%w: %s: %s does not start with a PEP 440 operator, ^ or ~ (expected e.g. \">=3.11\", \">=3.11,<3.14\" or \"^3.11\"; the value is not shown)", errUsage, textsafe.Escape(path), key)
	}
	if _, err := releases.ParseSpec(v); err != nil {
		return nil, true, fmt.Errorf("%w: %s: %s: %w", errUsage, textsafe.Escape(path), key, err)
	}
	return []string{v}, true, nil
}

// maxVersionsInFile caps the versions one version file may name: a
// test matrix names a dozen, and a repository's file naming every
// release would have a job install them all.
const maxVersionsInFile = 32

// specChars are the characters a version spec can contain (3.13.5,
// 3.15.0a1, 3.13t, latest, python3.13, cpython-3.13, py3.13, v3.13): the
// only ones an error may show of a rejected line.
const specChars = "0123456789.-abcehilnoprstvy"

// parseVersionFile reads the specs in a .python-version's content. A line
// that is not a spec is named by its number with at most a short prefix
// made only of characters a spec can contain, never its bytes.
//
// pyenv's "system" line (the system's own Python, often a fallback after
// a version) is skipped with a note: there is nothing to install for it.
func parseVersionFile(path string, content []byte, warn func(string)) ([]string, error) {
	text, err := versionFileText(content)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %v", errUsage, textsafe.Escape(path), err)
	}
	var words []lineWord
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line != "" {
			words = append(words, lineWord{fmt.Sprintf("line %d", n+1), line})
		}
	}
	return specsFrom(path, words, warn)
}

// lineWord is a version as a version file names it, with where it does
// ("line 2", "[tools] python").
type lineWord struct {
	where string
	text  string
}

// parseMise reads the python entry of a mise.toml's [tools] table (or
// core:python): a string of versions ("3.13", "3.13 3.12"), a table
// with a version ({ version = "3.13", virtualenv = ".venv" }), or an array
// of either. found is false when it has none. Its versions are checked as
// a .python-version's lines are; mise's own prefixes (ref:, path:,
// prefix:, sub-1:) are refused, never guessed at.
func parseMise(path string, content []byte, warn func(string)) (specs []string, found bool, err error) {
	text, err := versionFileText(content)
	if err != nil {
		return nil, true, fmt.Errorf("%w: %s %v", errUsage, textsafe.Escape(path), err)
	}
	var doc struct {
		Tools struct {
			Python     any `toml:"python"`
			CorePython any `toml:"core:python"`
		} `toml:"tools"`
	}
	if err := tomlfile.Decode([]byte(text), &doc, false); err != nil {
		return nil, true, fmt.Errorf("%w: %s: %v (expected python = \"3.13\" under [tools]; the file is not shown)", errUsage, textsafe.Escape(path), err)
	}
	key, value := "python", doc.Tools.Python
	if value == nil {
		key, value = "core:python", doc.Tools.CorePython
	}
	if value == nil {
		return nil, false, nil
	}
	where := "[tools] " + key
	bad := fmt.Errorf("%w: %s: %s is neither a string of versions, a table with a version, nor an array of those (expected python = \"3.13\" or python = [\"3.13\", \"3.12\"]; the value is not shown)", errUsage, textsafe.Escape(path), where)
	var words []lineWord
	add := func(v any) bool {
		if t, ok := v.(map[string]any); ok {
			v = t["version"]
		}
		s, ok := v.(string)
		for _, f := range strings.Fields(s) {
			words = append(words, lineWord{where, f})
		}
		return ok
	}
	if list, ok := value.([]any); ok {
		for _, v := range list {
			if !add(v) {
				return nil, true, bad
			}
		}
	} else if !add(value) {
		return nil, true, bad
	}
	specs, err = specsFrom(path, words, warn)
	return specs, true, err
}

// parseToolVersions reads the python line of a .tool-versions (asdf's
// and mise's "python 3.13.5 3.12.8", # comments): found is false when it
// has none. Its versions are checked as a .python-version's lines are.
func parseToolVersions(path string, content []byte, warn func(string)) (specs []string, found bool, err error) {
	text, err := versionFileText(content)
	if err != nil {
		return nil, true, fmt.Errorf("%w: %s %v", errUsage, textsafe.Escape(path), err)
	}
	var words []lineWord
	for n, line := range strings.Split(text, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] != "python" {
			continue
		}
		found = true
		for _, f := range fields[1:] {
			words = append(words, lineWord{fmt.Sprintf("line %d", n+1), f})
		}
	}
	if !found {
		return nil, false, nil
	}
	specs, err = specsFrom(path, words, warn)
	return specs, true, err
}

// specsFrom checks the versions a version file names: a word that is not
// a spec is named by where it is with at most a short prefix made only of
// characters a spec can contain, never its bytes; "system" is skipped
// with a note. A version named twice is read once, and more than
// maxVersionsInFile is refused.
func specsFrom(path string, words []lineWord, warn func(string)) ([]string, error) {
	var specs []string
	system := false
	for _, w := range words {
		line, n := w.text, w.where
		if line == "system" {
			system = true
			warn(fmt.Sprintf("note: %s %s names the system Python (pyenv's \"system\"); pyfetch installs nothing for it", textsafe.Escape(path), n))
			continue
		}
		if _, err := releases.ParseSpec(line); err != nil {
			shown := ""
			if k := strings.IndexFunc(line, func(r rune) bool { return !strings.ContainsRune(specChars, r) }); k != 0 {
				if k < 0 || k > 10 {
					k = min(len(line), 10)
				}
				shown = fmt.Sprintf(", starting %q", line[:k])
			}
			return nil, fmt.Errorf("%w: %s %s is not a version spec%s (expected a version such as 3.13 or 3.13.5; the value is not shown)", errUsage, textsafe.Escape(path), n, shown)
		}
		if !slices.Contains(specs, line) {
			specs = append(specs, line)
		}
	}
	if len(specs) > maxVersionsInFile {
		return nil, fmt.Errorf("%w: %s names %d versions, more than the %d pyfetch reads from a version file (expected a few: a repository's file could otherwise fill the disk with installs; name more as arguments)", errUsage, textsafe.Escape(path), len(specs), maxVersionsInFile)
	}
	if len(specs) == 0 {
		only := ""
		if system {
			only = " but the system Python"
		}
		return nil, fmt.Errorf("%w: %s names no version%s (expected a line such as 3.13 or 3.13.5)", errUsage, textsafe.Escape(path), only)
	}
	return specs, nil
}

// versionFileText is a .python-version's content as text. Windows editors
// and PowerShell write a byte-order mark: UTF-8's is dropped, and a file
// that starts with UTF-16's (PowerShell 5's "3.13 > .python-version") is
// decoded, so that a version file made there reads as it looks.
func versionFileText(content []byte) (string, error) {
	if rest, ok := bytes.CutPrefix(content, []byte("\xef\xbb\xbf")); ok {
		return string(rest), nil
	}
	var hi int // which byte of a pair is the high one
	switch {
	case bytes.HasPrefix(content, []byte("\xff\xfe")):
		hi = 1
	case bytes.HasPrefix(content, []byte("\xfe\xff")):
		hi = 0
	default:
		return string(content), nil
	}
	content = content[2:]
	if len(content)%2 != 0 {
		return "", errors.New("starts with a UTF-16 byte-order mark but has an odd number of bytes (expected UTF-8 text, or UTF-16 as Windows writes it)")
	}
	units := make([]uint16, len(content)/2)
	for i := range units {
		units[i] = uint16(content[2*i+hi])<<8 | uint16(content[2*i+1-hi])
	}
	return string(utf16.Decode(units)), nil
}

// errForeignVersionFile: the file, or the folder it is in, belongs to
// another user.
var errForeignVersionFile = errors.New("it belongs to another user")

// readVersionFile reads a project's version file (.python-version,
// .tool-versions, pyproject.toml). A symlink is followed (projects link
// it), but only to a small regular file: a FIFO or device is refused
// without blocking, and no more than maxVersionFile bytes are read
// (maxToolVersions of a .tool-versions, maxProjectTOML of a pyproject.toml or mise.toml). Unless named (--version-file: the
// user chose it, as a container job running as root names its
// workspace's), the folder and the file must belong to you or root.
func readVersionFile(p string, named bool) ([]byte, error) {
	limit := maxVersionFile
	switch filepath.Base(p) {
	case toolVersionsName:
		limit = maxToolVersions
	case pyprojectName:
		limit = maxProjectTOML
	}
	if isMise(p) {
		limit = maxProjectTOML
	}
	if err := ownedByUsOrRoot(filepath.Dir(p)); err != nil && !named {
		if _, serr := os.Lstat(p); serr != nil {
			return nil, serr // no file there: nothing to say
		}
		return nil, fmt.Errorf("%w: the folder %v", errForeignVersionFile, err)
	}
	f, err := safefile.OpenNamed(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := ownedByUsOrRoot(p); err != nil && !named {
		return nil, fmt.Errorf("%w: %v", errForeignVersionFile, err)
	}
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes (expected a small text file: a %s of a few lines)", p, limit, filepath.Base(p))
	}
	return data, nil
}

// ownedByUsOrRoot checks who owns path (after links).
func ownedByUsOrRoot(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if uid, _, _ := osfs.Owner(fi); !osfs.OwnedByYou(fi) {
		return fmt.Errorf("is owned by uid %d, you are %d (as git's safe.directory, pyfetch reads no other user's version file)", uid, os.Geteuid())
	}
	return nil
}

// versionFileOpts: --version-file, the file to read the versions from
// instead of searching for the nearest one (the action's
// python-version-file).
type versionFileOpts struct {
	versionFile string
	several     bool // read .python-versions first (findVersionFile)
}

func (o *versionFileOpts) register(a *app, fs *flag.FlagSet) {
	fs.StringVar(&o.versionFile, "version-file", "", "read the versions from this .python-version, .tool-versions, mise.toml or pyproject.toml (requires-python) instead of the nearest one; when no SPEC is given")
}

// find is the version file and its versions: the one --version-file
// names, else the nearest (findVersionFile). A named file must exist and
// name a version: a .tool-versions needs a python line, a mise.toml a
// [tools] python and a pyproject.toml a requires-python; any other name is read as a
// .python-version. It is read whoever owns it (the user chose it), with
// the other checks.
func (o *versionFileOpts) find(a *app) (string, []string, error) {
	if o.versionFile == "" {
		return findVersionFile(a.wd, o.several, a.warn)
	}
	p := o.versionFile
	if !filepath.IsAbs(p) {
		p = filepath.Join(a.wd, p)
	}
	data, err := readVersionFile(p, true)
	if err != nil {
		return "", nil, fmt.Errorf("%w: --version-file: %v", errUsage, err)
	}
	specs, found, err := parseAnyVersionFile(p, data, a.warn)
	if !found {
		what := "python line"
		switch {
		case filepath.Base(p) == pyprojectName:
			what = "requires-python under [project] (nor a python under [tool.poetry.dependencies])"
		case isMise(p):
			what = "python under [tools]"
		}
		return "", nil, fmt.Errorf("%w: --version-file %s has no %s", errUsage, textsafe.Escape(p), what)
	}
	return p, specs, err
}
