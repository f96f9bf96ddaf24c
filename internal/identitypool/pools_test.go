package identitypool

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/federation/issuer"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/restjson"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/teststores"
	"github.com/brevet-dev/brevet/internal/sts"
)

const (
	testAcct  = "123456789012"
	otherAcct = "210987654321"
)

// noSessions is a Sessions the pool actions never call.
type noSessions struct{}

func (noSessions) PoolSession(context.Context, *sts.PoolSessionInput) (*sts.ServiceSession, error) {
	return nil, errors.New("not in these tests")
}

func (noSessions) VerifyOIDCLogin(context.Context, string, string, string, time.Time) (*sts.VerifiedLogin, error) {
	return nil, errors.New("not in these tests")
}

func (noSessions) VerifySAMLLogin(context.Context, string, string, time.Time) (*sts.VerifiedLogin, error) {
	return nil, errors.New("not in these tests")
}

// countingObjects is the real store's Objects, counting the reads of
// pools and running hook (when set) inside Find, after the read.
type countingObjects struct {
	store.Objects
	finds atomic.Int64
	hook  func()
}

func (o *countingObjects) Find(ctx context.Context, kind, id string) ([]store.Object, error) {
	o.finds.Add(1)
	objs, err := o.Objects.Find(ctx, kind, id)
	if o.hook != nil {
		o.hook()
	}
	return objs, err
}

type harness struct {
	t   testing.TB
	st  store.Store
	obj *countingObjects
	svc *Service
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	return newHarnessOn(t, teststores.SQLite(t, time.Now))
}

