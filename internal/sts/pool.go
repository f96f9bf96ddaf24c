package sts

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/federation/oidc"
	"github.com/brevet-dev/brevet/internal/federation/saml"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/policy"
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
	// Account is the pool's account: the role must be one of its roles,
	// whatever chose it (the pool's roles, a token's
	// cognito:preferred_role, CustomRoleArn).
	Account string
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
	// Duration is the session's length, an hour when 0: 900 s to 12 h
	// (else a *ValidationError), then capped by the role's
	// MaxSessionDuration (AWS's GetCredentialsForIdentity gives an hour,
	// which any role allows).
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
	if in.Account == "" || in.PoolID == "" || in.IdentityID == "" || len(in.AMR) == 0 {
		return nil, errors.New("sts: PoolSession needs an account, a pool, an identity and amr")
	}
	dur := in.Duration.Truncate(time.Second)
	if in.Duration == 0 {
		dur = defaultRoleSession * time.Second
	}
	if dur < minPoolSession || dur > maxPoolSession {
		return nil, &ValidationError{Message: "The requested DurationSeconds must be between 900 and 43200 seconds"}
	}
	role, err := s.federatedRole(ctx, in.RoleARN, "sts:AssumeRoleWithWebIdentity")
	if err != nil {
		return nil, err
	}
	if role.Account != in.Account {
		// Whatever named it (a token's claim may name any ARN), another
		// account's role is refused as one that does not trust the pool.
		return nil, &AccessDeniedError{Message: "Not authorized to perform sts:AssumeRoleWithWebIdentity"}
	}
	// The role's maximum caps the session, as the pools' hour meets a
	// role whose maximum is the least allowed: no refusal.
	dur = min(dur, time.Duration(role.MaxSessionDuration)*time.Second)
	if err := checkTags(in.Tags, nil); err != nil {
		return nil, err
	}
	tok := &PoolToken{Account: in.Account, PoolID: in.PoolID, IdentityID: in.IdentityID, AMR: in.AMR, Tags: in.Tags}
	r := &federatedRequest{
		kind: policy.WebIdentity, provider: PoolPrincipal, role: role, keys: tok.addConditionKeys,
		tags: in.Tags, session: PoolSessionName, facts: in.Facts,
	}
	if err := s.fed.authorizeFederated(r, "sts:AssumeRoleWithWebIdentity"); err != nil {
		return nil, err
	}
	if in.Enhanced && !s.poolAudScoped(r, tok) {
		return nil, ErrPoolTrustUnscoped
	}
	c, err := tok.sessionClaims(role, PoolSessionName, in.Tags)
	if err != nil {
		return nil, err
	}
	now := in.Facts.Now
	c.IssuedAt, c.Expires = now, now.Add(dur)
	creds, tc, claims, err := s.mint(c)
	if err != nil {
		return nil, asValidation(err)
	}
	s.recordUse(ctx, role.Account, role.Name, role.ARN(), now)
	return &ServiceSession{
		Credentials: creds, Claims: claims,
		RoleARN: role.ARN(), AssumedRoleID: role.ID + ":" + PoolSessionName, SessionARN: c.SessionARN,
		PackedPolicySize: packedSize(tc, len(in.Tags) > 0),
	}, nil
}

// poolAudScoped reports whether the trust policy r was allowed by scopes
// it to t's pool. It is decided by the policy's outcome, not its text:
// asked again for a value no pool id can be, and for the pool's sibling
// (siblingPool), a scoped policy refuses both. r.keys is changed.
func (s *Service) poolAudScoped(r *federatedRequest, t *PoolToken) bool {
	for _, probe := range []string{unscopedProbe, siblingPool(t.PoolID)} {
		elsewhere := *t
		elsewhere.PoolID = probe
		r.keys = elsewhere.addConditionKeys
		if s.fed.authorizeFederated(r, "sts:AssumeRoleWithWebIdentity") == nil {
			return false
		}
	}
	return true
}

