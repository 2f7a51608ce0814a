package digest

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"strings"
	"testing"
)

func TestOnePassSeveralHashes(t *testing.T) {
	data := []byte(strings.Repeat("pyfetch", 10000))
	s, err := New(crypto.SHA512, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	s.Write(data[:100])
	s.Write(data[100:])
	sums := s.Sums()
	want256 := sha256.Sum256(data)
	want512 := sha512.Sum512(data)
	if !bytes.Equal(sums[crypto.SHA256], want256[:]) || !bytes.Equal(sums[crypto.SHA512], want512[:]) || len(sums) != 2 {
		t.Errorf("sums %x", sums)
	}
	if !bytes.Equal(s.Sum(nil), want256[:]) {
		t.Error("Sum is not the SHA-256")
	}
	s.Reset()
	if got := s.Sums()[crypto.SHA512]; bytes.Equal(got, want512[:]) {
		t.Error("Reset kept state")
	}
	r, err := Reader(bytes.NewReader(data), crypto.SHA512)
	if err != nil || !bytes.Equal(r.Sums()[crypto.SHA512], want512[:]) {
		t.Errorf("Reader: %v", err)
	}
	if _, err := New(crypto.MD4); err == nil {
		t.Error("an unlinked hash was accepted")
	}
}

func TestClone(t *testing.T) {
	s, _ := New(crypto.SHA512)
	s.Write([]byte("content"))
	c, err := s.Clone(crypto.SHA512)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte(" and a trailer"))
	want := sha512.Sum512([]byte("content"))
	if !bytes.Equal(s.Sums()[crypto.SHA512], want[:]) {
		t.Error("writing to the clone changed the set")
	}
	both := sha512.Sum512([]byte("content and a trailer"))
	if !bytes.Equal(c.Sum(nil), both[:]) {
		t.Error("the clone did not carry the state")
	}
}
