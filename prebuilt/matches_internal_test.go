package prebuilt

import (
	"errors"
	"strings"
	"testing"

	"github.com/pyfetch/pyfetch/provenance"
	"github.com/pyfetch/pyfetch/releases"
)

// TestMatchesSaysLittle: a statement is checked against the request
// before it is verified, so what it says is shown escaped and cut short.
func TestMatchesSaysLittle(t *testing.T) {
	t.Parallel()
	v, err := releases.ParseVersion("3.13.5")
	if err != nil {
		t.Fatal(err)
	}
	host := provenance.Platform{OS: "linux", Arch: "x86_64", Libc: "glibc", LibcVersion: "2.36"}
	req := Request{Version: v, Name: "3.13.5", Platform: host}
	long := strings.Repeat("A", 500_000)
	for name, tc := range map[string]struct {
		b    provenance.Build
		want error
	}{
		"version":   {provenance.Build{Version: "3.13.5" + long, Platform: host}, ErrChain},
		"platform":  {provenance.Build{Version: "3.13.5", Platform: provenance.Platform{OS: "linux\x1b[2J" + long, Arch: "x86_64"}}, ErrMismatch},
		"libc":      {provenance.Build{Version: "3.13.5", Platform: provenance.Platform{OS: "linux", Arch: "x86_64", Libc: "glibc", LibcVersion: "9" + long}}, ErrMismatch},
		"options":   {provenance.Build{Version: "3.13.5", Platform: host, Options: provenance.Options{ConfigureArgs: []string{"--with-" + long}}}, ErrMismatch},
		"many args": {provenance.Build{Version: "3.13.5", Platform: host, Options: provenance.Options{ConfigureArgs: strings.Fields(strings.Repeat("--x ", 100_000))}}, ErrMismatch},
	} {
		err := matches(&tc.b, req)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
			continue
		}
		if msg := err.Error(); len(msg) > 800 || strings.Contains(msg, "\x1b") {
			t.Errorf("%s: a message of %d bytes: %.200q", name, len(msg), msg)
		}
	}
	if err := matches(&provenance.Build{Version: "3.13.5", Platform: host}, req); err != nil {
		t.Errorf("the same build: %v", err)
	}
}
