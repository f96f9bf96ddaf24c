package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/vectortest"
	"github.com/google/go-cmp/cmp"
)

// runBrevet runs the root command in-process and returns its standard
// output and exit status.
func runBrevet(t *testing.T, stdin string, args ...string) (string, int) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(args)
	err := cmd.Execute()
	code := 0
	if err != nil {
		var c exitCode
		if !asExitCode(err, &c) {
			t.Fatalf("brevet %v: %v", args, err)
		}
		code = int(c)
	}
	return out.String(), code
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const (
	goodIdentity = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`
	goodTrust    = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`
	mismatched   = `{"Version":"2012-10-17","Statement":{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:ec2:us-east-1:123456789012:instance/*"}}`
	badType      = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"DateGreaterThan":{"aws:username":"2020-01-01"}}}}`
)

func TestPolicyValidateText(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"good.json":      goodIdentity,
		"trust.json":     goodTrust,
		"syntax.json":    `This is not a json document`,
		"actions.json":   `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"*"}}`,
		"warn.json":      mismatched,
		"badtype.json":   badType,
		"big.json":       `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + strings.Repeat("b", 6100) + `"}}`,
		"partition.json": `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"a:b:c"}}`,
		"dupkey.json":    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"192.0.2.0/24","aws:SourceIp":"0.0.0.0/0"}}}]}`,
		"nevermatch.json": `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{` +
			`"IpAddress":{"aws:SourceIp":"192.0.2.0/33"},"Null":{"aws:TokenIssueTime":"maybe"},"StringEquals":{"aws:username":"\ud800x"}}}}`,
	})
	p := func(name string) string { return filepath.Join(dir, name) }
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantOut  string
		wantCode int
	}{
		{"valid", []string{p("good.json")}, "", p("good.json") + ": valid\n", 0},
		{"trust as trust", []string{"--type", "trust", p("trust.json")}, "", p("trust.json") + ": valid\n", 0},
		{"trust as identity", []string{p("trust.json")}, "", p("trust.json") + ": MalformedPolicyDocument: Policy document should not specify a principal.\n", 1},
		{"identity as trust", []string{"--type=trust", p("good.json")}, "", p("good.json") + ": MalformedPolicyDocument: Has prohibited field Resource\n", 1},
		{"syntax error", []string{p("syntax.json")}, "", p("syntax.json") + ": MalformedPolicyDocument: Syntax errors in policy.\n", 1},
		{"partition", []string{p("partition.json")}, "", p("partition.json") + `: MalformedPolicyDocument: Partition "b" is not valid for resource "arn:b:c:*:*:*".` + "\n", 1},
		{"one bad of two", []string{p("good.json"), p("actions.json")}, "",
			p("good.json") + ": valid\n" + p("actions.json") + ": MalformedPolicyDocument: Policy statement must contain actions.\n", 1},
		{"over quota", []string{p("big.json")}, "", p("big.json") + ": LimitExceeded: Cannot exceed quota for PolicySize: 6144\n", 1},
		{"resource mismatch warns, exit 0", []string{p("warn.json")}, "",
			p("warn.json") + ": valid, 1 warning\n" +
				p("warn.json") + ": warning: statement 0 (Read): resource arn:aws:ec2:us-east-1:123456789012:instance/* belongs to ec2, but no action in the statement (s3:GetObject) acts on ec2 resources [resource-service-mismatch]\n", 0},
		{"type mismatch, strict", []string{"--strict", p("badtype.json")}, "",
			p("badtype.json") + ": valid, 1 warning\n" +
				p("badtype.json") + ": warning: statement 0: DateGreaterThan compares Date values, but aws:username is of type String [condition-type-mismatch]\n", 1},
		{"duplicate key", []string{p("dupkey.json")}, "",
			p("dupkey.json") + `: MalformedPolicyDocument: Syntax errors in policy. Duplicate key "aws:SourceIp" in Statement[0].Condition.IpAddress.` + "\n", 1},
		{"values that never match, strict", []string{"--strict", p("nevermatch.json")}, "",
			p("nevermatch.json") + ": valid, 3 warnings\n" +
				p("nevermatch.json") + `: warning: statement 0: IpAddress cannot compare "192.0.2.0/33": it is not an IP address or CIDR block [condition-value]` + "\n" +
				p("nevermatch.json") + `: warning: statement 0: Null cannot compare "maybe": it is not true or false [condition-value]` + "\n" +
				p("nevermatch.json") + `: warning: statement 0: StringEquals value "\ufffdx" contains U+FFFD, the replacement character (a lone UTF-16 surrogate escape reads as one): it matches only values that contain U+FFFD [condition-value]` + "\n", 1},
		{"stdin", []string{"-"}, goodIdentity, "-: valid\n", 0},
		{"missing file", []string{p("nosuch.json")}, "", p("nosuch.json") + ": ReadError: open " + p("nosuch.json") + ": no such file or directory\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code := runBrevet(t, tt.stdin, append([]string{"policy", "validate"}, tt.args...)...)
			if diff := cmp.Diff(tt.wantOut, out); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d", code, tt.wantCode)
			}
		})
	}
}

func TestPolicyValidateUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"policy", "validate"},
		{"policy", "validate", "--type", "scp", "x.json"},
		{"policy", "validate", "-o", "yaml", "x.json"},
		{"policy", "validate", "--service-reference", t.TempDir(), "x.json"},
	} {
		cmd := newRootCmd()
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		cmd.SetArgs(args)
		err := cmd.Execute()
		var c exitCode
		if err == nil || asExitCode(err, &c) {
			t.Errorf("brevet %v: got %v, want a usage error", args, err)
		}
	}
}

func TestPolicyValidateJSONWithServiceReference(t *testing.T) {
	ref := vectortest.Dir(t, "iam-service-reference-iam-data/data")
	dir := writeFiles(t, map[string]string{
		"p.json": `{"Version":"2012-10-17","Statement":[
			{"Sid":"A","Effect":"Allow","Action":["s3:GetObjectz","s3:Frob*","s3:Get*","s4:Get"],"Resource":"*"},
			{"Sid":"B","Effect":"Allow","Action":"ssm:SendCommand","Resource":"arn:aws:ec2:*:*:instance/*",
			 "Condition":{"StringEquals":{"s3:nosuchkey":"x","token.actions.githubusercontent.com:sub":"repo:o/r:*"},"NumericLessThan":{"s3:max-keys":"10","s3:prefix":"5"}}}]}`,
		"bad.json": `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:us-east-1::b"}}`,
	})
	out, code := runBrevet(t, "", "policy", "validate", "--service-reference", ref, "-o", "json",
		filepath.Join(dir, "p.json"), filepath.Join(dir, "bad.json"))
	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	var got []fileResult
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	want := []fileResult{
		{File: filepath.Join(dir, "p.json"), Valid: true, Warnings: []resultWarning{
			{Statement: 0, Sid: "A", Code: "unknown-action", Message: "action s3:GetObjectz does not exist in s3"},
			{Statement: 0, Sid: "A", Code: "unknown-action", Message: "action pattern s3:Frob* matches no s3 action"},
			{Statement: 0, Sid: "A", Code: "unknown-service", Message: `action s4:Get: no AWS service has the prefix "s4"`},
			{Statement: 1, Sid: "B", Code: "unknown-condition-key", Message: "condition key s3:nosuchkey is not defined by s3"},
			{Statement: 1, Sid: "B", Code: "condition-type-mismatch", Message: "NumericLessThan compares Numeric values, but s3:prefix is of type String"},
		}},
		{File: filepath.Join(dir, "bad.json"), Error: &resultError{Code: "MalformedPolicyDocument", Message: "Resource arn:aws:s3:us-east-1::b can not contain region information."}, Warnings: []resultWarning{}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON result (-want +got):\n%s", diff)
	}
}
