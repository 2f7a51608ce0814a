package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyfetch/pyfetch/install"
)

// The perimeter around the signature: files pyfetch reads that someone
// else wrote, and text from outside that reaches a terminal, a CI log or
// GITHUB_OUTPUT. One attack per case.

// otherUID is a user that is neither the test's nor root.
const otherUID = 4242

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("planting another user's files needs root (CI runs as root)")
	}
}

// A repository's .python-version is hostile: its bytes never reach an
// error message, whatever it links to.
func TestHostileVersionFile(t *testing.T) {
	t.Parallel()
	const secret = "ghp_S3CRETtokenVALUE0123456789"
	for _, tc := range []struct {
		name    string
		plant   func(dir string)
		wantErr string
	}{
		{"a link to a credentials file", func(dir string) {
			creds := filepath.Join(t.TempDir(), ".git-credentials")
			os.WriteFile(creds, []byte("https://x:"+secret+"@github.com\n"), 0o600)
			os.Symlink(creds, filepath.Join(dir, ".python-version"))
		}, "line 1 is not a version spec"},
		{"a link to the process environment", func(dir string) {
			os.Setenv("PYFETCH_TEST_SECRET", secret)
			os.Symlink("/proc/self/environ", filepath.Join(dir, ".python-version"))
		}, "is not a version spec"},
		{"a secret after a good line", func(dir string) {
			os.WriteFile(filepath.Join(dir, ".python-version"), []byte("3.13\n"+secret+"\n"), 0o644)
		}, "line 2 is not a version spec"},
		{"a spec-like prefix", func(dir string) {
			os.WriteFile(filepath.Join(dir, ".python-version"), []byte("3.13.5-"+secret+"\n"), 0o644)
		}, `starting "3.13.5-"`},
		{"a large file", func(dir string) {
			os.WriteFile(filepath.Join(dir, ".python-version"), []byte(strings.Repeat("3.13\n", 2000)), 0o644)
		}, "larger than 4096 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.plant(dir)
			var notes []string
			_, _, err := findVersionFile(dir, func(s string) { notes = append(notes, s) })
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error() + strings.Join(notes, "\n")
			if !strings.Contains(msg, tc.wantErr) {
				t.Errorf("error %q, want it to say %q", msg, tc.wantErr)
			}
			for _, leak := range []string{secret[:12], "S3CRET", "PATH=", "HOME="} {
				if strings.Contains(msg, leak) {
					t.Errorf("error leaks %q: %s", leak, msg)
				}
			}
			if code := exitCode(err); code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
		})
	}
}

// A .python-version in a folder of another user (as /tmp would let any
// user plant one above a checkout) is not used, and that is said.
func TestVersionFileOfAnotherUser(t *testing.T) {
	needRoot(t)
	t.Parallel()
	for _, owner := range []string{"folder", "file"} {
		t.Run(owner, func(t *testing.T) {
			parent := t.TempDir()
			project := filepath.Join(parent, "project")
			os.Mkdir(project, 0o755)
			f := filepath.Join(parent, ".python-version")
			os.WriteFile(f, []byte("3.9\n"), 0o644)
			if owner == "folder" {
				os.Chown(parent, otherUID, otherUID)
			} else {
				os.Chown(f, otherUID, otherUID)
			}
			var notes []string
			file, specs, err := findVersionFile(project, func(s string) { notes = append(notes, s) })
			if err != nil || file != "" || specs != nil {
				t.Fatalf("used %q %v %v", file, specs, err)
			}
			if len(notes) != 1 || !strings.Contains(notes[0], "not using "+f) || !strings.Contains(notes[0], "uid 4242") {
				t.Errorf("notes %q", notes)
			}
		})
	}
}

