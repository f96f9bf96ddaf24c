package policy

import (
	"fmt"
	"unicode/utf8"
)

// Quota names a size limit on policy documents. The values are the names
// AWS uses for them where it has one.
type Quota string

// The policy size quotas (IAM User Guide, "IAM and AWS STS quotas").
const (
	// QuotaManagedPolicy: one managed policy version, 6,144 characters.
	QuotaManagedPolicy Quota = "PolicySize"
	// QuotaTrustPolicy: a role trust policy, 2,048 characters by default
	// (an account may raise it to 8,192).
	QuotaTrustPolicy Quota = "ACLSizePerRole"
	// Aggregate size of all inline policies of one user, group or role.
	QuotaUserInline  Quota = "UserPolicySize"
	QuotaGroupInline Quota = "GroupPolicySize"
	QuotaRoleInline  Quota = "RolePolicySize"
	// QuotaSessionPolicy: the plaintext inline session policy passed to
	// AssumeRole*, GetFederationToken: 2,048 characters.
	QuotaSessionPolicy Quota = "SessionPolicySize"
)

// Default limits, in characters.
const (
	ManagedPolicyLimit      = 6144
	DefaultTrustPolicyLimit = 2048
	UserInlineLimit         = 2048
	GroupInlineLimit        = 5120
	RoleInlineLimit         = 10240
	SessionPolicyLimit      = 2048
)

// LimitError is a policy that is over a size quota. Message is AWS's text
// for it; the wire layer chooses the error code (LimitExceeded for IAM's
// quotas, a validation error for a session policy) from Quota.
type LimitError struct {
	Quota Quota
	Limit int
	Size  int
	// Message is what AWS says, e.g. "Cannot exceed quota for PolicySize: 6144".
	Message string
}

func (e *LimitError) Error() string { return e.Message }

// Size is a document's size as IAM counts it against its quotas: characters
// (not bytes), with the whitespace between JSON tokens not counted.
// Whitespace inside strings counts, since it is part of the policy.
func Size(data []byte) int {
	n := 0
	inString, escaped := false, false
	for i := 0; i < len(data); {
		c := data[i]
		if c >= utf8.RuneSelf {
			_, w := utf8.DecodeRune(data[i:])
			n++
			i += w
			continue
		}
		i++
		switch {
		case inString:
			n++
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			n++
			inString = c == '"'
		}
	}
	return n
}

// CheckManagedPolicySize checks a managed policy version (also a
// permissions boundary) against the 6,144-character quota.
func CheckManagedPolicySize(data []byte) error {
	if n := Size(data); n > ManagedPolicyLimit {
		return &LimitError{Quota: QuotaManagedPolicy, Limit: ManagedPolicyLimit, Size: n,
			Message: fmt.Sprintf("Cannot exceed quota for PolicySize: %d", ManagedPolicyLimit)}
	}
	return nil
}

// CheckTrustPolicySize checks a role trust policy against the account's
// quota; limit <= 0 means the default of 2,048.
func CheckTrustPolicySize(data []byte, limit int) error {
	if limit <= 0 {
		limit = DefaultTrustPolicyLimit
	}
	if n := Size(data); n > limit {
		return &LimitError{Quota: QuotaTrustPolicy, Limit: limit, Size: n,
			Message: fmt.Sprintf("Cannot exceed quota for ACLSizePerRole: %d", limit)}
	}
	return nil
}

// Entity is the kind of IAM identity an inline policy is embedded in.
type Entity string

// The identities that can hold inline policies.
const (
	EntityUser  Entity = "user"
	EntityGroup Entity = "group"
	EntityRole  Entity = "role"
)

// CheckInlinePolicySize checks the aggregate size of an identity's inline
// policies: total is the sum of Size over all of them, the new or updated
// one included. name is the identity's name, which AWS quotes.
func CheckInlinePolicySize(entity Entity, name string, total int) error {
	var q Quota
	var limit int
	switch entity {
	case EntityUser:
		q, limit = QuotaUserInline, UserInlineLimit
	case EntityGroup:
		q, limit = QuotaGroupInline, GroupInlineLimit
	case EntityRole:
		q, limit = QuotaRoleInline, RoleInlineLimit
	default:
		return fmt.Errorf("policy: unknown entity %q", entity)
	}
	if total > limit {
		return &LimitError{Quota: q, Limit: limit, Size: total,
			Message: fmt.Sprintf("Maximum policy size of %d bytes exceeded for %s %s", limit, entity, name)}
	}
	return nil
}

// CheckSessionPolicySize checks an inline session policy. STS limits the
// plaintext as sent, whitespace included (it is a length constraint on the
// Policy parameter), so this counts every character.
func CheckSessionPolicySize(data []byte) error {
	if n := utf8.RuneCount(data); n > SessionPolicyLimit {
		return &LimitError{Quota: QuotaSessionPolicy, Limit: SessionPolicyLimit, Size: n,
			Message: fmt.Sprintf("1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to %d", SessionPolicyLimit)}
	}
	return nil
}
