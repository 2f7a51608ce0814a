package session

import (
	"context"
	"testing"

	"github.com/pyfetch/pyfetch/home"
	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/verify"
)

// A session builds its verifier once, on first need, from the root it
// names; its store verifies with that verifier; its resolver is one per
// session, on its mirror.
func TestSessionWiring(t *testing.T) {
	t.Parallel()
	ss := pyfetchtest.NewSigstore(t)
	var notes []string
	s := &Session{Home: home.Home{Root: t.TempDir()}, Offline: true, Root: verify.RootOptions{File: ss.RootFile},
		Notify: func(n string) { notes = append(notes, n) }}
	v1, tr, src, err := s.Verifier(context.Background())
	if err != nil || tr == nil || src != verify.SourceFile {
		t.Fatalf("Verifier: %v %q", err, src)
	}
	v2, _, _, _ := s.Verifier(context.Background())
	if v1 != v2 {
		t.Error("the verifier was built twice")
	}
	if len(notes) != 1 {
		t.Errorf("the weakened-root note was said %d times, want once: %q", len(notes), notes)
	}
	st := s.Store(context.Background())
	v3, src3, err := st.Trust()
	if err != nil || v3 != v1 || src3 != verify.SourceFile {
		t.Errorf("the store's trust is not the session's: %v", err)
	}
	if st.Mirror.String() != releases.DefaultMirror || !st.Offline || st.Home != s.Home {
		t.Errorf("store %+v", st)
	}
	if r := s.Resolver(); r != s.Resolver() || r.Mirror.String() != releases.DefaultMirror || !r.Offline {
		t.Error("the resolver is not one per session, on its mirror")
	}
	o := s.InstallOptions(context.Background(), releases.TarXZ, true)
	if o.Format != releases.TarXZ || !o.AnyFormat || o.Home != s.Home {
		t.Errorf("install options %+v", o)
	}
}
