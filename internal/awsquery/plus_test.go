package awsquery_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/awsquery"
)

// The query string is read as SigV4 signs it ('+' literal) and a form body
// as HTML forms encode it ('+' a space). The body is covered by its hash, so
// only the query needs to agree with the canonicalizer.
func TestPlusInQueryAndBody(t *testing.T) {
	tests := []struct {
		name  string
		parse func([]awsquery.Param, string) ([]awsquery.Param, error)
		in    string
		want  []awsquery.Param
	}{
		{"query keeps plus", awsquery.ParseQuery, "UserName=a+b&Path=%2Fx%2By%20z%2F", []awsquery.Param{{Name: "UserName", Value: "a+b"}, {Name: "Path", Value: "/x+y z/"}}},
		{"query without escapes", awsquery.ParseQuery, "Action=GetUser", []awsquery.Param{{Name: "Action", Value: "GetUser"}}},
		{"form plus is space", awsquery.ParseForm, "UserName=a+b&Path=%2Fx%2By%20z%2F", []awsquery.Param{{Name: "UserName", Value: "a b"}, {Name: "Path", Value: "/x+y z/"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parse(nil, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("params (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := awsquery.ParseQuery(nil, "a=%zz"); err == nil {
		t.Error("ParseQuery accepted a bad percent-escape")
	}
}
