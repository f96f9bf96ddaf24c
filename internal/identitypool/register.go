package identitypool

import (
	"context"
	"maps"

	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/restjson"
)

// Register puts Cognito Identity's actions on d.
func Register(d *restjson.Dispatcher, s *Service) {
	svc := d.Service(ServiceConfig())

	// Pools (pools.go), signed and authorized on the pool's ARN.
	admin(svc, "CreateIdentityPool", request.Writes, func(_ context.Context, r *restjson.Request[CreateIdentityPoolInput]) (request.Target, error) {
		return createTarget(r.Input.IdentityPoolTags), nil
	}, s.CreateIdentityPool)
	admin(svc, "DescribeIdentityPool", request.ReadOnly, poolTarget(s, func(in *PoolIDInput) string { return in.IdentityPoolId }),
		func(ctx context.Context, account string, in *PoolIDInput) (*Pool, error) {
			return s.DescribeIdentityPool(ctx, account, in.IdentityPoolId)
		})
	admin(svc, "ListIdentityPools", request.ReadOnly, starTarget[ListIdentityPoolsInput], s.ListIdentityPools)
	admin(svc, "UpdateIdentityPool", request.Writes, s.updateTarget, s.UpdateIdentityPool)
	admin(svc, "DeleteIdentityPool", request.Writes, poolTarget(s, func(in *PoolIDInput) string { return in.IdentityPoolId }),
		func(ctx context.Context, account string, in *PoolIDInput) (*Empty, error) {
			return &Empty{}, s.DeleteIdentityPool(ctx, account, in.IdentityPoolId)
		})
	adminMore(svc, "SetIdentityPoolRoles", request.Writes, poolTarget(s, func(in *SetIdentityPoolRolesInput) string { return in.IdentityPoolId }),
		s.passRoles, func(ctx context.Context, account string, in *SetIdentityPoolRolesInput) (*Empty, error) {
			return &Empty{}, s.SetIdentityPoolRoles(ctx, account, in)
		})
	admin(svc, "GetIdentityPoolRoles", request.ReadOnly, poolTarget(s, func(in *PoolIDInput) string { return in.IdentityPoolId }),
		func(ctx context.Context, account string, in *PoolIDInput) (*IdentityPoolRoles, error) {
			return s.GetIdentityPoolRoles(ctx, account, in.IdentityPoolId)
		})
	admin(svc, "SetPrincipalTagAttributeMap", request.Writes, poolTarget(s, func(in *PrincipalTagAttributeMap) string { return in.IdentityPoolId }),
		s.SetPrincipalTagAttributeMap)
	admin(svc, "GetPrincipalTagAttributeMap", request.ReadOnly, poolTarget(s, func(in *ProviderNameInput) string { return in.IdentityPoolId }),
		s.GetPrincipalTagAttributeMap)
	admin(svc, "TagResource", request.Writes, arnTarget(s, func(in *TagResourceInput) (string, map[string]string) { return in.ResourceArn, in.Tags }),
		func(ctx context.Context, account string, in *TagResourceInput) (*Empty, error) {
			return &Empty{}, s.TagResource(ctx, account, in)
		})
	admin(svc, "UntagResource", request.Writes, s.untagTarget,
		func(ctx context.Context, account string, in *UntagResourceInput) (*Empty, error) {
			return &Empty{}, s.UntagResource(ctx, account, in)
		})
	admin(svc, "ListTagsForResource", request.ReadOnly, arnTarget(s, func(in *ResourceArnInput) (string, map[string]string) { return in.ResourceArn, nil }),
		s.ListTagsForResource)

	// Identities (identities.go), signed.
	admin(svc, "ListIdentities", request.ReadOnly, poolTarget(s, func(in *ListIdentitiesInput) string { return in.IdentityPoolId }), s.ListIdentities)
	admin(svc, "DescribeIdentity", request.ReadOnly, s.identityTarget, s.DescribeIdentity)
	adminMore(svc, "DeleteIdentities", request.Writes, nil, s.deleteTargets, s.DeleteIdentities)
	restjson.RegisterTarget(svc, "GetOpenIdTokenForDeveloperIdentity", restjson.Handler[GetOpenIdTokenForDeveloperIdentityInput, OpenIdTokenOutput]{
		Effect: request.Writes, Target: poolTarget(s, func(in *GetOpenIdTokenForDeveloperIdentityInput) string { return in.IdentityPoolId }),
		Sensitive: []string{"Logins"},
		Serve: withCaller(func(ctx context.Context, r *restjson.Request[GetOpenIdTokenForDeveloperIdentityInput], account string) (*OpenIdTokenOutput, error) {
			return s.GetOpenIdTokenForDeveloperIdentity(ctx, account, r.Input, r.Start)
		}),
	})
	// A developer user identifier is the back end's name for its user:
	// kept out of the audit record like the Logins that carry it above
	// (LookupDeveloperIdentity's output lists them: not audited).
	developerAdmin(svc, "LookupDeveloperIdentity", request.ReadOnly, poolTarget(s, func(in *LookupDeveloperIdentityInput) string { return in.IdentityPoolId }),
		s.LookupDeveloperIdentity, false, "DeveloperUserIdentifier")
	developerAdmin(svc, "MergeDeveloperIdentities", request.Writes, poolTarget(s, func(in *MergeDeveloperIdentitiesInput) string { return in.IdentityPoolId }),
		s.MergeDeveloperIdentities, true, "SourceUserIdentifier", "DestinationUserIdentifier")
	developerAdmin(svc, "UnlinkDeveloperIdentity", request.Writes, poolTarget(s, func(in *UnlinkDeveloperIdentityInput) string { return in.IdentityPoolId }),
		func(ctx context.Context, account string, in *UnlinkDeveloperIdentityInput) (*Empty, error) {
			return &Empty{}, s.UnlinkDeveloperIdentity(ctx, account, in)
		}, true, "DeveloperUserIdentifier")

	// The app-facing actions, unsigned as on AWS: the logins are the
	// proof, verified by the action itself.
	const byLogins = "unsigned, as on AWS: the action verifies the login tokens it is given and the pool's settings decide"
	restjson.RegisterTarget(svc, "GetId", restjson.Handler[GetIdInput, IdentityIDOutput]{
		Effect: request.Writes, Unsigned: true, SkipAuthorization: byLogins, Sensitive: []string{"Logins"}, AuditResponse: true,
		Serve: func(ctx context.Context, r *restjson.Request[GetIdInput]) (*IdentityIDOutput, error) {
			return s.GetId(ctx, r.Input, r.Exchange)
		},
	})
	restjson.RegisterTarget(svc, "GetCredentialsForIdentity", restjson.Handler[GetCredentialsForIdentityInput, GetCredentialsForIdentityOutput]{
		Effect: request.IssuesCredentials, Unsigned: true, SkipAuthorization: byLogins, Sensitive: []string{"Logins"},
		Serve: func(ctx context.Context, r *restjson.Request[GetCredentialsForIdentityInput]) (*GetCredentialsForIdentityOutput, error) {
			return s.GetCredentialsForIdentity(ctx, r.Input, r.Exchange)
		},
	})
	restjson.RegisterTarget(svc, "GetOpenIdToken", restjson.Handler[GetOpenIdTokenInput, OpenIdTokenOutput]{
		// Writes: new logins are linked (identities merged) as for
		// GetCredentialsForIdentity; it calls Exchange.Unchanged when
		// it only read.
		Effect: request.Writes, Unsigned: true, SkipAuthorization: byLogins, Sensitive: []string{"Logins"},
		Serve: func(ctx context.Context, r *restjson.Request[GetOpenIdTokenInput]) (*OpenIdTokenOutput, error) {
			return s.GetOpenIdToken(ctx, r.Input, r.Exchange)
		},
	})
	restjson.RegisterTarget(svc, "UnlinkIdentity", restjson.Handler[UnlinkIdentityInput, Empty]{
		Effect: request.Writes, Unsigned: true, SkipAuthorization: byLogins, Sensitive: []string{"Logins"},
		Serve: func(ctx context.Context, r *restjson.Request[UnlinkIdentityInput]) (*Empty, error) {
			return &Empty{}, s.UnlinkIdentity(ctx, r.Input, r.Exchange)
		},
	})
}

