package authz_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/authz/authztest"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

const (
	acct  = "111122223333"
	other = "444455556666"
)

var now = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

type fixture struct {
	w *authztest.World
	a *authz.Authorizer
}

// openSQLite opens a fresh store, closed when the test ends.
func openSQLite(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "b.db"), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	s := openSQLite(t)
	w := &authztest.World{Store: s, Now: now}
	must(t, w.Account(acct))
	must(t, w.Account(other))
	a, err := authz.New(ctx, authz.Config{Store: s, MessageKey: make([]byte, 32), PollInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{w: w, a: a}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func userPrincipal(u iam.User) *identity.Principal {
	return &identity.Principal{Type: identity.IAMUser, Account: u.Account, CallerARN: u.ARN(), PrincipalID: u.ID,
		AccessKeyID: "AKIAEXAMPLE", UserName: u.Name, UserID: u.ID}
}

func roleSession(r iam.Role, session string, c credential.Claims) *identity.Principal {
	c.SessionID = "S-" + r.Name + "-" + session + c.Policy + strings.Join(c.PolicyARNs, ",")
	for _, t := range c.Tags {
		c.SessionID += t.Key + "=" + t.Value
	}
	c.AccountID, c.PrincipalType, c.PrincipalARN, c.PrincipalID = r.Account, credential.AssumedRole, r.ARN(), r.ID
	c.SessionARN, c.SessionName = iam.AssumedRoleARN(r.Account, r.Name, session), session
	if c.IssuedAt.IsZero() {
		c.IssuedAt, c.Expires = now.Add(-time.Minute), now.Add(time.Hour)
	}
	return &identity.Principal{Type: identity.AssumedRole, Account: r.Account, CallerARN: c.SessionARN,
		PrincipalID: r.ID + ":" + session, AccessKeyID: "ASIAEXAMPLE", Session: &c}
}

func (f *fixture) authorize(t testing.TB, p *identity.Principal, action, resource string, ctxKeys map[string][]string) request.Decision {
	t.Helper()
	d, err := f.a.Authorize(context.Background(), &request.AuthzRequest{Principal: p, Action: action, Resource: resource,
		Context: ctxKeys, Now: now, SourceIP: "192.0.2.10", UserAgent: "test", SecureTransport: true})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestAuthorizeUserPolicies(t *testing.T) {
	f := newFixture(t)
	u, err := f.w.User(acct, "alice", iam.Tag{Key: "team", Value: "blue"})
	must(t, err)
	must(t, f.w.Inline(authztest.UserOwner(acct, "alice"), "own", authztest.Allow("*", "iam:GetUser")))
	arn, err := f.w.Managed(acct, "ListRoles", authztest.Allow("*", "iam:ListRoles"))
	must(t, err)
	must(t, f.w.Group(acct, "devs", "alice"))
	must(t, f.w.Attach(authztest.GroupOwner(acct, "devs"), arn))
	must(t, f.w.Inline(authztest.GroupOwner(acct, "devs"), "tagged", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"},"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}]}`))
	p := userPrincipal(u)

	tests := []struct {
		action, resource string
		want             bool
	}{
		{"iam:GetUser", u.ARN(), true},
		{"iam:ListRoles", "*", true},
		{"iam:ListUsers", "*", true},
		{"iam:DeleteUser", u.ARN(), false},
		// Cross-account IAM: no resource policy can allow it.
		{"iam:GetUser", iam.UserARN(other, "/", "bob"), false},
	}
	for _, tt := range tests {
		if got := f.authorize(t, p, tt.action, tt.resource, nil); got.Allowed != tt.want {
			t.Errorf("%s on %s: allowed = %v, want %v (%s)", tt.action, tt.resource, got.Allowed, tt.want, got.Reason)
		}
	}
}

func TestDenialMessage(t *testing.T) {
	f := newFixture(t)
	u, err := f.w.User(acct, "alice")
	must(t, err)
	must(t, f.w.Inline(authztest.UserOwner(acct, "alice"), "deny", authztest.Deny("*", "iam:DeleteRole")))
	p := userPrincipal(u)

	d := f.authorize(t, p, "iam:DeleteUser", u.ARN(), map[string][]string{"iam:PermissionsBoundary": {"x"}})
	if d.Allowed || d.Reason != "no identity-based policy allows the iam:DeleteUser action" || d.EncodedMessage == "" {
		t.Fatalf("got %+v", d)
	}
	text, err := f.a.DecodeMessage(d.EncodedMessage, acct)
	must(t, err)
	var m map[string]any
	must(t, json.Unmarshal([]byte(text), &m))
	ctxm := m["context"].(map[string]any)
	if got, want := ctxm["action"], "iam:DeleteUser"; got != want {
		t.Errorf("action = %v, want %v", got, want)
	}
	if got, want := ctxm["principal"].(map[string]any)["arn"], u.ARN(); got != want {
		t.Errorf("principal arn = %v, want %v", got, want)
	}
	if m["allowed"] != false || m["explicitDeny"] != false {
		t.Errorf("allowed/explicitDeny = %v/%v", m["allowed"], m["explicitDeny"])
	}
	if got := m["implicitDeny"].(map[string]any)["missingAllow"]; got != "IdentityBasedPolicy" {
		t.Errorf("missingAllow = %v", got)
	}
	if !strings.Contains(text, `{"key":"aws:SourceIp","values":{"items":[{"value":"192.0.2.10"}]}}`) {
		t.Errorf("conditions lack aws:SourceIp: %s", text)
	}

	d = f.authorize(t, p, "iam:DeleteRole", "*", nil)
	if d.Reason != "an explicit deny in an identity-based policy" || !d.ExplicitDeny {
		t.Errorf("reason = %q", d.Reason)
	}
	text, err = f.a.DecodeMessage(d.EncodedMessage, acct)
	must(t, err)
	if !strings.Contains(text, `"explicitDeny":true`) || !strings.Contains(text, `"effect":"DENY"`) {
		t.Errorf("explicit deny message: %s", text)
	}

	for _, bad := range []string{"", "not base64!", d.EncodedMessage[:20], d.EncodedMessage[:len(d.EncodedMessage)-2] + "AA"} {
		_, err := f.a.DecodeMessage(bad, acct)
		var im *authz.InvalidMessageError
		if !errors.As(err, &im) {
			t.Errorf("DecodeMessage(%.20q) error = %v, want InvalidMessageError", bad, err)
		}
	}
	// Another key cannot open it.
	other, err := authz.New(context.Background(), authz.Config{Store: f.w.Store, MessageKey: []byte(strings.Repeat("k", 32))})
	must(t, err)
	if _, err := other.DecodeMessage(d.EncodedMessage, acct); err == nil {
		t.Error("a message opened under another key")
	}
	// Nor can another account's caller: the message explains acct's request.
	var im *authz.InvalidMessageError
	if _, err := f.a.DecodeMessage(d.EncodedMessage, "210987654321"); !errors.As(err, &im) {
		t.Errorf("DecodeMessage in another account: error = %v, want InvalidMessageError", err)
	}
}

func TestChangeFeedInvalidates(t *testing.T) {
	f := newFixture(t)
	u, err := f.w.User(acct, "alice")
	must(t, err)
	must(t, f.w.Group(acct, "devs", "alice"))
	p := userPrincipal(u)
	ctx := context.Background()
	step := func(name string, change func(), want bool) {
		t.Helper()
		change()
		must(t, f.a.Sync(ctx))
		if got := f.authorize(t, p, "iam:ListUsers", "*", nil).Allowed; got != want {
			t.Errorf("%s: allowed = %v, want %v", name, got, want)
		}
	}
	step("nothing", func() {}, false)
	step("group inline policy", func() {
		must(t, f.w.Inline(authztest.GroupOwner(acct, "devs"), "list", authztest.Allow("*", "iam:ListUsers")))
	}, true)
	boundary, err := f.w.Managed(acct, "boundary", authztest.Allow("*", "iam:GetUser"))
	must(t, err)
	step("boundary", func() { must(t, f.w.SetUserBoundary(acct, "alice", boundary)) }, false)
	step("boundary version", func() {
		_, err := f.w.Store.Policies().CreateVersion(ctx, boundary, authztest.Allow("*", "iam:*"), now, true)
		must(t, err)
	}, true)
	step("user deny", func() {
		must(t, f.w.Inline(authztest.UserOwner(acct, "alice"), "deny", authztest.Deny("*", "iam:List*")))
	}, false)
}

func TestSessions(t *testing.T) {
	f := newFixture(t)
	r, err := f.w.Role(acct, "app", authztest.Trust(acct), 0, iam.Tag{Key: "team", Value: "red"})
	must(t, err)
	must(t, f.w.Inline(authztest.RoleOwner(acct, "app"), "p", authztest.Allow("*", "iam:Get*", "iam:List*")))
	listOnly, err := f.w.Managed(acct, "listonly", authztest.Allow("*", "iam:List*"))
	must(t, err)
	u, err := f.w.User(acct, "alice")
	must(t, err)
	must(t, f.w.Inline(authztest.UserOwner(acct, "alice"), "p", authztest.Allow("*", "iam:Get*", "iam:List*")))

	fed := func(policy string, arns ...string) *identity.Principal {
		arn := iam.FederatedUserARN(acct, "fed")
		c := credential.Claims{SessionID: "F" + policy + strings.Join(arns, ","), AccountID: acct, PrincipalType: credential.FederatedUser,
			PrincipalARN: arn, PrincipalID: u.ID, SessionARN: arn, SessionName: "fed", IssuedAt: now, Expires: now.Add(time.Hour),
			Policy: policy, PolicyARNs: arns}
		return &identity.Principal{Type: identity.FederatedUser, Account: acct, CallerARN: arn, PrincipalID: acct + ":fed", UserID: u.ID, Session: &c}
	}
	tagged := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"green","aws:userid":"` + r.ID + `:s"}}}]}`
	tests := []struct {
		name   string
		p      *identity.Principal
		action string
		want   bool
	}{
		{"role session, no session policy", roleSession(r, "s", credential.Claims{}), "iam:GetUser", true},
		{"role session, session policy intersects", roleSession(r, "s", credential.Claims{PolicyARNs: []string{listOnly}}), "iam:GetUser", false},
		{"role session, session policy allows", roleSession(r, "s", credential.Claims{PolicyARNs: []string{listOnly}}), "iam:ListRoles", true},
		{"role session, inline session policy", roleSession(r, "s", credential.Claims{Policy: authztest.Allow("*", "iam:GetRole")}), "iam:GetRole", true},
		{"role session, session policy beyond role", roleSession(r, "s", credential.Claims{Policy: authztest.Allow("*", "iam:DeleteRole")}), "iam:DeleteRole", false},
		{"role tag overridden by session tag", roleSession(r, "s", credential.Claims{Policy: tagged, Tags: []credential.Tag{{Key: "Team", Value: "green"}}}), "iam:GetRole", true},
		{"role tag without session tag", roleSession(r, "s", credential.Claims{Policy: tagged}), "iam:GetRole", false},
		{"federated user without session policy", fed(""), "iam:GetUser", false},
		{"federated user with session policy", fed("", listOnly), "iam:ListUsers", true},
		{"federated user beyond session policy", fed("", listOnly), "iam:GetUser", false},
		{"deleted session policy ARN", roleSession(r, "s", credential.Claims{PolicyARNs: []string{iam.PolicyARN(acct, "/", "gone")}}), "iam:GetUser", false},
	}
	for _, tt := range tests {
		if got := f.authorize(t, tt.p, tt.action, "*", nil); got.Allowed != tt.want {
			t.Errorf("%s: allowed = %v, want %v (%s)", tt.name, got.Allowed, tt.want, got.Reason)
		}
	}
}

func TestMFAContext(t *testing.T) {
	f := newFixture(t)
	u, err := f.w.User(acct, "alice")
	must(t, err)
	must(t, f.w.Inline(authztest.UserOwner(acct, "alice"), "mfa", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}}]}`))
	long := userPrincipal(u)
	sess := func(mfa bool, at time.Time) *identity.Principal {
		p := userPrincipal(u)
		p.Session = &credential.Claims{SessionID: "G" + at.String() + boolS(mfa), AccountID: acct, PrincipalType: credential.SessionUser,
			PrincipalARN: u.ARN(), PrincipalID: u.ID, SessionARN: u.ARN(), IssuedAt: at, Expires: at.Add(12 * time.Hour),
			MFAAuthenticated: mfa, MFAAuthTime: at}
		return p
	}
	tests := []struct {
		name string
		p    *identity.Principal
		want bool
	}{
		{"long-term key", long, false},
		{"session without MFA", sess(false, now.Add(-time.Minute)), false},
		{"session with fresh MFA", sess(true, now.Add(-time.Minute)), true},
		{"session with old MFA", sess(true, now.Add(-2*time.Hour)), false},
	}
	for _, tt := range tests {
		if got := f.authorize(t, tt.p, "iam:ListUsers", "*", nil).Allowed; got != tt.want {
			t.Errorf("%s: allowed = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func boolS(b bool) string {
	if b {
		return "t"
	}
	return "f"
}

func TestAuthorizeAssumeRole(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	alice, err := f.w.User(acct, "alice")
	must(t, err)
	bob, err := f.w.User(acct, "bob")
	must(t, err)
	must(t, f.w.Inline(authztest.UserOwner(acct, "bob"), "assume", authztest.Allow("*", "sts:AssumeRole")))
	carol, err := f.w.User(other, "carol")
	must(t, err)
	must(t, f.w.Inline(authztest.UserOwner(other, "carol"), "assume", authztest.Allow("*", "sts:AssumeRole")))
	dave, err := f.w.User(other, "dave")
	must(t, err)
	eve, err := f.w.User(acct, "eve")
	must(t, err)
	must(t, f.w.Inline(authztest.UserOwner(acct, "eve"), "deny", authztest.Deny("*", "sts:AssumeRole")))

	byUser, err := f.w.Role(acct, "byuser", authztest.Trust(alice.ARN(), eve.ARN(), carol.ARN(), dave.ARN()), 0)
	must(t, err)
	byAccount, err := f.w.Role(acct, "byaccount", authztest.Trust("arn:aws:iam::"+acct+":root", other), 0)
	must(t, err)
	byRole, err := f.w.Role(acct, "byrole", authztest.Trust(byUser.ARN()), 0)
	must(t, err)
	none, err := f.w.Role(acct, "none", authztest.Trust(iam.UserARN(acct, "/", "nobody")), 0)
	must(t, err)
	external, err := f.w.Role(acct, "external", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+alice.ARN()+`"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"xyz"}}}]}`, 0)
	must(t, err)

	tests := []struct {
		name   string
		caller *identity.Principal
		role   iam.Role
		keys   map[string][]string
		want   bool
	}{
		{"trust names the user, no identity policy", userPrincipal(alice), byUser, nil, true},
		{"trust names the user, identity denies", userPrincipal(eve), byUser, nil, false},
		{"trust names the account, no identity policy", userPrincipal(alice), byAccount, nil, false},
		{"trust names the account, identity allows", userPrincipal(bob), byAccount, nil, true},
		{"trust does not name the caller, identity allows", userPrincipal(bob), none, nil, false},
		{"cross-account, both allow", userPrincipal(carol), byUser, nil, true},
		{"cross-account, trust only", userPrincipal(dave), byUser, nil, false},
		{"cross-account by account id, identity allows", userPrincipal(carol), byAccount, nil, true},
		{"role session matched by role ARN", roleSession(byUser, "s1", credential.Claims{}), byRole, nil, true},
		{"role session of another role", roleSession(none, "s1", credential.Claims{}), byRole, nil, false},
		{"external id matches", userPrincipal(alice), external, map[string][]string{"sts:ExternalId": {"xyz"}}, true},
		{"external id differs", userPrincipal(alice), external, map[string][]string{"sts:ExternalId": {"abc"}}, false},
		{"external id missing", userPrincipal(alice), external, nil, false},
	}
	for _, tt := range tests {
		role, err := f.a.LoadRole(ctx, tt.role.Account, tt.role.Name)
		must(t, err)
		d, err := f.a.AuthorizeAssumeRole(ctx, tt.caller, role, []string{"sts:AssumeRole"}, tt.keys, authz.Facts{Now: now})
		must(t, err)
		if d.Allowed != tt.want {
			t.Errorf("%s: allowed = %v, want %v (%s)", tt.name, d.Allowed, tt.want, d.Reason)
		}
		if !d.Allowed && d.EncodedMessage == "" {
			t.Errorf("%s: denial without an encoded message", tt.name)
		}
	}
}

