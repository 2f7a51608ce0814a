package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyfetch/pyfetch/releases"
)

// TestConfigMistakesAreUsageErrors: a PYFETCH_* value or flag that does
// not parse is exit 2 naming what was expected, never a silent default.
func TestConfigMistakesAreUsageErrors(t *testing.T) {
	t.Parallel()
	aFile := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(aFile, nil, 0o644)
	tests := []struct {
		env  map[string]string
		args []string
		msg  string
	}{
		{map[string]string{"PYFETCH_OFFLINE": "maybe"}, []string{"install", "3.13.1"}, `PYFETCH_OFFLINE="maybe": expected 1/0, true/false, yes/no or on/off`},
		{map[string]string{"PYFETCH_JOBS": "abc"}, []string{"install", "3.13.1"}, `PYFETCH_JOBS="abc": expected a whole number`},
		{map[string]string{"PYFETCH_RETRIES": "-3"}, []string{"install", "3.13.1"}, `PYFETCH_RETRIES="-3": expected a whole number`},
		{map[string]string{"PYFETCH_INDEX_TTL": "ten minutes"}, []string{"install", "3.13.1"}, `PYFETCH_INDEX_TTL="ten minutes": expected a duration such as 7d`},
		{nil, []string{"install", "--retries", "-1", "3.13.1"}, "--retries must be 0 to 100, got -1"},
		{nil, []string{"releases", "--retries", "-1"}, "--retries must be 0 to 100, got -1"},
		{map[string]string{"PYFETCH_RETRIES": "100000"}, []string{"install", "3.13.1"}, "--retries must be 0 to 100, got 100000"},
		{nil, []string{"install", "--jobs", "-1", "3.13.1"}, `invalid value "-1" for flag -jobs: expected a whole number, 0 or more`},
		{nil, []string{"fetch", "--jobs=two", "3.13.1"}, `invalid value "two" for flag -jobs: expected a whole number, 0 or more`},
		{nil, []string{"install", "-j", "-1", "3.13.1"}, `invalid value "-1" for flag -j: expected a whole number, 0 or more`},
		{map[string]string{"PYFETCH_TRUSTED_ROOT": "/"}, []string{"install", "3.13.1"}, "--trusted-root (or PYFETCH_TRUSTED_ROOT): / is a folder, expected a trusted_root.json file"},
		{map[string]string{"PYFETCH_TRUSTED_ROOT": aFile + ".gone"}, []string{"install", "3.13.1"}, "--trusted-root (or PYFETCH_TRUSTED_ROOT): stat " + aFile + ".gone: no such file or directory"},
		// The target is judged before the trusted root is loaded: no
		// TUF request, no warning, only the usage error.
		{map[string]string{"PYFETCH_TRUSTED_ROOT": "", "PYFETCH_TUF_URL": "http://127.0.0.1:1/"}, []string{"mirror", "push", "s3://"}, `mirror push takes s3://BUCKET/PREFIX/, got "s3://"`},
		{map[string]string{"PYFETCH_TRUSTED_ROOT": "", "PYFETCH_TUF_URL": "http://127.0.0.1:1/"}, []string{"mirror", "export", aFile, "3.13.1"}, "mirror export writes into a folder, and " + aFile + " is not one"},
		// A bucket S3 cannot have is a typo, said before any request.
		{nil, []string{"install", "--mirror", "s3://ab/python/", "3.13.1"}, "not a bucket name: s3://ab/: Bucket name cannot be shorter than 3 characters (expected 3 to 63"},
		{nil, []string{"releases", "--mirror", "s3://my..fleet/"}, "not a bucket name: s3://my..fleet/"},
		{nil, []string{"mirror", "push", "s3://x/python/", "3.13.1"}, "not a bucket name: s3://x/"},
		{nil, []string{"publish", "s3://-fleet/python/", "3.13.1"}, "not a bucket name: s3://-fleet/"},
		{nil, []string{"install", "--build", "--make-jobs", "0", "3.13.1"}, "--make-jobs (or PYFETCH_MAKE_JOBS) must be 1 to 1024, got 0"},
		{map[string]string{"PYFETCH_MAKE_JOBS": "100000"}, []string{"install", "--build", "3.13.1"}, "--make-jobs (or PYFETCH_MAKE_JOBS) must be 1 to 1024, got 100000"},
		{nil, []string{"list", "extra"}, `list takes no arguments, got ["extra"]`},
		{nil, []string{"version", "extra"}, `version takes no arguments, got ["extra"]`},
		{nil, []string{"cache", "prune", "--older-than", "soon"}, "expected a duration such as 7d, 12h or 90m"},
		{map[string]string{"PYFETCH_HOME": aFile}, []string{"install", "3.13.1"}, "--home (or PYFETCH_HOME) is " + aFile + ", which is a file, not a folder"},
		{map[string]string{"PYFETCH_CACHE": aFile}, []string{"fetch", "3.13.1"}, "--cache (or PYFETCH_CACHE) is " + aFile + ", which is a file, not a folder"},
		{nil, []string{"list", "--home", "/dev/null"}, "--home (or PYFETCH_HOME) is /dev/null, which is a device, not a folder"},
		// A duration past what Go can hold would wrap into the past and
		// select everything.
		{nil, []string{"cache", "prune", "--older-than", "1000000d"}, `(at most 106751d), got "1000000d"`},
		{nil, []string{"install", "--lock-timeout", "106752d", "3.13.1"}, `(at most 106751d), got "106752d"`},
	}
	for _, tc := range tests {
		e := newEnv(t)
		for k, v := range tc.env {
			e.vars[k] = v
		}
		code, stdout, stderr := e.run(tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.msg) || stdout != "" || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v %v: exit %d, stdout %q, stderr %q (want %q)", tc.env, tc.args, code, stdout, stderr, tc.msg)
		}
		if len(e.mirror.Requests()) != 0 {
			t.Errorf("%v %v: made requests", tc.env, tc.args)
		}
	}
}

// TestBooleanSpellingsAndDays: the usual boolean spellings work, and
// --older-than takes days.
func TestBooleanSpellingsAndDays(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"1", "true", "YES", "on"} {
		e := newEnv(t)
		e.vars["PYFETCH_OFFLINE"] = v
		e.run("install", "3.13.1")
		if n := len(e.mirror.Requests()); n != 0 {
			t.Errorf("PYFETCH_OFFLINE=%s: %d requests (offline ignored)", v, n)
		}
	}
	e := newEnv(t)
	if code, _, stderr := e.run("cache", "prune", "--older-than", "7d"); code != 0 {
		t.Errorf("--older-than 7d: exit %d %q", code, stderr)
	}
	if code, stdout, _ := e.run("version", "--json"); code != 0 || !strings.Contains(stdout, `"version"`) {
		t.Errorf("version --json: %d %q", code, stdout)
	}
}

func TestVersionSpellings(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"python3.13": "3.13", "python3.13.5": "3.13.5", "cpython-3.13.5": "3.13.5", "Python-3.12": "3.12", "py3.14": "3.14", "v3.13.1": "3.13.1"} {
		sp, err := releases.ParseSpec(in)
		if err != nil {
			t.Errorf("ParseSpec(%q): %v", in, err)
			continue
		}
		got := fmt.Sprintf("%d.%d", sp.Major, sp.Minor)
		if sp.Exact != nil {
			got = sp.Exact.String()
		}
		if got != want {
			t.Errorf("ParseSpec(%q) = %s, want %s", in, got, want)
		}
	}
	if _, err := releases.ParseSpec("pythonista"); err == nil {
		t.Error("ParseSpec(pythonista) accepted")
	}
}
