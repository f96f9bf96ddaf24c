package broker

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/brevetapi"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/broker/upstream"
	"github.com/brevet-dev/brevet/internal/iam/trust"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
)

// Issuance kinds of the brokered tokens.
const (
	KindSessionToken    = "GetUpstreamSessionToken"
	KindFederationToken = "GetUpstreamFederationToken"
)

// Register puts the broker's actions (brevetapi, docs/broker.md) on d:
// signed, authorized as brevet:ACTION on the upstream's ARN (UpstreamARN)
// or the upstream role's ARN (the List actions on "*"), and audited. The
// writes sync the node's registry before answering; the brokered tokens
// issue credentials (the upstream's: audited with their upstream facts,
// not indexed). Add WireError to the dispatcher's ErrorMappers.
func Register(d *awsquery.Dispatcher, s *Service) {
	registerUpstreams(d, s)
	registerRoles(d, s)
	registerTokens(d, s)
}

func registerUpstreams(d *awsquery.Dispatcher, s *Service) {
	for _, op := range []*awsquery.Operation[brevetapi.UpstreamAccountRequest, brevetapi.UpstreamAccountResponse]{
		brevetapi.CreateUpstreamAccount, brevetapi.UpdateUpstreamAccount} {
		write := s.UpdateUpstream
		if op == brevetapi.CreateUpstreamAccount {
			write = s.CreateUpstream
		}
		awsquery.Register(d, op, awsquery.Handler[brevetapi.UpstreamAccountRequest, brevetapi.UpstreamAccountResponse]{
			Effect: request.Writes,
			Target: func(_ context.Context, r *awsquery.Request[brevetapi.UpstreamAccountRequest]) (request.Target, error) {
				return upstreamTarget(r.Principal, r.Input.UpstreamAccountId)
			},
			Serve: signed(func(ctx context.Context, p *identity.Principal, r *awsquery.Request[brevetapi.UpstreamAccountRequest]) (*brevetapi.UpstreamAccountResponse, error) {
				return upstreamResponse(write(ctx, p, r.Input, r.Now))
			}),
		})
	}
	awsquery.Register(d, brevetapi.GetUpstreamAccount, awsquery.Handler[brevetapi.UpstreamAccountIdRequest, brevetapi.UpstreamAccountResponse]{
		Effect: request.ReadOnly,
		Target: func(_ context.Context, r *awsquery.Request[brevetapi.UpstreamAccountIdRequest]) (request.Target, error) {
			return upstreamTarget(r.Principal, r.Input.UpstreamAccountId)
		},
		Serve: signed(func(ctx context.Context, p *identity.Principal, r *awsquery.Request[brevetapi.UpstreamAccountIdRequest]) (*brevetapi.UpstreamAccountResponse, error) {
			return upstreamResponse(s.GetUpstream(ctx, p.Account, r.Input.UpstreamAccountId))
		}),
	})
	awsquery.Register(d, brevetapi.RotateUpstreamKey, awsquery.Handler[brevetapi.UpstreamAccountIdRequest, brevetapi.UpstreamAccountResponse]{
		Effect: request.Writes,
		Target: func(_ context.Context, r *awsquery.Request[brevetapi.UpstreamAccountIdRequest]) (request.Target, error) {
			return upstreamTarget(r.Principal, r.Input.UpstreamAccountId)
		},
		Serve: signed(func(ctx context.Context, p *identity.Principal, r *awsquery.Request[brevetapi.UpstreamAccountIdRequest]) (*brevetapi.UpstreamAccountResponse, error) {
			return upstreamResponse(s.Rotate(ctx, p.Account, r.Input.UpstreamAccountId, r.Now))
		}),
	})
	awsquery.Register(d, brevetapi.DeleteUpstreamAccount, awsquery.Handler[brevetapi.UpstreamAccountIdRequest, awsquery.Empty]{
		Effect: request.Writes,
		Target: func(_ context.Context, r *awsquery.Request[brevetapi.UpstreamAccountIdRequest]) (request.Target, error) {
			return upstreamTarget(r.Principal, r.Input.UpstreamAccountId)
		},
		Serve: signed(func(ctx context.Context, p *identity.Principal, r *awsquery.Request[brevetapi.UpstreamAccountIdRequest]) (*awsquery.Empty, error) {
			return &awsquery.Empty{}, s.DeleteUpstream(ctx, p.Account, r.Input.UpstreamAccountId)
		}),
	})
	awsquery.Register(d, brevetapi.ListUpstreamAccounts, awsquery.Handler[brevetapi.ListUpstreamAccountsRequest, brevetapi.ListUpstreamAccountsResponse]{
		Effect: request.ReadOnly,
		Target: func(_ context.Context, r *awsquery.Request[brevetapi.ListUpstreamAccountsRequest]) (request.Target, error) {
			return request.Target{Resource: "*"}, nil
		},
		Serve: signed(func(ctx context.Context, p *identity.Principal, r *awsquery.Request[brevetapi.ListUpstreamAccountsRequest]) (*brevetapi.ListUpstreamAccountsResponse, error) {
			us, next, err := s.ListUpstreams(ctx, p.Account, r.Input.Marker, int(r.Input.MaxItems))
			if err != nil {
				return nil, err
			}
			out := &brevetapi.ListUpstreamAccountsResponse{UpstreamAccounts: make([]brevetapi.UpstreamAccount, len(us)), IsTruncated: next != "", Marker: next}
			for i := range us {
				out.UpstreamAccounts[i] = wireUpstream(&us[i])
			}
			return out, nil
		}),
	})
}