// TestTrustBoundToUniqueID: a trust policy saved (bound) while ghost
// existed trusts that ghost only. Deleted and made again under the same
// name, ghost is refused, and so are the sessions of a role deleted and
// made again, until the trust policy is saved (bound) again.
func TestTrustBoundToUniqueID(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ghost, err := f.w.User(acct, "ghost")
	must(t, err)
	dev, err := f.w.Role(acct, "dev", authztest.Trust(acct), 0)
	must(t, err)
	devSession := iam.AssumedRoleARN(acct, "dev", "fixed")
	_, err = f.w.Role(acct, "target", authztest.Trust(ghost.ARN(), dev.ARN()), 0)
	must(t, err)
	_, err = f.w.Role(acct, "bysession", authztest.Trust(devSession), 0)
	must(t, err)
	must(t, f.w.BindTrust(acct, "target"))
	must(t, f.w.BindTrust(acct, "bysession"))
	must(t, f.a.Sync(ctx))

	assume := func(caller *identity.Principal, role string) bool {
		t.Helper()
		r, err := f.a.LoadRole(ctx, acct, role)
		must(t, err)
		d, err := f.a.AuthorizeAssumeRole(ctx, caller, r, []string{"sts:AssumeRole"}, nil, authz.Facts{Now: now})
		must(t, err)
		if !d.Allowed && d.EncodedMessage == "" {
			t.Errorf("denial without an encoded message")
		}
		return d.Allowed
	}
	recreate := func(kind, name string) {
		t.Helper()
		if kind == "user" {
			must(t, f.w.Store.Users().Delete(ctx, acct, name))
			_, err := f.w.User(acct, name)
			must(t, err)
		} else {
			must(t, f.w.Store.Roles().Delete(ctx, acct, name))
			_, err := f.w.Role(acct, name, authztest.Trust(acct), 0)
			must(t, err)
		}
		must(t, f.a.Sync(ctx))
	}
	newGhost := func() *identity.Principal {
		u, err := f.w.Store.Users().Get(ctx, acct, "ghost")
		must(t, err)
		return userPrincipal(u)
	}
	newDev := func(session string) *identity.Principal {
		r, err := f.w.Store.Roles().Get(ctx, acct, "dev")
		must(t, err)
		return roleSession(r, session, credential.Claims{})
	}

	steps := []struct {
		name   string
		before func()
		caller func() *identity.Principal
		role   string
		want   bool
	}{
		{"the user the trust was saved for", nil, func() *identity.Principal { return userPrincipal(ghost) }, "target", true},
		{"a session of the role it was saved for", nil, func() *identity.Principal { return roleSession(dev, "s", credential.Claims{}) }, "target", true},
		{"the session it names", nil, func() *identity.Principal { return roleSession(dev, "fixed", credential.Claims{}) }, "bysession", true},
		{"a new user of the same name", func() { recreate("user", "ghost") }, newGhost, "target", false},
		{"a session of a new role of the same name", func() { recreate("role", "dev") }, func() *identity.Principal { return newDev("s") }, "target", false},
		{"the named session of a new role of the same name", nil, func() *identity.Principal { return newDev("fixed") }, "bysession", false},
		{"the new user once the trust is saved again", func() { must(t, f.w.BindTrust(acct, "target")); must(t, f.a.Sync(ctx)) }, newGhost, "target", true},
		{"the new role's session once saved again", nil, func() *identity.Principal { return newDev("s") }, "target", true},
		{"the new role's named session once saved again", func() { must(t, f.w.BindTrust(acct, "bysession")); must(t, f.a.Sync(ctx)) },
			func() *identity.Principal { return newDev("fixed") }, "bysession", true},
	}
	for _, st := range steps {
		if st.before != nil {
			st.before()
		}
		if got := assume(st.caller(), st.role); got != st.want {
			t.Errorf("%s: allowed = %v, want %v", st.name, got, st.want)
		}
	}
}

