package extract_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/pyfetch/pyfetch/extract"
	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
)

const top = "Python-3.13.1/"

func opts() extract.Options {
	return extract.Options{Compression: extract.Gzip, StripPrefix: "Python-3.13.1"}
}

func TestExtractSourceTree(t *testing.T) {
	t.Parallel()
	for _, c := range []extract.Compression{extract.Gzip, extract.XZ} {
		t.Run(string(c), func(t *testing.T) {
			t.Parallel()
			raw := pyfetchtest.Tar(t, pyfetchtest.SourceTree("3.13.1"))
			data := pyfetchtest.Gzip(t, raw)
			if c == extract.XZ {
				data = pyfetchtest.XZ(t, raw)
			}
			dir := t.TempDir()
			o := opts()
			o.Compression = c
			st, err := extract.Extract(context.Background(), bytes.NewReader(data), dir, o)
			if err != nil {
				t.Fatal(err)
			}
			if st.Files != 6 || st.Links != 2 {
				t.Errorf("stats %+v, want 6 files and 2 links", st)
			}
			got, err := os.ReadFile(filepath.Join(dir, "Include", "patchlevel.h"))
			if err != nil || !strings.Contains(string(got), "3.13.1") {
				t.Errorf("patchlevel.h: %q %v", got, err)
			}
			fi, err := os.Stat(filepath.Join(dir, "configure"))
			if err != nil || fi.Mode().Perm() != 0o755 {
				t.Errorf("configure mode: %v %v", fi, err)
			}
			if !fi.ModTime().Equal(pyfetchtest.ModTime) {
				t.Errorf("configure mtime %v, want %v", fi.ModTime(), pyfetchtest.ModTime)
			}
			if target, err := os.Readlink(filepath.Join(dir, "Lib", "os2.py")); err != nil || target != "os.py" {
				t.Errorf("symlink: %q %v", target, err)
			}
			if b, err := os.ReadFile(filepath.Join(dir, "Lib", "os3.py")); err != nil || string(b) != "# os module\n" {
				t.Errorf("hard link: %q %v", b, err)
			}
		})
	}
}

func TestExtractDropsSetuid(t *testing.T) {
	t.Parallel()
	data := pyfetchtest.Gzip(t, pyfetchtest.Tar(t, []pyfetchtest.Entry{{Name: top + "suid", Body: "x", Mode: 0o4755 | 0o2000}}))
	dir := t.TempDir()
	if _, err := extract.Extract(context.Background(), bytes.NewReader(data), dir, opts()); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "suid"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&(os.ModeSetuid|os.ModeSetgid) != 0 {
		t.Errorf("mode %v keeps setuid/setgid", fi.Mode())
	}
}

