package releases

import (
	"errors"
	"strings"
	"testing"
)

func TestRangeSpec(t *testing.T) {
	v := func(s string) Version {
		t.Helper()
		x, err := ParseVersion(s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	tests := []struct {
		spec   string
		pre    bool
		in     []string
		out    []string
		folder map[string]bool // final version → MatchesFolder
	}{
		{spec: ">=3.11", in: []string{"3.11.0", "3.13.5", "4.0.0"}, out: []string{"3.10.19", "3.15.0a1"},
			folder: map[string]bool{"3.15.0": true, "3.10.19": false}},
		{spec: ">=3.11", pre: true, in: []string{"3.15.0a1", "3.14.0rc1"}, out: []string{"3.11.0rc1", "3.10.19"}},
		{spec: ">=3.11,<3.14", in: []string{"3.11.2", "3.13.5"}, out: []string{"3.14.0", "3.10.1"},
			folder: map[string]bool{"3.14.0": false, "3.13.5": true}},
		// "<3.14" never admits 3.14's own prereleases, even with --pre.
		{spec: " >= 3.11 , < 3.14 ", pre: true, in: []string{"3.13.5", "3.13.0rc1"}, out: []string{"3.14.0rc1", "3.14.0a1"}},
		{spec: "~=3.12", in: []string{"3.12.0", "3.13.5"}, out: []string{"4.0.0", "3.11.9"}},
		{spec: "~=3.12.1", in: []string{"3.12.1", "3.12.10"}, out: []string{"3.13.0", "3.12.0"}},
		{spec: "==3.13.*", in: []string{"3.13.0", "3.13.5"}, out: []string{"3.12.9", "3.14.0", "3.13.0rc1"}},
		{spec: "!=3.13.0,>=3.13", in: []string{"3.13.1"}, out: []string{"3.13.0", "3.12.9"}},
		{spec: "==3.13.5", in: []string{"3.13.5"}, out: []string{"3.13.4", "3.13.50"}},
		// A range that names a prerelease admits prereleases without
		// --pre, and looks in every folder (its own final is outside it).
		{spec: "==3.15.0a1", in: []string{"3.15.0a1"}, out: []string{"3.15.0a2", "3.15.0"},
			folder: map[string]bool{"3.15.0": true}},
		{spec: ">=3.15.0a1", in: []string{"3.15.0a2", "3.15.0"}, out: []string{"3.14.9"}},
		{spec: "<3.10", in: []string{"3.9.20", "2.7.18"}, out: []string{"3.10.0", "3.9.0rc1"}},
		// Poetry's caret and tilde ([tool.poetry.dependencies] python).
		{spec: "^3.10", in: []string{"3.10.0", "3.14.2"}, out: []string{"3.9.20", "4.0.0", "3.15.0a1"},
			folder: map[string]bool{"3.15.0": true, "3.9.20": false}},
		{spec: "^3.10", pre: true, in: []string{"3.15.0a1", "3.14.0rc10"}, out: []string{"3.10.0rc1", "4.0.0a1"}},
		{spec: "~3.11", in: []string{"3.11.0", "3.11.9"}, out: []string{"3.12.0", "3.10.9"}},
		{spec: "~3.11", pre: true, in: []string{"3.11.5"}, out: []string{"3.12.0rc1", "3.11.0rc1"}},
		{spec: "~3.11.4", in: []string{"3.11.4", "3.11.9"}, out: []string{"3.11.3", "3.12.0"}},
		{spec: "^3.9 || ^4", in: []string{"3.9.1", "4.1.0"}, out: []string{"3.8.9"}},
		{spec: "^3.10, <3.13", in: []string{"3.12.9"}, out: []string{"3.13.0"}},
	}
	for _, tt := range tests {
		sp, err := ParseSpec(tt.spec)
		if err != nil {
			t.Fatalf("%q: %v", tt.spec, err)
		}
		if sp.Range == nil || sp.Exact != nil || sp.FreeThreaded || sp.Raw != strings.TrimSpace(tt.spec) {
			t.Fatalf("%q parsed as %+v", tt.spec, sp)
		}
		for _, s := range tt.in {
			if !sp.Matches(v(s), tt.pre) {
				t.Errorf("%q (pre %v) does not match %s", tt.spec, tt.pre, s)
			}
		}
		for _, s := range tt.out {
			if sp.Matches(v(s), tt.pre) {
				t.Errorf("%q (pre %v) matches %s", tt.spec, tt.pre, s)
			}
		}
		for f, want := range tt.folder {
			if got := sp.MatchesFolder(v(f)); got != want {
				t.Errorf("%q: MatchesFolder(%s) = %v, want %v", tt.spec, f, got, want)
			}
		}
	}
}

func TestRangeSpecRefused(t *testing.T) {
	for _, s := range []string{
		">=",                                  // no version
		">=3.11 || <3.9",                      // npm's or
		"===3.13.5",                           // arbitrary equality
		">=3.11,3.13",                         // a bare version as a clause
		">=3.11,",                             // an empty clause
		">=3.11;rm -rf /",                     // not a specifier character
		">=3.11\n<3.14",                       // a newline
		">=\x1b[31m3.11",                      // a terminal escape
		">=3.x",                               // not a version
		">=3.13t",                             // free-threaded is a spec's suffix, not a range's
		"~=3",                                 // ~= needs two release numbers
		">=3.11.*",                            // a wildcard only with == and !=
		"<" + strings.Repeat("3.", 120) + "1", // too long
		"^3.10 - 3.12",                        // a hyphen range
		"^3.x.y",                              // not a version
		"^",                                   // nothing
		"~3.11; ls",                           // not a range character
		"^3.10\n|| ^4",                        // a newline inside
	} {
		sp, err := ParseSpec(s)
		if !errors.Is(err, ErrBadSpec) {
			t.Errorf("ParseSpec(%q) = %+v, %v; want ErrBadSpec", s, sp, err)
			continue
		}
		if strings.ContainsAny(err.Error(), "\n\x1b") {
			t.Errorf("ParseSpec(%q): the error carries a control character: %q", s, err)
		}
	}
}
