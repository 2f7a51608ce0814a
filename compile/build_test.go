package compile

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConfigureArgs(t *testing.T) {
	t.Parallel()
	got := strings.Join(ConfigureArgs(Options{Prefix: "/p", Optimize: true, FreeThreaded: true, ConfigureArgs: []string{"--with-x"}}), " ")
	if got != "--prefix=/p --enable-optimizations --with-lto --disable-gil --with-x" {
		t.Errorf("ConfigureArgs = %q", got)
	}
}

func TestAdvice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		osRelease map[string]string
		want      string
	}{
		{map[string]string{"ID": "debian"}, "apt-get install -y libssl-dev tk-dev"},
		{map[string]string{"ID": "pop", "ID_LIKE": "ubuntu debian"}, "apt-get install -y libssl-dev tk-dev"},
		{map[string]string{"ID": "rocky", "ID_LIKE": "rhel centos fedora"}, "dnf install -y openssl-devel tk-devel"},
		{map[string]string{"ID": "alpine"}, "apk add openssl-dev tk-dev"},
		{map[string]string{"ID": "plan9"}, "install the development packages for: ssl, tkinter"},
	}
	for _, tc := range tests {
		if got := Advice([]string{"ssl", "tkinter"}, tc.osRelease); !strings.Contains(got, tc.want) {
			t.Errorf("Advice(%v) = %q, want %q", tc.osRelease, got, tc.want)
		}
	}
}

func TestRequiredNotConfigured(t *testing.T) {
	t.Parallel()
	tests := []struct {
		makefile string
		want     string
	}{
		{"MODULE__SSL_STATE=yes\nMODULE_ZLIB_STATE=yes\n", ""},
		{"MODULE__SSL_STATE=missing\nMODULE_ZLIB_STATE=yes\n", "ssl"},
		{"MODULE_ZLIB_STATE=disabled\nMODULE__SSL_STATE=missing\n", "ssl zlib"},
		{"MODULE__LZMA_STATE=missing\n", ""},    // optional: reported after the build
		{"all:\n\tcc -o python python.c\n", ""}, // before 3.11: no verdicts
	}
	for _, tc := range tests {
		mk := filepath.Join(t.TempDir(), "Makefile")
		os.WriteFile(mk, []byte(tc.makefile), 0o644)
		if got := strings.Join(requiredNotConfigured(mk), " "); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.makefile, got, tc.want)
		}
	}
	if got := requiredNotConfigured(filepath.Join(t.TempDir(), "none")); got != nil {
		t.Errorf("no Makefile: %v", got)
	}
}

func TestTail(t *testing.T) {
	t.Parallel()
	log := filepath.Join(t.TempDir(), "log")
	os.WriteFile(log, []byte("a\nchecking for OpenSSL... no\nb\nchecking zlib... yes\nc\n"), 0o644)
	tests := []struct {
		n     int
		words []string
		want  string
	}{
		{2, nil, "checking zlib... yes\nc"},
		{10, []string{"ssl", "zlib"}, "checking for OpenSSL... no\nchecking zlib... yes"},
		{1, []string{"ssl", "zlib"}, "checking zlib... yes"},
		{10, []string{"lzma"}, ""},
	}
	for _, tc := range tests {
		if got := Tail(log, tc.n, tc.words...); got != tc.want {
			t.Errorf("Tail(%d, %v) = %q, want %q", tc.n, tc.words, got, tc.want)
		}
	}
}

func TestInstallCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind string
		root bool
		want string
	}{
		{"debian", false, "sudo apt-get update && sudo apt-get install -y a b"},
		{"debian", true, "apt-get update && apt-get install -y a b"},
		{"fedora", false, "sudo dnf install -y a b"},
		{"fedora", true, "dnf install -y a b"},
		{"alpine", true, "apk add a b"},
		{"macos", false, "brew install a b"},
		{"macos", true, "brew install a b"},
		{"", false, "a b"},
	}
	for _, tc := range tests {
		if got := installCommand(tc.kind, []string{"a", "b"}, tc.root); got != tc.want {
			t.Errorf("installCommand(%q, root %v) = %q, want %q", tc.kind, tc.root, got, tc.want)
		}
	}
}

