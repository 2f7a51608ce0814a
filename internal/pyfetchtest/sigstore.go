// Package pyfetchtest holds shared test helpers: an in-process Sigstore
// (sigstore-go's VirtualSigstore) that signs fixtures, generated CPython-like
// tarballs, a python.org-shaped mirror, and access to ../shared/fixtures.
package pyfetchtest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/pyfetch/pyfetch/verify"
)

// Sigstore is an in-process Sigstore instance that signs test artifacts.
type Sigstore struct {
	VS *ca.VirtualSigstore
	// RootFile is the instance's trusted_root.json, for --trusted-root.
	RootFile string
}

// NewSigstore starts a VirtualSigstore and writes its trusted root into a
// temp dir.
func NewSigstore(t testing.TB) *Sigstore {
	t.Helper()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	data, err := TrustedRootJSON(vs)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "trusted_root.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return &Sigstore{VS: vs, RootFile: path}
}

// TrustedRootJSON serialises a VirtualSigstore as a trusted_root.json. Its
// leaf certificates carry no SCT, so the root lists no CT log; the Rekor
// log is keyed by its raw log-ID bytes, as in a real trusted root
// (VirtualSigstore itself keys it by the hex text).
func TrustedRootJSON(vs *ca.VirtualSigstore) ([]byte, error) { return trustedRootJSON(vs, false) }

// TrustedRootJSONWithCT is TrustedRootJSON listing the instance's CT log
// too, so that verification demands SCTs its certificates do not carry.
func TrustedRootJSONWithCT(vs *ca.VirtualSigstore) ([]byte, error) { return trustedRootJSON(vs, true) }

func trustedRootJSON(vs *ca.VirtualSigstore, withCT bool) ([]byte, error) {
	rawKeyed := func(in map[string]*root.TransparencyLog) (map[string]*root.TransparencyLog, error) {
		out := map[string]*root.TransparencyLog{}
		for id, l := range in {
			raw, err := hex.DecodeString(id)
			if err != nil {
				return nil, err
			}
			cp := *l
			cp.ID = raw
			out[id] = &cp
		}
		return out, nil
	}
	logs, err := rawKeyed(vs.RekorLogs())
	if err != nil {
		return nil, err
	}
	var ct map[string]*root.TransparencyLog
	if withCT {
		if ct, err = rawKeyed(vs.CTLogs()); err != nil {
			return nil, err
		}
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01,
		vs.FulcioCertificateAuthorities(), ct, vs.TimestampingAuthorities(), logs)
	if err != nil {
		return nil, err
	}
	return tr.MarshalJSON()
}

// Sign returns a v0.3 bundle (JSON) over artifact for identity/issuer.
func (s *Sigstore) Sign(t testing.TB, identity, issuer string, artifact []byte) []byte {
	t.Helper()
	b, err := SignBundle(s.VS, identity, issuer, artifact)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// SignBundle signs artifact with a fresh Fulcio-style certificate and
// returns a complete v0.3 message-signature bundle: certificate, tlog entry
// with kind/version, signed entry timestamp, inclusion proof with a signed
// checkpoint, and an RFC 3161 timestamp.
func SignBundle(vs *ca.VirtualSigstore, identity, issuer string, artifact []byte) ([]byte, error) {
	// The leaf certificate is valid from now for ten minutes; the log
	// integrates the entry inside that window.
	return SignBundleAt(vs, identity, issuer, artifact, time.Now().Add(5*time.Minute))
}

// SignBundleAt is SignBundle with the log's integrated time chosen, e.g.
// outside the certificate's validity.
func SignBundleAt(vs *ca.VirtualSigstore, identity, issuer string, artifact []byte, integrated time.Time) ([]byte, error) {
	ent, err := vs.SignAtTime(identity, issuer, artifact, integrated)
	if err != nil {
		return nil, err
	}
	vc, err := ent.VerificationContent()
	if err != nil {
		return nil, err
	}
	cert := vc.Certificate()
	sc, err := ent.SignatureContent()
	if err != nil {
		return nil, err
	}
	ms, ok := sc.(*bundle.MessageSignature)
	if !ok {
		return nil, fmt.Errorf("virtual sigstore returned %T, want a message signature", sc)
	}
	tss, err := ent.Timestamps()
	if err != nil {
		return nil, err
	}
	entries, err := ent.TlogEntries()
	if err != nil || len(entries) != 1 {
		return nil, fmt.Errorf("tlog entries: %v (%d)", err, len(entries))
	}
	tle := entries[0].TransparencyLogEntry()
	body := tle.GetCanonicalizedBody()
	logIDHex, err := vs.RekorLogID()
	if err != nil {
		return nil, err
	}
	// The inclusion proof VirtualSigstore makes is for a one-leaf tree,
	// so the entry sits at index 0 and the SET must say so too.
	const logIndex = 0
	set, err := vs.RekorSignPayload(tlog.RekorPayload{
		Body:           base64.StdEncoding.EncodeToString(body),
		IntegratedTime: integrated.Unix(),
		LogIndex:       logIndex,
		LogID:          logIDHex,
	})
	if err != nil {
		return nil, err
	}
	proof, err := vs.GetInclusionProof(body)
	if err != nil {
		return nil, err
	}
	rootHash, err := hex.DecodeString(*proof.RootHash)
	if err != nil {
		return nil, err
	}
	var hashes [][]byte
	for _, h := range proof.Hashes {
		b, err := hex.DecodeString(h)
		if err != nil {
			return nil, err
		}
		hashes = append(hashes, b)
	}
	var rfc3161 []*protocommon.RFC3161SignedTimestamp
	for _, ts := range tss {
		rfc3161 = append(rfc3161, &protocommon.RFC3161SignedTimestamp{SignedTimestamp: ts})
	}
	digest := sha256.Sum256(artifact)
	pb := &protobundle.Bundle{
		MediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_Certificate{
				Certificate: &protocommon.X509Certificate{RawBytes: cert.Raw},
			},
			TlogEntries: []*protorekor.TransparencyLogEntry{{
				LogIndex:          logIndex,
				LogId:             tle.GetLogId(),
				KindVersion:       &protorekor.KindVersion{Kind: "hashedrekord", Version: "0.0.1"},
				IntegratedTime:    integrated.Unix(),
				InclusionPromise:  &protorekor.InclusionPromise{SignedEntryTimestamp: set},
				CanonicalizedBody: body,
				InclusionProof: &protorekor.InclusionProof{
					LogIndex:   *proof.LogIndex,
					RootHash:   rootHash,
					TreeSize:   *proof.TreeSize,
					Hashes:     hashes,
					Checkpoint: &protorekor.Checkpoint{Envelope: *proof.Checkpoint},
				},
			}},
			TimestampVerificationData: &protobundle.TimestampVerificationData{Rfc3161Timestamps: rfc3161},
		},
		Content: &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
			MessageDigest: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: digest[:]},
			Signature:     ms.Signature(),
		}},
	}
	return protojson.Marshal(pb)
}

