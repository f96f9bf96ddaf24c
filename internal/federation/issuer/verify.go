package issuer

import (
	"encoding/json"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// VerifyLeeway is the clock skew Verify allows on exp, nbf and iat: the
// tokens it checks are its own, so only the nodes' clocks differ.
const VerifyLeeway = 30 * time.Second

// maxVerifyBytes bounds a token's text before any parsing.
const maxVerifyBytes = 32 << 10

// Verify checks a token this issuer signed: its signature with a key the
// issuer publishes at now (the JWKS relying parties see), iss equal to
// the issuer's URL, exp present and not past, nbf and iat not in the
// future (VerifyLeeway each). It returns every claim, decoded JSON.
// Failures are *Error values of Kind InvalidToken or Expired, whose
// Message says why without quoting the token.
func (i *Issuer) Verify(raw string, now time.Time) (map[string]any, error) {
	bad := func(msg string) error { return &Error{Kind: InvalidToken, Message: msg} }
	if len(raw) > maxVerifyBytes {
		return nil, bad("The token is too large")
	}
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES384})
	if err != nil || len(jws.Signatures) != 1 {
		return nil, bad("The token is not a valid JWT signed with RS256 or ES384")
	}
	h := jws.Signatures[0].Protected
	var key *jose.JSONWebKey
	for _, k := range i.JWKS(now).Keys {
		if k.KeyID == h.KeyID && k.Algorithm == h.Algorithm {
			key = &k
			break
		}
	}
	if key == nil {
		return nil, bad("The token is not signed with a key of its issuer")
	}
	payload, err := jws.Verify(key.Key)
	if err != nil {
		return nil, bad("The signature of the token could not be verified")
	}
	var std jwt.Claims
	var all map[string]any
	if json.Unmarshal(payload, &std) != nil || json.Unmarshal(payload, &all) != nil {
		return nil, bad("The token's claims are not valid JSON claims")
	}
	if std.Issuer != i.url {
		return nil, bad("Incorrect token issuer")
	}
	if std.Expiry == nil {
		return nil, bad("Missing a required claim: exp")
	}
	if exp := std.Expiry.Time(); !now.Before(exp.Add(VerifyLeeway)) {
		return nil, &Error{Kind: Expired, Message: fmt.Sprintf(
			"Token expired: current date/time %d must be before the expiration date/time %d", now.Unix(), exp.Unix())}
	}
	if std.NotBefore != nil && now.Add(VerifyLeeway).Before(std.NotBefore.Time()) {
		return nil, bad("The token is not yet valid")
	}
	if std.IssuedAt != nil && now.Add(VerifyLeeway).Before(std.IssuedAt.Time()) {
		return nil, bad("The token was issued in the future")
	}
	return all, nil
}
