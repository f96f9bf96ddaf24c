package sso

import (
	"context"
	"errors"
	"net/http"

	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/restjson"
)

// ServiceConfig is the restjson service the SSO OIDC actions are
// registered on: signing name sso-oauth (the IAM prefix), API version and
// error codes.
func ServiceConfig() restjson.ServiceConfig {
	return restjson.ServiceConfig{
		Name: "sso-oauth", Version: "2019-06-10",
		Errors: restjson.Errors{
			AccessDenied: "AccessDeniedException", Validation: "InvalidRequestException", Throttling: "SlowDownException",
			Internal: "InternalServerException", Unavailable: "InternalServerException",
		},
		Mappers: []restjson.ErrorMapper{WireError},
	}
}

// exceptions are the model's exception names and HTTP statuses.
var exceptions = map[ErrorCode]struct {
	name   string
	status int
}{
	InvalidRequest:        {"InvalidRequestException", http.StatusBadRequest},
	InvalidClient:         {"InvalidClientException", http.StatusUnauthorized},
	InvalidClientMetadata: {"InvalidClientMetadataException", http.StatusBadRequest},
	InvalidGrant:          {"InvalidGrantException", http.StatusBadRequest},
	InvalidScope:          {"InvalidScopeException", http.StatusBadRequest},
	InvalidRedirectURI:    {"InvalidRedirectUriException", http.StatusBadRequest},
	UnauthorizedClient:    {"UnauthorizedClientException", http.StatusBadRequest},
	UnsupportedGrantType:  {"UnsupportedGrantTypeException", http.StatusBadRequest},
	AuthorizationPending:  {"AuthorizationPendingException", http.StatusBadRequest},
	SlowDown:              {"SlowDownException", http.StatusBadRequest},
	AccessDenied:          {"AccessDeniedException", http.StatusBadRequest},
	ExpiredToken:          {"ExpiredTokenException", http.StatusBadRequest},
}

// oauthBody is the error shapes' members.
type oauthBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// WireError maps this package's *Error to the SSO OIDC wire error: the
// exception name, its status and the OAuth body; nil for other errors.
func WireError(err error) *restjson.Error {
	e, ok := errors.AsType[*Error](err)
	if !ok {
		return nil
	}
	x, ok := exceptions[e.Code]
	if !ok {
		return nil
	}
	return &restjson.Error{Code: x.name, Status: x.status, Message: e.Description, Cause: err,
		Body: oauthBody{Error: e.Code.OAuth(), Description: e.Description}}
}

// Register puts RegisterClient, StartDeviceAuthorization and CreateToken
// on d. They are unsigned, as on AWS: the client authenticates with its
// secret and the grant inside the action. CreateTokenWithIAM (SigV4,
// for applications of IAM Identity Center) is not offered.
func Register(d *restjson.Dispatcher, s *Service) {
	svc := d.Service(ServiceConfig())
	const why = "a public OAuth endpoint: unsigned on AWS, the client is authenticated by its secret and the grant inside the action"
	restjson.Register(svc, "POST", "/client/register", "RegisterClient", restjson.Handler[RegisterClientInput, RegisterClientOutput]{
		Effect: request.ReadOnly, Unsigned: true, SkipAuthorization: why, Sensitive: sensitiveInputs,
		Serve: func(ctx context.Context, r *restjson.Request[RegisterClientInput]) (*RegisterClientOutput, error) {
			return s.RegisterClient(ctx, r.Input, r.SourceIP, r.Start)
		},
	})
	restjson.Register(svc, "POST", "/device_authorization", "StartDeviceAuthorization", restjson.Handler[StartDeviceAuthorizationInput, StartDeviceAuthorizationOutput]{
		Effect: request.Writes, Unsigned: true, SkipAuthorization: why, Sensitive: sensitiveInputs,
		Serve: func(ctx context.Context, r *restjson.Request[StartDeviceAuthorizationInput]) (*StartDeviceAuthorizationOutput, error) {
			return s.StartDeviceAuthorization(ctx, r.Input, r.SourceIP, r.Start)
		},
	})
	restjson.Register(svc, "POST", "/token", "CreateToken", restjson.Handler[CreateTokenInput, CreateTokenOutput]{
		Effect: request.Writes, Unsigned: true, SkipAuthorization: why, Sensitive: sensitiveInputs,
		Serve: func(ctx context.Context, r *restjson.Request[CreateTokenInput]) (*CreateTokenOutput, error) {
			if r.HTTP.URL.Query().Has("aws_iam") {
				// CreateTokenWithIAM shares the path; its grants (JWT bearer,
				// token exchange) are ones Brevet does not offer.
				return nil, oauthErr(UnsupportedGrantType, "Unsupported grant type", "CreateTokenWithIAM")
			}
			return s.CreateToken(ctx, r.Input, r.SourceIP, r.Start)
		},
	})
}
