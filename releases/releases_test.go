package releases

import (
	"errors"
	"strings"
	"testing"

	"github.com/pyfetch/pyfetch/internal/textsafe"
)

func TestParseVersion(t *testing.T) {
	t.Parallel()
	good := map[string]Version{
		"3.13.1":    {3, 13, 1, "", 0},
		"3.14.0rc1": {3, 14, 0, "rc", 1},
		"3.15.0a1":  {3, 15, 0, "a", 1},
		"3.9.0b5":   {3, 9, 0, "b", 5},
	}
	for s, want := range good {
		got, err := ParseVersion(s)
		if err != nil || got != want || got.String() != s {
			t.Errorf("ParseVersion(%q) = %+v, %v", s, got, err)
		}
		if got := MustVersion(s); got != want {
			t.Errorf("MustVersion(%q) = %+v", s, got)
		}
	}
	for _, s := range []string{"", "3", "3.13", "3.13.1.2", "v3.13.1", "3.13.1c1", "3.13.1rc", " 3.13.1", "3.13.1\n", "3.13.x", "../3.13.1"} {
		if _, err := ParseVersion(s); !errors.Is(err, ErrBadVersion) {
			t.Errorf("ParseVersion(%q) accepted", s)
		}
		func() {
			defer func() {
				if err, _ := recover().(error); !errors.Is(err, ErrBadVersion) {
					t.Errorf("MustVersion(%q) did not panic with ErrBadVersion: %v", s, err)
				}
			}()
			MustVersion(s)
		}()
	}
}

func TestCompare(t *testing.T) {
	t.Parallel()
	ordered := []string{"3.9.20", "3.13.0a1", "3.13.0b2", "3.13.0rc1", "3.13.0rc2", "3.13.0", "3.13.9", "3.13.10", "3.14.0"}
	for i := range ordered {
		for j := range ordered {
			a, _ := ParseVersion(ordered[i])
			b, _ := ParseVersion(ordered[j])
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := a.Compare(b); got != want {
				t.Errorf("%s vs %s = %d, want %d", a, b, got, want)
			}
		}
	}
}

func TestArtifactLocation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		version, mirror string
		format          Format
		want            string
	}{
		{"3.13.1", DefaultMirror, TGZ, "https://www.python.org/ftp/python/3.13.1/Python-3.13.1.tgz"},
		{"3.14.0rc1", DefaultMirror, TarXZ, "https://www.python.org/ftp/python/3.14.0/Python-3.14.0rc1.tar.xz"},
		{"3.13.1", "http://127.0.0.1:8080/py", TGZ, "http://127.0.0.1:8080/py/3.13.1/Python-3.13.1.tgz"},
		{"3.13.1", "file:///srv/mirror/", TarXZ, "file:///srv/mirror/3.13.1/Python-3.13.1.tar.xz"},
		{"3.13.1", "/srv/mirror", TGZ, "file:///srv/mirror/3.13.1/Python-3.13.1.tgz"},
		{"3.13.1", "file://localhost/srv/m", TGZ, "file:///srv/m/3.13.1/Python-3.13.1.tgz"},
	}
	for _, tc := range tests {
		v, _ := ParseVersion(tc.version)
		m, err := ParseMirror(tc.mirror)
		got := Artifact{v, tc.format}.URL(m)
		if err != nil || got != tc.want {
			t.Errorf("URL(%s, %s) = %q, %v; want %q", tc.version, tc.mirror, got, err, tc.want)
		}
	}
	for _, bad := range []string{"ftp://x/", "x", "http://", "file://", "javascript:alert(1)", "file://./rel", "file://host/x", "file:rel", "mirror/"} {
		if _, err := ParseMirror(bad); err == nil {
			t.Errorf("ParseMirror(%q) accepted", bad)
		}
	}
}

