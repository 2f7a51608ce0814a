package tomlfile

import (
	"strings"
	"testing"
)

type pyproject struct {
	Project struct {
		RequiresPython *string `toml:"requires-python"`
	} `toml:"project"`
}

// What a hostile repository's TOML can hold: each is read (or refused)
// with an error that names the line, never the file's bytes. The nested
// and dotted documents took BurntSushi/toml minutes to hours at these
// sizes (it is quadratic in them); a regression shows as the test
// timing out, not as an asserted duration.
func TestDecodeHostile(t *testing.T) {
	t.Parallel()
	const n = 200_000
	tests := []struct {
		name, doc string
		strict    bool
		want      string // in the error; "" for none
	}{
		{"nested inline tables", "a = " + strings.Repeat("{b=", n/3) + "1" + strings.Repeat("}", n/3) + "\n", false, "line 1, column "},
		{"nested arrays", "a = " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n", false, "line 1, column"},
		{"a long dotted key", strings.Repeat("b.", n) + "c = 1\n", false, ""},
		{"a long dotted key, strict", strings.Repeat("b.", n) + "c = 1\n", true, "line 1: unknown key b.b.b."},
		{"many table headers", strings.Repeat("[["+strings.Repeat("a.", 40)+"b]]\n", 5000), false, ""},
		{"not TOML", "[project\nrequires-python = \">=3.12\" # SECRET\n", false, "line 1, column 9: not valid TOML"},
		{"a newline in a string", "a = \"SECRET\n\"\n", false, "line 1, column"},
		{"a token the library would quote", "a = 1.5eSECRET\n", false, "line 1, column"},
		{"a character the library would quote", "[project]\nS = ?SECRET\n", false, "line 2, column"},
		{"the wrong type", "[project]\nrequires-python = 3.12\n", false, "line 2: project.requires-python is a TOML float, of the wrong type"},
		{"an escape in a key", "[project]\n\"\\u001b[2J\" = 1\n", true, `unknown key project.\x1b[2J`},
		{"a string", "[project]\nname = \"x\"\nrequires-python = \">=3.12\"\n", false, ""},
	}
	for _, tt := range tests {
		var v pyproject
		err := Decode([]byte(tt.doc), &v, tt.strict)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		case err != nil && (strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "1.5e") || strings.ContainsAny(err.Error(), "\n\x1b?")):
			t.Errorf("%s: the error shows the file: %q", tt.name, err)
		}
	}
}
