package sts

import (
	"errors"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/credential"
)

// AccessDeniedError is a refusal decided inside an action (the trust
// policy, an MFA code, a caller of the wrong kind). Message is AWS's text.
type AccessDeniedError struct {
	Message string
}

func (e *AccessDeniedError) Error() string { return e.Message }

// ValidationError is a parameter that breaks one of STS's rules beyond the
// model's constraints (which awsquery checks). Message is AWS's text.
type ValidationError struct {
	Message string
	// InvalidValue marks a value STS refuses for what it means rather
	// than for its form, which AWS answers with InvalidParameterValue,
	// not ValidationError: the session tag rules (keys duplicated
	// ignoring case, a transitive key naming no tag, a tag overriding a
	// transitive one the calling session passes on).
	InvalidValue bool
}

func (e *ValidationError) Error() string { return e.Message }

// WireError maps this package's errors (and those of authz and credential
// that its actions return) to awsquery wire errors. Pass it in
// awsquery.Config.ErrorMappers.
func WireError(err error) *awsquery.Error {
	var ad *AccessDeniedError
	if errors.As(err, &ad) {
		return &awsquery.Error{Code: awsquery.CodeAccessDenied, Message: ad.Message, Cause: err}
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		code := awsquery.CodeValidationError
		if ve.InvalidValue {
			code = awsquery.CodeInvalidParameterValue
		}
		return &awsquery.Error{Code: code, Message: ve.Message, Cause: err}
	}
	var im *authz.InvalidMessageError
	if errors.As(err, &im) {
		return &awsquery.Error{Code: awsquery.CodeInvalidAuthorizationMessageException, Message: im.Message(), Cause: err}
	}
	if we := federationWireError(err); we != nil { // federation_errors.go
		return we
	}
	var pp *credential.PackedPolicyTooLargeError
	if errors.As(err, &pp) {
		return &awsquery.Error{Code: awsquery.CodePackedPolicyTooLarge, Message: pp.Error(), Cause: err}
	}
	return nil
}
