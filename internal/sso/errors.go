package sso

import "errors"

// ErrorCode is one of the OAuth errors of the SSO OIDC API (each is an
// exception of the API model; register.go maps them to the wire).
type ErrorCode uint8

// The OAuth errors.
const (
	InvalidRequest ErrorCode = iota + 1
	InvalidClient
	InvalidClientMetadata
	InvalidGrant
	InvalidScope
	InvalidRedirectURI
	UnauthorizedClient
	UnsupportedGrantType
	AuthorizationPending
	SlowDown
	AccessDenied
	ExpiredToken
)

// OAuth is the code's OAuth "error" value (RFC 6749, RFC 8628).
func (c ErrorCode) OAuth() string {
	switch c {
	case InvalidRequest:
		return "invalid_request"
	case InvalidClient:
		return "invalid_client"
	case InvalidClientMetadata:
		return "invalid_client_metadata"
	case InvalidGrant:
		return "invalid_grant"
	case InvalidScope:
		return "invalid_scope"
	case InvalidRedirectURI:
		return "invalid_redirect_uri"
	case UnauthorizedClient:
		return "unauthorized_client"
	case UnsupportedGrantType:
		return "unsupported_grant_type"
	case AuthorizationPending:
		return "authorization_pending"
	case SlowDown:
		return "slow_down"
	case AccessDenied:
		return "access_denied"
	case ExpiredToken:
		return "expired_token"
	}
	return "server_error"
}

// Error is a refusal of the OIDC API: its OAuth error and a description
// safe to show the client. Reason is internal detail for logs and the
// audit record's Err; it never reaches the client and never holds a
// secret.
type Error struct {
	Code        ErrorCode
	Description string
	Reason      string
}

func (e *Error) Error() string {
	if e.Reason != "" {
		return "sso: " + e.Code.OAuth() + ": " + e.Description + " (" + e.Reason + ")"
	}
	return "sso: " + e.Code.OAuth() + ": " + e.Description
}

// Pending reports whether e is authorization_pending: a device polling
// for a sign-in not yet made, which is no failure of the client's
// (request.PendingError), unlike polling too fast (slow_down).
func (e *Error) Pending() bool { return e.Code == AuthorizationPending }

func oauthErr(code ErrorCode, desc, reason string) *Error {
	return &Error{Code: code, Description: desc, Reason: reason}
}

// ErrUnauthorized refuses a bearer token: malformed, forged, expired, its
// session revoked or ended, or its user disabled, all alike.
var ErrUnauthorized = errors.New("sso: the access token is not valid")

// ErrNoDevice refuses a user code that names no pending device
// authorization: unknown, expired or already decided.
var ErrNoDevice = errors.New("sso: no pending device authorization with this code")

// errorCodeOf reports the OAuth error code of err, 0 when it is none.
func errorCodeOf(err error) ErrorCode {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return 0
}