// TestExtractRefuses feeds hostile archives; each must fail with the named
// error and leave nothing outside dir.
func TestExtractRefuses(t *testing.T) {
	t.Parallel()
	type E = pyfetchtest.Entry
	tests := []struct {
		name    string
		entries []E
		limits  extract.Limits
		want    error
	}{
		{"dotdot", []E{{Name: top + "../evil", Body: "x"}}, extract.Limits{}, extract.ErrUnsafePath},
		{"dotdot deep", []E{{Name: top + "Lib/../../evil", Body: "x"}}, extract.Limits{}, extract.ErrUnsafePath},
		{"absolute", []E{{Name: "/tmp/evil", Body: "x"}}, extract.Limits{}, extract.ErrUnsafePath},
		{"outside top folder", []E{{Name: "Python-3.13.2/evil", Body: "x"}}, extract.Limits{}, extract.ErrUnsafePath},
		{"symlink absolute", []E{{Name: top + "link", Type: tar.TypeSymlink, Linkname: "/"}}, extract.Limits{}, extract.ErrUnsafePath},
		{"symlink escaping", []E{{Name: top + "link", Type: tar.TypeSymlink, Linkname: "../.."}}, extract.Limits{}, extract.ErrUnsafePath},
		{"write through in-tree symlink", []E{
			{Name: top + "Lib/", Type: tar.TypeDir},
			{Name: top + "link", Type: tar.TypeSymlink, Linkname: "Lib"},
			{Name: top + "link/evil", Body: "x"},
		}, extract.Limits{}, extract.ErrUnsafePath},
		// Each link is harmless alone; chained they point at /etc.
		{"symlink chain out of the tree", []E{
			{Name: top + "a/b/c/d/e/f/g/h/", Type: tar.TypeDir},
			{Name: top + "a/b/c/d/e/f/g/h/up", Type: tar.TypeSymlink, Linkname: "../../../../../../../../"},
			{Name: top + "etc", Type: tar.TypeSymlink, Linkname: "a/b/c/d/e/f/g/h/up/../../../../../../../../../etc"},
		}, extract.Limits{}, extract.ErrUnsafePath},
		// The same chain with the links in the other order.
		{"symlink chain, link created after the target walked through it", []E{
			{Name: top + "a/b/c/d/e/f/g/h/", Type: tar.TypeDir},
			{Name: top + "etc", Type: tar.TypeSymlink, Linkname: "a/b/c/d/e/f/g/h/up/../../../../../../../../../etc"},
			{Name: top + "a/b/c/d/e/f/g/h/up", Type: tar.TypeSymlink, Linkname: "../../../../../../../../"},
		}, extract.Limits{}, extract.ErrUnsafePath},
		{"symlink through a symlink", []E{
			{Name: top + "Lib/", Type: tar.TypeDir},
			{Name: top + "l1", Type: tar.TypeSymlink, Linkname: "Lib"},
			{Name: top + "l2", Type: tar.TypeSymlink, Linkname: "l1/x"},
		}, extract.Limits{}, extract.ErrUnsafePath},
		{"hard link outside", []E{{Name: top + "hl", Type: tar.TypeLink, Linkname: "/etc/passwd"}}, extract.Limits{}, extract.ErrUnsafePath},
		{"hard link to dotdot", []E{{Name: top + "hl", Type: tar.TypeLink, Linkname: top + "../x"}}, extract.Limits{}, extract.ErrUnsafePath},
		{"hard link to later file", []E{{Name: top + "hl", Type: tar.TypeLink, Linkname: top + "x"}, {Name: top + "x", Body: "x"}}, extract.Limits{}, extract.ErrUnsafePath},
		{"char device", []E{{Name: top + "null", Type: tar.TypeChar}}, extract.Limits{}, extract.ErrUnsafe},
		{"block device", []E{{Name: top + "sda", Type: tar.TypeBlock}}, extract.Limits{}, extract.ErrUnsafe},
		{"fifo", []E{{Name: top + "fifo", Type: tar.TypeFifo}}, extract.Limits{}, extract.ErrUnsafe},
		{"duplicate", []E{{Name: top + "a", Body: "1"}, {Name: top + "a", Body: "2"}}, extract.Limits{}, extract.ErrUnsafe},
		{"case collision", []E{{Name: top + "README", Body: "1"}, {Name: top + "readme", Body: "2"}}, extract.Limits{}, extract.ErrUnsafe},
		{"file then dir", []E{{Name: top + "a", Body: "1"}, {Name: top + "a/", Type: tar.TypeDir}}, extract.Limits{}, extract.ErrUnsafe},
		{"below a file", []E{{Name: top + "a", Body: "1"}, {Name: top + "a/b", Body: "2"}}, extract.Limits{}, extract.ErrUnsafe},
		{"entry cap", []E{{Name: top + "a", Body: "1"}, {Name: top + "b", Body: "2"}, {Name: top + "c", Body: "3"}}, extract.Limits{MaxEntries: 2}, extract.ErrLimit},
		{"file cap", []E{{Name: top + "big", Body: strings.Repeat("x", 100)}}, extract.Limits{MaxEntryBytes: 99}, extract.ErrLimit},
		{"total cap", []E{{Name: top + "a", Body: strings.Repeat("x", 60)}, {Name: top + "b", Body: strings.Repeat("x", 60)}}, extract.Limits{MaxBytes: 100}, extract.ErrLimit},
		{"1 GB declared", []E{{Name: top + "huge", Type: tar.TypeReg, Size: 1 << 30}}, extract.Limits{}, extract.ErrLimit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			base := t.TempDir()
			dir := filepath.Join(base, "target")
			os.Mkdir(dir, 0o755)
			o := opts()
			o.Limits = tc.limits
			data := pyfetchtest.Gzip(t, tarAllowingBadSize(t, tc.entries))
			_, err := extract.Extract(context.Background(), bytes.NewReader(data), dir, o)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			assertOnly(t, base, "target")
		})
	}
}

