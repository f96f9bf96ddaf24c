package restjson

import (
	"errors"
	"net/http"
	"time"

	"github.com/brevet-dev/brevet/internal/request"
)

// Error is a REST-JSON wire error: its code (x-amzn-ErrorType), HTTP
// status and user-safe message. Cause is the original error, for logs and
// the audit record's Err; it never reaches the client.
type Error struct {
	Code    string
	Status  int
	Message string
	Cause   error
	// RetryAfter, when set, becomes a Retry-After header (throttling).
	RetryAfter time.Duration
	// Body, when set, is the error's JSON body instead of {"message":
	// Message}: for services whose error shapes have other members (SSO
	// OIDC's OAuth {"error", "error_description"}). It must hold no
	// secret.
	Body any
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func (e *Error) Unwrap() error { return e.Cause }

// ErrorMapper maps a domain error to its wire error, or returns nil when it
// does not know the error.
type ErrorMapper func(error) *Error

// Errors are the codes a service answers for the failures every service
// shares; each service names its own (Roles Anywhere answers
// AccessDeniedException, IoT UnauthorizedException, ...).
type Errors struct {
	// AccessDenied answers a denial by policy (status 403).
	AccessDenied string
	// Validation answers a malformed request: an unparsable body, a
	// parameter of the wrong type (status 400).
	Validation string
	// Throttling answers a request over a rate budget (status 429).
	Throttling string
	// Internal answers a bug (status 500).
	Internal string
	// Unavailable answers a request that cannot be served now: the audit
	// trail or the store is down (status 503).
	Unavailable string
}

// toWire maps err for a service with the given common codes: a wire
// error as it is, a denial, a throttle, then the mappers in order. The
// second result reports an error nobody knew: an internal failure, which
// the caller logs.
func (s *service) toWire(err error, mappers []ErrorMapper) (*Error, bool) {
	if we, ok := errors.AsType[*Error](err); ok {
		return we, false
	}
	if ad, ok := errors.AsType[*request.AccessDeniedError](err); ok {
		return &Error{Code: s.errs.AccessDenied, Status: http.StatusForbidden, Message: ad.Error(), Cause: err}, false
	}
	if te, ok := errors.AsType[*request.ThrottledError](err); ok {
		return &Error{Code: s.errs.Throttling, Status: http.StatusTooManyRequests, Message: "Rate exceeded", Cause: err, RetryAfter: te.RetryAfter}, false
	}
	for _, m := range s.mappers {
		if we := m(err); we != nil {
			return we, false
		}
	}
	for _, m := range mappers {
		if we := m(err); we != nil {
			return we, false
		}
	}
	return &Error{Code: s.errs.Internal, Status: http.StatusInternalServerError, Message: "An internal error occurred.", Cause: err}, true
}
