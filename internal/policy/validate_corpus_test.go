package policy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/brevet-dev/brevet/internal/vectortest"
)

// policyCases is the shape of iam-policy-validation-moto: documents sent to
// CreatePolicy, as a JSON value or (for non-JSON input) a string.
type policyCases struct {
	Invalid []struct {
		Document     json.RawMessage `json:"document"`
		ErrorMessage string          `json:"error_message"`
	} `json:"invalid"`
	Valid []json.RawMessage `json:"valid"`
}

// documentText returns what the client sent: a string document verbatim,
// any other JSON value as written.
func documentText(t testing.TB, raw json.RawMessage) []byte {
	t.Helper()
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return []byte(s)
	}
	return raw
}

func loadPolicyCases(t testing.TB) policyCases {
	t.Helper()
	dir := vectortest.Dir(t, "iam-policy-validation-moto")
	data, err := os.ReadFile(filepath.Join(dir, "policy_document_cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c policyCases
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestValidateCorpusInvalid(t *testing.T) {
	c := loadPolicyCases(t)
	if len(c.Invalid) == 0 {
		t.Fatal("no invalid cases in corpus")
	}
	for i, tc := range c.Invalid {
		doc := documentText(t, tc.Document)
		_, err := ParseAndValidate(doc, TypeIdentity)
		got := ""
		if me, ok := err.(*MalformedError); ok {
			got = me.Message
		} else if err != nil {
			t.Errorf("case %d: error %T, want *MalformedError", i, err)
		}
		if got != tc.ErrorMessage {
			t.Errorf("case %d %s:\n got %q\nwant %q", i, doc, got, tc.ErrorMessage)
		}
	}
}

func TestValidateCorpusValid(t *testing.T) {
	c := loadPolicyCases(t)
	if len(c.Valid) == 0 {
		t.Fatal("no valid cases in corpus")
	}
	for i, raw := range c.Valid {
		doc := documentText(t, raw)
		if _, err := ParseAndValidate(doc, TypeIdentity); err != nil {
			t.Errorf("case %d %s: %v", i, doc, err)
		}
	}
}

// managedPolicies returns the AWS managed policy documents by name, sorted
// by name.
func managedPolicies(t testing.TB) ([]string, map[string][]byte) {
	t.Helper()
	dir := vectortest.Dir(t, "aws-managed-policies-moto")
	data, err := os.ReadFile(filepath.Join(dir, "aws_managed_policies.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]struct {
		Document json.RawMessage
	}
	if err := json.Unmarshal(data, &all); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(all))
	docs := make(map[string][]byte, len(all))
	for name, p := range all {
		names = append(names, name)
		docs[name] = documentText(t, p.Document)
	}
	sort.Strings(names)
	return names, docs
}

func TestValidateManagedPolicies(t *testing.T) {
	names, docs := managedPolicies(t)
	if len(names) < 1000 {
		t.Fatalf("got %d managed policies, want the full corpus", len(names))
	}
	for _, name := range names {
		if _, err := ParseAndValidate(docs[name], TypeIdentity); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := ParseAndValidate(docs[name], TypeBoundary); err != nil {
			t.Errorf("%s as boundary: %v", name, err)
		}
	}
}