// TestLoadRoleShared: LoadRole hands out the cache's own Role, not a copy
// per request, and its ARN is the one iam.Role builds.
func TestLoadRoleShared(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r, err := f.w.Role(acct, "shared", authztest.Trust(acct), 0)
	must(t, err)
	first, err := f.a.LoadRole(ctx, acct, "shared")
	must(t, err)
	second, err := f.a.LoadRole(ctx, acct, "shared")
	must(t, err)
	if first != second {
		t.Errorf("LoadRole returned two Roles for one cached role")
	}
	if got, want := first.ARN(), r.ARN(); got != want || first.Role.ARN() != want {
		t.Errorf("Role.ARN() = %q (iam.Role: %q), want %q", got, first.Role.ARN(), want)
	}
}

func TestNewConfig(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		cfg  authz.Config
	}{
		{"no store", authz.Config{MessageKey: make([]byte, 32)}},
		{"short key", authz.Config{Store: f.w.Store, MessageKey: make([]byte, 16)}},
	}
	for _, tt := range tests {
		if _, err := authz.New(context.Background(), tt.cfg); err == nil {
			t.Errorf("%s: New succeeded", tt.name)
		}
	}
}

func TestCallerKinds(t *testing.T) {
	f := newFixture(t)
	anon := f.authorize(t, nil, "iam:GetUser", "*", nil)
	root := f.authorize(t, &identity.Principal{Type: identity.Root, Account: acct, CallerARN: iam.RootARN(acct)}, "iam:GetUser", "*", nil)
	got := []bool{anon.Allowed, root.Allowed}
	if diff := cmp.Diff([]bool{false, true}, got); diff != "" {
		t.Errorf("anonymous, root (-want +got):\n%s", diff)
	}
}

