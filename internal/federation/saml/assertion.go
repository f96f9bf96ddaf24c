package saml

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// AWS's attribute names.
const (
	AttrRole              = "https://aws.amazon.com/SAML/Attributes/Role"
	AttrRoleSessionName   = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	AttrSessionDuration   = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
	AttrPrincipalTag      = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:"
	AttrTransitiveTagKeys = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys"
	AttrSourceIdentity    = "https://aws.amazon.com/SAML/Attributes/SourceIdentity"
)

// Assertion is a verified SAML assertion: the subject, the AWS attributes
// and what AssumeRoleWithSAML returns and exposes to trust policies.
type Assertion struct {
	// ID is the assertion's ID (CloudTrail's sAMLAssertionID).
	ID string
	// Issuer is the IdP's entity id (the Issuer output, saml:iss).
	Issuer string
	// Subject is the NameID value (Subject output, saml:sub).
	Subject string
	// NameIDFormat is the NameID's Format as written; SubjectType is
	// "persistent", "transient" or the full Format URI (SubjectType
	// output, saml:sub_type).
	NameIDFormat, SubjectType string
	// Recipient is the SubjectConfirmationData Recipient: AWS returns it
	// as the Audience output and as saml:aud.
	Recipient string
	// Audiences are the AudienceRestriction values.
	Audiences []string
	// IssueInstant, the SubjectConfirmationData NotOnOrAfter, and the
	// Conditions window (zero when absent).
	IssueInstant, NotOnOrAfter        time.Time
	NotBefore, ConditionsNotOnOrAfter time.Time

	// Roles are the (role, provider) ARN pairs of the Role attribute.
	Roles []RolePair
	// RoleSessionName, SessionDuration (seconds, 0 when absent) and
	// SourceIdentity are the AWS attributes of those names; their limits
	// beyond what is checked here are the STS layer's.
	RoleSessionName string
	SessionDuration int
	SourceIdentity  string
	// PrincipalTags and TransitiveTagKeys are the session-tag attributes.
	PrincipalTags     map[string]string
	TransitiveTagKeys []string
	// Attributes holds every attribute's values by Name.
	Attributes map[string][]string
}

// RolePair is one value of the Role attribute.
type RolePair struct {
	RoleARN, ProviderARN string
}

// HasRole reports whether the assertion lets its subject assume roleARN
// through providerARN (AssumeRoleWithSAML's RoleArn and PrincipalArn).
func (a *Assertion) HasRole(roleARN, providerARN string) bool {
	for _, r := range a.Roles {
		if r.RoleARN == roleARN && r.ProviderARN == providerARN {
			return true
		}
	}
	return false
}

// replayUntil is how long the assertion must be remembered: until no time
// check could accept it again.
func (a *Assertion) replayUntil(leeway time.Duration) time.Time {
	until := a.NotOnOrAfter
	if a.ConditionsNotOnOrAfter.After(until) {
		until = a.ConditionsNotOnOrAfter
	}
	return until.Add(leeway)
}

func (a *Assertion) readAttributes(el *etree.Element) error {
	a.Attributes = map[string][]string{}
	for _, st := range children(el, nsAssertion, "AttributeStatement") {
		for _, at := range children(st, nsAssertion, "Attribute") {
			name := at.SelectAttrValue("Name", "")
			for _, v := range children(at, nsAssertion, "AttributeValue") {
				a.Attributes[name] = append(a.Attributes[name], strings.TrimSpace(text(v)))
			}
		}
	}
	for _, v := range a.Attributes[AttrRole] {
		if p, ok := parseRolePair(v); ok {
			a.Roles = append(a.Roles, p)
		}
	}
	if len(a.Roles) == 0 {
		return invalid(msgNoRole, nil)
	}
	var err error
	if a.RoleSessionName, err = a.single(AttrRoleSessionName); err != nil {
		return err
	}
	if a.SourceIdentity, err = a.single(AttrSourceIdentity); err != nil {
		return err
	}
	d, err := a.single(AttrSessionDuration)
	if err != nil {
		return err
	}
	if d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 900 || n > 43200 {
			return rejected(msgSessionDuration, fmt.Errorf("%q", d))
		}
		a.SessionDuration = n
	}
	for name, vs := range a.Attributes {
		key, ok := strings.CutPrefix(name, AttrPrincipalTag)
		if !ok {
			continue
		}
		if key == "" || len(vs) != 1 {
			return rejected(msgTags, fmt.Errorf("tag %q has %d values", key, len(vs)))
		}
		if a.PrincipalTags == nil {
			a.PrincipalTags = map[string]string{}
		}
		a.PrincipalTags[key] = vs[0]
	}
	a.TransitiveTagKeys = a.Attributes[AttrTransitiveTagKeys]
	return nil
}

// single returns the only value of an attribute, "" when absent.
func (a *Assertion) single(name string) (string, error) {
	vs := a.Attributes[name]
	switch len(vs) {
	case 0:
		return "", nil
	case 1:
		return vs[0], nil
	}
	return "", rejected(msgSingleValue, fmt.Errorf("%s has %d values", name, len(vs)))
}

