package extract

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/mholt/archives"

	"github.com/pyfetch/pyfetch/internal/osfs"
	"github.com/pyfetch/pyfetch/internal/textsafe"
)

var (
	// ErrUnsafe means the archive tried something pyfetch never unpacks.
	ErrUnsafe = errors.New("unsafe archive")
	// ErrUnsafePath: an entry's path or link target leaves the target dir.
	ErrUnsafePath = fmt.Errorf("%w: path escapes the install dir", ErrUnsafe)
	// ErrLimit: the archive exceeds a size or entry-count cap.
	ErrLimit = fmt.Errorf("%w: archive exceeds a cap", ErrUnsafe)
	// ErrCorrupt: the compressed stream or tar structure is broken.
	ErrCorrupt = errors.New("corrupt archive")
)

// Compression of a tarball.
type Compression string

// Supported compressions.
const (
	Gzip Compression = "gz"
	XZ   Compression = "xz"
	Zstd Compression = "zst"
)

// Limits caps what an archive may unpack to. Zero fields take defaults.
type Limits struct {
	MaxBytes      int64 // total of all file sizes (default 2 GiB)
	MaxEntryBytes int64 // one file (default 512 MiB)
	MaxEntries    int   // entries of every kind (default 50 000)
	// MaxDepth caps the folders in one path (default 64) and MaxPathBytes
	// a path's or link target's length (default 1024), checked before
	// anything is kept per entry: a few deep paths would otherwise cost
	// memory quadratic in their depth.
	MaxDepth     int
	MaxPathBytes int
}

// Default caps: a CPython source release has ~5 000 entries and ~120 MB,
// paths at most 10 folders deep and under 120 bytes long.
const (
	DefaultMaxBytes      = 2 << 30
	DefaultMaxEntryBytes = 512 << 20
	DefaultMaxEntries    = 50_000
	DefaultMaxDepth      = 64
	DefaultMaxPathBytes  = 1024
)

// tailSlack is how much the decompressed stream may hold after the tar's
// end-of-archive marker (tar pads its last record to 10 KiB; some tools
// pad more): anything beyond it is refused, so an archive cannot keep the
// decompressor busy after the tar has ended.
const tailSlack = 1 << 20

// headerSlack bounds what one entry's headers and padding add to the
// decompressed stream beyond its file bytes (a 512-byte header, a PAX or
// GNU long-name record, padding to 512).
const headerSlack = 8 << 10

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxEntryBytes <= 0 {
		l.MaxEntryBytes = DefaultMaxEntryBytes
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxPathBytes <= 0 {
		l.MaxPathBytes = DefaultMaxPathBytes
	}
	return l
}

// Options for Extract.
type Options struct {
	Compression Compression
	// StripPrefix is the single top folder every entry must live under
	// ("Python-3.13.1"); it is removed from the written paths.
	StripPrefix string
	Limits      Limits
	// NoExternal keeps xz decoding in Go even when the system's xz is
	// there (tests of the Go path).
	NoExternal bool
	// Verified says the compressed bytes were checked against a signed
	// digest before Extract saw them (an installer's obtained artifact):
	// the decoders then skip their own check of the decompressed content
	// (xz's CRC-64, zstd's XXH64), which can only find what that digest
	// already ruled out. It is most of a second CPU pass over ~110 MB
	// beside xz's decoder, whose speed an install waits on. The stream's
	// structure and headers are still checked, and so is every tar
	// header. Leave it false for bytes nobody verified.
	Verified bool
	// Flush, when set, is called each time another FlushEvery bytes of
	// file contents have been written (an installer starts the disk's
	// writeback with it, so that making the tree durable at the end
	// waits for little). It runs in the unpacking goroutine: it must
	// return at once.
	Flush func()
}

// FlushEvery is how many bytes of file contents pass between calls of
// Options.Flush: a source tree (~110 MB) calls it about a dozen times.
// Measured on this project's CI machine kind (warm tar.xz installs on
// ext4, medians of 7 and 11 alternating runs): 8 MiB 2.34/2.40 s, 16 MiB
// 2.56/2.73 s, 4 MiB 2.59 s, 32 MiB 2.67 s, never 2.80 s.
const FlushEvery = 8 << 20

