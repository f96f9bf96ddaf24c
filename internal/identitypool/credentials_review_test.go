package identitypool

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/store/teststores"
	"github.com/brevet-dev/brevet/internal/sts"
)

// preferredRoleSessions verifies "role:ARN" as a login whose
// cognito:preferred_role is ARN; it makes no session.
type preferredRoleSessions struct{ tokenSessions }

func (preferredRoleSessions) VerifyOIDCLogin(_ context.Context, _, _, token string, _ time.Time) (*sts.VerifiedLogin, error) {
	arn, _ := strings.CutPrefix(token, "role:")
	return &sts.VerifiedLogin{Subject: "ann", Audience: []string{"app"}, Claims: map[string]any{"sub": "ann", claimPreferredRole: arn}}, nil
}

// TestTokenRoleOfAnotherAccount: a Token mapping's cognito:preferred_role
// that is not a role of the pool's account (another account's, or no
// role ARN at all) is the pool's configuration problem, refused before
// STS and without echoing the claim.
func TestTokenRoleOfAnotherAccount(t *testing.T) {
	st := teststores.SQLite(t, time.Now)
	identityService(t, st) // makes the account
	s, pool := flowService(t, st)
	s.sessions = preferredRoleSessions{}
	ctx, now := t.Context(), time.Now()
	err := s.SetIdentityPoolRoles(ctx, testAccount, &SetIdentityPoolRolesInput{IdentityPoolId: pool, Roles: map[string]string{},
		RoleMappings: map[string]RoleMapping{idpA: {Type: MappingToken, AmbiguousRoleResolution: ResolveDeny}}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.GetId(ctx, &GetIdInput{IdentityPoolId: pool, Logins: map[string]string{idpA: "role:x"}}, exchange(now))
	if err != nil {
		t.Fatal(err)
	}
	for _, claim := range []string{"arn:aws:iam::444455556666:role/theirs", "not-a-role-arn-" + strings.Repeat("x", 100)} {
		_, err := s.GetCredentialsForIdentity(ctx, &GetCredentialsForIdentityInput{IdentityId: id.IdentityId,
			Logins: map[string]string{idpA: "role:" + claim}}, exchange(now))
		wantCode(t, claim, err, CodeInvalidConfiguration, msgInvalidRoles)
	}
}
