// Package tomlfile decodes TOML files pyfetch did not write and must not
// trust (a repository's pyfetch.lock or pyproject.toml): with go-toml,
// whose parser stays linear on what a hostile file can hold (deeply
// nested inline tables, long dotted keys) and caps nesting, where
// BurntSushi/toml took minutes on a 1 MB file of them. Its errors give
// the line and the library's message, never the line's bytes.
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
// line and its message, or the first unknown key, never the line's bytes
// (its String would show them).
func describe(err error) error {
	var missing *toml.StrictMissingError
	if errors.As(err, &missing) && len(missing.Errors) > 0 {
		row, _ := missing.Errors[0].Position()
		return fmt.Errorf("line %d: unknown key %s", row, textsafe.Short(strings.Join(missing.Errors[0].Key(), "."), 60))
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, _ := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		// "cannot decode TOML float into struct field ...": the key and
		// the kind of its value, not Go's names.
		if rest, ok := strings.CutPrefix(msg, "cannot decode TOML "); ok {
			kind, _, _ := strings.Cut(rest, " ")
			return fmt.Errorf("line %d: %s is a TOML %s, of the wrong type", row, textsafe.Short(strings.Join(de.Key(), "."), 60), textsafe.Short(kind, 20))
		}
		return fmt.Errorf("line %d: not valid TOML (%s)", row, textsafe.Short(msg, 80))
	}
	return errors.New(textsafe.Short(strings.TrimPrefix(err.Error(), "toml: "), 120))
}
