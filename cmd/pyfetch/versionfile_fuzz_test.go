package main

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/pyfetch/pyfetch/releases"
)

// FuzzVersionFiles: whatever a repository's version file holds, each kind
// is read without a panic or a hang; what is said of it (an error, a note)
// never shows its bytes (the marker) nor a control character; and every
// version it names is a spec, as the "using ... from" line prints them.
func FuzzVersionFiles(f *testing.F) {
	for _, seed := range []string{
		"3.13\n# a comment\n",
		"python 3.13.5 system\nnodejs 22\n",
		"[tools]\npython = [\"3.12\", { version = \"3.13\" }]\n",
		"[tools]\n\"core:python\" = \"3.13 3.12\"\n",
		"[project]\nrequires-python = \">=3.11,<3.14\"\n",
		"[tool.poetry.dependencies]\npython = \"^3.10 || ^4\"\n",
		"\xff\xfe3\x00.\x001\x003\x00\n\x00",
		"\xef\xbb\xbf3.13t\n",
	} {
		for name := range uint8(len(versionFileKinds)) {
			f.Add(name, seed, "")
		}
	}
	f.Fuzz(func(t *testing.T, name uint8, before, after string) {
		path := "/project/" + versionFileKinds[int(name)%len(versionFileKinds)]
		data := []byte(before + "SECRETZ" + after)
		var said []string
		specs, _, err := parseAnyVersionFile(path, data, func(s string) { said = append(said, s) })
		if err != nil {
			said = append(said, err.Error())
		}
		for _, s := range said {
			if strings.Contains(s, "SECRETZ") || !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
				t.Fatalf("%s: says %q", path, s)
			}
		}
		for _, s := range specs {
			if _, err := releases.ParseSpec(s); err != nil {
				t.Fatalf("%s: names %q, not a spec: %v", path, s, err)
			}
		}
	})
}

// versionFileKinds are the names parseAnyVersionFile reads differently.
var versionFileKinds = []string{versionFileName, versionsFileName, toolVersionsName, "mise.toml", pyprojectName}
