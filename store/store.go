package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/pyfetch/pyfetch/fetch"
	"github.com/pyfetch/pyfetch/home"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/verify"
)

// Store obtains verified artifacts and their signatures from a mirror
// into the home's cache. The zero Fetch works; Trust is required to
// verify.
type Store struct {
	Home    home.Home
	Mirror  releases.Mirror
	Offline bool
	Fetch   *fetch.Client
	// Identity overrides the signer table when set.
	Identity *verify.Identity
	// Signers is the signer table (built-in when nil).
	Signers *releases.Table
	// Trust builds the verifier on first need and returns it with where
	// its trusted root came from (verify.Source*): an install that finds
	// the version already there never loads a trusted root (no TUF round
	// trip). Callers memoise it; the store calls it once per artifact.
	Trust func() (*verify.Verifier, string, error)
	// Notify receives diagnostics (stderr in the CLI).
	Notify func(string)
	// Step, when set, is told of each step after a download (verifying,
	// unpacking), so a run is never silent for seconds.
	Step func(string)
	// Pins, by artifact name, pin an artifact's digest and log entry (a
	// lock file's): a pinned artifact of another digest is refused even
	// with a valid signature, and a version pinned in one format is
	// obtained in that format only.
	Pins map[string]verify.Expect
	// OpenPGP verifies .asc signatures where a release has no Sigstore
	// bundle (nil: Sigstore only).
	OpenPGP *verify.OpenPGP
}

func (s *Store) trust() (*verify.Verifier, string, error) {
	if s.Trust == nil {
		return nil, "", errors.New("store: no trusted root configured")
	}
	return s.Trust()
}

func (s *Store) step(format string, args ...any) {
	if s.Step != nil {
		s.Step(fmt.Sprintf(format, args...))
	}
}

func (s *Store) notify(format string, args ...any) {
	if s.Notify != nil {
		s.Notify(fmt.Sprintf(format, args...))
	}
}

// ObtainFormat obtains v's artifact in format or, with anyFormat,
// in the other format when the first is not on the mirror (or in the
// cache) with a bundle, and says which it used. Without AnyFormat, a
// missing artifact's error says when the other format is available.
func (s *Store) ObtainFormat(ctx context.Context, v releases.Version, format releases.Format, anyFormat bool) (releases.Artifact, *Obtained, error) {
	for _, f := range releases.Formats(format) {
		if _, ok := s.Pins[releases.Artifact{Version: v, Format: f}.Name()]; ok {
			format, anyFormat = f, false // the pinned artifact, nothing else
			break
		}
	}
	first := releases.Artifact{Version: v, Format: format}
	other := releases.Artifact{Version: v, Format: releases.Formats(format)[1]}
	try := func(art releases.Artifact) (*Obtained, error) {
		want, err := Expectation(v, art.Name(), s.Identity, s.Signers)
		if err != nil {
			return nil, err
		}
		if pin, ok := s.Pins[art.Name()]; ok {
			want.SHA256, want.LogIndex = pin.SHA256, pin.LogIndex
		}
		return s.Obtain(ctx, art, want)
	}
	got, err := try(first)
	if err == nil || !errors.Is(err, fetch.ErrNotFound) {
		return first, got, err
	}
	if !anyFormat {
		if _, _, _, berr := s.signature(ctx, other, s.expectOrZero(v, other)); berr == nil {
			err = fmt.Errorf("%w\n  %s and its bundle are available: use --format %s", err, other.Name(), other.Format)
		}
		return first, nil, err
	}
	got, err2 := try(other)
	if err2 == nil {
		s.notify("note: no signed %s there; using %s", first.Name(), other.Name())
		return other, got, nil
	}
	if errors.Is(err2, fetch.ErrNotFound) {
		// The preferred format's error says more; say the other was tried.
		return first, nil, fmt.Errorf("%w (nor a signed %s)", err, other.Name())
	}
	return other, nil, err2
}

// Expectation is what an artifact (a file name) of v must be: signed by
// the override if given, else by the signer table's release manager for
// v's line (built-in table when nil) through Sigstore, and by that line's
// release manager's OpenPGP key (releases up to 3.13). It is the one
// place an Expect is built; a lock file's pins are added by the store.
func Expectation(v releases.Version, artifact string, override *verify.Identity, table *releases.Table) (verify.Expect, error) {
	if override != nil {
		return verify.Expect{Identity: *override}, nil
	}
	if table == nil {
		table = releases.DefaultTable()
	}
	var e verify.Expect
	s, err := table.SignerFor(v, artifact)
	if err == nil {
		e.Identity = verify.Identity{SAN: s.Identity, Issuer: s.Issuer}
	}
	if k, ok := releases.OpenPGPKeyFor(v); ok {
		e.KeyFingerprint = k.Fingerprint
		err = nil
	}
	return e, err
}

// expectOrZero is Expectation ignoring errors (for probing).
func (s *Store) expectOrZero(v releases.Version, art releases.Artifact) verify.Expect {
	e, _ := Expectation(v, art.Name(), s.Identity, s.Signers)
	return e
}
