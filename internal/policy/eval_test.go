package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func compileJSON(t testing.TB, typ Type, name, src string) *Compiled {
	t.Helper()
	doc, err := Parse([]byte(src))
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	c, err := Compile(doc, typ, name)
	if err != nil {
		t.Fatalf("Compile(%s): %v", name, err)
	}
	return c
}

// Principals used by the scenarios. Account 111122223333 owns the
// resources unless a case says otherwise; 444455556666 is another account.
var (
	alice      = Caller{Kind: IAMUser, ARN: "arn:aws:iam::111122223333:user/alice", Account: "111122223333", UserName: "alice", UserID: "AIDAALICE"}
	bob        = Caller{Kind: IAMUser, ARN: "arn:aws:iam::444455556666:user/Bob", Account: "444455556666", UserName: "Bob"}
	carol      = Caller{Kind: IAMUser, ARN: "arn:aws:iam::444455556666:user/carol", Account: "444455556666", UserName: "carol"}
	devSession = Caller{Kind: AssumedRole, ARN: "arn:aws:sts::111122223333:assumed-role/dev/sess",
		SessionIssuer: "arn:aws:iam::111122223333:role/dev", Account: "111122223333", UserID: "AROADEV:sess"}
	auditSession = Caller{Kind: AssumedRole, ARN: "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app",
		SessionIssuer: "arn:aws:iam::444455556666:role/cross-account-read-only-role", Account: "444455556666"}
	fedUser = Caller{Kind: FederatedUser, ARN: "arn:aws:sts::111122223333:federated-user/bobby",
		SessionIssuer: "arn:aws:iam::111122223333:user/broker", Account: "111122223333"}
	rootUser  = Caller{Kind: Root, ARN: "arn:aws:iam::111122223333:root", Account: "111122223333"}
	google    = Caller{Kind: WebIdentity, Provider: "accounts.google.com"}
	lambdaSvc = Caller{Kind: Service, ARN: "lambda.amazonaws.com"}
	anonymous = Caller{Kind: Anonymous}
)

