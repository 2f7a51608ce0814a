// Package tomlfile decodes TOML files pyfetch did not write and must not
// trust (a repository's pyfetch.lock or pyproject.toml): with go-toml,
// whose parser stays linear on what a hostile file can hold (deeply
// nested inline tables, long dotted keys) and caps nesting, where
// BurntSushi/toml took minutes on a 1 MB file of them. Its errors give
// the place, never the line's bytes.
package tomlfile

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/pyfetch/pyfetch/internal/textsafe"
)

// Decode reads the TOML document data into v. With strict, a key v has
// no field for is an error naming it.
func Decode(data []byte, v any, strict bool) error {
	dec := toml.NewDecoder(bytes.NewReader(data))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return describe(err)
	}
	return nil
}

// describe says what is wrong with a document from go-toml's error: the
// line and column, the first unknown key, or the key whose value is of the
// wrong type (only a key the caller's type has), never the line's bytes.
func describe(err error) error {
	var missing *toml.StrictMissingError
	if errors.As(err, &missing) && len(missing.Errors) > 0 {
		row, _ := missing.Errors[0].Position()
		return fmt.Errorf("line %d: unknown key %s", row, textsafe.Short(strings.Join(missing.Errors[0].Key(), "."), 60))
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		// "cannot decode TOML float into struct field ...": the key and
		// the kind of its value, not Go's names.
		if rest, ok := strings.CutPrefix(msg, "cannot decode TOML "); ok {
			kind, _, _ := strings.Cut(rest, " ")
			return fmt.Errorf("line %d: %s is a TOML %s, of the wrong type", row, textsafe.Short(strings.Join(de.Key(), "."), 60), textsafe.Short(kind, 20))
		}
		// The library's message may quote a character or a token of
		// the line ("unable to parse float: ... \"1.5e\""): a file linked
		// to a credentials file would print part of it. The place only.
		return fmt.Errorf("line %d, column %d: not valid TOML", row, col)
	}
	return errors.New("not valid TOML")
}
