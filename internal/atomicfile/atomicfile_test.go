package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWrite: both ways replace a file's content in one step with the
// permissions asked for, create missing folders and leave no temp file.
func TestWrite(t *testing.T) {
	t.Parallel()
	for name, write := range map[string]func(string, []byte, os.FileMode) error{"WriteFile": WriteFile, "WriteStaged": WriteStaged} {
		dir := t.TempDir()
		p := filepath.Join(dir, "sub", "receipt.json")
		for _, content := range []string{"one", "two"} {
			if err := write(p, []byte(content), 0o640); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if b, err := os.ReadFile(p); err != nil || string(b) != content {
				t.Errorf("%s: read %q %v, want %q", name, b, err, content)
			}
		}
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o640 {
			t.Errorf("%s: mode %v %v, want 0640", name, fi, err)
		}
		if ents, _ := os.ReadDir(filepath.Dir(p)); len(ents) != 1 {
			t.Errorf("%s: the folder holds %d entries, want only the file", name, len(ents))
		}
	}
}
