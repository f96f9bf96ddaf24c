package portal_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/ratelimit"
	"github.com/brevet-dev/brevet/internal/sso"
	"github.com/brevet-dev/brevet/internal/sso/assign"
	"github.com/brevet-dev/brevet/internal/sso/portal"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
	"github.com/brevet-dev/brevet/internal/sts"
	"github.com/google/go-cmp/cmp"
)

// A person's caller budget is their session's, not a key id's the request
// names (TestSSOPortalCallerBudgetIsThePersons in internal/node).
var _ ratelimit.KeyedPrincipal = (*portal.Person)(nil)

var _ audit.RecipientPrincipal = (*portal.Person)(nil)

const (
	acctA = "111122223333"
	acctB = "444455556666"
	acctC = "777788889999"
)

var now = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

// tokens stands in for sso.Service's token checks: a bearer token is
// valid while it is in the map (deleting it is a revocation).
type tokens struct {
	mu sync.Mutex
	m  map[string]sso.Token
}

func (t *tokens) Authenticate(_ context.Context, bearer string, now time.Time) (sso.Token, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tok, ok := t.m[bearer]
	if !ok || !now.Before(tok.Expires) {
		return sso.Token{}, sso.ErrUnauthorized
	}
	return tok, nil
}

func (t *tokens) Logout(_ context.Context, bearer string, _ time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.m[bearer]; !ok {
		return sso.ErrUnauthorized
	}
	delete(t.m, bearer)
	return nil
}

// issuer records the sessions asked of it, as STS would receive them.
type issuer struct {
	mu  sync.Mutex
	got []sts.ServiceSessionInput
}

func (i *issuer) ServiceSession(_ context.Context, in *sts.ServiceSessionInput) (*sts.ServiceSession, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.got = append(i.got, *in)
	if in.SessionName == "untrusted" {
		return nil, &sts.AccessDeniedError{Message: "Not authorized to perform sts:AssumeRole"}
	}
	exp := in.Facts.Now.Add(in.Duration)
	return &sts.ServiceSession{RoleARN: in.RoleARN, Credentials: &stsapi.Credentials{
		AccessKeyId: "ASIATEST", SecretAccessKey: "secret", SessionToken: "token", Expiration: exp}}, nil
}