// A mirror's credentials (https://user:pass@host/) are kept apart: no URL
// it builds carries them, and no error about it shows them.
func TestMirrorCredentials(t *testing.T) {
	t.Parallel()
	m, err := ParseMirror("https://ci:s3cret@mirror.example:8443/python")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := ParseVersion("3.13.1")
	for _, got := range []string{m.String(), m.Dir(""), m.Dir("3.13.1"), Artifact{v, TGZ}.URL(m)} {
		if strings.Contains(got, "s3cret") || strings.Contains(got, "ci:") || strings.Contains(got, "@") {
			t.Errorf("a URL carries the credentials: %q", got)
		}
	}
	origin, user := m.Credentials()
	pass, _ := user.Password()
	if origin != "https://mirror.example:8443" || user.Username() != "ci" || pass != "s3cret" {
		t.Errorf("Credentials() = %q, %v", origin, user)
	}
	if _, user := MustMirror(DefaultMirror).Credentials(); user != nil {
		t.Errorf("python.org has credentials: %v", user)
	}
	for _, bad := range []string{
		"ftp://ci:s3cret@host/",
		"https://ci:s3cret@host:port/",
		"https://ci:s3cret@[::1/",
		"s3://ci:s3cret@bucket/p/",
		"file://ci:s3cret@/srv/m/",
		"https://s3cret@host:x/",
	} {
		_, err := ParseMirror(bad)
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ParseMirror(%q): %v", bad, err)
		}
	}
	for in, want := range map[string]string{
		"https://ci:s3cret@host/p/":   "https://xxxxx@host/p/",
		"https://s3cret@host/":        "https://xxxxx@host/",
		"https://ci:s3cret@[::1/p":    "https://xxxxx@[::1/p",
		"https://host/p/":             "https://host/p/",
		"/srv/mirror":                 "/srv/mirror",
		"s3://":                       "s3://",
		"s3://key:s3cret@bucket/x/?q": "s3://xxxxx@bucket/x/?q",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSignerFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		version, identity, issuer string
		err                       error
		missing                   bool // ExplainMissing names it as never signed
	}{
		{"3.7.14", "nad@python.org", IssuerGitHub, nil, false},
		{"3.7.13", "nad@python.org", IssuerGitHub, nil, true},
		{"3.8.14", "lukasz@langa.pl", IssuerGitHub, nil, false},
		{"3.8.13", "lukasz@langa.pl", IssuerGitHub, nil, true},
		{"3.9.20", "lukasz@langa.pl", IssuerGitHub, nil, false},
		{"3.10.7", "pablogsal@python.org", IssuerGoogle, nil, false},
		// Signed after the fact: a bundle that exists is verified.
		{"3.10.1", "pablogsal@python.org", IssuerGoogle, nil, true},
		{"3.11.0", "pablogsal@python.org", IssuerGoogle, nil, false},
		{"3.11.0rc2", "pablogsal@python.org", IssuerGoogle, nil, true},
		{"3.12.0", "thomas@python.org", IssuerGoogle, nil, false},
		{"3.13.1", "thomas@python.org", IssuerGoogle, nil, false},
		{"3.14.0", "hugo@python.org", IssuerGitHub, nil, false},
		{"3.15.0a1", "hugo@python.org", IssuerGitHub, nil, false},
		{"3.16.0", "", "", ErrUnknownLine, false},
		{"3.6.15", "", "", ErrUnsigned, false},
		{"2.7.18", "", "", ErrUnsigned, false},
	}
	table := DefaultTable()
	for _, tc := range tests {
		v, _ := ParseVersion(tc.version)
		s, err := table.SignerFor(v, "")
		if !errors.Is(err, tc.err) || s.Identity != tc.identity || s.Issuer != tc.issuer {
			t.Errorf("SignerFor(%s) = %+v, %v", tc.version, s, err)
		}
		if got := errors.Is(table.ExplainMissing(v), ErrUnsigned); got != tc.missing {
			t.Errorf("ExplainMissing(%s) says unsigned: %v, want %v", tc.version, got, tc.missing)
		}
	}
	if got := table.Lines(); len(got) != 9 || got[0].Line != "3.7" || got[8].Line != "3.15" {
		t.Errorf("Lines() = %+v", got)
	}
}

func TestVersionFromFileName(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"Python-3.13.1.tgz":                          "3.13.1",
		"Python-3.13.1.tar.xz.sigstore":              "3.13.1",
		"python-3.13.1-amd64.exe":                    "3.13.1",
		"python-3.14.0-embed-win32.zip":              "3.14.0",
		"python-3.12.0-macos11.pkg.sigstore":         "3.12.0",
		"Python-3.15.0a1.tgz":                        "3.15.0a1",
		"python-3.14.0rc1-embed-amd64.zip":           "3.14.0rc1",
		"python-3.13.1.exe":                          "3.13.1",
		"python-3.13.1-arm64.exe.sigstore":           "3.13.1",
		"python-3.14.0-aarch64-linux-android.tar.gz": "3.14.0",
		"python-3.14.0-x86_64-linux-android.tar.gz":  "3.14.0",
		"python-3.14.0-iOS-XCframework.tar.gz":       "3.14.0",
		"windows-3.14.0.json":                        "3.14.0",
		"windows-3.14.0.json.sigstore":               "3.14.0",
		"python-3.14.0-amd64-freethreaded.zip":       "3.14.0",
	}
	for name, want := range good {
		v, err := VersionFromFileName(name)
		if err != nil || v.String() != want {
			t.Errorf("VersionFromFileName(%q) = %v, %v; want %s", name, v, err, want)
		}
	}
	for _, name := range []string{"artifact.tgz", "Python.tgz", "Python-3.13.tgz", "cpython-3.13.1.tgz", "windows.json", "windows-3.14.json", "linux-3.14.0.json"} {
		if _, err := VersionFromFileName(name); err == nil {
			t.Errorf("VersionFromFileName(%q) accepted", name)
		}
	}
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Format{"tgz": TGZ, "tar.gz": TGZ, ".tgz": TGZ, "tar.xz": TarXZ, "xz": TarXZ} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("zip"); !errors.Is(err, ErrBadFormat) {
		t.Error("zip accepted")
	}
}

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"3.13.1", "3.14.0rc1", "3.15.0a1", "3.9.0b5", "", "3..1", "9999.9999.9999rc9999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVersion(s)
		if err != nil {
			return
		}
		// Round trip and a consistent order.
		w, err := ParseVersion(v.String())
		if err != nil || w != v || v.Compare(w) != 0 {
			t.Fatalf("%q → %+v → %q does not round-trip", s, v, v.String())
		}
		if v.Final().Compare(v) < 0 {
			t.Fatalf("final %s sorts before %s", v.Final(), v)
		}
	})
}

