package sts

import (
	"errors"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/identity"
)

// ConsoleContextKey is the condition key every console session carries
// in its request context, with the value "true": the audit trail marks
// the session's requests (sessionCredentialFromConsole, as CloudTrail
// does), and a policy may test it ("Bool": {"brevet:ViaConsole":
// "true"}). No caller can set it.
const ConsoleContextKey = identity.ConsoleContextKey

// MaxConsoleSession bounds a console session (AWS's console sessions of
// IAM users last at most 12 hours).
const MaxConsoleSession = 12 * time.Hour

// ConsoleSession mints the session an IAM user works in after signing in
// to the console with a password (and MFA, verified at mfaAt; the zero
// time for none): the user's own permissions, like a GetSessionToken
// session, marked as the console's. Its MFA dates from the sign-in, not
// from now: a browser starts several console sessions from one sign-in,
// and aws:MultiFactorAuthAge must not start again with each. It has no
// parent key: the password, not a key, made it. The caller audits it as
// a ConsoleLogin through the pipeline.
func (s *Service) ConsoleSession(p *identity.Principal, mfaAt time.Time, d time.Duration, now time.Time) (*stsapi.Credentials, credential.Claims, error) {
	if p == nil || p.Type != identity.IAMUser || p.Session != nil {
		return nil, credential.Claims{}, errors.New("sts: a console session is made for an IAM user")
	}
	if d <= 0 || d > MaxConsoleSession {
		d = MaxConsoleSession
	}
	c := credential.Claims{
		AccountID: p.Account, PrincipalType: credential.SessionUser,
		PrincipalARN: p.CallerARN, PrincipalID: p.PrincipalID, SessionARN: p.CallerARN,
		IssuedAt: now, Expires: now.Add(d), MFAAuthenticated: !mfaAt.IsZero(),
		RequestContext: []credential.ContextKey{{Key: ConsoleContextKey, Value: "true"}},
	}
	if c.MFAAuthenticated {
		c.MFAAuthTime = mfaAt
		if mfaAt.After(now) {
			c.MFAAuthTime = now
		}
	}
	creds, _, claims, err := s.mint(c)
	if err != nil {
		return nil, credential.Claims{}, err
	}
	return creds, claims, nil
}
