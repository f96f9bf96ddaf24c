package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// runPolicyEvalCmd runs the root command in-process and returns what it
// wrote (standard output and error together) and its exit status.
func runPolicyEvalCmd(t *testing.T, stdin string, args ...string) (string, int) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(args)
	err := cmd.Execute()
	if err == nil {
		return out.String(), 0
	}
	var c exitCode
	if !asExitCode(err, &c) {
		t.Fatalf("brevet %v: %v", args, err)
	}
	return out.String(), int(c)
}

const evalReadBucket = `{"Version":"2012-10-17","Statement":[{"Sid":"ReadBucket","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`

// evalDoc builds an input document around a request with the given
// principal and the extra top-level members.
func evalDoc(principal, account, resourceAccount, members string) string {
	if members != "" {
		members += ","
	}
	return `{` + members + `"request": {"principal": "` + principal + `", "principalAccount": "` + account + `",
	  "action": "s3:GetObject", "resource": "arn:aws:s3:::bucket/key", "resourceAccount": "` + resourceAccount + `",
	  "context": {"aws:SourceIp": "10.1.2.3", "aws:PrincipalTag/team": "red", "aws:TagKeys": ["a", "b"], "s3:max-keys": 10, "aws:SecureTransport": true}}}`
}

// evalCase is one `brevet policy eval` run: its input, and the exit status
// and decision it must give.
type evalCase struct {
	name     string
	input    string
	wantCode int
	want     evalOutput
}

