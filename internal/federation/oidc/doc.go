// Package oidc verifies the web identity tokens (OpenID Connect ID tokens
// and other JWTs) that AssumeRoleWithWebIdentity receives, for one IAM
// OIDC provider at a time, and turns a valid one into an Identity: the
// subject, audience, AWS's trust-policy condition keys and session tags.
//
// Keys come from the provider's configuration only: an inline JWKS, or
// OpenID discovery (ISSUER/.well-known/openid-configuration, then
// jwks_uri) over HTTPS through an injected *http.Client. Fetched keys are
// cached; an unknown key id triggers a refresh, at most one per
// RefreshInterval per provider, and concurrent refreshes share one fetch.
// Only asymmetric algorithms are accepted, so "none" and HMAC tokens fail
// before any key is consulted.
//
// It does not find the provider (the caller looks it up by the token's
// issuer, see UnverifiedIssuer), evaluate trust policies, or know wire
// error codes: failures are *Error values whose Kind the wire layer maps
// to InvalidIdentityToken, ExpiredTokenException, IDPCommunicationError or
// IDPRejectedClaim. Time is passed in.
package oidc
