package importer_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/iam/importer"
)

// FuzzDocument: a policy document in an export is a JSON object (kept as
// compact JSON), a string holding JSON (kept as is) or a URL-encoded string
// (decoded); anything else is refused, and nothing panics.
func FuzzDocument(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var d importer.Document
		if err := json.Unmarshal(data, &d); err != nil {
			return
		}
		trimmed := bytes.TrimSpace(data)
		if len(trimmed) > 0 && trimmed[0] == '"' {
			var s string
			if err := json.Unmarshal(trimmed, &s); err != nil {
				t.Fatalf("accepted %q, which is not a JSON string", data)
			}
			want := s
			if t := strings.TrimSpace(s); strings.HasPrefix(strings.ToUpper(t), "%7B") {
				want, _ = url.QueryUnescape(s)
			}
			if string(d) != want {
				t.Fatalf("string document %q became %q, want %q", s, d, want)
			}
			return
		}
		if !json.Valid([]byte(d)) {
			t.Fatalf("document %q is not JSON", d)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, []byte(d)); err != nil || compact.String() != string(d) {
			t.Fatalf("document %q is not compact JSON", d)
		}
	})
}
