package identitypool

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/federation/oidc"
	"github.com/brevet-dev/brevet/internal/federation/saml"
	"github.com/brevet-dev/brevet/internal/sts"
)

// LoginProof is one login of a request, verified: the provider (its
// Logins key) and what its token or assertion says.
type LoginProof struct {
	// Provider is the Logins key ("accounts.google.com",
	// "login.example.com/oidc", a SAML provider ARN, DeveloperLogin).
	Provider string
	// Subject is who the provider vouches for (a developer token: the
	// identity id it was minted for).
	Subject string
	// Claims are the token's claims (SAML: attributes), for role
	// mappings and principal tags.
	Claims map[string]any
	// Developer is the verified developer token, for Provider
	// DeveloperLogin; nil otherwise.
	Developer *sts.PoolToken
}

// Login is the login the proof links (a developer token links none: it
// proves its identity instead).
func (p *LoginProof) Login() Login { return Login{Provider: p.Provider, Subject: p.Subject} }

// The NotAuthorizedException texts, AWS's where known.
const (
	msgUnsupportedProvider = "Token is not from a supported provider of this identity pool."
	msgLoginsDontMatch     = "Logins don't match. Please include at least one valid login for this identity or identity pool."
	msgNoGuests            = "Unauthenticated access is not supported for this identity pool."
	msgInvalidToken        = "Invalid login token. "
	msgNotOIDC             = "Invalid login token. Not a valid OpenId Connect identity token."
	msgAudience            = "Invalid login token. Incorrect token audience."
)

// oauthOnly are the social providers whose logins are OAuth access
// tokens, not OpenID Connect ID tokens: Brevet cannot verify them
// offline, and refuses them (a choice; AWS calls their APIs).
var oauthOnly = []string{"graph.facebook.com", "www.amazon.com", "api.twitter.com", "www.digits.com"}

// verifyLogins verifies every login of a request against the pool: each
// provider must be one the pool lists (else NotAuthorizedException
// "Token is not from a supported provider of this identity pool."), its
// token valid for it. No logins: nil.
//
//   - An OIDC provider of OpenIdConnectProviderARNs (by its name, the ARN
//     after "oidc-provider/") is verified with the account's IAM OIDC
//     provider, whose client ids are the audiences.
//   - A SupportedLoginProviders key (accounts.google.com,
//     appleid.apple.com, ...) is verified the same way through the IAM
//     OIDC provider of that issuer, and the token's aud must hold the
//     configured app id (or one of them, separated by ';' as the
//     model's pattern allows, or ','). OAuth-only
//     providers (Facebook, Amazon, Twitter) are refused.
//   - A CognitoIdentityProviders name (a user pool's issuer) is verified
//     through the IAM OIDC provider of that issuer, aud the client id (a
//     choice: Brevet has no user pools of its own).
//   - A SAML provider ARN of SamlProviderARNs: its base64 response, with
//     the IAM SAML provider; the subject is the NameID.
//   - DeveloperLogin: the pool's own token, aud this pool; its subject is
//     the identity it was minted for.
//   - The pool's DeveloperProviderName is refused here, whatever else
//     has that name: only the signed back end links developer users.
func (s *Service) verifyLogins(ctx context.Context, account string, p *Pool, logins map[string]string, now time.Time) ([]LoginProof, error) {
	if len(logins) == 0 {
		return nil, nil
	}
	if len(logins) > MaxLogins {
		return nil, invalid("1 validation error detected: Value at 'logins' failed to satisfy constraint: Member must have length less than or equal to %d", MaxLogins)
	}
	providers := make([]string, 0, len(logins))
	for k := range logins {
		providers = append(providers, k)
	}
	slices.Sort(providers) // a stable order: the first login decides the role mapping
	proofs := make([]LoginProof, 0, len(logins))
	for _, provider := range providers {
		proof, err := s.verifyLogin(ctx, account, p, provider, logins[provider], now)
		if err != nil {
			return nil, err
		}
		proofs = append(proofs, *proof)
	}
	return proofs, nil
}

func (s *Service) verifyLogin(ctx context.Context, account string, p *Pool, provider, token string, now time.Time) (*LoginProof, error) {
	if len(provider) < 1 || len(provider) > 128 {
		return nil, invalid("1 validation error detected: Value at 'logins' failed to satisfy constraint: Map keys must have length between 1 and 128")
	}
	if token == "" || len(token) > 50000 {
		return nil, invalid("1 validation error detected: Value at 'logins' failed to satisfy constraint: Map values must have length between 1 and 50000")
	}
	switch {
	case provider == DeveloperLogin:
		return s.verifyDeveloperToken(p, token, now)
	case provider == p.DeveloperProviderName:
		// The developer provider's logins are the signed back end's
		// word (GetOpenIdTokenForDeveloperIdentity), never a token's,
		// even when an OIDC provider of the pool has the same name.
		return nil, notAuthorized(msgUnsupportedProvider, "the developer provider's name as a login of an unsigned request", nil)
	case slices.ContainsFunc(p.OpenIdConnectProviderARNs, func(arn string) bool { return oidcProviderName(arn) == provider }):
		// Listed in SupportedLoginProviders too: its app ids still bind
		// the audience (the IAM provider's other client ids may be other
		// apps of the account).
		return s.verifyOIDC(ctx, account, provider, token, p.SupportedLoginProviders[provider], now)
	case p.SupportedLoginProviders[provider] != "":
		if slices.Contains(oauthOnly, provider) {
			return nil, notAuthorized("Logins from "+provider+" are not supported by this service: its tokens are not OpenID Connect ID tokens.",
				"OAuth-only social provider", nil)
		}
		return s.verifyOIDC(ctx, account, provider, token, p.SupportedLoginProviders[provider], now)
	case slices.ContainsFunc(p.CognitoIdentityProviders, func(c CognitoProvider) bool { return c.ProviderName == provider }):
		i := slices.IndexFunc(p.CognitoIdentityProviders, func(c CognitoProvider) bool { return c.ProviderName == provider })
		return s.verifyOIDC(ctx, account, provider, token, p.CognitoIdentityProviders[i].ClientId, now)
	case slices.Contains(p.SamlProviderARNs, provider):
		v, err := s.verifySAMLLogin(ctx, account, provider, token, now)
		if err != nil {
			return nil, loginError(provider, err)
		}
		return verified(provider, v)
	}
	return nil, notAuthorized(msgUnsupportedProvider, "provider "+provider+" is not one of the pool's", nil)
}

