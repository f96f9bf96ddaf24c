package authzapi

import (
	"context"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/request"
)

// BearerVerifier turns a bearer token into the caller. The node's
// implementation accepts Brevet's own tokens (GetWebIdentityToken) whose
// audience the service lists, and tokens of a registered OIDC provider
// that the route's role trusts (the caller is then a web identity session
// of that role, as AssumeRoleWithWebIdentity would make).
type BearerVerifier interface {
	VerifyBearer(ctx context.Context, in *BearerInput) (request.Principal, error)
}

// BearerInput is a bearer token presented to a route.
type BearerInput struct {
	Token string
	// Audiences are the service's accepted audiences of Brevet's own
	// tokens; none: Brevet's tokens are refused.
	Audiences []string
	// Role is the role OIDC providers' tokens are mapped to; "": refused.
	Role string
	// Service is the route's service name.
	Service  string
	Now      time.Time
	SourceIP string
}

// BearerError is a bearer token that does not authenticate; answered 401
// with Code.
type BearerError struct{ Code, Message string }

func (e *BearerError) Error() string { return e.Code + ": " + e.Message }

// authenticator reads bearer tokens and hands everything else to the
// node's SigV4 Authenticator.
type authenticator struct {
	sigv4  request.Authenticator
	bearer BearerVerifier
	routes map[*request.Operation]*Route
}

func (a *authenticator) Authenticate(ctx context.Context, req *request.AuthnRequest) (request.Principal, error) {
	auth := req.HTTP.Header.Get("Authorization")
	if len(auth) < 7 || !strings.EqualFold(auth[:7], "Bearer ") {
		return a.sigv4.Authenticate(ctx, req)
	}
	r := a.routes[req.Operation]
	if r == nil {
		return nil, &BearerError{Code: "InvalidIdentityToken", Message: "The request names no route."}
	}
	role := r.BearerRole
	if role == "" {
		role = r.Service.BearerRole
	}
	if a.bearer == nil || (len(r.Service.BearerAudiences) == 0 && role == "") {
		return nil, &BearerError{Code: "InvalidIdentityToken", Message: "Service " + r.Service.Name + " does not accept bearer tokens."}
	}
	return a.bearer.VerifyBearer(ctx, &BearerInput{
		Token: strings.TrimSpace(auth[7:]), Audiences: r.Service.BearerAudiences, Role: role,
		Service: r.Service.Name, Now: req.Now, SourceIP: request.SourceIP(req.HTTP),
	})
}
