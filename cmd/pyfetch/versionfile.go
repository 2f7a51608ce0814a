package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/releases"
)

// versionFileName is the file pyenv, uv and setup-python's
// python-version-file read.
const versionFileName = ".python-version"

// findVersionFile returns the nearest .python-version (the current
// folder, then its parents) and the versions it names, one per line;
// blank lines and # comments are skipped. No file is not an error.
func findVersionFile() (string, []string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", nil, nil
	}
	for {
		p := filepath.Join(dir, versionFileName)
		data, err := readVersionFile(p)
		if err == nil {
			specs, err := parseVersionFile(p, string(data))
			return p, specs, err
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", nil, fmt.Errorf("%w: %s: %v", errUsage, p, err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil, nil
		}
		dir = parent
	}
}

func parseVersionFile(path, content string) ([]string, error) {
	var specs []string
	sc := bufio.NewScanner(strings.NewReader(content))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		if _, err := releases.ParseSpec(line); err != nil {
			return nil, fmt.Errorf("%w: %s line %d: %v", errUsage, path, n, err)
		}
		specs = append(specs, line)
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("%w: %s names no version (expected a line such as 3.13 or 3.13.5)", errUsage, path)
	}
	return specs, nil
}

// readVersionFile reads a project's .python-version. It is the user's own
// file, so a symlink is followed (projects link it), but a FIFO or device
// is refused without blocking, and only the first 64 KiB count.
func readVersionFile(p string) ([]byte, error) {
	f, err := safefile.OpenNamed(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 64<<10))
}
