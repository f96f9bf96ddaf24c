package sts

import (
	"context"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
)

// Register adds the STS actions Brevet supports to d. Add WireError to the
// dispatcher's ErrorMappers.
func Register(d *awsquery.Dispatcher, s *Service) {
	awsquery.Register(d, stsapi.GetCallerIdentity, awsquery.Handler[stsapi.GetCallerIdentityRequest, stsapi.GetCallerIdentityResponse]{
		Effect:            request.ReadOnly,
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
		Effect: request.ReadOnly,
		Target: func(_ context.Context, r *awsquery.Request[stsapi.GetAccessKeyInfoRequest]) (request.Target, error) {
			return starTarget(r.Principal, "GetAccessKeyInfo")
		},
		Serve: func(ctx context.Context, r *awsquery.Request[stsapi.GetAccessKeyInfoRequest]) (*stsapi.GetAccessKeyInfoResponse, error) {
			return s.GetAccessKeyInfo(ctx, r.Input)
		},
	})
	awsquery.Register(d, stsapi.DecodeAuthorizationMessage, awsquery.Handler[stsapi.DecodeAuthorizationMessageRequest, stsapi.DecodeAuthorizationMessageResponse]{
		Effect: request.ReadOnly,
		Target: func(_ context.Context, r *awsquery.Request[stsapi.DecodeAuthorizationMessageRequest]) (request.Target, error) {
			return starTarget(r.Principal, "DecodeAuthorizationMessage")
		},
		Serve: func(ctx context.Context, r *awsquery.Request[stsapi.DecodeAuthorizationMessageRequest]) (*stsapi.DecodeAuthorizationMessageResponse, error) {
			return s.DecodeAuthorizationMessage(ctx, r.Principal, r.Input)
		},
	})
	awsquery.Register(d, stsapi.GetSessionToken, awsquery.Handler[stsapi.GetSessionTokenRequest, stsapi.GetSessionTokenResponse]{
		Effect:            request.IssuesCredentials,
		SkipAuthorization: "no permissions are required for GetSessionToken (IAM User Guide, id_credentials_temp_control-access_getsessiontoken): policies cannot control authentication",
		Serve: func(ctx context.Context, r *awsquery.Request[stsapi.GetSessionTokenRequest]) (*stsapi.GetSessionTokenResponse, error) {
			p, err := principal(r.Principal)
			if err != nil {
				return nil, err
			}
			out, err := s.GetSessionToken(ctx, p, r.Input, r.Now)
			if err == nil {
				r.Issue(issuance("GetSessionToken", p, r, out.Credentials, p.CallerARN, p.CallerARN, ""))
			}
			return out, err
		},
	})
	awsquery.Register(d, stsapi.GetFederationToken, awsquery.Handler[stsapi.GetFederationTokenRequest, stsapi.GetFederationTokenResponse]{
		Effect: request.IssuesCredentials,
		Target: func(_ context.Context, r *awsquery.Request[stsapi.GetFederationTokenRequest]) (request.Target, error) {
			p, err := principal(r.Principal)
			if err != nil {
				return request.Target{}, err
			}
			if err := federationCaller(p); err != nil {
				return request.Target{}, err // AWS refuses session callers before any policy check
			}
			return request.Target{Resource: iam.FederatedUserARN(p.Account, r.Input.Name)}, nil
		},
		Serve: func(ctx context.Context, r *awsquery.Request[stsapi.GetFederationTokenRequest]) (*stsapi.GetFederationTokenResponse, error) {
			p, err := principal(r.Principal)
			if err != nil {
				return nil, err
			}
			out, err := s.GetFederationToken(ctx, p, r.Input, facts(r))
			if err == nil {
				r.Issue(issuance("GetFederationToken", p, r, out.Credentials, p.CallerARN, out.FederatedUser.Arn, r.Input.Name))
			}
			return out, err
		},
	})
	awsquery.Register(d, stsapi.AssumeRole, awsquery.Handler[stsapi.AssumeRoleRequest, stsapi.AssumeRoleResponse]{
		Effect:            request.IssuesCredentials,
		SkipAuthorization: "authorized inside the action by authz.AuthorizeAssumeRole: the role's trust policy must allow, and the caller's policies as AWS requires",
		Serve: func(ctx context.Context, r *awsquery.Request[stsapi.AssumeRoleRequest]) (*stsapi.AssumeRoleResponse, error) {
			p, err := principal(r.Principal)
			if err != nil {
				return nil, err
			}
			if s.Brokered(r.Input.RoleArn) {
				out, sess, err := s.BrokeredAssumeRole(ctx, p, r.Input, facts(r))
				if err == nil {
					i := issuance("BrokeredAssumeRole", p, r, out.Credentials, r.Input.RoleArn, out.AssumedRoleUser.Arn, r.Input.RoleSessionName)
					up := sess.Upstream
					i.Upstream = &up
					r.Issue(i)
				}
				return out, err
			}
			out, err := s.AssumeRole(ctx, p, r.Input, facts(r))
			if err == nil {
				r.Issue(issuance("AssumeRole", p, r, out.Credentials, r.Input.RoleArn, out.AssumedRoleUser.Arn, r.Input.RoleSessionName))
			}
			return out, err
		},
	})
	registerFederation(d, s) // federation_register.go
}

// issuance is what an action minted, for the pipeline's commit step:
// temporary credentials issued to principalARN as the session sessionARN,
// at the request of p (anonymous for the federation actions, which are
// unsigned). The credentials act in principalARN's account.
func issuance[In any](kind string, p *identity.Principal, r *awsquery.Request[In], c *stsapi.Credentials, principalARN, sessionARN, sessionName string) request.Issuance {
	i := request.Issuance{
		Kind: kind, AccessKeyID: c.AccessKeyId, Expires: c.Expiration, Issued: r.Now, SourceIP: r.SourceIP,
		Account: p.Account, PrincipalARN: principalARN, SessionARN: sessionARN, SessionName: sessionName,
		ParentAccessKeyID: p.AccessKeyID, RootAccessKeyID: p.AccessKeyID,
	}
	if p.Session != nil && p.Session.RootAccessKeyID != "" {
		i.RootAccessKeyID = p.Session.RootAccessKeyID
	}
	if acct := iam.ARNAccount(principalARN); acct != "" {
		i.Account = acct
	}
	return i
}

// facts are a request's facts for the authorizer.
func facts[In any](r *awsquery.Request[In]) authz.Facts {
	return authz.Facts{Now: r.Now, SourceIP: r.SourceIP, UserAgent: r.UserAgent, SecureTransport: r.SecureTransport}
}

// starTarget is the target of an action without a resource, after AWS's
// restrictions on session callers, which come before any policy check.
func starTarget(p request.Principal, action string) (request.Target, error) {
	ip, err := principal(p)
	if err != nil {
		return request.Target{}, err
	}
	if err := sessionMayCall(ip, action); err != nil {
		return request.Target{}, err
	}
	return request.Target{Resource: "*"}, nil
}
