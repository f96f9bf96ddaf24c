// Package identity is the authenticated caller of a request: who signed it,
// with which key, and, for temporary credentials, the session claims the
// token carried.
//
// The authenticator makes a Principal; the authorizer, the STS and IAM
// services and the audit trail read it. It holds facts, not decisions: what
// the caller may do is the policy engine's business, and nothing here does
// I/O.
package identity

import (
	"github.com/brevet-dev/brevet/internal/credential"
)

// Type is the caller's kind, named as CloudTrail names userIdentity.type.
type Type string

// The kinds of caller.
const (
	// Unknown: the request was not authenticated (an unsigned action such
	// as AssumeRoleWithWebIdentity before its assertion is verified, or a
	// failed signature).
	Unknown Type = "Unknown"
	// Root: the account's root user (Brevet's bootstrap never creates root
	// keys, but imported or future flows may).
	Root Type = "Root"
	// IAMUser: a long-term access key of an IAM user, or a GetSessionToken
	// session of that user.
	IAMUser Type = "IAMUser"
	// AssumedRole: a session of a role (AssumeRole, and the web-identity
	// and SAML variants once the session is in use).
	AssumedRole Type = "AssumedRole"
	// FederatedUser: a GetFederationToken session.
	FederatedUser Type = "FederatedUser"
	// WebIdentityUser and SAMLUser: the caller of AssumeRoleWithWebIdentity
	// or AssumeRoleWithSAML, identified by its verified assertion.
	WebIdentityUser Type = "WebIdentityUser"
	SAMLUser        Type = "SAMLUser"
)

// Principal is who made a request.
type Principal struct {
	Type Type
	// Account is the 12-digit account the caller acts in.
	Account string
	// CallerARN is the ARN the caller acts as, what GetCallerIdentity
	// returns: the user ARN, the assumed-role session ARN
	// (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION), the federated-user
	// ARN, or arn:aws:iam::ACCOUNT:root.
	CallerARN string
	// PrincipalID is CloudTrail's principalId and GetCallerIdentity's
	// UserId: AIDA… for a user, AROA…:SESSION for a role session,
	// ACCOUNT:NAME for a federated user, the account id for root.
	PrincipalID string
	// AccessKeyID is the key that signed the request (AKIA… or ASIA…).
	AccessKeyID string

	// UserName and UserID name the IAM user for IAMUser callers (long-term
	// keys and GetSessionToken sessions) and the user that called
	// GetFederationToken for FederatedUser callers.
	UserName string
	UserID   string

	// Session is the sealed token's claims when the request was signed
	// with temporary credentials; nil for long-term keys.
	Session *credential.Claims
}

// ARN returns CallerARN; it makes a Principal an request.Principal.
func (p *Principal) ARN() string {
	if p == nil {
		return ""
	}
	return p.CallerARN
}

// Temporary reports whether the request was signed with temporary
// credentials.
func (p *Principal) Temporary() bool { return p != nil && p.Session != nil }

// MFAAuthenticated reports whether the caller authenticated with MFA, the
// value of aws:MultiFactorAuthPresent. Long-term keys never are.
func (p *Principal) MFAAuthenticated() bool {
	return p.Temporary() && p.Session.MFAAuthenticated
}

// ConsoleContextKey is the condition key every console session carries
// in its request context (credential.Claims.RequestContext) with the
// value "true" (internal/console, sts.ConsoleSession). No caller can set
// it: the issuing service seals it into the token.
const ConsoleContextKey = "brevet:ViaConsole"

// ViaConsole reports whether the request was made with a console
// session's credentials: the audit trail marks it
// (sessionCredentialFromConsole), as CloudTrail marks the management
// console's calls.
func (p *Principal) ViaConsole() bool {
	if !p.Temporary() {
		return false
	}
	for _, k := range p.Session.RequestContext {
		if k.Key == ConsoleContextKey {
			return k.Value == "true"
		}
	}
	return false
}
