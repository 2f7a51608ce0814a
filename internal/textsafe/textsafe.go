// Package textsafe makes text that came from outside pyfetch (a file, a
// mirror, a certificate, a receipt) safe to print: it can no longer start
// a new line in a CI log, move a terminal's cursor, or hide in bidi
// controls, whatever bytes it holds.
package textsafe

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape returns s with every rune that is not printable written as a Go
// escape (\n, \x1b, \u202e), and bytes that are not UTF-8 as \xNN. The
// result holds no control character, line break or format character, so
// it stays on the line it is printed on.
func Escape(s string) string {
	if clean(s, false) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i])|0x100, 16)[1:])
		case printable(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRune(r) // '\n', '\x1b', '\u202e'
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}

// Lines is Escape for a message pyfetch composed itself, which may span
// lines on purpose: line feeds and tabs are kept, every other control
// character is escaped. Use Escape on the outside parts of a message to
// keep them from adding lines; Lines is the last guard before output.
func Lines(s string) string {
	if clean(s, true) {
		return s
	}
	parts := strings.Split(s, "\n")
	for i, p := range parts {
		fields := strings.Split(p, "\t")
		for j, f := range fields {
			fields[j] = Escape(f)
		}
		parts[i] = strings.Join(fields, "\t")
	}
	return strings.Join(parts, "\n")
}

// Short is Escape with the result cut to at most n runes of the input,
// marked with "…" when cut.
func Short(s string, n int) string {
	if utf8.RuneCountInString(s) > n {
		cut := 0
		for i := range s {
			if n == 0 {
				cut = i
				break
			}
			n--
		}
		return Escape(s[:cut]) + "…"
	}
	return Escape(s)
}

// Clean reports whether s prints as itself: valid UTF-8, no control,
// format or line-separator characters.
func Clean(s string) bool { return clean(s, false) }

func clean(s string, keepLines bool) bool {
	for _, r := range s {
		if keepLines && (r == '\n' || r == '\t') {
			continue
		}
		if r == utf8.RuneError || !printable(r) {
			return false
		}
	}
	return true
}

// printable: a space or a graphic rune, and not a format character (the
// bidi overrides and zero-width characters that make text display as
// other text).
func printable(r rune) bool {
	if r == ' ' {
		return true
	}
	return unicode.IsGraphic(r) && !unicode.Is(unicode.Cf, r) && !unicode.Is(unicode.Zs, r) && !unicode.Is(unicode.Zl, r) && !unicode.Is(unicode.Zp, r)
}
