package policy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSimulatorSpans: the positions IAM's policy simulator reports for
// statements. The first three documents are ones whose reported positions
// AWS has published: the AWS CLI's simulate-custom-policy example
// (1:38 to 1:167), the AdministratorAccess managed policy as IAM stores
// it (3:17 to 8:6), and a user policy in the console's four-space layout
// (3:19 to 9:10, the CLI's simulate-principal-policy example).
func TestSimulatorSpans(t *testing.T) {
	type pos struct{ StartLine, StartCol, EndLine, EndCol int }
	lines := func(crlf string, l ...string) string { return strings.Join(l, crlf) }
	console := []string{
		"{",
		`    "Version": "2012-10-17",`,
		`    "Statement": [`,
		"        {",
		`            "Sid": "Grant",`,
		`            "Effect": "Allow",`,
		`            "Action": "codecommit:ListRepositories",`,
		`            "Resource": "*"`,
		"        }",
		"    ]",
		"}",
	}
	tests := []struct {
		name string
		doc  string
		want []pos
	}{
		{
			name: "single object statement, one line",
			doc:  `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}`,
			want: []pos{{1, 38, 1, 167}},
		},
		{
			name: "array, two-space layout",
			doc:  lines("\n", "{", `  "Version": "2012-10-17",`, `  "Statement": [`, "    {", `      "Effect": "Allow",`, `      "Action": "*",`, `      "Resource": "*"`, "    }", "  ]", "}"),
			want: []pos{{3, 17, 8, 6}},
		},
		{name: "array, four-space layout", doc: lines("\n", console...), want: []pos{{3, 19, 9, 10}}},
		{name: "CRLF is one line break", doc: lines("\r\n", console...), want: []pos{{3, 19, 9, 10}}},
		{name: "a lone CR is one line break", doc: lines("\r", console...), want: []pos{{3, 19, 9, 10}}},
		{
			name: "a later element starts where the previous one ends, before the comma",
			doc:  `{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Deny","Action":"*","Resource":"*"} , {"Effect":"Allow","Action":"*","Resource":"*"}]}`,
			want: []pos{{1, 38, 1, 93}, {1, 93, 1, 142}},
		},
		{
			name: "whitespace before an object statement's brace",
			doc:  "{\"Statement\" :\n\t{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}",
			want: []pos{{2, 3, 2, 48}},
		},
		{
			name: "Latin-1 characters count one column each",
			doc:  `{"Id":"café","Statement":[{"Sid":"é","Effect":"Allow","Action":"*","Resource":"*"}]}`,
			want: []pos{{1, 27, 1, 83}},
		},
		{
			name: "a character outside the BMP counts two columns",
			doc:  `{"Id":"😀","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
			want: []pos{{1, 25, 1, 71}},
		},
		{
			name: "escapes count as written",
			doc:  `{"Id":"\u00e9\"","Statement":[{"Sid":"x\ty","Effect":"Allow","Action":"*","Resource":"*"}]}`,
			want: []pos{{1, 31, 1, 90}},
		},
		{name: "empty array", doc: `{"Statement":[]}`, want: []pos{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spans, ok := SimulatorSpans([]byte(tt.doc))
			if !ok {
				t.Fatal("not a document")
			}
			got := []pos{}
			for _, sp := range spans {
				got = append(got, pos{sp.Start.Line, sp.Start.Column, sp.End.Line, sp.End.Column})
				if PositionAt([]byte(tt.doc), sp.EndOffset) != sp.End && !strings.ContainsAny(tt.doc, "😀") {
					t.Errorf("EndOffset %d is not at %v", sp.EndOffset, sp.End)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("positions (-want +got):\n%s", diff)
			}
		})
	}
	if _, ok := SimulatorSpans([]byte(`{"Statement":[{}]`)); ok {
		t.Error("a document that is not JSON has spans")
	}
}

// TestSimulatedStatement: the statement reported at a pair of positions
// is found again, from brace to brace.
func TestSimulatedStatement(t *testing.T) {
	doc := "{\"Version\":\"2012-10-17\",\"Statement\":[\n  {\"Sid\":\"a\",\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"},\n  {\"Sid\":\"b\",\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"
	data := []byte(doc)
	reported, _ := SimulatorSpans(data)
	for i, sid := range []string{"a", "b"} {
		sp, ok := SimulatedStatement(data, reported[i].Start, reported[i].End)
		if !ok {
			t.Fatalf("statement %s not found", sid)
		}
		if got, want := doc[sp.StartOffset:sp.EndOffset], `{"Sid":"`+sid+`","Effect":`; !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "}") {
			t.Errorf("statement %s: %q", sid, got)
		}
	}
	if _, ok := SimulatedStatement(data, Position{1, 1}, Position{1, 2}); ok {
		t.Error("a statement found where none is reported")
	}
}
