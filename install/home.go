package install

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pyfetch/pyfetch/build"
	"github.com/pyfetch/pyfetch/internal/atomicfile"
	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/releases"
)

// Home is pyfetch's data folder: versions/ holds install trees, the cache
// holds artifacts and bundles in python.org's layout (so a cache is itself
// a mirror) plus the trusted root.
type Home struct {
	Root  string
	Cache string // defaults to Root/cache
}

// Versions is the folder install trees live in.
func (h Home) Versions() string { return filepath.Join(h.Root, "versions") }

// VersionDir is the install dir of one version.
func (h Home) VersionDir(v string) string { return filepath.Join(h.Versions(), v) }

// lockPath is the lock file serialising installs of one version.
func (h Home) lockPath(version string) string {
	return filepath.Join(h.Versions(), "."+version+".lock")
}

// BuildRoot holds build folders (source and staging) while a build runs.
func (h Home) BuildRoot() string { return filepath.Join(h.Root, "build") }

// LogDir holds build logs.
func (h Home) LogDir() string { return filepath.Join(h.CacheRoot(), "logs") }

// CacheRoot is the cache folder.
func (h Home) CacheRoot() string {
	if h.Cache != "" {
		return h.Cache
	}
	return filepath.Join(h.Root, "cache")
}

// CacheDir is the cache folder for one python.org release folder ("3.13.1").
func (h Home) CacheDir(relDir string) string { return filepath.Join(h.CacheRoot(), relDir) }

// ReceiptName is the receipt's file name inside an install dir.
const ReceiptName = ".pyfetch-receipt.json"

// What an install is.
const (
	KindSource = "source" // the verified source tree, unpacked
	KindBuild  = "build"  // a Python built from the verified source
)

// Receipt records how an install was verified (and built).
type Receipt struct {
	Version        string    `json:"version"`
	Kind           string    `json:"kind"`
	Artifact       string    `json:"artifact"`
	URL            string    `json:"url"`        // where the bytes came from: a URL, or the cache path
	FromCache      bool      `json:"from_cache"` // a verified cached copy, not a download now
	SHA256         string    `json:"sha256"`
	Signer         string    `json:"signer"`
	Issuer         string    `json:"issuer"`
	LogIndex       int64     `json:"rekor_log_index"`
	IntegratedTime time.Time `json:"integrated_time,omitzero"`
	TrustedRoot    string    `json:"trusted_root,omitempty"` // tuf, embedded or file
	InstalledAt    time.Time `json:"installed_at"`
	// Build describes how a build was made: the chain from the signed
	// source (SHA256, Signer, LogIndex above) to this interpreter.
	Build *BuildInfo `json:"build,omitempty"`
}

// BuildInfo is the build part of a receipt: what build.Run reports
// (configure arguments, compiler, make jobs, seconds, missing modules),
// the log and a cache key.
type BuildInfo struct {
	build.Result
	Log string `json:"log"`
	// CacheKey hashes what determines the build (version, source sha256,
	// configure arguments, OS/arch, compiler), for CI caches.
	CacheKey string `json:"cache_key"`
}

func (r *Receipt) write(dir string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, ReceiptName), append(data, '\n'), 0o644)
}

// ReadReceipt reads and checks the receipt of the install in dir: it must
// be a regular file (never a symlink or FIFO) holding a receipt for the
// version the folder is named after, with a SHA-256 and a signer. Only a
// tree with such a receipt is ever handed out as an install.
func ReadReceipt(dir string) (*Receipt, error) {
	data, err := safefile.ReadRegular(filepath.Join(dir, ReceiptName), 1<<20)
	if err != nil {
		return nil, err
	}
	var r Receipt
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("receipt %s: %w", dir, err)
	}
	if r.Version != filepath.Base(dir) {
		return nil, fmt.Errorf("receipt %s: it is for version %q, not %q", dir, r.Version, filepath.Base(dir))
	}
	if len(r.SHA256) != 64 || strings.Trim(r.SHA256, "0123456789abcdef") != "" || r.Signer == "" || r.Artifact == "" {
		return nil, fmt.Errorf("receipt %s: incomplete (expected artifact, sha256 and signer)", dir)
	}
	return &r, nil
}

// Installed is one install found by List.
type Installed struct {
	Version string   `json:"version"`
	Path    string   `json:"path"`
	Receipt *Receipt `json:"receipt,omitempty"`
	Problem string   `json:"problem,omitempty"`
}

// List returns the installed versions, newest first. Folders that are not
// versions (temp dirs, locks) are skipped; a version dir without a valid
// receipt is listed with a Problem.
func List(h Home) ([]Installed, error) {
	ents, err := os.ReadDir(h.Versions())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	type row struct {
		v releases.Version
		Installed
	}
	var rows []row
	for _, e := range ents {
		v, err := releases.ParseVersion(strings.TrimSuffix(e.Name(), "t"))
		if err != nil || !e.IsDir() {
			continue
		}
		dir := h.VersionDir(e.Name())
		in := Installed{Version: e.Name(), Path: dir}
		if rc, err := ReadReceipt(dir); err != nil {
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
