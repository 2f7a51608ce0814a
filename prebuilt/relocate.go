package prebuilt

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pyfetch/pyfetch/internal/atomicfile"
)

// maxRewrite caps the size of a file Relocate reads to rewrite: the
// files that record the prefix are text of a few hundred KB at most.
const maxRewrite = 16 << 20

// Relocate rewrites what a CPython install records of the prefix it was
// built for (oldPrefix) to newPrefix, in dir (the unpacked install):
// the shebangs and settings of bin/ scripts (pip3, python3-config), the
// _sysconfigdata and _sysconfig_vars modules, build-details.json, the
// config folder's Makefile and python-config.py, and the pkgconfig files;
// stale bytecode of rewritten modules is removed. The interpreter itself
// finds its prefix from where it runs. Binary files are never touched.
// It returns the files rewritten, relative to dir.
func Relocate(dir, oldPrefix, newPrefix string) ([]string, error) {
	if oldPrefix == "" || !filepath.IsAbs(oldPrefix) || !filepath.IsAbs(newPrefix) {
		return nil, fmt.Errorf("relocate: expected absolute prefixes, got %q and %q", oldPrefix, newPrefix)
	}
	if oldPrefix == newPrefix {
		return nil, nil
	}
	var candidates []string
	for _, pattern := range []string{
		"bin/*",
		"lib/pkgconfig/*.pc",
		"lib/python*/_sysconfigdata_*.py",
		"lib/python*/_sysconfig_vars_*.json",
		"lib/python*/build-details.json",
		"lib/python*/config-*/Makefile",
		"lib/python*/config-*/python-config.py",
	} {
		m, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return nil, err
		}
		candidates = append(candidates, m...)
	}
	old, repl := []byte(oldPrefix), []byte(newPrefix)
	var done []string
	for _, p := range candidates {
		fi, err := os.Lstat(p)
		if err != nil {
			return done, err
		}
		if !fi.Mode().IsRegular() || fi.Size() > maxRewrite {
			continue // links (python3 → python3.13) and folders stay as they are
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return done, err
		}
		if bytes.IndexByte(data, 0) >= 0 || !bytes.Contains(data, old) {
			continue // a binary, or nothing to rewrite
		}
		if err := atomicfile.WriteStaged(p, bytes.ReplaceAll(data, old, repl), fi.Mode().Perm()); err != nil {
			return done, fmt.Errorf("relocate %s: %w", p, err)
		}
		rel, _ := filepath.Rel(dir, p)
		done = append(done, rel)
		if strings.HasSuffix(p, ".py") {
			removeBytecode(p)
		}
	}
	return done, nil
}

// removeBytecode removes the cached bytecode of module file p (every
// optimisation level), so that the rewritten source is what runs.
func removeBytecode(p string) {
	stem := strings.TrimSuffix(filepath.Base(p), ".py")
	cache := filepath.Join(filepath.Dir(p), "__pycache__")
	ents, err := os.ReadDir(cache)
	if err != nil {
		return
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), stem+".") && strings.HasSuffix(e.Name(), ".pyc") && e.Type()&fs.ModeType == 0 {
			os.Remove(filepath.Join(cache, e.Name()))
		}
	}
}
