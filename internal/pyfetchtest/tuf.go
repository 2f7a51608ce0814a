package pyfetchtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// TUFRepo is a TUF repository on loopback whose one target is a
// trusted_root.json: everything pyfetch needs to test a root that TUF
// delivers, offline.
type TUFRepo struct {
	Server *httptest.Server
	// Root is the repository's TUF root, to start the chain from.
	Root []byte
	Dir  string
}

// URL is the repository's base URL.
func (r *TUFRepo) URL() string { return r.Server.URL }

// NewTUFRepo signs a one-key TUF repository (root, targets, snapshot,
// timestamp, consistent snapshots) serving trustedRoot as
// trusted_root.json, valid for a day.
func NewTUFRepo(t testing.TB, trustedRoot []byte) *TUFRepo {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := signature.LoadED25519SignerVerifier(priv)
	if err != nil {
		t.Fatal(err)
	}
	key, err := metadata.KeyFromPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	expires := time.Now().UTC().Add(24 * time.Hour)
	root := metadata.Root(expires)
	for _, role := range []string{metadata.ROOT, metadata.TARGETS, metadata.SNAPSHOT, metadata.TIMESTAMP} {
		if err := root.Signed.AddKey(key, role); err != nil {
			t.Fatal(err)
		}
	}
	targets := metadata.Targets(expires)
	tf, err := metadata.TargetFile().FromBytes("trusted_root.json", trustedRoot, "sha256")
	if err != nil {
		t.Fatal(err)
	}
	targets.Signed.Targets["trusted_root.json"] = tf
	snapshot := metadata.Snapshot(expires)
	timestamp := metadata.Timestamp(expires)

	dir := t.TempDir()
	write := func(name string, data []byte) {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sign := func(m interface {
		Sign(signature.Signer) (*metadata.Signature, error)
		ToBytes(bool) ([]byte, error)
	}) []byte {
		if _, err := m.Sign(signer); err != nil {
			t.Fatal(err)
		}
		b, err := m.ToBytes(false)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	rootBytes := sign(root)
	write("1.root.json", rootBytes)
	write("1.targets.json", sign(targets))
	write("1.snapshot.json", sign(snapshot))
	write("timestamp.json", sign(timestamp))
	sum := sha256.Sum256(trustedRoot)
	write(filepath.Join("targets", hex.EncodeToString(sum[:])+".trusted_root.json"), trustedRoot)

	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return &TUFRepo{Server: srv, Root: rootBytes, Dir: dir}
}
