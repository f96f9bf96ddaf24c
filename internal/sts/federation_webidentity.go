package sts

import (
	"context"
	"errors"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/federation/oidc"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/store"
)

// AssumeRoleWithWebIdentity trades a web identity token for credentials of
// a role that trusts the token's issuer. The request is unsigned: the
// token is the only proof, so it is verified before anything else about
// the caller is believed. As on AWS, the provider is found by the token's
// issuer among the role account's OIDC providers, and the role's trust
// policy alone decides (a Federated principal naming that provider, with
// the provider's condition keys). A token whose issuer is the identity
// pools' (FederationConfig.PoolTokens) is verified by the pools' issuer
// instead, as the federated principal PoolPrincipal (pool.go).
func (s *Service) AssumeRoleWithWebIdentity(ctx context.Context, in *stsapi.AssumeRoleWithWebIdentityRequest, f authz.Facts) (*stsapi.AssumeRoleWithWebIdentityResponse, error) {
	if in.ProviderId != "" {
		// ProviderId names OAuth 2.0 access-token providers (Amazon,
		// Facebook); Brevet federates OIDC ID tokens only.
		return nil, &ValidationError{Message: "ProviderId is not supported: register the provider with CreateOpenIDConnectProvider and pass its ID token."}
	}
	w, err := s.webIdentity(ctx, in.RoleArn, in.WebIdentityToken, in.RoleSessionName, f)
	if err != nil {
		return nil, err
	}
	role, now := w.role, f.Now
	dur, err := federatedDuration(in.DurationSeconds, role)
	if err != nil {
		return nil, err
	}
	policyARNs, err := s.sessionPolicies(ctx, role.Account, in.Policy, in.PolicyArns)
	if err != nil {
		return nil, err
	}
	c := w.claims
	c.IssuedAt, c.Expires, c.Policy, c.PolicyARNs = now, now.Add(dur), in.Policy, policyARNs
	creds, tc, _, err := s.mint(c)
	if err != nil {
		return nil, err
	}
	s.recordUse(ctx, role.Account, role.Name, role.ARN(), now)
	return &stsapi.AssumeRoleWithWebIdentityResponse{
		Credentials:                 creds,
		SubjectFromWebIdentityToken: w.id.Subject,
		AssumedRoleUser:             &stsapi.AssumedRoleUser{AssumedRoleId: role.ID + ":" + in.RoleSessionName, Arn: c.SessionARN},
		PackedPolicySize:            packedSize(tc, in.Policy != "" || len(policyARNs) > 0 || len(c.Tags) > 0),
		Provider:                    c.Provider, // as AWS answers for IAM OIDC providers
		Audience:                    w.id.ClientID,
		SourceIdentity:              c.SourceIdentity,
	}, nil
}

// webIdentitySession is a verified web identity token the role's trust
// policy accepts, and the claims of the session it makes (without its
// times and session policies).
type webIdentitySession struct {
	role   *authz.Role
	id     *oidc.Identity
	claims credential.Claims
}

