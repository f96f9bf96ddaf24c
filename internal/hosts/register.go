package hosts

import (
	"context"
	"errors"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/brevetapi"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
)

// IssuanceKind is the Kind of a host session's issuance record.
const IssuanceKind = "GetHostCredentials"

// MaxWait is how long WaitHostChange waits at most.
const MaxWait = 25 * time.Second

// Revoker revokes every session with a session ARN, issued until now, on
// this node at once and on the others through the change feed.
type Revoker interface {
	RevokeSession(ctx context.Context, account, sessionARN, by string, now time.Time) ([]store.Revocation, error)
}

// Register puts the host actions (brevetapi) on d. CreateJoinToken,
// ListHosts and DeregisterHost are signed and authorized as brevet:ACTION
// (on the instance profile's ARN, "*", the host's instance ARN).
// EnrollHost is authorized by its join token, or, signed without one, as
// brevet:EnrollHost on the instance profile's ARN; CreateJoinToken and a
// signed EnrollHost also need iam:PassRole on the profile's role (passRole).
// GetHostCredentials and
// WaitHostChange are signed with SigV4-X509 by an enrolled host's key:
// the node's authenticator sends them to Authenticate, whose principal is
// a *HostPrincipal. Every action is audited; join tokens and credentials
// never are (sensitive shapes). Add WireError to the dispatcher's
// ErrorMappers.
func Register(d *awsquery.Dispatcher, s *Service, rev Revoker) {
	registerTokens(d, s)
	registerHostActions(d, s)
	awsquery.Register(d, brevetapi.ListHosts, awsquery.Handler[awsquery.Empty, brevetapi.ListHostsResponse]{
		Effect: request.ReadOnly,
		Target: func(context.Context, *awsquery.Request[awsquery.Empty]) (request.Target, error) {
			return request.Target{Resource: "*"}, nil
		},
		Serve: func(ctx context.Context, r *awsquery.Request[awsquery.Empty]) (*brevetapi.ListHostsResponse, error) {
			p, err := caller(r.Principal)
			if err != nil {
				return nil, err
			}
			hs, err := s.List(ctx, p.Account)
			if err != nil {
				return nil, err
			}
			out := &brevetapi.ListHostsResponse{Hosts: make([]brevetapi.Host, len(hs))}
			for i, h := range hs {
				out.Hosts[i] = brevetapi.Host{HostId: h.ID, InstanceProfileName: h.Profile, Hostname: h.Hostname, Fingerprint: h.Fingerprint,
					JoinTokenId: h.JoinTokenID, EnrolledBy: h.EnrolledBy, Created: h.Created, NotAfter: h.NotAfter, Deregistered: h.Deregistered}
			}
			return out, nil
		},
	})
	awsquery.Register(d, brevetapi.DeregisterHost, awsquery.Handler[brevetapi.DeregisterHostRequest, brevetapi.DeregisterHostResponse]{
		Effect: request.Writes,
		Target: func(_ context.Context, r *awsquery.Request[brevetapi.DeregisterHostRequest]) (request.Target, error) {
			p, err := caller(r.Principal)
			if err != nil {
				return request.Target{}, err
			}
			return request.Target{Resource: InstanceARN(s.region, p.Account, r.Input.HostId)}, nil
		},
		Serve: func(ctx context.Context, r *awsquery.Request[brevetapi.DeregisterHostRequest]) (*brevetapi.DeregisterHostResponse, error) {
			p, err := caller(r.Principal)
			if err != nil {
				return nil, err
			}
			h, err := s.Deregister(ctx, p.Account, r.Input.HostId, r.Now)
			if err != nil {
				return nil, err
			}
			out := &brevetapi.DeregisterHostResponse{HostId: h.ID, Deregistered: h.Deregistered}
			for _, arn := range SessionARNs(h) {
				revs, err := rev.RevokeSession(ctx, h.Account, arn, p.CallerARN, r.Now)
				if err != nil {
					return nil, err
				}
				for _, e := range revs {
					out.RevokedSessions = append(out.RevokedSessions, brevetapi.Revocation{Kind: e.Kind, Target: e.Target, NotBefore: e.NotBefore, ExpiresAt: e.ExpiresAt})
				}
			}
			return out, nil
		},
	})
}

