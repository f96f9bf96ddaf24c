package storetest

import (
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

func testAccounts(t *testing.T, s store.Store) {
	a := s.Accounts()
	got := must[iam.Account](t)(a.Get(ctx(t), Account))
	diff(t, "Get", got, iam.Account{ID: Account, Created: Now})

	wantErr(t, "Create duplicate", a.Create(ctx(t), iam.Account{ID: Account, Created: Now}), store.ErrConflict)
	_, err := a.Get(ctx(t), "000000000000")
	wantErr(t, "Get missing", err, store.ErrNotFound)

	mustDo(t, a.SetAlias(ctx(t), Account, "acme"))
	got = must[iam.Account](t)(a.GetByAlias(ctx(t), "acme"))
	diff(t, "GetByAlias", got, iam.Account{ID: Account, Alias: "acme", Created: Now})
	_, err = a.GetByAlias(ctx(t), "nope")
	wantErr(t, "GetByAlias missing", err, store.ErrNotFound)
	wantErr(t, "SetAlias missing", a.SetAlias(ctx(t), "000000000000", "x"), store.ErrNotFound)

	mustDo(t, a.Create(ctx(t), iam.Account{ID: "210987654321", Created: Now}))
	wantErr(t, "SetAlias taken", a.SetAlias(ctx(t), "210987654321", "acme"), store.ErrConflict)
	wantErr(t, "Create with taken alias", a.Create(ctx(t), iam.Account{ID: "111111111111", Alias: "acme", Created: Now}), store.ErrConflict)
	mustDo(t, a.SetAlias(ctx(t), Account, ""))
	mustDo(t, a.SetAlias(ctx(t), "210987654321", "acme"))

	list := must[[]iam.Account](t)(a.List(ctx(t)))
	diff(t, "List", list, []iam.Account{
		{ID: Account, Created: Now},
		{ID: "210987654321", Alias: "acme", Created: Now},
	})

	mustDo(t, s.Users().Create(ctx(t), newUser("alice")))
	wantErr(t, "Delete account with users", a.Delete(ctx(t), Account), store.ErrConflict)
	mustDo(t, a.Delete(ctx(t), "210987654321"))
	wantErr(t, "Delete missing", a.Delete(ctx(t), "210987654321"), store.ErrNotFound)
}

// testAccountCounts: Counts counts each kind of entity of the account,
// not another account's, and MFA devices in use apart.
func testAccountCounts(t *testing.T, s store.Store) {
	a := s.Accounts()
	diff(t, "Counts of an empty account", must[store.AccountCounts](t)(a.Counts(ctx(t), Account)), store.AccountCounts{})
	mustDo(t, a.Create(ctx(t), iam.Account{ID: "210987654321", Created: Now}))
	other := newUser("other")
	other.Account, other.ID = "210987654321", "AIDAOTHERACCOUNT0001"
	mustDo(t, s.Users().Create(ctx(t), other))
	for _, n := range []string{"alice", "bob"} {
		mustDo(t, s.Users().Create(ctx(t), newUser(n)))
	}
	mustDo(t, s.Groups().Create(ctx(t), newGroup("devs")))
	for _, n := range []string{"r1", "r2", "r3"} {
		mustDo(t, s.Roles().Create(ctx(t), newRole(n)))
	}
	mustDo(t, s.Policies().Create(ctx(t), newPolicy("p"), `{"Version":"2012-10-17","Statement":[]}`))
	_ = must[iam.PolicyVersion](t)(s.Policies().CreateVersion(ctx(t), newPolicy("p").ARN(), `{"Version":"2012-10-17","Statement":[]}`, Now, false))
	mustDo(t, s.InstanceProfiles().Create(ctx(t), newProfile("web")))
	for _, n := range []string{"d1", "d2"} {
		mustDo(t, s.MFADevices().Create(ctx(t), iam.VirtualMFADevice{Account: Account, SerialNumber: "arn:aws:iam::" + Account + ":mfa/" + n,
			Path: "/", Name: n, SeedCiphertext: []byte{1}, Created: Now}))
	}
	mustDo(t, s.MFADevices().Assign(ctx(t), "arn:aws:iam::"+Account+":mfa/d1", "alice", Now, 1))
	mustDo(t, s.Providers().Create(ctx(t), iam.Provider{Kind: iam.ProviderOIDC, Account: Account, Name: "a.example.com", URL: "https://a.example.com", Created: Now, Updated: Now}))
	diff(t, "Counts", must[store.AccountCounts](t)(a.Counts(ctx(t), Account)), store.AccountCounts{
		Users: 2, Groups: 1, Roles: 3, Policies: 1, PolicyVersions: 2, InstanceProfiles: 1, MFADevices: 2, MFADevicesInUse: 1, Providers: 1})
	diff(t, "Counts of the other account", must[store.AccountCounts](t)(a.Counts(ctx(t), "210987654321")), store.AccountCounts{Users: 1})
}

func testUsers(t *testing.T, s store.Store) {
	u := s.Users()
	alice := newUser("Alice")
	alice.Path = "/eng/"
	alice.PermissionsBoundary = "arn:aws:iam::123456789012:policy/Boundary"
	alice.Tags = []iam.Tag{{Key: "team", Value: "core"}, {Key: "Empty", Value: ""}}
	mustDo(t, u.Create(ctx(t), alice))

	for _, name := range []string{"Alice", "alice", "ALICE"} {
		got := must[iam.User](t)(u.Get(ctx(t), Account, name))
		diff(t, "Get "+name, got, alice)
	}
	got := must[iam.User](t)(u.GetByID(ctx(t), alice.ID))
	diff(t, "GetByID", got, alice)
	if got.ARN() != "arn:aws:iam::123456789012:user/eng/Alice" {
		t.Errorf("ARN = %q", got.ARN())
	}

	dup := newUser("ALICE")
	wantErr(t, "Create same name other case", u.Create(ctx(t), dup), store.ErrConflict)
	sameID := newUser("bob")
	sameID.ID = alice.ID
	wantErr(t, "Create same id", u.Create(ctx(t), sameID), store.ErrConflict)
	other := newUser("carol")
	other.Account = "999999999999"
	wantErr(t, "Create in missing account", u.Create(ctx(t), other), store.ErrNotFound)

	_, err := u.Get(ctx(t), Account, "nobody")
	wantErr(t, "Get missing", err, store.ErrNotFound)
	_, err = u.Get(ctx(t), "999999999999", "Alice")
	wantErr(t, "Get other account", err, store.ErrNotFound)
	_, err = u.GetByID(ctx(t), "AIDAMISSING")
	wantErr(t, "GetByID missing", err, store.ErrNotFound)

	// Update: rename, move, tags, boundary cleared.
	upd := alice
	upd.Name, upd.Path, upd.Tags, upd.PermissionsBoundary = "Alicia", "/ops/", nil, ""
	upd.PasswordLastUsed = Now
	mustDo(t, u.Update(ctx(t), upd))
	got = must[iam.User](t)(u.Get(ctx(t), Account, "alicia"))
	diff(t, "Get after Update", got, upd)
	_, err = u.Get(ctx(t), Account, "Alice")
	wantErr(t, "Get old name", err, store.ErrNotFound)

	mustDo(t, u.Create(ctx(t), newUser("bob")))
	clash := upd
	clash.Name = "BOB"
	wantErr(t, "Update rename onto existing", u.Update(ctx(t), clash), store.ErrConflict)
	missing := newUser("ghost")
	wantErr(t, "Update missing", u.Update(ctx(t), missing), store.ErrNotFound)

	deps := must[iam.UserDependents](t)(u.Dependents(ctx(t), Account, "bob"))
	diff(t, "Dependents", deps, iam.UserDependents{})
	_, err = u.Dependents(ctx(t), Account, "ghost")
	wantErr(t, "Dependents missing", err, store.ErrNotFound)

	mustDo(t, u.Delete(ctx(t), Account, "BOB"))
	_, err = u.Get(ctx(t), Account, "bob")
	wantErr(t, "Get deleted", err, store.ErrNotFound)
	wantErr(t, "Delete missing", u.Delete(ctx(t), Account, "bob"), store.ErrNotFound)
}

func testUsersList(t *testing.T, s store.Store) {
	u := s.Users()
	for _, n := range []struct{ name, path string }{
		{"dave", "/"}, {"Carol", "/eng/"}, {"bob", "/eng/backend/"}, {"Alice", "/ops/"}, {"erin", "/eng/"},
	} {
		usr := newUser(n.name)
		usr.Path = n.path
		mustDo(t, u.Create(ctx(t), usr))
	}
	names := func(opts store.ListOptions) []string {
		t.Helper()
		var out []string
		for _, usr := range must[[]iam.User](t)(u.List(ctx(t), Account, opts)) {
			out = append(out, usr.Name)
		}
		return out
	}
	tests := []struct {
		name string
		opts store.ListOptions
		want []string
	}{
		{"all, case-insensitive order", store.ListOptions{}, []string{"Alice", "bob", "Carol", "dave", "erin"}},
		{"path prefix", store.ListOptions{PathPrefix: "/eng/"}, []string{"bob", "Carol", "erin"}},
		{"deeper prefix", store.ListOptions{PathPrefix: "/eng/backend/"}, []string{"bob"}},
		{"root prefix", store.ListOptions{PathPrefix: "/"}, []string{"Alice", "bob", "Carol", "dave", "erin"}},
		{"first page", store.ListOptions{Limit: 2}, []string{"Alice", "bob"}},
		{"next page", store.ListOptions{After: "BOB", Limit: 2}, []string{"Carol", "dave"}},
		{"last page", store.ListOptions{After: "dave", Limit: 2}, []string{"erin"}},
		{"prefix and page", store.ListOptions{PathPrefix: "/eng/", After: "bob"}, []string{"Carol", "erin"}},
		{"no match", store.ListOptions{PathPrefix: "/none/"}, nil},
	}
	for _, tt := range tests {
		diff(t, "List "+tt.name, names(tt.opts), tt.want)
	}
	if got := must[[]iam.User](t)(u.List(ctx(t), "999999999999", store.ListOptions{})); len(got) != 0 {
		t.Errorf("List other account: got %d users, want 0", len(got))
	}
}

func testGroups(t *testing.T, s store.Store) {
	g := s.Groups()
	admins := newGroup("Admins")
	admins.Path = "/org/"
	mustDo(t, g.Create(ctx(t), admins))
	got := must[iam.Group](t)(g.Get(ctx(t), Account, "ADMINS"))
	diff(t, "Get", got, admins)
	wantErr(t, "Create dup", g.Create(ctx(t), newGroup("admins")), store.ErrConflict)
	_, err := g.Get(ctx(t), Account, "nope")
	wantErr(t, "Get missing", err, store.ErrNotFound)
	mustDo(t, g.Create(ctx(t), newGroup("devs")))

	list := must[[]iam.Group](t)(g.List(ctx(t), Account, store.ListOptions{PathPrefix: "/org/"}))
	diff(t, "List prefix", list, []iam.Group{admins})

	ren := admins
	ren.Name, ren.Path = "Root", "/"
	mustDo(t, g.Update(ctx(t), ren))
	diff(t, "Get renamed", must[iam.Group](t)(g.Get(ctx(t), Account, "root")), ren)
	ren.Name = "DEVS"
	wantErr(t, "Update rename clash", g.Update(ctx(t), ren), store.ErrConflict)

	for _, n := range []string{"zed", "amy"} {
		mustDo(t, s.Users().Create(ctx(t), newUser(n)))
		mustDo(t, g.AddUser(ctx(t), Account, "Root", n))
	}
	mustDo(t, g.AddUser(ctx(t), Account, "root", "AMY")) // idempotent, any case
	mustDo(t, g.AddUser(ctx(t), Account, "devs", "amy"))
	wantErr(t, "AddUser missing user", g.AddUser(ctx(t), Account, "devs", "ghost"), store.ErrNotFound)
	wantErr(t, "AddUser missing group", g.AddUser(ctx(t), Account, "ghosts", "amy"), store.ErrNotFound)

	var members []string
	for _, u := range must[[]iam.User](t)(g.ListUsers(ctx(t), Account, "Root")) {
		members = append(members, u.Name)
	}
	diff(t, "ListUsers", members, []string{"amy", "zed"})
	var groupsOfAmy []string
	for _, gr := range must[[]iam.Group](t)(g.ListForUser(ctx(t), Account, "amy")) {
		groupsOfAmy = append(groupsOfAmy, gr.Name)
	}
	diff(t, "ListForUser", groupsOfAmy, []string{"devs", "Root"})
	_, err = g.ListUsers(ctx(t), Account, "ghosts")
	wantErr(t, "ListUsers missing", err, store.ErrNotFound)
	_, err = g.ListForUser(ctx(t), Account, "ghost")
	wantErr(t, "ListForUser missing", err, store.ErrNotFound)

	diff(t, "Dependents", must[iam.GroupDependents](t)(g.Dependents(ctx(t), Account, "Root")), iam.GroupDependents{Users: 2})
	wantErr(t, "Delete with members", g.Delete(ctx(t), Account, "Root"), store.ErrConflict)

	mustDo(t, g.RemoveUser(ctx(t), Account, "Root", "zed"))
	mustDo(t, g.RemoveUser(ctx(t), Account, "Root", "amy"))
	wantErr(t, "RemoveUser not member", g.RemoveUser(ctx(t), Account, "Root", "amy"), store.ErrNotFound)
	mustDo(t, g.Delete(ctx(t), Account, "root"))
	wantErr(t, "Delete missing", g.Delete(ctx(t), Account, "root"), store.ErrNotFound)
}

func testRoles(t *testing.T, s store.Store) {
	r := s.Roles()
	role := newRole("Deployer")
	role.Path = "/ci/"
	role.Description = "deploys things"
	role.MaxSessionDuration = 43200
	role.Tags = []iam.Tag{{Key: "env", Value: "prod"}}
	role.TrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + Account + `:user/ann"},"Action":"sts:AssumeRole"}]}`
	role.TrustBindings = []iam.PrincipalBinding{{ARN: "arn:aws:iam::" + Account + ":user/ann", ID: "AIDA" + pad("ann")}}
	mustDo(t, r.Create(ctx(t), role))
	diff(t, "Get", must[iam.Role](t)(r.Get(ctx(t), Account, "deployer")), role)
	diff(t, "GetByID", must[iam.Role](t)(r.GetByID(ctx(t), role.ID)), role)
	wantErr(t, "Create dup", r.Create(ctx(t), newRole("DEPLOYER")), store.ErrConflict)
	_, err := r.Get(ctx(t), Account, "nope")
	wantErr(t, "Get missing", err, store.ErrNotFound)
	_, err = r.GetByID(ctx(t), "AROAMISSING")
	wantErr(t, "GetByID missing", err, store.ErrNotFound)

	upd := role
	upd.TrustPolicy = `{"Version":"2012-10-17","Statement":[]}`
	upd.TrustBindings = []iam.PrincipalBinding{{ARN: "arn:aws:sts::" + Account + ":assumed-role/ci/s", ID: "AROA" + pad("ci")},
		{ARN: "arn:aws:iam::" + Account + ":user/bob", ID: "AIDA" + pad("bob")}}
	upd.Description, upd.MaxSessionDuration = "", 7200
	upd.PermissionsBoundary = "arn:aws:iam::aws:policy/PowerUserAccess"
	upd.Tags = nil
	mustDo(t, r.Update(ctx(t), upd))
	diff(t, "Get after Update", must[iam.Role](t)(r.Get(ctx(t), Account, "Deployer")), upd)
	wantErr(t, "Update missing", r.Update(ctx(t), newRole("ghost")), store.ErrNotFound)

	used := iam.RoleLastUsed{Date: Now.Add(time.Hour), Region: "eu-west-1"}
	mustDo(t, r.RecordUse(ctx(t), Account, "DEPLOYER", used))
	upd.LastUsed = used
	diff(t, "Get after RecordUse", must[iam.Role](t)(r.Get(ctx(t), Account, "Deployer")), upd)
	wantErr(t, "RecordUse missing", r.RecordUse(ctx(t), Account, "ghost", used), store.ErrNotFound)

	mustDo(t, r.Create(ctx(t), newRole("Auditor")))
	// Never bound (nil) and bound to no one (empty) are kept apart: a role
	// saved before bindings existed is bound at the next start.
	auditor := must[iam.Role](t)(r.Get(ctx(t), Account, "Auditor"))
	if auditor.TrustBindings != nil {
		t.Errorf("TrustBindings of a role saved without = %#v, want nil", auditor.TrustBindings)
	}
	auditor.TrustBindings = []iam.PrincipalBinding{}
	mustDo(t, r.Update(ctx(t), auditor))
	if got := must[iam.Role](t)(r.Get(ctx(t), Account, "Auditor")).TrustBindings; got == nil || len(got) != 0 {
		t.Errorf("TrustBindings bound to no one = %#v, want empty, not nil", got)
	}
	var names []string
	for _, role := range must[[]iam.Role](t)(r.List(ctx(t), Account, store.ListOptions{})) {
		names = append(names, role.Name)
	}
	diff(t, "List", names, []string{"Auditor", "Deployer"})
	diff(t, "Dependents", must[iam.RoleDependents](t)(r.Dependents(ctx(t), Account, "auditor")), iam.RoleDependents{})
	mustDo(t, r.Delete(ctx(t), Account, "auditor"))
	wantErr(t, "Delete missing", r.Delete(ctx(t), Account, "auditor"), store.ErrNotFound)
	_, err = r.Dependents(ctx(t), Account, "auditor")
	wantErr(t, "Dependents missing", err, store.ErrNotFound)
}