// tarAllowingBadSize builds a tar whose headers may declare more bytes than
// follow (the "1 GB declared" case), which archive/tar's writer refuses.
func tarAllowingBadSize(t *testing.T, entries []pyfetchtest.Entry) []byte {
	t.Helper()
	for _, e := range entries {
		if e.Size != 0 {
			var buf bytes.Buffer
			tw := tar.NewWriter(&buf)
			tw.WriteHeader(&tar.Header{Name: e.Name, Typeflag: tar.TypeReg, Size: e.Size, Mode: 0o644})
			return buf.Bytes() // truncated on purpose
		}
	}
	return pyfetchtest.Tar(t, entries)
}

// assertOnly fails if base holds anything but the named entries.
func assertOnly(t *testing.T, base string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(base)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("%s holds %v, want only %v", base, got, names)
	}
}

// TestExtractCorrupt: a broken gzip or xz stream, or something that is
// not one at all, is ErrCorrupt, never a panic or a partial success.
func TestExtractCorrupt(t *testing.T) {
	t.Parallel()
	tree := pyfetchtest.Tar(t, pyfetchtest.SourceTree("3.13.1"))
	gz, xz := pyfetchtest.Gzip(t, tree), pyfetchtest.XZ(t, tree)
	tests := []struct {
		name   string
		comp   extract.Compression
		data   []byte
		goOnly bool // the Go xz decoder, even where the system's xz is
	}{
		{"gzip truncated", extract.Gzip, gz[:len(gz)/2], false},
		{"gzip flipped", extract.Gzip, flip(gz, len(gz)/2), false},
		{"not gzip", extract.Gzip, []byte("<html>404</html>"), false},
		{"xz truncated", extract.XZ, xz[:len(xz)*2/3], false},
		{"xz flipped", extract.XZ, flip(xz, len(xz)/2), false},
		{"not xz", extract.XZ, []byte("<html>404</html>"), false},
		{"Go xz truncated", extract.XZ, xz[:len(xz)*2/3], true},
		{"Go xz flipped", extract.XZ, flip(xz, len(xz)/2), true},
		{"Go not xz", extract.XZ, []byte("<html>404</html>"), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := opts()
			o.Compression = tc.comp
			o.NoExternal = tc.goOnly
			_, err := extract.Extract(context.Background(), bytes.NewReader(tc.data), t.TempDir(), o)
			if !errors.Is(err, extract.ErrCorrupt) {
				t.Fatalf("got %v, want ErrCorrupt", err)
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0xff
	return c
}

// TestExtractBombs: archives far larger unpacked than packed hit the caps
// with a clear error.
func TestExtractBombs(t *testing.T) {
	t.Parallel()
	type E = pyfetchtest.Entry
	zeros := strings.Repeat("\x00", 8<<20)
	many := make([]E, 0, 100_001)
	for i := range 100_001 {
		many = append(many, E{Name: top + "d" + strconv.Itoa(i/1000) + "/f" + strconv.Itoa(i)})
	}
	tests := []struct {
		name    string
		data    []byte
		limits  extract.Limits
		want    error
		wantMsg string
	}{
		{"1 GB sparse entry", pyfetchtest.Gzip(t, pyfetchtest.SparseTar(top+"huge", 1<<30)), extract.Limits{}, extract.ErrLimit, "declares 1073741824 bytes"},
		{"decompression bomb", pyfetchtest.Gzip(t, pyfetchtest.Tar(t, []E{{Name: top + "zeros", Body: zeros}, {Name: top + "zeros2", Body: zeros}})), extract.Limits{MaxBytes: 12 << 20}, extract.ErrLimit, "more than 12582912 bytes in total"},
		// The cap is lowered so the test does not create 50 000 files first;
		// the default (extract.DefaultMaxEntries) works the same way.
		{"100 000 tiny entries", pyfetchtest.Gzip(t, pyfetchtest.Tar(t, many)), extract.Limits{MaxEntries: 2000}, extract.ErrLimit, "more than 2000 entries"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := opts()
			o.Limits = tc.limits
			_, err := extract.Extract(context.Background(), bytes.NewReader(tc.data), t.TempDir(), o)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("got %v, want %v (%q)", err, tc.want, tc.wantMsg)
			}
		})
	}
}

// TestExtractRefusesWithoutPrefix repeats the path checks with no strip
// prefix, where the ".." and absolute-path checks stand alone (with a
// prefix, the top-folder check would also catch them).
func TestExtractRefusesWithoutPrefix(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"../evil", "a/../../evil", "/abs/evil"} {
		t.Run(name, func(t *testing.T) {
			base := t.TempDir()
			dir := filepath.Join(base, "target")
			os.Mkdir(dir, 0o755)
			data := pyfetchtest.Gzip(t, pyfetchtest.Tar(t, []pyfetchtest.Entry{{Name: name, Body: "x"}}))
			_, err := extract.Extract(context.Background(), bytes.NewReader(data), dir, extract.Options{Compression: extract.Gzip})
			if !errors.Is(err, extract.ErrUnsafePath) {
				t.Fatalf("got %v, want ErrUnsafePath", err)
			}
			assertOnly(t, base, "target")
		})
	}
}

