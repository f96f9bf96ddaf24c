package sts

import (
	"context"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
)

// registerFederation adds AssumeRoleWithWebIdentity, AssumeRoleWithSAML
// and GetWebIdentityToken. The first two are unsigned (the dispatcher's
// authenticator returns an anonymous principal) and authorized inside the
// action by the role's trust policy once the assertion is verified.
func registerFederation(d *awsquery.Dispatcher, s *Service) {
	awsquery.Register(d, stsapi.AssumeRoleWithWebIdentity, awsquery.Handler[stsapi.AssumeRoleWithWebIdentityRequest, stsapi.AssumeRoleWithWebIdentityResponse]{
		SkipAuthorization: "unsigned, as on AWS: the web identity token is verified and the role's trust policy evaluated inside the action",
		Serve: func(ctx context.Context, r *awsquery.Request[stsapi.AssumeRoleWithWebIdentityRequest]) (*stsapi.AssumeRoleWithWebIdentityResponse, error) {
			return s.AssumeRoleWithWebIdentity(ctx, r.Input, facts(r))
		},
	})
	awsquery.Register(d, stsapi.AssumeRoleWithSAML, awsquery.Handler[stsapi.AssumeRoleWithSAMLRequest, stsapi.AssumeRoleWithSAMLResponse]{
		SkipAuthorization: "unsigned, as on AWS: the SAML assertion is verified and the role's trust policy evaluated inside the action",
		Serve: func(ctx context.Context, r *awsquery.Request[stsapi.AssumeRoleWithSAMLRequest]) (*stsapi.AssumeRoleWithSAMLResponse, error) {
			return s.AssumeRoleWithSAML(ctx, r.Input, facts(r))
		},
	})
	awsquery.Register(d, stsapi.GetWebIdentityToken, awsquery.Handler[stsapi.GetWebIdentityTokenRequest, stsapi.GetWebIdentityTokenResponse]{
		Target: func(_ context.Context, r *awsquery.Request[stsapi.GetWebIdentityTokenRequest]) (awsquery.Target, error) {
			p, err := principal(r.Principal)
			if err != nil {
				return awsquery.Target{}, err
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
