package awsquery

import (
	"fmt"
	"time"
)

// Code is one entry of the catalogue of wire errors: an AWS error code with
// the HTTP status and fault AWS sends with it. Codes are compared by
// pointer; the catalogue below (and the generated one in
// errors_model.go) is the only place a wire code is spelled.
type Code struct {
	// Name is the AWS error code, as in <Code>.
	Name string
	// Status is the HTTP status code.
	Status int
	// Sender is true for client faults (<Type>Sender</Type>) and false for
	// server faults (Receiver).
	Sender bool
}

// New returns an error with this code and a message that is safe to send to
// the client.
func (c *Code) New(message string) *Error { return &Error{Code: c, Message: message} }

// Errorf is New with a format. Never format internal detail into it.
func (c *Code) Errorf(format string, args ...any) *Error {
	return &Error{Code: c, Message: fmt.Sprintf(format, args...)}
}

// Fault returns "Sender" or "Receiver".
func (c *Code) Fault() string {
	if c.Sender {
		return "Sender"
	}
	return "Receiver"
}

// Error is a wire error: what the client sees in <ErrorResponse>. Message is
// client-safe by construction; internal detail travels in Cause (wrapped,
// for logs and audit, never written to the wire).
type Error struct {
	Code    *Code
	Message string
	Cause   error
	// RetryAfter, when positive, is sent as a Retry-After header (whole
	// seconds): with Throttling and ServiceUnavailable answers.
	RetryAfter time.Duration
}

// MsgRateExceeded is the message of a Throttling answer, as AWS words it.
const MsgRateExceeded = "Rate exceeded"

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Code.Name + ": " + e.Message + ": " + e.Cause.Error()
	}
	return e.Code.Name + ": " + e.Message
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Cause }

// The common errors of AWS Query services (the "Common Errors" page of the
// STS and IAM API references), plus the authentication errors SigV4
// produces. Statuses are AWS's documented ones.
var (
	CodeAccessDenied                = &Code{"AccessDenied", 403, true}
	CodeIncompleteSignature         = &Code{"IncompleteSignature", 400, true}
	CodeInternalFailure             = &Code{"InternalFailure", 500, false}
	CodeInvalidAction               = &Code{"InvalidAction", 400, true}
	CodeInvalidClientTokenID        = &Code{"InvalidClientTokenId", 403, true}
	CodeInvalidParameterCombination = &Code{"InvalidParameterCombination", 400, true}
	CodeInvalidParameterValue       = &Code{"InvalidParameterValue", 400, true}
	CodeInvalidQueryParameter       = &Code{"InvalidQueryParameter", 400, true}
	CodeMalformedQueryString        = &Code{"MalformedQueryString", 404, true}
	CodeMissingAction               = &Code{"MissingAction", 400, true}
	CodeMissingAuthenticationToken  = &Code{"MissingAuthenticationToken", 403, true}
	CodeMissingParameter            = &Code{"MissingParameter", 400, true}
	CodeNotAuthorized               = &Code{"NotAuthorized", 400, true}
	CodeOptInRequired               = &Code{"OptInRequired", 403, true}
	CodeRequestExpired              = &Code{"RequestExpired", 400, true}
	CodeServiceUnavailable          = &Code{"ServiceUnavailable", 503, false}
	CodeThrottling                  = &Code{"Throttling", 400, true}
	CodeValidationError             = &Code{"ValidationError", 400, true}
	// SignatureDoesNotMatch and ExpiredToken are not on the Common Errors
	// page; the statuses are the ones STS and IAM send (403 for both).
	CodeSignatureDoesNotMatch = &Code{"SignatureDoesNotMatch", 403, true}
	CodeExpiredToken          = &Code{"ExpiredToken", 403, true}
	// RequestEntityTooLarge is sent when a body exceeds the server's limit.
	// AWS documents no Query code for it; this is API Gateway's.
	CodeRequestEntityTooLarge = &Code{"RequestEntityTooLarge", 413, true}
)

// internalFailure is the only message a 500 ever carries.
var internalFailure = CodeInternalFailure.New("An internal error occurred. Please try again.")