// poolTrustScoped reports whether the trust policy r was allowed by
// conditions both :aud (poolAudScoped) and :amr: asked again with an amr
// no identity has, it refuses. r.keys is changed.
func (s *Service) poolTrustScoped(r *federatedRequest, t *PoolToken) bool {
	if !s.poolAudScoped(r, t) {
		return false
	}
	other := *t
	other.AMR = []string{unscopedProbe}
	r.keys = other.addConditionKeys
	return s.fed.authorizeFederated(r, "sts:AssumeRoleWithWebIdentity") != nil
}

// Pool sessions' bounds: AssumeRoleWithWebIdentity's DurationSeconds.
const (
	minPoolSession = 900 * time.Second
	maxPoolSession = 43_200 * time.Second
)

// unscopedProbe is the :aud (poolAudScoped) or :amr (poolTrustScoped)
// value of a probing trust evaluation: neither of a pool id's form
// (REGION:uuid) nor an amr entry's, so no condition naming pools or
// providers matches it.
const unscopedProbe = "brevet-unscoped-probe"

// siblingPool is another pool id of pool's region that differs from
// pool in every hex digit of its uuid but the version's (and keeps the
// variant's in 8, 9, a, b), so a StringLike pattern that matches both
// has a wildcard wherever a pool id varies: it admits every pool of the
// region ("us-east-1:*", "*:*", "*-*-*-*-*"). A pattern pinning a few
// digits is not caught (it admits one pool in 16 per digit pinned).
func siblingPool(pool string) string {
	region, id, ok := strings.Cut(pool, ":")
	if !ok {
		return unscopedProbe
	}
	b := []byte(id)
	for i, c := range b {
		switch {
		case i == 14 && len(b) == 36: // the uuid's version digit
		case i == 19 && len(b) == 36 && strings.IndexByte("89ab", c) >= 0:
			b[i] = "ab89"[strings.IndexByte("89ab", c)]
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
			b[i] = "89abcdef01234567"[strings.IndexByte("0123456789abcdef", c)]
		}
	}
	return region + ":" + string(b)
}

// The condition keys of pool sessions and tokens.
const (
	poolAud = PoolPrincipal + ":aud"
	poolSub = PoolPrincipal + ":sub"
	poolAMR = PoolPrincipal + ":amr"
)

// addConditionKeys adds the trust policy's keys of a pool identity:
// :aud (the pool), :sub (the identity) and :amr (every value).
func (t *PoolToken) addConditionKeys(add func(key string, values ...string)) {
	add(poolAud, t.PoolID)
	add(poolSub, t.IdentityID)
	add(poolAMR, t.AMR...)
}

// poolSessionContext is what a pool session seals in its token for the
// role's policies: :sub, :aud and the first :amr value (a session
// condition key holds one value).
func poolSessionContext(t *PoolToken) map[string]string {
	return map[string]string{poolSub: t.IdentityID, poolAud: t.PoolID, poolAMR: t.AMR[0]}
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
	providerARN := iam.OIDCProviderARN(account, provider)
	id, err := s.verifyOIDC(ctx, providerARN, "https://"+provider, token, now)
	if err != nil {
		return nil, err
	}
	return &VerifiedLogin{ProviderARN: providerARN, Subject: id.Subject, Audience: id.Audience, Claims: id.Claims, Expires: id.Expiry}, nil
}

// VerifySAMLLogin verifies a base64 SAML response with the IAM SAML
// provider providerARN, as AssumeRoleWithSAML does (signature,
// conditions, audience, replay).
//
// The assertion's Role attribute is not consulted: the pool, not the
// assertion, chooses the role. Expires is the assertion's
// SubjectConfirmationData NotOnOrAfter, or its Conditions' when earlier.
func (s *Service) VerifySAMLLogin(ctx context.Context, providerARN, response string, now time.Time) (*VerifiedLogin, error) {
	kind, _, _, err := iam.ParseProviderARN(providerARN)
	if err != nil || kind != iam.ProviderSAML {
		return nil, &saml.Error{Kind: saml.InvalidToken, Message: "SAML provider " + providerARN + " does not exist."}
	}
	a, err := s.verifySAML(ctx, providerARN, response, now)
	if err != nil {
		return nil, err
	}
	claims := make(map[string]any, len(a.Attributes))
	for k, vs := range a.Attributes {
		l := make([]any, len(vs))
		for i, v := range vs {
			l[i] = v
		}
		claims[k] = l
	}
	exp := a.NotOnOrAfter
	if c := a.ConditionsNotOnOrAfter; !c.IsZero() && (exp.IsZero() || c.Before(exp)) {
		exp = c
	}
	return &VerifiedLogin{ProviderARN: providerARN, Subject: a.Subject, Audience: slices.Clone(a.Audiences), Claims: claims, Expires: exp}, nil
}

