package broker

import (
	"errors"
	"fmt"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/broker/upstream"
)

// InvalidError is a request the broker's rules refuse (ValidationError).
type InvalidError struct{ Message string }

func (e *InvalidError) Error() string { return "broker: " + e.Message }

func invalid(format string, args ...any) error {
	return &InvalidError{Message: fmt.Sprintf(format, args...)}
}

// NotFoundError: the upstream account or brokered role named is not
// registered in the caller's account (NoSuchEntity).
type NotFoundError struct{ Message string }

func (e *NotFoundError) Error() string { return "broker: " + e.Message }

// ExistsError: the upstream account or brokered role is registered
// already (EntityAlreadyExists).
type ExistsError struct{ Message string }

func (e *ExistsError) Error() string { return "broker: " + e.Message }

// ConflictError: the upstream account still has brokered roles
// (DeleteConflict).
type ConflictError struct{ Message string }

func (e *ConflictError) Error() string { return "broker: " + e.Message }

// KeylessError: a brokered GetSessionToken or GetFederationToken of an
// upstream in OIDC mode, which holds no key.
type KeylessError struct{ Account string }

func (e *KeylessError) Error() string {
	return "Upstream account " + e.Account + " trusts Brevet's OIDC issuer and holds no key: only its roles can be brokered."
}

// IssuerDisabledError: an OIDC-mode upstream was to be called while
// Brevet's OIDC issuer is not enabled.
type IssuerDisabledError struct{ Account string }

func (e *IssuerDisabledError) Error() string {
	return "Brevet's OIDC issuer is not enabled (set federation.issuer_url or serve HTTPS); upstream account " + e.Account + " trusts it."
}

// SealedKeyError: this node's master key cannot open an upstream's sealed
// key (it was sealed under a master key the node does not hold, or the
// record is damaged). The caller cannot fix it: it is answered
// ServiceUnavailable, and the broker logs Err for the operator.
type SealedKeyError struct {
	Account string
	Err     error
}

func (e *SealedKeyError) Error() string {
	return "Brevet cannot open its sealed key for upstream account " + e.Account + "; an administrator must check the server's log (docs/broker.md)."
}

func (e *SealedKeyError) Unwrap() error { return e.Err }

// IssuerFailedError: Brevet's OIDC issuer is enabled but could not sign
// an OIDC-mode upstream's token (no active signing key, a signing
// failure). Answered ServiceUnavailable; the broker logs Err.
type IssuerFailedError struct {
	Account string
	Err     error
}

func (e *IssuerFailedError) Error() string {
	return "Brevet's OIDC issuer could not sign a token for upstream account " + e.Account + "; an administrator must check the server's log (docs/broker.md)."
}

func (e *IssuerFailedError) Unwrap() error { return e.Err }

// TagsTooLargeError: in OIDC mode, the session tags passed upstream do
// not fit in Brevet's token (issuer.MaxPayloadBytes). AWS answers session
// tags that do not fit with PackedPolicyTooLarge; so does Brevet.
type TagsTooLargeError struct{ Account string }

func (e *TagsTooLargeError) Error() string {
	return "The session tags are too large to pass to upstream account " + e.Account + " in Brevet's web identity token; pass fewer or shorter tags."
}

// BusyError: another node (or request) is rotating the upstream's key.
type BusyError struct{ Account string }

func (e *BusyError) Error() string {
	return "The key of upstream account " + e.Account + " is being rotated; try again later."
}

// RotationError is a failed key rotation; Err says why (never a
// secret). It is recorded in Rotation.Error.
type RotationError struct {
	Account string
	Err     error
}

func (e *RotationError) Error() string { return e.Err.Error() }

func (e *RotationError) Unwrap() error { return e.Err }

// NarrowError: a caller's session policy could not be proven no wider
// than a brokered role's SessionPolicy (Narrower). Its message names the
// statement and the action or resource.
type NarrowError struct{ Reason string }

func (e *NarrowError) Error() string {
	return "The session policy grants more than the brokered role allows: " + e.Reason
}

