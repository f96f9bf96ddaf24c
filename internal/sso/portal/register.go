package portal

import (
	"context"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/restjson"
)

// ServiceName is the portal's service in the pipeline: its operations'
// Service and its events' source (sso.amazonaws.com).
const ServiceName = "sso"

// IssuanceKind is the Kind of GetRoleCredentials' issuance records.
const IssuanceKind = "GetRoleCredentials"

// operations are the portal's action names, which Handles recognizes.
var operations = map[string]bool{"ListAccounts": true, "ListAccountRoles": true, "GetRoleCredentials": true, "Logout": true}

// Handles reports whether op is a portal action, whose requests the
// node's authenticator sends to Authenticate.
func Handles(op *request.Operation) bool {
	return op != nil && op.Service == ServiceName && operations[op.Name]
}

// ServiceConfig is the restjson service the portal's actions are
// registered on: the model's API version and error codes.
func ServiceConfig() restjson.ServiceConfig {
	return restjson.ServiceConfig{
		Name: ServiceName, Version: "2019-06-10",
		Errors: restjson.Errors{
			AccessDenied: "ForbiddenException", Validation: "InvalidRequestException", Throttling: "TooManyRequestsException",
			Internal: "InternalServerException", Unavailable: "ServiceUnavailableException",
		},
		Mappers: []restjson.ErrorMapper{WireError},
	}
}

// why is the actions' SkipAuthorization: the person is authenticated by
// their bearer token; assignments and the role's trust policy decide.
const why = "authenticated by the x-amz-sso_bearer_token access token (Authenticate); what the person sees and obtains " +
	"is exactly their assignments, and the role's trust policy (for sso.amazonaws.com) decides last, as on AWS"

// Register puts the portal's four actions on d. They are unsigned: the
// node's authenticator sends them to Authenticate (Handles), whose
// principal is a *Person. Every request is audited with the person as its
// principal; credentials never are, and the bearer token is never an
// input member, so it never reaches the audit record.
func Register(d *restjson.Dispatcher, s *Service) {
	svc := d.Service(ServiceConfig())
	restjson.Register(svc, "GET", "/assignment/accounts", "ListAccounts", restjson.Handler[ListAccountsInput, ListAccountsOutput]{
		Effect: request.ReadOnly, Unsigned: true, SkipAuthorization: why,
		Serve: func(ctx context.Context, r *restjson.Request[ListAccountsInput]) (*ListAccountsOutput, error) {
			p, err := person(r.Principal)
			if err != nil {
				return nil, err
			}
			return s.ListAccounts(ctx, p, r.Input)
		},
	})
	restjson.Register(svc, "GET", "/assignment/roles", "ListAccountRoles", restjson.Handler[ListAccountRolesInput, ListAccountRolesOutput]{
		Effect: request.ReadOnly, Unsigned: true, SkipAuthorization: why,
		Serve: func(ctx context.Context, r *restjson.Request[ListAccountRolesInput]) (*ListAccountRolesOutput, error) {
			p, err := person(r.Principal)
			if err != nil {
				return nil, err
			}
			return s.ListAccountRoles(ctx, p, r.Input)
		},
	})
	restjson.Register(svc, "GET", "/federation/credentials", "GetRoleCredentials", restjson.Handler[GetRoleCredentialsInput, GetRoleCredentialsOutput]{
		Effect: request.IssuesCredentials, Unsigned: true, SkipAuthorization: why,
		Serve: func(ctx context.Context, r *restjson.Request[GetRoleCredentialsInput]) (*GetRoleCredentialsOutput, error) {
			p, err := person(r.Principal)
			if err != nil {
				return nil, err
			}
			out, ss, err := s.GetRoleCredentials(ctx, p, r.Input, authz.Facts{
				Now: r.Start, SourceIP: r.SourceIP, UserAgent: r.HTTP.UserAgent(), SecureTransport: r.HTTP.TLS != nil,
			})
			if err != nil {
				return nil, err
			}
			r.Issue(ss.Issuance(IssuanceKind, r.SourceIP))
			return out, nil
		},
	})
	restjson.Register(svc, "POST", "/logout", "Logout", restjson.Handler[LogoutInput, struct{}]{
		Effect: request.Writes, Unsigned: true, SkipAuthorization: why,
		Serve: func(ctx context.Context, r *restjson.Request[LogoutInput]) (*struct{}, error) {
			if _, err := person(r.Principal); err != nil {
				return nil, err
			}
			if err := s.Logout(ctx, r.HTTP.Header.Get(BearerHeader), r.Start); err != nil {
				return nil, err
			}
			return &struct{}{}, nil
		},
	})
}

// person is the request's *Person, which Authenticate established.
func person(p request.Principal) (*Person, error) {
	pp, ok := p.(*Person)
	if !ok || pp == nil {
		return nil, &UnauthorizedError{Reason: "no person authenticated"}
	}
	return pp, nil
}
