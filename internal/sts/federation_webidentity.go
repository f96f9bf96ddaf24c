package sts

import (
	"context"
	"errors"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/federation/oidc"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/store"
)

// claimSourceIdentity is the claim AWS reads a web identity session's
// source identity from.
const claimSourceIdentity = "https://aws.amazon.com/source_identity"

// AssumeRoleWithWebIdentity trades a web identity token for credentials of
// a role that trusts the token's issuer. The request is unsigned: the
// token is the only proof, so it is verified before anything else about
// the caller is believed. As on AWS, the provider is found by the token's
// issuer among the role account's OIDC providers, and the role's trust
// policy alone decides (a Federated principal naming that provider, with
// the provider's condition keys).
func (s *Service) AssumeRoleWithWebIdentity(ctx context.Context, in *stsapi.AssumeRoleWithWebIdentityRequest, f authz.Facts) (*stsapi.AssumeRoleWithWebIdentityResponse, error) {
	now := f.Now
	if in.ProviderId != "" {
		// ProviderId names OAuth 2.0 access-token providers (Amazon,
		// Facebook); Brevet federates OIDC ID tokens only.
		return nil, &ValidationError{Message: "ProviderId is not supported: register the provider with CreateOpenIDConnectProvider and pass its ID token."}
	}
	role, err := s.federatedRole(ctx, in.RoleArn, "sts:AssumeRoleWithWebIdentity")
	if err != nil {
		return nil, err
	}
	iss, err := oidc.UnverifiedIssuer(in.WebIdentityToken)
	if err != nil {
		return nil, err
	}
	providerARN := iam.OIDCProviderARN(role.Account, oidc.KeyOf(iss))
	cp, err := s.fed.provider(ctx, providerARN, now)
	if errors.Is(err, errNoProvider) || (err == nil && cp.oidc == nil) {
		return nil, &oidc.Error{Kind: oidc.InvalidToken, Message: "No OpenIDConnect provider found in your account for " + iss}
	}
	if err != nil {
		return nil, err
	}
	id, err := cp.oidc.Verify(ctx, in.WebIdentityToken, now)
	if err != nil {
		return nil, err
	}
	dur, err := federatedDuration(in.DurationSeconds, role)
	if err != nil {
		return nil, err
	}
	policyARNs, err := s.sessionPolicies(ctx, role.Account, in.Policy, in.PolicyArns)
	if err != nil {
		return nil, err
	}
	tags, err := federatedTags(id.PrincipalTags, id.TransitiveTagKeys)
	if err != nil {
		return nil, &oidc.Error{Kind: oidc.RejectedClaim, Message: err.Error(), Err: err}
	}
	source, _ := id.Claims[claimSourceIdentity].(string)
	if err := s.fed.authorizeFederated(&federatedRequest{
		kind: policy.WebIdentity, provider: providerARN, role: role, keys: id.AddConditionKeys,
		tags: tags, trans: id.TransitiveTagKeys, source: source, session: in.RoleSessionName, facts: f,
	}, "sts:AssumeRoleWithWebIdentity"); err != nil {
		return nil, err
	}
	sessionARN := iam.AssumedRoleARN(role.Account, role.Name, in.RoleSessionName)
	creds, tc, _, err := s.mint(credential.Claims{
		AccountID: role.Account, PrincipalType: credential.WebIdentity,
		PrincipalARN: role.ARN(), PrincipalID: role.ID, SessionARN: sessionARN, SessionName: in.RoleSessionName,
		IssuedAt: now, Expires: now.Add(dur),
		Policy: in.Policy, PolicyARNs: policyARNs, Tags: tags, TransitiveTagKeys: id.TransitiveTagKeys,
		SourceIdentity: source, Provider: providerARN, Subject: id.Subject,
	})
	if err != nil {
		return nil, err
	}
	s.recordUse(ctx, role.Account, role.Name, role.ARN(), now)
	return &stsapi.AssumeRoleWithWebIdentityResponse{
		Credentials:                 creds,
		SubjectFromWebIdentityToken: id.Subject,
		AssumedRoleUser:             &stsapi.AssumedRoleUser{AssumedRoleId: role.ID + ":" + in.RoleSessionName, Arn: sessionARN},
		PackedPolicySize:            packedSize(tc, in.Policy != "" || len(policyARNs) > 0 || len(tags) > 0),
		Provider:                    providerARN, // as AWS answers for IAM OIDC providers
		Audience:                    id.ClientID,
		SourceIdentity:              source,
	}, nil
}

// federatedRole loads the role a federated caller asks for. A role that
// does not exist is refused like one that does not trust the caller, so
// an unauthenticated caller learns nothing about which roles exist.
func (s *Service) federatedRole(ctx context.Context, roleARN, action string) (*authz.Role, error) {
	denied := &AccessDeniedError{Message: "Not authorized to perform " + action}
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