// appCaller is the unsigned caller of an app-facing action once the pool
// its request names is known: Unknown still (no ARN, no account of its
// own), but its event is received by the pool's account
// (audit.RecipientPrincipal), as CloudTrail delivers these events to the
// pool's owner, so that LookupEvents of that account finds them.
type appCaller struct{ account string }

func (appCaller) ARN() string                  { return "" }
func (appCaller) AccountID() string            { return "" }
func (c appCaller) RecipientAccountID() string { return c.account }

// received makes the unsigned caller of x an appCaller of the pool's
// account. A signed caller stays as it is: its own account receives the
// event, as for any signed call.
func received(x *request.Exchange, account string) {
	if x == nil {
		return
	}
	if ip, ok := x.Principal.(*identity.Principal); ok && ip != nil && ip.Account == "" {
		x.Principal = appCaller{account: account}
	}
}

// caller is the signed caller of an administrative action.
func caller(p request.Principal) (*identity.Principal, error) {
	ip, ok := p.(*identity.Principal)
	if !ok || ip == nil || ip.Account == "" {
		return nil, notAuthorized("Access to the identity pools' administrative actions requires AWS credentials.", "unsigned or anonymous caller", nil)
	}
	return ip, nil
}

// withCaller serves with the signed caller's account.
func withCaller[In, Out any](serve func(context.Context, *restjson.Request[In], string) (*Out, error)) func(context.Context, *restjson.Request[In]) (*Out, error) {
	return func(ctx context.Context, r *restjson.Request[In]) (*Out, error) {
		ip, err := caller(r.Principal)
		if err != nil {
			return nil, err
		}
		return serve(ctx, r, ip.Account)
	}
}

