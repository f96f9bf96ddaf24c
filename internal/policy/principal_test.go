package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCallerFromARN(t *testing.T) {
	tests := []struct {
		arn  string
		want Caller
	}{
		{"arn:aws:iam::111122223333:user/division/alice", Caller{Kind: IAMUser, ARN: "arn:aws:iam::111122223333:user/division/alice", Account: "111122223333", UserName: "alice"}},
		{"arn:aws:iam::111122223333:role/dev", Caller{Kind: Role, ARN: "arn:aws:iam::111122223333:role/dev", Account: "111122223333"}},
		{"arn:aws:iam::111122223333:root", Caller{Kind: Root, ARN: "arn:aws:iam::111122223333:root", Account: "111122223333"}},
		{"arn:aws:sts::111122223333:assumed-role/dev/sess", Caller{Kind: AssumedRole, ARN: "arn:aws:sts::111122223333:assumed-role/dev/sess",
			Account: "111122223333", SessionIssuer: "arn:aws:iam::111122223333:role/dev"}},
		{"arn:aws:sts::111122223333:federated-user/bob", Caller{Kind: FederatedUser, ARN: "arn:aws:sts::111122223333:federated-user/bob", Account: "111122223333"}},
		{"arn:aws:iam::111122223333:oidc-provider/oidc.example.com", Caller{Kind: WebIdentity, Provider: "arn:aws:iam::111122223333:oidc-provider/oidc.example.com"}},
		{"arn:aws:iam::111122223333:saml-provider/corp", Caller{Kind: SAMLUser, Provider: "arn:aws:iam::111122223333:saml-provider/corp"}},
		{"cognito-identity.amazonaws.com", Caller{Kind: WebIdentity, Provider: "cognito-identity.amazonaws.com"}},
		{"lambda.amazonaws.com", Caller{Kind: Service, ARN: "lambda.amazonaws.com"}},
		{"", Caller{Kind: Anonymous}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, CallerFromARN(tt.arn)); diff != "" {
			t.Errorf("CallerFromARN(%q) (-want +got):\n%s", tt.arn, diff)
		}
	}
}

// TestPrincipalMatch checks how directly each Principal value names each
// kind of caller.
func TestPrincipalMatch(t *testing.T) {
	tests := []struct {
		name      string
		principal Principal
		caller    Caller
		want      grant
		wantBy    matchedBy
	}{
		{"wildcard", Principal{Wildcard: true}, alice, grantEntity, byWildcard},
		{"AWS *", Principal{Types: []PrincipalEntry{{Type: "AWS", Values: Values{"*"}}}}, anonymous, grantEntity, byWildcard},
		{"AWS * outranks the account", Principal{Types: []PrincipalEntry{{Type: "AWS", Values: Values{"*", "111122223333"}}}}, alice, grantEntity, byWildcard},
		{"the user outranks AWS *", Principal{Types: []PrincipalEntry{{Type: "AWS", Values: Values{"*", alice.ARN}}}}, alice, grantDirect, byName},
		{"account id", Principal{Types: []PrincipalEntry{{Type: "AWS", Values: Values{"111122223333"}}}}, alice, grantAccount, byName},
		{"account root ARN", Principal{Types: []PrincipalEntry{{Type: "AWS", Values: Values{"arn:aws:iam::111122223333:root"}}}}, devSession, grantAccount, byName},
		{"account names root directly", Principal{Types: []PrincipalEntry{{Type: "AWS", Values: Values{"111122223333"}}}}, rootUser, grantDirect, byName},
		{"other account", Principal{Types: []PrincipalEntry{{Type: "AWS", Values: Values{"444455556666"}}}}, alice, grantNone, byName},
		{"user", Principal{Types: []PrincipalEntry{{Type: "AWS", Values: Values{alice.ARN}}}}, alice, grantDirect, byName},
		{"role names its sessions", Principal{Types: []PrincipalEntry{{Type: "AWS", Values: Values{devSession.SessionIssuer}}}}, devSession, grantEntity, byName},
		{"session", Principal{Types: []PrincipalEntry{{Type: "AWS", Values: Values{devSession.ARN}}}}, devSession, grantDirect, byName},
		{"session and account: most direct wins", Principal{Types: []PrincipalEntry{{Type: "AWS", Values: Values{"111122223333", devSession.ARN}}}}, devSession, grantDirect, byName},
		{"federated user's IAM user", Principal{Types: []PrincipalEntry{{Type: "AWS", Values: Values{fedUser.SessionIssuer}}}}, fedUser, grantEntity, byName},
		{"federated provider", Principal{Types: []PrincipalEntry{{Type: "Federated", Values: Values{"accounts.google.com"}}}}, google, grantDirect, byName},
		{"federated provider does not name users", Principal{Types: []PrincipalEntry{{Type: "Federated", Values: Values{"accounts.google.com"}}}}, alice, grantNone, byName},
		{"service", Principal{Types: []PrincipalEntry{{Type: "Service", Values: Values{"lambda.amazonaws.com"}}}}, lambdaSvc, grantDirect, byName},
		{"service name is not an AWS principal", Principal{Types: []PrincipalEntry{{Type: "AWS", Values: Values{"lambda.amazonaws.com"}}}}, lambdaSvc, grantNone, byName},
	}
	for _, tt := range tests {
		ps := compilePrincipal(&tt.principal, nil)
		if got, by := ps.match(&tt.caller); got != tt.want || by != tt.wantBy {
			t.Errorf("%s: match = %d by %d, want %d by %d", tt.name, got, by, tt.want, tt.wantBy)
		}
	}
}

