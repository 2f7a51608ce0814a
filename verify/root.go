package verify

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pyfetch/pyfetch/internal/atomicfile"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"
)

// embeddedTrustedRoot is the Sigstore public-good trusted root shipped by
// the npm package @sigstore/tuf@5.0.1 (seeds.json, target
// trusted_root.json, sha256 6494e21e…); it lists Rekor log2025-1 and the
// 2025 CT log, which sigstore-go v1.3.0's own copy lacks. `make
// update-root` refreshes it.
//
//go:embed embedded/trusted_root.json
var embeddedTrustedRoot []byte

// embeddedTUFRoot is TUF root v16 of the public-good repository (same
// package; expires 2027-04-22). sigstore-go v1.3.0 embeds v14, which
// expired on 2026-06-22; starting from v16 keeps the walk short.
//
//go:embed embedded/tuf_root.json
var embeddedTUFRoot []byte

// Where a trusted root came from.
const (
	SourceFile     = "file"
	SourceTUF      = "tuf"
	SourceCached   = "cached"
	SourceEmbedded = "embedded"
)

// RootOptions says where to find the trusted root.
type RootOptions struct {
	// File, if set, is used exactly (--trusted-root): no TUF, no fallback.
	File string
	// CacheDir holds TUF metadata and the last root fetched through TUF.
	CacheDir string
	// Offline forbids network access: cached root, else embedded.
	Offline bool
	// TUFURL replaces the public-good TUF repository (a private or test
	// repository); its root must chain from the embedded TUF root.
	TUFURL string
	// TUFTimeout bounds the online TUF refresh (default 20s).
	TUFTimeout time.Duration
	// Warn receives a line when pyfetch falls back from TUF.
	Warn func(string)
}

// cachedRootName is the copy of the last TUF-verified trusted root.
const cachedRootName = "trusted_root.json"

// LoadTrustedRoot returns the trusted root to verify against and where it
// came from (one of the Source constants).
func LoadTrustedRoot(ctx context.Context, o RootOptions) (*root.TrustedRoot, string, error) {
	if o.File != "" {
		tr, err := root.NewTrustedRootFromPath(o.File)
		if err != nil {
			return nil, "", fmt.Errorf("trusted root %s: %v", o.File, oneLine(err))
		}
		return tr, SourceFile, nil
	}
	if !o.Offline && o.CacheDir != "" {
		data, err := fetchTUF(ctx, o)
		if err == nil {
			tr, perr := ParseTrustedRoot(data)
			if perr == nil {
				// A copy for later offline runs; failing to write it only
				// costs freshness, so it is not an error.
				_ = atomicfile.WriteFile(filepath.Join(o.CacheDir, cachedRootName), data, 0o644)
				return tr, SourceTUF, nil
			}
			err = perr
		}
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		if o.Warn != nil {
			o.Warn(fmt.Sprintf("warning: could not refresh the Sigstore trusted root through TUF (%s); using the cached or embedded copy", oneLine(err)))
		}
	}
	if o.CacheDir != "" {
		if data, err := os.ReadFile(filepath.Join(o.CacheDir, cachedRootName)); err == nil {
			if tr, err := ParseTrustedRoot(data); err == nil {
				return tr, SourceCached, nil
			}
		}
	}
	tr, err := EmbeddedTrustedRoot()
	return tr, SourceEmbedded, err
}

// ParseTrustedRoot parses trusted_root.json content.
func ParseTrustedRoot(data []byte) (*root.TrustedRoot, error) {
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("trusted root: %v", oneLine(err))
	}
	return tr, nil
}

// EmbeddedTrustedRoot parses the snapshot built into pyfetch.
func EmbeddedTrustedRoot() (*root.TrustedRoot, error) {
	tr, err := ParseTrustedRoot(embeddedTrustedRoot)
	if err != nil {
		return nil, fmt.Errorf("embedded %w", err)
	}
	return tr, nil
}

func fetchTUF(ctx context.Context, o RootOptions) ([]byte, error) {
	timeout := o.TUFTimeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	opts := tuf.DefaultOptions()
	opts.Root = embeddedTUFRoot
	opts.CachePath = filepath.Join(o.CacheDir, "tuf")
	// Refresh the TUF metadata at most daily: an install should not pay a
	// round trip to the TUF CDN every time (go-tuf still refreshes early
	// when the cached metadata has expired).
	opts.CacheValidity = 1
	opts.Context = ctx
	if o.TUFURL != "" {
		opts.RepositoryBaseURL = o.TUFURL
	}
	type answer struct {
		data []byte
		err  error
	}
	ch := make(chan answer, 1)
	// go-tuf's fetcher takes no context for every request; run it aside so
	// a hung network cannot outlive the timeout.
	go func() {
		c, err := tuf.New(opts)
		if err != nil {
			ch <- answer{nil, err}
			return
		}
		data, err := c.GetTarget("trusted_root.json")
		ch <- answer{data, err}
	}()
	select {
	case a := <-ch:
		return a.data, a.err
	case <-ctx.Done():
		return nil, errors.New("timed out")
	}
}
