package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/internal/textsafe"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/store"
	"github.com/pyfetch/pyfetch/verify"
)

func (a *app) verify(ctx context.Context, args []string) error {
	var c struct {
		outputOpts
		homeOpts
		trustOpts
		signerOpts
		offlineOpts
	}
	fs := a.flagSet("verify", &c.outputOpts, &c.homeOpts, cacheOpts{&c.homeOpts}, &c.trustOpts, &c.signerOpts, &c.offlineOpts)
	bundlePath := fs.String("bundle", "", "the Sigstore bundle or python.org .asc, a file or a pipe (default ARTIFACT.sigstore, else ARTIFACT.asc; required with sha256:HEX)")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: verify takes one ARTIFACT or sha256:HEX, got %d arguments", errUsage, len(pos))
	}
	req := store.VerifyFileRequest{Path: pos[0], Bundle: *bundlePath}
	// "sha256:HEX" names a digest instead of a file.
	if hexDigest, ok := strings.CutPrefix(pos[0], "sha256:"); ok {
		d, err := hex.DecodeString(hexDigest)
		if err != nil || len(d) != 32 {
			return fmt.Errorf("%w: %q: expected sha256: followed by 64 hex digits", errUsage, pos[0])
		}
		if *bundlePath == "" {
			return fmt.Errorf("%w: verifying a bare digest needs --bundle FILE", errUsage)
		}
		req.Path, req.Digest = "", d
	}
	// A file that is not there is said before any trusted-root work.
	if req.Path != "" {
		f, err := safefile.OpenNamed(req.Path)
		if errors.Is(err, safefile.ErrNotRegular) {
			return fmt.Errorf("%w: verify takes an artifact's file (or sha256:HEX with --bundle), got %v", errUsage, err)
		}
		if err != nil {
			return fmt.Errorf("verify %s: %w", filepath.Base(req.Path), err)
		}
		f.Close()
	}
	// A bundle the user named is read here: a file, or a pipe
	// (--bundle <(curl …)), since its content is checked anyway; a
	// folder or a device is a mistake. One that is not there is said by
	// VerifyFile, as for a bundle beside the artifact.
	if *bundlePath != "" {
		if req.BundleData, err = readNamedBundle(*bundlePath, a.pipeWait); err != nil {
			return err
		}
	}
	s, err := a.session(c.homeOpts, c.offlineOpts, &c.trustOpts, &c.signerOpts, nil)
	if err != nil {
		return err
	}
	v, _, _, err := s.Verifier(ctx)
	if err != nil {
		return err
	}
	req.Identity, req.Signers, req.OpenPGP = s.Identity, s.Signers, s.OpenPGP
	name, res, err := store.VerifyFile(ctx, req, v)
	if c.jsonOut {
		doc := map[string]any{"name": name, "verified": err == nil}
		if err != nil {
			doc["error"] = err.Error()
		} else {
			doc["result"] = res
		}
		if jerr := a.printJSON(doc); jerr != nil {
			return jerr
		}
		return err // JSON on stdout; the error also goes to stderr
	}
	if err != nil {
		return fmt.Errorf("verify %s: %w", name, err)
	}
	fmt.Fprintf(a.stdout, "OK: %s\n", textsafe.Escape(name))
	// Say, on the same line, what a signature cannot establish: it binds
	// the bytes, not a name.
	caveat := ""
	if nf, err := releases.ParseFileName(name); err == nil {
		switch {
		case nf.Source != nil && req.Path == "":
			caveat = "; only the digest was checked, not that it holds " + nf.Version.String() + " (pass the file for that)"
		case nf.Source == nil:
			caveat = "; its release (" + nf.Version.String() + ") is taken from its name: pyfetch looks inside source tarballs only"
		}
	}
	where := fmt.Sprintf(", Rekor log index %d", res.LogIndex)
	if res.Method == verify.SchemeOpenPGP {
		// An OpenPGP signature is in no transparency log: say when.
		where = ", signed " + res.IntegratedTime.Format(time.DateOnly)
	}
	fmt.Fprintf(a.stderr, "signed by %s, sha256 %s%s%s\n", res.Identity, res.SHA256, where, caveat)
	return nil
}

// readNamedBundle reads the --bundle file or pipe, at most one byte past
// the largest signature pyfetch reads (so its parser refuses it); nil
// when there is nothing at path.
func readNamedBundle(path string, wait time.Duration) ([]byte, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("--bundle: %w", err)
	}
	if !fi.Mode().IsRegular() && fi.Mode().Type() != fs.ModeNamedPipe {
		return nil, fmt.Errorf("%w: --bundle takes a bundle file (or a pipe), and %s is not one (%s)", errUsage, textsafe.Escape(path), safefile.Describe(fi.Mode()))
	}
	// A FIFO nobody writes to is waited on for a while, not forever.
	f, err := safefile.OpenNamedOrPipe(path, wait)
	if errors.Is(err, safefile.ErrNoWriter) {
		return nil, fmt.Errorf("%w: --bundle %w", errUsage, err)
	}
	if err != nil {
		return nil, fmt.Errorf("--bundle: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max(verify.MaxBundleBytes, verify.MaxSignatureBytes)+1))
	if err != nil {
		return nil, fmt.Errorf("--bundle %s: %w", textsafe.Escape(path), err)
	}
	if len(data) == 0 && fi.Mode().Type() == fs.ModeNamedPipe {
		return nil, fmt.Errorf("%w: --bundle %s is a pipe nothing was written to (expected a Sigstore bundle or an .asc)", errUsage, textsafe.Escape(path))
	}
	return data, nil
}