func TestContext(t *testing.T) {
	var c Context
	c.Add("aws:SourceIp", "10.0.0.1")
	c.Add("aws:TagKeys", "a", "b")
	c.Add("aws:empty")
	if v, ok := c.Lookup("AWS:SOURCEIP"); !ok || len(v) != 1 || v[0] != "10.0.0.1" {
		t.Errorf("Lookup(AWS:SOURCEIP) = %q, %v", v, ok)
	}
	if v, ok := c.Lookup("aws:tagkeys"); !ok || len(v) != 2 {
		t.Errorf("Lookup(aws:tagkeys) = %q, %v", v, ok)
	}
	if v, ok := c.Lookup("aws:Empty"); !ok || len(v) != 0 {
		t.Errorf("Lookup(aws:Empty) = %q, %v; want present and empty", v, ok)
	}
	if diff := cmp.Diff([]string{"aws:SourceIp", "aws:TagKeys", "aws:empty"}, c.Keys()); diff != "" {
		t.Errorf("Keys (-want +got):\n%s", diff)
	}
	c.Reset()
	if _, ok := c.Lookup("aws:SourceIp"); ok {
		t.Error("Lookup after Reset found a key")
	}
}

// TestResourceStatementWithoutPrincipal: an unvalidated resource-based
// statement without Principal grants nobody.
func TestResourceStatementWithoutPrincipal(t *testing.T) {
	doc := &Document{Version: Version2012, Statements: []Statement{{Effect: Allow, Action: Values{"s3:*"}, Resource: Values{"*"}}}}
	rp, err := Compile(doc, TypeResource, "r")
	if err != nil {
		t.Fatal(err)
	}
	set, err := NewSet()
	if err != nil {
		t.Fatal(err)
	}
	d := set.Evaluate(&Request{Caller: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, rp)
	if d.Outcome != ImplicitlyDenied || len(d.Matched) != 0 {
		t.Errorf("decision = %+v, want an implicit deny with no matched statement", d)
	}
}

func TestNotPrincipalExcludes(t *testing.T) {
	np := compilePrincipal(&Principal{Types: []PrincipalEntry{
		{Type: "AWS", Values: Values{"arn:aws:iam::111122223333:root", alice.ARN, fedUser.ARN}},
		{Type: "Federated", Values: Values{"accounts.google.com"}},
		{Type: "Service", Values: Values{"lambda.amazonaws.com"}},
	}}, nil)
	// A Deny spares a caller only when all its identities are listed; an
	// Allow leaves it out when any is.
	tests := []struct {
		caller              Caller
		wantDeny, wantAllow bool
	}{
		{alice, true, true},
		{rootUser, true, true},
		{fedUser, true, true},
		{devSession, false, true}, // neither the session nor the role is listed; the account is
		{dave, false, true},       // the account is listed, the user is not
		{google, true, true},
		{lambdaSvc, true, true},
		{Caller{Kind: Service, ARN: "ec2.amazonaws.com"}, false, false},
		{anonymous, false, false},
		{carol, false, false},
	}
	for _, tt := range tests {
		if got := np.excludes(&tt.caller, Deny); got != tt.wantDeny {
			t.Errorf("excludes(%v %s, Deny) = %v, want %v", tt.caller.Kind, tt.caller.ARN, got, tt.wantDeny)
		}
		if got := np.excludes(&tt.caller, Allow); got != tt.wantAllow {
			t.Errorf("excludes(%v %s, Allow) = %v, want %v", tt.caller.Kind, tt.caller.ARN, got, tt.wantAllow)
		}
	}
	for _, effect := range []Effect{Allow, Deny} {
		if !compilePrincipal(&Principal{Wildcard: true}, nil).excludes(&anonymous, effect) {
			t.Errorf(`NotPrincipal "*" does not exclude an anonymous caller from a %s`, effect)
		}
	}
}

func TestPrincipalKindNames(t *testing.T) {
	for k := Anonymous; k <= Service; k++ {
		got, ok := ParsePrincipalKind(k.String())
		if !ok || got != k {
			t.Errorf("ParsePrincipalKind(%q) = %v, %v", k.String(), got, ok)
		}
	}
	if _, ok := ParsePrincipalKind("Robot"); ok {
		t.Error("ParsePrincipalKind accepted Robot")
	}
	if got := PrincipalKind(200).String(); got != "Unknown" {
		t.Errorf("String of an invalid kind = %q", got)
	}
}
