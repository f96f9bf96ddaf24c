package policy

import "strings"

// PrincipalKind is the kind of principal making a request. It decides which
// Principal elements name it, which policy types limit it, and the value of
// aws:PrincipalType.
type PrincipalKind uint8

// The principal kinds Brevet evaluates.
const (
	// Anonymous: an unsigned request. Only "*" names it.
	Anonymous PrincipalKind = iota
	// Root: the account root user.
	Root
	// IAMUser: an IAM user signing with its own access key.
	IAMUser
	// Role: an IAM role acting as itself (rare; requests are normally made
	// by a session of the role).
	Role
	// AssumedRole: a role session (AssumeRole*). Caller.ARN is the session
	// ARN, Caller.SessionIssuer the role ARN.
	AssumedRole
	// FederatedUser: a GetFederationToken session. Caller.ARN is the
	// federated-user ARN, Caller.SessionIssuer the IAM user's ARN.
	FederatedUser
	// WebIdentity: a caller authenticated by an OIDC provider (the caller of
	// AssumeRoleWithWebIdentity). Caller.Provider names the provider.
	WebIdentity
	// SAMLUser: a caller authenticated by a SAML provider (the caller of
	// AssumeRoleWithSAML). Caller.Provider is the provider's ARN.
	SAMLUser
	// Service: an AWS service principal. Caller.ARN is its name, for
	// example "lambda.amazonaws.com".
	Service
)

var principalKindNames = [...]string{
	Anonymous: "Anonymous", Root: "Root", IAMUser: "IAMUser", Role: "Role",
	AssumedRole: "AssumedRole", FederatedUser: "FederatedUser",
	WebIdentity: "WebIdentity", SAMLUser: "SAMLUser", Service: "Service",
}

func (k PrincipalKind) String() string {
	if int(k) < len(principalKindNames) {
		return principalKindNames[k]
	}
	return "Unknown"
}

// ParsePrincipalKind returns the kind named by String, case-insensitively.
func ParsePrincipalKind(s string) (PrincipalKind, bool) {
	for k, name := range principalKindNames {
		if strings.EqualFold(name, s) {
			return PrincipalKind(k), true
		}
	}
	return 0, false
}

// awsPrincipalType is the value of aws:PrincipalType for each kind.
var awsPrincipalType = [...]string{
	Anonymous: "Anonymous", Root: "Account", IAMUser: "User", Role: "AssumedRole",
	AssumedRole: "AssumedRole", FederatedUser: "FederatedUser",
	WebIdentity: "WebIdentityUser", SAMLUser: "SAMLUser", Service: "Service",
}

// isSession reports whether the kind is a session principal, whose
// permissions are limited by session policies.
func (k PrincipalKind) isSession() bool { return k == AssumedRole || k == FederatedUser }

// hasIdentityPolicies reports whether principals of this kind have
// identity-based policies at all (and so whether "no identity-based policy
// allows" is the right explanation of an implicit deny).
func (k PrincipalKind) hasIdentityPolicies() bool {
	return k == IAMUser || k == Role || k == AssumedRole || k == FederatedUser
}

// Caller is the principal making a request.
type Caller struct {
	Kind PrincipalKind
	// ARN of the principal: user, role, session (assumed-role or
	// federated-user) or root ARN; a service principal's name for Service.
	ARN string
	// Account is the principal's account id; empty for Anonymous, Service,
	// WebIdentity and SAMLUser.
	Account string
	// SessionIssuer is the ARN of the entity a session was made from: the
	// role ARN (with its path) for AssumedRole, the IAM user ARN for
	// FederatedUser. A Principal naming it grants to every session of it.
	SessionIssuer string
	// SessionIssuerID is the unique id (AROA... or AIDA...) of
	// SessionIssuer. A trust policy binds the principals it names to
	// unique ids when it is saved (Binding): a bound role matches the
	// sessions of the role with this id only.
	SessionIssuerID string
	// Provider is the identity provider for WebIdentity and SAMLUser:
	// "accounts.google.com", "cognito-identity.amazonaws.com", or an
	// oidc-provider/saml-provider ARN.
	Provider string
	// UserName and UserID are the values of aws:username (IAM users only)
	// and aws:userid.
	UserName string
	// For an IAM user (and a role calling as itself) UserID is its unique
	// id, which a bound principal must equal.
	UserID string
}

// Request is one authorization question: may Caller perform Action on
// Resource? It is built per request, so it is a plain struct the server can
// fill without allocating, and the evaluator only reads it.
type Request struct {
	Caller Caller
	// Action is "service:Operation", matched case-insensitively.
	Action string
	// Resource is an ARN (or "*" for actions without a resource).
	Resource string
	// ResourceAccount is the account that owns the resource; empty means
	// the caller's own account.
	ResourceAccount string
	// Context holds the request's condition keys.
	Context Context
}

