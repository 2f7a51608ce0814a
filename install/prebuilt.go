package install

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/pyfetch/pyfetch/extract"
	"github.com/pyfetch/pyfetch/internal/atomicdir"
	"github.com/pyfetch/pyfetch/prebuilt"
	"github.com/pyfetch/pyfetch/provenance"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/verify"
)

// KindPrebuilt is the receipt kind of an interpreter a fleet built,
// signed and published, installed after its whole chain was checked.
const KindPrebuilt = "prebuilt"

// PrebuiltOptions ask Install for the fleet's prebuilt interpreter.
// With Options.Build set too, a missing or non-matching prebuilt falls
// back to building from source.
type PrebuiltOptions struct {
	// Policy is who must have signed (a key, or an identity).
	Policy verify.AttestationPolicy
	// Build are the options the build must have been made with.
	Build provenance.Options
	// Platform is this machine's (prebuilt.HostPlatform when zero).
	Platform provenance.Platform
}

// PrebuiltInfo is the prebuilt part of a receipt: the whole chain from
// the fleet's signature to python.org's (the archive's digest, the fleet
// signer and issuer are the receipt's SHA256, Signer and Issuer).
type PrebuiltInfo struct {
	StatementSHA256 string              `json:"statement_sha256"`
	Platform        provenance.Platform `json:"platform"`
	Options         provenance.Options  `json:"options"`
	Compiler        string              `json:"compiler"`
	BuiltBy         string              `json:"built_by"` // pyfetch version
	BuiltPrefix     string              `json:"built_prefix"`
	Relocated       []string            `json:"relocated"`
	Source          SourceInfo          `json:"source"`
}

// SourceInfo is python.org's signed source a prebuilt was built from.
type SourceInfo struct {
	Artifact       string `json:"artifact"`
	URL            string `json:"url"`
	SHA256         string `json:"sha256"`
	Signer         string `json:"signer"`
	Issuer         string `json:"issuer"`
	LogIndex       int64  `json:"rekor_log_index"`
	IntegratedTime string `json:"integrated_time,omitempty"`
}

// Prebuilt installs a fleet's prebuilt interpreter.
type Prebuilt struct{ Options *PrebuiltOptions }

// Kind implements Distribution.
func (Prebuilt) Kind() string { return KindPrebuilt }

// Name implements Distribution: named as the build it is.
func (p Prebuilt) Name(v releases.Version) releases.InstallName {
	return releases.InstallName{Version: v, FreeThreaded: p.Options.Build.FreeThreaded}
}

// Check implements Distribution.
func (p Prebuilt) Check(v releases.Version) error {
	return Build{Options: &BuildOptions{FreeThreaded: p.Options.Build.FreeThreaded}}.Check(v)
}

// Make implements Distribution: unpacks the verified archive and rewrites
// what it records of the builder's prefix to this install's.
func (p Prebuilt) Make(ctx context.Context, src io.Reader, _ releases.Artifact, staged *atomicdir.Dir, rc *Receipt) error {
	if rc.Prebuilt == nil {
		return fmt.Errorf("%w: a prebuilt without its verified statement", ErrRequest)
	}
	if _, err := extract.Extract(ctx, src, staged.Path, extract.Options{Compression: extract.Zstd, StripPrefix: prebuilt.TopDir, Flush: staged.Writeback, Verified: true}); err != nil {
		return err
	}
	final, err := filepath.Abs(rc.installDir)
	if err != nil {
		return err
	}
	done, err := prebuilt.Relocate(staged.Path, rc.Prebuilt.BuiltPrefix, final)
	if err != nil {
		return err
	}
	if done == nil {
		done = []string{}
	}
	rc.Prebuilt.Relocated = done
	return nil
}

// obtainPrebuilt obtains the prebuilt (its whole chain checked) and
// starts the receipt.
func (o *Options) obtainPrebuilt(ctx context.Context, v releases.Version, name string, p Prebuilt) (*obtained, error) {
	plat := p.Options.Platform
	if plat.OS == "" {
		plat = prebuilt.HostPlatform(ctx)
	}
	req := prebuilt.Request{Version: v, Name: name, Platform: plat, Options: p.Options.Build, Policy: p.Options.Policy}
	o.step("looking for %s", req.Archive())
	got, err := prebuilt.Obtain(ctx, &o.Store, req)
	if err != nil {
		return nil, err
	}
	b, src := got.Build, got.Source
	info := &PrebuiltInfo{
		StatementSHA256: got.StatementSHA256,
		Platform:        b.Platform,
		Options:         b.Options,
		Compiler:        b.Compiler,
		BuiltBy:         b.Pyfetch,
		BuiltPrefix:     b.Prefix,
		Source: SourceInfo{
			Artifact: b.Source.Name, URL: b.Source.URL, SHA256: src.SHA256,
			Signer: src.Identity.SAN, Issuer: src.Identity.Issuer, LogIndex: src.LogIndex,
		},
	}
	if !src.IntegratedTime.IsZero() {
		info.Source.IntegratedTime = src.IntegratedTime.Format("2006-01-02T15:04:05Z")
	}
	return &obtained{file: got.File, downloaded: got.Downloaded, rc: &Receipt{
		Kind:           KindPrebuilt,
		Artifact:       got.Archive,
		URL:            got.From,
		FromCache:      !got.Downloaded,
		SHA256:         got.Fleet.SHA256,
		Method:         "fleet attestation",
		Signer:         got.Fleet.Identity.SAN,
		Issuer:         got.Fleet.Identity.Issuer,
		LogIndex:       got.Fleet.LogIndex,
		IntegratedTime: got.Fleet.IntegratedTime,
		Prebuilt:       info,
		installDir:     o.Home.VersionDir(name),
	}}, nil
}
