package install

import (
	"context"
	"errors"
	"testing"

	"github.com/pyfetch/pyfetch/home"
	"github.com/pyfetch/pyfetch/releases"
)

func TestUninstallRefusesNonVersions(t *testing.T) {
	t.Parallel()
	h := home.Home{Root: t.TempDir()}
	for _, bad := range []string{"..", "../x", "/etc", "3.13", ""} {
		if _, err := Uninstall(context.Background(), h, bad); !errors.Is(err, releases.ErrBadVersion) {
			t.Errorf("Uninstall(%q) = %v, want ErrBadVersion", bad, err)
		}
	}
	if _, err := Uninstall(context.Background(), h, "3.13.1"); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("Uninstall of a missing version: %v", err)
	}
}
