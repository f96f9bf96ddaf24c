package oidc

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// Provider is an IAM OpenID Connect provider: whom Brevet trusts to sign
// web identity tokens, and for which clients.
type Provider struct {
	// URL is the issuer, an https URL; a token's iss must equal it. A
	// trailing slash is not significant.
	URL string
	// ClientIDs are the audiences accepted (IAM's ClientIDList).
	ClientIDs []string
	// Thumbprints are IAM's hex SHA-1 thumbprints of the top certificate
	// the provider's HTTPS server presents. As at AWS they are a fallback
	// only: the server is first verified against the trusted roots of the
	// injected *http.Client, and thumbprints are consulted only when that
	// fails because the issuing CA is unknown (see pin.go).
	Thumbprints []string
	// JWKS, when set, is an inline JSON Web Key Set: no discovery or
	// network fetch happens, and the keys change only when the provider
	// is reconfigured.
	JWKS []byte
	// Algorithms are the JWS algorithms accepted; empty means all of
	// DefaultAlgorithms. Only asymmetric algorithms can be configured.
	Algorithms []string
}

// DefaultAlgorithms are the asymmetric JWS algorithms Brevet accepts. "none"
// and the HMAC family are never accepted: a verifier that holds only public
// keys must never treat a public key as a shared secret.
var DefaultAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}

// Key returns the provider's name as IAM uses it: the issuer URL without
// "https://" and without a trailing slash, for example
// "token.actions.githubusercontent.com". It is the last part of the
// provider ARN and the prefix of the provider's condition keys.
func (p *Provider) Key() string { return KeyOf(p.URL) }

// KeyOf returns the provider key of an issuer URL (see Provider.Key).
func KeyOf(issuer string) string {
	return strings.TrimSuffix(strings.TrimPrefix(issuer, "https://"), "/")
}

// normalizeIssuer drops one trailing slash, so "https://a/" and "https://a"
// name the same issuer, as IAM treats them.
func normalizeIssuer(s string) string { return strings.TrimSuffix(s, "/") }

// validate checks the configuration and returns the accepted algorithms.
func (p *Provider) validate() ([]jose.SignatureAlgorithm, error) {
	u, err := url.Parse(p.URL)
	if err != nil {
		return nil, fmt.Errorf("oidc: provider URL: %w", err)
	}
	if u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("oidc: provider URL %q must be https://host[/path] with no query, fragment or user info", p.URL)
	}
	if len(p.ClientIDs) == 0 {
		return nil, errors.New("oidc: provider needs at least one client id")
	}
	for _, tp := range p.Thumbprints {
		if b, err := hex.DecodeString(tp); err != nil || len(b) != 20 {
			return nil, fmt.Errorf("oidc: thumbprint %q is not 40 hex digits", tp)
		}
	}
	names := p.Algorithms
	if len(names) == 0 {
		names = DefaultAlgorithms
	}
	algs := make([]jose.SignatureAlgorithm, 0, len(names))
	for _, n := range names {
		if !slices.Contains(DefaultAlgorithms, n) {
			return nil, fmt.Errorf("oidc: algorithm %q is not an accepted asymmetric JWS algorithm", n)
		}
		algs = append(algs, jose.SignatureAlgorithm(n))
	}
	return algs, nil
}