// installed3131 installs a signed 3.13.1 into e's home.
func (e *env) installed3131() string {
	e.t.Helper()
	e.mirror.Publish(e.t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
	if code, _, stderr := e.run("install", "3.13.1"); code != 0 {
		e.t.Fatal(stderr)
	}
	return filepath.Join(e.home, "versions", "3.13.1")
}

// plantedReceipt is a receipt as a forger would write it.
func plantedReceipt(version string) []byte {
	b, _ := json.Marshal(map[string]any{"version": version, "kind": "build", "artifact": "Python-" + version + ".tar.xz",
		"sha256": strings.Repeat("ab", 32), "signer": "thomas@python.org", "issuer": "https://accounts.google.com"})
	return b
}

// Installed means installed by you: a tree planted where another user
// could put it is never reported as installed, handed out by path, put
// on GITHUB_PATH or skipped over by install.
func TestPlantedInstallIsNotInstalled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		root  bool
		plant func(t *testing.T, home string) // plants versions/3.13.1
		want  string
	}{
		{"versions/ writable by others", false, func(t *testing.T, home string) {
			plantTree(t, filepath.Join(home, "versions"), "3.13.1")
			os.Chmod(filepath.Join(home, "versions"), 0o777)
		}, "chmod go-w"},
		{"versions/ is a symlink", false, func(t *testing.T, home string) {
			elsewhere := t.TempDir()
			plantTree(t, elsewhere, "3.13.1")
			os.Symlink(elsewhere, filepath.Join(home, "versions"))
		}, "is a symlink"},
		{"install folder writable by others", false, func(t *testing.T, home string) {
			plantTree(t, filepath.Join(home, "versions"), "3.13.1")
			os.Chmod(filepath.Join(home, "versions", "3.13.1"), 0o777)
		}, "not trusted"},
		{"install folder is a symlink", false, func(t *testing.T, home string) {
			elsewhere := t.TempDir()
			plantTree(t, elsewhere, "3.13.1")
			os.MkdirAll(filepath.Join(home, "versions"), 0o755)
			os.Symlink(filepath.Join(elsewhere, "3.13.1"), filepath.Join(home, "versions", "3.13.1"))
		}, "not trusted"},
		{"receipt hard-linked", false, func(t *testing.T, home string) {
			plantTree(t, filepath.Join(home, "versions"), "3.13.1")
			os.Link(filepath.Join(home, "versions", "3.13.1", install.ReceiptName), filepath.Join(home, "receipt-copy"))
		}, "hard-linked"},
		{"versions/ of another user", true, func(t *testing.T, home string) {
			plantTree(t, filepath.Join(home, "versions"), "3.13.1")
			os.Chown(filepath.Join(home, "versions"), otherUID, otherUID)
		}, "owner uid 4242"},
		{"install folder of another user", true, func(t *testing.T, home string) {
			plantTree(t, filepath.Join(home, "versions"), "3.13.1")
			os.Chown(filepath.Join(home, "versions", "3.13.1"), otherUID, otherUID)
		}, "owner uid 4242"},
		{"receipt of another user", true, func(t *testing.T, home string) {
			plantTree(t, filepath.Join(home, "versions"), "3.13.1")
			os.Chown(filepath.Join(home, "versions", "3.13.1", install.ReceiptName), otherUID, otherUID)
		}, "owner uid 4242"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.root {
				needRoot(t)
			}
			t.Parallel()
			e := newEnv(t)
			tc.plant(t, e.home)
			ghPath := filepath.Join(t.TempDir(), "gh_path")
			ghOut := filepath.Join(t.TempDir(), "gh_out")
			e.vars["GITHUB_PATH"], e.vars["GITHUB_OUTPUT"] = ghPath, ghOut
			code, stdout, stderr := e.run("path", "3.13")
			if code == 0 || strings.Contains(stdout, "3.13.1") {
				t.Errorf("path handed out the planted tree: exit %d, %q", code, stdout)
			}
			if code, stdout, _ = e.run("list", "--json"); strings.Contains(stdout, `"signer"`) {
				t.Errorf("list reports the planted tree as installed: exit %d, %s", code, stdout)
			}
			// install does not skip it as "already installed".
			e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", thomas, google, nil)
			code, stdout, stderr = e.run("install", "3.13.1")
			if strings.Contains(stdout, "already installed") || code == 0 && !strings.Contains(stdout, "installed 3.13.1") {
				t.Errorf("install: exit %d, stdout %q", code, stdout)
			}
			if code != 0 && !strings.Contains(stderr, tc.want) {
				t.Errorf("install: stderr %q, want it to say %q", stderr, tc.want)
			}
			if b, _ := os.ReadFile(ghPath); code != 0 && len(b) > 0 {
				t.Errorf("GITHUB_PATH got %q", b)
			}
			if b, _ := os.ReadFile(ghOut); code != 0 && len(b) > 0 {
				t.Errorf("GITHUB_OUTPUT got %q", b)
			}
		})
	}
}

