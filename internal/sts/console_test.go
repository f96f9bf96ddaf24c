package sts_test

import (
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/identity"
)

// TestConsoleSessionMFATime: a console session's MFA dates from the
// sign-in that verified the second factor, not from when the session was
// made, so that aws:MultiFactorAuthAge grows across the console sessions
// one sign-in starts; without MFA the session has none.
func TestConsoleSessionMFATime(t *testing.T) {
	e := newEnv(t)
	now := time.Now().UTC().Truncate(time.Second)
	p := &identity.Principal{Type: identity.IAMUser, Account: "123456789012", CallerARN: "arn:aws:iam::123456789012:user/alice",
		PrincipalID: "AIDAALICE", UserName: "alice", UserID: "AIDAALICE"}
	for _, tc := range []struct {
		name   string
		mfaAt  time.Time
		want   bool
		wantAt time.Time
	}{
		{"MFA at sign-in, 40 minutes ago", now.Add(-40 * time.Minute), true, now.Add(-40 * time.Minute)},
		{"no MFA", time.Time{}, false, time.Time{}},
		{"a sign-in time after now", now.Add(time.Minute), true, now},
	} {
		t.Run(tc.name, func(t *testing.T) {
			creds, _, err := e.svc.ConsoleSession(p, tc.mfaAt, time.Hour, now)
			must(t, err)
			c, err := e.ring.Open(creds.SessionToken, creds.AccessKeyId, now)
			must(t, err)
			if c.MFAAuthenticated != tc.want || !c.MFAAuthTime.Equal(tc.wantAt) {
				t.Errorf("MFA %v at %v, want %v at %v", c.MFAAuthenticated, c.MFAAuthTime, tc.want, tc.wantAt)
			}
		})
	}
}
