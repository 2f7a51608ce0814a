// Package session is one run's wiring of pyfetch's parts: the home, the
// mirror, the HTTP client, the resolver and the verifier (built once, on
// first need), from which a command gets a store or install options.
// The CLI parses flags into a Session; a library user fills one in.
package session

import (
	"context"
	"sync"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/pyfetch/pyfetch/fetch"
	"github.com/pyfetch/pyfetch/home"
	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/resolve"
	"github.com/pyfetch/pyfetch/store"
	"github.com/pyfetch/pyfetch/verify"
)

// Session holds what every command of one run shares. Home is required;
// the zero Mirror is python.org.
type Session struct {
	Home   home.Home
	Mirror releases.Mirror
	// Lister reads the mirror's folders (nil: chosen from Mirror: a local
	// folder or HTML listings; an S3 bucket's is s3mirror.Lister).
	Lister  resolve.Lister
	Offline bool
	// Fetch is the HTTP client (its zero value works).
	Fetch *fetch.Client
	// Root says where the trusted root comes from (a named file, TUF or
	// the embedded one); CacheDir and Offline are filled from the session.
	Root verify.RootOptions
	// Identity overrides the signer table; Signers is the table (the
	// built-in one when nil).
	Identity *verify.Identity
	Signers  *releases.Table
	// OpenPGP verifies .asc signatures (releases before Sigstore, or a
	// mirror without bundles); nil: Sigstore only.
	OpenPGP *verify.OpenPGP
	// IndexTTL is how long listings are reused (resolve.DefaultIndexTTL
	// when zero).
	IndexTTL time.Duration
	Notify   func(string)
	Step     func(string)

	resolverOnce sync.Once
	resolver     *resolve.Resolver

	trustOnce sync.Once
	verifier  *verify.Verifier
	root      *root.TrustedRoot
	source    string
	trustErr  error
}

func (s *Session) mirror() releases.Mirror {
	if s.Mirror.IsZero() {
		return releases.MustMirror(releases.DefaultMirror)
	}
	return s.Mirror
}

func (s *Session) fetch() *fetch.Client {
	if s.Fetch == nil {
		s.Fetch = &fetch.Client{Offline: s.Offline, Notify: s.Notify}
	}
	return s.Fetch
}

// Resolver is the session's resolver (one per run, so listings are read
// once and the index saved once); an unreachable mirror is answered from
// what is installed.
func (s *Session) Resolver() *resolve.Resolver {
	s.resolverOnce.Do(func() {
		s.resolver = &resolve.Resolver{Home: s.Home, Mirror: s.mirror(), Lister: s.Lister, Fetch: s.fetch(), TTL: s.IndexTTL,
			Offline: s.Offline, Notify: s.Notify, Installed: install.Answer(s.Home)}
	})
	return s.resolver
}

// Verifier loads the trusted root and builds the verifier once (TUF,
// online, costs a round trip: only when something must be verified).
func (s *Session) Verifier(ctx context.Context) (*verify.Verifier, *root.TrustedRoot, string, error) {
	s.trustOnce.Do(func() {
		o := s.Root
		o.CacheDir = s.Home.CacheRoot()
		o.Offline = s.Offline
		if o.Notify == nil {
			o.Notify = s.Notify
		}
		s.verifier, s.root, s.source, s.trustErr = verify.Load(ctx, o)
	})
	return s.verifier, s.root, s.source, s.trustErr
}

// Store is where verified artifacts come from in this session.
func (s *Session) Store(ctx context.Context) store.Store {
	return store.Store{
		Home: s.Home, Mirror: s.mirror(), Offline: s.Offline, Fetch: s.fetch(),
		Identity: s.Identity, Signers: s.Signers, Notify: s.Notify, Step: s.Step, OpenPGP: s.OpenPGP,
		Trust: func() (*verify.Verifier, string, error) {
			v, _, src, err := s.Verifier(ctx)
			return v, src, err
		},
	}
}

// InstallOptions are install options on the session's store.
func (s *Session) InstallOptions(ctx context.Context, format releases.Format, anyFormat bool) install.Options {
	return install.Options{Store: s.Store(ctx), Format: format, AnyFormat: anyFormat}
}