// Context is the request context: condition keys, each with one or more
// string values. Keys are matched case-insensitively, as AWS does, without
// allocating. Build it with Add; Reset keeps the storage for reuse.
//
// Dates (aws:CurrentTime) are ISO 8601 text or epoch seconds, binary values
// are base64 text, booleans "true"/"false": the evaluator converts them as
// each operator needs.
type Context struct {
	entries []contextEntry
	vals    []string
}

type contextEntry struct {
	key    string
	lo, hi int32
	ascii  bool
}

// Add sets key to values. A key added with no values is present but empty
// (the null data set for ForAllValues/ForAnyValue); add each key once.
func (c *Context) Add(key string, values ...string) {
	lo := int32(len(c.vals))
	c.vals = append(c.vals, values...)
	c.entries = append(c.entries, contextEntry{key: key, lo: lo, hi: int32(len(c.vals)), ascii: isASCII(key)})
}

// Reset empties the context and keeps its storage.
func (c *Context) Reset() {
	c.entries = c.entries[:0]
	c.vals = c.vals[:0]
}

// Lookup returns the values of key, matched case-insensitively.
func (c *Context) Lookup(key string) ([]string, bool) {
	// Condition key names are nearly always ASCII: then a length mismatch
	// settles a comparison at once, and folding is a byte operation.
	// Other keys get Unicode case folding.
	ascii := isASCII(key)
	for i := range c.entries {
		e := &c.entries[i]
		if ascii && e.ascii {
			if len(e.key) != len(key) || !equalFoldASCII(e.key, key) {
				continue
			}
		} else if !strings.EqualFold(e.key, key) {
			continue
		}
		return c.vals[e.lo:e.hi:e.hi], true
	}
	return nil, false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Keys returns the keys in the order they were added.
func (c *Context) Keys() []string {
	keys := make([]string, len(c.entries))
	for i, e := range c.entries {
		keys[i] = e.key
	}
	return keys
}

// values is the value set of one key: either a slice from the Context or a
// single value derived from the Caller, so no lookup allocates.
type values struct {
	many  []string
	one   string
	multi bool
}

func (v values) len() int {
	if v.multi {
		return len(v.many)
	}
	return 1
}

func (v values) at(i int) string {
	if v.multi {
		return v.many[i]
	}
	return v.one
}

// env is what a statement is evaluated against.
type env struct {
	req *Request
	// The request's resource split into ARN components, computed on first
	// use and shared by every statement.
	resParts [arnParts]string
	resState uint8 // 0: not split yet, 1: an ARN, 2: not an ARN
}

// resourceParts returns the request's resource as ARN components.
func (e *env) resourceParts() (*[arnParts]string, bool) {
	if e.resState == 0 {
		e.resState = 2
		if splitARN(e.req.Resource, &e.resParts) {
			e.resState = 1
		}
	}
	return &e.resParts, e.resState == 1
}

// lookup returns a condition key's values. The request context wins; keys
// that describe the caller are derived from Request.Caller when the context
// does not carry them.
func (e *env) lookup(key string) (values, bool) {
	if vs, ok := e.req.Context.Lookup(key); ok {
		return values{many: vs, multi: true}, true
	}
	if len(key) < 4 || !strings.EqualFold(key[:4], "aws:") {
		return values{}, false
	}
	c := &e.req.Caller
	one := func(s string) (values, bool) { return values{one: s}, s != "" }
	switch name := key[4:]; {
	case strings.EqualFold(name, "username"):
		if c.Kind == IAMUser {
			return one(c.UserName)
		}
	case strings.EqualFold(name, "userid"):
		return one(c.UserID)
	case strings.EqualFold(name, "PrincipalAccount"):
		return one(c.Account)
	case strings.EqualFold(name, "PrincipalType"):
		if int(c.Kind) < len(awsPrincipalType) {
			return one(awsPrincipalType[c.Kind])
		}
	case strings.EqualFold(name, "PrincipalArn"):
		// For a role session this is the role's ARN, not the session's.
		switch c.Kind {
		case AssumedRole:
			return one(c.SessionIssuer)
		case IAMUser, Role, FederatedUser, Root:
			return one(c.ARN)
		}
	case strings.EqualFold(name, "PrincipalServiceName"):
		if c.Kind == Service {
			return one(c.ARN)
		}
	case strings.EqualFold(name, "ResourceAccount"):
		if e.req.ResourceAccount != "" {
			return one(e.req.ResourceAccount)
		}
		return one(c.Account)
	}
	return values{}, false
}
