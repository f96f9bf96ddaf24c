package policy

import "fmt"

// Outcome is the result of evaluating a request.
type Outcome uint8

// The three outcomes AWS distinguishes.
const (
	// ImplicitlyDenied: no explicit deny, but a required allow is missing.
	// It is the zero value, so an unfilled Decision denies.
	ImplicitlyDenied Outcome = iota
	// Allowed: every policy type that must allow did.
	Allowed
	// ExplicitlyDenied: a Deny statement matched.
	ExplicitlyDenied
)

var outcomeNames = [...]string{
	ImplicitlyDenied: "ImplicitlyDenied",
	Allowed:          "Allowed",
	ExplicitlyDenied: "ExplicitlyDenied",
}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "Unknown"
}

// MarshalText writes the outcome's name, so decisions read well as JSON.
func (o Outcome) MarshalText() ([]byte, error) {
	if int(o) >= len(outcomeNames) {
		return nil, fmt.Errorf("policy: invalid outcome %d", o)
	}
	return []byte(o.String()), nil
}

// UnmarshalText reads an outcome written by MarshalText.
func (o *Outcome) UnmarshalText(b []byte) error {
	for i, name := range outcomeNames {
		if string(b) == name {
			*o = Outcome(i)
			return nil
		}
	}
	return fmt.Errorf("policy: unknown outcome %q", b)
}

// MarshalText writes the policy type's name ("IdentityBasedPolicy", ...).
func (t Type) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads a policy type written by MarshalText.
func (t *Type) UnmarshalText(b []byte) error {
	for c := TypeIdentity; c <= TypeBoundary; c++ {
		if string(b) == c.String() {
			*t = c
			return nil
		}
	}
	return fmt.Errorf("policy: unknown policy type %q", b)
}

// Decision is the answer to a Request, and why.
//
// It is shaped for the callers that explain decisions (the encoded
// authorization message of an AccessDenied, the policy simulator, audit
// events): plain fields, JSON-friendly names, no pointers into the engine.
type Decision struct {
	Outcome Outcome `json:"decision"`
	// Matched lists every statement that applied to the request (action,
	// resource, principal and conditions all matched), in evaluation order:
	// identity-based policies, permissions boundaries, session policies,
	// then the resource-based or trust policy.
	Matched []MatchedStatement `json:"matchedStatements"`
	// MissingAllow is, for an implicit deny, the policy type that lacked a
	// required allow; zero otherwise, and for the denials of Unevaluated,
	// which no policy could turn into an allow.
	MissingAllow Type `json:"missingAllow,omitempty"`
	// DeniedBy is, for an explicit deny, the type of the first policy whose
	// Deny matched; zero otherwise.
	DeniedBy Type `json:"deniedBy,omitempty"`
	// Reason is one sentence for people, such as "no identity-based policy
	// allows the action".
	Reason string `json:"reason"`
}

// MatchedStatement identifies one statement that applied to a request.
type MatchedStatement struct {
	Policy     string `json:"policy"`
	PolicyType Type   `json:"policyType"`
	// Sid is the statement's Sid; empty when it has none, in which case
	// Index identifies it.
	Sid    string `json:"sid,omitempty"`
	Index  int    `json:"statementIndex"`
	Effect Effect `json:"effect"`
}

// Reasons, one constant per explanation so that filling a Decision never
// allocates.
const (
	reasonIdentityAllows             = "allowed by an identity-based policy"
	reasonResourceAllows             = "allowed by a resource-based policy that names the principal"
	reasonResourceAllowsAll          = `allowed by a resource-based policy that allows every principal ("*")`
	reasonResourceAllowsNotPrincipal = "allowed by a resource-based policy whose NotPrincipal does not list the principal"
	reasonCrossAccount               = "allowed by both the identity-based policies and the resource-based policy (cross-account)"
	reasonRootUser                   = "the account root user has every permission in its own account"
	reasonNoIdentityAllow            = "no identity-based policy allows the action"
	reasonNoResourceAllow            = "no resource-based policy allows the action for this principal"
	reasonNoCrossAccount             = "cross-account access needs an allow in the resource-based policy, and none names this principal"
	reasonNoTrustAllow               = "the role's trust policy does not allow this principal"
	reasonBoundaryNotAllow           = "the permissions boundary does not allow the action"
	reasonSessionNotAllow            = "the session policy does not allow the action"
	reasonNoSessionPolicy            = "a federated user session has only the permissions its session policy allows, and it has none"
	reasonDeniedIdentity             = "explicitly denied by an identity-based policy"
	reasonDeniedResource             = "explicitly denied by a resource-based policy"
	reasonDeniedTrust                = "explicitly denied by the role's trust policy"
	reasonDeniedBoundary             = "explicitly denied by the permissions boundary"
	reasonDeniedSession              = "explicitly denied by a session policy"
	reasonDeniedUnknownTypes         = "explicitly denied"
)

func deniedReason(t Type) string {
	switch t {
	case TypeIdentity:
		return reasonDeniedIdentity
	case TypeResource:
		return reasonDeniedResource
	case TypeTrust:
		return reasonDeniedTrust
	case TypeBoundary:
		return reasonDeniedBoundary
	case TypeSession:
		return reasonDeniedSession
	}
	return reasonDeniedUnknownTypes
}