func registerRoles(d *awsquery.Dispatcher, s *Service) {
	for _, op := range []*awsquery.Operation[brevetapi.BrokeredRoleRequest, brevetapi.BrokeredRoleResponse]{
		brevetapi.CreateBrokeredRole, brevetapi.UpdateBrokeredRole} {
		write := s.UpdateRole
		if op == brevetapi.CreateBrokeredRole {
			write = s.CreateRole
		}
		awsquery.Register(d, op, awsquery.Handler[brevetapi.BrokeredRoleRequest, brevetapi.BrokeredRoleResponse]{
			Effect: request.Writes,
			Target: func(_ context.Context, r *awsquery.Request[brevetapi.BrokeredRoleRequest]) (request.Target, error) {
				return roleTarget(r.Principal, r.Input.RoleArn)
			},
			Serve: signed(func(ctx context.Context, p *identity.Principal, r *awsquery.Request[brevetapi.BrokeredRoleRequest]) (*brevetapi.BrokeredRoleResponse, error) {
				role, err := write(ctx, p, r.Input, r.Now)
				if err != nil {
					return nil, err
				}
				return s.roleResponse(ctx, &role)
			}),
		})
	}
	awsquery.Register(d, brevetapi.GetBrokeredRole, awsquery.Handler[brevetapi.RoleArnRequest, brevetapi.BrokeredRoleResponse]{
		Effect: request.ReadOnly,
		Target: func(_ context.Context, r *awsquery.Request[brevetapi.RoleArnRequest]) (request.Target, error) {
			return roleTarget(r.Principal, r.Input.RoleArn)
		},
		Serve: signed(func(ctx context.Context, p *identity.Principal, r *awsquery.Request[brevetapi.RoleArnRequest]) (*brevetapi.BrokeredRoleResponse, error) {
			role, err := s.GetRole(ctx, p.Account, r.Input.RoleArn)
			if err != nil {
				return nil, err
			}
			return s.roleResponse(ctx, &role)
		}),
	})
	awsquery.Register(d, brevetapi.DeleteBrokeredRole, awsquery.Handler[brevetapi.RoleArnRequest, awsquery.Empty]{
		Effect: request.Writes,
		Target: func(_ context.Context, r *awsquery.Request[brevetapi.RoleArnRequest]) (request.Target, error) {
			return roleTarget(r.Principal, r.Input.RoleArn)
		},
		Serve: signed(func(ctx context.Context, p *identity.Principal, r *awsquery.Request[brevetapi.RoleArnRequest]) (*awsquery.Empty, error) {
			return &awsquery.Empty{}, s.DeleteRole(ctx, p.Account, r.Input.RoleArn)
		}),
	})
	awsquery.Register(d, brevetapi.ListBrokeredRoles, awsquery.Handler[brevetapi.ListBrokeredRolesRequest, brevetapi.ListBrokeredRolesResponse]{
		Effect: request.ReadOnly,
		Target: func(_ context.Context, r *awsquery.Request[brevetapi.ListBrokeredRolesRequest]) (request.Target, error) {
			return request.Target{Resource: "*"}, nil
		},
		Serve: signed(func(ctx context.Context, p *identity.Principal, r *awsquery.Request[brevetapi.ListBrokeredRolesRequest]) (*brevetapi.ListBrokeredRolesResponse, error) {
			rs, next, err := s.ListRoles(ctx, p.Account, r.Input.UpstreamAccountId, r.Input.Marker, int(r.Input.MaxItems))
			if err != nil {
				return nil, err
			}
			out := &brevetapi.ListBrokeredRolesResponse{BrokeredRoles: make([]brevetapi.BrokeredRole, len(rs)), IsTruncated: next != "", Marker: next}
			sh := trust.NewShower(s.st)
			for i := range rs {
				if out.BrokeredRoles[i], err = s.wireRole(ctx, sh, &rs[i]); err != nil {
					return nil, err
				}
			}
			return out, nil
		}),
	})
}

