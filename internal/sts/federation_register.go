package sts

import (
	"context"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
)

// registerFederation adds AssumeRoleWithWebIdentity, AssumeRoleWithSAML
// and GetWebIdentityToken. The first two are unsigned (the dispatcher's
// authenticator returns an anonymous principal) and authorized inside the
// action by the role's trust policy once the assertion is verified.
func registerFederation(d *awsquery.Dispatcher, s *Service) {
	awsquery.Register(d, stsapi.AssumeRoleWithWebIdentity, awsquery.Handler[stsapi.AssumeRoleWithWebIdentityRequest, stsapi.AssumeRoleWithWebIdentityResponse]{
		Effect:            request.IssuesCredentials,
		SkipAuthorization: "unsigned, as on AWS: the web identity token is verified and the role's trust policy evaluated inside the action",
		Serve: func(ctx context.Context, r *awsquery.Request[stsapi.AssumeRoleWithWebIdentityRequest]) (*stsapi.AssumeRoleWithWebIdentityResponse, error) {
			out, err := s.AssumeRoleWithWebIdentity(ctx, r.Input, facts(r))
			if err == nil {
				r.Issue(issuance("AssumeRoleWithWebIdentity", anonymous(r.Principal), r, out.Credentials, r.Input.RoleArn, out.AssumedRoleUser.Arn, r.Input.RoleSessionName))
			}
			return out, err
		},
	})
	awsquery.Register(d, stsapi.AssumeRoleWithSAML, awsquery.Handler[stsapi.AssumeRoleWithSAMLRequest, stsapi.AssumeRoleWithSAMLResponse]{
		Effect:            request.IssuesCredentials,
		SkipAuthorization: "unsigned, as on AWS: the SAML assertion is verified and the role's trust policy evaluated inside the action",
		Serve: func(ctx context.Context, r *awsquery.Request[stsapi.AssumeRoleWithSAMLRequest]) (*stsapi.AssumeRoleWithSAMLResponse, error) {
			out, err := s.AssumeRoleWithSAML(ctx, r.Input, facts(r))
			if err == nil {
				r.Issue(issuance("AssumeRoleWithSAML", anonymous(r.Principal), r, out.Credentials, r.Input.RoleArn, out.AssumedRoleUser.Arn, ""))
			}
			return out, err
		},
	})
	awsquery.Register(d, stsapi.GetWebIdentityToken, awsquery.Handler[stsapi.GetWebIdentityTokenRequest, stsapi.GetWebIdentityTokenResponse]{
		// The token is signed, not stored: nothing is written.
		Effect: request.ReadOnly,
		Target: func(_ context.Context, r *awsquery.Request[stsapi.GetWebIdentityTokenRequest]) (request.Target, error) {
			p, err := principal(r.Principal)
			if err != nil {
				return request.Target{}, err
			}
			return webTokenTarget(p, r.Input)
		},
		Serve: func(ctx context.Context, r *awsquery.Request[stsapi.GetWebIdentityTokenRequest]) (*stsapi.GetWebIdentityTokenResponse, error) {
			p, err := principal(r.Principal)
			if err != nil {
				return nil, err
			}
			return s.GetWebIdentityToken(ctx, p, r.Input, r.Now)
		},
	})
}

// anonymous is the caller of an unsigned action as the authenticator made
// it, or an empty principal.
func anonymous(p request.Principal) *identity.Principal {
	if ip, ok := p.(*identity.Principal); ok && ip != nil {
		return ip
	}
	return &identity.Principal{}
}