func registerTokens(d *awsquery.Dispatcher, s *Service) {
	awsquery.Register(d, brevetapi.CreateJoinToken, awsquery.Handler[brevetapi.CreateJoinTokenRequest, brevetapi.CreateJoinTokenResponse]{
		Effect: request.Writes,
		Target: func(ctx context.Context, r *awsquery.Request[brevetapi.CreateJoinTokenRequest]) (request.Target, error) {
			return s.profileTarget(ctx, r.Principal, r.Input.InstanceProfileName)
		},
		Targets: func(ctx context.Context, r *awsquery.Request[brevetapi.CreateJoinTokenRequest]) ([]request.Target, error) {
			return s.passRole(ctx, r.Principal, r.Input.InstanceProfileName)
		},
		Serve: func(ctx context.Context, r *awsquery.Request[brevetapi.CreateJoinTokenRequest]) (*brevetapi.CreateJoinTokenResponse, error) {
			p, err := caller(r.Principal)
			if err != nil {
				return nil, err
			}
			tok, jt, err := s.CreateJoinToken(ctx, p.Account, r.Input.InstanceProfileName, time.Duration(r.Input.TtlSeconds)*time.Second, p.CallerARN, r.Now)
			if err != nil {
				return nil, err
			}
			return &brevetapi.CreateJoinTokenResponse{JoinToken: tok, Expiration: jt.Expires, InstanceProfileArn: jt.ProfileARN}, nil
		},
	})
	awsquery.Register(d, brevetapi.EnrollHost, awsquery.Handler[brevetapi.EnrollHostRequest, brevetapi.EnrollHostResponse]{
		Effect: request.Writes,
		// A join token is its own authority; without one the request
		// must be signed, and is authorized on the instance profile.
		SkipAuthorizationIf: func(r *awsquery.Request[brevetapi.EnrollHostRequest]) bool { return r.Input.JoinToken != "" },
		Target: func(ctx context.Context, r *awsquery.Request[brevetapi.EnrollHostRequest]) (request.Target, error) {
			if anonymous(r.Principal) || r.Input.InstanceProfileName == "" {
				return request.Target{}, &InvalidError{Message: "EnrollHost needs a JoinToken, or InstanceProfileName in a signed request."}
			}
			return s.profileTarget(ctx, r.Principal, r.Input.InstanceProfileName)
		},
		Targets: func(ctx context.Context, r *awsquery.Request[brevetapi.EnrollHostRequest]) ([]request.Target, error) {
			return s.passRole(ctx, r.Principal, r.Input.InstanceProfileName)
		},
		Serve: func(ctx context.Context, r *awsquery.Request[brevetapi.EnrollHostRequest]) (*brevetapi.EnrollHostResponse, error) {
			in := &EnrollInput{CertificatePEM: r.Input.HostCertificate, Hostname: r.Input.Hostname,
				JoinToken: r.Input.JoinToken, Profile: r.Input.InstanceProfileName}
			if in.JoinToken == "" {
				p, err := caller(r.Principal)
				if err != nil {
					return nil, err
				}
				in.Account, in.EnrolledBy = p.Account, p.CallerARN
			}
			e, err := s.Enroll(ctx, in, r.Now)
			if err != nil {
				return nil, err
			}
			return &brevetapi.EnrollHostResponse{HostId: e.Host.ID, InstanceProfileArn: e.ProfileARN, RoleArn: e.RoleARN,
				AccountId: e.Host.Account, Region: s.region}, nil
		},
	})
}

