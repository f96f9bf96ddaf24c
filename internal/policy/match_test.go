package policy

import "testing"

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		pattern string
		s       string
		fold    bool
		want    bool
	}{
		{"*", "anything", false, true},
		{"*", "", false, true},
		{"s3:Get*", "s3:GetObject", false, true},
		{"s3:get*", "S3:GETOBJECT", true, true},
		{"s3:get*", "S3:GETOBJECT", false, false},
		{"s3:*Object", "s3:GetObject", false, true},
		{"s3:*Object", "s3:GetObjectAcl", false, false},
		{"s3:Get*Acl", "s3:GetObjectAcl", false, true},
		{"s3:Get*Acl", "s3:GetAcl", false, true},
		{"iam:*User*", "iam:ListUserPolicies", false, true},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"a??", "aé!", false, true}, // ? is one character, not one byte
		{"a*b*c", "aXXbYYc", false, true},
		{"a*b*c", "aXXbYY", false, false},
		{"**a", "xa", false, true},
		{"*aab", "aaab", false, true},
		{"abc", "ab", false, false},
		{"ab", "abc", false, false},
		{"", "", false, true},
	}
	for _, tt := range tests {
		p := compilePat(tt.pattern, true, false)
		e := env{req: &Request{}}
		if got := p.match(&e, tt.s, tt.fold); got != tt.want {
			t.Errorf("match(%q, %q, fold=%v) = %v, want %v", tt.pattern, tt.s, tt.fold, got, tt.want)
		}
	}
}

// TestResourceMatch covers Resource wildcards (case-sensitive, per ARN
// component) and policy variables in resources.
func TestResourceMatch(t *testing.T) {
	req := requestWith(ctxKV{"aws:PrincipalTag/team": {"yellow"}})
	tests := []struct {
		pattern  string
		resource string
		vars     bool
		want     bool
	}{
		{"*", "arn:aws:s3:::bucket/key", true, true},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c", true, true},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::Bucket/a", true, false},
		{"arn:aws:s3:::bucket", "arn:aws:s3:::bucket/a", true, false},
		{"arn:aws:s3:::buck?t", "arn:aws:s3:::bucket", true, true},
		{"arn:aws:dynamodb:*:*:table/Thread", "arn:aws:dynamodb:us-east-1:111122223333:table/Thread", true, true},
		{"arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:us-east-1:111122223333:volume/vol-1", true, false},
		// A star in one component does not reach into the next.
		{"arn:aws:*::111122223333:table/T", "arn:aws:dynamodb:us-east-1:111122223333:table/T", true, false},
		// The resource component may contain colons.
		{"arn:aws:logs:us-east-1:111122223333:log-group:*", "arn:aws:logs:us-east-1:111122223333:log-group:g:log-stream:s", true, true},
		{"arn:aws:s3:::bucket/home/${aws:username}/*", "arn:aws:s3:::bucket/home/alice/file", true, true},
		{"arn:aws:s3:::bucket/home/${aws:username}/*", "arn:aws:s3:::bucket/home/bob/file", true, false},
		// Under Version 2008-10-17 the variable is literal text.
		{"arn:aws:s3:::bucket/home/${aws:username}/*", "arn:aws:s3:::bucket/home/alice/file", false, false},
		{"arn:aws:s3:::bucket/home/${aws:username}/*", "arn:aws:s3:::bucket/home/${aws:username}/file", false, true},
		{"arn:aws:iam::${aws:PrincipalAccount}:user/${aws:username}", "arn:aws:iam::111122223333:user/alice", true, true},
		{"arn:aws:s3:::DOC-EXAMPLE-BUCKET-${aws:PrincipalTag/team, 'company-wide'}", "arn:aws:s3:::DOC-EXAMPLE-BUCKET-yellow", true, true},
		{"arn:aws:s3:::DOC-EXAMPLE-BUCKET-${aws:PrincipalTag/dept, 'company-wide'}", "arn:aws:s3:::DOC-EXAMPLE-BUCKET-company-wide", true, true},
		// A variable without a value matches no resource.
		{"arn:aws:s3:::bucket/${aws:PrincipalTag/missing}/*", "arn:aws:s3:::bucket//x", true, false},
		{"arn:aws:s3:::bucket/${aws:PrincipalTag/missing}*", "arn:aws:s3:::bucket/x", true, false},
		// The special variables stand for the literal character.
		{"arn:aws:s3:::bucket/${*}", "arn:aws:s3:::bucket/*", true, true},
		{"arn:aws:s3:::bucket/${*}", "arn:aws:s3:::bucket/x", true, false},
		{"arn:aws:s3:::b/${?}${$}", "arn:aws:s3:::b/?$", true, true},
		// Non-ARN resources match as a whole.
		{"bucket*", "bucket-1", true, true},
	}
	for _, tt := range tests {
		p := compileARNPat(tt.pattern, tt.vars)
		e := env{req: req}
		if got := p.match(&e, tt.resource); got != tt.want {
			t.Errorf("match(%q, %q, vars=%v) = %v, want %v", tt.pattern, tt.resource, tt.vars, got, tt.want)
		}
	}
}

