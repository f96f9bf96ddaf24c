package identitypool

// Role choice and principal tags: which role an identity's session gets,
// and which principal tags, from the pool's roles, role mappings and
// attribute maps and the claims of the logins the request proved. Pure:
// everything it knows comes in the arguments.

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/brevet-dev/brevet/internal/credential"
)

// Role keys and mapping values of the model.
const (
	RoleAuthenticated   = "authenticated"
	RoleUnauthenticated = "unauthenticated"

	MappingToken = "Token"
	MappingRules = "Rules"

	ResolveAuthenticatedRole = "AuthenticatedRole"
	ResolveDeny              = "Deny"

	MatchEquals     = "Equals"
	MatchContains   = "Contains"
	MatchStartsWith = "StartsWith"
	MatchNotEqual   = "NotEqual"
)

// The claims of a token mapping (Cognito user pools' groups: the roles
// of the user's groups, and the one of highest precedence).
const (
	claimPreferredRole = "cognito:preferred_role"
	claimRoles         = "cognito:roles"
)

// msgInvalidRoles is AWS's answer when the pool gives no role to use.
const msgInvalidRoles = "Invalid identity pool configuration. Check assigned IAM roles for this pool."

// noRole is InvalidIdentityPoolConfigurationException, with why.
func noRole(reason string, cause error) *Error {
	return &Error{Code: CodeInvalidConfiguration, Message: msgInvalidRoles, Reason: reason, Cause: cause}
}

// sortedLogins returns the logins ordered by provider, so that "the
// first login" is the same whatever order the request's map came in.
func sortedLogins(logins []LoginProof) []LoginProof {
	s := slices.Clone(logins)
	slices.SortStableFunc(s, func(a, b LoginProof) int { return strings.Compare(a.Provider, b.Provider) })
	return s
}

// chooseRole is the role of an identity that proved logins (none: a
// guest). A guest gets the pool's unauthenticated role. An authenticated
// identity gets what the role mapping of its first login (by provider)
// with one decides, else the authenticated role:
//
//   - Token: customRole when the token's cognito:roles holds it; else,
//     without customRole, the token's cognito:preferred_role, or its one
//     cognito:roles entry; anything else is ambiguous.
//   - Rules: the role of the first rule the login's claims match.
//
// An ambiguous token or no matching rule resolves as the mapping says:
// AuthenticatedRole, or Deny (NotAuthorizedException). No role to give
// is InvalidIdentityPoolConfigurationException. customRole is honoured
// by Token mappings only; elsewhere it is ignored (the trust policy of
// the role chosen decides anyway).
func chooseRole(p *Pool, logins []LoginProof, customRole string) (string, error) {
	if len(logins) == 0 {
		if arn := p.Roles[RoleUnauthenticated]; arn != "" {
			return arn, nil
		}
		return "", noRole("the pool has no unauthenticated role", nil)
	}
	for _, l := range sortedLogins(logins) {
		m, ok := p.RoleMappings[l.Provider]
		if !ok {
			continue
		}
		var arn string
		switch m.Type {
		case MappingToken:
			arn = tokenRole(l.Claims, customRole)
		case MappingRules:
			arn = ruleRole(m.RulesConfiguration, l.Claims)
		default:
			return "", noRole("the role mapping of "+l.Provider+" has an unknown type", nil)
		}
		if arn != "" {
			return arn, nil
		}
		if m.AmbiguousRoleResolution != ResolveAuthenticatedRole {
			// Deny, and anything a mapping should not hold: refuse.
			return "", notAuthorized("Ambiguous role mapping rules for: "+l.Provider+" denied this request.",
				"the role mapping of "+l.Provider+" chose no role and resolves ambiguity by "+m.AmbiguousRoleResolution, nil)
		}
		break
	}
	if arn := p.Roles[RoleAuthenticated]; arn != "" {
		return arn, nil
	}
	return "", noRole("the pool has no authenticated role", nil)
}

// tokenRole is a Token mapping's role, "" when ambiguous.
func tokenRole(claims map[string]any, customRole string) string {
	roles := claimStrings(claims[claimRoles])
	if customRole != "" {
		if slices.Contains(roles, customRole) {
			return customRole
		}
		return ""
	}
	if pref := claimStrings(claims[claimPreferredRole]); len(pref) == 1 && pref[0] != "" {
		return pref[0]
	}
	if len(roles) == 1 {
		return roles[0]
	}
	return ""
}