// parseRolePair reads "role-arn,provider-arn" in either order, as AWS
// accepts.
func parseRolePair(v string) (RolePair, bool) {
	a, b, ok := strings.Cut(v, ",")
	if !ok {
		return RolePair{}, false
	}
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	isRole := func(s string) bool { return strings.HasPrefix(s, "arn:") && strings.Contains(s, ":role/") }
	isProv := func(s string) bool { return strings.HasPrefix(s, "arn:") && strings.Contains(s, ":saml-provider/") }
	switch {
	case isRole(a) && isProv(b):
		return RolePair{RoleARN: a, ProviderARN: b}, true
	case isProv(a) && isRole(b):
		return RolePair{RoleARN: b, ProviderARN: a}, true
	}
	return RolePair{}, false
}

// NameQualifier is AWS's saml:namequalifier:
// base64(SHA1(issuer + account + "/" + providerName)), where providerName
// is the last part of the SAML provider's ARN.
func NameQualifier(issuer, account, providerName string) string {
	sum := sha1.Sum([]byte(issuer + account + "/" + providerName))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// NameQualifier returns the assertion's saml:namequalifier for the
// provider account/providerName (the NameQualifier output).
func (a *Assertion) NameQualifier(account, providerName string) string {
	return NameQualifier(a.Issuer, account, providerName)
}

// ConditionKey is one request-context key with its values.
type ConditionKey struct {
	Key    string
	Values []string
}

// oidKeys maps attribute names (as IdPs send them, urn:oid form) to the
// saml: condition keys AWS documents for them.
var oidKeys = map[string][]string{
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.1":  {"saml:edupersonaffiliation"},
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.2":  {"saml:edupersonnickname"},
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.3":  {"saml:edupersonorgdn"},
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.4":  {"saml:edupersonorgunitdn"},
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.5":  {"saml:edupersonprimaryaffiliation"},
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.6":  {"saml:edupersonprincipalname"},
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.7":  {"saml:edupersonentitlement"},
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.8":  {"saml:edupersonprimaryorgunitdn"},
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.9":  {"saml:edupersonscopedaffiliation"},
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.10": {"saml:edupersontargetedid"},
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.11": {"saml:edupersonassurance"},
	"urn:oid:1.3.6.1.4.1.5923.1.2.1.2":  {"saml:eduorghomepageuri"},
	"urn:oid:1.3.6.1.4.1.5923.1.2.1.3":  {"saml:eduorgidentityauthnpolicyuri"},
	"urn:oid:1.3.6.1.4.1.5923.1.2.1.4":  {"saml:eduorglegalname"},
	"urn:oid:1.3.6.1.4.1.5923.1.2.1.5":  {"saml:eduorgsuperioruri"},
	"urn:oid:1.3.6.1.4.1.5923.1.2.1.6":  {"saml:eduorgwhitepagesuri"},
	"urn:oid:2.5.4.3":                   {"saml:cn", "saml:commonName"},
	"urn:oid:2.5.4.42":                  {"saml:givenName"},
	"urn:oid:2.5.4.4":                   {"saml:surname"},
	"urn:oid:0.9.2342.19200300.100.1.3": {"saml:mail"},
	"urn:oid:0.9.2342.19200300.100.1.1": {"saml:uid"},
	"urn:oid:2.5.4.41":                  {"saml:name"},
	"urn:oid:2.5.4.45":                  {"saml:x500UniqueIdentifier"},
}

// ConditionKeys returns the keys AWS exposes to the role's trust policy
// for an assertion redeemed through account's provider providerName:
// saml:aud (the Recipient), saml:iss, saml:sub, saml:sub_type,
// saml:namequalifier, saml:doc (account/providerName), and the
// directory attributes AWS maps by OID (saml:edupersonaffiliation,
// saml:mail, ...). Session tags become aws:RequestTag keys in the STS
// layer, not here.
func (a *Assertion) ConditionKeys(account, providerName string) []ConditionKey {
	keys := []ConditionKey{
		{"saml:aud", []string{a.Recipient}},
		{"saml:iss", []string{a.Issuer}},
		{"saml:sub", []string{a.Subject}},
		{"saml:sub_type", []string{a.SubjectType}},
		{"saml:namequalifier", []string{a.NameQualifier(account, providerName)}},
		{"saml:doc", []string{account + "/" + providerName}},
	}
	// Attributes are a map: sort for a stable order.
	var extra []ConditionKey
	for name, vs := range a.Attributes {
		for _, k := range oidKeys[name] {
			extra = append(extra, ConditionKey{k, vs})
		}
	}
	slices.SortFunc(extra, func(x, y ConditionKey) int { return strings.Compare(x.Key, y.Key) })
	return append(keys, extra...)
}

// AddConditionKeys passes each condition key to add (policy.Context.Add
// has this shape).
func (a *Assertion) AddConditionKeys(account, providerName string, add func(key string, values ...string)) {
	for _, k := range a.ConditionKeys(account, providerName) {
		add(k.Key, k.Values...)
	}
}
