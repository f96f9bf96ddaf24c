package sts_test

import (
	"errors"
	"testing"

	"github.com/brevet-dev/brevet/internal/sts"
)

// TestPoolSessionRoleOfAnotherAccount: a pool's session is of a role of
// the pool's account only, even when another account's role trusts the
// pool (a token mapping's cognito:preferred_role may name any ARN).
func TestPoolSessionRoleOfAnotherAccount(t *testing.T) {
	e := newEnv(t)
	theirs := e.role(other, "theirs", poolTrust(scopedCond), 3600)
	in := poolInput(theirs)
	if _, err := e.svc.PoolSession(ctx, in); errorKind(err) != "AccessDenied" {
		t.Errorf("another account's role: %v, want AccessDenied", err)
	}
	mine := e.role(acct, "mine", poolTrust(scopedCond), 3600)
	in = poolInput(mine)
	in.Account = ""
	if _, err := e.svc.PoolSession(ctx, in); errorKind(err) != "untyped" {
		t.Errorf("no account: %v, want an untyped error", err)
	}
}

// TestPoolSessionProbeWildcards: a trust policy whose :aud condition
// admits every pool of a region (or of every region) is as unscoped as
// one without it, whatever wildcards spell it.
func TestPoolSessionProbeWildcards(t *testing.T) {
	e := newEnv(t)
	for i, pattern := range []string{
		"us-east-1:*",
		"*:*",
		"us-east-1:????????-????-4???-????-????????????",
		"*-*-*-*-*",
	} {
		trust := poolTrust(`{"StringLike":{"cognito-identity.amazonaws.com:aud":"` + pattern + `"}}`)
		roleARN := e.role(acct, "w"+string(rune('a'+i)), trust, 3600)
		if _, err := e.svc.PoolSession(ctx, poolInput(roleARN)); !errors.Is(err, sts.ErrPoolTrustUnscoped) {
			t.Errorf("aud StringLike %q: %v, want ErrPoolTrustUnscoped", pattern, err)
		}
	}
	// A pattern that names this pool alone, with wildcards, is scoped.
	roleARN := e.role(acct, "one", poolTrust(`{"StringLike":{"cognito-identity.amazonaws.com:aud":"us-east-1:11111111-*-555555555555"}}`), 3600)
	if _, err := e.svc.PoolSession(ctx, poolInput(roleARN)); err != nil {
		t.Errorf("a pattern naming the pool: %v", err)
	}
}