func registerHostActions(d *awsquery.Dispatcher, s *Service) {
	const why = "signed with SigV4-X509 by the key of a certificate an enrolled host pinned (Authenticate); " +
		"the host's instance profile and its role's trust policy (for ec2.amazonaws.com) decide inside the action"
	awsquery.Register(d, brevetapi.GetHostCredentials, awsquery.Handler[awsquery.Empty, brevetapi.GetHostCredentialsResponse]{
		Effect: request.IssuesCredentials, SkipAuthorization: why,
		Serve: func(ctx context.Context, r *awsquery.Request[awsquery.Empty]) (*brevetapi.GetHostCredentialsResponse, error) {
			p, err := hostCaller(r.Principal)
			if err != nil {
				return nil, err
			}
			hs, err := s.Credentials(ctx, p, authz.Facts{Now: r.Now, SourceIP: r.SourceIP, UserAgent: r.UserAgent, SecureTransport: r.SecureTransport})
			if err != nil {
				return nil, err
			}
			r.Issue(hs.Issuance(IssuanceKind, r.SourceIP))
			return &brevetapi.GetHostCredentialsResponse{Credentials: *hs.Credentials, RoleArn: hs.RoleARN, HostId: p.Host.ID, InstanceProfileArn: hs.ProfileARN}, nil
		},
	})
	awsquery.Register(d, brevetapi.WaitHostChange, awsquery.Handler[brevetapi.WaitHostChangeRequest, brevetapi.WaitHostChangeResponse]{
		Effect: request.ReadOnly, SkipAuthorization: why,
		Serve: func(ctx context.Context, r *awsquery.Request[brevetapi.WaitHostChangeRequest]) (*brevetapi.WaitHostChangeResponse, error) {
			p, err := hostCaller(r.Principal)
			if err != nil {
				return nil, err
			}
			st, err := s.Wait(ctx, p.Host.Account, p.Host.ID, r.Input.Generation, MaxWait)
			if err != nil {
				return nil, err
			}
			return &brevetapi.WaitHostChangeResponse{Generation: st.Generation, Status: string(st.Status)}, nil
		},
	})
}

// profileTarget is the instance profile's ARN in the caller's account.
func (s *Service) profileTarget(ctx context.Context, p request.Principal, name string) (request.Target, error) {
	ip, err := caller(p)
	if err != nil {
		return request.Target{}, err
	}
	arn, err := s.ProfileARN(ctx, ip.Account, name)
	if err != nil {
		return request.Target{}, err
	}
	return request.Target{Resource: arn}, nil
}

// passRole is the iam:PassRole authorization that handing an instance
// profile's role to a host needs, as EC2 asks it of RunInstances and
// AssociateIamInstanceProfile: a join token, or a signed enrollment,
// gives the host the role's sessions, so brevet:CreateJoinToken or
// brevet:EnrollHost on the profile alone must not let a caller obtain a
// role it could not pass. A profile without a role needs none (as in
// EC2); a role added later needs iam:PassRole of whoever adds it
// (AddRoleToInstanceProfile).
func (s *Service) passRole(ctx context.Context, p request.Principal, name string) ([]request.Target, error) {
	ip, err := caller(p)
	if err != nil {
		return nil, err
	}
	prof, err := s.profile(ctx, ip.Account, name)
	if err != nil || prof.RoleARN == "" {
		return nil, err
	}
	return []request.Target{{Action: "iam:PassRole", Resource: prof.RoleARN, Context: map[string][]string{
		"iam:PassedToService":       {EC2Principal},
		"iam:AssociatedResourceArn": {InstanceARN(s.region, ip.Account, "*")},
	}}}, nil
}

func anonymous(p request.Principal) bool {
	ip, ok := p.(*identity.Principal)
	return !ok || ip == nil || ip.Type == identity.Unknown
}

func caller(p request.Principal) (*identity.Principal, error) {
	ip, ok := p.(*identity.Principal)
	if !ok || ip == nil || ip.Type == identity.Unknown {
		return nil, errors.New("hosts: unexpected principal")
	}
	return ip, nil
}

func hostCaller(p request.Principal) (*HostPrincipal, error) {
	hp, ok := p.(*HostPrincipal)
	if !ok || hp == nil {
		return nil, &DeniedError{Message: msgNotEnrolled, Reason: "not signed by a host"}
	}
	return hp, nil
}

// WireError maps this package's errors to wire errors.
func WireError(err error) *awsquery.Error {
	if e, ok := errors.AsType[*DeniedError](err); ok {
		return &awsquery.Error{Code: awsquery.CodeAccessDenied, Message: e.Message, Cause: err}
	}
	if e, ok := errors.AsType[*InvalidError](err); ok {
		return &awsquery.Error{Code: awsquery.CodeValidationError, Message: e.Message, Cause: err}
	}
	if e, ok := errors.AsType[*NotFoundError](err); ok {
		return &awsquery.Error{Code: awsquery.CodeNoSuchEntity, Message: e.Message, Cause: err}
	}
	if e, ok := errors.AsType[*ThrottledError](err); ok {
		return &awsquery.Error{Code: awsquery.CodeThrottling, Message: e.Message, Cause: err}
	}
	return nil
}
