package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPrint(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{
			name: "object statement, elements reordered",
			in:   `{"Statement":{"Resource":["*"],"Action":"s3:GetObject","Effect":"Allow","Sid":""},"Version":"2012-10-17"}`,
			want: `{"Version":"2012-10-17","Statement":{"Sid":"","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`,
		},
		{
			name: "array statement, principal, conditions, no HTML escaping",
			in: `{"Id":"a<b","Statement":[{"Effect":"Deny","Principal":{"AWS":["1","2"]},"NotAction":[],
				"Condition":{"NumericLessThan":{"k":10},"Bool":{"aws:SecureTransport":[false,"true"]}}}]}`,
			want: `{"Id":"a<b","Statement":[{"Effect":"Deny","Principal":{"AWS":["1","2"]},"NotAction":[],"Condition":{"NumericLessThan":{"k":"10"},"Bool":{"aws:SecureTransport":["false","true"]}}}]}`,
		},
		{
			name: "empty condition block",
			in:   `{"Statement":[{"Effect":"Allow","Principal":"*","Condition":{}}]}`,
			want: `{"Statement":[{"Effect":"Allow","Principal":"*","Condition":{}}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := Print(doc)
			if err != nil {
				t.Fatalf("Print: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("Print:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestPrintRefusesAmbiguousDocuments(t *testing.T) {
	for name, doc := range map[string]*Document{
		"nil":                nil,
		"object with two":    {StatementIsObject: true, Statements: []Statement{{}, {}}},
		"wildcard and map":   {Statements: []Statement{{Principal: &Principal{Wildcard: true, Types: []PrincipalEntry{{Type: "AWS"}}}}}},
		"repeated type":      {Statements: []Statement{{Principal: &Principal{Types: []PrincipalEntry{{Type: "AWS"}, {Type: "AWS"}}}}}},
		"repeated condition": {Statements: []Statement{{Condition: []Condition{{Operator: "Bool", Key: "k"}, {Operator: "Bool", Key: "k"}}}}},
	} {
		if _, err := Print(doc); err == nil {
			t.Errorf("%s: Print succeeded, want an error", name)
		}
	}
}

func TestPrintRoundTripManagedPolicies(t *testing.T) {
	names, docs := managedPolicies(t)
	for _, name := range names {
		checkRoundTrip(t, name, docs[name])
	}
}

// checkRoundTrip checks that Parse(Print(Parse(data))) equals Parse(data).
func checkRoundTrip(t testing.TB, name string, data []byte) {
	t.Helper()
	doc, err := Parse(data)
	if err != nil {
		return
	}
	out, err := Print(doc)
	if err != nil {
		t.Fatalf("%s: Print: %v", name, err)
	}
	again, err := Parse(out)
	if err != nil {
		t.Fatalf("%s: Parse(Print) %s: %v", name, out, err)
	}
	if diff := cmp.Diff(doc, again); diff != "" {
		t.Fatalf("%s: round trip mismatch (-parsed +reparsed):\n%s", name, diff)
	}
}

func TestPrintRoundTripValidationCorpus(t *testing.T) {
	c := loadPolicyCases(t)
	for _, tc := range c.Invalid {
		checkRoundTrip(t, "invalid case", documentText(t, tc.Document))
	}
	for _, raw := range c.Valid {
		checkRoundTrip(t, "valid case", documentText(t, raw))
	}
}
