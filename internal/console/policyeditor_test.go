package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/policy/servicereference"
	"github.com/brevet-dev/brevet/internal/vectortest"
	"github.com/google/go-cmp/cmp"
)

func TestValidatePolicy(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		typ  policy.Type
		want validation
	}{
		{
			name: "valid",
			doc:  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
			typ:  policy.TypeIdentity,
			want: validation{Errors: []problem{}, Warnings: []problem{}},
		},
		{
			name: "JSON syntax error at its line and column",
			doc:  "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\" \"Action\": \"*\"}\n  ]\n}",
			typ:  policy.TypeIdentity,
			want: validation{Errors: []problem{{Message: "Syntax errors in policy.", Code: "MalformedPolicyDocument", Line: 4, Column: 24}}, Warnings: []problem{}},
		},
		{
			name: "statement error at the statement that has it",
			doc: "{\"Version\":\"2012-10-17\",\"Statement\":[\n" +
				"  {\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"},\n" +
				"  {\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\"}\n]}",
			typ:  policy.TypeIdentity,
			want: validation{Errors: []problem{{Message: "Policy statement must contain resources.", Code: "MalformedPolicyDocument", Line: 3, Column: 3}}, Warnings: []problem{}},
		},
		{
			name: "principal in an identity policy",
			doc:  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"},\n {\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\"}]}",
			typ:  policy.TypeIdentity,
			want: validation{Errors: []problem{{Message: "Policy document should not specify a principal.", Code: "MalformedPolicyDocument", Line: 2, Column: 2}}, Warnings: []problem{}},
		},
		{
			name: "trust policy without a principal",
			doc:  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`,
			typ:  policy.TypeTrust,
			want: validation{Errors: []problem{{Message: "Missing required field Principal", Code: "MalformedPolicyDocument", Line: 1, Column: 38}}, Warnings: []problem{}},
		},
		{
			name: "Sids not unique: the second",
			doc:  "{\"Version\":\"2012-10-17\",\"Statement\":[\n{\"Sid\":\"A\",\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"},\n{\"Sid\":\"A\",\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}]}",
			typ:  policy.TypeIdentity,
			want: validation{Errors: []problem{{Message: "Statement IDs (SID) in a single policy must be unique.", Code: "MalformedPolicyDocument", Line: 3, Column: 1}}, Warnings: []problem{}},
		},
		{
			name: "the document's own error has no position",
			doc:  `{"Version":"2012-10-18","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
			typ:  policy.TypeIdentity,
			want: validation{Errors: []problem{{Message: "Syntax errors in policy.", Code: "MalformedPolicyDocument"}}, Warnings: []problem{}},
		},
		{
			name: "a shape Parse refuses, in the second statement",
			doc:  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"},\n  {\"Effect\":\"Allow\",\"Action\":{\"x\":1},\"Resource\":\"*\"}]}",
			typ:  policy.TypeIdentity,
			want: validation{Errors: []problem{{Message: "Syntax errors in policy.", Code: "MalformedPolicyDocument", Line: 2, Column: 3}}, Warnings: []problem{}},
		},
		{
			name: "lint warning at its statement",
			doc:  "{\"Version\":\"2012-10-17\",\"Statement\":[\n {\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:dynamodb:us-east-1:123456789012:table/t\"}]}",
			typ:  policy.TypeIdentity,
			want: validation{Errors: []problem{}, Warnings: []problem{{Code: policy.WarnResourceService, Line: 2, Column: 2}}},
		},
		{
			name: "a character the PolicyDocument parameter refuses, where it is",
			doc:  "{\"Version\":\"2012-10-17\",\"Statement\":[\n {\"Sid\":\"é😀\",\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}",
			typ:  policy.TypeIdentity,
			want: validation{Errors: []problem{{Code: "ValidationError", Line: 2, Column: 11,
				Message: "The policy document holds a character IAM does not accept (U+1F600): only tab, line breaks and U+0020 to U+00FF."}}, Warnings: []problem{}},
		},
		{
			name: "131072 characters of two bytes are not too long",
			doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*",` +
				`"Condition":{"StringEquals":{"aws:UserAgent":"` + strings.Repeat("é", 100000) + `"}}}]}`,
			typ:  policy.TypeResource,
			want: validation{Errors: []problem{}, Warnings: []problem{}},
		},
		{
			name: "too large",
			doc:  strings.Repeat(" ", maxPolicyDocument+1),
			typ:  policy.TypeIdentity,
			want: validation{Errors: []problem{{Code: "ValidationError", Message: "The policy document is longer than 131072 characters, the most IAM accepts."}}, Warnings: []problem{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := validatePolicy([]byte(tt.doc), tt.typ, nil)
			// Warnings' messages are Lint's; the test pins code and place.
			for i := range got.Warnings {
				got.Warnings[i].Message = ""
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("validatePolicy (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidatePolicyWithReference(t *testing.T) {
	dir := vectortest.Dir(t, "iam-service-reference-iam-data/data")
	ref, err := servicereference.Load(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	got := validatePolicy([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObjekt","Resource":"*"}]}`), policy.TypeIdentity, ref)
	if len(got.Errors) != 0 || len(got.Warnings) != 1 || got.Warnings[0].Code != policy.WarnUnknownAction || got.Warnings[0].Line != 1 {
		t.Errorf("validatePolicy = %+v, want one unknown-action warning on line 1", got)
	}
	svc, err := ref.Service("s3")
	if err != nil {
		t.Fatal(err)
	}
	out := serviceOut(svc)
	var found bool
	for _, a := range out.Actions {
		if a.Name != "GetObject" {
			continue
		}
		for _, rt := range a.ResourceTypes {
			found = found || strings.Contains(rt.ARN, "${BucketName}")
		}
	}
	if !found {
		t.Errorf("s3 GetObject has no resource type with an ARN template: %+v", out.Actions[:min(3, len(out.Actions))])
	}
}

func TestPolicyEditorRenders(t *testing.T) {
	for _, typ := range []string{"identity", "trust", "resource"} {
		var b strings.Builder
		err := pages["error"].ExecuteTemplate(&b, "policyeditor", map[string]any{
			"Name": "PolicyDocument", "Value": `{"Sid":"</textarea><b>x</b>"}`, "Type": typ, "CSRF": "tok"})
		if err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, want := range []string{`name="PolicyDocument"`, `data-policy-type="` + typ + `"`, `data-csrf="tok"`, `aria-live="polite"`,
			`&lt;/textarea&gt;&lt;b&gt;x&lt;/b&gt;`, `src="/console/static/policy.js"`} {
			if !strings.Contains(out, want) {
				t.Errorf("%s editor lacks %s", typ, want)
			}
		}
	}
}

func TestPolicyPagesParse(t *testing.T) {
	for _, name := range []string{"policies", "policies_new", "policies_view", "simulator"} {
		if pages[name] == nil {
			t.Errorf("page %q is not parsed", name)
		}
	}
}

func TestMarkStatement(t *testing.T) {
	text := "{\r\n \"Statement\": [\r\n  {\"Effect\": \"Allow\"},\r\n  {\"Sid\": \"é\"}\r\n ]\r\n}"
	spans, ok := policy.SimulatorSpans([]byte(text)) // as IAM reports them
	if !ok {
		t.Fatal("no spans")
	}
	p := func(q policy.Position) *iamapi.Position {
		l, c := int32(q.Line), int32(q.Column)
		return &iamapi.Position{Line: &l, Column: &c}
	}
	for i, want := range []string{`{"Effect": "Allow"}`, `{"Sid": "é"}`} {
		m := markStatement(iamapi.Statement{SourcePolicyId: "PolicyInputList.1", StartPosition: p(spans[i].Start), EndPosition: p(spans[i].End)}, text)
		if !m.HasText || m.Mark != want || m.Before+m.Mark+m.After != text {
			t.Errorf("statement %d: marked %q, want %q", i, m.Mark, want)
		}
	}
	if m := markStatement(iamapi.Statement{SourcePolicyId: "x"}, text); m.HasText {
		t.Error("a match without positions is marked")
	}
	bad := int32(99)
	if m := markStatement(iamapi.Statement{StartPosition: &iamapi.Position{Line: &bad, Column: &bad}, EndPosition: &iamapi.Position{Line: &bad, Column: &bad}}, text); m.HasText {
		t.Error("a match past the text is marked")
	}
}

// FuzzValidatePolicy checks that the editor's validation never panics and
// that every position it gives is inside the document.
func FuzzValidatePolicy(f *testing.F) {
	f.Add([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}`), uint8(0))
	f.Add([]byte("{\"Statement\":[{\"Sid\":\"a\"},\n{\"Sid\":\"a\"}]}"), uint8(1))
	f.Add([]byte(`{"Statement":{"Effect":"Allow","Action":{}}}`), uint8(2))
	types := []policy.Type{policy.TypeIdentity, policy.TypeTrust, policy.TypeResource}
	f.Fuzz(func(t *testing.T, data []byte, ti uint8) {
		v := validatePolicy(data, types[int(ti)%len(types)], nil)
		for _, p := range append(v.Errors, v.Warnings...) {
			if p.Line == 0 {
				continue
			}
			if off := policy.Offset(data, policy.Position{Line: p.Line, Column: p.Column}); off < 0 || off > len(data) {
				t.Fatalf("%+v is not in the document", p)
			}
		}
	})
}

// countingCatalog counts the action lookups Lint makes in the reference.
type countingCatalog struct {
	policy.Catalog
	lookups int
}

func (c *countingCatalog) ActionResourceServices(service, pattern string) ([]string, bool) {
	c.lookups++
	return c.Catalog.ActionResourceServices(service, pattern)
}

// TestValidatePolicyLintBound: a document of thousands of action patterns
// (a resource policy may be 128 KiB) is checked against the reference
// for a bounded number of them, each pattern once: a wildcard is matched
// against every action of its service, and the editor validates as the
// person types.
func TestValidatePolicyLintBound(t *testing.T) {
	dir := vectortest.Dir(t, "iam-service-reference-iam-data/data")
	ref, err := servicereference.Load(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for i := 0; i < 4000; i++ {
		acts = append(acts, fmt.Sprintf(`"ec2:*a*%d*z"`, i))
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":[` + strings.Join(acts, ",") + `],"Resource":"*"},` +
		`{"Effect":"Allow","Principal":"*","Action":["s3:GetObjekt","s3:GetObjekt"],"Resource":"*"}]}`
	cat := &countingCatalog{Catalog: ref}
	got := validatePolicy([]byte(doc), policy.TypeResource, cat)
	if cat.lookups > maxLintLookups {
		t.Errorf("%d lookups in the reference, want at most %d", cat.lookups, maxLintLookups)
	}
	if n := len(got.Errors); n != 0 {
		t.Errorf("errors: %+v", got.Errors)
	}
	if last := got.Warnings[len(got.Warnings)-1]; last.Code != "lint-truncated" {
		t.Errorf("last warning = %+v, want lint-truncated", last)
	}
	// Below the bound, each distinct pattern is looked up once.
	cat = &countingCatalog{Catalog: ref}
	got = validatePolicy([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObjekt","s3:getobjekt","s3:Get*"],"Resource":"*"}]}`), policy.TypeIdentity, cat)
	if cat.lookups != 2 || len(got.Warnings) != 2 {
		t.Errorf("%d lookups, warnings %+v; want 2 lookups and 2 unknown-action warnings", cat.lookups, got.Warnings)
	}
}

// FuzzAPIValidate: the validate endpoint answers any body with JSON, 200
// or 400, and never panics.
func FuzzAPIValidate(f *testing.F) {
	f.Add([]byte(`{"document":"{\"Statement\":[]}","type":"identity"}`))
	f.Add([]byte(`{"document":1,"type":"trust"}`))
	f.Add([]byte(`{"document":"\ud800","type":"resource"}[`))
	f.Add([]byte(`[`))
	h := &Handler{}
	f.Fuzz(func(t *testing.T, body []byte) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/console/api/policy/validate", bytes.NewReader(body))
		if err := h.apiValidate(w, r, nil); err != nil {
			t.Fatalf("apiValidate: %v", err)
		}
		if w.Code != http.StatusOK && w.Code != http.StatusBadRequest {
			t.Fatalf("status %d", w.Code)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("not JSON: %q", w.Body.String())
		}
	})
}

// FuzzMarkStatement: whatever the text and the positions, the marked
// statement splits the text without losing or adding a byte, and the
// mark is a whole number of characters.
func FuzzMarkStatement(f *testing.F) {
	f.Add("{\r\n\"Statement\":[{\"Sid\":\"é\"}]}", int32(2), int32(14), int32(2), int32(25))
	f.Add("é\n\n", int32(1), int32(1), int32(3), int32(1))
	f.Fuzz(func(t *testing.T, text string, l1, c1, l2, c2 int32) {
		m := markStatement(iamapi.Statement{StartPosition: &iamapi.Position{Line: &l1, Column: &c1}, EndPosition: &iamapi.Position{Line: &l2, Column: &c2}}, text)
		if !m.HasText {
			return
		}
		if m.Before+m.Mark+m.After != text || m.Mark == "" {
			t.Fatalf("split %q | %q | %q of %q", m.Before, m.Mark, m.After, text)
		}
		if utf8.ValidString(text) && (!utf8.ValidString(m.Before) || !utf8.ValidString(m.Mark)) {
			t.Fatalf("split inside a character: %q | %q | %q", m.Before, m.Mark, m.After)
		}
	})
}