// admin registers a signed action authorized on target and served with
// the caller's account; its output is audited.
func admin[In, Out any](svc *restjson.Service, name string, effect request.Effect,
	target func(context.Context, *restjson.Request[In]) (request.Target, error),
	serve func(context.Context, string, *In) (*Out, error)) {
	adminMore(svc, name, effect, target, nil, serve)
}

// adminMore is admin with further authorizations, every one of which must
// be allowed too (iam:PassRole on the roles SetIdentityPoolRoles gives).
func adminMore[In, Out any](svc *restjson.Service, name string, effect request.Effect,
	target func(context.Context, *restjson.Request[In]) (request.Target, error),
	more func(context.Context, *restjson.Request[In]) ([]request.Target, error),
	serve func(context.Context, string, *In) (*Out, error)) {
	restjson.RegisterTarget(svc, name, restjson.Handler[In, Out]{
		Effect: effect, Target: target, Targets: more, AuditResponse: true,
		Serve: withCaller(func(ctx context.Context, r *restjson.Request[In], account string) (*Out, error) {
			return serve(ctx, account, r.Input)
		}),
	})
}

// developerAdmin is admin for the developer identities' actions: the
// sensitive members (developer user identifiers) are hidden in the audit
// record, and the output is audited only when auditResponse.
func developerAdmin[In, Out any](svc *restjson.Service, name string, effect request.Effect,
	target func(context.Context, *restjson.Request[In]) (request.Target, error),
	serve func(context.Context, string, *In) (*Out, error), auditResponse bool, sensitive ...string) {
	restjson.RegisterTarget(svc, name, restjson.Handler[In, Out]{
		Effect: effect, Target: target, AuditResponse: auditResponse, Sensitive: sensitive,
		Serve: withCaller(func(ctx context.Context, r *restjson.Request[In], account string) (*Out, error) {
			return serve(ctx, account, r.Input)
		}),
	})
}

// starTarget authorizes an action without a resource.
func starTarget[In any](_ context.Context, r *restjson.Request[In]) (request.Target, error) {
	if _, err := caller(r.Principal); err != nil {
		return request.Target{}, err
	}
	return request.Target{Resource: "*"}, nil
}

// createTarget authorizes CreateIdentityPool: "*", with the tags it puts
// on the pool as aws:RequestTag/KEY and aws:TagKeys.
func createTarget(tags map[string]string) request.Target {
	return request.Target{Resource: "*", Context: request.RequestTagContext(maps.All(tags))}
}

// poolTarget authorizes an action on the pool its input names, in the
// caller's account, with the pool's tags as aws:ResourceTag/KEY.
func poolTarget[In any](s *Service, id func(*In) string) func(context.Context, *restjson.Request[In]) (request.Target, error) {
	return func(ctx context.Context, r *restjson.Request[In]) (request.Target, error) {
		ip, err := caller(r.Principal)
		if err != nil {
			return request.Target{}, err
		}
		return s.poolResource(ctx, ip.Account, id(r.Input), nil)
	}
}
