package prebuilt

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/zstd"
)

// TopDir is the single folder every entry of a prebuilt archive lives
// under.
const TopDir = "python"

// Pack writes the install in dir as a zstd-compressed tarball to w:
// files, folders and symbolic links under TopDir/, in a fixed order,
// owned by nobody in particular, with their modes and modification times
// (the bytecode of the standard library checks its sources' times). Files
// named in skip (relative to dir) are left out (the receipt).
func Pack(ctx context.Context, dir string, w io.Writer, skip ...string) error {
	zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	left := map[string]bool{}
	for _, s := range skip {
		left[filepath.ToSlash(s)] = true
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if left[rel] {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		name := TopDir
		if rel != "." {
			name += "/" + rel
		}
		hdr := &tar.Header{Name: name, Mode: int64(fi.Mode().Perm()), ModTime: fi.ModTime().Truncate(time.Second), Format: tar.FormatPAX}
		switch {
		case fi.IsDir():
			hdr.Typeflag, hdr.Name = tar.TypeDir, name+"/"
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
		case fi.Mode().IsRegular():
			hdr.Typeflag, hdr.Size = tar.TypeReg, fi.Size()
		default:
			return fmt.Errorf("pack: %s is neither a file, a folder nor a link", p)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if hdr.Typeflag != tar.TypeReg {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		if n, err := io.Copy(tw, f); err != nil || n != hdr.Size {
			return fmt.Errorf("pack %s: %d of %d bytes: %v (changed while packing?)", p, n, hdr.Size, err)
		}
		return nil
	})
	if err != nil {
		zw.Close()
		return fmt.Errorf("pack %s: %w", dir, err)
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}
