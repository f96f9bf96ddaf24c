package identitypool

// Attacks on the unsigned app-facing actions (review of the identity
// side): each test is one way in that must stay shut.

import (
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/store/teststores"
	"github.com/brevet-dev/brevet/internal/sts"
)

// TestGuestPoolTokenIsNotALogin: a guest's own pool token (GetOpenIdToken
// of an identity without logins, amr "unauthenticated") presented back as
// the cognito-identity.amazonaws.com login must not make the guest
// authenticated (and so give it the pool's authenticated role).
func TestGuestPoolTokenIsNotALogin(t *testing.T) {
	st := teststores.SQLite(t, time.Now)
	identityService(t, st)
	s, pool := flowService(t, st)
	tk, _ := testTokens(t)
	s.tokens = tk
	ctx, now := t.Context(), tokT0
	g, err := s.GetId(ctx, &GetIdInput{IdentityPoolId: pool}, exchange(now))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := tk.MintPoolToken(&sts.PoolToken{PoolID: pool, IdentityID: g.IdentityId, AMR: amr(nil)}, DefaultTokenDuration, now)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.authenticate(ctx, g.IdentityId, map[string]string{DeveloperLogin: raw}, exchange(now))
	if err == nil && !a.Guest() {
		t.Fatalf("a guest's pool token authenticated the guest: %+v", a.Logins)
	}
	if err != nil {
		wantCode(t, "guest pool token", err, CodeNotAuthorized, msgInvalidToken)
	}
	// An authenticated identity's token still proves it.
	raw, err = tk.MintPoolToken(&sts.PoolToken{PoolID: pool, IdentityID: g.IdentityId, AMR: []string{amrAuthenticated, "dev.example"}}, DefaultTokenDuration, now)
	if err != nil {
		t.Fatal(err)
	}
	if a, err := s.authenticate(ctx, g.IdentityId, map[string]string{DeveloperLogin: raw}, exchange(now)); err != nil || a.Guest() {
		t.Fatalf("authenticated pool token: %+v (%v)", a, err)
	}
}
