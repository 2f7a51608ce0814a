package safefile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestOpenRefusesPlantedFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	other := filepath.Join(dir, "other")
	os.WriteFile(other, []byte("x"), 0o644)
	tests := []struct {
		name  string
		plant func(p string)
		want  error
	}{
		{"private file", func(p string) { os.WriteFile(p, []byte("x"), 0o644) }, nil},
		{"symlink", func(p string) { os.Symlink(other, p) }, ErrSymlink},
		{"dangling symlink", func(p string) { os.Symlink(filepath.Join(dir, "nowhere"), p) }, ErrSymlink},
		{"hard link", func(p string) { os.Link(other, p) }, ErrHardLinked},
		{"fifo", func(p string) { syscall.Mkfifo(p, 0o644) }, ErrNotRegular},
		{"folder", func(p string) { os.Mkdir(p, 0o755) }, ErrNotRegular},
		{"group-writable", func(p string) { os.WriteFile(p, []byte("x"), 0o600); os.Chmod(p, 0o660) }, ErrForeign},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			tc.plant(p)
			done := make(chan error, 1)
			go func() {
				f, err := Open(p)
				if err == nil {
					f.Close()
				}
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, tc.want) || (tc.want != nil && !errors.Is(err, ErrUntrusted)) {
					t.Errorf("Open: %v, want %v", err, tc.want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Open blocked")
			}
		})
	}
}

func TestReadRegularAndRemove(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, []byte("hello"), 0o666)
	os.Chmod(p, 0o666)
	if b, err := ReadRegular(p, 10); err != nil || string(b) != "hello" {
		t.Errorf("ReadRegular of a world-writable file (content checked later): %q %v", b, err)
	}
	if _, err := ReadRegular(p, 3); err == nil {
		t.Error("ReadRegular ignored the size cap")
	}
	fifo := filepath.Join(dir, "fifo")
	syscall.Mkfifo(fifo, 0o644)
	if _, err := ReadRegular(fifo, 10); !errors.Is(err, ErrNotRegular) {
		t.Errorf("ReadRegular of a FIFO: %v", err)
	}
	link := filepath.Join(dir, "link")
	os.Symlink(p, link)
	if err := Remove(link); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Error("Remove followed the symlink")
	}
	if err := Remove(filepath.Join(dir, "missing")); err != nil {
		t.Errorf("Remove of a missing path: %v", err)
	}
	if err := Remove(dir); err == nil {
		t.Error("Remove took a folder")
	}
}

func TestOpenAppend(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("keep"), 0o644)
	for name, tc := range map[string]struct {
		plant func(p string)
		want  error
	}{
		"symlink":   {func(p string) { os.Symlink(victim, p) }, ErrSymlink},
		"hard link": {func(p string) { os.Link(victim, p) }, ErrHardLinked},
		"FIFO":      {func(p string) { syscall.Mkfifo(p, 0o644) }, ErrNotRegular},
		"new file":  {func(string) {}, nil},
	} {
		p := filepath.Join(dir, name)
		tc.plant(p)
		f, err := OpenAppend(p)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
		if err == nil {
			f.WriteString("x")
			f.Close()
		}
	}
	if data, _ := os.ReadFile(victim); string(data) != "keep" {
		t.Errorf("written through: %q", data)
	}
}

// A pipe the user names is read whether its writer came first (a
// shell's <(...)) or comes after; one nothing writes to is an error
// after the wait, not a hang; a folder is refused, a file is read.
func TestOpenNamedOrPipe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	read := func(t *testing.T, p string, wait time.Duration) (string, error) {
		t.Helper()
		f, err := OpenNamedOrPipe(p, wait)
		if err != nil {
			return "", err
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		return string(b), err
	}
	file := filepath.Join(dir, "root.json")
	os.WriteFile(file, []byte("{}"), 0o644)
	if got, err := read(t, file, time.Minute); got != "{}" || err != nil {
		t.Errorf("a file: %q %v", got, err)
	}
	if _, err := read(t, dir, time.Minute); !errors.Is(err, ErrNotRegular) {
		t.Errorf("a folder: %v", err)
	}
	// The writer comes after the reader: its open waits for the reader.
	fifo := filepath.Join(dir, "later")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Write([]byte(`{"later": true}`))
			w.Close()
		}
	}()
	if got, err := read(t, fifo, time.Minute); got != `{"later": true}` || err != nil {
		t.Errorf("a writer that comes after: %q %v", got, err)
	}
	// The writer came first, as with <(...): an anonymous pipe's
	// /proc/self/fd name.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() { w.Write([]byte("piped")); w.Close() }()
	if got, err := read(t, "/proc/self/fd/"+strconv.Itoa(int(r.Fd())), time.Minute); got != "piped" || err != nil {
		t.Errorf("a shell's <(...): %q %v", got, err)
	}
	// Nobody writes: an error once the wait is over, not a hang.
	none := filepath.Join(dir, "none")
	syscall.Mkfifo(none, 0o600)
	if _, err := read(t, none, 50*time.Millisecond); !errors.Is(err, ErrNoWriter) {
		t.Errorf("a FIFO nobody writes to: %v", err)
	}
}

// A folder is checked to be one: a link or a file under its name says
// which it is.
func TestIsPlainDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := map[string]struct {
		make func(p string)
		want error
		says string
	}{
		"folder": {func(p string) { os.Mkdir(p, 0o700) }, nil, ""},
		"file":   {func(p string) { os.WriteFile(p, nil, 0o600) }, ErrNotDir, "not a folder (a file)"},
		"FIFO":   {func(p string) { syscall.Mkfifo(p, 0o600) }, ErrNotDir, "not a folder (a FIFO)"},
		"link":   {func(p string) { os.Symlink(dir, p) }, ErrSymlink, "a symlink"},
	}
	for name, c := range cases {
		p := filepath.Join(dir, name)
		c.make(p)
		for _, check := range []func(string) error{IsPlainDir, CheckPrivateDir} {
			err := check(p)
			if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
				t.Errorf("%s: %v, want %v", name, err, c.want)
			} else if err != nil && !strings.Contains(err.Error(), c.says) {
				t.Errorf("%s: %q does not say %q", name, err, c.says)
			}
		}
	}
}