func TestDenialMessageFitsDecodeLimit(t *testing.T) {
	f := newFixture(t)
	u, err := f.w.User(acct, "alice")
	must(t, err)
	big := map[string][]string{}
	for range 100 {
		k, v := make([]byte, 32), make([]byte, 128)
		_, _ = rand.Read(k)
		_, _ = rand.Read(v)
		big["aws:RequestTag/"+hex.EncodeToString(k)] = []string{hex.EncodeToString(v)}
	}
	d := f.authorize(t, userPrincipal(u), "iam:TagUser", u.ARN(), big)
	if len(d.EncodedMessage) > authz.MaxEncodedLen {
		t.Fatalf("encoded message is %d characters, over %d", len(d.EncodedMessage), authz.MaxEncodedLen)
	}
	text, err := f.a.DecodeMessage(d.EncodedMessage, acct)
	must(t, err)
	if !strings.Contains(text, "condition keys truncated") {
		t.Errorf("truncation not reported: %.200s", text)
	}
}

func FuzzDecodeMessage(f *testing.F) {
	fx := newFixture(f)
	u, err := fx.w.User(acct, "alice")
	must(f, err)
	d := fx.authorize(f, userPrincipal(u), "iam:DeleteUser", u.ARN(), nil)
	f.Add(d.EncodedMessage)
	f.Add("")
	f.Add("AQ")
	f.Add(strings.Repeat("A", 100))
	f.Fuzz(func(t *testing.T, s string) {
		text, err := fx.a.DecodeMessage(s, acct)
		if err != nil {
			var im *authz.InvalidMessageError
			if !errors.As(err, &im) {
				t.Fatalf("error %T, want *InvalidMessageError", err)
			}
			return
		}
		if !json.Valid([]byte(text)) {
			t.Fatalf("decoded message is not JSON")
		}
	})
}

