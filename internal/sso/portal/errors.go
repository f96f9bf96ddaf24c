package portal

import (
	"errors"
	"net/http"

	"github.com/brevet-dev/brevet/internal/restjson"
)

// UnauthorizedError refuses a request whose bearer token is missing or
// not valid; Reason is for the audit record and logs, never the client.
type UnauthorizedError struct{ Reason string }

func (e *UnauthorizedError) Error() string { return "portal: unauthorized: " + e.Reason }

// ForbiddenError refuses a role that is not assigned to the person (or
// that does not trust the portal); Reason is for the audit record.
type ForbiddenError struct{ Reason string }

func (e *ForbiddenError) Error() string { return "portal: forbidden: " + e.Reason }

// InvalidError is a malformed request.
type InvalidError struct{ Message string }

func (e *InvalidError) Error() string { return "portal: " + e.Message }

// The messages AWS's portal answers.
const (
	msgUnauthorized = "Session token not found or invalid"
	msgForbidden    = "No access"
)

// WireError maps this package's errors to the portal's wire errors (the
// model's, and ForbiddenException as AWS answers an unassigned role); nil
// for others.
func WireError(err error) *restjson.Error {
	if _, ok := errors.AsType[*UnauthorizedError](err); ok {
		return &restjson.Error{Code: "UnauthorizedException", Status: http.StatusUnauthorized, Message: msgUnauthorized, Cause: err}
	}
	if _, ok := errors.AsType[*ForbiddenError](err); ok {
		return &restjson.Error{Code: "ForbiddenException", Status: http.StatusForbidden, Message: msgForbidden, Cause: err}
	}
	if e, ok := errors.AsType[*InvalidError](err); ok {
		return &restjson.Error{Code: "InvalidRequestException", Status: http.StatusBadRequest, Message: e.Message, Cause: err}
	}
	return nil
}
