// Package digest computes several hashes of one stream in one pass: the
// SHA-256 pyfetch records, plus whatever a signature scheme needs (an
// OpenPGP signature may use SHA-512), so an artifact is read once.
package digest

import (
	"crypto"
	_ "crypto/sha256" // registers SHA-256 for crypto.Hash.New
	_ "crypto/sha512" // registers SHA-384 and SHA-512
	"encoding"
	"fmt"
	"hash"
	"io"
	"slices"
)

// Sums maps a hash to the digest of a stream.
type Sums map[crypto.Hash][]byte

// Set is a hash.Hash that feeds every byte to SHA-256 and the extra
// hashes it was made with; Sum is the SHA-256, Sums all of them.
type Set struct {
	order []crypto.Hash
	hs    map[crypto.Hash]hash.Hash
}

// New returns a Set computing SHA-256 and extra (duplicates ignored). A
// hash the binary does not link is an error.
func New(extra ...crypto.Hash) (*Set, error) {
	s := &Set{hs: map[crypto.Hash]hash.Hash{}}
	for _, h := range append([]crypto.Hash{crypto.SHA256}, extra...) {
		if _, ok := s.hs[h]; ok {
			continue
		}
		if !h.Available() {
			return nil, fmt.Errorf("digest: hash %v is not available", h)
		}
		s.hs[h] = h.New()
		s.order = append(s.order, h)
	}
	return s, nil
}

// Write feeds p to every hash.
func (s *Set) Write(p []byte) (int, error) {
	for _, h := range s.order {
		s.hs[h].Write(p)
	}
	return len(p), nil
}

// Sum appends the SHA-256 to b.
func (s *Set) Sum(b []byte) []byte { return s.hs[crypto.SHA256].Sum(b) }

// Reset starts every hash over.
func (s *Set) Reset() {
	for _, h := range s.hs {
		h.Reset()
	}
}

// Size is SHA-256's.
func (s *Set) Size() int { return crypto.SHA256.Size() }

// BlockSize is SHA-256's.
func (s *Set) BlockSize() int { return s.hs[crypto.SHA256].BlockSize() }

// Sums returns every digest computed so far.
func (s *Set) Sums() Sums {
	out := Sums{}
	for h, hh := range s.hs {
		out[h] = hh.Sum(nil)
	}
	return out
}

// Hashes lists what the set computes, SHA-256 first.
func (s *Set) Hashes() []crypto.Hash { return slices.Clone(s.order) }

// Clone returns a copy of hash h's running state (nil when the set does
// not compute h): a signature scheme that must append its own trailer
// before finishing (OpenPGP) works on the copy, the set stays as it is.
func (s *Set) Clone(h crypto.Hash) (hash.Hash, error) {
	src, ok := s.hs[h]
	if !ok {
		return nil, fmt.Errorf("digest: %v was not computed", h)
	}
	m, ok := src.(encoding.BinaryMarshaler)
	if !ok {
		return nil, fmt.Errorf("digest: %v cannot be copied", h)
	}
	state, err := m.MarshalBinary()
	if err != nil {
		return nil, err
	}
	dst := h.New()
	if err := dst.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
		return nil, err
	}
	return dst, nil
}

// Reader hashes all of r with SHA-256 and extra.
func Reader(r io.Reader, extra ...crypto.Hash) (*Set, error) {
	s, err := New(extra...)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(s, r); err != nil {
		return nil, err
	}
	return s, nil
}

// Of is a Set that only knows a SHA-256 computed elsewhere (verifying a
// bare digest): Sums gives it, nothing can be written or cloned.
func Of(sha256 []byte) (*Set, error) {
	if len(sha256) != crypto.SHA256.Size() {
		return nil, fmt.Errorf("digest: a SHA-256 has %d bytes, got %d", crypto.SHA256.Size(), len(sha256))
	}
	return &Set{order: []crypto.Hash{crypto.SHA256}, hs: map[crypto.Hash]hash.Hash{crypto.SHA256: fixed(sha256)}}, nil
}

// fixed is a finished hash: its Sum is the digest it was made with.
type fixed []byte

func (f fixed) Write(p []byte) (int, error) {
	return 0, fmt.Errorf("digest: a known digest takes no bytes")
}
func (f fixed) Sum(b []byte) []byte { return append(b, f...) }
func (f fixed) Reset()              {}
func (f fixed) Size() int           { return len(f) }
func (f fixed) BlockSize() int      { return 64 }
