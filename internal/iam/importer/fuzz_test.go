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

// FuzzCheckAWSManaged: any input is read and checked as an AWS managed
// policies file, or refused, without panicking; a file that passes names
// AWS managed policy ARNs only. (The import itself is not fuzzed: the
// store's instrumented SQLite makes each run take seconds.)
func FuzzCheckAWSManaged(f *testing.F) {
	f.Add([]byte(authDetails(exampleARN, "v2", docAllowIAM, "v3", docAllowS3)))
	f.Add([]byte(`{"Policies":[{"Arn":"arn:aws:iam::aws:policy/P","PolicyVersion":{"Document":"%7B%22Version%22%3A%222012-10-17%22%7D","VersionId":"v1"}}]}`))
	f.Add([]byte(`{"Policies":[{"Arn":"arn:aws:iam::123456789012:policy/P"}]}`))
	f.Add([]byte(`{"Policies":null,"UserDetailList":[{}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := importer.ReadAWSManaged(bytes.NewReader(data))
		if err != nil {
			return
		}
		if err := importer.CheckAWSManaged(file); err != nil {
			return
		}
		for _, p := range file.Policies {
			if !strings.HasPrefix(p.Arn, "arn:aws:iam::aws:policy/") {
				t.Fatalf("accepted %q, not an AWS managed policy ARN", p.Arn)
			}
		}
	})
}