// TestExtractXZBothDecoders: the system's xz and the Go decoder unpack
// the same tree, and each run says which decoder it used.
func TestExtractXZBothDecoders(t *testing.T) {
	t.Parallel()
	if extract.SystemXZ() == "" {
		t.Skip("no /usr/bin/xz or /bin/xz: only the Go decoder can be tested (apt-get install xz-utils)")
	}
	data := pyfetchtest.XZ(t, pyfetchtest.Tar(t, pyfetchtest.SourceTree("3.13.1")))
	for _, goOnly := range []bool{false, true} {
		o := opts()
		o.Compression, o.NoExternal = extract.XZ, goOnly
		dir := t.TempDir()
		st, err := extract.Extract(context.Background(), bytes.NewReader(data), dir, o)
		if err != nil || st.Files != 6 {
			t.Fatalf("Go decoder only %v: %+v %v", goOnly, st, err)
		}
		if want := map[bool]string{false: extract.DecoderSystemXZ, true: extract.DecoderGo}[goOnly]; st.Decoder != want {
			t.Errorf("Go decoder only %v: decoded by %q, want %q", goOnly, st.Decoder, want)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "Include", "patchlevel.h")); err != nil || !strings.Contains(string(b), "3.13.1") {
			t.Errorf("Go decoder only %v: patchlevel.h %q %v", goOnly, b, err)
		}
	}
}