// ruleRole is the role of the first rule claims match, "" for none.
func ruleRole(rc *RulesConfiguration, claims map[string]any) string {
	if rc == nil {
		return ""
	}
	for _, r := range rc.Rules {
		if ruleMatches(r, claimStrings(claims[r.Claim])) {
			return r.RoleARN
		}
	}
	return ""
}

// ruleMatches reports whether any of a claim's values matches r. A claim
// the login does not carry matches no rule, NotEqual included: a rule
// about a claim says nothing of a login without it.
func ruleMatches(r MappingRule, values []string) bool {
	return slices.ContainsFunc(values, func(v string) bool {
		switch r.MatchType {
		case MatchEquals:
			return v == r.Value
		case MatchContains:
			return strings.Contains(v, r.Value)
		case MatchStartsWith:
			return strings.HasPrefix(v, r.Value)
		case MatchNotEqual:
			return v != r.Value
		}
		return false
	})
}

// claimStrings is a claim's values as strings: a string, number or
// boolean is one value, a list its scalar elements (a SAML attribute's
// values, a groups claim). Objects and nulls are no value.
func claimStrings(v any) []string {
	switch v := v.(type) {
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := claimScalar(e); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return v
	}
	if s, ok := claimScalar(v); ok {
		return []string{s}
	}
	return nil
}

// claimScalar is a scalar claim as a string.
func claimScalar(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case int:
		return strconv.Itoa(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	}
	return "", false
}

// The claims SAML assertions name users by (AWS's defaults for SAML
// providers: the name identifier and the name).
const (
	samlClaimNameID = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"
	samlClaimName   = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
)

// DefaultPrincipalTags is the attribute map UseDefaults stands for, for
// the provider name (its Logins key): tag key → claim. AWS documents
// the claims (an OIDC or social provider's aud, the client id, and sub,
// the user; a SAML provider's name identifier and name); the tag keys
// are ours, after the console's wording: "client" and "username".
func DefaultPrincipalTags(provider string) map[string]string {
	if isSAMLProvider(provider) {
		return map[string]string{"username": samlClaimNameID, "name": samlClaimName}
	}
	return map[string]string{"client": "aud", "username": "sub"}
}

// isSAMLProvider reports whether a Logins key is a SAML provider's ARN.
func isSAMLProvider(provider string) bool {
	return strings.HasPrefix(provider, "arn:") && strings.Contains(provider, ":saml-provider/")
}

// principalTags are the session's principal tags from the pool's
// attribute maps: for each login (by provider) whose provider has one,
// each tag key gets the first value of its claim (UseDefaults: the
// provider kind's defaults); a developer token brings its own tags. A
// claim the login lacks gives no tag; a key two logins give keeps the
// first. Ordered by key.
func principalTags(p *Pool, logins []LoginProof) []credential.Tag {
	seen := map[string]string{}
	add := func(k, v string) {
		if _, dup := seen[k]; !dup && k != "" {
			seen[k] = v
		}
	}
	for _, l := range sortedLogins(logins) {
		if l.Developer != nil {
			for _, t := range l.Developer.Tags {
				add(t.Key, t.Value)
			}
		}
		m, ok := p.PrincipalTags[l.Provider]
		if !ok {
			continue
		}
		tagMap := m.PrincipalTags
		if m.UseDefaults {
			tagMap = DefaultPrincipalTags(l.Provider)
		}
		keys := make([]string, 0, len(tagMap))
		for k := range tagMap {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if v, ok := loginClaim(l, tagMap[k]); ok {
				add(k, v)
			}
		}
	}
	if len(seen) == 0 {
		return nil
	}
	tags := make([]credential.Tag, 0, len(seen))
	for k, v := range seen {
		tags = append(tags, credential.Tag{Key: k, Value: v})
	}
	slices.SortFunc(tags, func(a, b credential.Tag) int { return cmp.Compare(a.Key, b.Key) })
	return tags
}

// loginClaim is the first value of a login's claim. A SAML login's name
// identifier is its subject when no attribute carries it.
func loginClaim(l LoginProof, claim string) (string, bool) {
	if vs := claimStrings(l.Claims[claim]); len(vs) > 0 {
		return vs[0], true
	}
	if claim == samlClaimNameID && isSAMLProvider(l.Provider) && l.Subject != "" {
		return l.Subject, true
	}
	return "", false
}