// Stats counts what was unpacked.
type Stats struct {
	Files, Dirs, Links int
	Bytes              int64
	// Decoder names what decompressed the stream: DecoderSystemXZ or
	// DecoderGo.
	Decoder string
}

// Decoders Stats.Decoder names.
const (
	DecoderSystemXZ   = "system xz"
	DecoderSystemZstd = "system zstd"
	DecoderGo         = "go"
)

// Extract unpacks a compressed tarball from r into dir, which must exist
// and should be empty. Every write is relative to a folder descriptor
// opened without following links (see tree), so no entry, link or race
// can place a byte outside it; on top of that every
// header is validated before it is acted on (see doc.go). On error, dir
// may hold part of the archive: callers unpack into a temp dir and remove
// it (Install does).
func Extract(ctx context.Context, r io.Reader, dir string, opts Options) (Stats, error) {
	var comp archives.Compression
	switch opts.Compression {
	case Gzip:
		comp = archives.Gz{Multithreaded: true}
	case XZ:
		comp = archives.Xz{}
	case Zstd:
		// A window of at most 64 MiB (pyfetch's packer uses 8 MiB): an
		// archive cannot ask for gigabytes of decoder memory.
		comp = archives.Zstd{DecoderOptions: []zstd.DOption{zstd.WithDecoderMaxWindow(64 << 20), zstd.WithDecoderMaxMemory(4 << 30), zstd.IgnoreChecksum(opts.Verified)}}
	default:
		return Stats{}, fmt.Errorf("extract: unknown compression %q", opts.Compression)
	}
	root, err := osfs.OpenTree(dir)
	if err != nil {
		return Stats{}, fmt.Errorf("extract: %w", err)
	}
	defer root.Close()
	x := &extractor{
		root:      root,
		prefix:    strings.Trim(opts.StripPrefix, "/"),
		lim:       opts.Limits.withDefaults(),
		seen:      map[string]entryKind{},
		folded:    map[string]string{},
		traversed: map[string]bool{},
	}
	x.buf = make([]byte, copyBufSize)
	x.flush, x.nextFlush = opts.Flush, FlushEvery
	handle := func(ctx context.Context, f archives.FileInfo) error {
		if err := x.handle(ctx, f); err != nil {
			x.err = err
			return err
		}
		return nil
	}
	// What the decompressed stream may hold: the files' bytes, each
	// entry's headers, and the slack after the end-of-archive marker.
	budget := x.lim.MaxBytes + int64(x.lim.MaxEntries)*headerSlack + tailSlack
	switch {
	case opts.Compression == XZ && systemXZ != "" && !opts.NoExternal:
		x.stats.Decoder = DecoderSystemXZ
		err = extractWithSystemXZ(ctx, r, budget, handle, opts.Verified)
	case opts.Compression == Zstd && systemZstd != "" && !opts.NoExternal:
		x.stats.Decoder = DecoderSystemZstd
		err = extractWithSystemZstd(ctx, r, budget, handle, opts.Verified)
	default:
		x.stats.Decoder = DecoderGo
		err = extractWith(ctx, comp, r, budget, handle)
	}
	if x.err != nil {
		// The handler's own error, not the library's wrapping of it,
		// which quotes the entry's whole name unescaped.
		err = x.err
	}
	if err != nil && ctx.Err() != nil {
		// Cancelled: a decoder killed mid-stream leaves a cut stream,
		// which is not a corrupt archive.
		err = ctx.Err()
	}
	if err == nil {
		err = x.finish()
	}
	if err != nil {
		// File-system failures (disk full, permissions) are reported as
		// such; anything else from the decoders is a broken archive.
		var pathErr *fs.PathError
		var linkErr *os.LinkError
		if errors.Is(err, ErrUnsafe) || errors.Is(err, ErrCorrupt) || errors.Is(err, context.Canceled) ||
			errors.Is(err, context.DeadlineExceeded) || errors.As(err, &pathErr) || errors.As(err, &linkErr) {
			return x.stats, fmt.Errorf("extract: %w", err)
		}
		return x.stats, fmt.Errorf("extract: %w: %v", ErrCorrupt, err)
	}
	return x.stats, nil
}