func registerTokens(d *awsquery.Dispatcher, s *Service) {
	awsquery.Register(d, brevetapi.GetUpstreamSessionToken, awsquery.Handler[brevetapi.GetUpstreamSessionTokenRequest, brevetapi.GetUpstreamSessionTokenResponse]{
		Effect: request.IssuesCredentials,
		Target: func(_ context.Context, r *awsquery.Request[brevetapi.GetUpstreamSessionTokenRequest]) (request.Target, error) {
			return tokenTarget(r.Principal, r.Input.UpstreamAccountId, r.Input.DurationSeconds)
		},
		Serve: signed(func(ctx context.Context, p *identity.Principal, r *awsquery.Request[brevetapi.GetUpstreamSessionTokenRequest]) (*brevetapi.GetUpstreamSessionTokenResponse, error) {
			id := r.Input.UpstreamAccountId
			sess, rec, err := s.SessionToken(ctx, p, id, seconds(r.Input.DurationSeconds), r.Now)
			if err != nil {
				return nil, err
			}
			r.Issue(issuance(KindSessionToken, p, r.Now, r.SourceIP, sess, &rec, ""))
			return &brevetapi.GetUpstreamSessionTokenResponse{Credentials: credentials(sess), UpstreamAccountId: id}, nil
		}),
	})
	awsquery.Register(d, brevetapi.GetUpstreamFederationToken, awsquery.Handler[brevetapi.GetUpstreamFederationTokenRequest, brevetapi.GetUpstreamFederationTokenResponse]{
		Effect: request.IssuesCredentials,
		Target: func(_ context.Context, r *awsquery.Request[brevetapi.GetUpstreamFederationTokenRequest]) (request.Target, error) {
			return tokenTarget(r.Principal, r.Input.UpstreamAccountId, r.Input.DurationSeconds)
		},
		Serve: signed(func(ctx context.Context, p *identity.Principal, r *awsquery.Request[brevetapi.GetUpstreamFederationTokenRequest]) (*brevetapi.GetUpstreamFederationTokenResponse, error) {
			in := r.Input
			fi := upstream.FederationInput{Name: in.Name, Duration: seconds(in.DurationSeconds), Policy: in.Policy}
			for _, a := range in.PolicyArns {
				fi.PolicyARNs = append(fi.PolicyARNs, a.Arn)
			}
			for _, t := range in.Tags {
				fi.Tags = append(fi.Tags, upstream.Tag{Key: t.Key, Value: t.Value})
			}
			sess, rec, err := s.FederationToken(ctx, p, in.UpstreamAccountId, fi, r.Now)
			if err != nil {
				return nil, err
			}
			r.Issue(issuance(KindFederationToken, p, r.Now, r.SourceIP, sess, &rec, in.Name))
			return &brevetapi.GetUpstreamFederationTokenResponse{Credentials: credentials(sess),
				FederatedUser:    stsapi.FederatedUser{Arn: sess.ARN, FederatedUserId: sess.AssumedRoleID},
				PackedPolicySize: sess.PackedPolicySize, UpstreamAccountId: in.UpstreamAccountId}, nil
		}),
	})
}

// issuance records a brokered token: the upstream's credentials, with
// the upstream facts (not indexed: Brevet can neither verify nor revoke
// them). Its principal is the upstream's ARN in Brevet (UpstreamARN).
func issuance(kind string, p *identity.Principal, now time.Time, sourceIP string, sess *upstream.Session, rec *request.UpstreamSession, name string) request.Issuance {
	i := request.Issuance{Kind: kind, AccessKeyID: sess.AccessKeyID, Expires: sess.Expiration, Issued: now, SourceIP: sourceIP,
		Account: rec.Account, PrincipalARN: UpstreamARN(p.Account, rec.Account), SessionARN: sess.ARN, SessionName: name,
		ParentAccessKeyID: p.AccessKeyID, RootAccessKeyID: p.AccessKeyID, Upstream: rec}
	if p.Session != nil && p.Session.RootAccessKeyID != "" {
		i.RootAccessKeyID = p.Session.RootAccessKeyID
	}
	return i
}

func credentials(s *upstream.Session) stsapi.Credentials {
	return stsapi.Credentials{AccessKeyId: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey, SessionToken: s.SessionToken, Expiration: s.Expiration}
}

func seconds(n *int32) time.Duration {
	if n == nil {
		return 0
	}
	return time.Duration(*n) * time.Second
}

// upstreamTarget is an upstream action's target: the upstream's ARN in
// the caller's account.
func upstreamTarget(p request.Principal, id string) (request.Target, error) {
	ip, err := caller(p)
	if err != nil {
		return request.Target{}, err
	}
	return request.Target{Resource: UpstreamARN(ip.Account, id)}, nil
}

