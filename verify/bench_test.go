package verify_test

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
	"github.com/pyfetch/pyfetch/verify"
)

// BenchmarkVerifyReal is verification alone, offline, digest known: parse
// the genuine 3.13.5 bundle and check it against the embedded root.
func BenchmarkVerifyReal(b *testing.B) {
	dir := pyfetchtest.RealDir(b)
	data, err := os.ReadFile(filepath.Join(dir, "bundles", "Python-3.13.5.tar.xz.sigstore"))
	if err != nil {
		b.Fatal(err)
	}
	digest, _ := hex.DecodeString("93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640")
	tr, err := verify.EmbeddedTrustedRoot()
	if err != nil {
		b.Fatal(err)
	}
	v, err := verify.NewVerifier(tr)
	if err != nil {
		b.Fatal(err)
	}
	id := verify.Identity{SAN: thomas, Issuer: google}
	for b.Loop() {
		bd, err := verify.ParseBundle(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := v.Verify(bd, digest, id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadEmbeddedRoot is the other fixed cost of an offline verify.
func BenchmarkLoadEmbeddedRoot(b *testing.B) {
	for b.Loop() {
		if _, err := verify.EmbeddedTrustedRoot(); err != nil {
			b.Fatal(err)
		}
	}
}
