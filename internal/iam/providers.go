package iam

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// ProviderKind says whether an identity provider speaks OpenID Connect or
// SAML 2.0.
type ProviderKind string

// The kinds of IAM identity provider.
const (
	ProviderOIDC ProviderKind = "oidc"
	ProviderSAML ProviderKind = "saml"
)

// Provider is an IAM identity provider: an OpenID Connect provider
// (CreateOpenIDConnectProvider) or a SAML provider (CreateSAMLProvider).
// Both live in one aggregate because AWS addresses both by ARN, lists them
// per account and lets trust policies name them as Federated principals.
type Provider struct {
	Kind    ProviderKind
	Account string
	// Name is the last part of the ARN: for OIDC the issuer URL without
	// "https://" and trailing slash (OIDCProviderName), for SAML the name
	// given at creation.
	Name string
	// URL, ClientIDs and Thumbprints are the OIDC provider's.
	URL         string
	ClientIDs   []string
	Thumbprints []string
	// Metadata, UUID and ValidUntil are the SAML provider's: the IdP's
	// metadata document, GetSAMLProvider's SAMLProviderUUID, and the
	// metadata's validUntil (AWS defaults it to 100 years after creation).
	Metadata   string
	UUID       string
	ValidUntil time.Time
	Tags       []Tag
	Created    time.Time
	// Updated changes on every write: verifier caches key on ARN and
	// Updated.
	Updated time.Time
}

// ARN returns arn:aws:iam::ACCOUNT:oidc-provider/NAME or
// arn:aws:iam::ACCOUNT:saml-provider/NAME.
func (p Provider) ARN() string {
	if p.Kind == ProviderSAML {
		return SAMLProviderARN(p.Account, p.Name)
	}
	return OIDCProviderARN(p.Account, p.Name)
}

// OIDCProviderARN is the ARN of an OIDC provider whose name (URL without
// scheme) is name.
func OIDCProviderARN(account, name string) string {
	return "arn:" + Partition + ":iam::" + account + ":oidc-provider/" + name
}

// SAMLProviderARN is the ARN of the SAML provider name.
func SAMLProviderARN(account, name string) string {
	return "arn:" + Partition + ":iam::" + account + ":saml-provider/" + name
}

// ParseProviderARN splits a provider ARN into its kind, account and name.
func ParseProviderARN(arn string) (ProviderKind, string, string, error) {
	a, err := ParseARN(arn)
	if err != nil || a.Service != "iam" || a.Region != "" || ValidateAccountID(a.Account) != nil {
		return "", "", "", &InvalidInputError{Message: fmt.Sprintf("Invalid ARN %s", arn)}
	}
	switch {
	case strings.HasPrefix(a.Resource, "oidc-provider/") && len(a.Resource) > len("oidc-provider/"):
		return ProviderOIDC, a.Account, strings.TrimPrefix(a.Resource, "oidc-provider/"), nil
	case strings.HasPrefix(a.Resource, "saml-provider/") && len(a.Resource) > len("saml-provider/"):
		return ProviderSAML, a.Account, strings.TrimPrefix(a.Resource, "saml-provider/"), nil
	}
	return "", "", "", &InvalidInputError{Message: fmt.Sprintf("Invalid ARN %s", arn)}
}

// OIDCProviderName is the IAM name of the provider for issuer URL u.
func OIDCProviderName(u string) string {
	return strings.TrimSuffix(strings.TrimPrefix(u, "https://"), "/")
}

// Limits of CreateOpenIDConnectProvider and CreateSAMLProvider (IAM API
// reference and IAM quotas).
const (
	MaxOIDCURLLen       = 255
	MaxClientIDLen      = 255
	MaxClientIDs        = 100
	MaxThumbprints      = 5
	MaxSAMLNameLen      = 128
	MinSAMLMetadataLen  = 1000
	MaxSAMLMetadataLen  = 10_000_000
	MaxProviderTags     = 50
	ThumbprintLen       = 40
	DefaultSAMLValidity = 100 * 365 * 24 * time.Hour
)

var (
	samlNameRE   = regexp.MustCompile(`^[\w._-]+$`)
	thumbprintRE = regexp.MustCompile(`^[0-9a-fA-F]{40}$`)
)

