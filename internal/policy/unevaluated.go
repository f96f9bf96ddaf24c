package policy

import "strings"

// AWS performs a few actions without evaluating any policy: who the caller
// is decides, and no Allow is needed nor Deny obeyed. Brevet's STS handlers
// for them skip authorization (internal/sts, Handler.SkipAuthorization);
// tools that explain decisions, such as `brevet policy eval`, ask
// Unevaluated first so that they answer as the server does.

// Reasons of the decisions on unevaluated actions.
const (
	reasonCallerIdentity      = "sts:GetCallerIdentity is allowed to every authenticated caller: no policy can deny it"
	reasonCallerIdentityAnon  = "sts:GetCallerIdentity needs a request signed with the credentials of an IAM user, a role session, a federated user or the root user"
	reasonSessionToken        = "sts:GetSessionToken needs no permissions: policies cannot allow or deny it (IAM User Guide, Permissions for GetSessionToken)"
	reasonSessionTokenRefused = "sts:GetSessionToken can be called only by IAM users and the account root user, not with session credentials"
)

// Unevaluated reports whether AWS decides action for c without evaluating
// any policy, and if so returns the decision, which lists no statement:
//
//   - sts:GetCallerIdentity is allowed to every caller with credentials,
//     whatever its policies say, and to no one else;
//   - sts:GetSessionToken is allowed to IAM users and the root user,
//     whatever their policies say, and refused to sessions and others.
//
// Action names are compared case-insensitively, as in policies.
func Unevaluated(c *Caller, action string) (Decision, bool) {
	switch {
	case strings.EqualFold(action, "sts:GetCallerIdentity"):
		if c.Kind.hasAccount() {
			return Decision{Outcome: Allowed, Reason: reasonCallerIdentity}, true
		}
		return Decision{Outcome: ImplicitlyDenied, Reason: reasonCallerIdentityAnon}, true
	case strings.EqualFold(action, "sts:GetSessionToken"):
		if c.Kind == IAMUser || c.Kind == Root {
			return Decision{Outcome: Allowed, Reason: reasonSessionToken}, true
		}
		return Decision{Outcome: ImplicitlyDenied, Reason: reasonSessionTokenRefused}, true
	}
	return Decision{}, false
}
