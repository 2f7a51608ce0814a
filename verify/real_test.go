package verify_test

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/verify"
)

// TestRealBundles verifies every genuine python.org bundle in digest mode
// against the embedded public-good root, and checks each fails for another
// release manager.
func TestRealBundles(t *testing.T) {
	dir := pyfetchtest.RealDir(t)
	tr, err := verify.EmbeddedTrustedRoot()
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.NewVerifier(tr)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range pyfetchtest.RealArtifacts(t) {
		t.Run(a.File, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, "bundles", a.File+".sigstore"))
			if err != nil {
				t.Fatal(err)
			}
			b, err := verify.ParseBundle(data)
			if err != nil {
				t.Fatal(err)
			}
			want := signerOf(t, a.File)
			digest, _ := hex.DecodeString(a.SHA256)
			res, err := v.Verify(b, digest, want)
			if err != nil {
				t.Fatalf("genuine bundle refused: %v", err)
			}
			if res.LogIndex <= 0 || res.IntegratedTime.IsZero() {
				t.Errorf("result lacks log index or integrated time: %+v", res)
			}
			other := verify.Identity{SAN: "hugo@python.org", Issuer: releases.IssuerGitHub}
			if want.SAN == other.SAN {
				other = verify.Identity{SAN: "thomas@python.org", Issuer: releases.IssuerGoogle}
			}
			if _, err := v.Verify(b, digest, other); !errors.Is(err, verify.ErrIdentity) {
				t.Errorf("verify as %s: got %v, want ErrIdentity", other, err)
			}
		})
	}
}

// signerOf is the identity the built-in table expects for a python.org
// file name.
func signerOf(t *testing.T, file string) verify.Identity {
	t.Helper()
	ver, err := releases.VersionFromFileName(file)
	if err != nil {
		t.Fatal(err)
	}
	s, err := releases.DefaultTable().SignerFor(ver, file)
	if err != nil {
		t.Fatal(err)
	}
	return verify.Identity{SAN: s.Identity, Issuer: s.Issuer}
}
