package sts

import (
	"context"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/iam"
)

// Register adds the STS actions Brevet supports to d. Add WireError to the
// dispatcher's ErrorMappers.
func Register(d *awsquery.Dispatcher, s *Service) {
	awsquery.Register(d, stsapi.GetCallerIdentity, awsquery.Handler[stsapi.GetCallerIdentityRequest, stsapi.GetCallerIdentityResponse]{
		SkipAuthorization: "AWS allows GetCallerIdentity to every authenticated caller; no policy can deny it",
		Serve: func(ctx context.Context, r *awsquery.Request[stsapi.GetCallerIdentityRequest]) (*stsapi.GetCallerIdentityResponse, error) {
			p, err := principal(r.Principal)
			if err != nil {
				return nil, err
			}
			return s.GetCallerIdentity(ctx, p)
		},
	})
	awsquery.Register(d, stsapi.GetAccessKeyInfo, awsquery.Handler[stsapi.GetAccessKeyInfoRequest, stsapi.GetAccessKeyInfoResponse]{
		Target: func(_ context.Context, r *awsquery.Request[stsapi.GetAccessKeyInfoRequest]) (awsquery.Target, error) {
			return starTarget(r.Principal, "GetAccessKeyInfo")
		},
		Serve: func(ctx context.Context, r *awsquery.Request[stsapi.GetAccessKeyInfoRequest]) (*stsapi.GetAccessKeyInfoResponse, error) {
			return s.GetAccessKeyInfo(ctx, r.Input)
		},
	})
	awsquery.Register(d, stsapi.DecodeAuthorizationMessage, awsquery.Handler[stsapi.DecodeAuthorizationMessageRequest, stsapi.DecodeAuthorizationMessageResponse]{
		Target: func(_ context.Context, r *awsquery.Request[stsapi.DecodeAuthorizationMessageRequest]) (awsquery.Target, error) {
			return starTarget(r.Principal, "DecodeAuthorizationMessage")
		},
		Serve: func(ctx context.Context, r *awsquery.Request[stsapi.DecodeAuthorizationMessageRequest]) (*stsapi.DecodeAuthorizationMessageResponse, error) {
			return s.DecodeAuthorizationMessage(ctx, r.Principal, r.Input)
		},
	})
	awsquery.Register(d, stsapi.GetSessionToken, awsquery.Handler[stsapi.GetSessionTokenRequest, stsapi.GetSessionTokenResponse]{
		SkipAuthorization: "no permissions are required for GetSessionToken (IAM User Guide, id_credentials_temp_control-access_getsessiontoken): policies cannot control authentication",
		Serve: func(ctx context.Context, r *awsquery.Request[stsapi.GetSessionTokenRequest]) (*stsapi.GetSessionTokenResponse, error) {
			p, err := principal(r.Principal)
			if err != nil {
				return nil, err
			}
			return s.GetSessionToken(ctx, p, r.Input, r.Now)
		},
	})
	awsquery.Register(d, stsapi.GetFederationToken, awsquery.Handler[stsapi.GetFederationTokenRequest, stsapi.GetFederationTokenResponse]{
		Target: func(_ context.Context, r *awsquery.Request[stsapi.GetFederationTokenRequest]) (awsquery.Target, error) {
			p, err := principal(r.Principal)
			if err != nil {
				return awsquery.Target{}, err
			}
			if err := federationCaller(p); err != nil {
				return awsquery.Target{}, err // AWS refuses session callers before any policy check
			}
			return awsquery.Target{Resource: iam.FederatedUserARN(p.Account, r.Input.Name)}, nil
		},
		Serve: func(ctx context.Context, r *awsquery.Request[stsapi.GetFederationTokenRequest]) (*stsapi.GetFederationTokenResponse, error) {
			p, err := principal(r.Principal)
			if err != nil {
				return nil, err
			}
			return s.GetFederationToken(ctx, p, r.Input, facts(r))
		},
	})
	awsquery.Register(d, stsapi.AssumeRole, awsquery.Handler[stsapi.AssumeRoleRequest, stsapi.AssumeRoleResponse]{
		SkipAuthorization: "authorized inside the action by authz.AuthorizeAssumeRole: the role's trust policy must allow, and the caller's policies as AWS requires",
		Serve: func(ctx context.Context, r *awsquery.Request[stsapi.AssumeRoleRequest]) (*stsapi.AssumeRoleResponse, error) {
			p, err := principal(r.Principal)
			if err != nil {
				return nil, err
			}
			return s.AssumeRole(ctx, p, r.Input, facts(r))
		},
	})
	registerFederation(d, s) // federation_register.go
}

// facts are a request's facts for the authorizer.
func facts[In any](r *awsquery.Request[In]) authz.Facts {
	return authz.Facts{Now: r.Now, SourceIP: r.SourceIP, UserAgent: r.UserAgent, SecureTransport: r.SecureTransport}
}

// starTarget is the target of an action without a resource, after AWS's
// restrictions on session callers, which come before any policy check.
func starTarget(p awsquery.Principal, action string) (awsquery.Target, error) {
	ip, err := principal(p)
	if err != nil {
		return awsquery.Target{}, err
	}
	if err := sessionMayCall(ip, action); err != nil {
		return awsquery.Target{}, err
	}
	return awsquery.Target{Resource: "*"}, nil
}
