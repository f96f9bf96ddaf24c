package sts

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/brevet-dev/brevet/internal/credential/totp"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/store"
)

// Defaults of MFALimits.
const (
	DefaultMFAMaxFailures = 5
	DefaultMFALockout     = time.Minute
	DefaultMFAMaxLockout  = 15 * time.Minute
)

// msgMFALocked answers an MFA attempt refused, without its code being
// checked, because the device or the user is locked out.
// msgMFALockedNow follows msgMFAInvalidCode on the failure that starts a
// lockout. Both name the lockout, so that it shows in the audit trail's
// errorMessage; neither says anything of a code not checked.
const (
	msgMFALocked    = "MultiFactorAuthentication failed: too many invalid MFA one time pass codes, MFA is locked out for this device and user. Try again later."
	msgMFALockedNow = "Too many invalid MFA one time pass codes: MFA is now locked out for this device and user."
)

// MFALimits throttles guesses of MFA codes, per device and per user, in
// the store, so that every node of a cluster counts together and a
// restart forgets nothing. An attempt is counted as failed when it is
// admitted and uncounted only by a success, so that concurrent guesses
// cannot slip past the count. After MaxFailures failures within
// MaxLockout, attempts are refused without checking the code for
// Lockout, doubled for each further lockout in a row up to MaxLockout; a
// success resets both counts, and MaxLockout without a failure forgets
// them.
type MFALimits struct {
	MaxFailures int
	Lockout     time.Duration
	MaxLockout  time.Duration
}

func (l MFALimits) withDefaults() MFALimits {
	if l.MaxFailures <= 0 {
		l.MaxFailures = DefaultMFAMaxFailures
	}
	if l.Lockout <= 0 {
		l.Lockout = DefaultMFALockout
	}
	if l.MaxLockout <= 0 {
		l.MaxLockout = DefaultMFAMaxLockout
	}
	l.MaxLockout = max(l.MaxLockout, l.Lockout)
	return l
}

// Admit decides whether an attempt on a's key may have its code checked
// at now, and returns the record with the attempt counted (as a failure,
// until Reset) if so. It refuses while a lockout lasts, and while
// MaxFailures attempts of the window are counted (failed or still being
// checked).
func (l MFALimits) Admit(a store.MFAAttempt, now time.Time) (store.MFAAttempt, bool) {
	if now.Before(a.LockedUntil) {
		return a, false
	}
	if !a.Expires.IsZero() && !now.Before(a.Expires) {
		a = store.MFAAttempt{Key: a.Key} // forgotten
	}
	if a.WindowStart.IsZero() || now.Sub(a.WindowStart) >= l.MaxLockout {
		a.Failures, a.WindowStart = 0, now
	}
	if a.Failures >= l.MaxFailures {
		return a, false
	}
	a.Failures++
	a.Expires = l.expires(a)
	return a, true
}

// Fail records at now that an admitted attempt failed, and reports
// whether that started a lockout: it does when the attempt's window
// holds MaxFailures failures and no lockout is running.
func (l MFALimits) Fail(a store.MFAAttempt, now time.Time) (store.MFAAttempt, bool) {
	if now.Before(a.LockedUntil) || a.Failures < l.MaxFailures {
		return a, false
	}
	a.Lockouts++
	a.LockedUntil = now.Add(l.backoff(a.Lockouts))
	a.Failures, a.WindowStart = 0, now
	a.Expires = l.expires(a)
	return a, true
}

// backoff is the length of the n-th lockout in a row.
func (l MFALimits) backoff(n int) time.Duration {
	d := l.Lockout
	for i := 1; i < n && d < l.MaxLockout; i++ {
		d *= 2
	}
	return min(d, l.MaxLockout)
}

// expires is when a record may be forgotten: MaxLockout after its window
// starts or its lockout ends, whichever is later.
func (l MFALimits) expires(a store.MFAAttempt) time.Time {
	t := a.WindowStart
	if a.LockedUntil.After(t) {
		t = a.LockedUntil
	}
	return t.Add(l.MaxLockout)
}

