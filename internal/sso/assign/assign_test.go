package assign_test

import (
	"errors"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/sso"
	"github.com/brevet-dev/brevet/internal/sso/assign"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/teststores"
	"github.com/google/go-cmp/cmp"
)

const (
	acctA = "111122223333"
	acctB = "444455556666"
)

var now = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

// fixture is a store with two accounts, users ann and bob in A (ann in
// group devs), roles Dev and Ops in A and Audit in B, and assignments
// fed the store's change feed as a node would.
type fixture struct {
	t   *testing.T
	st  store.Store
	a   *assign.Assignments
	seq int64
	ann iam.User
	dev iam.Group
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureOn(t, teststores.SQLite(t, clock))
}

func clock() time.Time { return now }

// backends runs test on a fixture on each store backend: SQLite, and
// PostgreSQL when pgtest has a server.
func backends(t *testing.T, test func(t *testing.T, f *fixture)) {
	teststores.Each(t, clock, func(t *testing.T, st store.Store) { test(t, newFixtureOn(t, st)) })
}

func newFixtureOn(t *testing.T, st store.Store) *fixture {
	t.Helper()
	var err error
	f := &fixture{t: t, st: st}
	ctx := t.Context()
	for _, id := range []string{acctA, acctB} {
		must(t, st.Accounts().Create(ctx, iam.Account{ID: id, Created: now}))
	}
	f.ann = iam.User{Account: acctA, ID: "AIDAANNANNANNANNANN1", Name: "ann", Path: "/", Created: now}
	must(t, st.Users().Create(ctx, f.ann))
	must(t, st.Users().Create(ctx, iam.User{Account: acctA, ID: "AIDABOBBOBBOBBOBBOB1", Name: "bob", Path: "/", Created: now}))
	f.dev = iam.Group{Account: acctA, ID: "AGPADEVSDEVSDEVSDEV1", Name: "devs", Path: "/", Created: now}
	must(t, st.Groups().Create(ctx, f.dev))
	must(t, st.Groups().AddUser(ctx, acctA, "devs", "ann"))
	for i, r := range []struct{ acct, name string }{{acctA, "Dev"}, {acctA, "Ops"}, {acctB, "Audit"}} {
		must(t, st.Roles().Create(ctx, iam.Role{Account: r.acct, ID: "AROAROLEROLEROLEROL" + string(rune('0'+i)), Name: r.name, Path: "/",
			Created: now, TrustPolicy: `{"Version":"2012-10-17","Statement":[]}`, MaxSessionDuration: 3600}))
	}
	f.a, err = assign.New(assign.Config{Store: st, IdPs: []string{"okta"}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// feed hands the changes since the last call to Apply, as the node's
// follower does.
func (f *fixture) feed() {
	f.t.Helper()
	cs, err := f.st.Changes().Since(f.t.Context(), f.seq, 0)
	must(f.t, err)
	if len(cs) > 0 {
		f.seq = cs[len(cs)-1].Seq
		f.a.Apply(cs)
	}
}

func (f *fixture) annKeys() []string {
	return sso.Identity{Source: sso.SourceIAM, Account: acctA, UserID: f.ann.ID, UserName: "ann", Groups: []string{f.dev.ID}}.PrincipalKeys()
}

func TestGrantsAndAllowed(t *testing.T) { backends(t, testGrantsAndAllowed) }

func testGrantsAndAllowed(t *testing.T, f *fixture) {
	ctx := t.Context()
	create := func(acct, role string, p assign.Principal) {
		t.Helper()
		if _, err := f.a.Create(ctx, acct, role, p, "arn:aws:iam::"+acct+":user/admin", now); err != nil {
			t.Fatal(err)
		}
	}
	// Warm the index before anything is assigned: later reads must see
	// the changes through Apply alone.
	if g, err := f.a.Grants(ctx, f.annKeys()); err != nil || len(g) != 0 {
		t.Fatalf("Grants before any assignment = %v, %v", g, err)
	}
	create(acctA, "Dev", assign.Principal{Type: assign.TypeUser, Name: "ann"})
	create(acctA, "dev", assign.Principal{Type: assign.TypeGroup, Name: "devs"}) // the role's name as IAM spells it
	create(acctA, "Ops", assign.Principal{Type: assign.TypeGroup, Name: "DEVS"})
	create(acctB, "Audit", assign.Principal{Type: assign.TypeGroup, Source: "idp:okta", Name: "auditors"})
	f.feed()

	okta := sso.Identity{Source: "idp:okta", UserID: "sub-1", UserName: "carol@example.com", Groups: []string{"auditors"}}.PrincipalKeys()
	bob := sso.Identity{Source: sso.SourceIAM, Account: acctA, UserID: "AIDABOBBOBBOBBOBBOB1", UserName: "bob"}.PrincipalKeys()
	tests := []struct {
		name string
		keys []string
		want []assign.Grant
	}{
		{"user and group, each role once, sorted", f.annKeys(), []assign.Grant{{acctA, "Dev"}, {acctA, "Ops"}}},
		{"provider group in another account", okta, []assign.Grant{{acctB, "Audit"}}},
		{"nothing assigned", bob, nil},
		{"same name from another source", sso.Identity{Source: "idp:okta", UserName: "ann", Groups: []string{"devs"}}.PrincipalKeys(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.a.Grants(ctx, tt.keys)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Grants (-want +got):\n%s", d)
			}
		})
	}
	allowed := []struct {
		name          string
		keys          []string
		account, role string
		want          bool
	}{
		{"assigned", f.annKeys(), acctA, "Dev", true},
		{"name without case", f.annKeys(), acctA, "DEV", true},
		{"not assigned", bob, acctA, "Dev", false},
		{"other account", f.annKeys(), acctB, "Dev", false},
		{"other account's role", f.annKeys(), acctB, "Audit", false},
		{"provider group", okta, acctB, "Audit", true},
		{"no keys", nil, acctA, "Dev", false},
	}
	for _, tt := range allowed {
		t.Run("allowed/"+tt.name, func(t *testing.T) {
			got, err := f.a.Allowed(ctx, tt.keys, tt.account, tt.role)
			if err != nil || got != tt.want {
				t.Errorf("Allowed = %v, %v, want %v", got, err, tt.want)
			}
		})
	}
}

// A deleted assignment is refused at the next read after Apply; a user
// deleted and re-created under the same name does not inherit.
func TestDeleteTakesEffectAndIDsBind(t *testing.T) { backends(t, testDeleteTakesEffectAndIDsBind) }

func testDeleteTakesEffectAndIDsBind(t *testing.T, f *fixture) {
	ctx := t.Context()
	if _, err := f.a.Create(ctx, acctA, "Dev", assign.Principal{Type: assign.TypeUser, Name: "bob"}, "admin", now); err != nil {
		t.Fatal(err)
	}
	f.feed()
	bob := sso.Identity{Source: sso.SourceIAM, Account: acctA, UserID: "AIDABOBBOBBOBBOBBOB1"}.PrincipalKeys()
	if ok, _ := f.a.Allowed(ctx, bob, acctA, "Dev"); !ok {
		t.Fatal("bob is not allowed Dev after the assignment")
	}
	must(t, f.st.Users().Delete(ctx, acctA, "bob"))
	newBob := iam.User{Account: acctA, ID: "AIDANEWBOBNEWBOBNEW1", Name: "bob", Path: "/", Created: now}
	must(t, f.st.Users().Create(ctx, newBob))
	f.feed()
	if ok, _ := f.a.Allowed(ctx, sso.Identity{Source: sso.SourceIAM, Account: acctA, UserID: newBob.ID}.PrincipalKeys(), acctA, "Dev"); ok {
		t.Error("a re-created bob inherits the old bob's assignment")
	}
	// The listing shows the old bob's assignment without a name; it is
	// removed by id.
	page, err := f.a.List(ctx, acctA, assign.Filter{})
	if err != nil || len(page.Assignments) != 1 || page.Assignments[0].PrincipalName != "" {
		t.Fatalf("List = %+v, %v; want the old bob's assignment, nameless", page, err)
	}
	if _, err := f.a.Delete(ctx, acctA, "Dev", assign.Principal{Type: assign.TypeUser, Name: "bob"}); !isNotFound(err) {
		t.Errorf("Delete by the new bob's name = %v, want NotFound", err)
	}
	if _, err := f.a.Delete(ctx, acctA, "Dev", assign.Principal{Type: assign.TypeUser, ID: "AIDABOBBOBBOBBOBBOB1"}); err != nil {
		t.Fatal(err)
	}
	f.feed()
	if ok, _ := f.a.Allowed(ctx, bob, acctA, "Dev"); ok {
		t.Error("the deleted assignment still allows")
	}
}

func isNotFound(err error) bool {
	_, ok := errors.AsType[*assign.NotFoundError](err)
	return ok
}

func TestCreateRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	if _, err := f.a.Create(ctx, acctA, "Dev", assign.Principal{Type: assign.TypeUser, Name: "ann"}, "admin", now); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		account string
		role    string
		p       assign.Principal
		want    string // error type
	}{
		{"twice", acctA, "Dev", assign.Principal{Type: assign.TypeUser, Name: "ann"}, "exists"},
		{"no such role", acctA, "Nope", assign.Principal{Type: assign.TypeUser, Name: "ann"}, "notfound"},
		{"another account's role", acctA, "Audit", assign.Principal{Type: assign.TypeUser, Name: "ann"}, "notfound"},
		{"no such user", acctA, "Dev", assign.Principal{Type: assign.TypeUser, Name: "zed"}, "notfound"},
		{"no such group", acctA, "Dev", assign.Principal{Type: assign.TypeGroup, Name: "zed"}, "notfound"},
		{"user of another account", acctB, "Audit", assign.Principal{Type: assign.TypeUser, Name: "ann"}, "notfound"},
		{"bad type", acctA, "Dev", assign.Principal{Type: "ROLE", Name: "ann"}, "invalid"},
		{"bad source", acctA, "Dev", assign.Principal{Type: assign.TypeUser, Source: "ldap", Name: "ann"}, "invalid"},
		{"unconfigured provider", acctA, "Dev", assign.Principal{Type: assign.TypeUser, Source: "idp:google", Name: "ann"}, "invalid"},
		{"malformed provider", acctA, "Dev", assign.Principal{Type: assign.TypeUser, Source: "idp:Okta!", Name: "ann"}, "invalid"},
		{"control character", acctA, "Dev", assign.Principal{Type: assign.TypeUser, Source: "idp:okta", Name: "a\nb"}, "invalid"},
		{"empty provider name", acctA, "Dev", assign.Principal{Type: assign.TypeUser, Source: "idp:okta"}, "invalid"},
		{"id instead of name", acctA, "Dev", assign.Principal{Type: assign.TypeUser, ID: "AIDABOBBOBBOBBOBBOB1"}, "invalid"},
		{"a role's ARN", acctB, "Audit", assign.Principal{Type: assign.TypeUser, Name: "arn:aws:iam::111122223333:role/Dev"}, "invalid"},
		{"a user's ARN as a group", acctB, "Audit", assign.Principal{Type: assign.TypeGroup, Name: "arn:aws:iam::111122223333:user/ann"}, "invalid"},
		{"a malformed ARN", acctB, "Audit", assign.Principal{Type: assign.TypeUser, Name: "arn:aws:iam::user/ann"}, "invalid"},
		{"ARN of no user", acctB, "Audit", assign.Principal{Type: assign.TypeUser, Name: "arn:aws:iam::111122223333:user/zed"}, "notfound"},
		{"ARN with another path", acctB, "Audit", assign.Principal{Type: assign.TypeUser, Name: "arn:aws:iam::111122223333:user/x/ann"}, "notfound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.a.Create(ctx, tt.account, tt.role, tt.p, "admin", now)
			var got string
			switch {
			case err == nil:
				got = "nil"
			case isNotFound(err):
				got = "notfound"
			default:
				if _, ok := errors.AsType[*assign.InvalidError](err); ok {
					got = "invalid"
				} else if _, ok := errors.AsType[*assign.ExistsError](err); ok {
					got = "exists"
				} else {
					got = err.Error()
				}
			}
			if got != tt.want {
				t.Errorf("Create = %v (%s), want %s", err, got, tt.want)
			}
		})
	}
}

