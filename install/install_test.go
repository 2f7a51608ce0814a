package install

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

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

// List, Find, Uninstall, InUse and Answer see the same installs: only
// folders with a valid receipt count.
func TestManageInstalls(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	for _, v := range []string{"3.13.1", "3.13.2"} {
		f.mirror.Publish(t, f.ss, v, "tar.xz", thomas, google, nil)
		if _, err := Install(ctx, releases.MustVersion(v), f.opts); err != nil {
			t.Fatal(err)
		}
	}
	h := f.opts.Home
	// A folder without a receipt is listed with its problem, never found.
	os.MkdirAll(h.VersionDir("3.13.9"), 0o755)
	rows, err := List(h)
	if err != nil || len(rows) != 3 || rows[0].Version != "3.13.9" || rows[0].Receipt != nil || rows[0].Problem == "" || rows[1].Receipt == nil {
		t.Fatalf("List = %+v, %v", rows, err)
	}
	sp, _ := releases.ParseSpec("3.13")
	if in, err := Find(h, sp); err != nil || in.Version != "3.13.2" {
		t.Errorf("Find(3.13) = %+v, %v; want 3.13.2", in, err)
	}
	if name, ok := Answer(h)(sp); !ok || name.String() != "3.13.2" {
		t.Errorf("Answer(3.13) = %v, %v", name, ok)
	}
	use := InUse(h)
	if !use.Artifacts["Python-3.13.1.tar.xz"] || !use.Artifacts["Python-3.13.2.tar.xz"] || len(use.Artifacts) != 2 {
		t.Errorf("InUse = %+v", use)
	}
	if _, err := UninstallTarget(h, "3.13"); !errors.Is(err, ErrRequest) {
		t.Errorf("uninstall 3.13 with two installed: %v, want ErrRequest", err)
	}
	if dir, err := Uninstall(ctx, h, "3.13.2"); err != nil || dir != h.VersionDir("3.13.2") {
		t.Fatalf("Uninstall: %q %v", dir, err)
	}
	if in, err := Find(h, sp); err != nil || in.Version != "3.13.1" {
		t.Errorf("after uninstall, Find(3.13) = %+v, %v", in, err)
	}
	// A folder without a receipt can be uninstalled too: it is named.
	if name, err := UninstallTarget(h, "3.13"); !errors.Is(err, ErrRequest) || name != "" {
		t.Errorf("UninstallTarget(3.13) with a broken 3.13.9 = %q, %v", name, err)
	}
	if _, err := Uninstall(ctx, h, "3.13.9"); err != nil {
		t.Fatal(err)
	}
	if name, err := UninstallTarget(h, "3.13"); err != nil || name != "3.13.1" {
		t.Errorf("UninstallTarget(3.13) = %q, %v", name, err)
	}
}

// The source tree and the build are the two distributions: names, the
// free-threaded check, and what Install picks.
func TestDistributions(t *testing.T) {
	t.Parallel()
	v := releases.MustVersion("3.12.8")
	if n := (SourceTree{}).Name(v); n.String() != "3.12.8" {
		t.Errorf("source name %s", n)
	}
	ft := Build{Options: &BuildOptions{FreeThreaded: true}}
	if n := ft.Name(releases.MustVersion("3.13.5")); n.String() != "3.13.5t" {
		t.Errorf("free-threaded name %s", n)
	}
	if err := ft.Check(v); !errors.Is(err, ErrRequest) {
		t.Errorf("free-threaded 3.12: %v, want ErrRequest", err)
	}
	if _, ok := (&Options{}).distribution().(SourceTree); !ok {
		t.Error("no Build: not the source tree")
	}
	if d := (&Options{Build: &BuildOptions{}}).distribution(); d.Kind() != KindBuild {
		t.Errorf("Build set: %s", d.Kind())
	}
}

// installed_at is when the install was complete, not when it began.
func TestInstalledAtIsTheEnd(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.mirror.Publish(t, f.ss, "3.13.1", "tar.xz", thomas, google, nil)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	calls := 0
	f.opts.Now = func() time.Time { calls++; return start.Add(time.Duration(calls) * time.Minute) }
	out, err := Install(context.Background(), releases.MustVersion("3.13.1"), f.opts)
	if err != nil {
		t.Fatal(err)
	}
	// The clock is read when the receipt is made and again at the end:
	// installed_at is the later reading.
	if want := start.Add(time.Duration(calls) * time.Minute); calls < 2 || !out.Receipt.InstalledAt.Equal(want) {
		t.Errorf("installed_at %v after %d clock readings, want the last one %v", out.Receipt.InstalledAt, calls, want)
	}
}

// Something planted in versions/ under a version's name (a link, a file)
// is listed with what it is, never followed and never skipped: path and
// upgrade say it is there rather than "nothing is installed".
func TestListShowsWhatIsNotAnInstall(t *testing.T) {
	t.Parallel()
	h := home.Home{Root: t.TempDir()}
	if err := os.MkdirAll(h.Versions(), 0o755); err != nil {
		t.Fatal(err)
	}
	elsewhere := t.TempDir()
	if err := os.Symlink(elsewhere, h.VersionDir("3.13.4")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.VersionDir("3.13.3"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Neither a version nor an install: still skipped.
	os.WriteFile(h.VersionDir("notes.txt"), nil, 0o644)
	rows, err := List(h)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.Version)
		if r.Receipt != nil || r.Problem == "" {
			t.Errorf("%s listed with receipt %v, problem %q; want no receipt and a problem", r.Version, r.Receipt, r.Problem)
		}
	}
	if len(got) != 2 || got[0] != "3.13.4" || got[1] != "3.13.3" {
		t.Fatalf("List = %v, want [3.13.4 3.13.3]", got)
	}
	if !strings.Contains(rows[0].Problem, "symlink") || !strings.Contains(rows[1].Problem, "not a folder (a file)") {
		t.Errorf("problems = %q, %q; want a symlink and not a folder (a file)", rows[0].Problem, rows[1].Problem)
	}
	sp, _ := releases.ParseSpec("3.13.4")
	if _, err := Find(h, sp); !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "no valid pyfetch receipt") {
		t.Errorf("Find(3.13.4) = %v; want it named as there without a valid receipt", err)
	}
	// Uninstall leaves both alone and says how to remove them.
	for _, c := range []struct{ name, says string }{
		{"3.13.4", "is a symlink, not an install"},
		{"3.13.3", "is a file, not an install"},
	} {
		_, err := Uninstall(context.Background(), h, c.name)
		if !errors.Is(err, ErrUntrustedInstall) || !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), "rm "+h.VersionDir(c.name)) || strings.Contains(err.Error(), "uninstall") {
			t.Errorf("Uninstall(%s) = %v; want ErrUntrustedInstall saying %q and how to remove it", c.name, err, c.says)
		}
		if _, err := os.Lstat(h.VersionDir(c.name)); err != nil {
			t.Errorf("Uninstall(%s) removed it: %v", c.name, err)
		}
	}
}
