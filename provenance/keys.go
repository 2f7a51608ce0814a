package provenance

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/verify"
)

// ErrKey: a key file is not an ECDSA P-256 key pyfetch can use.
var ErrKey = errors.New("bad key")

// ErrKeyExists: keygen found a file (or a link) where it would write.
var ErrKeyExists = errors.New("key file exists")

// Keygen writes a new ECDSA P-256 key pair: name.key (PKCS #8 PEM, mode
// 0600) and name.pub (PKIX PEM). Neither file may exist already.
func Keygen(name string) (fingerprint string, err error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", err
	}
	pub, err := cryptoutils.MarshalPublicKeyToPEM(k.Public())
	if err != nil {
		return "", err
	}
	if err := writeNew(name+".key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return "", err
	}
	if err := writeNew(name+".pub", pub, 0o644); err != nil {
		os.Remove(name + ".key")
		return "", err
	}
	return verify.KeyFingerprint(k.Public())
}

// writeNew creates path with data, never over anything already there (a
// key, or a link planted where one will be), and syncs it: a key is
// worth the wait.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %s (keygen never overwrites a key or writes through a link: move it away or pick another NAME)", ErrKeyExists, path)
	}
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// LoadPrivateKey reads an ECDSA P-256 private key: PKCS #8 ("PRIVATE
// KEY", as keygen writes) or SEC 1 ("EC PRIVATE KEY", as `openssl
// ecparam -genkey -name prime256v1` writes, after its EC PARAMETERS
// block). Like ssh, it refuses a key file others may read.
func LoadPrivateKey(path string) (*ecdsa.PrivateKey, error) {
	// A file the user named: links are followed (a key in a secrets
	// folder), FIFOs refused; the mode is the open file's own.
	f, err := safefile.OpenNamed(path)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: signing key %s is readable by others (mode %04o); expected mode 0600 (chmod 600 %s)", ErrKey, path, fi.Mode().Perm(), path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil, err
	}
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, fmt.Errorf("%w: %s: expected a PEM \"PRIVATE KEY\" or \"EC PRIVATE KEY\" block, found none", ErrKey, path)
		}
		var k any
		switch b.Type {
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(b.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrKey, path, err)
		}
		ek, ok := k.(*ecdsa.PrivateKey)
		if !ok || ek.Curve != elliptic.P256() {
			return nil, fmt.Errorf("%w: %s: expected an ECDSA P-256 key, found %T", ErrKey, path, k)
		}
		return ek, nil
	}
}

// LoadPublicKey reads an ECDSA P-256 public key (PKIX PEM, as keygen's
// .pub or `openssl ec -pubout` writes).
func LoadPublicKey(path string) (crypto.PublicKey, error) {
	data, err := safefile.ReadNamed(path, 64<<10)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", path, err)
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: expected a PEM \"PUBLIC KEY\": %v", ErrKey, path, err)
	}
	ek, ok := pub.(*ecdsa.PublicKey)
	if !ok || ek.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: %s: expected an ECDSA P-256 public key, found %T", ErrKey, path, pub)
	}
	return ek, nil
}

// keypair is a sign.Keypair over a fleet's loaded key: what pkg/sign
// needs to sign with a key it did not generate.
type keypair struct {
	k    *ecdsa.PrivateKey
	hint []byte
}

var _ sign.Keypair = (*keypair)(nil)

func newKeypair(k *ecdsa.PrivateKey) (*keypair, error) {
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	return &keypair{k: k, hint: []byte(base64.StdEncoding.EncodeToString(sum[:]))}, nil
}

func (p *keypair) GetHashAlgorithm() protocommon.HashAlgorithm {
	return protocommon.HashAlgorithm_SHA2_256
}
func (p *keypair) GetSigningAlgorithm() protocommon.PublicKeyDetails {
	return protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256
}
func (p *keypair) GetHint() []byte                { return p.hint }
func (p *keypair) GetKeyAlgorithm() string        { return "ECDSA" }
func (p *keypair) GetPublicKey() crypto.PublicKey { return p.k.Public() }
func (p *keypair) GetPublicKeyPem() (string, error) {
	b, err := cryptoutils.MarshalPublicKeyToPEM(p.k.Public())
	return string(b), err
}

// SignData signs the SHA-256 of data, as sign.Keypair asks.
func (p *keypair) SignData(_ context.Context, data []byte) ([]byte, []byte, error) {
	sum := sha256.Sum256(data)
	sig, err := p.k.Sign(rand.Reader, sum[:], crypto.SHA256)
	return sig, sum[:], err
}

// Sign wraps statement in a DSSE envelope signed with k and returns the
// Sigstore bundle (JSON): the public key's hint as verification
// material, no certificate, no transparency log, no timestamp.
func Sign(ctx context.Context, statement []byte, k *ecdsa.PrivateKey) ([]byte, error) {
	kp, err := newKeypair(k)
	if err != nil {
		return nil, err
	}
	pb, err := sign.Bundle(&sign.DSSEData{Data: statement, PayloadType: verify.InTotoPayloadType}, kp, sign.BundleOptions{Context: ctx})
	if err != nil {
		return nil, fmt.Errorf("sign the statement: %w", err)
	}
	return protojson.Marshal(pb)
}
