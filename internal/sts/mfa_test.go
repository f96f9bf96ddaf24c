package sts_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/credential/totp"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/sts"
)

// The answers of verifyMFA, whole.
const (
	msgInvalid   = "MultiFactorAuthentication failed with invalid MFA one time pass code. "
	msgLockedNow = msgInvalid + "Too many invalid MFA one time pass codes: MFA is now locked out for this device and user."
	msgLocked    = "MultiFactorAuthentication failed: too many invalid MFA one time pass codes, MFA is locked out for this device and user. Try again later."
)

// TestMFALimits walks one key's record through the throttle's rules with
// a pinned clock: lockouts, their doubling up to the cap, the window,
// forgetting, and attempts still being checked filling the budget.
func TestMFALimits(t *testing.T) {
	l := sts.MFALimits{MaxFailures: 3, Lockout: time.Minute, MaxLockout: 4 * time.Minute}
	t0 := time.Date(2026, 3, 14, 15, 9, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	type step struct {
		name       string
		op         string // "admit", "fail", "reset"
		at         time.Duration
		want       bool // admitted / lockout started
		wantLocked time.Duration
	}
	steps := []step{
		{"1st", "admit", 0, true, 0}, {"1st fails", "fail", 0, false, 0},
		{"2nd", "admit", time.Second, true, 0}, {"2nd fails", "fail", time.Second, false, 0},
		{"3rd", "admit", 2 * time.Second, true, 0}, {"3rd fails: locked 1m", "fail", 2 * time.Second, true, time.Minute + 2*time.Second},
		{"during the lockout", "admit", 30 * time.Second, false, time.Minute + 2*time.Second},
		{"just before its end", "admit", time.Minute + time.Second, false, time.Minute + 2*time.Second},
		{"after it", "admit", time.Minute + 2*time.Second, true, time.Minute + 2*time.Second},
		{"", "fail", time.Minute + 2*time.Second, false, time.Minute + 2*time.Second},
		{"", "admit", 2 * time.Minute, true, time.Minute + 2*time.Second}, {"", "fail", 2 * time.Minute, false, time.Minute + 2*time.Second},
		{"", "admit", 2 * time.Minute, true, time.Minute + 2*time.Second}, {"2nd lockout: 2m", "fail", 2 * time.Minute, true, 4 * time.Minute},
		{"", "admit", 4 * time.Minute, true, 4 * time.Minute}, {"", "fail", 4 * time.Minute, false, 4 * time.Minute},
		{"", "admit", 4 * time.Minute, true, 4 * time.Minute}, {"", "fail", 4 * time.Minute, false, 4 * time.Minute},
		{"", "admit", 4 * time.Minute, true, 4 * time.Minute}, {"3rd lockout: 4m", "fail", 4 * time.Minute, true, 8 * time.Minute},
		{"", "admit", 8 * time.Minute, true, 8 * time.Minute}, {"", "fail", 8 * time.Minute, false, 8 * time.Minute},
		{"", "admit", 8 * time.Minute, true, 8 * time.Minute}, {"", "fail", 8 * time.Minute, false, 8 * time.Minute},
		{"", "admit", 8 * time.Minute, true, 8 * time.Minute}, {"4th lockout: capped at 4m", "fail", 8 * time.Minute, true, 12 * time.Minute},
		// MaxLockout after the lockout ends without a failure, all is forgotten.
		{"forgotten", "admit", 16 * time.Minute, true, 0}, {"", "fail", 16 * time.Minute, false, 0},
		// Failures older than the window do not count.
		{"", "admit", 17 * time.Minute, true, 0}, {"", "fail", 17 * time.Minute, false, 0},
		{"new window", "admit", 20 * time.Minute, true, 0}, {"", "fail", 20 * time.Minute, false, 0},
		{"", "admit", 20 * time.Minute, true, 0}, {"", "fail", 20 * time.Minute, false, 0},
		{"", "admit", 21 * time.Minute, true, 0}, {"lockouts in a row were forgotten: 1m again", "fail", 21 * time.Minute, true, 22 * time.Minute},
		// A success resets everything.
		{"reset", "reset", 21 * time.Minute, false, 0},
		// Attempts admitted and not yet failed fill the budget.
		{"in flight 1", "admit", 30 * time.Minute, true, 0}, {"in flight 2", "admit", 30 * time.Minute, true, 0},
		{"in flight 3", "admit", 30 * time.Minute, true, 0}, {"budget full", "admit", 30 * time.Minute, false, 0},
		{"the first of them fails: locked", "fail", 30 * time.Minute, true, 31 * time.Minute},
		{"the others fail during it", "fail", 30 * time.Minute, false, 31 * time.Minute},
	}
	a := store.MFAAttempt{Key: "k"}
	for i, s := range steps {
		var got bool
		switch s.op {
		case "admit":
			a, got = l.Admit(a, at(s.at))
		case "fail":
			a, got = l.Fail(a, at(s.at))
		case "reset":
			a = store.MFAAttempt{Key: "k"}
		}
		wantLocked := time.Time{}
		if s.wantLocked != 0 {
			wantLocked = at(s.wantLocked)
		}
		if got != s.want || !a.LockedUntil.Equal(wantLocked) {
			t.Fatalf("step %d %s %s at +%v: got %v, locked until %v; want %v, locked until %v (record %+v)",
				i, s.name, s.op, s.at, got, a.LockedUntil, s.want, wantLocked, a)
		}
	}
}

// wrongCode returns a code that matches no step near now.
func wrongCode(seed totp.Seed, now time.Time) string {
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		ok := true
		for d := -2; d <= 2; d++ {
			if totp.Code(seed, now.Add(time.Duration(d)*totp.Period)) == c {
				ok = false
			}
		}
		if ok {
			return c
		}
	}
	panic("unreachable")
}

