package install

import (
	"context"
	"fmt"
	"io"

	"github.com/pyfetch/pyfetch/extract"
	"github.com/pyfetch/pyfetch/internal/atomicdir"
	"github.com/pyfetch/pyfetch/releases"
)

// Distribution is what is installed from a verified artifact: the
// unpacked source tree or a build of it today; a prebuilt interpreter
// signed by a fleet plugs in here. Install takes the lock, obtains and
// verifies the artifact, and hands the open file to the Distribution,
// which fills the staged prefix (an empty private folder beside
// versions/) and completes the receipt; Install then commits it.
type Distribution interface {
	// Kind is the receipt's kind (KindSource, KindBuild).
	Kind() string
	// Name is the install's name for v (a free-threaded build is X.Y.Zt).
	Name(v releases.Version) releases.InstallName
	// Check refuses what this distribution cannot make of v, before
	// anything is fetched.
	Check(v releases.Version) error
	// Make fills staged from the verified artifact src (art), and adds
	// what it did to rc.
	Make(ctx context.Context, src io.Reader, art releases.Artifact, staged *atomicdir.Dir, rc *Receipt) error
}

// SourceTree installs the verified source tree as it is.
type SourceTree struct{}

// Kind implements Distribution.
func (SourceTree) Kind() string { return KindSource }

// Name implements Distribution.
func (SourceTree) Name(v releases.Version) releases.InstallName {
	return releases.InstallName{Version: v}
}

// Check implements Distribution.
func (SourceTree) Check(releases.Version) error { return nil }

// Make implements Distribution: the archive's single top folder becomes
// the staged prefix.
func (SourceTree) Make(ctx context.Context, src io.Reader, art releases.Artifact, staged *atomicdir.Dir, rc *Receipt) error {
	kind, ok := releases.KindOf(art.Format)
	if !ok || kind.Unpacks != releases.SourceTree {
		return fmt.Errorf("%w: %s is not a source tree", ErrRequest, art.Name())
	}
	rc.Kind = KindSource
	_, err := extract.Extract(ctx, src, staged.Path, extract.Options{Compression: extract.Compression(kind.Compression), StripPrefix: art.TopDir(), Flush: staged.Writeback, Verified: true})
	return err
}

// Build compiles the verified source into a working Python (buildInto).
type Build struct {
	Options *BuildOptions
	o       *Options
}

// Kind implements Distribution.
func (Build) Kind() string { return KindBuild }

// Name implements Distribution.
func (b Build) Name(v releases.Version) releases.InstallName {
	return releases.InstallName{Version: v, FreeThreaded: b.Options.FreeThreaded}
}

// Check implements Distribution: free-threaded builds exist from 3.13.
func (b Build) Check(v releases.Version) error {
	if b.Options.FreeThreaded && (v.Major < 3 || v.Major == 3 && v.Minor < 13) {
		return fmt.Errorf("%w: %s: free-threaded builds exist from 3.13 on", ErrRequest, v)
	}
	return nil
}

// Make implements Distribution.
func (b Build) Make(ctx context.Context, src io.Reader, art releases.Artifact, staged *atomicdir.Dir, rc *Receipt) error {
	return buildInto(ctx, src, art, rc.Version, staged, rc, b.o)
}

// distribution is what o asks for: a build with Build set, else the
// source tree.
func (o *Options) distribution() Distribution {
	if o.Prebuilt != nil {
		return Prebuilt{Options: o.Prebuilt}
	}
	if o.Build != nil {
		return Build{Options: o.Build, o: o}
	}
	return SourceTree{}
}