type entryKind uint8

const (
	kindDir entryKind = iota + 1
	kindFile
	kindSymlink
)

type extractor struct {
	root    *osfs.Tree
	prefix  string
	lim     Limits
	stats   Stats
	entries int
	seen    map[string]entryKind // every path written, by kind
	folded  map[string]string    // lower-cased path → path, for case collisions
	// traversed holds every path a symlink's target walks through as a
	// folder (see checkLinkTarget).
	traversed map[string]bool
	dirMod    []dirTime
	buf       []byte // copy buffer for file contents
	flush     func() // Options.Flush
	nextFlush int64  // Stats.Bytes at which to call it
	err       error  // the first error handle returned
}

type dirTime struct {
	name string
	t    time.Time
}

// handle unpacks one entry; archives calls it in archive order.
func (x *extractor) handle(ctx context.Context, f archives.FileInfo) error {
	hdr, ok := f.Header.(*tar.Header)
	if !ok {
		return fmt.Errorf("%w: entry %q is not a tar entry", ErrUnsafe, f.NameInArchive)
	}
	x.entries++
	if x.entries > x.lim.MaxEntries {
		return fmt.Errorf("%w: more than %d entries", ErrLimit, x.lim.MaxEntries)
	}
	rel, err := x.relPath(hdr.Name)
	if err != nil {
		return err
	}
	if rel == "." {
		return nil // the top folder itself; dir already exists
	}
	if err := x.checkParents(rel); err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		return x.dir(rel, hdr)
	case tar.TypeReg: // archive/tar reports old-style TypeRegA entries as TypeReg
		return x.file(rel, hdr, f)
	case tar.TypeSymlink:
		return x.symlink(rel, hdr)
	case tar.TypeLink:
		return x.hardlink(rel, hdr)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return fmt.Errorf("%w: %q is a device or fifo node (type %q)", ErrUnsafe, hdr.Name, hdr.Typeflag)
	default:
		return fmt.Errorf("%w: %q has unsupported tar type %q", ErrUnsafe, hdr.Name, hdr.Typeflag)
	}
}

