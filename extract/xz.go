package extract

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/mholt/archives"

	"github.com/pyfetch/pyfetch/internal/osfs"
)

// systemXZ is the system's xz, looked up only in the system's own
// folders (never $PATH): it decodes about twice as fast as the Go
// decoder (the CPU it frees goes to creating files), and it only ever
// sees bytes whose signature was already verified. Empty when absent.
var systemXZ = systemProgram("xz")

// SystemXZ is the system xz Extract runs for .xz ("" when there is none).
func SystemXZ() string { return systemXZ }

// systemZstd is the system's zstd, found and used as systemXZ is: its C
// decoder takes about half the CPU of the Go one.
var systemZstd = systemProgram("zstd")

// systemProgram is the executable name in /usr/bin or /bin ("" when
// neither has it): never looked up through $PATH.
func systemProgram(name string) string {
	for _, dir := range []string{"/usr/bin", "/bin"} {
		p := dir + "/" + name
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// SystemZstd is the system zstd Extract runs for .zst ("" when none).
func SystemZstd() string { return systemZstd }

// extractWith decodes r in-process and unpacks the tar stream, reading at
// most budget decompressed bytes and stopping at the tar's end.
func extractWith(ctx context.Context, comp archives.Decompressor, r io.Reader, budget int64, handle archives.FileHandler) error {
	dec, err := comp.OpenReader(r)
	if err != nil {
		return err
	}
	defer dec.Close()
	return untar(ctx, &capped{r: dec, left: budget}, handle)
}

// extractWithSystemXZ decodes r with the system's xz in a child process
// and unpacks the tar stream from its output, reading at most budget
// bytes of it. The child is killed when extraction stops early (an
// error, the budget, data past the tar's end); a decoding failure is
// ErrCorrupt. verified skips xz's check of the decompressed content
// (Options.Verified).
func extractWithSystemXZ(ctx context.Context, r io.Reader, budget int64, handle archives.FileHandler, verified bool) error {
	args := []string{"--decompress", "--stdout"}
	if verified {
		args = append(args, "--ignore-check")
	}
	return extractWithProgram(ctx, r, budget, handle, systemXZ, args...)
}

// extractWithSystemZstd is extractWithSystemXZ for the system's zstd,
// its window capped as for the Go decoder (64 MiB).
func extractWithSystemZstd(ctx context.Context, r io.Reader, budget int64, handle archives.FileHandler, verified bool) error {
	args := []string{"--decompress", "--stdout", "--quiet", "--memory=64MB"}
	if verified {
		args = append(args, "--no-check")
	}
	return extractWithProgram(ctx, r, budget, handle, systemZstd, args...)
}

// pipeSize is the decoder's output pipe and the buffer it is read
// through: the decoder runs up to this far ahead of file creation.
const pipeSize = 1 << 20

// extractWithProgram is extractWithSystemXZ for any decoder program
// reading stdin and writing stdout.
func extractWithProgram(ctx context.Context, r io.Reader, budget int64, handle archives.FileHandler, prog string, args ...string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Stdin = r
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, pw, err := osfs.Pipe(pipeSize)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd.Stdout = pw
	err = cmd.Start()
	pw.Close() // the child holds the write end now: its exit is our EOF
	if err != nil {
		return err
	}
	// archive/tar reads a header at a time (512 bytes): through a buffer
	// that is one system call per pipe-full, not several per file.
	src := bufio.NewReaderSize(&batchedPipe{f: out, min: batchMin, sleep: time.Sleep}, pipeSize)
	if err := untar(ctx, &capped{r: src, left: budget}, handle); err != nil {
		cancel() // stop xz; the tar error is the one to report
		cmd.Wait()
		return err
	}
	if werr := cmd.Wait(); werr != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: %s: %s", ErrCorrupt, filepath.Base(prog), strings.TrimSpace(firstLine(stderr.String(), werr)))
	}
	return nil
}

// batchedPipe reads a decoder's output pipe in batches. xz writes 8 KiB
// at a time; a reader blocked on the pipe is woken for each of those
// writes (about 14,000 for a CPython tarball), and each wake-up is an
// interrupt sent from the decoder's CPU, costly in a virtual machine.
// So when less than min bytes wait, Read sleeps first (once: then it
// reads what there is, or blocks for it) and lets the decoder fill the
// pipe undisturbed. The sleep adapts to the decoder: it doubles, up to
// batchWait, while a sleep gathers less than min, and halves, down to
// minWait, when one gathers more (a fast decoder, which would otherwise
// sit on a full pipe). Where the bytes waiting cannot be told (not
// Linux), it reads at once.
type batchedPipe struct {
	f     *os.File
	min   int           // batchMin, but for tests
	wait  time.Duration // the next sleep; 0 means minWait
	sleep func(time.Duration)
}

const (
	// batchMin is half the pipe: the decoder keeps writing while the
	// reader sleeps, and the reader is never later than the pipe is full.
	batchMin = pipeSize / 2
	// batchWait is about 250 KiB of xz's output on the CI machine kind
	// (85 MB/s): a fraction of the pipe, so xz never waits on a full one.
	batchWait = 3 * time.Millisecond
	minWait   = 100 * time.Microsecond
)

func (b *batchedPipe) Read(p []byte) (int, error) {
	if n := osfs.Pending(b.f); n >= 0 && n < b.min && n < len(p) {
		b.wait = max(b.wait, minWait)
		b.sleep(b.wait)
		if osfs.Pending(b.f) >= b.min {
			b.wait = max(b.wait/2, minWait)
		} else {
			b.wait = min(b.wait*2, batchWait)
		}
	}
	return b.f.Read(p)
}

// untar unpacks the tar stream, then reads what follows its end-of-archive
// marker up to tailSlack and refuses more: the decompressor is never left
// to run on after the tar has ended.
func untar(ctx context.Context, r *capped, handle archives.FileHandler) error {
	if err := (archives.Tar{}).Extract(ctx, r, handle); err != nil {
		return err
	}
	r.left = min(r.left, tailSlack)
	if _, err := io.Copy(io.Discard, r); err != nil {
		if errors.Is(err, errBudget) {
			return fmt.Errorf("%w: more than %d bytes after the tar archive's end", ErrLimit, tailSlack)
		}
		return err
	}
	return nil
}

var errBudget = fmt.Errorf("%w: the decompressed stream is larger than the archive's caps allow", ErrLimit)

// capped reads at most left bytes, then fails with errBudget.
type capped struct {
	r    io.Reader
	left int64
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// One more byte would exceed the budget: is there one?
		var one [1]byte
		if n, err := c.r.Read(one[:]); n > 0 {
			return 0, errBudget
		} else if err != nil {
			return 0, err
		}
		return 0, nil
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

func firstLine(s string, err error) string {
	if s == "" {
		return err.Error()
	}
	s, _, _ = strings.Cut(s, "\n")
	return s
}