// Verifier is a verifier for s's trusted root (a VirtualSigstore lists no
// CT log, so SCTs are not required of it).
func (s *Sigstore) Verifier(t testing.TB) *verify.Verifier {
	t.Helper()
	tr, _, err := verify.LoadTrustedRoot(context.Background(), verify.RootOptions{File: s.RootFile})
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.NewVerifier(tr, verify.WithoutSCTsUnsafe())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Attest signs statement (an in-toto statement's JSON) keyless for
// identity/issuer, as GitHub's attest actions or cosign attest-blob do,
// and returns the v0.3 bundle (JSON) with its DSSE envelope, certificate,
// dsse transparency-log entry with inclusion proof, and timestamp.
func (s *Sigstore) Attest(t testing.TB, identity, issuer string, statement []byte) []byte {
	t.Helper()
	ent, err := s.VS.AttestAtTime(identity, issuer, statement, time.Now().Add(5*time.Minute), true)
	if err != nil {
		t.Fatal(err)
	}
	vc, err := ent.VerificationContent()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ent.SignatureContent()
	if err != nil {
		t.Fatal(err)
	}
	env, ok := sc.(*bundle.Envelope)
	if !ok {
		t.Fatalf("virtual sigstore returned %T, want an envelope", sc)
	}
	raw := env.RawEnvelope()
	tss, _ := ent.Timestamps()
	entries, err := ent.TlogEntries()
	if err != nil || len(entries) != 1 {
		t.Fatalf("tlog entries: %v (%d)", err, len(entries))
	}
	var rfc3161 []*protocommon.RFC3161SignedTimestamp
	for _, ts := range tss {
		rfc3161 = append(rfc3161, &protocommon.RFC3161SignedTimestamp{SignedTimestamp: ts})
	}
	// The entry as a bundle carries it: its kind and version, and the
	// log's signed promise over it.
	tle := proto.Clone(entries[0].TransparencyLogEntry()).(*protorekor.TransparencyLogEntry)
	tle.KindVersion = &protorekor.KindVersion{Kind: "dsse", Version: "0.0.1"}
	logIDHex, err := s.VS.RekorLogID()
	if err != nil {
		t.Fatal(err)
	}
	set, err := s.VS.RekorSignPayload(tlog.RekorPayload{
		Body:           base64.StdEncoding.EncodeToString(tle.CanonicalizedBody),
		IntegratedTime: tle.IntegratedTime,
		LogIndex:       tle.LogIndex,
		LogID:          logIDHex,
	})
	if err != nil {
		t.Fatal(err)
	}
	tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: set}
	if tle.InclusionProof != nil && tle.InclusionProof.Checkpoint == nil {
		t.Fatal("inclusion proof without a checkpoint")
	}
	var sigs []*protodsse.Signature
	for _, sg := range raw.Signatures {
		b, err := base64.StdEncoding.DecodeString(sg.Sig)
		if err != nil {
			t.Fatal(err)
		}
		sigs = append(sigs, &protodsse.Signature{Sig: b, Keyid: sg.KeyID})
	}
	payload, err := base64.StdEncoding.DecodeString(raw.Payload)
	if err != nil {
		t.Fatal(err)
	}
	pb := &protobundle.Bundle{
		MediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_Certificate{
				Certificate: &protocommon.X509Certificate{RawBytes: vc.Certificate().Raw},
			},
			TlogEntries:               []*protorekor.TransparencyLogEntry{tle},
			TimestampVerificationData: &protobundle.TimestampVerificationData{Rfc3161Timestamps: rfc3161},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: payload, PayloadType: raw.PayloadType, Signatures: sigs,
		}},
	}
	out, err := protojson.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