// MFAStats counts MFA attempts that did not succeed, for metrics.
type MFAStats struct {
	// Failures are codes checked and refused: wrong, or already used.
	Failures uint64
	// Refused are attempts refused, their codes unchecked, during a
	// lockout.
	Refused uint64
	// Lockouts are lockouts started.
	Lockouts uint64
}

type mfaCounters struct{ failures, refused, lockouts atomic.Uint64 }

// MFAStats returns the service's counts since it started.
func (s *Service) MFAStats() MFAStats {
	return MFAStats{Failures: s.mfaStats.failures.Load(), Refused: s.mfaStats.refused.Load(), Lockouts: s.mfaStats.lockouts.Load()}
}

// mfaKeys are the keys an attempt of p with the device serial is counted
// under: the device, and the user (who may own several devices).
func mfaKeys(p *identity.Principal, serial string) []string {
	return []string{"device:" + serial, userMFAKey(p.Account, p.UserName)}
}

// userMFAKey is the throttle's key of an IAM user, whichever device.
func userMFAKey(account, user string) string { return "user:" + account + ":" + iam.NameKey(user) }

// admitMFA counts an attempt under every key, or refuses it while any
// key is locked out.
func (s *Service) admitMFA(ctx context.Context, keys []string, now time.Time) error {
	for _, k := range keys {
		var ok bool
		if _, err := s.store.MFAAttempts().Update(ctx, k, func(a store.MFAAttempt) store.MFAAttempt {
			a, ok = s.mfaLimits.Admit(a, now)
			return a
		}); err != nil {
			return err
		}
		if !ok {
			s.mfaStats.refused.Add(1)
			return &AccessDeniedError{Message: msgMFALocked}
		}
	}
	return nil
}

// failMFA records a refused code under every key and returns the answer:
// AWS's, with a word on the lockout if this failure started one.
func (s *Service) failMFA(ctx context.Context, keys []string, now time.Time) error {
	s.mfaStats.failures.Add(1)
	locked := false
	for _, k := range keys {
		var started bool
		if _, err := s.store.MFAAttempts().Update(ctx, k, func(a store.MFAAttempt) store.MFAAttempt {
			a, started = s.mfaLimits.Fail(a, now)
			return a
		}); err != nil {
			// The attempt was counted when admitted; only the lockout's
			// start is lost, and admission still refuses a full window.
			continue
		}
		locked = locked || started
	}
	if locked {
		s.mfaStats.lockouts.Add(1)
		return &AccessDeniedError{Message: msgMFAInvalidCode + msgMFALockedNow}
	}
	return &AccessDeniedError{Message: msgMFAInvalidCode}
}

// checkMFACode admits an attempt under keys, checks code against each of
// devs in turn, and consumes the step of the first it matches. A code no
// device takes, or one whose step was used meanwhile (here or on another
// node), is a failure under every key.
func (s *Service) checkMFACode(ctx context.Context, devs []iam.VirtualMFADevice, keys []string, code string, now time.Time) (bool, error) {
	if err := s.admitMFA(ctx, keys, now); err != nil {
		return false, err
	}
	for _, dev := range devs {
		plain, err := s.secrets.Open(dev.SeedCiphertext, MFASeedPurpose(dev.SerialNumber))
		if err != nil {
			return false, err
		}
		seed, err := totp.SeedFromBytes(plain)
		clear(plain)
		if err != nil {
			return false, err
		}
		step, err := totp.Verify(seed, code, now, dev.LastStep)
		if err != nil {
			continue
		}
		if err := s.store.MFADevices().AdvanceStep(ctx, dev.SerialNumber, step); err != nil {
			if errors.Is(err, store.ErrConflict) {
				break // used meanwhile: a replay
			}
			return false, err
		}
		if err := s.store.MFAAttempts().Reset(ctx, keys...); err != nil {
			return false, err
		}
		return true, nil
	}
	return false, s.failMFA(ctx, keys, now)
}