// TestMFALockout drives the lockout through the SDK: after MaxFailures
// wrong codes, the right code is refused, by GetSessionToken and
// AssumeRole alike and for the user's other device; after the lockout it
// works, once.
func TestMFALockout(t *testing.T) {
	const lockout = 700 * time.Millisecond
	e := newEnv(t, func(c *sts.Config) { c.MFA = sts.MFALimits{MaxFailures: 3, Lockout: lockout} })
	alice := e.user(acct, "alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	roleARN := e.role(acct, "admin", trustMFA(acct), 0)
	serial, seed := e.mfa(acct, "alice")
	serial2, seed2 := e.mfa(acct, "alice")
	c := e.sts(alice)
	gst := func(serial, code string) error {
		_, err := c.GetSessionToken(ctx, &awssts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(code)})
		return err
	}
	assume := func(serial, code string) error {
		_, err := c.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("sess"),
			SerialNumber: aws.String(serial), TokenCode: aws.String(code)})
		return err
	}
	wrong := wrongCode(seed, time.Now())
	wantExact(t, "1st wrong code", gst(serial, wrong), msgInvalid)
	wantExact(t, "2nd wrong code (AssumeRole)", assume(serial, wrong), msgInvalid)
	wantExact(t, "3rd wrong code starts the lockout", gst(serial, wrong), msgLockedNow)
	lockedAt := time.Now()
	wantExact(t, "right code during the lockout", gst(serial, totp.Code(seed, time.Now())), msgLocked)
	wantExact(t, "right code during the lockout (AssumeRole)", assume(serial, totp.Code(seed, time.Now())), msgLocked)
	wantExact(t, "the user's other device during the lockout", gst(serial2, totp.Code(seed2, time.Now())), msgLocked)
	if got, want := e.svc.MFAStats(), (sts.MFAStats{Failures: 3, Refused: 3, Lockouts: 1}); got != want {
		t.Errorf("MFAStats: got %+v, want %+v", got, want)
	}

	time.Sleep(time.Until(lockedAt.Add(lockout)))
	code := totp.Code(seed, time.Now())
	if err := assume(serial, code); err != nil {
		t.Fatalf("right code after the lockout: %v", err)
	}
	wantExact(t, "the same code again", gst(serial, code), msgInvalid)
	wantExact(t, "the same code again (AssumeRole)", assume(serial, code), msgInvalid)
	// The success reset the counts: two failures above, a third would lock.
	if err := gst(serial2, totp.Code(seed2, time.Now())); err != nil {
		t.Errorf("other device after the success: %v", err)
	}
}

// trustMFA trusts the account's principals that authenticated with MFA.
func trustMFA(account string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account +
		`:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`
}

func wantExact(t *testing.T, name string, err error, msg string) {
	t.Helper()
	code, got := apiError(err)
	if d := cmp.Diff("AccessDenied "+msg, code+" "+got); d != "" {
		t.Errorf("%s: (-want +got):\n%s", name, d)
	}
}

// TestMFAConcurrentReuse sends one code in many requests at once, half
// to a second service on the same store (another node): exactly one
// wins.
func TestMFAConcurrentReuse(t *testing.T) {
	e := newEnv(t)
	alice := e.user(acct, "alice")
	serial, seed := e.mfa(acct, "alice")
	c := e.sts(alice)
	code := totp.Code(seed, time.Now())
	var wins atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := c.GetSessionToken(ctx, &awssts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(code)})
			if err == nil {
				wins.Add(1)
				return
			}
			if code, msg := apiError(err); code != "AccessDenied" || (msg != msgInvalid && msg != msgLocked && msg != msgLockedNow) {
				t.Errorf("loser: %s %q", code, msg)
			}
		}()
	}
	close(start)
	wg.Wait()
	if got := wins.Load(); got != 1 {
		t.Errorf("concurrent requests with one code: %d won, want 1", got)
	}
}

// TestMFAWithoutCodeTouchesNothing: AssumeRole and GetSessionToken
// without SerialNumber and TokenCode leave the throttle alone.
func TestMFAWithoutCodeTouchesNothing(t *testing.T) {
	e := newEnv(t)
	alice := e.user(acct, "alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	roleARN := e.role(acct, "plain", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acct+`:root"},"Action":"sts:AssumeRole"}]}`, 0)
	c := e.sts(alice)
	_, err := c.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("sess")})
	must(t, err)
	_, err = c.GetSessionToken(ctx, &awssts.GetSessionTokenInput{})
	must(t, err)
	n, err := e.st.MFAAttempts().Prune(ctx, time.Now().Add(24*time.Hour))
	must(t, err)
	if n != 0 {
		t.Errorf("%d MFA attempt records written without a code", n)
	}
}
