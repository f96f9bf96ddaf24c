package revocation

import (
	"context"
	"errors"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/brevetapi"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
)

// Register puts Brevet's session actions (brevetapi ListSessions and
// RevokeSessions) on the dispatcher: they are authenticated, authorized as
// brevet:ACTION on the principal they concern, and audited like every AWS
// action; a session revoking its own access key id needs no permission
// (selfRevocation). Both first flush the issuance index (Indexer.Flush), which is
// written behind the audit trail, so that they see every issuance
// acknowledged before them. A revocation is enforced on this node at once,
// by reloading list from src; other nodes follow the change feed. Add
// WireError to the dispatcher's ErrorMappers.
func Register(d *awsquery.Dispatcher, s *Service, list *List, src Source, flush func(context.Context) error) {
	awsquery.Register(d, brevetapi.ListSessions, awsquery.Handler[brevetapi.ListSessionsRequest, brevetapi.ListSessionsResponse]{
		Effect: request.ReadOnly,
		Target: func(_ context.Context, r *awsquery.Request[brevetapi.ListSessionsRequest]) (request.Target, error) {
			return sessionsTarget(r.Input.PrincipalArn), nil
		},
		Serve: func(ctx context.Context, r *awsquery.Request[brevetapi.ListSessionsRequest]) (*brevetapi.ListSessionsResponse, error) {
			p, err := caller(r.Principal)
			if err != nil {
				return nil, err
			}
			if err := flush(ctx); err != nil {
				return nil, err
			}
			recs, err := s.Sessions(ctx, p.Account, r.Input.PrincipalArn, r.Input.ActiveOnly, r.Now, int(r.Input.MaxItems))
			if err != nil {
				return nil, err
			}
			out := &brevetapi.ListSessionsResponse{Sessions: make([]brevetapi.Session, len(recs))}
			for i, s := range recs {
				out.Sessions[i] = brevetapi.Session{
					AccessKeyId: s.AccessKeyID, PrincipalArn: s.PrincipalARN, SessionArn: s.SessionARN, Kind: s.Kind,
					SessionName: s.SessionName, SourceIp: s.SourceIP, ParentAccessKeyId: s.ParentAccessKeyID,
					RootAccessKeyId: s.RootAccessKeyID, Issued: s.Issued, Expiration: s.Expires,
				}
			}
			return out, nil
		},
	})
	awsquery.Register(d, brevetapi.RevokeSessions, awsquery.Handler[brevetapi.RevokeSessionsRequest, brevetapi.RevokeSessionsResponse]{
		Effect: request.Writes,
		Target: func(_ context.Context, r *awsquery.Request[brevetapi.RevokeSessionsRequest]) (request.Target, error) {
			return sessionsTarget(r.Input.PrincipalArn), nil
		},
		SkipAuthorizationIf: selfRevocation,
		Serve: func(ctx context.Context, r *awsquery.Request[brevetapi.RevokeSessionsRequest]) (*brevetapi.RevokeSessionsResponse, error) {
			p, err := caller(r.Principal)
			if err != nil {
				return nil, err
			}
			if err := flush(ctx); err != nil {
				return nil, err
			}
			revs, err := s.Revoke(ctx, Request{
				Account: p.Account, AccessKeyID: r.Input.AccessKeyId, Principal: r.Input.PrincipalArn,
				IssuedBefore: r.Input.IssuedBefore, By: p.CallerARN,
			}, r.Now)
			if err != nil {
				return nil, err
			}
			if err := list.Load(ctx, src, r.Now); err != nil {
				return nil, err
			}
			out := &brevetapi.RevokeSessionsResponse{RevokedCount: int32(len(revs))}
			for _, e := range revs {
				out.Revocations = append(out.Revocations, brevetapi.Revocation{Kind: e.Kind, Target: e.Target, NotBefore: e.NotBefore, ExpiresAt: e.ExpiresAt})
			}
			return out, nil
		},
	})
}

// selfRevocation reports whether r is a temporary session revoking its
// own access key id, and nothing else: a session may always end itself
// (the console's sign-out does), so that needs no identity-policy
// permission. The request is still authenticated and audited.
func selfRevocation(r *awsquery.Request[brevetapi.RevokeSessionsRequest]) bool {
	p, ok := r.Principal.(*identity.Principal)
	return ok && p.Temporary() && r.Input.AccessKeyId != "" && r.Input.AccessKeyId == p.AccessKeyID &&
		r.Input.PrincipalArn == "" && r.Input.IssuedBefore.IsZero()
}

func caller(p request.Principal) (*identity.Principal, error) {
	ip, ok := p.(*identity.Principal)
	if !ok || ip == nil {
		return nil, errors.New("revocation: unexpected principal")
	}
	return ip, nil
}

// sessionsTarget is the resource of the session actions: the principal
// they concern, or "*".
func sessionsTarget(principal string) request.Target {
	if principal == "" {
		return request.Target{Resource: "*"}
	}
	return request.Target{Resource: principal}
}

// WireError maps this package's errors to wire errors.
func WireError(err error) *awsquery.Error {
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return &awsquery.Error{Code: awsquery.CodeValidationError, Message: nf.Error(), Cause: err}
	}
	var inv *InvalidError
	if errors.As(err, &inv) {
		return &awsquery.Error{Code: awsquery.CodeValidationError, Message: inv.Error(), Cause: err}
	}
	return nil
}