// webIdentity verifies token for roleARN as AssumeRoleWithWebIdentity
// does: the provider found by the token's issuer among the role
// account's OIDC providers, the token verified with it, and the role's
// trust policy deciding alone.
func (s *Service) webIdentity(ctx context.Context, roleARN, token, sessionName string, f authz.Facts) (*webIdentitySession, error) {
	role, err := s.federatedRole(ctx, roleARN, "sts:AssumeRoleWithWebIdentity")
	if err != nil {
		return nil, err
	}
	iss, err := oidc.UnverifiedIssuer(token)
	if err != nil {
		return nil, err
	}
	if pt := s.fed.cfg.PoolTokens; pt != nil && pt.Issuer() != "" && iss == pt.Issuer() {
		return s.poolWebIdentity(role, iss, token, sessionName, f)
	}
	providerARN := iam.OIDCProviderARN(role.Account, oidc.KeyOf(iss))
	id, err := s.verifyOIDC(ctx, providerARN, iss, token, f.Now)
	if err != nil {
		return nil, err
	}
	tags, err := federatedTags(id.PrincipalTags, id.TransitiveTagKeys)
	if err != nil {
		return nil, &oidc.Error{Kind: oidc.RejectedClaim, Message: err.Error(), Err: err}
	}
	// AWS's claim https://aws.amazon.com/source_identity, validated by
	// package oidc as AssumeRole validates SourceIdentity; setting it
	// needs sts:SetSourceIdentity in the trust policy (authorizeFederated).
	source := id.SourceIdentity
	if err := s.fed.authorizeFederated(&federatedRequest{
		kind: policy.WebIdentity, provider: providerARN, role: role, keys: id.AddConditionKeys,
		tags: tags, trans: id.TransitiveTagKeys, source: source, session: sessionName, facts: f,
	}, "sts:AssumeRoleWithWebIdentity"); err != nil {
		return nil, err
	}
	return &webIdentitySession{role: role, id: id, claims: credential.Claims{
		AccountID: role.Account, PrincipalType: credential.WebIdentity,
		PrincipalARN: role.ARN(), PrincipalID: role.ID, SessionARN: iam.AssumedRoleARN(role.Account, role.Name, sessionName),
		SessionName: sessionName, Tags: tags, TransitiveTagKeys: id.TransitiveTagKeys,
		SourceIdentity: source, Provider: providerARN, Subject: id.Subject,
	}}, nil
}

// verifyOIDC verifies token with the OIDC provider providerARN (iss
// names it in the refusal when there is none), as
// AssumeRoleWithWebIdentity verifies tokens.
func (s *Service) verifyOIDC(ctx context.Context, providerARN, iss, token string, now time.Time) (*oidc.Identity, error) {
	cp, err := s.fed.provider(ctx, providerARN, now)
	if errors.Is(err, errNoProvider) || (err == nil && cp.oidc == nil) {
		return nil, &oidc.Error{Kind: oidc.InvalidToken, Message: "No OpenIDConnect provider found in your account for " + iss}
	}
	if err != nil {
		return nil, err
	}
	return cp.oidc.Verify(ctx, token, now)
}

// WebIdentitySession verifies a registered OIDC provider's token for
// roleARN exactly as AssumeRoleWithWebIdentity does, and returns the
// claims of the web identity session it would make, valid until the
// token expires, without minting credentials: the authorization API's
// callers present such a token with every request to another service
// (docs/authorization-api.md). sessionName names the session.
func (s *Service) WebIdentitySession(ctx context.Context, roleARN, token, sessionName string, f authz.Facts) (*credential.Claims, error) {
	w, err := s.webIdentity(ctx, roleARN, token, sessionName, f)
	if err != nil {
		return nil, err
	}
	c := w.claims
	c.IssuedAt, c.Expires = w.id.IssuedAt, w.id.Expiry
	if c.IssuedAt.IsZero() {
		c.IssuedAt = f.Now
	}
	return &c, nil
}

// federatedRole loads the role a federated caller asks for. A role that
// does not exist is refused like one that does not trust the caller, so
// an unauthenticated caller learns nothing about which roles exist.
func (s *Service) federatedRole(ctx context.Context, roleARN, action string) (*authz.Role, error) {
	denied := &AccessDeniedError{Message: "Not authorized to perform " + action}
	if err := checkARNForm(roleARN); err != nil {
		return nil, err
	}
	ref, err := iam.ParseEntityARN(roleARN)
	if err != nil || ref.Type != iam.ResourceRole {
		return nil, &ValidationError{Message: "1 validation error detected: Value '" + roleARN + "' at 'roleArn' failed to satisfy constraint: Member must be a role ARN"}
	}
	role, err := s.authz.LoadRole(ctx, ref.Account, ref.Name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && role.ARN() != roleARN) {
		return nil, denied
	}
	return role, err
}