// relPath validates an archive path and returns it relative to the strip
// prefix, or "." for the prefix itself.
func (x *extractor) relPath(name string) (string, error) {
	if len(name) > x.lim.MaxPathBytes {
		return "", fmt.Errorf("%w: a path of %d bytes (cap %d) starting %q", ErrLimit, len(name), x.lim.MaxPathBytes, name[:64])
	}
	if depth := strings.Count(name, "/"); depth > x.lim.MaxDepth {
		return "", fmt.Errorf("%w: a path %d folders deep (cap %d) starting %q", ErrLimit, depth, x.lim.MaxDepth, name[:min(len(name), 64)])
	}
	if name == "" || strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("%w: empty or NUL-containing name %q", ErrUnsafePath, name)
	}
	// No source tree has a name with a control character or line break;
	// refusing them means every path an error quotes prints as itself.
	if !textsafe.Clean(name) {
		return "", fmt.Errorf("%w: the name %q holds a control character or line break", ErrUnsafe, name)
	}
	if strings.HasPrefix(name, "/") || strings.Contains(name, `\`) || (len(name) > 1 && name[1] == ':') {
		return "", fmt.Errorf("%w: absolute path %q", ErrUnsafePath, name)
	}
	for _, el := range strings.Split(name, "/") {
		if el == ".." {
			return "", fmt.Errorf("%w: %q contains \"..\"", ErrUnsafePath, name)
		}
	}
	clean := path.Clean(name)
	if x.prefix == "" {
		return clean, nil
	}
	if clean == x.prefix {
		return ".", nil
	}
	rel, ok := strings.CutPrefix(clean, x.prefix+"/")
	if !ok {
		return "", fmt.Errorf("%w: %q is outside the expected top folder %s/", ErrUnsafePath, name, x.prefix)
	}
	return rel, nil
}

// checkParents refuses an entry below a symlink or a regular file the
// archive made: writing through a link is how archives escape.
func (x *extractor) checkParents(rel string) error {
	for i := 0; i < len(rel); i++ {
		if rel[i] != '/' {
			continue
		}
		switch x.seen[rel[:i]] {
		case kindSymlink:
			return fmt.Errorf("%w: %q would be written through the symlink %q", ErrUnsafePath, rel, rel[:i])
		case kindFile:
			return fmt.Errorf("%w: %q would be written below the file %q", ErrUnsafe, rel, rel[:i])
		}
	}
	return nil
}

// claim records rel as written with kind, refusing duplicates (except a
// directory named twice) and names that differ only by case, which would
// overwrite each other on macOS and Windows file systems.
func (x *extractor) claim(rel string, kind entryKind) error {
	if prev, ok := x.seen[rel]; ok {
		if prev == kindDir && kind == kindDir {
			return nil
		}
		return fmt.Errorf("%w: duplicate entry %q", ErrUnsafe, rel)
	}
	low := strings.ToLower(rel)
	if other, ok := x.folded[low]; ok {
		return fmt.Errorf("%w: %q and %q differ only by case", ErrUnsafe, other, rel)
	}
	x.seen[rel] = kind
	x.folded[low] = rel
	return nil
}

// mkdirParents creates rel's parent folders, recording them as dirs.
func (x *extractor) mkdirParents(rel string) error {
	parent := path.Dir(rel)
	if parent == "." || parent == "/" || x.seen[parent] == kindDir {
		return nil
	}
	if err := x.mkdirParents(parent); err != nil {
		return err
	}
	if err := x.claim(parent, kindDir); err != nil {
		return err
	}
	if err := x.root.Mkdir(parent, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	x.stats.Dirs++
	return nil
}

func (x *extractor) dir(rel string, hdr *tar.Header) error {
	if x.seen[rel] == kindDir {
		return nil
	}
	if err := x.mkdirParents(rel); err != nil {
		return err
	}
	if err := x.claim(rel, kindDir); err != nil {
		return err
	}
	// Owner keeps rwx so the rest of the archive can be written.
	if err := x.root.Mkdir(rel, fs.FileMode(hdr.Mode)&0o777|0o700); err != nil {
		return err
	}
	x.stats.Dirs++
	x.dirMod = append(x.dirMod, dirTime{rel, hdr.ModTime})
	return nil
}

func (x *extractor) file(rel string, hdr *tar.Header, f archives.FileInfo) error {
	if hdr.Size < 0 || hdr.Size > x.lim.MaxEntryBytes {
		return fmt.Errorf("%w: %q declares %d bytes, cap per file is %d", ErrLimit, rel, hdr.Size, x.lim.MaxEntryBytes)
	}
	if x.stats.Bytes+hdr.Size > x.lim.MaxBytes {
		return fmt.Errorf("%w: more than %d bytes in total", ErrLimit, x.lim.MaxBytes)
	}
	if err := x.mkdirParents(rel); err != nil {
		return err
	}
	if err := x.claim(rel, kindFile); err != nil {
		return err
	}
	// setuid, setgid and sticky bits are dropped: source trees need none.
	perm := fs.FileMode(hdr.Mode) & 0o777
	in, err := f.Open()
	if err != nil {
		return err
	}
	defer in.Close()
	// Read at most one byte past the declared size to notice a lie.
	n, err := writeFile(x.root, rel, perm, hdr.ModTime, io.LimitReader(in, hdr.Size+1), x.buf)
	if err != nil {
		return err
	}
	return x.count(rel, n, hdr.Size)
}

// count checks a file's real size against its header and adds it up.
func (x *extractor) count(rel string, n, declared int64) error {
	if n != declared {
		return fmt.Errorf("%w: %q holds %d bytes, header says %d", ErrCorrupt, rel, n, declared)
	}
	x.stats.Files++
	x.stats.Bytes += n
	if x.flush != nil && x.stats.Bytes >= x.nextFlush {
		x.nextFlush = x.stats.Bytes + FlushEvery
		x.flush()
	}
	return nil
}

func (x *extractor) symlink(rel string, hdr *tar.Header) error {
	target := hdr.Linkname
	if len(target) > x.lim.MaxPathBytes || strings.Count(target, "/") > x.lim.MaxDepth {
		return fmt.Errorf("%w: symlink %q has a target of %d bytes (caps: %d bytes, %d folders)", ErrLimit, rel, len(target), x.lim.MaxPathBytes, x.lim.MaxDepth)
	}
	if target == "" || !textsafe.Clean(target) || path.IsAbs(target) || strings.Contains(target, `\`) {
		return fmt.Errorf("%w: symlink %q points to %q (expected a relative path inside the tree)", ErrUnsafePath, rel, target)
	}
	if err := x.checkLinkTarget(rel, target); err != nil {
		return err
	}
	// A later link at a folder an earlier target walked through would
	// change where that target leads.
	if x.traversed[rel] {
		return fmt.Errorf("%w: symlink %q sits where the target of an earlier symlink passes through a folder", ErrUnsafePath, rel)
	}
	if err := x.mkdirParents(rel); err != nil {
		return err
	}
	if err := x.claim(rel, kindSymlink); err != nil {
		return err
	}
	if err := x.root.Symlink(target, rel); err != nil {
		return err
	}
	x.stats.Links++
	return nil
}

// checkLinkTarget walks a symlink's target one element at a time from
// the link's folder, as the kernel would. The walk must never climb above
// the tree's root, and no element before the last may be a symlink: each
// link that is harmless on its own could otherwise chain with another
// (a/b/up -> ../.., then etc -> a/b/up/../../../etc) to point outside.
// Every folder the walk passes through is recorded, so that a symlink
// created there later is refused too. CPython's tarballs hold no
// symlinks at all, so this refuses nothing real.
func (x *extractor) checkLinkTarget(rel, target string) error {
	var stack []string
	if dir := path.Dir(rel); dir != "." {
		stack = strings.Split(dir, "/")
	}
	elems := strings.Split(target, "/")
	var walked []string
	for i, el := range elems {
		switch el {
		case "", ".":
			continue
		case "..":
			if len(stack) == 0 {
				return fmt.Errorf("%w: symlink %q points to %q, outside the tree", ErrUnsafePath, rel, target)
			}
			stack = stack[:len(stack)-1]
		default:
			stack = append(stack, el)
		}
		if i == len(elems)-1 || len(stack) == 0 {
			continue
		}
		cur := strings.Join(stack, "/")
		if x.seen[cur] == kindSymlink {
			return fmt.Errorf("%w: symlink %q points to %q, through the symlink %q", ErrUnsafePath, rel, target, cur)
		}
		walked = append(walked, cur)
	}
	for _, w := range walked {
		x.traversed[w] = true
	}
	return nil
}

func (x *extractor) hardlink(rel string, hdr *tar.Header) error {
	old, err := x.relPath(hdr.Linkname)
	if err != nil {
		return fmt.Errorf("hard link %q: %w", rel, err)
	}
	// Only to a regular file this archive already wrote: never to a
	// folder, a symlink or anything outside.
	if x.seen[old] != kindFile {
		return fmt.Errorf("%w: hard link %q points to %q, which is not a file earlier in the archive", ErrUnsafePath, rel, hdr.Linkname)
	}
	if err := x.mkdirParents(rel); err != nil {
		return err
	}
	if err := x.claim(rel, kindFile); err != nil {
		return err
	}
	if err := x.root.Link(old, rel); err != nil {
		return err
	}
	x.stats.Links++
	return nil
}

// finish sets folder times last, since writing into a folder changes it.
func (x *extractor) finish() error {
	for i := len(x.dirMod) - 1; i >= 0; i-- {
		d := x.dirMod[i]
		if d.t.IsZero() {
			continue
		}
		if err := x.root.Chtimes(d.name, d.t); err != nil {
			return err
		}
	}
	return nil
}
