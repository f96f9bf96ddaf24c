package policy

import "strings"

// Principal matching for resource-based and trust policies
// (reference_policies_elements_principal and _notprincipal in the IAM User
// Guide).

// grant says how directly a resource policy's Principal names the caller.
// It decides which implicit denies the resource policy's Allow overrides in
// the resource's own account (reference_policies_evaluation-logic,
// "Resource-based policies").
type grant uint8

const (
	grantNone grant = iota
	// grantAccount: the principal's account ("123456789012" or
	// arn:aws:iam::123456789012:root). That delegates to the account, whose
	// identity-based policies must then allow.
	grantAccount
	// grantEntity: the role a session was made from, the IAM user a
	// federated user session was made from, a role itself, "*" or a
	// NotPrincipal that does not list the caller. The Allow adds to the
	// identity-based policies but is still limited by the permissions
	// boundary and session policies.
	grantEntity
	// grantDirect: the IAM user itself, the session itself (assumed-role or
	// federated-user ARN), a federated identity provider or a service
	// principal. Within the account no implicit deny limits it.
	grantDirect
)

// matchedBy says how a statement's principal element matched the caller,
// for the decision's reason.
type matchedBy uint8

const (
	byName         matchedBy = iota // Principal lists the caller, its role or user, or its account
	byWildcard                      // Principal "*"
	byNotPrincipal                  // NotPrincipal does not list the caller
)

// Binding ties a principal ARN written in a trust or resource policy to
// the unique id of the IAM user or role it named when the policy was saved
// (a role session ARN is bound through its role). AWS does the same, so
// that deleting a principal and making another of the same name does not
// hand the new one the old one's access.
type Binding struct {
	ARN string // as written in the policy
	// ID is AIDA... or AROA..., or "" for a principal that named no one
	// when it was bound: it then matches no one.
	ID string
}

// principalSet is a compiled Principal or NotPrincipal element.
type principalSet struct {
	any       bool     // "*" or {"AWS": "*"}
	accounts  []string // account ids, from "123456789012" or ...:root
	arns      []string // unbound user, role, assumed-role and federated-user ARNs
	ids       []string // unique ids of users and roles: bound ARNs, and ids written as such
	sessions  []Binding
	federated []string
	services  []string
	canonical []string
}

func compilePrincipal(p *Principal, bound []Binding) *principalSet {
	if p == nil {
		return nil
	}
	ps := &principalSet{any: p.Wildcard}
	for _, e := range p.Types {
		for _, v := range e.Values {
			switch {
			case e.Type == "AWS" && v == "*":
				ps.any = true
			case e.Type == "AWS":
				ps.addAWS(v, bound)
			case e.Type == "Federated":
				ps.federated = append(ps.federated, v)
			case e.Type == "Service":
				ps.services = append(ps.services, v)
			case e.Type == "CanonicalUser":
				ps.canonical = append(ps.canonical, v)
			}
		}
	}
	return ps
}

// addAWS files one AWS principal value.
func (ps *principalSet) addAWS(v string, bound []Binding) {
	if acct, ok := accountOf(v); ok {
		ps.accounts = append(ps.accounts, acct)
		return
	}
	for _, b := range bound {
		if b.ARN != v {
			continue
		}
		if b.ID == "" {
			return // bound to no one: it named no one when it was bound
		}
		if isSessionARN(v) {
			ps.sessions = append(ps.sessions, b)
		} else {
			ps.ids = append(ps.ids, b.ID)
		}
		return
	}
	if isUniqueID(v) {
		ps.ids = append(ps.ids, v)
		return
	}
	ps.arns = append(ps.arns, v)
}

// isSessionARN reports whether v is an assumed-role session ARN.
func isSessionARN(v string) bool {
	var parts [arnParts]string
	return splitARN(v, &parts) && parts[2] == "sts" && strings.HasPrefix(parts[5], "assumed-role/")
}

// namesSelf reports whether the set lists the caller itself: by its ARN,
// or, where the principal is bound, by its unique id (an IAM user or a
// role) or by its session ARN and its role's unique id.
func (ps *principalSet) namesSelf(c *Caller) bool {
	if c.ARN != "" && contains(ps.arns, c.ARN) {
		return true
	}
	switch c.Kind {
	case IAMUser, Role:
		return c.UserID != "" && contains(ps.ids, c.UserID)
	case AssumedRole:
		if c.SessionIssuerID == "" {
			return false
		}
		for _, b := range ps.sessions {
			if b.ARN == c.ARN && b.ID == c.SessionIssuerID {
				return true
			}
		}
	}
	return false
}

// namesIssuer reports whether the set lists the role or IAM user a
// session was made from, by ARN or (bound) by unique id.
func (ps *principalSet) namesIssuer(c *Caller) bool {
	return (c.SessionIssuer != "" && contains(ps.arns, c.SessionIssuer)) ||
		(c.SessionIssuerID != "" && contains(ps.ids, c.SessionIssuerID))
}

