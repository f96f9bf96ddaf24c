package storetest

import (
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

// testLoginProfiles: a login profile round-trips every field, is one per
// existing user (found case-insensitively, with the user's stored name),
// Update rewrites hash, reset flag and change date but not the creation
// date, a user with a profile cannot be deleted (Dependents counts it), a
// renamed user keeps its profile, and every write records a
// ChangeLoginProfile keyed by the user's name.
func testLoginProfiles(t *testing.T, s store.Store) {
	lp := s.LoginProfiles()
	mustDo(t, s.Users().Create(ctx(t), newUser("Alice")))
	mustDo(t, s.Users().Create(ctx(t), newUser("bob")))
	before := must[int64](t)(s.Changes().Latest(ctx(t)))

	alice := iam.LoginProfile{Account: Account, UserName: "Alice", PasswordHash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA",
		ResetRequired: true, Created: Now, PasswordChanged: Now}
	mustDo(t, lp.Create(ctx(t), alice))
	wantErr(t, "Create twice", lp.Create(ctx(t), alice), store.ErrConflict)
	ghost := alice
	ghost.UserName = "ghost"
	wantErr(t, "Create for a missing user", lp.Create(ctx(t), ghost), store.ErrNotFound)

	diff(t, "Get", must[iam.LoginProfile](t)(lp.Get(ctx(t), Account, "ALICE")), alice)
	_, err := lp.Get(ctx(t), Account, "bob")
	wantErr(t, "Get without a profile", err, store.ErrNotFound)
	_, err = lp.Get(ctx(t), Account, "ghost")
	wantErr(t, "Get for a missing user", err, store.ErrNotFound)

	upd := alice
	upd.UserName, upd.PasswordHash, upd.ResetRequired = "alice", "$argon2id$v=19$m=8,t=1,p=1$c2FsdDI$aGFzaDI", false
	upd.PasswordChanged, upd.Created = Now.Add(time.Hour), Now.Add(2*time.Hour)
	mustDo(t, lp.Update(ctx(t), upd))
	want := upd
	want.UserName, want.Created = "Alice", Now
	diff(t, "Get after Update", must[iam.LoginProfile](t)(lp.Get(ctx(t), Account, "alice")), want)
	bob := alice
	bob.UserName = "bob"
	wantErr(t, "Update without a profile", lp.Update(ctx(t), bob), store.ErrNotFound)

	diff(t, "user Dependents", must[iam.UserDependents](t)(s.Users().Dependents(ctx(t), Account, "alice")),
		iam.UserDependents{LoginProfile: 1})
	wantErr(t, "Delete user with a profile", s.Users().Delete(ctx(t), Account, "alice"), store.ErrConflict)

	// A rename keeps the profile: it belongs to the user, not the name.
	u := must[iam.User](t)(s.Users().Get(ctx(t), Account, "alice"))
	u.Name = "Carol"
	mustDo(t, s.Users().Update(ctx(t), u))
	diff(t, "Get after rename", must[iam.LoginProfile](t)(lp.Get(ctx(t), Account, "carol")).UserName, "Carol")

	err = s.Tx(ctx(t), func(r store.Repos) error {
		if err := r.LoginProfiles().Delete(ctx(t), Account, "carol"); err != nil {
			return err
		}
		return store.ErrConflict
	})
	wantErr(t, "Tx rolled back", err, store.ErrConflict)
	mustDo(t, lp.Delete(ctx(t), Account, "CAROL"))
	wantErr(t, "Delete twice", lp.Delete(ctx(t), Account, "carol"), store.ErrNotFound)
	mustDo(t, s.Users().Delete(ctx(t), Account, "carol"))

	var got []string
	for _, c := range must[[]store.Change](t)(s.Changes().Since(ctx(t), before, 0)) {
		if c.Kind == store.ChangeLoginProfile {
			got = append(got, c.Key)
		}
	}
	diff(t, "login profile changes", got, []string{"Alice", "Alice", "Carol"})
}

// testPasswordPolicies: an account has at most one password policy, Put
// creates or replaces it with every field, Get and Delete report
// ErrNotFound when there is none, an account with a policy cannot be
// deleted, and every write records a ChangePasswordPolicy keyed by the
// account id.
func testPasswordPolicies(t *testing.T, s store.Store) {
	pp := s.PasswordPolicies()
	const other = "999999999999"
	mustDo(t, s.Accounts().Create(ctx(t), iam.Account{ID: other, Created: Now}))
	before := must[int64](t)(s.Changes().Latest(ctx(t)))

	_, err := pp.Get(ctx(t), Account)
	wantErr(t, "Get none", err, store.ErrNotFound)
	wantErr(t, "Delete none", pp.Delete(ctx(t), Account), store.ErrNotFound)
	wantErr(t, "Put in a missing account", pp.Put(ctx(t), iam.PasswordPolicy{Account: "000000000000", MinimumLength: 8}), store.ErrNotFound)

	full := iam.PasswordPolicy{Account: Account, MinimumLength: 14, RequireSymbols: true, RequireNumbers: true,
		RequireUppercaseCharacters: true, RequireLowercaseCharacters: true, AllowUsersToChangePassword: true,
		MaxPasswordAge: 90, PasswordReusePrevention: 24, HardExpiry: true}
	mustDo(t, pp.Put(ctx(t), full))
	diff(t, "Get", must[iam.PasswordPolicy](t)(pp.Get(ctx(t), Account)), full)
	small := iam.PasswordPolicy{Account: Account, MinimumLength: 6}
	mustDo(t, pp.Put(ctx(t), small))
	diff(t, "Get after replace", must[iam.PasswordPolicy](t)(pp.Get(ctx(t), Account)), small)
	mustDo(t, pp.Put(ctx(t), iam.PasswordPolicy{Account: other, MinimumLength: 9}))
	wantErr(t, "Delete account with a policy", s.Accounts().Delete(ctx(t), other), store.ErrConflict)
	mustDo(t, pp.Delete(ctx(t), other))
	mustDo(t, s.Accounts().Delete(ctx(t), other))
	mustDo(t, pp.Delete(ctx(t), Account))
	_, err = pp.Get(ctx(t), Account)
	wantErr(t, "Get after Delete", err, store.ErrNotFound)

	var got []string
	for _, c := range must[[]store.Change](t)(s.Changes().Since(ctx(t), before, 0)) {
		if c.Kind == store.ChangePasswordPolicy {
			got = append(got, c.Key)
		}
	}
	diff(t, "password policy changes", got, []string{Account, Account, other, other, Account})
}
