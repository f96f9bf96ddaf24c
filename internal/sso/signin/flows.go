package signin

import (
	"context"
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

// The SSO OIDC service's types the pages handle.
type (
	// Device is a pending device authorization.
	Device = sso.Device
	// Authorize is a checked OAuth authorization request of the loopback
	// flow.
	Authorize = sso.Authorize
	// AuthorizeError refuses an authorization request: sent back to the
	// client at Location when Redirect is set, else shown on the page.
	AuthorizeError = sso.AuthorizeError
)

// ErrNoDevice: the user code names no pending device authorization.
var ErrNoDevice = sso.ErrNoDevice

var _ Flows = (*sso.Service)(nil)