// accountOf reports whether v names a whole account, as a 12-digit id or
// as arn:PARTITION:iam::ACCOUNT:root, and returns the id.
func accountOf(v string) (string, bool) {
	if len(v) == 12 && allDigits(v) {
		return v, true
	}
	var parts [arnParts]string
	if splitARN(v, &parts) && parts[2] == "iam" && parts[3] == "" && parts[5] == "root" {
		return parts[4], true
	}
	return "", false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// match returns how directly the Principal element names the caller, or
// grantNone, and whether it did so by name or as "*".
func (ps *principalSet) match(c *Caller) (grant, matchedBy) {
	g := ps.named(c)
	if ps.any && g < grantEntity {
		return grantEntity, byWildcard
	}
	return g, byName
}

// named is match without "*".
func (ps *principalSet) named(c *Caller) grant {
	best := grantNone
	switch c.Kind {
	case IAMUser:
		if ps.namesSelf(c) {
			return grantDirect
		}
	case AssumedRole, FederatedUser:
		if ps.namesSelf(c) {
			return grantDirect
		}
		if ps.namesIssuer(c) {
			best = grantEntity
		}
	case Role:
		if ps.namesSelf(c) {
			best = grantEntity
		}
	case WebIdentity, SAMLUser:
		if c.Provider != "" && contains(ps.federated, c.Provider) {
			return grantDirect
		}
	case Service:
		if contains(ps.services, c.ARN) {
			return grantDirect
		}
	}
	if best == grantNone && c.Account != "" && c.Kind.hasAccount() && contains(ps.accounts, c.Account) {
		best = grantAccount
	}
	if c.Kind == Root && contains(ps.accounts, c.Account) {
		// The root user is the account: naming the account names it directly.
		return grantDirect
	}
	return best
}

// hasAccount reports whether principals of this kind belong to an account
// that a Principal can name.
func (k PrincipalKind) hasAccount() bool {
	return k == Root || k.hasIdentityPolicies()
}

// excludes reports whether a NotPrincipal element keeps a statement with
// the given effect from applying to the caller. Its AWS identities are the
// session or user itself, the role or IAM user a session came from, and the
// account.
//
// A Deny applies unless every identity is listed, as AWS documents
// (reference_policies_elements_notprincipal): escaping it takes the session
// ARN, the role ARN and the account for a role session, the user and the
// account for a user, and listing the account alone exempts only its root
// user. An Allow (which the User Guide now calls unsupported with
// NotPrincipal, and once said grants everyone but those listed) applies
// only if no identity is listed: listing a role leaves out its sessions,
// listing an account every principal of it.
func (ps *principalSet) excludes(c *Caller, effect Effect) bool {
	if ps.any {
		return true
	}
	if effect == Deny {
		return ps.listsEvery(c)
	}
	return ps.listsAny(c)
}

// listsEvery reports whether every identity of the caller is listed.
func (ps *principalSet) listsEvery(c *Caller) bool {
	acct := func() bool { return c.Account != "" && contains(ps.accounts, c.Account) }
	switch c.Kind {
	case Root:
		return acct()
	case IAMUser, Role, FederatedUser:
		return ps.namesSelf(c) && acct()
	case AssumedRole:
		return ps.namesSelf(c) && ps.namesIssuer(c) && acct()
	case WebIdentity, SAMLUser:
		return c.Provider != "" && contains(ps.federated, c.Provider)
	case Service:
		return contains(ps.services, c.ARN)
	}
	return false
}

// listsAny reports whether any identity of the caller is listed.
func (ps *principalSet) listsAny(c *Caller) bool {
	switch c.Kind {
	case Root, IAMUser, Role, AssumedRole, FederatedUser:
		return ps.namesSelf(c) || ps.namesIssuer(c) ||
			(c.Account != "" && contains(ps.accounts, c.Account))
	case WebIdentity, SAMLUser:
		return c.Provider != "" && contains(ps.federated, c.Provider)
	case Service:
		return contains(ps.services, c.ARN)
	}
	return false
}

// CallerFromARN derives a Caller from a principal ARN, for tools such as
// `brevet policy eval` that start from an ARN. It understands user, role,
// root, assumed-role and federated-user ARNs, oidc-provider and
// saml-provider ARNs, well-known web identity providers, service principal
// names ("*.amazonaws.com") and "" (anonymous). For an assumed-role ARN the
// role's path is unknown, so SessionIssuer has none; for a federated-user
// ARN the IAM user is unknown, so SessionIssuer is empty.
func CallerFromARN(arn string) Caller {
	c := Caller{ARN: arn}
	var parts [arnParts]string
	if arn == "" || arn == "*" {
		c.Kind, c.ARN = Anonymous, ""
		return c
	}
	if !splitARN(arn, &parts) {
		switch arn {
		case "accounts.google.com", "cognito-identity.amazonaws.com", "graph.facebook.com", "www.amazon.com":
			c.Kind, c.Provider, c.ARN = WebIdentity, arn, ""
		default:
			c.Kind = Service
		}
		return c
	}
	c.Account = parts[4]
	res := parts[5]
	slash := strings.LastIndexByte(res, '/')
	switch {
	case parts[2] == "iam" && res == "root":
		c.Kind = Root
	case parts[2] == "iam" && strings.HasPrefix(res, "user/"):
		c.Kind, c.UserName = IAMUser, res[slash+1:]
	case parts[2] == "iam" && strings.HasPrefix(res, "role/"):
		c.Kind = Role
	case parts[2] == "iam" && strings.HasPrefix(res, "oidc-provider/"):
		c = Caller{Kind: WebIdentity, Provider: arn}
	case parts[2] == "iam" && strings.HasPrefix(res, "saml-provider/"):
		c = Caller{Kind: SAMLUser, Provider: arn}
	case parts[2] == "sts" && strings.HasPrefix(res, "assumed-role/"):
		c.Kind = AssumedRole
		if role, _, ok := strings.Cut(strings.TrimPrefix(res, "assumed-role/"), "/"); ok {
			c.SessionIssuer = "arn:" + parts[1] + ":iam::" + parts[4] + ":role/" + role
		}
	case parts[2] == "sts" && strings.HasPrefix(res, "federated-user/"):
		// The federating IAM user is not part of the ARN (the session name
		// is chosen by the caller), so SessionIssuer stays empty.
		c.Kind = FederatedUser
	default:
		c.Kind = Service
	}
	return c
}
