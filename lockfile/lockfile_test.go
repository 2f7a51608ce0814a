package lockfile

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/pyfetch/pyfetch/internal/textsafe"
	"github.com/pyfetch/pyfetch/releases"
)

func entry(v, format string) Entry {
	return Entry{Version: v, Artifact: "Python-" + v + "." + format, SHA256: strings.Repeat("ab", 32), Size: 123,
		Method: MethodSigstore, Signer: "thomas@python.org", Issuer: "https://accounts.google.com", LogIndex: 42,
		IntegratedTime: time.Date(2025, 6, 11, 12, 0, 0, 0, time.UTC)}
}

func TestWriteParseFind(t *testing.T) {
	t.Parallel()
	f := &File{Format: 1, Pythons: []Entry{entry("3.12.8", "tgz"), entry("3.13.10", "tar.xz"), entry("3.13.9", "tgz")}}
	var a, b bytes.Buffer
	if err := Write(&a, f); err != nil {
		t.Fatal(err)
	}
	// Order of entries in memory does not matter: the file is sorted.
	f.Pythons[0], f.Pythons[2] = f.Pythons[2], f.Pythons[0]
	Write(&b, f)
	if a.String() != b.String() {
		t.Errorf("not deterministic:\n%s\n---\n%s", a.String(), b.String())
	}
	if i, j := strings.Index(a.String(), "3.13.10"), strings.Index(a.String(), "3.12.8"); i > j {
		t.Errorf("not newest first:\n%s", a.String())
	}
	got, err := Parse(&a)
	if err != nil || len(got.Pythons) != 3 {
		t.Fatalf("Parse: %v", err)
	}
	sp, _ := releases.ParseSpec("3.13")
	if e, ok := got.Find(sp); !ok || e.Version != "3.13.10" || e.LogIndex != 42 || len(e.Digest()) != 32 {
		t.Errorf("Find(3.13) = %+v, %v", e, ok)
	}
	if old, replaced := got.Put(entry("3.13.10", "tgz")); !replaced || old.Artifact != "Python-3.13.10.tar.xz" {
		t.Errorf("Put: %+v %v", old, replaced)
	}
	got.Remove("3.12.8")
	if _, ok := got.Find(releases.Spec{Raw: "3.12", Major: 3, Minor: 12}); ok {
		t.Error("Remove kept 3.12.8")
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	var good bytes.Buffer
	Write(&good, &File{Pythons: []Entry{entry("3.13.10", "tgz")}})
	for name, content := range map[string]string{
		"format 2":            strings.Replace(good.String(), "format = 1", "format = 2", 1),
		"another release":     strings.Replace(good.String(), `artifact = "Python-3.13.10.tgz"`, `artifact = "Python-3.13.9.tgz"`, 1),
		"short sha256":        strings.Replace(good.String(), strings.Repeat("ab", 32), "abcd", 1),
		"pinned twice":        good.String() + good.String()[strings.Index(good.String(), "[[python]]"):],
		"too large":           good.String() + "# " + strings.Repeat("x", MaxBytes),
		"not an artifact":     strings.Replace(good.String(), "Python-3.13.10.tgz", "Python-3.13.10.zip", 1),
		"a line break inside": strings.Replace(good.String(), `signer = "thomas@python.org"`, `signer = "a\nb"`, 1),
		// A planted lock file near the cap that BurntSushi/toml parsed in
		// hours (quadratic in nesting and in a dotted key's length).
		"nested inline tables": "x = " + strings.Repeat("{b=", MaxBytes/8) + "1" + strings.Repeat("}", MaxBytes/8) + "\n",
		"a long dotted key":    strings.Repeat("b.", MaxBytes/2-8) + "c = 1\n",
		"an unknown key":       good.String() + "extra = 1\n",
		"a string for format":  strings.Replace(good.String(), "format = 1", `format = "1"`, 1),
	} {
		if _, err := Parse(strings.NewReader(content)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzParse: a lock file never panics the parser, and what it accepts
// holds only clean text and well-formed pins.
func FuzzParse(f *testing.F) {
	var good bytes.Buffer
	Write(&good, &File{Pythons: []Entry{entry("3.13.10", "tgz")}})
	f.Add(good.String())
	f.Add("format = 1\n[[python]]\n")
	f.Fuzz(func(t *testing.T, s string) {
		lf, err := Parse(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, e := range lf.Pythons {
			if !textsafe.Clean(e.Signer+e.Issuer+e.Artifact+e.Version) || len(e.Digest()) != 32 {
				t.Fatalf("accepted %+v", e)
			}
		}
	})
}