// WireError maps the broker's errors and the upstream client's
// (*upstream.Error) to Query wire errors; nil for others. Messages never
// carry a secret: the upstream's own message at most.
func WireError(err error) *awsquery.Error {
	if e, ok := errors.AsType[*upstream.Error](err); ok {
		return upstreamWire(e, err)
	}
	if e, ok := errors.AsType[*InvalidError](err); ok {
		return &awsquery.Error{Code: awsquery.CodeValidationError, Message: e.Message, Cause: err}
	}
	if e, ok := errors.AsType[*NotFoundError](err); ok {
		return &awsquery.Error{Code: awsquery.CodeNoSuchEntity, Message: e.Message, Cause: err}
	}
	if e, ok := errors.AsType[*ExistsError](err); ok {
		return &awsquery.Error{Code: awsquery.CodeEntityAlreadyExists, Message: e.Message, Cause: err}
	}
	if e, ok := errors.AsType[*ConflictError](err); ok {
		return &awsquery.Error{Code: awsquery.CodeDeleteConflict, Message: e.Message, Cause: err}
	}
	if e, ok := errors.AsType[*KeylessError](err); ok {
		return &awsquery.Error{Code: awsquery.CodeValidationError, Message: e.Error(), Cause: err}
	}
	if e, ok := errors.AsType[*IssuerFailedError](err); ok {
		return &awsquery.Error{Code: awsquery.CodeServiceUnavailable, Message: e.Error(), Cause: err}
	}
	if e, ok := errors.AsType[*SealedKeyError](err); ok {
		return &awsquery.Error{Code: awsquery.CodeServiceUnavailable, Message: e.Error(), Cause: err}
	}
	if e, ok := errors.AsType[*IssuerDisabledError](err); ok {
		return &awsquery.Error{Code: awsquery.CodeServiceUnavailable, Message: e.Error(), Cause: err}
	}
	if e, ok := errors.AsType[*TagsTooLargeError](err); ok {
		return &awsquery.Error{Code: awsquery.CodePackedPolicyTooLarge, Message: e.Error(), Cause: err}
	}
	if e, ok := errors.AsType[*BusyError](err); ok {
		return &awsquery.Error{Code: awsquery.CodeServiceUnavailable, Message: e.Error(), Cause: err}
	}
	if e, ok := errors.AsType[*RotationError](err); ok {
		return &awsquery.Error{Code: awsquery.CodeServiceUnavailable, Message: "The key of upstream account " + e.Account +
			" was not rotated; see LastRotationError of GetUpstreamAccount.", Cause: err}
	}
	if e, ok := errors.AsType[*NarrowError](err); ok {
		return &awsquery.Error{Code: awsquery.CodeAccessDenied, Message: e.Error(), Cause: err}
	}
	return nil
}

// invalidCodes are the upstream codes of Invalid failures Brevet answers
// with as they are.
var invalidCodes = map[string]*awsquery.Code{
	awsquery.CodeValidationError.Name:         awsquery.CodeValidationError,
	awsquery.CodeMalformedPolicyDocument.Name: awsquery.CodeMalformedPolicyDocument,
	awsquery.CodePackedPolicyTooLarge.Name:    awsquery.CodePackedPolicyTooLarge,
	awsquery.CodeInvalidParameterValue.Name:   awsquery.CodeInvalidParameterValue,
}

// upstreamWire maps an upstream failure (docs/broker.md, "Failures").
func upstreamWire(e *upstream.Error, err error) *awsquery.Error {
	id := e.Account
	switch e.Kind {
	case upstream.Limited:
		return &awsquery.Error{Code: awsquery.CodeThrottling, Message: "Rate exceeded for upstream account " + id + ".", Cause: err}
	case upstream.Refused:
		return &awsquery.Error{Code: awsquery.CodeAccessDenied, Message: "Upstream account " + id + " refused: " + e.Message, Cause: err}
	case upstream.Invalid:
		code := invalidCodes[e.Code]
		if code == nil {
			code = awsquery.CodeValidationError
		}
		return &awsquery.Error{Code: code, Message: "Upstream account " + id + ": " + e.Message, Cause: err}
	case upstream.Credentials:
		return &awsquery.Error{Code: awsquery.CodeServiceUnavailable, Message: "Upstream account " + id + " refused Brevet's own credentials (" +
			e.Code + "); an administrator must check its registration (docs/broker.md).", Cause: err}
	case upstream.Throttled:
		return &awsquery.Error{Code: awsquery.CodeServiceUnavailable, Message: "Upstream account " + id + " kept throttling Brevet's requests; try again later.", Cause: err}
	}
	return &awsquery.Error{Code: awsquery.CodeServiceUnavailable, Message: "Upstream account " + id + " did not answer (" + reason(e) + "); try again later.", Cause: err}
}

// reason words an Unavailable failure: the client's Reason ("timeout",
// "connection reset", "connection refused", "HTTP 503"), never a URL.
func reason(e *upstream.Error) string {
	if e.Reason != "" {
		return e.Reason
	}
	return "no answer"
}
