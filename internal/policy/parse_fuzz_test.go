package policy

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/brevet-dev/brevet/internal/vectortest"
)

// FuzzParse checks that Parse never panics, that Validate never panics on
// what Parse accepts, and that Print then Parse gives back an equal
// Document. The committed seeds are hand-written (testdata/fuzz/FuzzParse);
// when the shared corpus is present, a sample of AWS managed policies is
// added at run time, never committed.
func FuzzParse(f *testing.F) {
	if root := vectortest.Root(); root != "" {
		if _, err := os.Stat(filepath.Join(root, "aws-managed-policies-moto")); err == nil {
			names, docs := managedPolicies(f)
			for i := 0; i < len(names); i += 50 {
				f.Add(docs[names[i]])
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Parse(data)
		if err != nil {
			if _, ok := err.(*MalformedError); !ok {
				t.Fatalf("Parse error %T, want *MalformedError", err)
			}
			return
		}
		for _, typ := range []Type{TypeIdentity, TypeResource, TypeTrust, TypeSession, TypeBoundary} {
			_ = Validate(doc, typ)
		}
		_ = Size(data)
		checkRoundTrip(t, "fuzz", data)
	})
}