// PoolToken is a verified identity pool token (GetOpenIdToken's,
// GetOpenIdTokenForDeveloperIdentity's).
type PoolToken struct {
	// Account is the pool's account.
	Account string
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

// poolWebIdentity is webIdentity for an identity pool's token (the basic
// flow): verified by the pools' token issuer, and authorized as the
// federated principal PoolPrincipal with the :aud, :sub and :amr keys.
// The session is what PoolSession makes (Provider PoolPrincipal, Subject
// the identity, the keys sealed for the role's policies), under the
// caller's session name. AWS requires no :aud condition here (only the
// enhanced flow does) for a role of the pool's own account, and neither
// does Brevet; another account's role needs :aud and :amr conditions
// (poolTrustScoped), as AWS's STS requires of cross-account requests.
func (s *Service) poolWebIdentity(role *authz.Role, iss, token, sessionName string, f authz.Facts) (*webIdentitySession, error) {
	pt, err := s.fed.cfg.PoolTokens.VerifyPoolToken(token, f.Now)
	if err != nil {
		return nil, err
	}
	if len(pt.AMR) == 0 || pt.Account == "" || pt.PoolID == "" || pt.IdentityID == "" {
		return nil, &oidc.Error{Kind: oidc.InvalidToken, Message: "Not a valid identity pool token"}
	}
	tags, err := federatedTags(tagMap(pt.Tags), nil)
	if err != nil {
		return nil, &oidc.Error{Kind: oidc.RejectedClaim, Message: err.Error(), Err: err}
	}
	r := &federatedRequest{
		kind: policy.WebIdentity, provider: PoolPrincipal, role: role, keys: pt.addConditionKeys,
		tags: tags, session: sessionName, facts: f,
	}
	if err := s.fed.authorizeFederated(r, "sts:AssumeRoleWithWebIdentity"); err != nil {
		return nil, err
	}
	if role.Account != pt.Account && !s.poolTrustScoped(r, pt) {
		// AWS's STS takes a pool's token for another account's role only
		// when its trust policy conditions both :aud and :amr.
		return nil, &AccessDeniedError{Message: "Not authorized to perform sts:AssumeRoleWithWebIdentity"}
	}
	c, err := pt.sessionClaims(role, sessionName, tags)
	if err != nil {
		return nil, err
	}
	id := &oidc.Identity{Issuer: iss, ProviderKey: PoolPrincipal, Subject: pt.IdentityID, Audience: []string{pt.PoolID},
		ClientID: pt.PoolID, AMR: pt.AMR, Expiry: pt.Expires}
	return &webIdentitySession{role: role, id: id, claims: c}, nil
}

// sessionClaims are the claims, without times, of t's session of role
// named sessionName (both flows'): a web identity session of
// PoolPrincipal whose subject is the identity, with tags and the pool's
// keys sealed (poolSessionContext).
func (t *PoolToken) sessionClaims(role *authz.Role, sessionName string, tags []credential.Tag) (credential.Claims, error) {
	reqCtx, err := sessionContext(PoolPrincipal, poolSessionContext(t))
	if err != nil {
		return credential.Claims{}, err
	}
	return credential.Claims{
		AccountID: role.Account, PrincipalType: credential.WebIdentity,
		PrincipalARN: role.ARN(), PrincipalID: role.ID, SessionARN: iam.AssumedRoleARN(role.Account, role.Name, sessionName),
		SessionName: sessionName, Tags: tags, Provider: PoolPrincipal, Subject: t.IdentityID, RequestContext: reqCtx,
	}, nil
}

// tagMap is tags as a map, for federatedTags.
func tagMap(tags []credential.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}
