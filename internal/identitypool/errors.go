package identitypool

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/brevet-dev/brevet/internal/restjson"
)

// Error is one of Cognito Identity's errors: Code is the exception's name
// (InvalidParameterException, NotAuthorizedException, ...), Message is
// safe to show the caller. Reason, when set, is what the audit record
// and the log say beyond Message (never a token or a secret).
type Error struct {
	Code    string
	Message string
	Reason  string
	Cause   error
}

func (e *Error) Error() string {
	if e.Reason != "" {
		return "identitypool: " + e.Code + ": " + e.Message + " (" + e.Reason + ")"
	}
	return "identitypool: " + e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// The error codes of the model.
const (
	CodeInvalidParameter     = "InvalidParameterException"
	CodeNotFound             = "ResourceNotFoundException"
	CodeNotAuthorized        = "NotAuthorizedException"
	CodeConflict             = "ResourceConflictException"
	CodeTooManyRequests      = "TooManyRequestsException"
	CodeInternal             = "InternalErrorException"
	CodeLimitExceeded        = "LimitExceededException"
	CodeInvalidConfiguration = "InvalidIdentityPoolConfigurationException"
	CodeExternalService      = "ExternalServiceException"
	CodeDeveloperRegistered  = "DeveloperUserAlreadyRegisteredException"
	CodeConcurrentChange     = "ConcurrentModificationException"
)

func invalid(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidParameter, Message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *Error {
	return &Error{Code: CodeNotFound, Message: fmt.Sprintf(format, args...)}
}

func notAuthorized(msg, reason string, cause error) *Error {
	return &Error{Code: CodeNotAuthorized, Message: msg, Reason: reason, Cause: cause}
}

// ServiceConfig is the restjson service the actions are registered on:
// Cognito Identity's signing name, API version, X-Amz-Target prefix and
// error codes.
func ServiceConfig() restjson.ServiceConfig {
	return restjson.ServiceConfig{
		Name: "cognito-identity", Version: "2014-06-30", TargetPrefix: "AWSCognitoIdentityService",
		Errors: restjson.Errors{
			AccessDenied: "AccessDeniedException", Validation: CodeInvalidParameter, Throttling: CodeTooManyRequests,
			Internal: CodeInternal, Unavailable: "ServiceUnavailableException",
		},
		Mappers: []restjson.ErrorMapper{WireError},
	}
}

// WireError maps this package's errors to the wire; nil for others.
// Every Cognito Identity error but an internal one is a 400, as AWS
// answers them.
func WireError(err error) *restjson.Error {
	if e, ok := errors.AsType[*Error](err); ok {
		status := http.StatusBadRequest
		if e.Code == CodeInternal {
			status = http.StatusInternalServerError
		}
		return &restjson.Error{Code: e.Code, Status: status, Message: e.Message, Cause: err}
	}
	return nil
}
