package install

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pyfetch/pyfetch/internal/textsafe"
)

// FuzzReadReceipt: a receipt is hostile input (anyone who could write it
// would decide what is "installed"): it never panics the reader, and
// what it accepts names the folder's version, a SHA-256 and a signer, with
// no text that could add a line to a log.
func FuzzReadReceipt(f *testing.F) {
	f.Add([]byte(`{"version":"3.13.5","kind":"source","artifact":"Python-3.13.5.tgz","sha256":"` + "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640" + `","signer":"thomas@python.org","issuer":"https://accounts.google.com"}`))
	f.Add([]byte(`{"version":"3.13.5","signer":"a\nb"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := filepath.Join(t.TempDir(), "3.13.5")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, ReceiptName), data, 0o644); err != nil {
			t.Fatal(err)
		}
		rc, err := ReadReceipt(dir)
		if err != nil {
			// Said briefly and as clean text, whatever the file holds.
			if msg := err.Error(); !textsafe.Clean(msg) || len(msg) > len(dir)+200 {
				t.Fatalf("refused with %q", msg)
			}
			return
		}
		if rc.Version != "3.13.5" || len(rc.SHA256) != 64 || rc.Signer == "" || rc.Artifact == "" {
			t.Fatalf("accepted %+v", rc)
		}
		for _, s := range []string{rc.Kind, rc.Artifact, rc.URL, rc.Signer, rc.Issuer, rc.TrustedRoot} {
			if !textsafe.Clean(s) {
				t.Fatalf("accepted a field that is not clean text: %q", s)
			}
		}
	})
}