func TestDeletedEntityDenies(t *testing.T) {
	f := newFixture(t)
	r, err := f.w.Role(acct, "gone", authztest.Trust(acct), 0)
	must(t, err)
	p := roleSession(r, "s", credential.Claims{})
	must(t, f.w.Store.Roles().Delete(context.Background(), acct, "gone"))
	must(t, f.a.Sync(context.Background()))
	if d := f.authorize(t, p, "iam:GetUser", "*", nil); d.Allowed || d.EncodedMessage == "" {
		t.Errorf("session of a deleted role: %+v", d)
	}
	u := iam.User{Account: acct, ID: "AIDAEXAMPLE0000000001", Name: "ghost", Path: "/"}
	if d := f.authorize(t, userPrincipal(u), "iam:GetUser", "*", nil); d.Allowed {
		t.Errorf("deleted user: %+v", d)
	}
	// A new role with the old name does not give the old session its
	// permissions.
	_, err = f.w.Role(acct, "gone", authztest.Trust(acct), 0)
	must(t, err)
	must(t, f.w.Inline(authztest.RoleOwner(acct, "gone"), "p", authztest.Allow("*", "iam:GetUser")))
	must(t, f.a.Sync(context.Background()))
	if d := f.authorize(t, p, "iam:GetUser", "*", nil); d.Allowed {
		t.Errorf("old session of a recreated role: %+v", d)
	}
}

