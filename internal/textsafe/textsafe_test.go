package textsafe

import (
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"thomas@python.org", "thomas@python.org"},
		{"a\nb", `a\nb`},
		{"a\r\n::warning::x", `a\r\n::warning::x`},
		{"\x1b[2J", `\x1b[2J`},
		{"evil\u202egro.nohtyp", `evil\u202egro.nohtyp`},
		{"zero\u200bwidth", `zero\u200bwidth`},
		{"line\u2028sep", `line\u2028sep`},
		{"bad\xffbyte", `bad\xffbyte`},
		{"nul\x00", `nul\x00`},
		{"Łukasz Langa", "Łukasz Langa"},
		{"tab\there", `tab\there`},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := Escape(tc.in); strings.ContainsAny(got, "\n\r\x1b\x00\u2028\u202e") {
			t.Errorf("Escape(%q) still holds a control character: %q", tc.in, got)
		}
	}
}

func TestLines(t *testing.T) {
	in := "SECURITY ERROR:\n  expected: a\n  found:\tb\x1b[1A\rinstalled"
	want := "SECURITY ERROR:\n  expected: a\n  found:\tb\\x1b[1A\\rinstalled"
	if got := Lines(in); got != want {
		t.Errorf("Lines = %q, want %q", got, want)
	}
}

func TestShort(t *testing.T) {
	if got := Short("3.13.5\nsecret", 4); got != "3.13…" {
		t.Errorf("Short = %q", got)
	}
	if got := Short("3.1", 4); got != "3.1" {
		t.Errorf("Short = %q", got)
	}
}

func FuzzEscape(f *testing.F) {
	f.Add("a\nb\x1b\u202e\xff")
	f.Fuzz(func(t *testing.T, s string) {
		got := Escape(s)
		if !Clean(got) {
			t.Fatalf("Escape(%q) = %q is not clean", s, got)
		}
		if Clean(s) && got != s {
			t.Fatalf("clean %q changed to %q", s, got)
		}
	})
}
