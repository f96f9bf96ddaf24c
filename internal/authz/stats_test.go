package authz_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/authz/authztest"
	"github.com/brevet-dev/brevet/internal/credential"
)

// TestStats: the first decision for a user or a session misses (loads the
// user, builds the session's view); the next one hits.
func TestStats(t *testing.T) {
	f := newFixture(t)
	u, err := f.w.User(acct, "alice")
	must(t, err)
	must(t, f.w.Inline(authztest.UserOwner(acct, "alice"), "p", authztest.Allow("*", "iam:Get*")))
	r, err := f.w.Role(acct, "app", authztest.Trust(acct), 0)
	must(t, err)
	must(t, f.w.Inline(authztest.RoleOwner(acct, "app"), "p", authztest.Allow("*", "iam:List*")))
	session := roleSession(r, "s1", credential.Claims{Policy: authztest.Allow("*", "iam:List*")})

	if diff := cmp.Diff(authz.Stats{}, f.a.Stats()); diff != "" {
		t.Errorf("before any decision (-want +got):\n%s", diff)
	}
	f.authorize(t, userPrincipal(u), "iam:GetUser", "*", nil)
	f.authorize(t, session, "iam:ListRoles", "*", nil)
	if diff := cmp.Diff(authz.Stats{EntityMisses: 2, Entities: 2, SessionMisses: 1, Sessions: 1}, f.a.Stats()); diff != "" {
		t.Errorf("after one decision each (-want +got):\n%s", diff)
	}
	f.authorize(t, userPrincipal(u), "iam:GetUser", "*", nil)
	f.authorize(t, session, "iam:ListRoles", "*", nil)
	if diff := cmp.Diff(authz.Stats{EntityHits: 1, EntityMisses: 2, Entities: 2, SessionHits: 1, SessionMisses: 1, Sessions: 1}, f.a.Stats()); diff != "" {
		t.Errorf("after two decisions each (-want +got):\n%s", diff)
	}
}
