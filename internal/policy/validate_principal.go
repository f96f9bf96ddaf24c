package policy

import (
	"fmt"
	"strings"
)

// principals checks the form of every Principal and NotPrincipal value in a
// trust or resource policy. (Identity policies cannot have one; elementsForType
// has already refused it.) Whether a named user or role exists is for the
// IAM service to check against its store, with the same message.
func (v *validator) principals() string {
	for _, s := range v.doc.Statements {
		for _, p := range []*Principal{s.Principal, s.NotPrincipal} {
			if msg := principalError(p); msg != "" {
				return msg
			}
		}
	}
	return ""
}

func principalError(p *Principal) string {
	if p == nil || p.Wildcard {
		return ""
	}
	if len(p.Types) == 0 {
		return fmt.Sprintf(msgBadPrincipalFmt, "{}")
	}
	for _, e := range p.Types {
		check, known := principalChecks[e.Type]
		if !known || len(e.Values) == 0 {
			return fmt.Sprintf(msgBadPrincipalFmt, fmt.Sprintf("%q:%q", e.Type, strings.Join(e.Values, ",")))
		}
		for _, val := range e.Values {
			if !check(val) {
				return fmt.Sprintf(msgBadPrincipalFmt, fmt.Sprintf("%q:%q", e.Type, val))
			}
		}
	}
	return ""
}

// principalChecks holds, per principal type, what a well-formed value looks
// like.
var principalChecks = map[string]func(string) bool{
	"AWS":           awsPrincipalOK,
	"Service":       servicePrincipalOK,
	"Federated":     federatedPrincipalOK,
	"CanonicalUser": canonicalUserOK,
}

// awsPrincipalOK accepts "*", an account id, the unique id of a user or role
// (which IAM writes in place of a deleted principal's ARN), and the ARN of an
// account root, user, role, assumed-role session or federated user. IAM
// refuses wildcards inside an ARN principal.
func awsPrincipalOK(v string) bool {
	if v == "*" || isAccountID(v) || isUniqueID(v) {
		return true
	}
	if strings.ContainsAny(v, "*?") {
		return false
	}
	parts := strings.SplitN(v, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !validPartitions[parts[1]] || parts[1] == "*" || parts[3] != "" {
		return false
	}
	account, res := parts[4], parts[5]
	switch parts[2] {
	case "iam":
		if account == "cloudfront" { // origin access identities
			return strings.HasPrefix(res, "user/CloudFront Origin Access Identity ")
		}
		if !isAccountID(account) {
			return false
		}
		return res == "root" || hasNamedPrefix(res, "user/") || hasNamedPrefix(res, "role/")
	case "sts":
		return isAccountID(account) && (hasNamedPrefix(res, "assumed-role/") || hasNamedPrefix(res, "federated-user/"))
	}
	return false
}

func hasNamedPrefix(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	return ok && rest != "" && !strings.HasSuffix(rest, "/")
}

func isAccountID(s string) bool { return len(s) == 12 && allIn(s, "0123456789") }

// isUniqueID reports whether s looks like an IAM user (AIDA) or role (AROA)
// unique id.
func isUniqueID(s string) bool {
	return len(s) >= 16 && (strings.HasPrefix(s, "AIDA") || strings.HasPrefix(s, "AROA")) &&
		allIn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
}

// servicePrincipalOK accepts a service's DNS-style name, such as
// ec2.amazonaws.com, or "*".
func servicePrincipalOK(v string) bool {
	return v == "*" || isHostname(v)
}

// federatedPrincipalOK accepts a SAML or OIDC provider ARN, or the host name
// of a web identity provider (cognito-identity.amazonaws.com,
// accounts.google.com, graph.facebook.com, www.amazon.com).
func federatedPrincipalOK(v string) bool {
	if isHostname(v) {
		return true
	}
	parts := strings.SplitN(v, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != "aws" || parts[2] != "iam" || parts[3] != "" || !isAccountID(parts[4]) {
		return false
	}
	return hasNamedPrefix(parts[5], "saml-provider/") || hasNamedPrefix(parts[5], "oidc-provider/")
}

func canonicalUserOK(v string) bool { return len(v) == 64 && allIn(v, "0123456789abcdefABCDEF") }

func isHostname(v string) bool {
	if !strings.Contains(v, ".") || strings.HasPrefix(v, ".") || strings.HasSuffix(v, ".") || strings.Contains(v, "..") {
		return false
	}
	return allIn(strings.ToLower(v), "abcdefghijklmnopqrstuvwxyz0123456789.-")
}

func allIn(s, set string) bool {
	for _, c := range s {
		if !strings.ContainsRune(set, c) {
			return false
		}
	}
	return true
}
