package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// oneJSONDocument fails unless s is exactly one JSON document.
func oneJSONDocument(t *testing.T, what, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Errorf("%s: stdout is not a JSON document: %v\n%q", what, err, s)
		return nil
	}
	if err := dec.Decode(new(any)); err != io.EOF {
		t.Errorf("%s: more than one JSON document on stdout: %q", what, s)
	}
	return doc
}

// --json prints exactly one document on stdout whatever happens, with
// the error(s) in it, so `jq` in CI never dies on empty input.
func TestJSONAlwaysThere(t *testing.T) {
	t.Parallel()
	down := newEnv(t)
	down.mirror.Server.Close()
	e := releaseMirror(t)
	for _, tc := range []struct {
		name string
		e    *env
		args []string
		key  string
	}{
		{"install, mirror down", down, []string{"install", "--json", "3.13"}, "failed"},
		{"fetch, mirror down", down, []string{"fetch", "--json", "3.12", "3.13"}, "failed"},
		{"releases, mirror down", down, []string{"releases", "--json"}, "error"},
		{"install, one spec does not resolve", e, []string{"install", "--json", "3.99", "3.13"}, "failed"},
		{"verify, missing file", e, []string{"verify", "--json", "/nonexistent/Python-3.13.5.tgz"}, "error"},
		{"install, a bad flag", e, []string{"install", "--json", "--nosuch", "3.13"}, "error"},
	} {
		code, stdout, stderr := tc.e.run(tc.args...)
		if code == 0 {
			t.Errorf("%s: exit 0 (stderr %q)", tc.name, stderr)
		}
		if doc := oneJSONDocument(t, tc.name, stdout); doc != nil && doc[tc.key] == nil {
			t.Errorf("%s: no %q in %v", tc.name, tc.key, doc)
		}
	}
}

// One spec that does not resolve does not stop the others: they are
// installed, the failure is reported, and the exit is non-zero.
func TestEachSpecOnItsOwn(t *testing.T) {
	t.Parallel()
	e := releaseMirror(t)
	code, stdout, stderr := e.run("install", "3.13.9", "3.11", "3.99")
	if code == 0 || !strings.Contains(stdout, "installed 3.13.9") || !strings.Contains(stderr, "3.11") || !strings.Contains(stderr, "3.99") {
		t.Errorf("exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(e.home, "versions", "3.13.9")); err != nil {
		t.Error(err)
	}
	code, stdout, _ = e.run("fetch", "--json", "3.12", "3.13")
	doc := oneJSONDocument(t, "fetch 3.12 3.13", stdout)
	if code != 0 || doc == nil || len(doc["fetched"].([]any)) != 2 {
		t.Errorf("fetch 3.12 3.13: exit %d, %v", code, doc)
	}
}
