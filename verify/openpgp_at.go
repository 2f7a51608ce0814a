package verify

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// pgpKey is a release manager's key with every binding signature of its
// subkeys: go-crypto keeps only the newest of each, and a key is judged
// as it stood when it signed (at).
type pgpKey struct {
	ent      *openpgp.Entity
	bindings map[uint64][]*packet.Signature // by subkey ID, each verified
}

// at is the key as it stood at t: each user ID with the newest of its
// self-signatures made by t (a user ID certified only later is left
// out), each subkey with the newest binding made by t. Keys are
// refreshed: Łukasz Langa's was re-signed in 2025 with a later expiry,
// and go-crypto, which keeps only the newest self-signature, would judge
// his 2019 signatures by a self-signature that did not exist yet, and
// refuse them. Revocations stay as they are: go-crypto counts one only
// from its date, and a key-compromise revocation always.
func (k *pgpKey) at(t time.Time) *openpgp.Entity {
	e := *k.ent
	e.Identities = make(map[string]*openpgp.Identity, len(k.ent.Identities))
	for name, id := range k.ent.Identities {
		var self *packet.Signature
		for _, s := range id.Signatures {
			// go-crypto verified every signature by the primary key when
			// it read the key (a bad one fails the whole key).
			if s.SigType == packet.SigTypeCertificationRevocation || !s.CheckKeyIdOrFingerprint(k.ent.PrimaryKey) || s.CreationTime.After(t) {
				continue
			}
			if self == nil || s.CreationTime.After(self.CreationTime) {
				self = s
			}
		}
		if self != nil {
			then := *id
			then.SelfSignature = self
			e.Identities[name] = &then
		}
	}
	e.Subkeys = slices.Clone(k.ent.Subkeys)
	for i := range e.Subkeys {
		var b *packet.Signature
		for _, s := range k.bindings[e.Subkeys[i].PublicKey.KeyId] {
			if !s.CreationTime.After(t) && (b == nil || s.CreationTime.After(b.CreationTime)) {
				b = s
			}
		}
		if b != nil {
			e.Subkeys[i].Sig = b
		}
	}
	return &e
}

// subkeyBindings reads an armored key's packets again with go-crypto's
// reader and keeps every subkey binding signature that primary verifies
// (for a signing subkey that includes its back-signature), by subkey ID.
func subkeyBindings(armored []byte, primary *packet.PublicKey) (map[uint64][]*packet.Signature, error) {
	block, err := armor.Decode(bytes.NewReader(armored))
	if err != nil {
		return nil, err
	}
	out := map[uint64][]*packet.Signature{}
	packets := packet.NewReader(block.Body)
	var sub *packet.PublicKey
	for {
		p, err := packets.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch p := p.(type) {
		case *packet.PublicKey:
			sub = nil
			if p.IsSubkey {
				sub = p
			}
		case *packet.UserId, *packet.UserAttribute:
			sub = nil
		case *packet.Signature:
			if sub != nil && p.SigType == packet.SigTypeSubkeyBinding && primary.VerifyKeySignature(sub, p) == nil {
				out[sub.KeyId] = append(out[sub.KeyId], p)
			}
		}
	}
}
