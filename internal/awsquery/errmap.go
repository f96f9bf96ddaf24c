package awsquery

import (
	"errors"

	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// ErrorMapper maps a domain error of some package to a wire error, or
// returns nil when it does not know the error. Packages that cannot be
// imported here (because they import the generated API packages) supply one
// through Config.ErrorMappers; it must use errors.As or errors.Is, never
// match strings, and build the result from this package's catalogue.
type ErrorMapper func(error) *Error

// ToWire maps any error to the wire error the client sees. In order: an
// *Error anywhere in the chain is used as is; then each mapper; then the
// domain errors of the pure packages this package knows (sigv4, policy).
// Anything else is InternalFailure with a generic message: the caller logs
// the original, the client never sees it. The boolean reports whether the
// error was unmapped (a bug to log).
func ToWire(err error, mappers ...ErrorMapper) (*Error, bool) {
	var we *Error
	if errors.As(err, &we) {
		return we, false
	}
	var ad *request.AccessDeniedError
	if errors.As(err, &ad) {
		return &Error{Code: CodeAccessDenied, Message: ad.Error(), Cause: err}, false
	}
	if te, ok := errors.AsType[*request.ThrottledError](err); ok {
		return &Error{Code: CodeThrottling, Message: MsgRateExceeded, Cause: err, RetryAfter: te.RetryAfter}, false
	}
	for _, m := range mappers {
		if we := m(err); we != nil {
			return we, false
		}
	}
	if we := mapKnown(err); we != nil {
		return we, false
	}
	return internalFailure, true
}

func mapKnown(err error) *Error {
	var se *sigv4.Error
	if errors.As(err, &se) {
		return &Error{Code: sigv4Code(se.Kind), Message: se.Message, Cause: err}
	}
	var pm *policy.MalformedError
	if errors.As(err, &pm) {
		return &Error{Code: CodeMalformedPolicyDocument, Message: pm.Message, Cause: err}
	}
	var pl *policy.LimitError
	if errors.As(err, &pl) {
		code := CodeLimitExceeded
		if pl.Quota == policy.QuotaSessionPolicy {
			code = CodeValidationError
		}
		return &Error{Code: code, Message: pl.Message, Cause: err}
	}
	return nil
}

// sigv4Code is the AWS code for each authentication failure. Expired
// requests and bad credential scopes are SignatureDoesNotMatch on the Query
// protocol (STS says "Signature expired: ..." with that code).
func sigv4Code(k sigv4.Kind) *Code {
	switch k {
	case sigv4.KindIncompleteSignature:
		return CodeIncompleteSignature
	case sigv4.KindSignatureDoesNotMatch, sigv4.KindRequestExpired, sigv4.KindInvalidScope:
		return CodeSignatureDoesNotMatch
	case sigv4.KindContentSHA256Mismatch, sigv4.KindIncompleteBody, sigv4.KindBadDigest:
		// A body that does not match what was signed: the Query services
		// hash the body themselves and report a signature mismatch (S3's
		// XAmzContentSHA256Mismatch, IncompleteBody and BadDigest codes
		// belong to the gateway, not here).
		return CodeSignatureDoesNotMatch
	case sigv4.KindInvalidClientTokenID:
		return CodeInvalidClientTokenID
	case sigv4.KindExpiredToken:
		return CodeExpiredToken
	case sigv4.KindMissingAuthenticationToken:
		return CodeMissingAuthenticationToken
	case sigv4.KindAccessDenied:
		return CodeAccessDenied
	}
	return CodeIncompleteSignature
}