// TestExtractZstdBothDecoders: a zstd tarball (a prebuilt interpreter)
// unpacks alike through the system's zstd and the Go decoder, and a
// corrupt stream is ErrCorrupt from either.
func TestExtractZstdBothDecoders(t *testing.T) {
	t.Parallel()
	if extract.SystemZstd() == "" {
		t.Skip("no /usr/bin/zstd or /bin/zstd: only the Go decoder can be tested (apt-get install zstd)")
	}
	var buf bytes.Buffer
	zw, _ := zstd.NewWriter(&buf)
	zw.Write(pyfetchtest.Tar(t, pyfetchtest.SourceTree("3.13.1")))
	zw.Close()
	data := buf.Bytes()
	for _, goOnly := range []bool{false, true} {
		o := opts()
		o.Compression, o.NoExternal = extract.Zstd, goOnly
		dir := t.TempDir()
		st, err := extract.Extract(context.Background(), bytes.NewReader(data), dir, o)
		if err != nil || st.Files != 6 {
			t.Fatalf("Go decoder only %v: %+v %v", goOnly, st, err)
		}
		if want := map[bool]string{false: extract.DecoderSystemZstd, true: extract.DecoderGo}[goOnly]; st.Decoder != want {
			t.Errorf("Go decoder only %v: decoded by %q, want %q", goOnly, st.Decoder, want)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "Include", "patchlevel.h")); err != nil || !strings.Contains(string(b), "3.13.1") {
			t.Errorf("Go decoder only %v: patchlevel.h %q %v", goOnly, b, err)
		}
		bad := bytes.Clone(data)
		bad[len(bad)/2] ^= 0xff
		if _, err := extract.Extract(context.Background(), bytes.NewReader(bad), t.TempDir(), o); !errors.Is(err, extract.ErrCorrupt) {
			t.Errorf("Go decoder only %v: a corrupt stream: %v, want ErrCorrupt", goOnly, err)
		}
	}
}

// TestExtractDeepAndLongPaths: a path far deeper or longer than any
// source tree's is refused before anything is kept for it.
func TestExtractDeepAndLongPaths(t *testing.T) {
	t.Parallel()
	type E = pyfetchtest.Entry
	deep := top + strings.Repeat("d/", 100) + "f"
	long := top + strings.Repeat("x", 2000)
	for _, tc := range []struct {
		name    string
		entries []E
		want    string
	}{
		{"100 folders deep", []E{{Name: deep, Body: "x"}}, "folders deep"},
		{"a 2000-byte name", []E{{Name: long, Body: "x"}}, "a path of"},
		{"a deep symlink target", []E{{Name: top + "l", Linkname: strings.Repeat("a/", 100) + "b", Type: tar.TypeSymlink}}, "has a target of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data := pyfetchtest.Gzip(t, pyfetchtest.Tar(t, tc.entries))
			dir := t.TempDir()
			_, err := extract.Extract(context.Background(), bytes.NewReader(data), dir, opts())
			if !errors.Is(err, extract.ErrLimit) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrLimit saying %q", err, tc.want)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("wrote %d entries", len(ents))
			}
		})
	}
}

// TestExtractStopsAtTheTarEnd: data after the tar's end-of-archive marker
// (an xz stream of zeros far larger than the archive) is refused within
// a small slack, by both xz decoders and gzip, instead of being
// decompressed to its end.
func TestExtractStopsAtTheTarEnd(t *testing.T) {
	t.Parallel()
	raw := append(pyfetchtest.Tar(t, pyfetchtest.SourceTree("3.13.1")), make([]byte, 8<<20)...)
	for _, tc := range []struct {
		name   string
		comp   extract.Compression
		goOnly bool
	}{{"system xz", extract.XZ, false}, {"Go xz", extract.XZ, true}, {"gzip", extract.Gzip, false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.name == "system xz" && extract.SystemXZ() == "" {
				t.Skip("no system xz")
			}
			data := pyfetchtest.Gzip(t, raw)
			if tc.comp == extract.XZ {
				data = pyfetchtest.XZ(t, raw)
			}
			o := opts()
			o.Compression, o.NoExternal = tc.comp, tc.goOnly
			_, err := extract.Extract(context.Background(), bytes.NewReader(data), t.TempDir(), o)
			if !errors.Is(err, extract.ErrLimit) || !strings.Contains(err.Error(), "after the tar archive's end") {
				t.Fatalf("got %v, want ErrLimit for data after the end", err)
			}
		})
	}
	// Padding within the slack (tar's own 10 KiB records) is fine.
	ok := append(pyfetchtest.Tar(t, pyfetchtest.SourceTree("3.13.1")), make([]byte, 64<<10)...)
	if _, err := extract.Extract(context.Background(), bytes.NewReader(pyfetchtest.XZ(t, ok)), t.TempDir(), extract.Options{Compression: extract.XZ, StripPrefix: "Python-3.13.1"}); err != nil {
		t.Errorf("64 KiB of padding: %v", err)
	}
}

