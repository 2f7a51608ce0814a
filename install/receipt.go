package install

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pyfetch/pyfetch/compile"
	"github.com/pyfetch/pyfetch/home"
	"github.com/pyfetch/pyfetch/internal/atomicfile"
	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/internal/textsafe"
	"github.com/pyfetch/pyfetch/provenance"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/store"
)

// ReceiptName is the receipt's file name inside an install dir.
const ReceiptName = ".pyfetch-receipt.json"

// What an install is.
const (
	KindSource = "source" // the verified source tree, unpacked
	KindBuild  = "build"  // a Python built from the verified source
)

// Receipt records how an install was verified (and built).
type Receipt struct {
	Version   string `json:"version"`
	Kind      string `json:"kind"`
	Artifact  string `json:"artifact"`
	URL       string `json:"url"`        // where the bytes came from: a URL, or the cache path
	FromCache bool   `json:"from_cache"` // a verified cached copy, not a download now
	SHA256    string `json:"sha256"`
	// Method says how the artifact was verified: "sigstore", or
	// "openpgp" (Signer is then the key's fingerprint, Issuer "openpgp").
	Method         string    `json:"method,omitempty"`
	Signer         string    `json:"signer"`
	Issuer         string    `json:"issuer"`
	LogIndex       int64     `json:"rekor_log_index"`
	IntegratedTime time.Time `json:"integrated_time,omitzero"`
	TrustedRoot    string    `json:"trusted_root,omitempty"` // tuf, embedded or file
	InstalledAt    time.Time `json:"installed_at"`
	// Build describes how a build was made: the chain from the signed
	// source (SHA256, Signer, LogIndex above) to this interpreter.
	Build *BuildInfo `json:"build,omitempty"`
	// Prebuilt is the chain of a fleet's prebuilt interpreter.
	Prebuilt *PrebuiltInfo `json:"prebuilt,omitempty"`

	installDir string // where the install goes (for relocation)
}

// BuildInfo is the build part of a receipt: what compile.Run reports
// (configure arguments, compiler, make jobs, seconds, missing modules),
// the log and a cache key.
type BuildInfo struct {
	compile.Result
	Log string `json:"log"`
	// CacheKey hashes what determines the build (version, source sha256,
	// configure arguments, OS/arch, compiler), for CI caches.
	CacheKey string `json:"cache_key"`
	// Options are the build options asked for (what a prebuilt of this
	// build is published as).
	Options *provenance.Options `json:"options,omitempty"`
}

// write writes the receipt into dir, an install's staged temp folder
// (made durable as a whole by its Commit).
func (r *Receipt) write(dir string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteStaged(filepath.Join(dir, ReceiptName), append(data, '\n'), 0o644)
}

// ReadReceipt reads and checks the receipt of the install in dir: it must
// be a regular file with one link that you (or root) own and nobody else
// may write (never a symlink or FIFO), holding a receipt for the version
// the folder is named after, with a SHA-256 and a signer, and no control
// character in any field (its text reaches logs and GITHUB_OUTPUT). Only
// a tree with such a receipt is ever handed out as an install; callers
// check the folders first (checkInstallDir).
func ReadReceipt(dir string) (*Receipt, error) {
	data, err := safefile.ReadFile(filepath.Join(dir, ReceiptName), 1<<20)
	if err != nil {
		return nil, err
	}
	var r Receipt
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("receipt %s: %s", dir, jsonProblem(err))
	}
	if r.Version != filepath.Base(dir) {
		// The version it names is shown only when it is one: a planted
		// receipt's bytes are never echoed.
		if _, err := releases.ParseInstallName(r.Version); err != nil {
			return nil, fmt.Errorf("receipt %s: it is not for version %q (its version is not one)", dir, filepath.Base(dir))
		}
		return nil, fmt.Errorf("receipt %s: it is for version %q, not %q", dir, r.Version, filepath.Base(dir))
	}
	if len(r.SHA256) != 64 || strings.Trim(r.SHA256, "0123456789abcdef") != "" || r.Signer == "" || r.Artifact == "" {
		return nil, fmt.Errorf("receipt %s: incomplete (expected artifact, sha256 and signer)", dir)
	}
	var raw any
	if err := json.Unmarshal(data, &raw); err != nil || !cleanStrings(raw) {
		return nil, fmt.Errorf("receipt %s: a field holds a control character or line break (pyfetch never writes one)", dir)
	}
	return &r, nil
}

// jsonProblem says why a receipt is not valid JSON, or not the JSON of a
// receipt, without a byte of it: encoding/json's messages quote the
// character found ("invalid character 'g' ..."), and a receipt is a file
// someone may have planted.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("not valid JSON (at byte %d)", syn.Offset)
	case errors.As(err, &typ):
		// Field is a path of the receipt's own field names, Value a
		// JSON kind ("string", "number"): neither is the file's text.
		return fmt.Sprintf("not a receipt pyfetch wrote (a JSON %s where %s was expected, at byte %d)", typ.Value, textsafe.Escape(typ.Field), typ.Offset)
	default:
		// A field's own parser (a time, a version) quotes the value.
		return "not a receipt pyfetch wrote (a field's value does not parse)"
	}
}

