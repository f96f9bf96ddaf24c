package sts_test

import (
	"errors"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/credential/totp"
	"github.com/brevet-dev/brevet/internal/sts"
)

// TestVerifyUserMFA checks the sign-in page's MFA step: no device is no
// MFA, a right code works once (its replay in the same step fails, as
// does a wrong code), the user's second device is accepted, and the
// throttle shared with GetSessionToken locks the user out.
func TestVerifyUserMFA(t *testing.T) {
	e := newEnv(t, func(c *sts.Config) { c.MFA = sts.MFALimits{MaxFailures: 3, Lockout: time.Hour} })
	e.user(acct, "alice")
	e.user(acct, "bob")
	_, seed := e.mfa(acct, "alice")
	_, seed2 := e.mfa(acct, "alice")
	now := time.Now()
	code := totp.Code(seed, now)
	type step struct {
		name     string
		user     string
		code     string
		at       time.Time
		wantUsed bool
		wantErr  string // "" for none
	}
	steps := []step{
		{"no device", "bob", "123456", now, false, ""},
		{"unknown user", "nobody", "123456", now, false, ""},
		{"no device, empty code", "bob", "", now, false, ""},
		{"empty code", "alice", "", now, false, msgInvalid},
		{"right code", "alice", code, now, true, ""},
		{"replayed in the same step", "alice", code, now, false, msgInvalid},
		{"user name in another case", "ALICE", totp.Code(seed2, now.Add(totp.Period)), now.Add(totp.Period), true, ""},
		{"wrong code", "alice", wrongCode(seed, now.Add(2*totp.Period)), now.Add(2 * totp.Period), false, msgInvalid},
		{"wrong code again", "alice", wrongCode(seed, now.Add(2*totp.Period)), now.Add(2 * totp.Period), false, msgInvalid},
		{"a third wrong code: locked", "alice", wrongCode(seed, now.Add(2*totp.Period)), now.Add(2 * totp.Period), false, msgLockedNow},
		{"right code while locked", "alice", totp.Code(seed, now.Add(3*totp.Period)), now.Add(3 * totp.Period), false, msgLocked},
	}
	for _, s := range steps {
		used, err := e.svc.VerifyUserMFA(ctx, acct, s.user, s.code, s.at)
		got := ""
		var ad *sts.AccessDeniedError
		switch {
		case errors.As(err, &ad):
			got = ad.Message
		case err != nil:
			t.Fatalf("%s: unexpected error %v", s.name, err)
		}
		if used != s.wantUsed || got != s.wantErr {
			t.Errorf("%s: got %v %q, want %v %q", s.name, used, got, s.wantUsed, s.wantErr)
		}
	}
}