// plantTree writes dir/version with a forged receipt.
func plantTree(t *testing.T, dir, version string) {
	t.Helper()
	tree := filepath.Join(dir, version)
	if err := os.MkdirAll(filepath.Join(tree, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(tree, "bin", "python3"), []byte("#!/bin/sh\necho pwned\n"), 0o755)
	if err := os.WriteFile(filepath.Join(tree, install.ReceiptName), plantedReceipt(version), 0o644); err != nil {
		t.Fatal(err)
	}
}

// uninstall, list and path never act through a symlinked versions/.
func TestUninstallThroughSymlinkedVersions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	elsewhere := t.TempDir()
	plantTree(t, elsewhere, "3.13.1")
	os.MkdirAll(e.home, 0o755)
	os.Symlink(elsewhere, filepath.Join(e.home, "versions"))
	code, _, stderr := e.run("uninstall", "3.13.1")
	if code == 0 || !strings.Contains(stderr, "is a symlink") || !strings.Contains(stderr, "rm ") {
		t.Errorf("uninstall: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(elsewhere, "3.13.1", install.ReceiptName)); err != nil {
		t.Errorf("uninstall deleted the folder behind the link: %v", err)
	}
	for _, cmd := range [][]string{{"list"}, {"path", "3.13.1"}} {
		if code, stdout, stderr := e.run(cmd...); code == 0 || !strings.Contains(stderr, "is a symlink") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", cmd, code, stdout, stderr)
		}
	}
}

// A receipt field with a line break cannot add keys to GITHUB_OUTPUT:
// such a receipt is not pyfetch's, and values with line breaks use the
// delimiter syntax.
func TestReceiptInjectionIntoGitHubOutput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := e.installed3131()
	rp := filepath.Join(dir, install.ReceiptName)
	var rc map[string]any
	data, _ := os.ReadFile(rp)
	json.Unmarshal(data, &rc)
	rc["signer"] = "thomas@python.org\npython-path=/tmp/evil"
	data, _ = json.Marshal(rc)
	os.WriteFile(rp, data, 0o644)
	ghOut := filepath.Join(t.TempDir(), "gh_out")
	e.vars["GITHUB_OUTPUT"] = ghOut
	code, stdout, stderr := e.run("install", "3.13.1")
	if b, _ := os.ReadFile(ghOut); strings.Contains(string(b), "/tmp/evil") {
		t.Fatalf("GITHUB_OUTPUT injected: %q", b)
	}
	if code == 0 || !strings.Contains(stderr, "control character or line break") {
		t.Errorf("install: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, stdout, _ := e.run("path", "3.13.1"); code == 0 {
		t.Errorf("path handed out a tree with a forged receipt: %q", stdout)
	}

	var b strings.Builder
	writeOutput(&b, "python-path", "/home/x\npython-path=/tmp/evil")
	lines := strings.Split(b.String(), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "python-path<<ghadelimiter_") || lines[3] != lines[0][len("python-path<<"):] {
		t.Errorf("multi-line value written as %q", b.String())
	}
}

// A hostile mirror's certificate whose SAN holds line breaks and terminal
// escapes cannot forge lines in pyfetch's output: the SAN is printed (in
// "found:") before any trust is established, so it is escaped.
func TestHostileCertificateText(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	san := "mallory@evil.example\n::warning::ok\ninstalled 3.13.1 (signed by thomas@python.org)\x1b[2K"
	e.mirror.Publish(t, e.ss, "3.13.1", "tar.xz", san, google, nil)
	code, stdout, stderr := e.run("install", "3.13.1")
	if code != exitVerify {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, line := range strings.Split(stdout+stderr, "\n") {
		if strings.HasPrefix(line, "::") || strings.HasPrefix(line, "installed") || strings.ContainsRune(line, 0x1b) {
			t.Errorf("forged line %q in output:\n%s", line, stderr)
		}
	}
	if !strings.Contains(stderr, `found:    mallory@evil.example\n::warning::ok\ninstalled`) {
		t.Errorf("the SAN is not shown escaped:\n%s", stderr)
	}
}
