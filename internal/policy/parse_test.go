package policy

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Document
	}{
		{
			name: "statement object, string values",
			in:   `{"Version":"2012-10-17","Id":"x","Statement":{"Sid":"a","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`,
			want: &Document{Version: Version2012, ID: "x", StatementIsObject: true, Statements: []Statement{{
				Sid: "a", HasSid: true, Effect: Allow, Action: Values{"s3:GetObject"}, Resource: Values{"*"},
			}}},
		},
		{
			name: "statement array, arrays, empty arrays",
			in:   `{"Statement":[{"Effect":"Deny","NotAction":["a:b","c:d"],"NotResource":[]}]}`,
			want: &Document{Statements: []Statement{{
				Effect: Deny, NotAction: Values{"a:b", "c:d"}, NotResource: Values{},
			}}},
		},
		{
			name: "principal wildcard and map",
			in:   `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*"},{"Effect":"Allow","NotPrincipal":{"AWS":["123456789012","arn:aws:iam::123456789012:root"],"Service":"ec2.amazonaws.com"},"Action":"s3:*"}]}`,
			want: &Document{Statements: []Statement{
				{Effect: Allow, Principal: &Principal{Wildcard: true}, Action: Values{"s3:*"}},
				{Effect: Allow, NotPrincipal: &Principal{Types: []PrincipalEntry{
					{Type: "AWS", Values: Values{"123456789012", "arn:aws:iam::123456789012:root"}},
					{Type: "Service", Values: Values{"ec2.amazonaws.com"}},
				}}, Action: Values{"s3:*"}},
			}},
		},
		{
			name: "condition numbers and booleans keep their literal text",
			in:   `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":10,"x:y":[1.50,"2"]},"Bool":{"aws:SecureTransport":false},"StringEquals":{}}}}`,
			want: &Document{StatementIsObject: true, Statements: []Statement{{
				Effect: Allow, Action: Values{"a:b"}, Resource: Values{"*"}, HasCondition: true,
				Condition: []Condition{
					{Operator: "NumericLessThan", Key: "s3:max-keys", Values: []string{"10"}},
					{Operator: "NumericLessThan", Key: "x:y", Values: []string{"1.50", "2"}},
					{Operator: "Bool", Key: "aws:SecureTransport", Values: []string{"false"}},
				},
			}}},
		},
		{
			name: "duplicate keys: last wins",
			in:   `{"Statement":{"Effect":"Deny","Effect":"Allow","Action":"a:b","Action":"c:d"}}`,
			want: &Document{StatementIsObject: true, Statements: []Statement{{Effect: Allow, Action: Values{"c:d"}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseSyntaxErrors(t *testing.T) {
	for _, in := range []string{
		``,
		`not json`,
		`[]`,
		`"x"`,
		`{"Statement":{}} x`,
		`{"Version":""}`,
		`{"Version":1}`,
		`{"Id":["x"]}`,
		`{"Extra":"x"}`,
		`{"Statement":"x"}`,
		`{"Statement":null}`,
		`{"Statement":["x"]}`,
		`{"Statement":{"Effect":1}}`,
		`{"Statement":{"Sid":null}}`,
		`{"Statement":{"Action":[1]}}`,
		`{"Statement":{"Action":null}}`,
		`{"Statement":{"Resource":{"a":"b"}}}`,
		`{"Statement":{"Principal":"arn:aws:iam::123456789012:root"}}`,
		`{"Statement":{"Principal":{"AWS":1}}}`,
		`{"Statement":{"Condition":"a"}}`,
		`{"Statement":{"Condition":[]}}`,
		`{"Statement":{"Condition":{"StringEquals":"b"}}}`,
		`{"Statement":{"Condition":{"StringEquals":{"a":{}}}}}`,
		`{"Statement":{"Condition":{"StringEquals":{"a":null}}}}`,
		`{"Statement":{"Condition":{"StringEquals":{"a":[["x"]]}}}}`,
		`{"Statement":{"Other":"x"}}`,
	} {
		_, err := Parse([]byte(in))
		var me *MalformedError
		if !errors.As(err, &me) || me.Message != "Syntax errors in policy." {
			t.Errorf("Parse(%s) = %v, want MalformedError %q", in, err, "Syntax errors in policy.")
		}
	}
}