const (
	allowS3All     = `{"Version":"2012-10-17","Statement":[{"Sid":"S3","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	allowGetObject = `{"Version":"2012-10-17","Statement":[{"Sid":"Get","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}`
	allowEC2Only   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`
	denyPut        = `{"Version":"2012-10-17","Statement":[{"Sid":"NoPut","Effect":"Deny","Action":"s3:PutObject","Resource":"*"}]}`
)

// resourcePolicy grants s3:* on the bucket to the given principal JSON.
func resourcePolicy(principal string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"Grant","Effect":"Allow","Principal":` + principal +
		`,"Action":"s3:*","Resource":["arn:aws:s3:::bucket","arn:aws:s3:::bucket/*"]}]}`
}

type scenario struct {
	name       string
	caller     Caller
	identity   []string
	boundary   []string
	session    []string
	resource   string // resource-based policy; "" for none
	trust      bool   // resource is a trust policy
	action     string // default s3:GetObject
	res        string // default arn:aws:s3:::bucket/key
	resAccount string // default 111122223333
	ctx        ctxKV
	want       Outcome
	missing    Type
	deniedBy   Type
	matched    []string // "policy#sid-or-index:effect"
	reason     string   // checked when set
}

func (sc scenario) run(t *testing.T) {
	t.Helper()
	var policies []*Compiled
	for i, src := range sc.identity {
		policies = append(policies, compileJSON(t, TypeIdentity, fmt.Sprintf("identity%d", i), src))
	}
	for i, src := range sc.boundary {
		policies = append(policies, compileJSON(t, TypeBoundary, fmt.Sprintf("boundary%d", i), src))
	}
	for i, src := range sc.session {
		policies = append(policies, compileJSON(t, TypeSession, fmt.Sprintf("session%d", i), src))
	}
	set, err := NewSet(policies...)
	if err != nil {
		t.Fatal(err)
	}
	var resource *Compiled
	if sc.resource != "" {
		typ := TypeResource
		if sc.trust {
			typ = TypeTrust
		}
		resource = compileJSON(t, typ, "resource", sc.resource)
	}
	req := &Request{Caller: sc.caller, Action: sc.action, Resource: sc.res, ResourceAccount: sc.resAccount}
	if req.Action == "" {
		req.Action = "s3:GetObject"
	}
	if req.Resource == "" {
		req.Resource = "arn:aws:s3:::bucket/key"
	}
	if req.ResourceAccount == "" {
		req.ResourceAccount = "111122223333"
	}
	for k, v := range sc.ctx {
		req.Context.Add(k, v...)
	}
	d := set.Evaluate(req, resource)
	if d.Outcome != sc.want || d.MissingAllow != sc.missing || d.DeniedBy != sc.deniedBy {
		t.Errorf("decision = %v (missing %v, denied by %v, %q); want %v (missing %v, denied by %v)",
			d.Outcome, d.MissingAllow, d.DeniedBy, d.Reason, sc.want, sc.missing, sc.deniedBy)
	}
	if d.Reason == "" {
		t.Errorf("decision has no reason")
	}
	if sc.reason != "" && d.Reason != sc.reason {
		t.Errorf("reason = %q, want %q", d.Reason, sc.reason)
	}
	if sc.matched != nil {
		var got []string
		for _, m := range d.Matched {
			id := m.Sid
			if id == "" {
				id = fmt.Sprint(m.Index)
			}
			got = append(got, fmt.Sprintf("%s#%s:%s", m.Policy, id, m.Effect))
		}
		if diff := cmp.Diff(sc.matched, got); diff != "" {
			t.Errorf("matched statements (-want +got):\n%s", diff)
		}
	}
}

// TestEvaluateSameAccount: identity-based policies, explicit deny, and
// implicit deny (reference_policies_evaluation-logic).
func TestEvaluateSameAccount(t *testing.T) {
	for _, sc := range []scenario{
		{name: "identity policy allows", caller: alice, identity: []string{allowS3All}, want: Allowed, matched: []string{"identity0#S3:Allow"}},
		{name: "no policy: implicit deny", caller: alice, want: ImplicitlyDenied, missing: TypeIdentity},
		{name: "other service only", caller: alice, identity: []string{allowEC2Only}, want: ImplicitlyDenied, missing: TypeIdentity},
		{name: "explicit deny wins over allow", caller: alice, identity: []string{allowS3All, denyPut}, action: "s3:PutObject",
			want: ExplicitlyDenied, deniedBy: TypeIdentity, matched: []string{"identity0#S3:Allow", "identity1#NoPut:Deny"}},
		{name: "deny does not cover other action", caller: alice, identity: []string{allowS3All, denyPut}, want: Allowed},
		{name: "action is case-insensitive", caller: alice, identity: []string{allowGetObject}, action: "S3:getobject", want: Allowed},
		{name: "resource is case-sensitive", caller: alice, identity: []string{allowGetObject}, res: "arn:aws:s3:::Bucket/key", want: ImplicitlyDenied, missing: TypeIdentity},
		{name: "NotAction allows everything else", caller: alice,
			identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`},
			want:     Allowed, matched: []string{"identity0#0:Allow"}},
		{name: "NotAction excludes its actions", caller: alice, action: "iam:CreateUser", res: "arn:aws:iam::111122223333:user/x",
			identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`},
			want:     ImplicitlyDenied, missing: TypeIdentity},
		{name: "NotResource deny hits other buckets", caller: alice, res: "arn:aws:s3:::other/key",
			identity: []string{allowS3All, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::bucket","arn:aws:s3:::bucket/*"]}}`},
			want:     ExplicitlyDenied, deniedBy: TypeIdentity},
		{name: "NotResource deny spares its resources", caller: alice,
			identity: []string{allowS3All, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::bucket","arn:aws:s3:::bucket/*"]}}`},
			want:     Allowed},
		{name: "MFA deny (BoolIfExists false)", caller: alice, ctx: ctxKV{"aws:MultiFactorAuthPresent": {"false"}},
			identity: []string{allowS3All, `{"Version":"2012-10-17","Statement":{"Sid":"NoMFA","Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}}`},
			want:     ExplicitlyDenied, deniedBy: TypeIdentity},
		{name: "MFA deny spares MFA sessions", caller: alice, ctx: ctxKV{"aws:MultiFactorAuthPresent": {"true"}},
			identity: []string{allowS3All, `{"Version":"2012-10-17","Statement":{"Sid":"NoMFA","Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}}`},
			want:     Allowed},
		{name: "home folder variable", caller: alice, res: "arn:aws:s3:::bucket/home/alice/notes.txt",
			identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/home/${aws:username}/*"}}`},
			want:     Allowed},
		{name: "home folder variable, other user's folder", caller: alice, res: "arn:aws:s3:::bucket/home/bob/notes.txt",
			identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/home/${aws:username}/*"}}`},
			want:     ImplicitlyDenied, missing: TypeIdentity},
		{name: "variable is literal under 2008-10-17", caller: alice, res: "arn:aws:s3:::bucket/home/alice/notes.txt",
			identity: []string{`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/home/${aws:username}/*"}}`},
			want:     ImplicitlyDenied, missing: TypeIdentity},
		{name: "variable is literal without Version", caller: alice, res: "arn:aws:s3:::bucket/home/${aws:username}/x",
			identity: []string{`{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/home/${aws:username}/*"}}`},
			want:     Allowed},
		{name: "missing variable: no resource matches", caller: devSession, res: "arn:aws:s3:::bucket/home/x",
			identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/home/${aws:username}*"}}`},
			want:     ImplicitlyDenied, missing: TypeIdentity},
		{name: "ABAC: principal tag equals resource tag", caller: alice,
			ctx:      ctxKV{"aws:PrincipalTag/team": {"red"}, "s3:ExistingObjectTag/team": {"red"}},
			identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:ExistingObjectTag/team":"${aws:PrincipalTag/team}"}}}}`},
			want:     Allowed},
		{name: "ABAC deny when the principal tag is missing", caller: alice,
			ctx:      ctxKV{"s3:ExistingObjectTag/Team": {"red"}},
			identity: []string{allowS3All, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{"StringNotEquals":{"s3:ExistingObjectTag/Team":"${aws:PrincipalTag/Team}"}}}}`},
			want:     ExplicitlyDenied, deniedBy: TypeIdentity},
		{name: "root user in its own account", caller: rootUser, want: Allowed},
		{name: "root user is still explicitly denied", caller: rootUser,
			resource: `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}}`,
			want:     ExplicitlyDenied, deniedBy: TypeResource},
		{name: "root user of another account", caller: Caller{Kind: Root, ARN: "arn:aws:iam::444455556666:root", Account: "444455556666"},
			want: ImplicitlyDenied, missing: TypeResource},
		{name: "root user of an account the resource policy names", caller: Caller{Kind: Root, ARN: "arn:aws:iam::444455556666:root", Account: "444455556666"},
			resource: resourcePolicy(`{"AWS":"444455556666"}`), want: Allowed},
	} {
		t.Run(sc.name, sc.run)
	}
}

// TestEvaluateBoundaries: permissions boundaries intersect with
// identity-based policies; resource-based policies naming the user are not
// limited by them (access_policies_boundaries).
func TestEvaluateBoundaries(t *testing.T) {
	for _, sc := range []scenario{
		{name: "identity and boundary allow", caller: alice, identity: []string{allowS3All}, boundary: []string{allowGetObject},
			want: Allowed, matched: []string{"identity0#S3:Allow", "boundary0#Get:Allow"}},
		{name: "boundary does not allow", caller: alice, identity: []string{allowS3All}, boundary: []string{allowGetObject},
			action: "s3:PutObject", want: ImplicitlyDenied, missing: TypeBoundary},
		{name: "boundary alone grants nothing", caller: alice, boundary: []string{allowS3All},
			want: ImplicitlyDenied, missing: TypeIdentity},
		{name: "boundary explicit deny", caller: alice, identity: []string{allowS3All}, boundary: []string{allowS3All, denyPut},
			action: "s3:PutObject", want: ExplicitlyDenied, deniedBy: TypeBoundary},
		{name: "resource policy naming the user is not limited by the boundary", caller: alice,
			boundary: []string{allowEC2Only},
			resource: resourcePolicy(`{"AWS":"arn:aws:iam::111122223333:user/alice"}`), want: Allowed},
		{name: "explicit deny in the boundary still limits a resource policy", caller: alice,
			boundary: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*"}}`},
			resource: resourcePolicy(`{"AWS":"arn:aws:iam::111122223333:user/alice"}`), want: ExplicitlyDenied, deniedBy: TypeBoundary},
		{name: "resource policy naming the role is limited by the boundary", caller: devSession,
			boundary: []string{allowEC2Only},
			resource: resourcePolicy(`{"AWS":"arn:aws:iam::111122223333:role/dev"}`), want: ImplicitlyDenied, missing: TypeBoundary},
		{name: "resource policy naming the role, boundary allows", caller: devSession,
			boundary: []string{allowS3All},
			resource: resourcePolicy(`{"AWS":"arn:aws:iam::111122223333:role/dev"}`), want: Allowed},
		{name: "resource policy naming the session is not limited by the boundary", caller: devSession,
			boundary: []string{allowEC2Only},
			resource: resourcePolicy(`{"AWS":"arn:aws:sts::111122223333:assumed-role/dev/sess"}`), want: Allowed},
		{name: "several boundary documents act as one", caller: alice, identity: []string{allowS3All}, boundary: []string{allowEC2Only, allowGetObject},
			want: Allowed},
	} {
		t.Run(sc.name, sc.run)
	}
}

// TestEvaluateSessionPolicies: session policies intersect with the role's
// or user's permissions (access_policies.md#policies_session).
func TestEvaluateSessionPolicies(t *testing.T) {
	for _, sc := range []scenario{
		{name: "role session without session policy keeps the role's permissions", caller: devSession,
			identity: []string{allowS3All}, want: Allowed},
		{name: "session policy allows", caller: devSession, identity: []string{allowS3All}, session: []string{allowGetObject},
			want: Allowed, matched: []string{"identity0#S3:Allow", "session0#Get:Allow"}},
		{name: "session policy does not allow", caller: devSession, identity: []string{allowS3All}, session: []string{allowGetObject},
			action: "s3:PutObject", want: ImplicitlyDenied, missing: TypeSession},
		{name: "session policy alone grants nothing", caller: devSession, session: []string{allowS3All},
			want: ImplicitlyDenied, missing: TypeIdentity},
		{name: "any of several session policies may allow", caller: devSession, identity: []string{allowS3All},
			session: []string{allowEC2Only, allowGetObject}, want: Allowed},
		{name: "session policy, boundary and identity all allow", caller: devSession, identity: []string{allowS3All},
			boundary: []string{allowS3All}, session: []string{allowGetObject}, want: Allowed},
		{name: "session policy explicit deny", caller: devSession, identity: []string{allowS3All}, session: []string{allowS3All, denyPut},
			action: "s3:PutObject", want: ExplicitlyDenied, deniedBy: TypeSession},
		{name: "resource policy naming the role is limited by the session policy", caller: devSession,
			session:  []string{allowEC2Only},
			resource: resourcePolicy(`{"AWS":"arn:aws:iam::111122223333:role/dev"}`), want: ImplicitlyDenied, missing: TypeSession},
		{name: "resource policy naming the role within the session policy", caller: devSession,
			session:  []string{allowGetObject},
			resource: resourcePolicy(`{"AWS":"arn:aws:iam::111122223333:role/dev"}`), want: Allowed},
		{name: "resource policy naming the session is not limited by the session policy", caller: devSession,
			session: []string{allowEC2Only}, boundary: []string{allowEC2Only},
			resource: resourcePolicy(`{"AWS":"arn:aws:sts::111122223333:assumed-role/dev/sess"}`), want: Allowed},
		{name: "federated user needs a session policy", caller: fedUser, identity: []string{allowS3All},
			want: ImplicitlyDenied, missing: TypeSession},
		{name: "federated user with session policy", caller: fedUser, identity: []string{allowS3All}, session: []string{allowGetObject},
			want: Allowed},
		{name: "resource policy naming the federated user session", caller: fedUser,
			resource: resourcePolicy(`{"AWS":"arn:aws:sts::111122223333:federated-user/bobby"}`), want: Allowed},
		{name: "resource policy naming the IAM user who federated is limited by the session policy", caller: fedUser,
			session:  []string{allowEC2Only},
			resource: resourcePolicy(`{"AWS":"arn:aws:iam::111122223333:user/broker"}`), want: ImplicitlyDenied, missing: TypeSession},
	} {
		t.Run(sc.name, sc.run)
	}
}

// TestEvaluateResourcePolicies: principals in resource-based policies,
// same-account union and cross-account intersection
// (reference_policies_evaluation-logic-cross-account).
func TestEvaluateResourcePolicies(t *testing.T) {
	for _, sc := range []scenario{
		{name: "same account: resource policy alone", caller: alice,
			resource: resourcePolicy(`{"AWS":"arn:aws:iam::111122223333:user/alice"}`), want: Allowed, matched: []string{"resource#Grant:Allow"}},
		{name: "same account: union of identity and resource", caller: alice, identity: []string{allowEC2Only},
			resource: resourcePolicy(`{"AWS":["arn:aws:iam::111122223333:user/alice"]}`), want: Allowed},
		{name: "same account: resource policy names someone else", caller: alice,
			resource: resourcePolicy(`{"AWS":"arn:aws:iam::111122223333:user/bob"}`), want: ImplicitlyDenied, missing: TypeIdentity},
		{name: "same account: naming the account delegates to identity policies", caller: alice,
			resource: resourcePolicy(`{"AWS":"111122223333"}`), want: ImplicitlyDenied, missing: TypeIdentity},
		{name: "same account: account root ARN delegates too", caller: alice, identity: []string{allowS3All},
			resource: resourcePolicy(`{"AWS":"arn:aws:iam::111122223333:root"}`), want: Allowed},
		{name: "role ARN matches sessions of the role", caller: devSession,
			resource: resourcePolicy(`{"AWS":"arn:aws:iam::111122223333:role/dev"}`), want: Allowed},
		{name: "other role's ARN", caller: devSession,
			resource: resourcePolicy(`{"AWS":"arn:aws:iam::111122223333:role/ops"}`), want: ImplicitlyDenied, missing: TypeIdentity},
		{name: "public: Principal *", caller: anonymous,
			resource: resourcePolicy(`"*"`), want: Allowed},
		{name: `public: {"AWS":"*"}`, caller: anonymous,
			resource: resourcePolicy(`{"AWS":"*"}`), want: Allowed},
		{name: "anonymous without a public policy", caller: anonymous,
			resource: resourcePolicy(`{"AWS":"arn:aws:iam::111122223333:user/alice"}`), want: ImplicitlyDenied, missing: TypeResource},
		{name: "service principal", caller: lambdaSvc, action: "s3:GetObject",
			resource: resourcePolicy(`{"Service":"lambda.amazonaws.com"}`), want: Allowed},
		{name: "other service principal", caller: lambdaSvc,
			resource: resourcePolicy(`{"Service":"ec2.amazonaws.com"}`), want: ImplicitlyDenied, missing: TypeResource},
		{name: "cross-account: identity alone is not enough", caller: carol, identity: []string{allowS3All},
			want: ImplicitlyDenied, missing: TypeResource},
		{name: "cross-account: resource alone is not enough", caller: carol,
			resource: resourcePolicy(`{"AWS":"444455556666"}`), want: ImplicitlyDenied, missing: TypeIdentity},
		{name: "cross-account: naming the user directly still needs identity", caller: carol,
			resource: resourcePolicy(`{"AWS":"arn:aws:iam::444455556666:user/carol"}`), want: ImplicitlyDenied, missing: TypeIdentity},
		{name: "cross-account: both allow", caller: carol, identity: []string{allowGetObject},
			resource: resourcePolicy(`{"AWS":"arn:aws:iam::444455556666:root"}`), want: Allowed,
			matched: []string{"identity0#Get:Allow", "resource#Grant:Allow"}},
		{name: "cross-account: boundary still applies", caller: carol, identity: []string{allowS3All}, boundary: []string{allowEC2Only},
			resource: resourcePolicy(`{"AWS":"444455556666"}`), want: ImplicitlyDenied, missing: TypeBoundary},
		{name: "cross-account: resource policy deny", caller: carol, identity: []string{allowS3All},
			resource: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:*","Resource":"*"},{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::444455556666:user/carol"},"Action":"s3:GetObject","Resource":"*"}]}`,
			want:     ExplicitlyDenied, deniedBy: TypeResource, matched: []string{"identity0#S3:Allow", "resource#0:Allow", "resource#1:Deny"}},
		{name: "resource policy condition on source IP", caller: carol, identity: []string{allowS3All}, ctx: ctxKV{"aws:SourceIp": {"198.51.100.7"}},
			resource: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}}`,
			want:     ImplicitlyDenied, missing: TypeResource},
	} {
		t.Run(sc.name, sc.run)
	}
}

// TestEvaluateNotPrincipal follows the NotPrincipal-with-Deny examples of
// reference_policies_elements_notprincipal: every identity of the caller
// (session, role, account) must be listed to escape the deny.
func TestEvaluateNotPrincipal(t *testing.T) {
	denyAllButBob := `{"Version":"2012-10-17","Statement":[
	  {"Sid":"AllowBob","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:user/Bob"},"Action":"s3:*","Resource":"*"},
	  {"Sid":"DenyOthers","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::444455556666:user/Bob","arn:aws:iam::444455556666:root"]},"Action":"s3:*","Resource":["arn:aws:s3:::bucket","arn:aws:s3:::bucket/*"]}]}`
	denyAllButAudit := func(principals string) string {
		return `{"Version":"2012-10-17","Statement":[
		  {"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:*","Resource":"*"},
		  {"Sid":"DenyOthers","Effect":"Deny","NotPrincipal":{"AWS":` + principals + `},"Action":"s3:*","Resource":["arn:aws:s3:::bucket","arn:aws:s3:::bucket/*"]}]}`
	}
	for _, sc := range []scenario{
		{name: "Bob is excluded from the deny", caller: bob, identity: []string{allowS3All}, resource: denyAllButBob, want: Allowed},
		{name: "Carol is denied", caller: carol, identity: []string{allowS3All}, resource: denyAllButBob,
			want: ExplicitlyDenied, deniedBy: TypeResource},
		{name: "a same-account user is denied", caller: alice, identity: []string{allowS3All}, resource: denyAllButBob,
			want: ExplicitlyDenied, deniedBy: TypeResource},
		{name: "role session listed with role and account", caller: auditSession, identity: []string{allowS3All},
			resource: denyAllButAudit(`["arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app","arn:aws:iam::444455556666:role/cross-account-read-only-role","arn:aws:iam::444455556666:root"]`),
			want:     Allowed},
		{name: "role session without the role ARN is denied", caller: auditSession, identity: []string{allowS3All},
			resource: denyAllButAudit(`["arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app","arn:aws:iam::444455556666:root"]`),
			want:     ExplicitlyDenied, deniedBy: TypeResource},
		{name: "role session without the account is denied", caller: auditSession, identity: []string{allowS3All},
			resource: denyAllButAudit(`["arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app","arn:aws:iam::444455556666:role/cross-account-read-only-role"]`),
			want:     ExplicitlyDenied, deniedBy: TypeResource},
		{name: "NotPrincipal deny for another resource does not apply", caller: carol, identity: []string{allowS3All},
			resource: denyAllButBob, res: "arn:aws:s3:::elsewhere/key", want: ImplicitlyDenied, missing: TypeResource},
	} {
		t.Run(sc.name, sc.run)
	}
}

// More callers for the NotPrincipal tables: another user, the role behind
// devSession, another session of it, and a session of another role in
// 444455556666.
var (
	dave       = Caller{Kind: IAMUser, ARN: "arn:aws:iam::111122223333:user/dave", Account: "111122223333", UserName: "dave"}
	devRole    = Caller{Kind: Role, ARN: "arn:aws:iam::111122223333:role/dev", Account: "111122223333"}
	devOther   = Caller{Kind: AssumedRole, ARN: "arn:aws:sts::111122223333:assumed-role/dev/other", SessionIssuer: devRole.ARN, Account: "111122223333"}
	opsSession = Caller{Kind: AssumedRole, ARN: "arn:aws:sts::444455556666:assumed-role/ops/night", SessionIssuer: "arn:aws:iam::444455556666:role/ops", Account: "444455556666"}
)

// devSession's and devRole's ARNs as JSON strings, for NotPrincipal lists.
const (
	devSessJSON = `"arn:aws:sts::111122223333:assumed-role/dev/sess"`
	devRoleJSON = `"arn:aws:iam::111122223333:role/dev"`
)

// TestEvaluateNotPrincipalAllow: an Allow with NotPrincipal grants every
// principal except those it lists, like "*" less the list
// (reference_policies_elements_notprincipal). A caller is left out when any
// of its identities is listed: itself, the role or IAM user its session came
// from, or its account.
func TestEvaluateNotPrincipalAllow(t *testing.T) {
	allowExcept := func(principals string) string {
		return `{"Version":"2012-10-17","Statement":[{"Sid":"AllExcept","Effect":"Allow","NotPrincipal":{"AWS":` + principals +
			`},"Action":"s3:*","Resource":["arn:aws:s3:::bucket","arn:aws:s3:::bucket/*"]}]}`
	}
	const (
		aliceARN  = `"arn:aws:iam::111122223333:user/alice"`
		carolARN  = `"arn:aws:iam::444455556666:user/carol"`
		auditRole = `"arn:aws:iam::444455556666:role/cross-account-read-only-role"`
		auditSess = `"arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app"`
	)
	granted := []string{"resource#AllExcept:Allow"}
	for _, sc := range []scenario{
		// Same account.
		{name: "the listed user is not granted", caller: alice, resource: allowExcept(aliceARN),
			want: ImplicitlyDenied, missing: TypeIdentity},
		{name: "the listed user keeps its identity-based allow", caller: alice, identity: []string{allowS3All}, resource: allowExcept(aliceARN),
			want: Allowed, reason: reasonIdentityAllows, matched: []string{"identity0#S3:Allow"}},
		{name: "another user of the account is granted", caller: dave, resource: allowExcept(aliceARN),
			want: Allowed, reason: reasonResourceAllowsNotPrincipal, matched: granted},
		{name: "as with \"*\", the boundary still limits", caller: dave, boundary: []string{allowEC2Only}, resource: allowExcept(aliceARN),
			want: ImplicitlyDenied, missing: TypeBoundary},
		{name: "listing the account leaves out its users", caller: alice, resource: allowExcept(`"111122223333"`),
			want: ImplicitlyDenied, missing: TypeIdentity},
		{name: "listing the account root leaves out its role sessions", caller: devSession, resource: allowExcept(`"arn:aws:iam::111122223333:root"`),
			want: ImplicitlyDenied, missing: TypeIdentity},
		{name: "listing the account leaves out its root user", caller: rootUser, resource: allowExcept(`"111122223333"`),
			want: Allowed, reason: reasonRootUser},
		{name: "listing the role leaves out the role", caller: devRole, resource: allowExcept(devRoleJSON),
			want: ImplicitlyDenied, missing: TypeIdentity},
		{name: "listing the role leaves out its sessions", caller: devSession, resource: allowExcept(devRoleJSON),
			want: ImplicitlyDenied, missing: TypeIdentity},
		{name: "listing a session leaves it out", caller: devSession, resource: allowExcept(devSessJSON),
			want: ImplicitlyDenied, missing: TypeIdentity},
		{name: "listing a session does not leave out another of the role", caller: devOther, resource: allowExcept(devSessJSON),
			want: Allowed, reason: reasonResourceAllowsNotPrincipal, matched: granted},
		{name: "a role session not listed is granted", caller: devSession, resource: allowExcept(aliceARN),
			want: Allowed, reason: reasonResourceAllowsNotPrincipal, matched: granted},
		{name: "listing the IAM user leaves out its federated sessions", caller: fedUser, session: []string{allowS3All},
			resource: allowExcept(`"arn:aws:iam::111122223333:user/broker"`), want: ImplicitlyDenied, missing: TypeIdentity},
		{name: "anonymous callers are granted too", caller: anonymous, resource: allowExcept(aliceARN),
			want: Allowed, reason: reasonResourceAllowsNotPrincipal, matched: granted},
		// Across accounts: the caller's own policies must allow as well.
		{name: "cross-account: a user not listed", caller: carol, identity: []string{allowS3All}, resource: allowExcept(aliceARN),
			want: Allowed, reason: reasonCrossAccount},
		{name: "cross-account: a user not listed still needs its identity-based allow", caller: carol, resource: allowExcept(aliceARN),
			want: ImplicitlyDenied, missing: TypeIdentity},
		{name: "cross-account: the listed user", caller: carol, identity: []string{allowS3All}, resource: allowExcept(carolARN),
			want: ImplicitlyDenied, missing: TypeResource},
		{name: "cross-account: another user of the listed user's account", caller: bob, identity: []string{allowS3All}, resource: allowExcept(carolARN),
			want: Allowed, reason: reasonCrossAccount},
		{name: "cross-account: listing the account leaves out its users", caller: carol, identity: []string{allowS3All}, resource: allowExcept(`"444455556666"`),
			want: ImplicitlyDenied, missing: TypeResource},
		{name: "cross-account: listing the role leaves out its sessions", caller: auditSession, identity: []string{allowS3All}, resource: allowExcept(auditRole),
			want: ImplicitlyDenied, missing: TypeResource},
		{name: "cross-account: listing the session leaves it out", caller: auditSession, identity: []string{allowS3All}, resource: allowExcept(auditSess),
			want: ImplicitlyDenied, missing: TypeResource},
		{name: "cross-account: a session of another role", caller: opsSession, identity: []string{allowS3All}, resource: allowExcept(auditRole),
			want: Allowed, reason: reasonCrossAccount},
	} {
		t.Run(sc.name, sc.run)
	}
}

// TestEvaluateNotPrincipalDeny: a Deny with NotPrincipal denies every
// principal except those it lists, and a caller escapes it only when every
// one of its identities is listed; listing the account alone exempts the
// root user only (reference_policies_elements_notprincipal).
func TestEvaluateNotPrincipalDeny(t *testing.T) {
	denyExcept := func(principals string) string {
		return `{"Version":"2012-10-17","Statement":[
		  {"Sid":"Accounts","Effect":"Allow","Principal":{"AWS":["111122223333","444455556666"]},"Action":"s3:*","Resource":"*"},
		  {"Sid":"DenyOthers","Effect":"Deny","NotPrincipal":{"AWS":` + principals + `},"Action":"s3:*","Resource":["arn:aws:s3:::bucket","arn:aws:s3:::bucket/*"]}]}`
	}
	const (
		acctA = `"arn:aws:iam::111122223333:root"`
		acctB = `"arn:aws:iam::444455556666:root"`
	)
	allow := []string{allowS3All}
	for _, sc := range []scenario{
		// Same account.
		{name: "the user without its account is denied", caller: alice, identity: allow, resource: denyExcept(`["arn:aws:iam::111122223333:user/alice"]`),
			want: ExplicitlyDenied, deniedBy: TypeResource},
		{name: "the user with its account escapes", caller: alice, identity: allow, resource: denyExcept(`["arn:aws:iam::111122223333:user/alice",` + acctA + `]`),
			want: Allowed},
		{name: "another user of the account is denied", caller: dave, identity: allow, resource: denyExcept(`["arn:aws:iam::111122223333:user/alice",` + acctA + `]`),
			want: ExplicitlyDenied, deniedBy: TypeResource},
		{name: "the account alone does not exempt its users", caller: alice, identity: allow, resource: denyExcept(acctA),
			want: ExplicitlyDenied, deniedBy: TypeResource},
		{name: "the account alone exempts its root user", caller: rootUser, resource: denyExcept(acctA), want: Allowed},
		{name: "the role with its account escapes", caller: devRole, identity: allow, resource: denyExcept(`[` + devRoleJSON + `,` + acctA + `]`),
			want: Allowed},
		{name: "a session needs its own ARN listed", caller: devSession, identity: allow, resource: denyExcept(`[` + devRoleJSON + `,` + acctA + `]`),
			want: ExplicitlyDenied, deniedBy: TypeResource},
		{name: "a session with its role and account escapes", caller: devSession, identity: allow,
			resource: denyExcept(`[` + devSessJSON + `,` + devRoleJSON + `,` + acctA + `]`), want: Allowed},
		{name: "another session of the role is denied", caller: devOther, identity: allow,
			resource: denyExcept(`[` + devSessJSON + `,` + devRoleJSON + `,` + acctA + `]`), want: ExplicitlyDenied, deniedBy: TypeResource},
		{name: "anonymous callers are denied", caller: anonymous, resource: denyExcept(acctA),
			want: ExplicitlyDenied, deniedBy: TypeResource},
		// Across accounts.
		{name: "cross-account: the user with its account escapes", caller: carol, identity: allow,
			resource: denyExcept(`["arn:aws:iam::444455556666:user/carol",` + acctB + `]`), want: Allowed, reason: reasonCrossAccount},
		{name: "cross-account: the user with another account is denied", caller: carol, identity: allow,
			resource: denyExcept(`["arn:aws:iam::444455556666:user/carol",` + acctA + `]`), want: ExplicitlyDenied, deniedBy: TypeResource},
		{name: "cross-account: the account alone does not exempt its users", caller: carol, identity: allow, resource: denyExcept(acctB),
			want: ExplicitlyDenied, deniedBy: TypeResource},
		{name: "cross-account: a session of another role is denied", caller: opsSession, identity: allow,
			resource: denyExcept(`["arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app","arn:aws:iam::444455556666:role/cross-account-read-only-role",` + acctB + `]`),
			want:     ExplicitlyDenied, deniedBy: TypeResource},
	} {
		t.Run(sc.name, sc.run)
	}
}

// TestEvaluateTrust: role trust policies must allow the principal
// (id_roles_compare-resource-policies).
func TestEvaluateTrust(t *testing.T) {
	trustAccount := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}}`
	trustAlice := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"sts:AssumeRole"}}`
	trustGoogle := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"accounts.google.com:aud":"my-app"}}}}`
	assumeAny := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}`
	role := "arn:aws:iam::111122223333:role/target"
	for _, sc := range []scenario{
		{name: "cross-account AssumeRole", caller: carol, identity: []string{assumeAny}, resource: trustAccount, trust: true,
			action: "sts:AssumeRole", res: role, want: Allowed},
		{name: "cross-account AssumeRole without identity allow", caller: carol, resource: trustAccount, trust: true,
			action: "sts:AssumeRole", res: role, want: ImplicitlyDenied, missing: TypeIdentity},
		{name: "trust policy does not name the caller", caller: alice, identity: []string{assumeAny}, resource: trustAccount, trust: true,
			action: "sts:AssumeRole", res: role, want: ImplicitlyDenied, missing: TypeTrust},
		{name: "same account, trust names the user", caller: alice, resource: trustAlice, trust: true,
			action: "sts:AssumeRole", res: role, want: Allowed},
		{name: "web identity with the right audience", caller: google, resource: trustGoogle, trust: true,
			ctx: ctxKV{"accounts.google.com:aud": {"my-app"}}, action: "sts:AssumeRoleWithWebIdentity", res: role, want: Allowed},
		{name: "web identity with another audience", caller: google, resource: trustGoogle, trust: true,
			ctx: ctxKV{"accounts.google.com:aud": {"other"}}, action: "sts:AssumeRoleWithWebIdentity", res: role, want: ImplicitlyDenied, missing: TypeTrust},
		{name: "OIDC provider ARN", caller: Caller{Kind: WebIdentity, Provider: "arn:aws:iam::111122223333:oidc-provider/token.actions.example.com"},
			resource: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.example.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"token.actions.example.com:sub":"repo:org/*"}}}}`,
			trust:    true, ctx: ctxKV{"token.actions.example.com:sub": {"repo:org/app:ref:refs/heads/main"}},
			action: "sts:AssumeRoleWithWebIdentity", res: role, want: Allowed},
		{name: "SAML provider", caller: Caller{Kind: SAMLUser, Provider: "arn:aws:iam::111122223333:saml-provider/corp"},
			resource: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:saml-provider/corp"},"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}}`,
			trust:    true, ctx: ctxKV{"saml:aud": {"https://signin.aws.amazon.com/saml"}},
			action: "sts:AssumeRoleWithSAML", res: role, want: Allowed},
		{name: "service trust", caller: lambdaSvc,
			resource: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com"]},"Action":"sts:AssumeRole"}}`,
			trust:    true, action: "sts:AssumeRole", res: role, want: Allowed},
	} {
		t.Run(sc.name, sc.run)
	}
}

func TestNewSetRejectsResourcePolicies(t *testing.T) {
	p := compileJSON(t, TypeResource, "r", resourcePolicy(`"*"`))
	if _, err := NewSet(p); err == nil {
		t.Error("NewSet accepted a resource-based policy")
	}
}

func TestCompileRejectsBadConditionValue(t *testing.T) {
	doc, err := Parse([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(doc, TypeIdentity, "p")
	var ce *CompileError
	if !errorsAs(err, &ce) || ce.Statement != 0 || ce.Policy != "p" {
		t.Errorf("Compile error = %v, want a *CompileError for statement 0", err)
	}
}

func TestDecisionJSON(t *testing.T) {
	set, err := NewSet(compileJSON(t, TypeIdentity, "arn:aws:iam::111122223333:policy/s3", allowS3All),
		compileJSON(t, TypeBoundary, "boundary", allowEC2Only))
	if err != nil {
		t.Fatal(err)
	}
	d := set.Evaluate(&Request{Caller: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, nil)
	got, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"decision":"ImplicitlyDenied","matchedStatements":[{"policy":"arn:aws:iam::111122223333:policy/s3","policyType":"IdentityBasedPolicy","sid":"S3","statementIndex":0,"effect":"Allow"}],"missingAllow":"PermissionsBoundaryPolicy","reason":"the permissions boundary does not allow the action"}`
	if string(got) != want {
		t.Errorf("json = %s\nwant   %s", got, want)
	}
	var back Decision
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if diff := cmp.Diff(d, back); diff != "" {
		t.Errorf("decision after a JSON round trip (-want +got):\n%s", diff)
	}
	if err := json.Unmarshal([]byte(`{"decision":"Maybe"}`), &back); err == nil {
		t.Error("Unmarshal accepted an unknown outcome")
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// TestEvaluateNilSetAndConcurrency: a nil *Set has no policies, and one
// Set serves concurrent requests (run with -race).
func TestEvaluateNilSetAndConcurrency(t *testing.T) {
	var none *Set
	d := none.Evaluate(&Request{Caller: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/key"},
		compileJSON(t, TypeResource, "r", resourcePolicy(`{"AWS":"arn:aws:iam::111122223333:user/alice"}`)))
	if d.Outcome != Allowed {
		t.Errorf("nil set with a resource grant: %v (%s), want Allowed", d.Outcome, d.Reason)
	}
	set, err := NewSet(realisticPolicies(t)...)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan Outcome)
	for i := 0; i < 4; i++ {
		go func() {
			req := typicalRequest()
			var d Decision
			for j := 0; j < 200; j++ {
				set.EvaluateInto(&d, req, nil)
			}
			done <- d.Outcome
		}()
	}
	for i := 0; i < 4; i++ {
		if got := <-done; got != Allowed {
			t.Errorf("concurrent evaluation: %v, want Allowed", got)
		}
	}
}

func TestCompiledAccessorsAndErrors(t *testing.T) {
	c := compileJSON(t, TypeBoundary, "b", allowS3All)
	if c.Name() != "b" || c.Type() != TypeBoundary {
		t.Errorf("Name, Type = %q, %v", c.Name(), c.Type())
	}
	doc := &Document{Version: Version2012, Statements: []Statement{{Effect: "Maybe", Action: Values{"s3:*"}, Resource: Values{"*"}}}}
	_, err := Compile(doc, TypeIdentity, "p")
	var ce *CompileError
	if !errorsAs(err, &ce) || ce.Error() != `policy p: statement 0: invalid effect "Maybe"` || ce.Unwrap() == nil {
		t.Errorf("Compile error = %v", err)
	}
	if got, err := Outcome(9).MarshalText(); err == nil {
		t.Errorf("MarshalText of an invalid outcome = %q, want an error", got)
	}
}
