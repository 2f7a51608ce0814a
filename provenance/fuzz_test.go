package provenance_test

import (
	"testing"
	"time"

	"github.com/pyfetch/pyfetch/provenance"
)

// FuzzParseStatement: a statement is parsed before it is verified (to
// skip a download for another platform), so any bytes must give a Build
// or an error, never a panic; a Build always has what Parse promises.
func FuzzParseStatement(f *testing.F) {
	b := sample([]byte("archive"))
	b.FinishedOn = time.Unix(0, 0)
	if st, err := provenance.Statement(b); err == nil {
		f.Add(st)
	}
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"00"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := provenance.Parse(data)
		if err != nil {
			return
		}
		if got.Version == "" || got.Source.SHA256 == "" || got.Prefix == "" || got.Platform.OS == "" || got.ArchiveSHA256 == "" {
			t.Fatalf("Parse accepted an incomplete statement: %+v", got)
		}
	})
}