func runEvalCases(t *testing.T, tests []evalCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code := runPolicyEvalCmd(t, tt.input, "policy", "eval")
			if code != tt.wantCode {
				t.Errorf("exit status = %d, want %d; output:\n%s", code, tt.wantCode, out)
			}
			var got evalOutput
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("output is not a decision: %v\n%s", err, out)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPolicyEval(t *testing.T) {
	const alice, aliceAcct = "arn:aws:iam::111122223333:user/alice", "111122223333"
	tests := []evalCase{
		{
			name:     "allowed by an identity policy",
			input:    evalDoc(alice, aliceAcct, aliceAcct, `"identityPolicies": [`+evalReadBucket+`]`),
			wantCode: 0,
			want: evalOutput{Decision: "Allowed", Reason: "allowed by an identity-based policy", MatchedStatements: []evalMatched{
				{Policy: "identityPolicies[0]", PolicyType: "IdentityBasedPolicy", Sid: "ReadBucket", Effect: "Allow"}}},
		},
		{
			name:     "policy given as a JSON string",
			input:    evalDoc(alice, aliceAcct, aliceAcct, `"identityPolicies": [`+strconvQuote(evalReadBucket)+`]`),
			wantCode: 0,
			want: evalOutput{Decision: "Allowed", Reason: "allowed by an identity-based policy", MatchedStatements: []evalMatched{
				{Policy: "identityPolicies[0]", PolicyType: "IdentityBasedPolicy", Sid: "ReadBucket", Effect: "Allow"}}},
		},
		{
			name:     "no policies: implicitly denied",
			input:    evalDoc(alice, aliceAcct, aliceAcct, ""),
			wantCode: 2,
			want:     evalOutput{Decision: "ImplicitlyDenied", MissingAllow: "IdentityBasedPolicy", Reason: "no identity-based policy allows the action", MatchedStatements: []evalMatched{}},
		},
		{
			name: "boundary does not allow",
			input: evalDoc(alice, aliceAcct, aliceAcct, `"identityPolicies": [`+evalReadBucket+`],
			  "permissionBoundaries": [{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}]`),
			wantCode: 2,
			want: evalOutput{Decision: "ImplicitlyDenied", MissingAllow: "PermissionsBoundaryPolicy", Reason: "the permissions boundary does not allow the action", MatchedStatements: []evalMatched{
				{Policy: "identityPolicies[0]", PolicyType: "IdentityBasedPolicy", Sid: "ReadBucket", Effect: "Allow"}}},
		},
		{
			name: "session policy explicitly denies",
			input: evalDoc("arn:aws:sts::111122223333:assumed-role/dev/s", aliceAcct, aliceAcct, `"identityPolicies": [`+evalReadBucket+`],
			  "sessionPolicies": [{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":"b"}}}}]`),
			wantCode: 2,
			want: evalOutput{Decision: "ExplicitlyDenied", DeniedBy: "SessionPolicy", Reason: "explicitly denied by a session policy", MatchedStatements: []evalMatched{
				{Policy: "identityPolicies[0]", PolicyType: "IdentityBasedPolicy", Sid: "ReadBucket", Effect: "Allow"},
				{Policy: "sessionPolicies[0]", PolicyType: "SessionPolicy", Effect: "Deny"}}},
		},
		{
			name: "cross-account with a bucket policy",
			input: evalDoc("arn:aws:iam::444455556666:user/carol", "444455556666", aliceAcct, `"identityPolicies": [`+evalReadBucket+`],
			  "resourcePolicy": {"Version":"2012-10-17","Statement":{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*","Condition":{"NumericLessThanEquals":{"s3:max-keys":"10"},"Bool":{"aws:SecureTransport":"true"}}}}`),
			wantCode: 0,
			want: evalOutput{Decision: "Allowed", Reason: "allowed by both the identity-based policies and the resource-based policy (cross-account)", MatchedStatements: []evalMatched{
				{Policy: "identityPolicies[0]", PolicyType: "IdentityBasedPolicy", Sid: "ReadBucket", Effect: "Allow"},
				{Policy: "resourcePolicy", PolicyType: "ResourceBasedPolicy", Sid: "Partner", Effect: "Allow"}}},
		},
		{
			name: "trust policy",
			input: `{"resourcePolicyType": "trust",
			  "resourcePolicy": {"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"accounts.google.com:aud":"app"}}}},
			  "request": {"principal": "accounts.google.com", "action": "sts:AssumeRoleWithWebIdentity", "resource": "arn:aws:iam::111122223333:role/web",
			    "resourceAccount": "111122223333", "context": {"accounts.google.com:aud": "app"}}}`,
			wantCode: 0,
			want: evalOutput{Decision: "Allowed", Reason: "allowed by a resource-based policy that names the principal", MatchedStatements: []evalMatched{
				{Policy: "resourcePolicy", PolicyType: "TrustPolicy", Effect: "Allow"}}},
		},
	}
	runEvalCases(t, tests)
}

// TestPolicyEvalUnevaluated: the actions the server performs without
// authorizing them are decided as the server decides them, whatever the
// policies say, and the reason says so.
func TestPolicyEvalUnevaluated(t *testing.T) {
	const denyAll = `"identityPolicies": [{"Version":"2012-10-17","Statement":{"Sid":"Nothing","Effect":"Deny","Action":"*","Resource":"*"}}]`
	request := func(principal, action string) string {
		return `{` + denyAll + `, "request": {"principal": "` + principal + `", "action": "` + action + `"}}`
	}
	const (
		alice   = "arn:aws:iam::111122223333:user/alice"
		session = "arn:aws:sts::111122223333:assumed-role/dev/s"
	)
	tests := []evalCase{
		{
			name:     "GetCallerIdentity against an explicit deny",
			input:    request(alice, "sts:GetCallerIdentity"),
			wantCode: 0,
			want:     evalOutput{Decision: "Allowed", MatchedStatements: []evalMatched{}, Reason: "sts:GetCallerIdentity is allowed to every authenticated caller: no policy can deny it"},
		},
		{
			name:     "GetCallerIdentity by a role session",
			input:    request(session, "sts:GetCallerIdentity"),
			wantCode: 0,
			want:     evalOutput{Decision: "Allowed", MatchedStatements: []evalMatched{}, Reason: "sts:GetCallerIdentity is allowed to every authenticated caller: no policy can deny it"},
		},
		{
			name:     "GetCallerIdentity without credentials",
			input:    request("", "sts:GetCallerIdentity"),
			wantCode: 2,
			want: evalOutput{Decision: "ImplicitlyDenied", MatchedStatements: []evalMatched{},
				Reason: "sts:GetCallerIdentity needs a request signed with the credentials of an IAM user, a role session, a federated user or the root user"},
		},
		{
			name:     "GetSessionToken against an explicit deny",
			input:    request(alice, "sts:GetSessionToken"),
			wantCode: 0,
			want: evalOutput{Decision: "Allowed", MatchedStatements: []evalMatched{},
				Reason: "sts:GetSessionToken needs no permissions: policies cannot allow or deny it (IAM User Guide, Permissions for GetSessionToken)"},
		},
		{
			name:     "GetSessionToken with session credentials",
			input:    `{"identityPolicies": [{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:*","Resource":"*"}}], "request": {"principal": "` + session + `", "action": "sts:GetSessionToken"}}`,
			wantCode: 2,
			want: evalOutput{Decision: "ImplicitlyDenied", MatchedStatements: []evalMatched{},
				Reason: "sts:GetSessionToken can be called only by IAM users and the account root user, not with session credentials"},
		},
		{
			name:     "other STS actions are evaluated",
			input:    request(alice, "sts:GetAccessKeyInfo"),
			wantCode: 2,
			want: evalOutput{Decision: "ExplicitlyDenied", DeniedBy: "IdentityBasedPolicy", Reason: "explicitly denied by an identity-based policy",
				MatchedStatements: []evalMatched{{Policy: "identityPolicies[0]", PolicyType: "IdentityBasedPolicy", Sid: "Nothing", Effect: "Deny"}}},
		},
	}
	runEvalCases(t, tests)
	// The policies are still validated.
	out, code := runPolicyEvalCmd(t, `{"identityPolicies": [{"Version":"2012-10-17","Statement":{"Effect":"Deny","Resource":"*"}}], "request": {"principal": "`+alice+`", "action": "sts:GetCallerIdentity"}}`, "policy", "eval")
	if code != 1 || !strings.Contains(out, "MalformedPolicyDocument") {
		t.Errorf("an invalid policy with sts:GetCallerIdentity: exit %d, output:\n%s", code, out)
	}
}

// TestPolicyEvalNotPrincipal: an Allow with NotPrincipal grants the
// principals it does not list, and its reason says how.
func TestPolicyEvalNotPrincipal(t *testing.T) {
	const bucketPolicy = `"resourcePolicy": {"Version":"2012-10-17","Statement":{"Sid":"AllButAlice","Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}`
	out, code := runPolicyEvalCmd(t, evalDoc("arn:aws:iam::111122223333:user/alice", "111122223333", "111122223333", bucketPolicy), "policy", "eval")
	if code != 2 || !strings.Contains(out, `"decision": "ImplicitlyDenied"`) {
		t.Errorf("the listed user: exit %d, output:\n%s", code, out)
	}
	out, code = runPolicyEvalCmd(t, evalDoc("arn:aws:iam::111122223333:user/bob", "111122223333", "111122223333", bucketPolicy), "policy", "eval")
	if code != 0 || !strings.Contains(out, `"reason": "allowed by a resource-based policy whose NotPrincipal does not list the principal"`) {
		t.Errorf("another user: exit %d, output:\n%s", code, out)
	}
}

func TestPolicyEvalInputFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "req.json")
	doc := evalDoc("arn:aws:iam::111122223333:user/alice", "111122223333", "111122223333", `"identityPolicies": [`+evalReadBucket+`]`)
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := runPolicyEvalCmd(t, "", "policy", "eval", "--input", file)
	if code != 0 || !strings.Contains(out, `"decision": "Allowed"`) {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
	out, code = runPolicyEvalCmd(t, evalDoc("arn:aws:iam::111122223333:user/alice", "111122223333", "111122223333", ""), "policy", "eval", "--input", "-")
	if code != 2 || !strings.Contains(out, `"decision": "ImplicitlyDenied"`) {
		t.Errorf("stdin: exit %d, output:\n%s", code, out)
	}
}