// cleanStrings reports whether every string in a decoded JSON value
// prints as itself.
func cleanStrings(v any) bool {
	switch v := v.(type) {
	case string:
		return textsafe.Clean(v)
	case []any:
		for _, e := range v {
			if !cleanStrings(e) {
				return false
			}
		}
	case map[string]any:
		for k, e := range v {
			if !textsafe.Clean(k) || !cleanStrings(e) {
				return false
			}
		}
	}
	return true
}

// checkVersions returns an error unless versions/ is a folder itself (not
// a link), owned by you (or root) and writable by nobody else: everything
// found there is believed to be your own install, so nobody else may be
// able to put anything there. A missing folder is fs.ErrNotExist.
func checkVersions(h home.Home) error {
	err := safefile.CheckPrivateDir(h.Versions())
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return err
	case errors.Is(err, safefile.ErrSymlink):
		return fmt.Errorf("%w: versions folder %s is a symlink; pyfetch never follows it (remove the link: rm %s)", ErrUntrustedInstall, h.Versions(), h.Versions())
	}
	return fmt.Errorf("%w: versions folder: %w", ErrUntrustedInstall, err)
}

// checkInstallDir returns an error unless dir, an install folder in
// versions/, is a folder itself owned by you (or root) that nobody else
// may write: a receipt in it is believed only then.
func checkInstallDir(dir string) error {
	if err := safefile.CheckPrivateDir(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return fmt.Errorf("%w: %w", ErrUntrustedInstall, err)
	}
	return nil
}

// ErrUntrustedInstall means a folder in the home that is meant to hold
// your installs could have been written by someone else (a link, another
// user's folder, one others may write): nothing in it is believed.
var ErrUntrustedInstall = fmt.Errorf("%w: install folder", safefile.ErrUntrusted)

// readInstall returns the receipt of the install named name, checking
// versions/, then the install folder, then the receipt.
func readInstall(h home.Home, name string) (*Receipt, error) {
	if err := checkVersions(h); err != nil {
		return nil, err
	}
	dir := h.VersionDir(name)
	if err := checkInstallDir(dir); err != nil {
		return nil, err
	}
	return ReadReceipt(dir)
}

// Installed is one install found by List.
type Installed struct {
	Version string   `json:"version"`
	Path    string   `json:"path"`
	Receipt *Receipt `json:"receipt,omitempty"`
	Problem string   `json:"problem,omitempty"`
}

// List returns the installed versions, newest first. Names that are not
// versions (temp dirs, locks) are skipped; anything under a version's name
// that is not an install with a valid receipt (a folder without one, a
// link, a file) is listed with a Problem, never followed.
func List(h home.Home) ([]Installed, error) {
	if err := checkVersions(h); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(h.Versions())
	if err != nil {
		return nil, err
	}
	type row struct {
		v releases.Version
		Installed
	}
	var rows []row
	for _, e := range ents {
		iname, err := releases.ParseInstallName(e.Name())
		v := iname.Version
		if err != nil {
			continue
		}
		dir := h.VersionDir(e.Name())
		in := Installed{Version: e.Name(), Path: dir}
		if rc, err := readInstall(h, e.Name()); err != nil {
			in.Problem = "no valid pyfetch receipt: " + err.Error()
		} else {
			in.Receipt = rc
		}
		rows = append(rows, row{v, in})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].v.Compare(rows[j].v) > 0 })
	out := make([]Installed, len(rows))
	for i, r := range rows {
		out[i] = r.Installed
	}
	return out, nil
}

// InUse is what the installs in h use: the artifacts they came from and
// the build logs their receipts name, so the cache keeps them.
func InUse(h home.Home) store.InUse {
	in := store.InUse{Artifacts: map[string]bool{}, Logs: map[string]bool{}}
	rows, err := List(h)
	if err != nil {
		return in
	}
	for _, r := range rows {
		if r.Receipt == nil {
			continue
		}
		in.Artifacts[r.Receipt.Artifact] = true
		if r.Receipt.Build != nil {
			in.Logs[filepath.Base(r.Receipt.Build.Log)] = true
		}
	}
	return in
}

// Answer returns a function answering a spec from the installs in h
// (the newest verified install that matches), for a resolver that cannot
// reach its mirror.
func Answer(h home.Home) func(releases.Spec) (releases.InstallName, bool) {
	return func(sp releases.Spec) (releases.InstallName, bool) {
		in, err := Find(h, sp)
		if err != nil {
			return releases.InstallName{}, false
		}
		name, err := releases.ParseInstallName(in.Version)
		return name, err == nil
	}
}
