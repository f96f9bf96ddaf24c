package sts

import (
	"context"
	"errors"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/credential"
)

// PoolPrincipal is the federated principal of identity pools, as the
// trust policies of their roles name it; its condition keys are
// PoolPrincipal + ":aud" (the pool id), ":sub" (the identity id) and
// ":amr" ("authenticated" or "unauthenticated", then the providers).
const PoolPrincipal = "cognito-identity.amazonaws.com"

// PoolSessionName is the role session name of an identity pool's
// credentials (AWS's).
const PoolSessionName = "CognitoIdentityCredentials"

// PoolSessionInput asks for the role session of one identity of an
// identity pool (the enhanced flow's GetCredentialsForIdentity): the
// role's trust policy alone decides, for sts:AssumeRoleWithWebIdentity
// by the federated principal PoolPrincipal, with the :aud, :sub and :amr
// keys, as AWS's STS decides a pool token's AssumeRoleWithWebIdentity.
type PoolSessionInput struct {
	RoleARN string
	// PoolID is the pool (the :aud key); IdentityID the identity (:sub).
	PoolID, IdentityID string
	// AMR is the :amr key's values: "authenticated" then each login's
	// provider and "PROVIDER:POOL:SUBJECT"-style entries, or
	// "unauthenticated".
	AMR []string
	// Tags are principal tags (the pool's attribute map, a developer
	// token's PrincipalTags); they need sts:TagSession in the trust
	// policy.
	Tags []credential.Tag
	// Enhanced refuses a role whose trust policy would let the session in
	// whatever the pool (no condition on :aud that this pool's id meets
	// and another's does not): AWS's enhanced flow refuses such roles.
	Enhanced bool
	// Duration is the session's length; SessionDuration (an hour) when 0.
	Duration time.Duration
	Facts    authz.Facts
}

// ErrPoolTrustUnscoped refuses the enhanced flow for a role whose trust
// policy does not scope the session to the pool by :aud.
var ErrPoolTrustUnscoped = errors.New("sts: the role's trust policy does not restrict " + PoolPrincipal + ":aud")

// PoolSession mints the session of in (see PoolSessionInput). The
// session is a web identity session (credential.WebIdentity) named
// PoolSessionName whose Provider is PoolPrincipal and Subject the
// identity id, carrying PoolPrincipal+":sub", ":aud" and ":amr" (its
// first value) as session condition keys usable in the role's policies
// (${cognito-identity.amazonaws.com:sub}). A refusal is an
// *AccessDeniedError (the trust policy), ErrPoolTrustUnscoped, or a
// *ValidationError.
func (s *Service) PoolSession(ctx context.Context, in *PoolSessionInput) (*ServiceSession, error) {
	return nil, errors.New("sts: PoolSession: not implemented yet")
}

// VerifiedLogin is a login token an identity pool accepted: verified as
// AssumeRoleWithWebIdentity (or AssumeRoleWithSAML) verifies it.
type VerifiedLogin struct {
	// ProviderARN is the IAM provider that verified it.
	ProviderARN string
	// Subject is the token's sub (SAML: the NameID).
	Subject string
	// Audience is the token's aud values (SAML: the assertion's
	// audiences).
	Audience []string
	// Claims are the token's claims, decoded JSON (SAML: each attribute
	// name with its values, []any of strings), for role mapping rules and
	// principal tag maps.
	Claims  map[string]any
	Expires time.Time
}

// VerifyOIDCLogin verifies token with the account's IAM OIDC provider
// whose name (issuer without https://) is provider, as
// AssumeRoleWithWebIdentity verifies a token: signature, expiry, issuer,
// and the provider's client ids as audience. Errors are *oidc.Error
// values for token problems (their Kind says which), and a missing
// provider is an *oidc.Error of Kind InvalidToken.
func (s *Service) VerifyOIDCLogin(ctx context.Context, account, provider, token string, now time.Time) (*VerifiedLogin, error) {
	return nil, errors.New("sts: VerifyOIDCLogin: not implemented yet")
}

// VerifySAMLLogin verifies a base64 SAML response with the IAM SAML
// provider providerARN, as AssumeRoleWithSAML does (signature,
// conditions, audience, replay).
func (s *Service) VerifySAMLLogin(ctx context.Context, providerARN, response string, now time.Time) (*VerifiedLogin, error) {
	return nil, errors.New("sts: VerifySAMLLogin: not implemented yet")
}

// PoolToken is a verified identity pool token (GetOpenIdToken's,
// GetOpenIdTokenForDeveloperIdentity's).
type PoolToken struct {
	// PoolID is its aud; IdentityID its sub; AMR its amr.
	PoolID, IdentityID string
	AMR                []string
	// Tags are its https://aws.amazon.com/tags principal tags.
	Tags    []credential.Tag
	Expires time.Time
}

// PoolTokens verifies identity pool tokens: AssumeRoleWithWebIdentity
// takes a token whose iss is the pools' token issuer this way, as the
// federated principal PoolPrincipal (the basic flow).
type PoolTokens interface {
	// Issuer is the iss of the tokens.
	Issuer() string
	VerifyPoolToken(raw string, now time.Time) (*PoolToken, error)
}