type fixture struct {
	t    *testing.T
	st   store.Store
	as   *assign.Assignments
	toks *tokens
	iss  *issuer
	p    *portal.Service
	seq  int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "b.db"), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, a := range []iam.Account{{ID: acctA, Alias: "prod", Created: now}, {ID: acctB, Created: now}, {ID: acctC, Created: now}} {
		must(t, st.Accounts().Create(ctx, a))
	}
	must(t, st.Users().Create(ctx, iam.User{Account: acctA, ID: "AIDAANNANNANNANNANN1", Name: "ann", Path: "/", Created: now}))
	roles := []struct {
		acct, name string
		max        int
	}{{acctA, "Dev", 7200}, {acctA, "Ops", 3600}, {acctA, "Short", 3600}, {acctB, "Audit", 3600}, {acctC, "Other", 3600}}
	for i, r := range roles {
		must(t, st.Roles().Create(ctx, iam.Role{Account: r.acct, ID: "AROAROLEROLEROLEROL" + string(rune('0'+i)), Name: r.name, Path: "/sso/",
			Created: now, TrustPolicy: `{"Version":"2012-10-17","Statement":[]}`, TrustBindings: []iam.PrincipalBinding{}, MaxSessionDuration: r.max}))
	}
	f := &fixture{t: t, st: st, toks: &tokens{m: map[string]sso.Token{}}, iss: &issuer{}}
	if f.as, err = assign.New(assign.Config{Store: st, IdPs: []string{"okta"}}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct {
		acct, role string
		p          assign.Principal
	}{
		{acctA, "Dev", assign.Principal{Type: assign.TypeUser, Name: "ann"}},
		{acctA, "Ops", assign.Principal{Type: assign.TypeUser, Name: "ann"}},
		{acctA, "Short", assign.Principal{Type: assign.TypeUser, Name: "ann"}},
		{acctB, "Audit", assign.Principal{Type: assign.TypeGroup, Source: "idp:okta", Name: "auditors"}},
	} {
		if _, err := f.as.Create(ctx, a.acct, a.role, a.p, "admin", now); err != nil {
			t.Fatal(err)
		}
	}
	az, err := authz.New(ctx, authz.Config{Store: st, MessageKey: make([]byte, 32), PollInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	f.p, err = portal.New(portal.Config{Sessions: f.toks, Assignments: f.as, Accounts: st.Accounts(), Roles: az, Issuer: f.iss,
		RoleSessionDuration: 4 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	f.toks.m["ann"] = sso.Token{SessionID: "s1", Identity: sso.Identity{Source: sso.SourceIAM, Account: acctA, UserID: "AIDAANNANNANNANNANN1", UserName: "ann"}, Expires: now.Add(time.Hour)}
	f.toks.m["carol"] = sso.Token{SessionID: "s2", Identity: sso.Identity{Source: "idp:okta", UserID: "sub", UserName: "carol smith@example.com", Groups: []string{"auditors"}}, Expires: now.Add(time.Hour)}
	f.toks.m["expired"] = sso.Token{Identity: f.toks.m["ann"].Identity, Expires: now}
	f.feed()
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) feed() {
	cs, err := f.st.Changes().Since(f.t.Context(), f.seq, 0)
	must(f.t, err)
	if len(cs) > 0 {
		f.seq = cs[len(cs)-1].Seq
		f.as.Apply(cs)
	}
}

// person authenticates bearer as the pipeline would.
func (f *fixture) person(bearer, query string) (*portal.Person, error) {
	r := httptest.NewRequest("GET", "/assignment/roles?"+query, nil)
	if bearer != "" {
		r.Header.Set(portal.BearerHeader, bearer)
	}
	return f.p.Authenticate(f.t.Context(), r, now)
}

func ptr[T any](v T) *T { return &v }

func code(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.As(err, new(*portal.UnauthorizedError)):
		return "Unauthorized"
	case errors.As(err, new(*portal.ForbiddenError)):
		return "Forbidden"
	case errors.As(err, new(*portal.InvalidError)):
		return "InvalidRequest"
	}
	return err.Error()
}

func TestAuthenticate(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, bearer, query string
		want                string
		account, arn        string
	}{
		{name: "IAM user", bearer: "ann", account: acctA, arn: "arn:aws:iam::111122223333:user/ann"},
		{name: "an account the request names is not the person's", bearer: "ann", query: "account_id=" + acctC, account: acctA, arn: "arn:aws:iam::111122223333:user/ann"},
		{name: "provider user", bearer: "carol", arn: "arn:aws:sso:::user/idp:okta/carol smith@example.com"},
		{name: "no token", bearer: "", want: "Unauthorized"},
		{name: "unknown token", bearer: "forged", want: "Unauthorized"},
		{name: "expired token", bearer: "expired", want: "Unauthorized"},
		{name: "huge token", bearer: string(make([]byte, 9000)), want: "Unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := f.person(tt.bearer, tt.query)
			if code(err) != tt.want {
				t.Fatalf("Authenticate = %v, want %s", err, tt.want)
			}
			if err == nil && (p.ARN() != tt.arn || p.AccountID() != tt.account) {
				t.Errorf("person = %s in %q, want %s in %q", p.ARN(), p.AccountID(), tt.arn, tt.account)
			}
		})
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Add(portal.BearerHeader, "ann")
	r.Header.Add(portal.BearerHeader, "ann")
	if _, err := f.p.Authenticate(t.Context(), r, now); code(err) != "Unauthorized" {
		t.Errorf("two bearer headers: %v, want Unauthorized", err)
	}
}

func TestListAccountsAndRoles(t *testing.T) {
	f := newFixture(t)
	ann, _ := f.person("ann", "")
	carol, _ := f.person("carol", "")
	out, err := f.p.ListAccounts(t.Context(), ann, &portal.ListAccountsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]portal.AccountInfo{{AccountID: acctA, AccountName: "prod"}}, out.AccountList); d != "" || out.NextToken != nil {
		t.Errorf("ann's accounts (-want +got):\n%s", d)
	}
	out, err = f.p.ListAccounts(t.Context(), carol, &portal.ListAccountsInput{})
	if err != nil || len(out.AccountList) != 1 || out.AccountList[0] != (portal.AccountInfo{AccountID: acctB, AccountName: acctB}) {
		t.Errorf("carol's accounts = %+v, %v", out, err)
	}

	// Roles, a page of two at a time.
	var got []string
	in := &portal.ListAccountRolesInput{AccountID: ptr(acctA), MaxResults: ptr(int32(2))}
	for range 5 {
		out, err := f.p.ListAccountRoles(t.Context(), ann, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.RoleList {
			got = append(got, r.AccountID+"/"+r.RoleName)
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	if d := cmp.Diff([]string{acctA + "/Dev", acctA + "/Ops", acctA + "/Short"}, got); d != "" {
		t.Errorf("ann's roles (-want +got):\n%s", d)
	}
	for _, tt := range []struct {
		name string
		p    *portal.Person
		in   portal.ListAccountRolesInput
		want string
		n    int
	}{
		{"another's account lists nothing", ann, portal.ListAccountRolesInput{AccountID: ptr(acctB)}, "", 0},
		{"an account without assignments", carol, portal.ListAccountRolesInput{AccountID: ptr(acctA)}, "", 0},
		{"no account", ann, portal.ListAccountRolesInput{}, "InvalidRequest", 0},
		{"malformed account", ann, portal.ListAccountRolesInput{AccountID: ptr("1234")}, "InvalidRequest", 0},
		{"page too large", ann, portal.ListAccountRolesInput{AccountID: ptr(acctA), MaxResults: ptr(int32(101))}, "InvalidRequest", 0},
		{"page of zero", ann, portal.ListAccountRolesInput{AccountID: ptr(acctA), MaxResults: ptr(int32(0))}, "InvalidRequest", 0},
		{"bad next token", ann, portal.ListAccountRolesInput{AccountID: ptr(acctA), NextToken: ptr("not base64!")}, "InvalidRequest", 0},
		{"account token for roles", ann, portal.ListAccountRolesInput{AccountID: ptr(acctA), NextToken: ptr("YToxMTExMjIyMjMzMzM")}, "InvalidRequest", 0},
		{"token with a bad role name", ann, portal.ListAccountRolesInput{AccountID: ptr(acctA), NextToken: ptr("cjphIGI")}, "InvalidRequest", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := f.p.ListAccountRoles(t.Context(), tt.p, &tt.in)
			if code(err) != tt.want {
				t.Fatalf("ListAccountRoles = %v, want %q", err, tt.want)
			}
			if err == nil && len(out.RoleList) != tt.n {
				t.Errorf("roles = %v, want %d", out.RoleList, tt.n)
			}
		})
	}
	if _, err := f.p.ListAccounts(t.Context(), ann, &portal.ListAccountsInput{NextToken: ptr("cjpEZXY")}); code(err) != "InvalidRequest" {
		t.Errorf("ListAccounts with a role token = %v, want InvalidRequest", err)
	}
}

func TestGetRoleCredentials(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	ann, _ := f.person("ann", "")
	carol, _ := f.person("carol", "")
	facts := authz.Facts{Now: now, SourceIP: "192.0.2.1"}
	out, ss, err := f.p.GetRoleCredentials(ctx, ann, &portal.GetRoleCredentialsInput{RoleName: ptr("Dev"), AccountID: ptr(acctA)}, facts)
	if err != nil {
		t.Fatal(err)
	}
	want := sts.ServiceSessionInput{Service: "sso.amazonaws.com", RoleARN: "arn:aws:iam::111122223333:role/sso/Dev",
		SessionName: "ann", SourceIdentity: "ann", Duration: 2 * time.Hour, Facts: facts}
	if d := cmp.Diff(want, f.iss.got[0]); d != "" {
		t.Errorf("session asked (-want +got):\n%s", d)
	}
	if out.RoleCredentials.Expiration != now.Add(2*time.Hour).UnixMilli() || out.RoleCredentials.AccessKeyID != "ASIATEST" || ss == nil {
		t.Errorf("credentials = %+v", out.RoleCredentials)
	}
	if _, _, err := f.p.GetRoleCredentials(ctx, carol, &portal.GetRoleCredentialsInput{RoleName: ptr("audit"), AccountID: ptr(acctB)}, facts); err != nil {
		t.Fatal(err)
	}
	if got := f.iss.got[1]; got.SessionName != "carol-smith@example.com" || got.Duration != time.Hour || got.RoleARN != "arn:aws:iam::444455556666:role/sso/Audit" {
		t.Errorf("carol's session = %+v", got)
	}
	for _, tt := range []struct {
		name          string
		p             *portal.Person
		role, account *string
		want          string
	}{
		{"not assigned", carol, ptr("Dev"), ptr(acctA), "Forbidden"},
		{"other account, same role name", ann, ptr("Dev"), ptr(acctC), "Forbidden"},
		{"other account's role", ann, ptr("Other"), ptr(acctC), "Forbidden"},
		{"role name that cannot exist", ann, ptr("a/b"), ptr(acctA), "Forbidden"},
		{"no role", ann, nil, ptr(acctA), "InvalidRequest"},
		{"no account", ann, ptr("Dev"), nil, "InvalidRequest"},
		{"malformed account", ann, ptr("Dev"), ptr("11112222333x"), "InvalidRequest"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := len(f.iss.got)
			_, _, err := f.p.GetRoleCredentials(ctx, tt.p, &portal.GetRoleCredentialsInput{RoleName: tt.role, AccountID: tt.account}, facts)
			if code(err) != tt.want {
				t.Errorf("GetRoleCredentials = %v, want %s", err, tt.want)
			}
			if len(f.iss.got) != n {
				t.Errorf("a refused request asked STS for a session")
			}
		})
	}
	// Deleting the assignment takes effect at the next request after
	// the change feed; so does deleting the role.
	if _, err := f.as.Delete(ctx, acctA, "Dev", assign.Principal{Type: assign.TypeUser, Name: "ann"}); err != nil {
		t.Fatal(err)
	}
	must(t, f.st.Roles().Delete(ctx, acctA, "Ops"))
	f.feed()
	for _, role := range []string{"Dev", "Ops"} {
		if _, _, err := f.p.GetRoleCredentials(ctx, ann, &portal.GetRoleCredentialsInput{RoleName: ptr(role), AccountID: ptr(acctA)}, facts); code(err) != "Forbidden" {
			t.Errorf("%s after its removal: %v, want Forbidden", role, err)
		}
	}
}

func TestSessionName(t *testing.T) {
	for in, want := range map[string]string{
		"ann":                    "ann",
		"carol@example.com":      "carol@example.com",
		"Jane Doe":               "Jane-Doe",
		"x":                      "sso-x",
		"":                       "sso-",
		"zoë":                    "zo-",
		string(make([]byte, 80)): "----------------------------------------------------------------",
	} {
		if got := portal.SessionName(in); got != want {
			t.Errorf("SessionName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWireErrors(t *testing.T) {
	for _, tt := range []struct {
		err    error
		code   string
		status int
	}{
		{&portal.UnauthorizedError{Reason: "x"}, "UnauthorizedException", http.StatusUnauthorized},
		{&portal.ForbiddenError{Reason: "x"}, "ForbiddenException", http.StatusForbidden},
		{&portal.InvalidError{Message: "x"}, "InvalidRequestException", http.StatusBadRequest},
	} {
		we := portal.WireError(tt.err)
		if we == nil || we.Code != tt.code || we.Status != tt.status || we.Message == "x" && tt.code != "InvalidRequestException" {
			t.Errorf("WireError(%T) = %+v", tt.err, we)
		}
	}
	if portal.WireError(errors.New("other")) != nil {
		t.Error("WireError maps an unknown error")
	}
}

// TestAuditAccount: the account a portal request's event goes to (the
// person's RecipientAccountID; their AccountID is always their own) is
// the account the request concerns only when the
// person holds an assignment there; otherwise the IAM user's own (none
// for a provider's user), so that nobody writes events into an account
// that gave them nothing, nor keeps their own out of their account's.
func TestAuditAccount(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	facts := authz.Facts{Now: now, SourceIP: "192.0.2.1"}
	for _, tt := range []struct {
		name, bearer string
		do           func(p *portal.Person) error
		want         string
	}{
		{"ListAccounts", "ann", func(p *portal.Person) error {
			_, err := f.p.ListAccounts(ctx, p, &portal.ListAccountsInput{})
			return err
		}, acctA},
		{"roles of an account assigned", "carol", func(p *portal.Person) error {
			_, err := f.p.ListAccountRoles(ctx, p, &portal.ListAccountRolesInput{AccountID: ptr(acctB)})
			return err
		}, acctB},
		{"roles of an account not assigned", "ann", func(p *portal.Person) error {
			_, err := f.p.ListAccountRoles(ctx, p, &portal.ListAccountRolesInput{AccountID: ptr(acctC)})
			return err
		}, acctA},
		{"provider's user, roles of an account not assigned", "carol", func(p *portal.Person) error {
			_, err := f.p.ListAccountRoles(ctx, p, &portal.ListAccountRolesInput{AccountID: ptr(acctC)})
			return err
		}, ""},
		{"credentials of a role assigned", "carol", func(p *portal.Person) error {
			_, _, err := f.p.GetRoleCredentials(ctx, p, &portal.GetRoleCredentialsInput{RoleName: ptr("Audit"), AccountID: ptr(acctB)}, facts)
			return err
		}, acctB},
		{"credentials of a role not assigned", "ann", func(p *portal.Person) error {
			if _, _, err := f.p.GetRoleCredentials(ctx, p, &portal.GetRoleCredentialsInput{RoleName: ptr("Other"), AccountID: ptr(acctC)}, facts); code(err) != "Forbidden" {
				return err
			}
			return nil
		}, acctA},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := f.person(tt.bearer, "account_id="+acctC)
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.do(p); err != nil {
				t.Fatal(err)
			}
			if got := p.RecipientAccountID(); got != tt.want {
				t.Errorf("RecipientAccountID = %q, want %q", got, tt.want)
			}
			if got := p.AccountID(); got != p.Token.Identity.Account {
				t.Errorf("AccountID = %q, want the person's own %q", got, p.Token.Identity.Account)
			}
		})
	}
}