// TestExtractNamesWithControlCharacters: a name or link target with a
// line break or escape is refused, so no error quotes one.
func TestExtractNamesWithControlCharacters(t *testing.T) {
	t.Parallel()
	type E = pyfetchtest.Entry
	for _, e := range []E{
		{Name: top + "a\n::warning::b", Body: "x"},
		{Name: top + "a\x1b[2Jb", Body: "x"},
		{Name: top + "l", Linkname: "a\nb", Type: tar.TypeSymlink},
	} {
		data := pyfetchtest.Gzip(t, pyfetchtest.Tar(t, []E{e}))
		_, err := extract.Extract(context.Background(), bytes.NewReader(data), t.TempDir(), opts())
		if !errors.Is(err, extract.ErrUnsafe) || strings.ContainsAny(err.Error(), "\n\x1b") {
			t.Errorf("%q: got %v, want ErrUnsafe with the name escaped", e.Name, err)
		}
	}
}

// TestExtractCancelWhileDecoderStalls: the system decoders' output is
// read with blocking reads; cancelling while the decoder waits for more
// input stops the decoder and returns the cancellation, not a hang and
// not a "corrupt archive" from the stream it cut short.
func TestExtractCancelWhileDecoderStalls(t *testing.T) {
	t.Parallel()
	// An incompressible filler after the tree: decoders fill their input
	// buffer before decoding, so the stream must be larger than it for
	// the tree to come out before the input ends.
	filler := make([]byte, 256<<10)
	rand.NewChaCha8([32]byte{1}).Read(filler)
	tree := append(pyfetchtest.SourceTree("3.13.1"), pyfetchtest.Entry{Name: top + "Lib/filler.bin", Body: string(filler)})
	raw := pyfetchtest.Tar(t, tree)
	var zbuf bytes.Buffer
	zw, _ := zstd.NewWriter(&zbuf)
	zw.Write(raw)
	zw.Close()
	for _, tc := range []struct {
		c      extract.Compression
		system string
		data   []byte
	}{
		{extract.XZ, extract.SystemXZ(), pyfetchtest.XZ(t, raw)},
		{extract.Zstd, extract.SystemZstd(), zbuf.Bytes()},
	} {
		t.Run(string(tc.c), func(t *testing.T) {
			t.Parallel()
			if tc.system == "" {
				t.Skipf("no system decoder for %s in /usr/bin or /bin (apt-get install xz-utils zstd)", tc.c)
			}
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer pr.Close()
			defer pw.Close()
			// The whole stream but no end of input until the test ends:
			// the decoder writes out the tree and waits for more.
			go pw.Write(tc.data)
			ctx, cancel := context.WithCancel(context.Background())
			o := opts()
			o.Compression = tc.c
			dir := t.TempDir()
			done := make(chan error, 1)
			go func() {
				_, err := extract.Extract(ctx, pr, dir, o)
				done <- err
			}()
			// Cancel once the unpacker is well inside the stream.
			for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
				if _, err := os.Lstat(filepath.Join(dir, "Include", "patchlevel.h")); err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("nothing was unpacked within a minute")
				}
			}
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("cancelled with the decoder waiting for input: %v, want context.Canceled", err)
				}
			case <-time.After(time.Minute):
				t.Fatal("Extract did not return within a minute of its context being cancelled")
			}
		})
	}
}