func TestListPagesAndNames(t *testing.T) { backends(t, testListPagesAndNames) }

func testListPagesAndNames(t *testing.T, f *fixture) {
	ctx := t.Context()
	for _, c := range []struct {
		role string
		p    assign.Principal
	}{
		{"Dev", assign.Principal{Type: assign.TypeUser, Name: "ann"}},
		{"Dev", assign.Principal{Type: assign.TypeGroup, Name: "devs"}},
		{"Ops", assign.Principal{Type: assign.TypeUser, Name: "ann"}},
		{"Ops", assign.Principal{Type: assign.TypeUser, Source: "idp:okta", Name: "carol@example.com"}},
	} {
		if _, err := f.a.Create(ctx, acctA, c.role, c.p, "admin", now); err != nil {
			t.Fatal(err)
		}
	}
	must(t, f.st.Groups().Update(ctx, iam.Group{Account: acctA, ID: f.dev.ID, Name: "developers", Path: "/"}))
	var got []string
	after := ""
	for range 10 {
		page, err := f.a.List(ctx, acctA, assign.Filter{After: after, Max: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Assignments {
			got = append(got, a.RoleName+" "+a.Type+" "+a.Source+" "+a.PrincipalName)
		}
		if after = page.Next; after == "" {
			break
		}
	}
	want := []string{"Dev GROUP iam developers", "Dev USER iam ann", "Ops USER iam ann", "Ops USER idp:okta carol@example.com"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("listing (-want +got):\n%s", d)
	}
	page, err := f.a.List(ctx, acctA, assign.Filter{RoleName: "ops", Principal: &assign.Principal{Type: assign.TypeUser, Name: "ann"}})
	if err != nil || len(page.Assignments) != 1 || page.Assignments[0].RoleName != "Ops" {
		t.Errorf("filtered List = %+v, %v", page, err)
	}
	if page, err := f.a.List(ctx, acctB, assign.Filter{}); err != nil || len(page.Assignments) != 0 {
		t.Errorf("account B's List = %+v, %v; want none", page, err)
	}
}

// Readers and the change feed at once: every read answers from a whole
// index (run with -race), and once the feed has delivered the last
// change, the next read sees it.
func TestConcurrentReadsAndApply(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	keys := f.annKeys()
	stop := make(chan struct{})
	done := make(chan error, 4)
	for range 4 {
		go func() {
			for {
				select {
				case <-stop:
					done <- nil
					return
				default:
				}
				if _, err := f.a.Grants(ctx, keys); err != nil {
					done <- err
					return
				}
			}
		}()
	}
	for i := range 20 {
		role := []string{"Dev", "Ops"}[i%2]
		if i%4 < 2 {
			_, err := f.a.Create(ctx, acctA, role, assign.Principal{Type: assign.TypeUser, Name: "ann"}, "admin", now)
			must(t, err)
		} else {
			_, err := f.a.Delete(ctx, acctA, role, assign.Principal{Type: assign.TypeUser, Name: "ann"})
			must(t, err)
		}
		f.feed()
	}
	close(stop)
	for range 4 {
		must(t, <-done)
	}
	if g, err := f.a.Grants(ctx, keys); err != nil || len(g) != 0 {
		t.Errorf("Grants after every assignment was removed = %v, %v", g, err)
	}
}

// A role may be assigned to another account's IAM user or group, named
// by ARN: the role's account decides whom it lets in.
func TestAssignAnotherAccountsPrincipal(t *testing.T) {
	backends(t, testAssignAnotherAccountsPrincipal)
}

func testAssignAnotherAccountsPrincipal(t *testing.T, f *fixture) {
	ctx := t.Context()
	for _, p := range []assign.Principal{
		{Type: assign.TypeUser, Name: "arn:aws:iam::111122223333:user/ann"},
		{Type: assign.TypeGroup, Name: "arn:aws:iam::111122223333:group/devs"},
	} {
		if _, err := f.a.Create(ctx, acctB, "Audit", p, "admin", now); err != nil {
			t.Fatal(err)
		}
	}
	f.feed()
	if g, err := f.a.Grants(ctx, f.annKeys()); err != nil || !cmp.Equal(g, []assign.Grant{{acctB, "Audit"}}) {
		t.Errorf("ann's grants = %v, %v; want Audit in B", g, err)
	}
	page, err := f.a.List(ctx, acctB, assign.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range page.Assignments {
		names = append(names, a.PrincipalName)
	}
	if d := cmp.Diff([]string{"arn:aws:iam::111122223333:group/devs", "arn:aws:iam::111122223333:user/ann"}, names); d != "" {
		t.Errorf("B's listing names (-want +got):\n%s", d)
	}
	if _, err := f.a.Delete(ctx, acctB, "Audit", assign.Principal{Type: assign.TypeUser, Name: "arn:aws:iam::111122223333:user/ann"}); err != nil {
		t.Errorf("Delete by ARN: %v", err)
	}
}

// TestProviderRemovedFromConfig: once a provider is no longer configured
// (a node restarted without it), its assignments can still be listed and
// removed, so that a provider configured later under the same name (maybe
// another one) does not inherit them; new ones are refused.
func TestProviderRemovedFromConfig(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	carol := assign.Principal{Type: assign.TypeUser, Source: "idp:okta", Name: "carol"}
	if _, err := f.a.Create(ctx, acctA, "Dev", carol, "admin", now); err != nil {
		t.Fatal(err)
	}
	without, err := assign.New(assign.Config{Store: f.st})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := without.Create(ctx, acctA, "Ops", carol, "admin", now); err == nil {
		t.Error("Create for a provider no longer configured succeeded")
	}
	page, err := without.List(ctx, acctA, assign.Filter{Principal: &carol})
	if err != nil || len(page.Assignments) != 1 {
		t.Errorf("List of the provider's user = %+v, %v; want its assignment", page.Assignments, err)
	}
	if _, err := without.Delete(ctx, acctA, "Dev", carol); err != nil {
		t.Errorf("Delete of the provider's assignment = %v, want it removed", err)
	}
}
