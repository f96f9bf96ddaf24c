package signin

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/brevet-dev/brevet/internal/sso"
)

// Flows is what the pages ask of the SSO OIDC service (*sso.Service):
// the device authorizations and the authorization-code requests a signed
// in person decides on.
type Flows interface {
	Device(ctx context.Context, userCode string, now time.Time) (Device, error)
	ApproveDevice(ctx context.Context, userCode string, id sso.Identity, now time.Time) error
	DenyDevice(ctx context.Context, userCode string, now time.Time) error
	CheckAuthorize(q url.Values, now time.Time) (Authorize, error)
	IssueCode(ctx context.Context, a Authorize, id sso.Identity, now time.Time) (redirect string, err error)
	DenyAuthorize(a Authorize) (redirect string)
}

// Device is a pending device authorization, as the verification page
// shows it.
//
// TODO(signin): alias sso.Device, sso.Authorize, sso.AuthorizeError and
// sso.ErrNoDevice once package sso has them (SSO.md's contract).
type Device struct {
	UserCode, ClientName string
	Expires              time.Time
}

// Authorize is a checked OAuth authorization request of the loopback
// flow.
type Authorize struct {
	ClientID, RedirectURI, State, CodeChallenge string
	Scopes                                      []string
}

// AuthorizeError refuses an authorization request. Redirect=false: the
// client or redirect URI is bad, so the error is shown on the page and
// never sent to the redirect URI.
type AuthorizeError struct {
	Redirect          bool
	Code, Description string
}

func (e *AuthorizeError) Error() string { return "sso: authorize: " + e.Code + ": " + e.Description }

// ErrNoDevice: the user code names no pending device authorization.
var ErrNoDevice = errors.New("sso: no pending device authorization with this code")