func FuzzVersionFromFileName(f *testing.F) {
	for _, s := range []string{"Python-3.13.1.tgz", "python-3.14.0-embed-win32.zip", "x", "python-3.1.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := VersionFromFileName(s)
		if err == nil {
			if _, err := ParseVersion(v.String()); err != nil {
				t.Fatalf("%q gave unparseable %q", s, v)
			}
		}
	})
}

// FuzzParseSpec: any spec a user, a .python-version or a pyproject.toml
// may hold never panics the parser nor the matching, and an accepted
// spec matches its own exact version.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"3.13", "3.13.5", "3.13t", "3.13.5t", "latest", "python3.13", "cpython-3.14.0rc1", "v3", "3.", "t", "3.1e5", "",
		">=3.11,<3.14", "~=3.12.1", "==3.13.*", "!=3.13.0", "<3.15.0a2", ">=1!3.0", "==3.13.5+local", "<=3.14.post1.dev2", "^3.10", "~3.11", "^3.9 || ^4", "~3.x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := ParseSpec(s)
		if err != nil {
			return
		}
		if sp.Exact != nil && !sp.Matches(*sp.Exact, true) {
			t.Fatalf("%q: exact spec does not match %s", s, sp.Exact)
		}
		for _, v := range []Version{{Major: 3, Minor: 13, Patch: 5}, {Major: 3, Minor: 15, Pre: "a", PreN: 1}, {Major: 2, Minor: 7, Patch: 18, Pre: "rc", PreN: 2}} {
			sp.Matches(v, true)
			sp.Matches(v, false)
			sp.MatchesFolder(v.Final())
		}
	})
}

// FuzzSignersFile: a signers file is hostile input: it never panics the
// loader, and what it accepts has an e-mail identity and an https issuer.
func FuzzSignersFile(f *testing.F) {
	f.Add(`{"lines": {"3.16": {"identity": "a@python.org", "issuer": "https://accounts.google.com"}}}`)
	f.Add(`{"lines": {"x": {}}}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, data string) {
		tb := DefaultTable()
		if _, err := tb.LoadOverrides(strings.NewReader(data)); err != nil {
			return
		}
		for _, s := range tb.Lines() {
			if !strings.Contains(s.Identity, "@") || !strings.HasPrefix(s.Issuer, "https://") || !textsafe.Clean(s.Identity+s.Issuer) {
				t.Fatalf("accepted signer %+v", s)
			}
		}
	})
}

// TestSignersFileShapes: a byte-order mark (a Windows editor's) is not
// content; anything after the one object is refused, not ignored.
func TestSignersFileShapes(t *testing.T) {
	const obj = `{"lines": {"3.16": {"identity": "rm@python.org", "issuer": "https://github.com/login/oauth"}}}`
	for _, tc := range []struct {
		name, data string
		ok         bool
	}{
		{"plain", obj + "\n", true},
		{"with a UTF-8 BOM", "\xef\xbb\xbf" + obj, true},
		{"a second object after it", obj + "\n" + `{"lines": {"3.13": {"identity": "x@evil.example", "issuer": "https://evil.example"}}}`, false},
		{"text after it", obj + " trailing", false},
		{"a BOM inside", `{"lines": {}}` + "\xef\xbb\xbf", false},
	} {
		tb := DefaultTable()
		_, err := tb.LoadOverrides(strings.NewReader(tc.data))
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrSignersFile)) {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if tc.ok {
			v, _ := ParseVersion("3.16.0")
			if s, err := tb.SignerFor(v, "Python-3.16.0.tgz"); err != nil || s.Identity != "rm@python.org" {
				t.Errorf("%s: 3.16 is %+v %v", tc.name, s, err)
			}
		}
	}
}