func TestPolicyEvalInvalid(t *testing.T) {
	const alice = "arn:aws:iam::111122223333:user/alice"
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{"malformed identity policy", evalDoc(alice, "111122223333", "111122223333", `"identityPolicies": [{"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"*"}}]`),
			"MalformedPolicyDocument: identityPolicies[0]: Policy statement must contain actions."},
		{"policy string that is not JSON", evalDoc(alice, "111122223333", "111122223333", `"sessionPolicies": ["not a policy"]`),
			"MalformedPolicyDocument: sessionPolicies[0]: Syntax errors in policy."},
		{"principal in an identity policy", evalDoc(alice, "111122223333", "111122223333", `"identityPolicies": [{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}]`),
			"MalformedPolicyDocument: identityPolicies[0]: Policy document should not specify a principal."},
		{"bad condition value", evalDoc(alice, "111122223333", "111122223333", `"identityPolicies": [{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"not-an-ip"}}}}]`),
			"MalformedPolicyDocument: identityPolicies[0]: statement 0"},
		{"unknown member", `{"request": {"action": "s3:GetObject"}, "identityPolicy": {}}`, "invalid input document"},
		{"no request", `{"identityPolicies": []}`, `"request" is required`},
		{"not JSON", `nope`, "invalid input document"},
		{"bad context value", `{"request": {"action": "s3:GetObject", "context": {"k": {"a": 1}}}}`, `context key "k"`},
		{"unknown principal type", `{"request": {"action": "s3:GetObject", "principalType": "Robot"}}`, `unknown principalType "Robot"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code := runPolicyEvalCmd(t, tt.input, "policy", "eval")
			if code != 1 {
				t.Errorf("exit status = %d, want 1; output:\n%s", code, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("output = %q, want it to contain %q", out, tt.want)
			}
		})
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
