package verify

import (
	"bytes"
	"crypto"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/pyfetch/pyfetch/internal/digest"
)

// Release managers' OpenPGP keys embedded in pyfetch, each checked
// against its pinned fingerprint when loaded (a file's source is never
// what makes it trusted: the fingerprint is). Thomas Wouters' key (3.12,
// 3.13) comes from Debian's python3.13 source package
// (debian/upstream/signing-key.asc); Pablo Galindo Salgado's (3.10, 3.11)
// and Łukasz Langa's (3.8, 3.9) from the public repository
// github.com/joshjhall/containers (lib/gpg-keys/python/keys, commit
// 979eba23), byte for byte. Ned Deily's key (3.6, 3.7) is not embedded:
// pass a keyring holding exactly its pinned fingerprint
// (OpenPGP.AddKeyring).
//
//go:embed embedded/openpgp/*.asc
var embeddedKeys embed.FS

// ErrKeyring: a keyring that does not hold exactly the pinned key.
var ErrKeyring = fmt.Errorf("%w: keyring", ErrVerification)

// SchemeOpenPGP is the OpenPGP Scheme's Name.
const SchemeOpenPGP = "openpgp"

// MaxSignatureBytes caps an .asc (python.org's are under 1 KB).
const MaxSignatureBytes = 64 << 10

// OpenPGP is the OpenPGP Scheme: python.org's detached .asc signatures
// (releases before Sigstore, and every release up to 3.13), checked
// against the release manager's key with its pinned fingerprint. A key's
// validity is judged at the signature's creation time (keys expire; a
// signature made before is still genuine), never at today's date; a
// signature made after the key (as held here) expired or was revoked is
// refused. Signing subkeys count only through their primary key's binding
// signature.
type OpenPGP struct {
	keys map[string]*pgpKey // by primary fingerprint, upper-case hex

	// The embedded keys are parsed on first use (Has, Verify): every
	// command that can verify makes an OpenPGP, few releases need it.
	once     sync.Once
	embedErr error
	embedded map[string]*pgpKey
}

// NewOpenPGP returns the scheme with the embedded keys, each of which
// must be the key its file name pins; they are parsed and checked on
// first use, and a broken one fails that use.
func NewOpenPGP() (*OpenPGP, error) {
	return &OpenPGP{keys: map[string]*pgpKey{}}, nil
}

// key is the loaded key with fingerprint: one added, else an embedded one.
func (o *OpenPGP) key(fingerprint string) (*pgpKey, bool, error) {
	if ent, ok := o.keys[fingerprint]; ok {
		return ent, true, nil
	}
	o.once.Do(func() { o.embedded, o.embedErr = loadEmbedded() })
	ent, ok := o.embedded[fingerprint]
	return ent, ok, o.embedErr
}

// loadEmbedded parses the embedded keys, each checked against the
// fingerprint its file name ends with.
func loadEmbedded() (map[string]*pgpKey, error) {
	e := &OpenPGP{keys: map[string]*pgpKey{}}
	ents, err := embeddedKeys.ReadDir("embedded/openpgp")
	if err != nil {
		return nil, err
	}
	for _, f := range ents {
		name := strings.TrimSuffix(f.Name(), ".asc")
		fp := name[strings.LastIndexByte(name, '-')+1:]
		data, err := embeddedKeys.ReadFile("embedded/openpgp/" + f.Name())
		if err != nil {
			return nil, err
		}
		if err := e.AddKeyring(bytes.NewReader(data), fp); err != nil {
			return nil, fmt.Errorf("embedded key %s: %w", f.Name(), err)
		}
	}
	return e.keys, nil
}

// AddKeyring adds the key with fingerprint from an armored keyring that
// must hold exactly that one key: a keyring with another key, or more,
// is refused, whatever its user IDs say.
func (o *OpenPGP) AddKeyring(r io.Reader, fingerprint string) error {
	fingerprint = strings.ToUpper(strings.ReplaceAll(fingerprint, " ", ""))
	data, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return fmt.Errorf("%w: cannot read it: %v", ErrKeyring, oneLine(err))
	}
	list, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%w: cannot read it: %v", ErrKeyring, oneLine(err))
	}
	if len(list) != 1 {
		return fmt.Errorf("%w: it holds %d keys, expected exactly the one with fingerprint %s", ErrKeyring, len(list), fingerprint)
	}
	got := strings.ToUpper(hex.EncodeToString(list[0].PrimaryKey.Fingerprint))
	if got != fingerprint {
		return fmt.Errorf("%w:\n  expected fingerprint: %s (pinned)\n  found fingerprint:    %s", ErrKeyring, fingerprint, got)
	}
	bindings, err := subkeyBindings(data, list[0].PrimaryKey)
	if err != nil {
		return fmt.Errorf("%w: cannot read its subkey bindings: %v", ErrKeyring, oneLine(err))
	}
	o.keys[got] = &pgpKey{list[0], bindings}
	return nil
}

