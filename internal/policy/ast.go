package policy

// The types in this file are the policy document as written: what Parse
// returns and what Print writes back. They keep every element a user may
// write, and nothing derived; Compile turns them into the evaluable form.

// Policy language versions. 2008-10-17 predates policy variables: under it
// "${...}" is literal text.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Effect is a statement's Effect element.
type Effect string

// The two effects a statement may have.
const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Document is one parsed policy document.
type Document struct {
	// Version is "" when the document has no Version element (AWS then
	// treats it as 2008-10-17).
	Version string
	ID      string
	// Statements in document order. StatementIsObject records that the
	// document wrote Statement as a single object rather than an array, so
	// Print can write it back the same way.
	Statements        []Statement
	StatementIsObject bool
}

// Statement is one element of a document's Statement.
//
// Optional elements are nil when absent. A present but empty array is a
// non-nil empty slice, because AWS treats the two differently in validation.
type Statement struct {
	Sid          string
	HasSid       bool
	Effect       Effect
	Principal    *Principal
	NotPrincipal *Principal
	Action       Values
	NotAction    Values
	Resource     Values
	NotResource  Values
	Condition    []Condition
	// HasCondition is true when the statement had a Condition element, even
	// an empty one.
	HasCondition bool
}

// Values is an element that AWS allows as a string or an array of strings.
type Values []string

// Principal is a Principal or NotPrincipal element: either the bare
// wildcard "*" or a map from principal type to values.
type Principal struct {
	// Wildcard is true for `"Principal": "*"`.
	Wildcard bool
	// Types maps "AWS", "Federated", "Service" or "CanonicalUser" to its
	// values, in the order written.
	Types []PrincipalEntry
}

// PrincipalEntry is one principal type and its values.
type PrincipalEntry struct {
	Type   string
	Values Values
}

// Condition is one (operator, key) pair of a Condition block with its values.
// Values are kept as the text written; JSON numbers and booleans are
// converted to their literal text ("10", "true").
type Condition struct {
	// Operator as written, for example "ForAnyValue:StringLikeIfExists".
	Operator string
	Key      string
	Values   []string
}

// Type says what a document is used as. Validation rules and size limits
// differ by type, and a Decision names the type that allowed, denied or
// lacked an allow.
type Type int

// The policy types Brevet evaluates.
const (
	// TypeIdentity: attached to a user, group or role (managed or inline).
	TypeIdentity Type = iota + 1
	// TypeResource: attached to a resource; names principals.
	TypeResource
	// TypeTrust: a role's trust policy (a resource policy on the role that
	// governs sts:AssumeRole*).
	TypeTrust
	// TypeSession: passed with AssumeRole*/GetFederationToken (Policy or
	// PolicyArns).
	TypeSession
	// TypeBoundary: a permissions boundary on a user or role.
	TypeBoundary
)

func (t Type) String() string {
	switch t {
	case TypeIdentity:
		return "IdentityBasedPolicy"
	case TypeResource:
		return "ResourceBasedPolicy"
	case TypeTrust:
		return "TrustPolicy"
	case TypeSession:
		return "SessionPolicy"
	case TypeBoundary:
		return "PermissionsBoundaryPolicy"
	}
	return "UnknownPolicyType"
}
