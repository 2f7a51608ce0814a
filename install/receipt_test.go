package install

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadReceiptEchoesNothing: a receipt is a file someone may have
// planted, so why it is refused is said without its bytes (STYLE 14),
// and briefly, whatever it holds.
func TestReadReceiptEchoesNothing(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("A", 100_000)
	for name, tc := range map[string]struct {
		data, want, secret string
	}{
		"not JSON":           {"{gARBAGE", "not valid JSON (at byte 2)", "gARBAGE"},
		"cut short":          {`{"version": "3.13.5", "sig`, "not valid JSON", "sig"},
		"wrong type":         {`{"version": ["SECRET"]}`, "a JSON array where version was expected", "SECRET"},
		"a time that is not": {`{"version": "3.13.5", "installed_at": "SECRET-TIME"}`, "a field's value does not parse", "SECRET"},
		"a long version":     {`{"version": "` + long + `"}`, `it is not for version "3.13.5" (its version is not one)`, "AAAA"},
		"another version":    {`{"version": "3.13.4"}`, `it is for version "3.13.4", not "3.13.5"`, "\x00"},
	} {
		dir := filepath.Join(t.TempDir(), "3.13.5")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, ReceiptName), []byte(tc.data), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadReceipt(dir)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), tc.secret) || len(err.Error()) > len(dir)+200 {
			t.Errorf("%s: %v", name, err)
		}
	}
}
