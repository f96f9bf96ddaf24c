package sts_test

import (
	"testing"
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
