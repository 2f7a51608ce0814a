package pyfetchtest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
	"time"

	"github.com/ulikunitz/xz"
)

// Entry is one tar entry of a generated archive.
type Entry struct {
	Name     string
	Body     string
	Type     byte // tar.TypeReg when zero
	Linkname string
	Mode     int64 // 0o644 (files) or 0o755 (dirs) when zero
	Size     int64 // overrides len(Body) in the header when non-zero
}

// ModTime is the time stamped on generated entries.
var ModTime = time.Date(2024, 12, 3, 12, 0, 0, 0, time.UTC)

// Tar builds an uncompressed tar from entries.
func Tar(t testing.TB, entries []Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, Typeflag: e.Type, Linkname: e.Linkname, Mode: e.Mode, ModTime: ModTime, Format: tar.FormatPAX}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
			if h.Typeflag == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.Body))
		}
		if e.Size != 0 {
			h.Size = e.Size
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("tar header %q: %v", e.Name, err)
		}
		if h.Typeflag == tar.TypeReg && e.Body != "" {
			if _, err := tw.Write([]byte(e.Body)); err != nil {
				t.Fatalf("tar body %q: %v", e.Name, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Gzip compresses data.
func Gzip(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// XZ compresses data.
func XZ(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := xz.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// SourceTree returns the entries of a small CPython-like source release.
func SourceTree(version string) []Entry {
	top := "Python-" + version + "/"
	return []Entry{
		{Name: top, Type: tar.TypeDir},
		{Name: top + "README.rst", Body: "This is Python version " + version + "\n"},
		{Name: top + "configure", Body: "#!/bin/sh\necho configuring " + version + "\n", Mode: 0o755},
		{Name: top + "Include/", Type: tar.TypeDir},
		{Name: top + "Include/patchlevel.h", Body: "#define PY_VERSION \"" + version + "\"\n"},
		{Name: top + "Lib/os.py", Body: "# os module\n"},
		{Name: top + "Lib/test/data.txt", Body: "data\n"},
		{Name: top + "Misc/python-config.sh", Body: "#!/bin/sh\n", Mode: 0o755},
		{Name: top + "Lib/os2.py", Type: tar.TypeSymlink, Linkname: "os.py"},
		{Name: top + "Lib/os3.py", Type: tar.TypeLink, Linkname: top + "Lib/os.py"},
	}
}

// BuildSpec describes a fake CPython source whose ./configure writes a
// tiny Makefile, for testing install --build without a compiler run.
type BuildSpec struct {
	Configure string // extra shell lines at the end of configure (e.g. "exit 1")
	Make      string // the shell line of make's default target
	// Missing is the JSON list of modules the fake interpreter reports as
	// not importable, e.g. `["ssl"]` ("[]" when empty).
	Missing string
	// Makefile is appended to the Makefile configure writes, as CPython's
	// configure adds "MODULE__SSL_STATE=missing" and the like.
	Makefile string
}

// BuildableSource is SourceTree plus a configure script, a fake python3
// and a fake pip3 following spec.
func BuildableSource(version string, spec BuildSpec) []Entry {
	top := "Python-" + version + "/"
	if spec.Missing == "" {
		spec.Missing = "[]"
	}
	if spec.Make == "" {
		spec.Make = "echo compiling"
	}
	configure := "#!/bin/sh\nprefix=\nfor a in \"$@\"; do case \"$a\" in --prefix=*) prefix=\"${a#--prefix=}\";; esac; done\n" +
		"echo \"configure $*\"\n" + spec.Configure + "\n" +
		"printf 'PREFIX=%s\\nall:\\n\\t%s\\ninstall:\\n\\tmkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib\\n\\tcp fake/python3 fake/pip3 $(DESTDIR)$(PREFIX)/bin/\\n\\tmkdir -p $(DESTDIR)$(PREFIX)/lib/pkgconfig\\n\\techo prefix=$(PREFIX) > $(DESTDIR)$(PREFIX)/lib/pkgconfig/python3.pc\\n' \"$prefix\" '" + strings.ReplaceAll(spec.Make, "'", `'\''`) + "' > Makefile\n"
	if spec.Makefile != "" {
		configure += "cat >> Makefile <<'EOF'\n" + spec.Makefile + "\nEOF\n"
	}
	var out []Entry
	for _, e := range SourceTree(version) {
		if e.Name == top+"configure" {
			e.Body = configure
		}
		out = append(out, e)
	}
	return append(out,
		Entry{Name: top + "fake/python3", Mode: 0o755, Body: "#!/bin/sh\necho '{\"prefix\": \"x\", \"missing\": " + spec.Missing + "}'\n"},
		Entry{Name: top + "fake/pip3", Mode: 0o755, Body: "#!/bin/sh\necho pip 25.0\n"},
	)
}
