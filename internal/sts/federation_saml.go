package sts

import (
	"context"
	"errors"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/federation/saml"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/policy"
)

// AssumeRoleWithSAML trades a SAML response from a registered IdP for
// credentials of a role the assertion names. The request is unsigned. The
// provider is PrincipalArn, which must be a SAML provider in the role's
// account; the assertion must carry the (RoleArn, PrincipalArn) pair in
// its Role attribute, and the role's trust policy must allow the provider
// as a Federated principal with the saml: condition keys.
func (s *Service) AssumeRoleWithSAML(ctx context.Context, in *stsapi.AssumeRoleWithSAMLRequest, f authz.Facts) (*stsapi.AssumeRoleWithSAMLResponse, error) {
	now := f.Now
	role, err := s.federatedRole(ctx, in.RoleArn, "sts:AssumeRoleWithSAML")
	if err != nil {
		return nil, err
	}
	kind, account, name, err := iam.ParseProviderARN(in.PrincipalArn)
	if err != nil || kind != iam.ProviderSAML {
		return nil, &ValidationError{Message: "1 validation error detected: Value '" + in.PrincipalArn + "' at 'principalArn' failed to satisfy constraint: Member must be a SAML provider ARN"}
	}
	if account != role.Account {
		return nil, &AccessDeniedError{Message: "Not authorized to perform sts:AssumeRoleWithSAML"}
	}
	a, err := s.verifySAML(ctx, in.PrincipalArn, in.SAMLAssertion, now)
	if err != nil {
		return nil, err
	}
	if !a.HasRole(in.RoleArn, in.PrincipalArn) {
		return nil, &AccessDeniedError{Message: "Not authorized to perform sts:AssumeRoleWithSAML"}
	}
	sessionName := a.RoleSessionName
	if sessionName == "" {
		return nil, &saml.Error{Kind: saml.InvalidToken, Message: "RoleSessionName is required in AuthnResponse"}
	}
	// The assertion's SessionDuration attribute governs console sessions
	// only; the API's session is DurationSeconds (default an hour).
	dur, err := federatedDuration(in.DurationSeconds, role)
	if err != nil {
		return nil, err
	}
	policyARNs, err := s.sessionPolicies(ctx, role.Account, in.Policy, in.PolicyArns)
	if err != nil {
		return nil, err
	}
	tags, err := federatedTags(a.PrincipalTags, a.TransitiveTagKeys)
	if err != nil {
		return nil, &saml.Error{Kind: saml.RejectedClaim, Message: err.Error(), Err: err}
	}
	if err := s.fed.authorizeFederated(&federatedRequest{
		kind: policy.SAMLUser, provider: in.PrincipalArn, role: role,
		keys: func(add func(string, ...string)) { a.AddConditionKeys(account, name, add) },
		tags: tags, trans: a.TransitiveTagKeys, source: a.SourceIdentity, session: sessionName, facts: f,
	}, "sts:AssumeRoleWithSAML"); err != nil {
		return nil, err
	}
	sessionARN := iam.AssumedRoleARN(role.Account, role.Name, sessionName)
	creds, tc, _, err := s.mint(credential.Claims{
		AccountID: role.Account, PrincipalType: credential.SAML,
		PrincipalARN: role.ARN(), PrincipalID: role.ID, SessionARN: sessionARN, SessionName: sessionName,
		IssuedAt: now, Expires: now.Add(dur),
		Policy: in.Policy, PolicyARNs: policyARNs, Tags: tags, TransitiveTagKeys: a.TransitiveTagKeys,
		SourceIdentity: a.SourceIdentity, Provider: in.PrincipalArn, Subject: a.Subject,
	})
	if err != nil {
		return nil, err
	}
	s.recordUse(ctx, role.Account, role.Name, role.ARN(), now)
	return &stsapi.AssumeRoleWithSAMLResponse{
		Credentials:      creds,
		AssumedRoleUser:  &stsapi.AssumedRoleUser{AssumedRoleId: role.ID + ":" + sessionName, Arn: sessionARN},
		PackedPolicySize: packedSize(tc, in.Policy != "" || len(policyARNs) > 0 || len(tags) > 0),
		Subject:          a.Subject,
		SubjectType:      a.SubjectType,
		Issuer:           a.Issuer,
		Audience:         a.Recipient,
		NameQualifier:    a.NameQualifier(account, name),
		SourceIdentity:   a.SourceIdentity,
	}, nil
}

// verifySAML verifies a base64 SAML response with the SAML provider
// providerARN as AssumeRoleWithSAML does (signature, conditions,
// audience, replay).
func (s *Service) verifySAML(ctx context.Context, providerARN, response string, now time.Time) (*saml.Assertion, error) {
	cp, err := s.fed.provider(ctx, providerARN, now)
	if errors.Is(err, errNoProvider) || (err == nil && cp.samlMeta == nil) {
		return nil, &saml.Error{Kind: saml.InvalidToken, Message: "SAML provider " + providerARN + " does not exist."}
	}
	if err != nil {
		return nil, err
	}
	return s.fed.saml.Verify(ctx, cp.samlMeta, response, now)
}
