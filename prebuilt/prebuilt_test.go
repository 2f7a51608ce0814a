package prebuilt_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pyfetch/pyfetch/extract"
	"github.com/pyfetch/pyfetch/prebuilt"
	"github.com/pyfetch/pyfetch/provenance"
)

func TestRuns(t *testing.T) {
	host := provenance.Platform{OS: "linux", Arch: "x86_64", Libc: "gnu", LibcVersion: "2.36"}
	tests := []struct {
		built provenance.Platform
		want  bool
	}{
		{host, true},
		{provenance.Platform{OS: "linux", Arch: "x86_64", Libc: "gnu", LibcVersion: "2.31"}, true},
		{provenance.Platform{OS: "linux", Arch: "x86_64", Libc: "gnu", LibcVersion: "2.39"}, false},
		{provenance.Platform{OS: "linux", Arch: "x86_64", Libc: "gnu", LibcVersion: "2.36.1"}, false},
		{provenance.Platform{OS: "linux", Arch: "aarch64", Libc: "gnu", LibcVersion: "2.36"}, false},
		{provenance.Platform{OS: "linux", Arch: "x86_64", Libc: "musl"}, false},
		{provenance.Platform{OS: "darwin", Arch: "x86_64"}, false},
		{provenance.Platform{OS: "linux", Arch: "x86_64", Libc: "gnu", LibcVersion: "x"}, false},
	}
	for _, tc := range tests {
		if got := prebuilt.Runs(tc.built, host); got != tc.want {
			t.Errorf("Runs(%+v) = %v, want %v", tc.built, got, tc.want)
		}
	}
}

func TestArchiveName(t *testing.T) {
	p := provenance.Platform{OS: "linux", Arch: "x86_64", Libc: "gnu", LibcVersion: "2.36"}
	a := prebuilt.ArchiveName("3.13.5", p, provenance.Options{})
	if a != prebuilt.ArchiveName("3.13.5", p, provenance.Options{ConfigureArgs: []string{}}) {
		t.Error("nil and empty configure arguments name different archives")
	}
	for _, o := range []provenance.Options{{Optimize: true}, {FreeThreaded: true}, {ConfigureArgs: []string{"--with-x"}}} {
		if prebuilt.ArchiveName("3.13.5", p, o) == a {
			t.Errorf("options %+v share the default's name", o)
		}
	}
	if want := "cpython-3.13.5-linux-x86_64-gnu-"; a[:len(want)] != want || filepath.Ext(a) != ".zst" {
		t.Errorf("name %s", a)
	}
}

// TestPackRelocate packs a prefix, unpacks it elsewhere with the
// extractor installs use, and relocates it: links, modes and times
// survive, text recording the prefix is rewritten, binaries and other
// files are not, and stale bytecode of rewritten modules goes.
func TestPackRelocate(t *testing.T) {
	old := filepath.Join(t.TempDir(), "builder", "versions", "3.13.5")
	files := map[string]string{
		"bin/python3.13":               "\x7fELF\x00" + old + "\x00binary",
		"bin/pip3":                     "#!" + old + "/bin/python3.13\nimport pip\n",
		"bin/python3.13-config":        "#!/bin/sh\nprefix_build=\"" + old + "\"\n",
		"lib/pkgconfig/python-3.13.pc": "prefix=" + old + "\n",
		"lib/python3.13/_sysconfigdata__linux_x86_64-linux-gnu.py":                          "build_time_vars = {'prefix': '" + old + "'}\n",
		"lib/python3.13/__pycache__/_sysconfigdata__linux_x86_64-linux-gnu.cpython-313.pyc": "stale",
		"lib/python3.13/__pycache__/os.cpython-313.pyc":                                     "kept",
		"lib/python3.13/config-3.13-x86_64-linux-gnu/Makefile":                              "prefix=\t" + old + "\n",
		"lib/python3.13/os.py":  "# " + old + " is not rewritten here\n",
		".pyfetch-receipt.json": "{}",
	}
	for name, body := range files {
		p := filepath.Join(old, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		mode := os.FileMode(0o644)
		if filepath.Dir(name) == "bin" {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
	}
	os.Symlink("python3.13", filepath.Join(old, "bin", "python3"))
	when := time.Date(2025, 6, 11, 10, 0, 0, 0, time.UTC)
	os.Chtimes(filepath.Join(old, "lib/python3.13/os.py"), when, when)

	var buf bytes.Buffer
	if err := prebuilt.Pack(context.Background(), old, &buf, ".pyfetch-receipt.json"); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "runner", "somewhere", "else", "3.13.5")
	os.MkdirAll(dst, 0o755)
	if _, err := extract.Extract(context.Background(), &buf, dst, extract.Options{Compression: extract.Zstd, StripPrefix: prebuilt.TopDir}); err != nil {
		t.Fatal(err)
	}
	done, err := prebuilt.Relocate(dst, old, dst)
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 5 {
		t.Errorf("rewrote %v, want pip3, python3.13-config, the .pc, _sysconfigdata and the Makefile", done)
	}
	read := func(name string) string { b, _ := os.ReadFile(filepath.Join(dst, name)); return string(b) }
	for name, want := range map[string]string{
		"bin/pip3":                     "#!" + dst + "/bin/python3.13\nimport pip\n",
		"lib/pkgconfig/python-3.13.pc": "prefix=" + dst + "\n",
		"bin/python3.13":               files["bin/python3.13"],
		"lib/python3.13/os.py":         files["lib/python3.13/os.py"],
		"lib/python3.13/_sysconfigdata__linux_x86_64-linux-gnu.py": "build_time_vars = {'prefix': '" + dst + "'}\n",
	} {
		if got := read(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dst, "lib/python3.13/__pycache__/_sysconfigdata__linux_x86_64-linux-gnu.cpython-313.pyc")); err == nil {
		t.Error("the stale bytecode of _sysconfigdata stayed")
	}
	if read("lib/python3.13/__pycache__/os.cpython-313.pyc") != "kept" {
		t.Error("other bytecode went")
	}
	if _, err := os.Stat(filepath.Join(dst, ".pyfetch-receipt.json")); err == nil {
		t.Error("the builder's receipt was packed")
	}
	if l, err := os.Readlink(filepath.Join(dst, "bin", "python3")); err != nil || l != "python3.13" {
		t.Errorf("link: %q %v", l, err)
	}
	if fi, err := os.Stat(filepath.Join(dst, "bin", "pip3")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("pip3 mode %v %v", fi.Mode(), err)
	}
	if fi, err := os.Stat(filepath.Join(dst, "lib/python3.13/os.py")); err != nil || !fi.ModTime().Equal(when) {
		t.Errorf("os.py time %v, want %v (bytecode checks it)", fi.ModTime(), when)
	}
	if _, err := prebuilt.Relocate(dst, "relative", dst); err == nil {
		t.Error("a relative prefix was accepted")
	}
}
