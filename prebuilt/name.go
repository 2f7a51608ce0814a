package prebuilt

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/pyfetch/pyfetch/provenance"
	"github.com/pyfetch/pyfetch/store"
)

// Suffixes of the files published beside an archive.
const (
	BundleSuffix    = ".sigstore"
	StatementSuffix = ".intoto.json"
	SourceSuffix    = ".source.sigstore"
	// Folder is the folder of a version's prebuilt interpreters.
	Folder = store.PrebuiltFolder
)

// HostPlatform is the platform pyfetch runs on: OS, architecture in
// CPython's spelling, and on Linux the C library and its version.
func HostPlatform(ctx context.Context) provenance.Platform {
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i686"}[runtime.GOARCH]
	if arch == "" {
		arch = runtime.GOARCH
	}
	p := provenance.Platform{OS: runtime.GOOS, Arch: arch}
	if runtime.GOOS != "linux" {
		return p
	}
	if out, err := exec.CommandContext(ctx, "getconf", "GNU_LIBC_VERSION").Output(); err == nil {
		if f := strings.Fields(string(out)); len(f) == 2 && f[0] == "glibc" {
			p.Libc, p.LibcVersion = "gnu", f[1]
			return p
		}
	}
	if m, _ := filepath.Glob("/lib/ld-musl-*.so.1"); len(m) > 0 {
		p.Libc = "musl"
		return p
	}
	p.Libc = "gnu"
	return p
}

// Key hashes the build options into the archive name's last part.
func Key(o provenance.Options) string {
	if o.ConfigureArgs == nil {
		o.ConfigureArgs = []string{}
	}
	data, _ := json.Marshal(o)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])[:12]
}

// ArchiveName is the archive's file name for install name (3.13.5,
// 3.13.5t) built for p with o.
func ArchiveName(name string, p provenance.Platform, o provenance.Options) string {
	return "cpython-" + name + "-" + p.String() + "-" + Key(o) + ".tar.zst"
}

// RelDir is the mirror folder (relative) holding release's prebuilts.
func RelDir(release string) string { return release + "/" + Folder + "/" }

// Runs reports whether a build for built runs on host: same OS,
// architecture and C library, and the host's C library at least as new.
func Runs(built, host provenance.Platform) bool {
	if built.OS != host.OS || built.Arch != host.Arch || built.Libc != host.Libc {
		return false
	}
	return olderOrSame(built.LibcVersion, host.LibcVersion)
}

// olderOrSame compares dotted versions ("2.36" <= "2.39"); an unknown
// version on either side compares only equal.
func olderOrSame(a, b string) bool {
	if a == b {
		return true
	}
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		var err error
		if i < len(as) {
			if x, err = strconv.Atoi(as[i]); err != nil {
				return false
			}
		}
		if i < len(bs) {
			if y, err = strconv.Atoi(bs[i]); err != nil {
				return false
			}
		}
		if x != y {
			return x < y
		}
	}
	return true
}
