package verify_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/pyfetch/pyfetch/verify"
)

// FuzzParseBundle feeds arbitrary bytes to the bundle parser: it must
// return a bundle or an ErrBundle, never panic.
func FuzzParseBundle(f *testing.F) {
	_, file, _, _ := runtime.Caller(0)
	seeds, _ := filepath.Glob(filepath.Join(filepath.Dir(file), "..", "testdata", "bundles", "*.sigstore"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := verify.ParseBundle(data)
		if err == nil && b.GetMessageSignature() == nil {
			t.Fatal("accepted a bundle without a message signature")
		}
	})
}
