package sts

import (
	"context"
	"errors"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
)

// VerifyUserMFA checks a TOTP code of one of an IAM user's virtual MFA
// devices, for the SSO sign-in page (docs/sso.md), with the rules
// GetSessionToken's codes follow: attempts are throttled per device and
// per user (MFALimits), and a code works once on every node (the device's
// step advances with a compare-and-set). It returns false and no error
// when the user has no MFA device, true when the code verified, and an
// *AccessDeniedError for a wrong, replayed or locked-out code. An empty
// code is checked against nothing and counts no attempt: the sign-in page
// asks with it whether the user has a device at all (an error: it has).
// userName is matched as IAM matches names (case-insensitively).
func (s *Service) VerifyUserMFA(ctx context.Context, account, userName, code string, now time.Time) (used bool, err error) {
	devs, err := s.store.MFADevices().ListForUser(ctx, account, userName)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	if len(devs) == 0 {
		return false, nil
	}
	if code == "" {
		return false, &AccessDeniedError{Message: msgMFAInvalidCode}
	}
	keys := make([]string, 0, len(devs)+1)
	for _, d := range devs {
		keys = append(keys, "device:"+d.SerialNumber)
	}
	keys = append(keys, userMFAKey(account, userName))
	return s.checkMFACode(ctx, devs, keys, code, now)
}