func TestParseVariable(t *testing.T) {
	tests := []struct {
		in     string
		want   patTok
		n      int
		wantOK bool
	}{
		{"${aws:username}", patTok{kind: tokVar, text: "aws:username"}, 15, true},
		{"${aws:username}/x", patTok{kind: tokVar, text: "aws:username"}, 15, true},
		{"${aws:PrincipalTag/team, 'company-wide'}", patTok{kind: tokVar, text: "aws:PrincipalTag/team", def: "company-wide", hasDef: true}, 40, true},
		{"${k, 'a}b'}", patTok{kind: tokVar, text: "k", def: "a}b", hasDef: true}, 11, true},
		{"${*}", patTok{kind: tokLit, text: "*"}, 4, true},
		{"${?}", patTok{kind: tokLit, text: "?"}, 4, true},
		{"${$}", patTok{kind: tokLit, text: "$"}, 4, true},
		{"${aws:username", patTok{}, 0, false},
		{"${}", patTok{}, 0, false},
		{"${k, default}", patTok{}, 0, false},
	}
	for _, tt := range tests {
		got, n, ok := parseVariable(tt.in)
		if got != tt.want || n != tt.n || ok != tt.wantOK {
			t.Errorf("parseVariable(%q) = %+v, %d, %v; want %+v, %d, %v", tt.in, got, n, ok, tt.want, tt.n, tt.wantOK)
		}
	}
}

func TestActionIndex(t *testing.T) {
	tests := []struct {
		actions   []string
		notAction bool
		services  []string
		wild      bool
	}{
		{[]string{"s3:GetObject", "S3:PutObject", "kms:Decrypt"}, false, []string{"s3", "kms"}, false},
		{[]string{"s3:Get*"}, false, []string{"s3"}, false},
		{[]string{"*"}, false, nil, true},
		{[]string{"s3*:Get"}, false, nil, true},
		{[]string{"s3:*"}, true, nil, true},
	}
	for _, tt := range tests {
		st, err := compileStatement(&Statement{Effect: Allow, Action: tt.actions, Resource: Values{"*"}}, 0, true, nil)
		if tt.notAction {
			st, err = compileStatement(&Statement{Effect: Allow, NotAction: tt.actions, Resource: Values{"*"}}, 0, true, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		services, wild := actionServices(&st)
		if len(services) != len(tt.services) || wild != tt.wild {
			t.Errorf("actionServices(%q) = %q, %v; want %q, %v", tt.actions, services, wild, tt.services, tt.wild)
			continue
		}
		for i := range services {
			if services[i] != tt.services[i] {
				t.Errorf("actionServices(%q) = %q; want %q", tt.actions, services, tt.services)
			}
		}
	}
}