// TestExtractFlush: Options.Flush is called once per FlushEvery bytes of
// file contents written, from the unpacking goroutine.
func TestExtractFlush(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("\x00", extract.FlushEvery/2+1)
	tree := pyfetchtest.SourceTree("3.13.1")
	for i := range 5 {
		tree = append(tree, pyfetchtest.Entry{Name: top + "Lib/big" + strconv.Itoa(i), Body: big})
	}
	// Five files of just over half a step: past 1, 2 steps after the
	// 2nd and 4th file (the first call comes at FlushEvery, not at 0).
	calls := 0
	o := opts()
	o.Flush = func() { calls++ }
	st, err := extract.Extract(context.Background(), bytes.NewReader(pyfetchtest.Gzip(t, pyfetchtest.Tar(t, tree))), t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	if want := int(st.Bytes / extract.FlushEvery); calls != want || want != 2 {
		t.Errorf("Flush called %d times for %d bytes, want %d (2)", calls, st.Bytes, want)
	}
}

// TestExtractVerifiedSkipsContentCheck: with Options.Verified (bytes an
// installer checked against a signed digest) the decoders skip their
// own check of the decompressed content; without it a wrong check value
// is ErrCorrupt. The streams differ from valid ones in the check value
// alone, so the tree unpacks whole when the check is skipped.
func TestExtractVerifiedSkipsContentCheck(t *testing.T) {
	t.Parallel()
	raw := pyfetchtest.Tar(t, pyfetchtest.SourceTree("3.13.1"))
	var zbuf bytes.Buffer
	zw, _ := zstd.NewWriter(&zbuf) // writes the XXH64 content checksum
	zw.Write(raw)
	zw.Close()
	tests := []struct {
		name    string
		comp    extract.Compression
		data    []byte
		goOnly  bool
		program string // the system decoder the case needs ("" for Go)
	}{
		{"system xz", extract.XZ, badXZCheck(t, pyfetchtest.XZ(t, raw)), false, extract.SystemXZ()},
		{"system zstd", extract.Zstd, badZstdCheck(t, zbuf.Bytes()), false, extract.SystemZstd()},
		{"Go zstd", extract.Zstd, badZstdCheck(t, zbuf.Bytes()), true, "go"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.program == "" {
				t.Skip("no system decoder for this case (apt-get install xz-utils zstd)")
			}
			for _, verified := range []bool{false, true} {
				o := opts()
				o.Compression, o.NoExternal, o.Verified = tc.comp, tc.goOnly, verified
				dir := t.TempDir()
				st, err := extract.Extract(context.Background(), bytes.NewReader(tc.data), dir, o)
				if !verified {
					if !errors.Is(err, extract.ErrCorrupt) {
						t.Errorf("not verified: got %+v %v, want ErrCorrupt for a wrong check value", st, err)
					}
					continue
				}
				if err != nil || st.Files != 6 {
					t.Fatalf("verified: got %+v %v, want the whole tree", st, err)
				}
				if b, err := os.ReadFile(filepath.Join(dir, "Include", "patchlevel.h")); err != nil || !strings.Contains(string(b), "3.13.1") {
					t.Errorf("verified: patchlevel.h %q %v", b, err)
				}
			}
		})
	}
}

// badXZCheck flips the first byte of the check value of a single-block
// .xz stream: the bytes just before the index, which the stream footer
// locates (Backward Size) and sizes (the check type in its flags).
func badXZCheck(t *testing.T, x []byte) []byte {
	t.Helper()
	n := len(x)
	if n < 24 || string(x[n-2:]) != "YZ" {
		t.Fatalf("not an .xz stream ending in a footer")
	}
	index := (int(x[n-8]) | int(x[n-7])<<8 | int(x[n-6])<<16 | int(x[n-5])<<24 + 1) * 4
	size := map[byte]int{0x01: 4, 0x04: 8, 0x0a: 32}[x[n-3]&0x0f]
	if size == 0 {
		t.Fatalf("check type %#x: want CRC-32, CRC-64 or SHA-256", x[n-3]&0x0f)
	}
	return flip(x, n-12-index-size)
}

// badZstdCheck flips the last byte of a one-frame .zst stream: its
// content checksum.
func badZstdCheck(t *testing.T, z []byte) []byte {
	t.Helper()
	if len(z) < 8 || z[4]&0x04 == 0 {
		t.Fatalf("the frame has no content checksum")
	}
	return flip(z, len(z)-1)
}