// newHarnessOn is a harness on st, with the test's two accounts.
func newHarnessOn(t testing.TB, st store.Store) *harness {
	t.Helper()
	for _, a := range []string{testAcct, otherAcct} {
		if err := st.Accounts().Create(context.Background(), iam.Account{ID: a, Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	obj := &countingObjects{Objects: st.Objects()}
	svc, err := New(Config{Objects: obj, Sessions: noSessions{}, Tokens: NewTokens(func() *issuer.Issuer { return nil })})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, st: st, obj: obj, svc: svc}
}

func ptr[T any](v T) *T { return &v }

func (h *harness) create(account string, in *CreateIdentityPoolInput) *Pool {
	h.t.Helper()
	if in.AllowUnauthenticatedIdentities == nil {
		in.AllowUnauthenticatedIdentities = ptr(false)
	}
	p, err := h.svc.CreateIdentityPool(context.Background(), account, in)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// wantErr checks err is an *Error of code whose message contains msg.
func wantErr(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	e, ok := errors.AsType[*Error](err)
	if !ok {
		t.Errorf("%s: got %v, want %s", what, err, code)
		return
	}
	if e.Code != code || !strings.Contains(e.Message, msg) {
		t.Errorf("%s: got %s %q, want %s containing %q", what, e.Code, e.Message, code, msg)
	}
}

const oidcARN = "arn:aws:iam::" + testAcct + ":oidc-provider/login.example.com/oidc"

func TestCreateIdentityPoolValidation(t *testing.T) {
	h := newHarness(t)
	long := strings.Repeat("a", 129)
	manyTags := map[string]string{}
	for i := range 51 {
		manyTags[fmt.Sprint("k", i)] = "v"
	}
	for _, c := range []struct {
		name string
		in   CreateIdentityPoolInput
		code string
		msg  string
	}{
		{"name pattern", CreateIdentityPoolInput{IdentityPoolName: "bad/name", AllowUnauthenticatedIdentities: ptr(true)}, CodeInvalidParameter,
			`1 validation error detected: Value 'bad/name' at 'identityPoolName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w\s+=,.@-]+`},
		{"name missing", CreateIdentityPoolInput{AllowUnauthenticatedIdentities: ptr(true)}, CodeInvalidParameter,
			"at 'identityPoolName' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"name too long", CreateIdentityPoolInput{IdentityPoolName: long, AllowUnauthenticatedIdentities: ptr(true)}, CodeInvalidParameter,
			"Member must have length less than or equal to 128"},
		{"two errors", CreateIdentityPoolInput{IdentityPoolName: "x!"}, CodeInvalidParameter,
			"2 validation errors detected: Value null at 'allowUnauthenticatedIdentities' failed to satisfy constraint: Member must not be null; Value 'x!'"},
		{"developer name", CreateIdentityPoolInput{IdentityPoolName: "p", AllowUnauthenticatedIdentities: ptr(true), DeveloperProviderName: "dev name"},
			CodeInvalidParameter, `at 'developerProviderName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w._-]+`},
		{"too many providers", CreateIdentityPoolInput{IdentityPoolName: "p", AllowUnauthenticatedIdentities: ptr(true), SupportedLoginProviders: map[string]string{
			"a": "1", "b": "1", "c": "1", "d": "1", "e": "1", "f": "1", "g": "1", "h": "1", "i": "1", "j": "1", "k": "1"}},
			CodeInvalidParameter, "Value at 'supportedLoginProviders' failed to satisfy constraint: Member must have length less than or equal to 10"},
		{"provider app id", CreateIdentityPoolInput{IdentityPoolName: "p", AllowUnauthenticatedIdentities: ptr(true), SupportedLoginProviders: map[string]string{"accounts.google.com": "a b"}},
			CodeInvalidParameter, `Member must satisfy regular expression pattern: [\w.;_/-]+`},
		{"oidc arn of another account", CreateIdentityPoolInput{IdentityPoolName: "p", AllowUnauthenticatedIdentities: ptr(true),
			OpenIdConnectProviderARNs: []string{"arn:aws:iam::" + otherAcct + ":oidc-provider/login.example.com"}}, CodeInvalidParameter, "is not of this account"},
		{"saml arn as oidc", CreateIdentityPoolInput{IdentityPoolName: "p", AllowUnauthenticatedIdentities: ptr(true),
			OpenIdConnectProviderARNs: []string{"arn:aws:iam::" + testAcct + ":saml-provider/corp"}}, CodeInvalidParameter, "Invalid OpenID Connect provider ARN"},
		{"not an arn", CreateIdentityPoolInput{IdentityPoolName: "p", AllowUnauthenticatedIdentities: ptr(true),
			SamlProviderARNs: []string{"this is not an ARN at all"}}, CodeInvalidParameter, "Invalid SAML provider ARN"},
		{"cognito client id", CreateIdentityPoolInput{IdentityPoolName: "p", AllowUnauthenticatedIdentities: ptr(true),
			CognitoIdentityProviders: []CognitoProvider{{ProviderName: "cognito-idp.us-east-1.amazonaws.com/us-east-1_x", ClientId: "a-b"}}},
			CodeInvalidParameter, "at 'cognitoIdentityProviders.1.member.clientId'"},
		{"aws: tag", CreateIdentityPoolInput{IdentityPoolName: "p", AllowUnauthenticatedIdentities: ptr(true), IdentityPoolTags: map[string]string{"AWS:x": "y"}},
			CodeInvalidParameter, "reserved for AWS use"},
		{"tag value", CreateIdentityPoolInput{IdentityPoolName: "p", AllowUnauthenticatedIdentities: ptr(true), IdentityPoolTags: map[string]string{"k": "a|b"}},
			CodeInvalidParameter, "at 'identityPoolTags.k' failed to satisfy constraint"},
		{"51 tags", CreateIdentityPoolInput{IdentityPoolName: "p", AllowUnauthenticatedIdentities: ptr(true), IdentityPoolTags: manyTags},
			CodeInvalidParameter, "Member must have length less than or equal to 50"},
	} {
		_, err := h.svc.CreateIdentityPool(context.Background(), testAcct, &c.in)
		wantErr(t, c.name, err, c.code, c.msg)
	}
	if objs, _ := h.st.Objects().List(context.Background(), testAcct, KindPool, "", 0); len(objs) != 0 {
		t.Errorf("pools after refused creates: %d, want 0", len(objs))
	}
}

func TestPoolRoundTrip(t *testing.T) {
	teststores.Each(t, time.Now, func(t *testing.T, st store.Store) { testPoolRoundTrip(t, newHarnessOn(t, st)) })
}

func testPoolRoundTrip(t *testing.T, h *harness) {
	ctx := context.Background()
	p := h.create(testAcct, &CreateIdentityPoolInput{IdentityPoolName: "app pool", AllowUnauthenticatedIdentities: ptr(true),
		SupportedLoginProviders: map[string]string{"accounts.google.com": "client.apps"}, OpenIdConnectProviderARNs: []string{oidcARN},
		DeveloperProviderName: "login.myapp", IdentityPoolTags: map[string]string{"team": "blue"}})
	if !strings.HasPrefix(p.IdentityPoolId, "us-east-1:") || !validPoolID(p.IdentityPoolId) || p.AllowClassicFlow == nil || *p.AllowClassicFlow {
		t.Fatalf("created %+v: want an id us-east-1:UUID and AllowClassicFlow false", p)
	}
	got, err := h.svc.DescribeIdentityPool(ctx, testAcct, p.IdentityPoolId)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("DescribeIdentityPool (-created +described):\n%s", diff)
	}

	// Roles and a principal tag map, which UpdateIdentityPool keeps.
	role := "arn:aws:iam::" + testAcct + ":role/app/auth"
	if err := h.svc.SetIdentityPoolRoles(ctx, testAcct, &SetIdentityPoolRolesInput{IdentityPoolId: p.IdentityPoolId,
		Roles: map[string]string{RoleAuthenticated: role},
		RoleMappings: map[string]RoleMapping{"login.example.com/oidc": {Type: MappingRules, AmbiguousRoleResolution: ResolveDeny,
			RulesConfiguration: &RulesConfiguration{Rules: []MappingRule{{Claim: "groups", MatchType: MatchContains, Value: "admin", RoleARN: role}}}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.SetPrincipalTagAttributeMap(ctx, testAcct, &PrincipalTagAttributeMap{IdentityPoolId: p.IdentityPoolId,
		IdentityProviderName: "accounts.google.com", PrincipalTags: map[string]string{"user": "sub"}}); err != nil {
		t.Fatal(err)
	}

	up, err := h.svc.UpdateIdentityPool(ctx, testAcct, &Pool{IdentityPoolId: p.IdentityPoolId, IdentityPoolName: "renamed",
		AllowUnauthenticatedIdentities: false, OpenIdConnectProviderARNs: []string{oidcARN}})
	if err != nil {
		t.Fatal(err)
	}
	want := &Pool{IdentityPoolId: p.IdentityPoolId, IdentityPoolName: "renamed", AllowClassicFlow: ptr(false),
		OpenIdConnectProviderARNs: []string{oidcARN}, DeveloperProviderName: "login.myapp", IdentityPoolTags: map[string]string{"team": "blue"}}
	got, _ = h.svc.DescribeIdentityPool(ctx, testAcct, p.IdentityPoolId)
	if diff := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool {
		n := p.Last().String()
		return n == ".Roles" || n == ".RoleMappings" || n == ".PrincipalTags"
	}, cmp.Ignore())); diff != "" {
		t.Errorf("after UpdateIdentityPool (-want +got):\n%s", diff)
	}
	if up.IdentityPoolName != "renamed" {
		t.Errorf("UpdateIdentityPool answered %+v", up)
	}
	roles, _ := h.svc.GetIdentityPoolRoles(ctx, testAcct, p.IdentityPoolId)
	if roles.Roles[RoleAuthenticated] != role || len(roles.RoleMappings) != 1 {
		t.Errorf("roles after UpdateIdentityPool: %+v, want kept", roles)
	}
	m, _ := h.svc.GetPrincipalTagAttributeMap(ctx, testAcct, &ProviderNameInput{IdentityPoolId: p.IdentityPoolId, IdentityProviderName: "accounts.google.com"})
	if m.PrincipalTags["user"] != "sub" {
		t.Errorf("principal tags after UpdateIdentityPool: %+v, want kept", m)
	}

	// The developer provider name cannot change; empty tags clear them.
	_, err = h.svc.UpdateIdentityPool(ctx, testAcct, &Pool{IdentityPoolId: p.IdentityPoolId, IdentityPoolName: "x", DeveloperProviderName: "other"})
	wantErr(t, "changing DeveloperProviderName", err, CodeInvalidParameter, "cannot be changed")
	if _, err := h.svc.UpdateIdentityPool(ctx, testAcct, &Pool{IdentityPoolId: p.IdentityPoolId, IdentityPoolName: "x", IdentityPoolTags: map[string]string{}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.svc.DescribeIdentityPool(ctx, testAcct, p.IdentityPoolId); len(got.IdentityPoolTags) != 0 {
		t.Errorf("tags after an update with empty IdentityPoolTags: %v, want none", got.IdentityPoolTags)
	}

	// Other accounts see nothing.
	_, err = h.svc.DescribeIdentityPool(ctx, otherAcct, p.IdentityPoolId)
	wantErr(t, "describe from another account", err, CodeNotFound, "IdentityPool '"+p.IdentityPoolId+"' not found.")
	_, err = h.svc.UpdateIdentityPool(ctx, otherAcct, &Pool{IdentityPoolId: p.IdentityPoolId, IdentityPoolName: "mine"})
	wantErr(t, "update from another account", err, CodeNotFound, "not found")
	err = h.svc.DeleteIdentityPool(ctx, otherAcct, p.IdentityPoolId)
	wantErr(t, "delete from another account", err, CodeNotFound, "not found")
	_, err = h.svc.DescribeIdentityPool(ctx, testAcct, "us-east-1:not-hex!")
	wantErr(t, "malformed id", err, CodeInvalidParameter, "at 'identityPoolId' failed to satisfy constraint")
}

func TestListIdentityPoolsPages(t *testing.T) {
	teststores.Each(t, time.Now, func(t *testing.T, st store.Store) { testListIdentityPoolsPages(t, newHarnessOn(t, st)) })
}

func testListIdentityPoolsPages(t *testing.T, h *harness) {
	ctx := context.Background()
	want := map[string]string{}
	for i := range 7 {
		p := h.create(testAcct, &CreateIdentityPoolInput{IdentityPoolName: fmt.Sprint("pool", i)})
		want[p.IdentityPoolId] = p.IdentityPoolName
	}
	h.create(otherAcct, &CreateIdentityPoolInput{IdentityPoolName: "elsewhere"})
	got := map[string]string{}
	token, pages := "", 0
	for {
		out, err := h.svc.ListIdentityPools(ctx, testAcct, &ListIdentityPoolsInput{MaxResults: 3, NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, p := range out.IdentityPools {
			got[p.IdentityPoolId] = p.IdentityPoolName
		}
		if token = out.NextToken; token == "" {
			break
		}
	}
	if diff := cmp.Diff(want, got); diff != "" || pages != 3 {
		t.Errorf("listed in %d pages (want 3) (-want +got):\n%s", pages, diff)
	}
	for _, c := range []struct {
		in  ListIdentityPoolsInput
		msg string
	}{
		{ListIdentityPoolsInput{MaxResults: 0}, "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{ListIdentityPoolsInput{MaxResults: 61}, "Member must have value less than or equal to 60"},
		{ListIdentityPoolsInput{MaxResults: 5, NextToken: "@@@"}, "Invalid pagination token."},
	} {
		_, err := h.svc.ListIdentityPools(ctx, testAcct, &c.in)
		wantErr(t, fmt.Sprintf("%+v", c.in), err, CodeInvalidParameter, c.msg)
	}
}

func TestSetIdentityPoolRolesValidation(t *testing.T) {
	h := newHarness(t)
	p := h.create(testAcct, &CreateIdentityPoolInput{IdentityPoolName: "p", OpenIdConnectProviderARNs: []string{oidcARN}})
	role := "arn:aws:iam::" + testAcct + ":role/r"
	rules := &RulesConfiguration{Rules: []MappingRule{{Claim: "g", MatchType: MatchEquals, Value: "a", RoleARN: role}}}
	for _, c := range []struct {
		name string
		in   SetIdentityPoolRolesInput
		msg  string
	}{
		{"no roles", SetIdentityPoolRolesInput{}, "Value null at 'roles' failed to satisfy constraint: Member must not be null"},
		{"role key", SetIdentityPoolRolesInput{Roles: map[string]string{"admin": role}},
			"Value 'admin' at 'roles' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: (un)?authenticated]"},
		{"not a role", SetIdentityPoolRolesInput{Roles: map[string]string{RoleAuthenticated: "arn:aws:iam::" + testAcct + ":user/u"}}, "Invalid role ARN"},
		{"role of another account", SetIdentityPoolRolesInput{Roles: map[string]string{RoleAuthenticated: "arn:aws:iam::" + otherAcct + ":role/r"}},
			"is not of this identity pool's account"},
		{"mapping type", SetIdentityPoolRolesInput{Roles: map[string]string{}, RoleMappings: map[string]RoleMapping{"login.example.com/oidc": {Type: "Claims", AmbiguousRoleResolution: ResolveDeny}}},
			"Member must satisfy enum value set: [Token, Rules]"},
		{"no ambiguity rule", SetIdentityPoolRolesInput{Roles: map[string]string{}, RoleMappings: map[string]RoleMapping{"login.example.com/oidc": {Type: MappingToken}}},
			"Value null at 'roleMappings.login.example.com/oidc.member.ambiguousRoleResolution'"},
		{"rules without configuration", SetIdentityPoolRolesInput{Roles: map[string]string{}, RoleMappings: map[string]RoleMapping{"login.example.com/oidc": {Type: MappingRules, AmbiguousRoleResolution: ResolveDeny}}},
			"RulesConfiguration is required"},
		{"token with rules", SetIdentityPoolRolesInput{Roles: map[string]string{}, RoleMappings: map[string]RoleMapping{"login.example.com/oidc": {Type: MappingToken, AmbiguousRoleResolution: ResolveDeny, RulesConfiguration: rules}}},
			"must not be set for the Token role mapping"},
		{"no rules", SetIdentityPoolRolesInput{Roles: map[string]string{}, RoleMappings: map[string]RoleMapping{"login.example.com/oidc": {Type: MappingRules, AmbiguousRoleResolution: ResolveDeny, RulesConfiguration: &RulesConfiguration{}}}},
			"Member must have length greater than or equal to 1"},
		{"match type", SetIdentityPoolRolesInput{Roles: map[string]string{}, RoleMappings: map[string]RoleMapping{"login.example.com/oidc": {Type: MappingRules, AmbiguousRoleResolution: ResolveDeny,
			RulesConfiguration: &RulesConfiguration{Rules: []MappingRule{{Claim: "g", MatchType: "Like", Value: "a", RoleARN: role}}}}}},
			"rulesConfiguration.rules.1.member.matchType' failed to satisfy constraint: Member must satisfy enum value set: [Equals, Contains, StartsWith, NotEqual]"},
		{"provider not of the pool", SetIdentityPoolRolesInput{Roles: map[string]string{}, RoleMappings: map[string]RoleMapping{"accounts.google.com": {Type: MappingToken, AmbiguousRoleResolution: ResolveDeny}}},
			"accounts.google.com is not a valid RoleMapping ProviderName or is not a configured provider."},
	} {
		c.in.IdentityPoolId = p.IdentityPoolId
		err := h.svc.SetIdentityPoolRoles(context.Background(), testAcct, &c.in)
		wantErr(t, c.name, err, CodeInvalidParameter, c.msg)
	}
}

func TestPassRolesOncePerRole(t *testing.T) {
	h := newHarness(t)
	a, b := "arn:aws:iam::"+testAcct+":role/a", "arn:aws:iam::"+testAcct+":role/b"
	in := &SetIdentityPoolRolesInput{IdentityPoolId: "us-east-1:0d9a3ab1-4d1c-4bd7-8c39-3fbbb3f6d8f5",
		Roles: map[string]string{RoleAuthenticated: a, RoleUnauthenticated: b},
		RoleMappings: map[string]RoleMapping{"x": {Type: MappingRules, AmbiguousRoleResolution: ResolveAuthenticatedRole,
			RulesConfiguration: &RulesConfiguration{Rules: []MappingRule{{Claim: "c", MatchType: MatchEquals, Value: "v", RoleARN: a}}}}}}
	r := &restjson.Request[SetIdentityPoolRolesInput]{Exchange: &request.Exchange{Principal: &identity.Principal{Account: testAcct}}, Input: in}
	ts, err := h.svc.passRoles(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	want := []request.Target{
		{Action: "iam:PassRole", Resource: a, Context: map[string][]string{"iam:PassedToService": {"cognito-identity.amazonaws.com"}}},
		{Action: "iam:PassRole", Resource: b, Context: map[string][]string{"iam:PassedToService": {"cognito-identity.amazonaws.com"}}},
	}
	if diff := cmp.Diff(want, ts, cmp.AllowUnexported(request.Target{})); diff != "" {
		t.Errorf("passRoles (-want +got):\n%s", diff)
	}
}

func TestPoolTags(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	p := h.create(testAcct, &CreateIdentityPoolInput{IdentityPoolName: "p", IdentityPoolTags: map[string]string{"a": "1"}})
	arn := h.svc.PoolARN(testAcct, p.IdentityPoolId)
	if err := h.svc.TagResource(ctx, testAcct, &TagResourceInput{ResourceArn: arn, Tags: map[string]string{"a": "2", "b": "3"}}); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.UntagResource(ctx, testAcct, &UntagResourceInput{ResourceArn: arn, TagKeys: []string{"b", "missing"}}); err != nil {
		t.Fatal(err)
	}
	out, err := h.svc.ListTagsForResource(ctx, testAcct, &ResourceArnInput{ResourceArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"a": "2"}, out.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	many := map[string]string{}
	for i := range 50 {
		many[fmt.Sprint("k", i)] = ""
	}
	err = h.svc.TagResource(ctx, testAcct, &TagResourceInput{ResourceArn: arn, Tags: many})
	wantErr(t, "51 tags in all", err, CodeInvalidParameter, "at most 50 tags")
	err = h.svc.TagResource(ctx, testAcct, &TagResourceInput{ResourceArn: arn, Tags: map[string]string{"aws:cloudformation:stack": "x"}})
	wantErr(t, "aws: tag", err, CodeInvalidParameter, "reserved for AWS use")

	for _, c := range []struct{ arn, code, msg string }{
		{"arn:aws:cognito-identity:us-east-1:" + otherAcct + ":identitypool/" + p.IdentityPoolId, CodeNotFound, "not found"},
		{"arn:aws:cognito-identity:eu-west-1:" + testAcct + ":identitypool/" + p.IdentityPoolId, CodeNotFound, "not found"},
		{"arn:aws:cognito-idp:us-east-1:" + testAcct + ":userpool/us-east-1_abc", CodeInvalidParameter, "Invalid resource ARN"},
		{"arn:aws:cognito-identity:us-east-1:" + testAcct + ":identitypool/nope", CodeInvalidParameter, "Invalid resource ARN"},
		{"short", CodeInvalidParameter, "at 'resourceArn' failed to satisfy constraint"},
	} {
		_, err := h.svc.ListTagsForResource(ctx, testAcct, &ResourceArnInput{ResourceArn: c.arn})
		wantErr(t, c.arn, err, c.code, c.msg)
	}

	// The pool's tags are its authorization target's aws:ResourceTag keys.
	target, err := h.svc.poolResource(ctx, testAcct, p.IdentityPoolId, map[string][]string{"aws:TagKeys": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	wantT := request.Target{Resource: arn, Context: map[string][]string{"aws:ResourceTag/a": {"2"}, "aws:TagKeys": {"x"}}}
	if diff := cmp.Diff(wantT, target, cmp.AllowUnexported(request.Target{})); diff != "" {
		t.Errorf("poolResource (-want +got):\n%s", diff)
	}
}

func TestDeleteIdentityPoolDeletesItsIdentities(t *testing.T) {
	teststores.Each(t, time.Now, func(t *testing.T, st store.Store) { testDeleteIdentityPoolDeletesItsIdentities(t, newHarnessOn(t, st)) })
}

func testDeleteIdentityPoolDeletesItsIdentities(t *testing.T, h *harness) {
	ctx := context.Background()
	gone := h.create(testAcct, &CreateIdentityPoolInput{IdentityPoolName: "gone"})
	kept := h.create(testAcct, &CreateIdentityPoolInput{IdentityPoolName: "kept pool"})
	put := func(kind, id string) {
		t.Helper()
		if err := h.st.Objects().Create(ctx, store.Object{Account: testAcct, Kind: kind, ID: id, Body: []byte("{}")}); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []*Pool{gone, kept} {
		for i := range 3 {
			ident := fmt.Sprintf("us-east-1:%08d-0000-4000-8000-%012d", i, len(p.IdentityPoolName))
			put(KindIdentity, ident)
			put(KindMember, p.IdentityPoolId+"/"+ident)
			put(KindLogin, p.IdentityPoolId+"/"+fmt.Sprint(i))
		}
	}
	if err := h.svc.DeleteIdentityPool(ctx, testAcct, gone.IdentityPoolId); err != nil {
		t.Fatal(err)
	}
	_, err := h.svc.DescribeIdentityPool(ctx, testAcct, gone.IdentityPoolId)
	wantErr(t, "describe after delete", err, CodeNotFound, "IdentityPool '"+gone.IdentityPoolId+"' not found.")
	all, err := h.st.Objects().All(ctx, testAcct)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, o := range all {
		if strings.Contains(o.ID, gone.IdentityPoolId) || strings.HasSuffix(o.ID, "-000000000004") {
			t.Errorf("left after the delete: %s %s", o.Kind, o.ID)
		}
		count[o.Kind]++
	}
	if diff := cmp.Diff(map[string]int{KindPool: 1, KindIdentity: 3, KindMember: 3, KindLogin: 3}, count); diff != "" {
		t.Errorf("objects kept (-want +got):\n%s", diff)
	}
	err = h.svc.DeleteIdentityPool(ctx, testAcct, gone.IdentityPoolId)
	wantErr(t, "delete twice", err, CodeNotFound, "not found")
}

// TestPoolCache: findPool reads the store once per pool, then answers
// from memory, misses included; a change (through the feed or this
// node's own write) drops the entry; a load that raced a drop is not
// kept.
func TestPoolCache(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	p := h.create(testAcct, &CreateIdentityPoolInput{IdentityPoolName: "p"})
	for range 3 {
		acct, got, err := h.svc.findPool(ctx, p.IdentityPoolId)
		if err != nil || acct != testAcct || got.IdentityPoolName != "p" {
			t.Fatalf("findPool: %s %+v %v", acct, got, err)
		}
	}
	if n := h.obj.finds.Load(); n != 1 {
		t.Errorf("store reads for three look-ups: %d, want 1", n)
	}

	// Unknown ids: one read each, then answered from memory.
	unknown := "us-east-1:00000000-0000-4000-8000-000000000000"
	for range 3 {
		_, _, err := h.svc.findPool(ctx, unknown)
		wantErr(t, "unknown pool", err, CodeNotFound, "IdentityPool '"+unknown+"' not found.")
	}
	if n := h.obj.finds.Load(); n != 2 {
		t.Errorf("store reads after three look-ups of an unknown id: %d, want 2", n)
	}

	// A change made elsewhere arrives on the feed.
	o, _ := h.st.Objects().Get(ctx, testAcct, KindPool, p.IdentityPoolId)
	changed := *p
	changed.IdentityPoolName = "changed"
	o.Body, _ = changed.MarshalStored()
	if err := h.st.Objects().Update(ctx, o); err != nil {
		t.Fatal(err)
	}
	if _, got, _ := h.svc.findPool(ctx, p.IdentityPoolId); got.IdentityPoolName != "p" {
		t.Errorf("before the feed: %q, want the cached p", got.IdentityPoolName)
	}
	h.svc.Apply([]store.Change{{Kind: store.ChangeObject, Account: testAcct, Key: store.ObjectKey(KindPool, p.IdentityPoolId)}})
	if _, got, _ := h.svc.findPool(ctx, p.IdentityPoolId); got.IdentityPoolName != "changed" {
		t.Errorf("after the feed: %q, want changed", got.IdentityPoolName)
	}

	// This node's writes drop at once, without waiting for the feed.
	if _, err := h.svc.UpdateIdentityPool(ctx, testAcct, &Pool{IdentityPoolId: p.IdentityPoolId, IdentityPoolName: "updated"}); err != nil {
		t.Fatal(err)
	}
	if _, got, _ := h.svc.findPool(ctx, p.IdentityPoolId); got.IdentityPoolName != "updated" {
		t.Errorf("after UpdateIdentityPool: %q, want updated", got.IdentityPoolName)
	}

	// A load during which the pool changes is served but not kept.
	h.svc.Apply([]store.Change{{Kind: store.ChangeObject, Account: testAcct, Key: store.ObjectKey(KindPool, p.IdentityPoolId)}})
	h.obj.hook = func() { h.svc.cache.drop(p.IdentityPoolId) }
	if _, _, err := h.svc.findPool(ctx, p.IdentityPoolId); err != nil {
		t.Fatal(err)
	}
	h.obj.hook = nil
	before := h.obj.finds.Load()
	if _, _, err := h.svc.findPool(ctx, p.IdentityPoolId); err != nil {
		t.Fatal(err)
	}
	if h.obj.finds.Load() != before+1 {
		t.Errorf("a load that raced a drop was cached")
	}

	// A miss is forgotten when the pool is created.
	created := h.create(testAcct, &CreateIdentityPoolInput{IdentityPoolName: "new"})
	h.svc.cache.put(h.svc.cache.gen.Load(), created.IdentityPoolId, "", nil, 0)
	h.svc.Apply([]store.Change{{Kind: store.ChangeObject, Account: testAcct, Key: store.ObjectKey(KindPool, created.IdentityPoolId)}})
	if _, _, err := h.svc.findPool(ctx, created.IdentityPoolId); err != nil {
		t.Errorf("a pool cached as missing, after its creation's change: %v", err)
	}
	if st := h.svc.Stats(); st.Hits == 0 || st.Loads == 0 || st.Pools == 0 {
		t.Errorf("Stats: %+v", st)
	}
}

func TestPoolCacheBounded(t *testing.T) {
	h := newHarness(t)
	for i := range maxCachedMisses + 10 {
		h.svc.cache.put(h.svc.cache.gen.Load(), fmt.Sprintf("us-east-1:%d", i), "", nil, 0)
	}
	if st := h.svc.Stats(); st.Misses > maxCachedMisses || st.Pools != 0 {
		t.Errorf("after %d misses: %+v, want at most %d misses and no pool pushed out", maxCachedMisses+10, st, maxCachedMisses)
	}
}

func TestFindPoolHitAllocatesNothing(t *testing.T) {
	h := newHarness(t)
	p := h.create(testAcct, &CreateIdentityPoolInput{IdentityPoolName: "p"})
	ctx := context.Background()
	if _, _, err := h.svc.findPool(ctx, p.IdentityPoolId); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _, _ = h.svc.findPool(ctx, p.IdentityPoolId) }); n != 0 {
		t.Errorf("allocations per cached findPool: %v, want 0", n)
	}
}

func BenchmarkFindPoolHit(b *testing.B) {
	h := newHarness(b)
	p := h.create(testAcct, &CreateIdentityPoolInput{IdentityPoolName: "p"})
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := h.svc.findPool(ctx, p.IdentityPoolId); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestValidPoolID(t *testing.T) {
	for id, want := range map[string]bool{
		"us-east-1:0d9a3ab1-4d1c-4bd7-8c39-3fbbb3f6d8f5": true,
		"us_east-1:abc":                true,
		"us-east-1:ABC":                false,
		":abc":                         false,
		"us-east-1:":                   false,
		"a:b:c":                        false,
		"us-east-1":                    false,
		"eu west:abc":                  false,
		"x:" + strings.Repeat("a", 54): false,
	} {
		if got := validPoolID(id); got != want {
			t.Errorf("validPoolID(%q) = %v, want %v", id, got, want)
		}
	}
}

// TestConcurrentTagsAllKept: writes to one pool from many callers at
// once are compare-and-swapped, so none is lost.
func TestConcurrentTagsAllKept(t *testing.T) {
	teststores.Each(t, time.Now, func(t *testing.T, st store.Store) { testConcurrentTagsAllKept(t, newHarnessOn(t, st)) })
}

func testConcurrentTagsAllKept(t *testing.T, h *harness) {
	p := h.create(testAcct, &CreateIdentityPoolInput{IdentityPoolName: "p"})
	arn := h.svc.PoolARN(testAcct, p.IdentityPoolId)
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- h.svc.TagResource(context.Background(), testAcct, &TagResourceInput{ResourceArn: arn, Tags: map[string]string{fmt.Sprint("k", i): "v"}})
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	out, err := h.svc.ListTagsForResource(context.Background(), testAcct, &ResourceArnInput{ResourceArn: arn})
	if err != nil || len(out.Tags) != n {
		t.Errorf("tags after %d concurrent TagResource: %v %v", n, out, err)
	}
}

// FuzzArnPool: any string either is refused with an *Error or names a
// well-formed pool id whose ARN is the one given.
func FuzzArnPool(f *testing.F) {
	for _, s := range []string{
		"arn:aws:cognito-identity:us-east-1:123456789012:identitypool/us-east-1:0d9a3ab1-4d1c-4bd7-8c39-3fbbb3f6d8f5",
		"arn:aws:cognito-identity:us-east-1:123456789012:identitypool/",
		"arn:aws:cognito-identity:us-east-1:210987654321:identitypool/a:b",
		"arn:aws:iam::123456789012:role/x", "", "arn:::::", "arn:aws:cognito-identity:us-east-1:123456789012:identitypool/x:y/z",
	} {
		f.Add(s)
	}
	svc := &Service{region: "us-east-1"}
	f.Fuzz(func(t *testing.T, arn string) {
		id, err := svc.arnPool(testAcct, arn)
		if err != nil {
			if _, ok := errors.AsType[*Error](err); !ok {
				t.Fatalf("arnPool(%q): %v, not an *Error", arn, err)
			}
			return
		}
		if !validPoolID(id) || svc.PoolARN(testAcct, id) != arn {
			t.Fatalf("arnPool(%q) = %q, whose ARN is %q", arn, id, svc.PoolARN(testAcct, id))
		}
	})
}

// TestTagConditionKeys: UpdateIdentityPool's tags are its request's
// aws:RequestTag/KEY and aws:TagKeys, as TagResource's are, and
// UntagResource's keys its aws:TagKeys, beside the pool's own tags.
func TestTagConditionKeys(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	p := h.create(testAcct, &CreateIdentityPoolInput{IdentityPoolName: "p", IdentityPoolTags: map[string]string{"team": "blue"}})
	arn := h.svc.PoolARN(testAcct, p.IdentityPoolId)
	x := &request.Exchange{Principal: &identity.Principal{Account: testAcct}}
	up, err := h.svc.updateTarget(ctx, &restjson.Request[Pool]{Exchange: x, Input: &Pool{IdentityPoolId: p.IdentityPoolId, IdentityPoolTags: map[string]string{"team": "red"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := request.Target{Resource: arn, Context: map[string][]string{"aws:ResourceTag/team": {"blue"}, "aws:RequestTag/team": {"red"}, "aws:TagKeys": {"team"}}}
	if diff := cmp.Diff(want, up); diff != "" {
		t.Errorf("UpdateIdentityPool's target (-want +got):\n%s", diff)
	}
	un, err := h.svc.untagTarget(ctx, &restjson.Request[UntagResourceInput]{Exchange: x, Input: &UntagResourceInput{ResourceArn: arn, TagKeys: []string{"team"}}})
	if err != nil {
		t.Fatal(err)
	}
	want = request.Target{Resource: arn, Context: map[string][]string{"aws:ResourceTag/team": {"blue"}, "aws:TagKeys": {"team"}}}
	if diff := cmp.Diff(want, un); diff != "" {
		t.Errorf("UntagResource's target (-want +got):\n%s", diff)
	}
	_, err = h.svc.untagTarget(ctx, &restjson.Request[UntagResourceInput]{Exchange: x, Input: &UntagResourceInput{ResourceArn: "arn:aws:s3:::bucket/key", TagKeys: []string{"team"}}})
	wantErr(t, "UntagResource of an S3 ARN", err, CodeInvalidParameter, "Invalid resource ARN")
}

// TestPoolProviderListsBounded: the model bounds no provider list, so a
// pool could hold as many ARNs as a request body carries (tens of
// thousands), each parsed, stored, cached on every node and scanned by
// every login. Each list holds at most MaxPoolProviders (our choice,
// AWS's quota of identity providers per pool).
func TestPoolProviderListsBounded(t *testing.T) {
	h := newHarness(t)
	var oidc, saml []string
	var cognito []CognitoProvider
	for i := range MaxPoolProviders + 1 {
		oidc = append(oidc, fmt.Sprintf("arn:aws:iam::%s:oidc-provider/p%d.example.com", testAcct, i))
		saml = append(saml, fmt.Sprintf("arn:aws:iam::%s:saml-provider/p%d", testAcct, i))
		cognito = append(cognito, CognitoProvider{ProviderName: fmt.Sprintf("cognito-idp.us-east-1.amazonaws.com/us-east-1_p%d", i), ClientId: "c"})
	}
	for _, c := range []struct {
		name string
		in   CreateIdentityPoolInput
	}{
		{"openIdConnectProviderARNs", CreateIdentityPoolInput{OpenIdConnectProviderARNs: oidc}},
		{"samlProviderARNs", CreateIdentityPoolInput{SamlProviderARNs: saml}},
		{"cognitoIdentityProviders", CreateIdentityPoolInput{CognitoIdentityProviders: cognito}},
	} {
		c.in.IdentityPoolName, c.in.AllowUnauthenticatedIdentities = "p", ptr(true)
		_, err := h.svc.CreateIdentityPool(context.Background(), testAcct, &c.in)
		wantErr(t, c.name, err, CodeInvalidParameter, fmt.Sprintf("Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", c.name, MaxPoolProviders))
	}
	p := h.create(testAcct, &CreateIdentityPoolInput{IdentityPoolName: "p", OpenIdConnectProviderARNs: oidc[:MaxPoolProviders]})
	_, err := h.svc.UpdateIdentityPool(context.Background(), testAcct, &Pool{IdentityPoolId: p.IdentityPoolId, IdentityPoolName: "p", SamlProviderARNs: saml})
	wantErr(t, "UpdateIdentityPool", err, CodeInvalidParameter, "Value at 'samlProviderARNs' failed to satisfy constraint")
}

// TestViolationsMessageBounded: a request breaking thousands of
// constraints (a body of bad ARNs) hears how many, and the first few,
// not a message as large as its body.
func TestViolationsMessageBounded(t *testing.T) {
	h := newHarness(t)
	var bad []string
	for range 5000 {
		bad = append(bad, "x")
	}
	_, err := h.svc.CreateIdentityPool(context.Background(), testAcct, &CreateIdentityPoolInput{IdentityPoolName: "p", AllowUnauthenticatedIdentities: ptr(true), SamlProviderARNs: bad})
	wantErr(t, "5000 bad ARNs", err, CodeInvalidParameter, "5001 validation errors detected: Value at 'samlProviderARNs'")
	if e, ok := errors.AsType[*Error](err); ok && len(e.Message) > 4096 {
		t.Errorf("message of %d bytes, want at most 4096", len(e.Message))
	}
}

// TestPoolCacheBoundedByBytes: pools are as large as a request body
// makes them (role mappings of 400 rules, tag maps: up to a MiB each),
// so ten thousand cached pools could hold gigabytes on every node; the
// cache also bounds the bytes it holds.
func TestPoolCacheBoundedByBytes(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.svc.cache.maxBytes = 4 << 20
	big := strings.Repeat("n", 1<<20)
	for i := range 8 {
		p := &Pool{IdentityPoolId: fmt.Sprintf("us-east-1:%08x-0000-4000-8000-000000000000", i), IdentityPoolName: big}
		body, _ := p.MarshalStored()
		now := time.Now()
		if err := h.st.Objects().Create(ctx, store.Object{Account: testAcct, Kind: KindPool, ID: p.IdentityPoolId, Body: body, Created: now, Updated: now}); err != nil {
			t.Fatal(err)
		}
		if _, got, err := h.svc.findPool(ctx, p.IdentityPoolId); err != nil || got.IdentityPoolName != big {
			t.Fatalf("findPool %d: %v", i, err)
		}
		if st := h.svc.Stats(); st.Bytes > 4<<20 || st.Pools == 0 {
			t.Fatalf("after %d large pools: %+v, want at most 4 MiB held, and the last pool", i+1, st)
		}
	}
}