// ValidateOIDCURL checks CreateOpenIDConnectProvider's Url.
func ValidateOIDCURL(u string) error {
	if len(u) < 1 || len(u) > MaxOIDCURLLen {
		return &ValidationError{Field: "url", Value: u, Constraint: fmt.Sprintf("Member must have length less than or equal to %d", MaxOIDCURLLen)}
	}
	rest, ok := strings.CutPrefix(u, "https://")
	host, _, _ := strings.Cut(rest, "/")
	if !ok && !strings.Contains(u, "://") {
		// A bare host ("example.org"): AWS's own words and code.
		return &ValidationError{Field: "url", Value: u, Message: "Invalid Open ID Connect Provider URL"}
	}
	if !ok || host == "" || strings.ContainsAny(rest, "?#@ ") || strings.Contains(host, ":") && !validPort(host) {
		return &InvalidInputError{Message: "Invalid URL: " + u + ". The URL must begin with https:// and must not contain a query or fragment."}
	}
	return nil
}

func validPort(host string) bool {
	_, port, _ := strings.Cut(host, ":")
	if port == "" {
		return false
	}
	for _, c := range port {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ValidateClientIDs checks an OIDC provider's client id list.
func ValidateClientIDs(ids []string) error {
	if len(ids) > MaxClientIDs {
		return &LimitExceededError{Quota: "ClientIdsPerOpenIdConnectProvider", Limit: MaxClientIDs}
	}
	for _, id := range ids {
		if err := ValidateClientID(id); err != nil {
			return err
		}
	}
	return nil
}

// ValidateClientID checks one client id.
func ValidateClientID(id string) error {
	if len(id) < 1 || len(id) > MaxClientIDLen {
		return &ValidationError{Field: "clientID", Value: id, Constraint: fmt.Sprintf("Member must have length less than or equal to %d", MaxClientIDLen)}
	}
	return nil
}

// ValidateThumbprints checks an OIDC provider's thumbprint list.
func ValidateThumbprints(tps []string) error {
	if len(tps) > MaxThumbprints {
		// AWS's words, though five are allowed.
		return &InvalidInputError{Message: fmt.Sprintf("Thumbprint list must contain fewer than %d entries.", MaxThumbprints)}
	}
	for _, tp := range tps {
		if !thumbprintRE.MatchString(tp) {
			return &ValidationError{Field: "thumbprintList", Value: tp, Constraint: fmt.Sprintf("Member must have length greater than or equal to %d", ThumbprintLen)}
		}
	}
	return nil
}

// ValidateSAMLProviderName checks CreateSAMLProvider's Name.
func ValidateSAMLProviderName(name string) error {
	if len(name) < 1 || len(name) > MaxSAMLNameLen || !samlNameRE.MatchString(name) {
		return &ValidationError{Field: "name", Value: name, Constraint: `Member must satisfy regular expression pattern: [\w._-]+`}
	}
	return nil
}

// ValidateSAMLMetadataLength checks the metadata document's length; its
// content is the SAML package's to judge.
func ValidateSAMLMetadataLength(doc string) error {
	if len(doc) < MinSAMLMetadataLen || len(doc) > MaxSAMLMetadataLen {
		return &ValidationError{Field: "sAMLMetadataDocument", Value: "...", Constraint: fmt.Sprintf("Member must have length greater than or equal to %d", MinSAMLMetadataLen)}
	}
	return nil
}

// ProviderNotFoundError: no provider with this ARN (AWS: NoSuchEntity).
type ProviderNotFoundError struct {
	Kind ProviderKind
	ARN  string
	// Deleting: AWS words a missing OIDC provider differently in
	// DeleteOpenIDConnectProvider.
	Deleting bool
}

// Error returns AWS's message.
func (e *ProviderNotFoundError) Error() string {
	switch {
	case e.Kind == ProviderSAML:
		return "Manifest not found for arn " + e.ARN
	case e.Deleting:
		return "OpenId connect Provider " + e.ARN + " cannot be found."
	}
	return "OpenIDConnect Provider not found for arn " + e.ARN
}

// ProviderExistsError: the account already has the provider (AWS:
// EntityAlreadyExists).
type ProviderExistsError struct {
	Kind ProviderKind
	// URL is the OIDC provider's URL; Name the SAML provider's name.
	URL, Name string
}

// Error returns AWS's message.
func (e *ProviderExistsError) Error() string {
	if e.Kind == ProviderSAML {
		return "SAMLProvider entity at the same path and name already exists."
	}
	return "Provider with url " + e.URL + " already exists."
}
