// Package lockfile reads and writes pyfetch.lock: for each pinned CPython
// version, the exact artifact, its SHA-256 and size, and how it was
// verified (method, signer, transparency-log entry). The file is TOML,
// written deterministically so it diffs cleanly in review, and read as
// hostile input: capped, every field checked, a parse error naming its
// line, nothing from it printed unescaped.
package lockfile

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/pyfetch/pyfetch/internal/textsafe"
	"github.com/pyfetch/pyfetch/internal/tomlfile"
	"github.com/pyfetch/pyfetch/releases"
)

// Name is the lock file's name, beside .python-version.
const Name = "pyfetch.lock"

// MaxBytes caps what is read of a lock file.
const MaxBytes = 1 << 20

// ErrLockFile means a lock file that cannot be used as it is.
var ErrLockFile = errors.New("bad lock file")

// File is a lock file's content.
type File struct {
	// Format is the file format's version (1).
	Format  int     `toml:"format"`
	Pythons []Entry `toml:"python"`
}

// Entry pins one version.
type Entry struct {
	Version        string    `toml:"version" json:"version"`
	Artifact       string    `toml:"artifact" json:"artifact"`
	SHA256         string    `toml:"sha256" json:"sha256"`
	Size           int64     `toml:"size" json:"size"`
	Method         string    `toml:"method" json:"method"`
	Signer         string    `toml:"signer" json:"signer"`
	Issuer         string    `toml:"issuer" json:"issuer"`
	LogIndex       int64     `toml:"rekor_log_index" json:"rekor_log_index"`
	IntegratedTime time.Time `toml:"integrated_time,omitempty" json:"integrated_time,omitzero"`
}

// Digest is the entry's SHA-256 as bytes.
func (e Entry) Digest() []byte {
	d, _ := hex.DecodeString(e.SHA256)
	return d
}

// Artifact is what the entry names.
func (e Entry) Art() releases.Artifact {
	a, _ := releases.ParseArtifactName(e.Artifact)
	return a
}

// Parse reads a lock file, refusing anything pyfetch would not write.
func Parse(r io.Reader) (*File, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrLockFile, MaxBytes)
	}
	// A repository's lock file is hostile input: read with tomlfile.
	var f File
	if err := tomlfile.Decode(data, &f, true); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLockFile, err)
	}
	if f.Format != 1 {
		return nil, fmt.Errorf("%w: format = %d, expected 1", ErrLockFile, f.Format)
	}
	seen := map[string]bool{}
	for i, e := range f.Pythons {
		if err := e.check(); err != nil {
			return nil, fmt.Errorf("%w: [[python]] entry %d: %v", ErrLockFile, i+1, err)
		}
		if seen[e.Version] {
			return nil, fmt.Errorf("%w: %s is pinned twice", ErrLockFile, e.Version)
		}
		seen[e.Version] = true
	}
	return &f, nil
}

func (e Entry) check() error {
	for _, s := range []string{e.Version, e.Artifact, e.SHA256, e.Method, e.Signer, e.Issuer} {
		if !textsafe.Clean(s) {
			return errors.New("a field holds a control character")
		}
	}
	v, err := releases.ParseVersion(e.Version)
	if err != nil {
		return fmt.Errorf("version %q is not a CPython version", textsafe.Short(e.Version, 20))
	}
	a, ok := releases.ParseArtifactName(e.Artifact)
	if !ok || a.Version != v {
		return fmt.Errorf("artifact %q is not a source release of %s", textsafe.Short(e.Artifact, 40), v)
	}
	if d, err := hex.DecodeString(e.SHA256); err != nil || len(d) != 32 || strings.ToLower(e.SHA256) != e.SHA256 {
		return errors.New("sha256 is not 64 lowercase hex digits")
	}
	if e.Size <= 0 {
		return errors.New("size is not a positive number of bytes")
	}
	switch e.Method {
	case MethodSigstore:
		if e.Signer == "" || !strings.HasPrefix(e.Issuer, "https://") {
			return errors.New("signer and issuer are required")
		}
	case MethodOpenPGP:
		if d, err := hex.DecodeString(e.Signer); err != nil || len(d) != 20 {
			return errors.New("an openpgp signer is the key's 40-digit fingerprint")
		}
	default:
		return fmt.Errorf("method %q is not one pyfetch verifies with (expected %q or %q)", textsafe.Short(e.Method, 20), MethodSigstore, MethodOpenPGP)
	}
	return nil
}

// Methods: how python.org's releases since Sigstore verify, and the
// detached OpenPGP signatures of the releases before (and up to 3.13).
const (
	MethodSigstore = "sigstore"
	MethodOpenPGP  = "openpgp"
)

// Write writes f deterministically: entries sorted by version, newest
// first, no time of the run anywhere.
func Write(w io.Writer, f *File) error {
	out := File{Format: 1, Pythons: append([]Entry(nil), f.Pythons...)}
	sort.Slice(out.Pythons, func(i, j int) bool {
		a, _ := releases.ParseVersion(out.Pythons[i].Version)
		b, _ := releases.ParseVersion(out.Pythons[j].Version)
		return a.Compare(b) > 0
	})
	for i := range out.Pythons {
		if err := out.Pythons[i].check(); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrLockFile, out.Pythons[i].Version, err)
		}
		out.Pythons[i].IntegratedTime = out.Pythons[i].IntegratedTime.UTC()
	}
	if _, err := io.WriteString(w, "# pyfetch.lock: the CPython releases this project pins, written by `pyfetch lock`.\n# `pyfetch install --locked` installs exactly these bytes, or nothing.\n\n"); err != nil {
		return err
	}
	// Written with BurntSushi/toml, as lock files always were (its double
	// quotes, its indentation), so that pinning again changes only the
	// lines that changed; read with go-toml (see tomlfile).
	return toml.NewEncoder(w).Encode(out)
}

// Find returns the entry pinning spec (the newest matching one).
func (f *File) Find(spec releases.Spec) (Entry, bool) {
	var best Entry
	var bestV releases.Version
	found := false
	for _, e := range f.Pythons {
		v, err := releases.ParseVersion(e.Version)
		if err != nil || spec.FreeThreaded || !spec.Matches(v, true) {
			continue
		}
		if !found || v.Compare(bestV) > 0 {
			best, bestV, found = e, v, true
		}
	}
	return best, found
}

// Put adds or replaces the entry for e's version, returning the one it
// replaced.
func (f *File) Put(e Entry) (old Entry, replaced bool) {
	for i, x := range f.Pythons {
		if x.Version == e.Version {
			f.Pythons[i] = e
			return x, true
		}
	}
	f.Pythons = append(f.Pythons, e)
	return Entry{}, false
}

// Remove drops the entry for version.
func (f *File) Remove(version string) {
	out := f.Pythons[:0]
	for _, e := range f.Pythons {
		if e.Version != version {
			out = append(out, e)
		}
	}
	f.Pythons = out
}