func TestPreflight(t *testing.T) {
	t.Parallel()
	if err := Preflight([]string{"PATH=" + t.TempDir()}); !errors.Is(err, ErrToolchain) || !strings.Contains(err.Error(), "cc and make not found") {
		t.Errorf("empty PATH: %v", err)
	}
	bin := t.TempDir()
	for _, tool := range []string{"cc", "make"} {
		os.WriteFile(filepath.Join(bin, tool), []byte("#!/bin/sh\n"), 0o755)
	}
	if err := Preflight([]string{"PATH=" + bin}); err != nil {
		t.Errorf("cc and make present: %v", err)
	}
}

// fakeSource writes a configure that makes a Makefile whose install puts
// a fake python3 (reporting missing) and pip3 into DESTDIR+prefix.
func fakeSource(t *testing.T, missing, makeLine string) string {
	t.Helper()
	src := t.TempDir()
	configure := "#!/bin/sh\nfor a; do case $a in --prefix=*) p=${a#--prefix=};; esac; done\n" +
		"printf 'all:\\n\\t%s\\ninstall:\\n\\tmkdir -p $(DESTDIR)%s/bin\\n\\tcp python3 pip3 $(DESTDIR)%s/bin/\\n' '" + makeLine + "' \"$p\" \"$p\" > Makefile\n"
	os.WriteFile(filepath.Join(src, "configure"), []byte(configure), 0o755)
	os.WriteFile(filepath.Join(src, "python3"), []byte("#!/bin/sh\necho '{\"prefix\": \"x\", \"missing\": "+missing+"}'\n"), 0o755)
	os.WriteFile(filepath.Join(src, "pip3"), []byte("#!/bin/sh\n"), 0o755)
	return src
}

func TestRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, missing, make string
		want                error
		wantMissing         string
	}{
		{"ok", `["tkinter"]`, "true", nil, "tkinter"},
		{"make fails", `[]`, "false", ErrBuild, ""},
		{"zlib missing", `["zlib", "tkinter"]`, "true", ErrRequiredModule, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var log bytes.Buffer
			var phases []string
			stage := t.TempDir()
			res, err := Run(context.Background(), Options{
				Source: fakeSource(t, tc.missing, tc.make), Prefix: "/opt/py", Stage: stage, Jobs: 2, Log: &log,
				Phase: func(p string) { phases = append(phases, p) },
			})
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v\nlog:\n%s", err, tc.want, log.String())
			}
			if err != nil {
				return
			}
			if strings.Join(phases, ",") != "configure,compile,install,checks" || strings.Join(res.Missing, ",") != tc.wantMissing || res.MakeJobs != 2 {
				t.Errorf("phases %v, result %+v", phases, res)
			}
			for _, link := range []string{"python", "pip"} {
				if target, err := os.Readlink(filepath.Join(stage, "opt/py/bin", link)); err != nil || target != link+"3" {
					t.Errorf("%s link: %q %v", link, target, err)
				}
			}
		})
	}
}

// TestRunCancelKillsTheGroup: a cancelled build kills make and every child.
func TestRunCancelKillsTheGroup(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, Options{Source: fakeSource(t, "[]", "sleep 300 & echo $$! > "+pidFile+"; wait"), Prefix: "/opt/py", Stage: t.TempDir()})
		done <- err
	}()
	var pid string
	for i := 0; i < 200 && pid == ""; i++ {
		b, _ := os.ReadFile(pidFile)
		pid = strings.TrimSpace(string(b))
		if pid == "" {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if pid == "" {
		t.Fatal("the build never started")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	for i := 0; i < 100; i++ {
		b, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil || strings.Fields(string(b))[2] == "Z" {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("the build's child %s is still running", pid)
}
