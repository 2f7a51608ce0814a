package releases

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestParseListing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, base string
		want       []string
	}{
		{"nginx.html", "https://www.python.org/ftp/python/", []string{"2.0/", "3.12.0/", "3.13.0/", "3.13.10/", "3.13.9/", "3.14.0/", "3.15.0/", "doc/", "index-windows.json", "src/"}},
		{"apache.html", "https://mirror.example.org/pub/python/3.13.1/", []string{"Python-3.13.1.tar.xz", "Python-3.13.1.tar.xz.sigstore", "Python-3.13.1.tgz", "python-3.13.1-amd64.exe", "windows/"}},
		{"pyhttp.html", "http://127.0.0.1:8000/3.14.0/", []string{"Python-3.14.0.tgz", "Python-3.14.0.tgz.sigstore", "Python-3.14.0a5.tgz", "Python-3.14.0rc3.tgz", "Python-3.14.0rc3.tgz.sigstore", "my notes.txt", "sub/"}},
		{"s3.html", "https://mirror.example.com/python/3.13.1", []string{"Python-3.13.1.tar.xz", "Python-3.13.1.tgz", "Python-3.13.1.tgz.sigstore"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "testdata", "listings", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseListing(bytes.NewReader(data), tc.base)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestFoldersAndReleases(t *testing.T) {
	t.Parallel()
	folders := Folders([]string{"3.13.9/", "3.13.10/", "3.14.0/", "doc/", "3.13.10", "2.0/", "3.15.0a1/"})
	var got []string
	for _, f := range folders {
		got = append(got, f.String())
	}
	if strings.Join(got, " ") != "3.14.0 3.13.10 3.13.9" {
		t.Errorf("Folders = %v", got)
	}
	rel := FolderReleases([]string{"Python-3.14.0.tgz", "Python-3.14.0.tgz.sigstore", "Python-3.14.0.tar.xz", "Python-3.14.0rc3.tgz", "Python-3.14.0rc3.tgz.sigstore", "python-3.14.0-amd64.exe", "Python-3.14.0.tgz.asc"})
	if len(rel) != 2 || rel[0].Version.String() != "3.14.0" || !rel[0].Signed[TGZ] || rel[0].Signed[TarXZ] || !rel[0].Artifacts[TarXZ] || !rel[1].Signed[TGZ] {
		t.Errorf("FolderReleases = %+v", rel)
	}
}

func TestSpec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec    string
		version string
		pre     bool
		want    bool
	}{
		{"3.13", "3.13.10", false, true},
		{"3.13", "3.14.0", false, false},
		{"3.13", "3.13.0rc1", false, false},
		{"3.13", "3.13.0rc1", true, true},
		{"3", "3.14.0", false, true},
		{"latest", "3.15.0a1", false, false},
		{"latest", "3.15.0a1", true, true},
		{"3.15.0a1", "3.15.0a1", false, true},
		{"3.13.1", "3.13.10", false, false},
	}
	for _, tc := range tests {
		sp, err := ParseSpec(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := ParseVersion(tc.version)
		if got := sp.Matches(v, tc.pre); got != tc.want {
			t.Errorf("%q matches %s (pre=%v) = %v", tc.spec, tc.version, tc.pre, got)
		}
	}
	for _, bad := range []string{"", "3.", ".3", "3.x", "three", "3.13.1.1", "latest2", "-1", "cpython-3.13.5-linux", "v3.x", "3.xt"} {
		_, err := ParseSpec(bad)
		if !errors.Is(err, ErrBadSpec) {
			t.Errorf("ParseSpec(%q) accepted", bad)
		} else if !strings.Contains(err.Error(), fmt.Sprintf("%q", bad)) {
			// The error quotes what was given, not what is left of it.
			t.Errorf("ParseSpec(%q): %v", bad, err)
		}
	}
}

func FuzzParseListing(f *testing.F) {
	for _, name := range []string{"nginx.html", "apache.html", "pyhttp.html", "s3.html"} {
		if data, err := os.ReadFile(filepath.Join("..", "testdata", "listings", name)); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		names, err := ParseListing(bytes.NewReader(data), "https://www.python.org/ftp/python/")
		if err != nil {
			return
		}
		for _, n := range names {
			base := strings.TrimSuffix(n, "/")
			if base == "" || base == "." || base == ".." || strings.Contains(base, "/") {
				t.Fatalf("listing yielded unsafe name %q", n)
			}
		}
	})
}

func BenchmarkParseListing(b *testing.B) {
	var page bytes.Buffer
	page.WriteString("<html><body><pre><a href=\"../\">../</a>\n")
	for minor := 0; minor < 16; minor++ {
		for patch := 0; patch < 25; patch++ {
			n := "3." + strconv.Itoa(minor) + "." + strconv.Itoa(patch) + "/"
			page.WriteString("<a href=\"" + n + "\">" + n + "</a>     01-Jan-2025 00:00    -\n")
		}
	}
	page.WriteString("</pre></body></html>")
	b.SetBytes(int64(page.Len()))
	for b.Loop() {
		if _, err := ParseListing(bytes.NewReader(page.Bytes()), DefaultMirror); err != nil {
			b.Fatal(err)
		}
	}
}