// tokenTarget is a brokered token's target: the upstream's ARN, with
// sts:DurationSeconds (the default when the request gives none).
func tokenTarget(p request.Principal, id string, d *int32) (request.Target, error) {
	t, err := upstreamTarget(p, id)
	if err != nil {
		return t, err
	}
	n := int64(DefaultTokenDuration / time.Second)
	if d != nil {
		n = int64(*d)
	}
	t.Context = map[string][]string{"sts:DurationSeconds": {strconv.FormatInt(n, 10)}}
	return t, nil
}

// roleTarget is a brokered role action's target: the upstream role's
// ARN, a resource of the caller's account (where the registration is),
// not of the upstream account its ARN names: the caller's identity
// policies decide, as for any resource of its own account.
func roleTarget(p request.Principal, arn string) (request.Target, error) {
	ip, err := caller(p)
	if err != nil {
		return request.Target{}, err
	}
	return request.Target{Resource: arn, ResourceAccount: ip.Account}, nil
}

// wireUpstream is an upstream account as the API shows it: never its
// secret, its CA bundle only as HasCaBundle.
func wireUpstream(u *Upstream) brevetapi.UpstreamAccount {
	w := brevetapi.UpstreamAccount{UpstreamAccountId: u.ID, Arn: UpstreamARN(u.Account, u.ID), Mode: u.Mode,
		StsEndpoint: u.STSEndpoint, IamEndpoint: u.IAMEndpoint, Region: u.Region, Audience: u.Audience,
		HasCaBundle: u.CABundle != "", UserName: u.UserName, RotateEveryDays: int32(u.RotateEvery / (24 * time.Hour)),
		LastRotated: u.Rotation.Last, LastRotationFailed: u.Rotation.Failed, LastRotationError: u.Rotation.Error,
		Rate: int32(u.Rate), Burst: int32(u.Burst), CacheCredentials: u.Cache, Description: u.Description,
		Created: u.Created, CreatedBy: u.CreatedBy}
	if w.Rate == 0 {
		w.Rate = upstream.DefaultRate
	}
	if w.Burst == 0 {
		w.Burst = upstream.DefaultBurst
	}
	if u.Key != nil {
		w.AccessKeyId, w.KeyCreated = u.Key.AccessKeyID, u.Key.Created
	}
	return w
}

// upstreamResponse answers an action on one upstream account: u, or err.
func upstreamResponse(u Upstream, err error) (*brevetapi.UpstreamAccountResponse, error) {
	if err != nil {
		return nil, err
	}
	return &brevetapi.UpstreamAccountResponse{UpstreamAccount: wireUpstream(&u)}, nil
}

// roleResponse answers an action on one brokered role.
func (s *Service) roleResponse(ctx context.Context, r *Role) (*brevetapi.BrokeredRoleResponse, error) {
	w, err := s.wireRole(ctx, trust.NewShower(s.st), r)
	if err != nil {
		return nil, err
	}
	return &brevetapi.BrokeredRoleResponse{BrokeredRole: w}, nil
}

// wireRole is a brokered role as the API shows it: the trust policy as
// IAM's GetRole shows one (a bound principal deleted since as its unique
// id; URL-encoded).
func (s *Service) wireRole(ctx context.Context, sh *trust.Shower, r *Role) (brevetapi.BrokeredRole, error) {
	doc, err := sh.ShowDocument(ctx, r.TrustPolicy, r.TrustBindings)
	if err != nil {
		return brevetapi.BrokeredRole{}, err
	}
	return brevetapi.BrokeredRole{RoleArn: r.ARN, UpstreamAccountId: r.Upstream,
		AssumeRolePolicyDocument: strings.ReplaceAll(url.QueryEscape(doc), "+", "%20"),
		MaxSessionDuration:       int32(r.MaxSessionDuration), SessionPolicy: r.SessionPolicy, ExternalId: r.ExternalID,
		Description: r.Description, Created: r.Created, CreatedBy: r.CreatedBy}, nil
}

func caller(p request.Principal) (*identity.Principal, error) {
	ip, ok := p.(*identity.Principal)
	if !ok || ip == nil || ip.Type == identity.Unknown || ip.Account == "" {
		return nil, errors.New("broker: unexpected principal")
	}
	return ip, nil
}

// signed adapts f, a broker action's Serve, to the dispatcher: every
// broker action is signed by a Brevet principal, which f is given.
func signed[I, O any](f func(context.Context, *identity.Principal, *awsquery.Request[I]) (*O, error)) func(context.Context, *awsquery.Request[I]) (*O, error) {
	return func(ctx context.Context, r *awsquery.Request[I]) (*O, error) {
		p, err := caller(r.Principal)
		if err != nil {
			return nil, err
		}
		return f(ctx, p, r)
	}
}
