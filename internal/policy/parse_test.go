package policy

import (
	"errors"
	"fmt"
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
			name: "keys that differ only in case are not duplicates",
			in:   `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEquals":{"aws:username":"x","aws:UserName":"y"}}}}`,
			want: &Document{StatementIsObject: true, Statements: []Statement{{
				Effect: Allow, Action: Values{"a:b"}, Resource: Values{"*"}, HasCondition: true,
				Condition: []Condition{
					{Operator: "StringEquals", Key: "aws:username", Values: []string{"x"}},
					{Operator: "StringEquals", Key: "aws:UserName", Values: []string{"y"}},
				},
			}}},
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
		// Not JSON, whatever else: a duplicate key does not change the message.
		`{"Statement":{"Effect":"Allow","Effect":"Deny"}} x`,
		`{"Version":"2012-10-17","Version":"2012-10-17"`,
	} {
		_, err := Parse([]byte(in))
		var me *MalformedError
		if !errors.As(err, &me) || me.Message != "Syntax errors in policy." {
			t.Errorf("Parse(%s) = %v, want MalformedError %q", in, err, "Syntax errors in policy.")
		}
	}
}

func TestParseDuplicateKeys(t *testing.T) {
	const syntax = "Syntax errors in policy. "
	// manyKeys is an operator block past smallObject keys, where the
	// duplicate is found by the set rather than by the scan.
	manyKeys := ""
	for i := range 40 {
		manyKeys += fmt.Sprintf(`"k:%d":"v",`, i)
	}
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"version", `{"Version":"2008-10-17","Version":"2012-10-17","Statement":[]}`,
			`Duplicate key "Version" in the policy.`},
		{"statement", `{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"},"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
			`Duplicate key "Statement" in the policy.`},
		{"effect", `{"Statement":{"Effect":"Deny","Effect":"Allow","Action":"a:b","Resource":"*"}}`,
			`Duplicate key "Effect" in Statement.`},
		{"resource in second statement", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::a","Resource":"arn:aws:s3:::b"}]}`,
			`Duplicate key "Resource" in Statement[1].`},
		{"principal type", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"111111111111","AWS":"222222222222"},"Action":"sts:AssumeRole"}}`,
			`Duplicate key "AWS" in Statement.Principal.`},
		{"condition operator", `{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}}]}`,
			`Duplicate key "IpAddress" in Statement[0].Condition.`},
		{"condition key", `{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEquals":{"aws:username":"alice","aws:username":"bob"}}}]}`,
			`Duplicate key "aws:username" in Statement[0].Condition.StringEquals.`},
		{"condition key past the scan", `{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEquals":{` + manyKeys + `"k:7":"w"}}}]}`,
			`Duplicate key "k:7" in Statement[0].Condition.StringEquals.`},
		{"escaped spelling of the same key", `{"Statement":{"Effect":"Allow","\u0045ffect":"Deny","Action":"a:b","Resource":"*"}}`,
			`Duplicate key "Effect" in Statement.`},
		{"unknown element twice", `{"Statement":{"Other":1,"Other":2}}`,
			`Duplicate key "Other" in Statement.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			var me *MalformedError
			if !errors.As(err, &me) {
				t.Fatalf("Parse = %v, want a *MalformedError", err)
			}
			if got, want := me.Message, syntax+tt.want; got != want {
				t.Errorf("message\n got %q\nwant %q", got, want)
			}
		})
	}
}
