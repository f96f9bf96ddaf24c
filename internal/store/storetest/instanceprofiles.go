package storetest

import (
	"testing"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

func newProfile(name string, roles ...string) iam.InstanceProfile {
	return iam.InstanceProfile{Account: Account, ID: "AIPA" + pad(name), Name: name, Path: "/", Roles: roles, Created: Now}
}

// testInstanceProfiles: instance profiles round-trip every field, are
// unique per account case-insensitively (name) and by id, hold at most one
// existing role, list in name order with path prefix and paging,
// ListForRole finds the role's profiles, Update changes roles and tags
// only, a profile holding a role cannot be deleted nor its role, an
// account with profiles cannot be deleted, a rolled-back transaction
// leaves nothing, and every write records a ChangeInstanceProfile keyed
// by name.
func testInstanceProfiles(t *testing.T, s store.Store) {
	p := s.InstanceProfiles()
	const other = "999999999999"
	mustDo(t, s.Accounts().Create(ctx(t), iam.Account{ID: other, Created: Now}))
	mustDo(t, s.Roles().Create(ctx(t), newRole("web")))
	mustDo(t, s.Roles().Create(ctx(t), newRole("batch")))
	before := must[int64](t)(s.Changes().Latest(ctx(t)))

	web := newProfile("Web", "web")
	web.Tags = []iam.Tag{{Key: "team", Value: "edge"}}
	empty := newProfile("empty")
	deep := newProfile("deep")
	deep.Path = "/hosts/"
	theirs := newProfile("Web")
	theirs.Account, theirs.ID = other, "AIPATHEIRS0000000001"
	for _, x := range []iam.InstanceProfile{web, empty, deep, theirs} {
		mustDo(t, p.Create(ctx(t), x))
	}
	wantErr(t, "Create name taken in another case", p.Create(ctx(t), newProfile("WEB")), store.ErrConflict)
	sameID := newProfile("fresh")
	sameID.ID = web.ID
	wantErr(t, "Create id taken", p.Create(ctx(t), sameID), store.ErrConflict)
	wantErr(t, "Create with two roles", p.Create(ctx(t), newProfile("two", "web", "batch")), store.ErrConflict)
	wantErr(t, "Create with a missing role", p.Create(ctx(t), newProfile("ghost", "nobody")), store.ErrNotFound)
	missing := newProfile("lost")
	missing.Account = "000000000000"
	wantErr(t, "Create in missing account", p.Create(ctx(t), missing), store.ErrNotFound)

	diff(t, "Get", must[iam.InstanceProfile](t)(p.Get(ctx(t), Account, "web")), web)
	_, err := p.Get(ctx(t), Account, "nope")
	wantErr(t, "Get missing", err, store.ErrNotFound)
	if got, want := web.ARN(), "arn:aws:iam::123456789012:instance-profile/Web"; got != want {
		t.Errorf("ARN: got %q, want %q", got, want)
	}
	if got, want := deep.ARN(), "arn:aws:iam::123456789012:instance-profile/hosts/deep"; got != want {
		t.Errorf("ARN: got %q, want %q", got, want)
	}

	list := func(opts store.ListOptions) []iam.InstanceProfile {
		t.Helper()
		return must[[]iam.InstanceProfile](t)(p.List(ctx(t), Account, opts))
	}
	diff(t, "List", list(store.ListOptions{}), []iam.InstanceProfile{deep, empty, web})
	diff(t, "List page", list(store.ListOptions{After: "deep", Limit: 1}), []iam.InstanceProfile{empty})
	diff(t, "List path", list(store.ListOptions{PathPrefix: "/hosts/"}), []iam.InstanceProfile{deep})
	diff(t, "ListForRole", must[[]iam.InstanceProfile](t)(p.ListForRole(ctx(t), Account, "WEB")), []iam.InstanceProfile{web})
	diff(t, "ListForRole none", must[[]iam.InstanceProfile](t)(p.ListForRole(ctx(t), Account, "batch")), []iam.InstanceProfile(nil))
	_, err = p.ListForRole(ctx(t), Account, "nobody")
	wantErr(t, "ListForRole missing role", err, store.ErrNotFound)

	// Update: roles and tags only; the role's stored name comes back.
	upd := empty
	upd.Roles, upd.Tags, upd.Path, upd.ID = []string{"BATCH"}, []iam.Tag{{Key: "k", Value: "v"}}, "/ignored/", "AIPAIGNORED000000000"
	mustDo(t, p.Update(ctx(t), upd))
	wantEmpty := empty
	wantEmpty.Roles, wantEmpty.Tags = []string{"batch"}, upd.Tags
	diff(t, "Get after Update", must[iam.InstanceProfile](t)(p.Get(ctx(t), Account, "empty")), wantEmpty)
	wantErr(t, "Update missing", p.Update(ctx(t), newProfile("nope")), store.ErrNotFound)
	wantErr(t, "Update to two roles", p.Update(ctx(t), newProfile("empty", "web", "batch")), store.ErrConflict)
	wantErr(t, "Update to a missing role", p.Update(ctx(t), newProfile("empty", "nobody")), store.ErrNotFound)
	diff(t, "Get after failed Updates", must[iam.InstanceProfile](t)(p.Get(ctx(t), Account, "empty")), wantEmpty)
	diff(t, "role Dependents", must[iam.RoleDependents](t)(s.Roles().Dependents(ctx(t), Account, "batch")),
		iam.RoleDependents{InstanceProfiles: 1})

	wantErr(t, "Delete profile with a role", p.Delete(ctx(t), Account, "empty"), store.ErrConflict)
	wantErr(t, "Delete role in a profile", s.Roles().Delete(ctx(t), Account, "batch"), store.ErrConflict)
	wantErr(t, "Delete account with profiles", s.Accounts().Delete(ctx(t), other), store.ErrConflict)
	mustDo(t, p.Update(ctx(t), newProfile("empty")))
	err = s.Tx(ctx(t), func(r store.Repos) error {
		if err := r.InstanceProfiles().Delete(ctx(t), Account, "EMPTY"); err != nil {
			return err
		}
		return store.ErrConflict
	})
	wantErr(t, "Tx rolled back", err, store.ErrConflict)
	diff(t, "Get after rollback", must[iam.InstanceProfile](t)(p.Get(ctx(t), Account, "empty")).Name, "empty")
	mustDo(t, p.Delete(ctx(t), Account, "EMPTY"))
	wantErr(t, "Delete twice", p.Delete(ctx(t), Account, "empty"), store.ErrNotFound)
	mustDo(t, s.Roles().Delete(ctx(t), Account, "batch"))

	var got []string
	for _, c := range must[[]store.Change](t)(s.Changes().Since(ctx(t), before, 0)) {
		if c.Kind == store.ChangeInstanceProfile && c.Account == Account {
			got = append(got, c.Key)
		}
	}
	diff(t, "instance profile changes", got, []string{"Web", "empty", "deep", "empty", "empty", "empty"})
}