// AddPinnedKeyring adds the key of an armored keyring that holds exactly
// one key, whose fingerprint must be one of pinned.
func (o *OpenPGP) AddPinnedKeyring(data []byte, pinned []string) error {
	list, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
	if err != nil || len(list) != 1 {
		return o.AddKeyring(bytes.NewReader(data), "exactly one pinned key")
	}
	got := strings.ToUpper(hex.EncodeToString(list[0].PrimaryKey.Fingerprint))
	for _, fp := range pinned {
		if fp == got {
			return o.AddKeyring(bytes.NewReader(data), fp)
		}
	}
	return fmt.Errorf("%w: it holds the key %s, which is no release manager's pinned key (%s)", ErrKeyring, got, strings.Join(pinned, ", "))
}

// Has reports whether the key with fingerprint is loaded.
func (o *OpenPGP) Has(fingerprint string) bool { _, ok, _ := o.key(fingerprint); return ok }

type pgpSig struct{ s *packet.Signature }

func (pgpSig) Scheme() string { return SchemeOpenPGP }

// Name implements Scheme.
func (*OpenPGP) Name() string { return SchemeOpenPGP }

// Sidecar implements Scheme.
func (*OpenPGP) Sidecar(artifact string) string { return artifact + ".asc" }

// MaxSidecarBytes implements Scheme.
func (*OpenPGP) MaxSidecarBytes() int64 { return MaxSignatureBytes }

// Parse implements Scheme: one armored (or binary) v4 signature over
// binary data.
func (*OpenPGP) Parse(data []byte) (Signature, error) {
	if len(data) > MaxSignatureBytes {
		return nil, fmt.Errorf("%w: %d bytes, expected at most %d", ErrBundle, len(data), MaxSignatureBytes)
	}
	var r io.Reader = bytes.NewReader(data)
	if block, err := armor.Decode(bytes.NewReader(data)); err == nil {
		if block.Type != openpgp.SignatureType {
			return nil, fmt.Errorf("%w: expected an OpenPGP signature, found a %q block", ErrBundle, oneLine(errors.New(block.Type)))
		}
		r = block.Body
	}
	p, err := packet.Read(r)
	if err != nil {
		return nil, fmt.Errorf("%w: not an OpenPGP signature: %v", ErrBundle, oneLine(err))
	}
	sig, ok := p.(*packet.Signature)
	if !ok {
		return nil, fmt.Errorf("%w: expected an OpenPGP signature packet", ErrBundle)
	}
	if sig.Version != 4 || sig.SigType != packet.SigTypeBinary {
		return nil, fmt.Errorf("%w: expected a v4 signature of binary data, found version %d type %d", ErrBundle, sig.Version, sig.SigType)
	}
	if _, err := packet.Read(r); err != io.EOF {
		return nil, fmt.Errorf("%w: more than one packet in the signature file", ErrBundle)
	}
	if !sig.Hash.Available() || sig.Hash == crypto.MD5 || sig.Hash == crypto.SHA1 {
		return nil, fmt.Errorf("%w: the signature's hash %v is not accepted", ErrBundle, sig.Hash)
	}
	return pgpSig{sig}, nil
}

// Hashes implements Scheme: the hash the signature names.
func (*OpenPGP) Hashes(sig Signature) []crypto.Hash {
	if ps, ok := sig.(pgpSig); ok {
		return []crypto.Hash{ps.s.Hash}
	}
	return nil
}

// Verify implements Scheme: the signature is by the key want pins, with
// a key (primary or bound subkey) valid when the signature was made.
func (o *OpenPGP) Verify(sig Signature, hashes *digest.Set, want Expectation) (*Result, error) {
	ps, ok := sig.(pgpSig)
	if !ok {
		return nil, fmt.Errorf("%w: expected an OpenPGP signature, got a %s signature", ErrBundle, sig.Scheme())
	}
	exp := want.expect()
	if exp.KeyFingerprint == "" {
		return nil, fmt.Errorf("%w: no OpenPGP key is known for this release", ErrIdentity)
	}
	ent, ok, err := o.key(exp.KeyFingerprint)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: the release manager's key %s is not embedded in pyfetch; pass a keyring holding it (--openpgp-keyring FILE)", ErrKeyring, exp.KeyFingerprint)
	}
	s := ps.s
	if s.IssuerKeyId == nil {
		return nil, fmt.Errorf("%w: the signature names no issuer key", ErrBundle)
	}
	when := s.CreationTime
	key, ok := ent.at(when).SigningKeyById(when, *s.IssuerKeyId)
	if !ok {
		return nil, fmt.Errorf("%w:\n  expected: a signature by key %s, valid when it was made\n  found:    a signature by key ID %016X made %s (another key, or after the key expired or was revoked)",
			ErrIdentity, exp.KeyFingerprint, *s.IssuerKeyId, when.UTC().Format(time.RFC3339))
	}
	h, err := hashes.Clone(s.Hash)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	if err := key.PublicKey.VerifySignature(h, s); err != nil {
		return nil, fmt.Errorf("%w: the OpenPGP signature does not match the artifact (%v)", ErrDigest, oneLine(err))
	}
	sum := hashes.Sums()[crypto.SHA256]
	out := &Result{Method: SchemeOpenPGP, Identity: Identity{SAN: exp.KeyFingerprint, Issuer: "openpgp"}, SHA256: hex.EncodeToString(sum), IntegratedTime: when.UTC(), LogIndex: -1}
	if err := exp.checkPins(sum, &Result{LogIndex: -1}); err != nil {
		return nil, err
	}
	return out, nil
}
