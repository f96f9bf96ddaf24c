package bucketpolicy

import (
	"net/netip"
	"strings"

	"github.com/brevet-dev/brevet/internal/policy"
)

// Public reports whether doc is a public bucket policy, as S3 decides it
// for GetBucketPolicyStatus's IsPublic and Block Public Access ("The
// meaning of 'public'" in the S3 User Guide): S3 starts from public and
// looks for what makes each grant non-public. A policy is public if any
// Allow statement grants to everyone (Principal "*", an AWS principal
// "*", or a NotPrincipal, which grants to all but some) without a
// condition that pins the request to fixed values of a key that only
// known parties can satisfy:
//
//   - aws:SourceIp, with IpAddress and CIDR blocks none wider than /8
//     (IPv4) or /32 (IPv6);
//   - aws:SourceArn, aws:SourceVpc, aws:SourceVpce, aws:SourceAccount,
//     aws:SourceOwner, aws:SourceOrgID, aws:PrincipalAccount,
//     aws:PrincipalArn, aws:PrincipalOrgID, aws:userid,
//     s3:DataAccessPointAccount, s3:DataAccessPointArn (whose access point
//     name may be a wildcard, the account not) and
//     s3:x-amz-server-side-encryption-aws-kms-key-id, with a string or
//     ARN equality or like operator.
//
// A value is fixed when it has no wildcard ('*' or '?') and no policy
// variable ("${"); an operator pins only if it fails when the key is
// absent (no IfExists, no ForAllValues). Deny statements never make a
// policy public.
func Public(doc *policy.Document) bool {
	for i := range doc.Statements {
		s := &doc.Statements[i]
		if s.Effect == policy.Allow && toEveryone(s) && !pinned(s) {
			return true
		}
	}
	return false
}

// toEveryone reports whether the statement grants to anyone at all.
func toEveryone(s *policy.Statement) bool {
	if s.NotPrincipal != nil {
		return true
	}
	p := s.Principal
	if p == nil {
		return false
	}
	if p.Wildcard {
		return true
	}
	for _, e := range p.Types {
		for _, v := range e.Values {
			if v == "*" {
				return true
			}
		}
	}
	return false
}

// pinningKeys are the condition keys (lower case) whose fixed values make
// a grant to everyone non-public, with what a fixed value is for each.
var pinningKeys = map[string]func(op, v string) bool{
	"aws:sourceip":              sourceIPFixed,
	"aws:sourcearn":             stringFixed,
	"aws:sourcevpc":             stringFixed,
	"aws:sourcevpce":            stringFixed,
	"aws:sourceaccount":         stringFixed,
	"aws:sourceowner":           stringFixed,
	"aws:sourceorgid":           stringFixed,
	"aws:principalaccount":      stringFixed,
	"aws:principalarn":          stringFixed,
	"aws:principalorgid":        stringFixed,
	"aws:userid":                stringFixed,
	"s3:dataaccesspointaccount": stringFixed,
	"s3:dataaccesspointarn":     accessPointFixed,
	"s3:x-amz-server-side-encryption-aws-kms-key-id": stringFixed,
}

// pinned reports whether one of the statement's conditions pins the
// request to fixed values of a pinning key.
func pinned(s *policy.Statement) bool {
	for _, c := range s.Condition {
		fixed, ok := pinningKeys[strings.ToLower(c.Key)]
		if !ok || len(c.Values) == 0 {
			continue
		}
		op := c.Operator
		if strings.HasSuffix(op, "IfExists") || strings.HasPrefix(op, "ForAllValues:") {
			continue // true when the key is absent
		}
		op = strings.TrimPrefix(op, "ForAnyValue:")
		all := true
		for _, v := range c.Values {
			if !fixed(op, v) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// hasWildcard reports whether v matches more than itself under a Like
// operator, or holds a policy variable (counted as one whatever the
// document's version: S3 errs towards public).
func hasWildcard(v string) bool {
	return strings.ContainsAny(v, "*?") || strings.Contains(v, "${")
}

// stringFixed: an equality or like operator with a value that names one
// thing.
func stringFixed(op, v string) bool {
	switch op {
	case "StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike":
		return v != "" && !hasWildcard(v)
	}
	return false
}

// accessPointFixed: as stringFixed, but the access point's name (after
// "accesspoint/") may be a wildcard as long as the rest is fixed.
func accessPointFixed(op, v string) bool {
	if i := strings.Index(v, ":accesspoint/"); i >= 0 {
		v = v[:i]
	}
	return stringFixed(op, v)
}

// sourceIPFixed: IpAddress with an address or a CIDR block no wider than
// /8 (IPv4) or /32 (IPv6).
func sourceIPFixed(op, v string) bool {
	if op != "IpAddress" {
		return false
	}
	if a, err := netip.ParseAddr(v); err == nil {
		return a.IsValid()
	}
	p, err := netip.ParsePrefix(v)
	if err != nil {
		return false
	}
	if p.Addr().Is4() {
		return p.Bits() >= 8
	}
	return p.Bits() >= 32
}