// TestConcurrentChanges decides requests from several goroutines while
// policies change and the feed is followed; run with -race.
func TestConcurrentChanges(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var ps []*identity.Principal
	for _, name := range []string{"u1", "u2", "u3"} {
		u, err := f.w.User(acct, name)
		must(t, err)
		ps = append(ps, userPrincipal(u))
	}
	must(t, f.w.Group(acct, "all", "u1", "u2", "u3"))
	done := make(chan struct{})
	errs := make(chan error, 4)
	for i := range 3 {
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				if _, err := f.a.Authorize(ctx, &request.AuthzRequest{Principal: ps[i], Action: "iam:ListUsers", Resource: "*", Now: time.Now()}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := range 20 {
		doc := authztest.Allow("*", "iam:ListUsers")
		if i%2 == 1 {
			doc = authztest.Deny("*", "iam:ListUsers")
		}
		must(t, f.w.Inline(authztest.GroupOwner(acct, "all"), "p", doc))
		must(t, f.a.Sync(ctx))
	}
	close(done)
	for range 3 {
		must(t, <-errs)
	}
	// The last write was a Deny: every user sees it.
	for _, p := range ps {
		if f.authorize(t, p, "iam:ListUsers", "*", nil).Allowed {
			t.Errorf("%s still allowed after the group's policy became a Deny", p.UserName)
		}
	}
}

func TestGlobalConditionKeys(t *testing.T) {
	f := newFixture(t)
	r, err := f.w.Role(acct, "app", authztest.Trust(acct), 0)
	must(t, err)
	must(t, f.w.Inline(authztest.RoleOwner(acct, "app"), "p", authztest.Allow("*", "iam:GetRole")))
	cond := func(op, key, value string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*","Condition":{"` + op + `":{"` + key + `":"` + value + `"}}}]}`
	}
	issued := now.Add(-10 * time.Minute)
	claims := credential.Claims{IssuedAt: issued, Expires: now.Add(time.Hour), SourceIdentity: "alice", Provider: "accounts.example.com",
		Tags: []credential.Tag{{Key: "cost", Value: "42"}}}
	tests := []struct {
		name, policy string
		want         bool
	}{
		{"aws:SourceIdentity", cond("StringEquals", "aws:SourceIdentity", "alice"), true},
		{"aws:TokenIssueTime", cond("DateEquals", "aws:TokenIssueTime", issued.Format(time.RFC3339)), true},
		{"aws:CurrentTime", cond("DateLessThan", "aws:CurrentTime", now.Add(time.Minute).Format(time.RFC3339)), true},
		{"aws:CurrentTime past", cond("DateLessThan", "aws:CurrentTime", now.Add(-time.Minute).Format(time.RFC3339)), false},
		{"aws:EpochTime", cond("NumericEquals", "aws:EpochTime", fmt.Sprint(now.Unix())), true},
		{"aws:RequestedRegion", cond("StringEquals", "aws:RequestedRegion", "us-east-1"), true},
		{"aws:FederatedProvider", cond("StringEquals", "aws:FederatedProvider", "accounts.example.com"), true},
		{"aws:ViaAWSService", cond("Bool", "aws:ViaAWSService", "false"), true},
		{"aws:SecureTransport", cond("Bool", "aws:SecureTransport", "true"), true},
		{"aws:UserAgent", cond("StringEquals", "aws:UserAgent", "test"), true},
		{"aws:PrincipalType", cond("StringEquals", "aws:PrincipalType", "AssumedRole"), true},
		{"aws:PrincipalArn", cond("ArnEquals", "aws:PrincipalArn", r.ARN()), true},
		{"aws:userid", cond("StringEquals", "aws:userid", r.ID+":s"), true},
		{"aws:PrincipalTag from session tag", cond("NumericEquals", "aws:PrincipalTag/cost", "42"), true},
		{"aws:MultiFactorAuthPresent", cond("Bool", "aws:MultiFactorAuthPresent", "false"), true},
	}
	for i, tt := range tests {
		c := claims
		c.Policy = tt.policy
		c.PrincipalType = credential.WebIdentity
		p := roleSession(r, "s", c)
		p.Session.PrincipalType = credential.WebIdentity
		p.Session.SessionID = fmt.Sprint("G", i)
		if got := f.authorize(t, p, "iam:GetRole", "*", nil).Allowed; got != tt.want {
			t.Errorf("%s: allowed = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestResourcePolicy: a resource policy (a bucket policy) is evaluated with
// the caller's policies as AWS does: in the resource's account it allows
// on its own, across accounts the caller's own policies must allow too,
// "*" lets anonymous callers in, and its Deny wins over an identity allow.
func TestResourcePolicy(t *testing.T) {
	f := newFixture(t)
	alice, err := f.w.User(acct, "alice")
	must(t, err)
	bob, err := f.w.User(other, "bob")
	must(t, err)
	carol, err := f.w.User(acct, "carol")
	must(t, err)
	must(t, f.w.Inline(authztest.UserOwner(acct, "carol"), "all", authztest.Allow("*", "s3:*")))
	doc, err := policy.Parse([]byte(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":["` + alice.ARN() + `","` + bob.ARN() + `"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
		{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/public/*"},
		{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/secret/*"}]}`))
	must(t, err)
	bp, err := policy.Compile(doc, policy.TypeResource, "BucketPolicy")
	must(t, err)
	tests := []struct {
		name     string
		p        *identity.Principal
		resource string
		want     bool
	}{
		{"same account, named", userPrincipal(alice), "arn:aws:s3:::b/k", true},
		{"cross account, no identity allow", userPrincipal(bob), "arn:aws:s3:::b/k", false},
		{"anonymous, public prefix", &identity.Principal{Type: identity.Unknown}, "arn:aws:s3:::b/public/x", true},
		{"anonymous, private", &identity.Principal{Type: identity.Unknown}, "arn:aws:s3:::b/k", false},
		{"identity allow, explicit deny", userPrincipal(carol), "arn:aws:s3:::b/secret/x", false},
		{"identity allow, no bucket statement", userPrincipal(carol), "arn:aws:s3:::b/k", true},
	}
	for _, tt := range tests {
		d, err := f.a.Authorize(context.Background(), &request.AuthzRequest{Principal: tt.p, Action: "s3:GetObject",
			Resource: tt.resource, ResourceAccount: acct, ResourcePolicy: bp, Now: now, SourceIP: "192.0.2.10"})
		must(t, err)
		if d.Allowed != tt.want {
			t.Errorf("%s: allowed = %v, want %v (%s)", tt.name, d.Allowed, tt.want, d.Reason)
		}
	}
	// Without the resource account, an S3 ARN names none: the caller's own.
	d, err := f.a.Authorize(context.Background(), &request.AuthzRequest{Principal: userPrincipal(bob), Action: "s3:GetObject",
		Resource: "arn:aws:s3:::b/k", ResourcePolicy: bp, Now: now})
	must(t, err)
	if !d.Allowed {
		t.Errorf("bob without ResourceAccount: denied (%s), want the same-account rule to allow", d.Reason)
	}
}

// TestSessionRequestContext: the condition keys a service set in a
// session (credential.Claims.RequestContext) are in the context of every
// request the session makes, for conditions and policy variables in
// identity, session and resource policies, and the request cannot
// override them.
func TestSessionRequestContext(t *testing.T) {
	f := newFixture(t)
	const inst1, inst2 = "arn:aws:ec2:us-east-1:" + acct + ":instance/i-1", "arn:aws:ec2:us-east-1:" + acct + ":instance/i-2"
	r, err := f.w.Role(acct, "inst", authztest.Trust(acct), 0)
	must(t, err)
	must(t, f.w.Inline(authztest.RoleOwner(acct, "inst"), "p", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"iam:GetRole","Resource":"*","Condition":{"ArnEquals":{"ec2:SourceInstanceARN":"`+inst1+`"}}},
		{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::`+acct+`:user/${credentials-iot:ThingName}"},
		{"Effect":"Allow","Action":"iam:List*","Resource":"*"}]}`))
	host := func(instance string) credential.Claims {
		return credential.Claims{RequestContext: []credential.ContextKey{{Key: "ec2:SourceInstanceARN", Value: instance}}}
	}
	thing := func(name string) credential.Claims {
		return credential.Claims{RequestContext: []credential.ContextKey{{Key: "credentials-iot:ThingName", Value: name}}}
	}
	withPolicy := func(c credential.Claims, p string) credential.Claims { c.Policy = p; return c }
	thingOnly := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:List*","Resource":"*","Condition":{"StringEquals":{"credentials-iot:ThingName":"sensor-7"}}}]}`
	tests := []struct {
		name             string
		claims           credential.Claims
		action, resource string
		ctxKeys          map[string][]string
		want             bool
	}{
		{"condition, its instance", host(inst1), "iam:GetRole", "*", nil, true},
		{"condition, another instance", host(inst2), "iam:GetRole", "*", nil, false},
		{"condition, no key", credential.Claims{}, "iam:GetRole", "*", nil, false},
		{"request cannot override", host(inst2), "iam:GetRole", "*", map[string][]string{"ec2:SourceInstanceARN": {inst1}}, false},
		{"request cannot override, other case", host(inst2), "iam:GetRole", "*", map[string][]string{"EC2:SourceInstanceArn": {inst1}}, false},
		{"variable, its thing", thing("sensor-7"), "iam:GetUser", iam.UserARN(acct, "/", "sensor-7"), nil, true},
		{"variable, another thing", thing("sensor-7"), "iam:GetUser", iam.UserARN(acct, "/", "sensor-8"), nil, false},
		{"variable, no key", credential.Claims{}, "iam:GetUser", iam.UserARN(acct, "/", "sensor-7"), nil, false},
		{"session policy, its thing", withPolicy(thing("sensor-7"), thingOnly), "iam:ListRoles", "*", nil, true},
		{"session policy, another thing", withPolicy(thing("sensor-8"), thingOnly), "iam:ListRoles", "*", nil, false},
	}
	for _, tt := range tests {
		p := roleSession(r, "s", tt.claims)
		p.Session.SessionID += tt.name
		if got := f.authorize(t, p, tt.action, tt.resource, tt.ctxKeys); got.Allowed != tt.want {
			t.Errorf("%s: allowed = %v, want %v (%s)", tt.name, got.Allowed, tt.want, got.Reason)
		}
	}

	// A resource policy: a bucket whose prefixes belong to things.
	doc, err := policy.Parse([]byte(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${credentials-iot:ThingName}/*"}]}`))
	must(t, err)
	bp, err := policy.Compile(doc, policy.TypeResource, "BucketPolicy")
	must(t, err)
	for _, tt := range []struct {
		key  string
		want bool
	}{{"b/sensor-7/reading", true}, {"b/sensor-8/reading", false}} {
		d, err := f.a.Authorize(context.Background(), &request.AuthzRequest{Principal: roleSession(r, "s3", thing("sensor-7")), Action: "s3:GetObject",
			Resource: "arn:aws:s3:::" + tt.key, ResourceAccount: acct, ResourcePolicy: bp, Now: now, SourceIP: "192.0.2.10"})
		must(t, err)
		if d.Allowed != tt.want {
			t.Errorf("bucket policy, %s: allowed = %v, want %v (%s)", tt.key, d.Allowed, tt.want, d.Reason)
		}
	}
}