// verifySAMLLogin is Sessions.VerifySAMLLogin through the login cache.
// STS redeems an assertion once (its replay check), but the SDKs send the
// same Logins to GetId and then GetCredentialsForIdentity: the response
// verified by the first call is a login again, from this node's memory,
// for the cache's minute (never past the assertion's end). An assertion
// redeemed elsewhere (AssumeRoleWithSAML) is still refused here.
func (s *Service) verifySAMLLogin(ctx context.Context, account, provider, response string, now time.Time) (*sts.VerifiedLogin, error) {
	return s.cachedLogin(account, provider, response, now, func() (*sts.VerifiedLogin, error) {
		return s.sessions.VerifySAMLLogin(ctx, provider, response, now)
	})
}

// oidcProviderName is the name of an IAM OIDC provider ARN: what follows
// "oidc-provider/".
func oidcProviderName(arn string) string {
	_, name, ok := strings.Cut(arn, ":oidc-provider/")
	if !ok {
		return ""
	}
	return name
}

// verifyOIDC verifies an ID token with the account's IAM OIDC provider
// of that name; appIDs, when set, are the audiences (separated by ';'
// or ',') one of which the token's aud must hold.
func (s *Service) verifyOIDC(ctx context.Context, account, provider, token, appIDs string, now time.Time) (*LoginProof, error) {
	v, err := s.verifyOIDCLogin(ctx, account, provider, token, now) // logincache.go
	if err != nil {
		return nil, loginError(provider, err)
	}
	if appIDs != "" {
		ok := false
		for id := range strings.FieldsFuncSeq(appIDs, func(r rune) bool { return r == ',' || r == ';' }) {
			if id = strings.TrimSpace(id); id != "" && slices.Contains(v.Audience, id) {
				ok = true
			}
		}
		if !ok {
			return nil, notAuthorized(msgAudience, "the token's aud is not the app id configured for "+provider, nil)
		}
	}
	return verified(provider, v)
}

func verified(provider string, v *sts.VerifiedLogin) (*LoginProof, error) {
	if v.Subject == "" || len(v.Subject) > 1024 {
		return nil, notAuthorized(msgNotOIDC, "the login of "+provider+" has no usable subject", nil)
	}
	return &LoginProof{Provider: provider, Subject: v.Subject, Claims: v.Claims}, nil
}

// verifyDeveloperToken verifies a token of GetOpenIdTokenForDeveloperIdentity
// (or GetOpenIdToken) for pool p.
func (s *Service) verifyDeveloperToken(p *Pool, token string, now time.Time) (*LoginProof, error) {
	t, err := s.tokens.VerifyPoolToken(token, now)
	if err != nil {
		return nil, loginError(DeveloperLogin, err)
	}
	if t.PoolID != p.IdentityPoolId {
		return nil, notAuthorized(msgAudience, "the pool token was minted for another pool", nil)
	}
	// A guest's own token (GetOpenIdToken without logins) proves no
	// login: accepted, it would give the guest the authenticated role.
	if len(t.AMR) == 0 || t.AMR[0] != amrAuthenticated {
		return nil, notAuthorized(msgInvalidToken+"The token of an unauthenticated identity is not a login.", "an unauthenticated pool token as a login", nil)
	}
	return &LoginProof{Provider: DeveloperLogin, Subject: t.IdentityID, Developer: t,
		Claims: map[string]any{"sub": t.IdentityID, "aud": t.PoolID}}, nil
}

// loginError words a login's verification failure: the verifier's
// caller-safe text (never the token) after "Invalid login token.", and
// ExternalServiceException when the provider could not be reached.
// Errors that are not the token's (the store) pass through.
func loginError(provider string, err error) error {
	reason := "login of " + provider + " refused"
	if e, ok := errors.AsType[*oidc.Error](err); ok {
		if e.Kind == oidc.Communication {
			return &Error{Code: CodeExternalService, Message: "The identity provider " + provider + " could not be reached.", Reason: reason, Cause: err}
		}
		return notAuthorized(sentence(msgInvalidToken+e.Message), reason, err)
	}
	if e, ok := errors.AsType[*saml.Error](err); ok {
		return notAuthorized(sentence(msgInvalidToken+e.Message), reason, err)
	}
	if _, ok := errors.AsType[*Error](err); ok {
		return err
	}
	if provider == DeveloperLogin {
		return notAuthorized(msgNotOIDC, reason, err)
	}
	return err
}

// sentence ends msg with a full stop, as AWS's messages end.
func sentence(msg string) string {
	if strings.HasSuffix(msg, ".") || strings.HasSuffix(msg, ")") {
		return msg
	}
	return msg + "."
}
