package config

import "time"

// SSO configures single sign-on for the AWS CLI and SDKs (docs/sso.md):
// the SSO OIDC and portal APIs, the sign-in pages and the identity
// sources people sign in with.
type SSO struct {
	// URL is the https base URL people's browsers reach Brevet at; the
	// verification URI and the sign-in pages hang off it. "" means the
	// server's own URL.
	URL string
	// StartURLs are the sso_start_url values clients may name; empty
	// means URL + "/start" only.
	StartURLs []string
	// SessionDuration is how long a sign-in session (its refresh tokens)
	// lasts: default 8h, at most 7 days.
	SessionDuration time.Duration
	// AccessTokenDuration is an access token's life: default and at most
	// 1h.
	AccessTokenDuration time.Duration
	// RoleSessionDuration is the length of GetRoleCredentials' role
	// sessions: default 1h, capped by the role's MaxSessionDuration.
	RoleSessionDuration time.Duration
	// IAMUsers lets IAM users sign in with their password (and MFA).
	// Default true.
	IAMUsers bool
	// IdentityProviders are the OIDC identity providers people may sign
	// in with, in the order the sign-in page offers them.
	IdentityProviders []SSOIdentityProvider
}

// SSOIdentityProvider is one OIDC identity provider of the sign-in page
// (authorization code flow with PKCE).
type SSOIdentityProvider struct {
	// Name identifies the provider in assignments ("idp:NAME") and on the
	// sign-in page's URLs: [a-z0-9-]{1,32}.
	Name string
	// DisplayName is what the sign-in page's button says; "" means Name.
	DisplayName string
	// Issuer is the provider's issuer URL; its discovery document is read
	// from Issuer + "/.well-known/openid-configuration".
	Issuer string
	// ClientID and ClientSecretFile are Brevet's registration with the
	// provider; a public client (PKCE only) has no secret file.
	ClientID         string
	ClientSecretFile string
	// Scopes asked for; default openid, email, profile.
	Scopes []string
	// UsernameClaim names the person in assignments and in role session
	// names; default "email".
	UsernameClaim string
	// GroupsClaim holds the person's groups; "" for none.
	GroupsClaim string
	// CAFile holds extra CAs to trust for the provider's TLS, "" for the
	// system's.
	CAFile string
}
