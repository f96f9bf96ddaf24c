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
}

func (e *ValidationError) Error() string { return e.Message }

// RegionDisabledError: STS is not enabled in the region the request was
// signed for.
type RegionDisabledError struct {
	Region string
}

func (e *RegionDisabledError) Error() string {
	return "STS is not activated in this region for account. Your account administrator can activate STS in this region using the IAM Console."
}

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
		return &awsquery.Error{Code: awsquery.CodeValidationError, Message: ve.Message, Cause: err}
	}
	var rd *RegionDisabledError
	if errors.As(err, &rd) {
		return &awsquery.Error{Code: awsquery.CodeRegionDisabledException, Message: rd.Error(), Cause: err}
	}
	var im *authz.InvalidMessageError
	if errors.As(err, &im) {
		return &awsquery.Error{Code: awsquery.CodeInvalidAuthorizationMessageException, Message: im.Message(), Cause: err}
	}
	var pp *credential.PackedPolicyTooLargeError
	if errors.As(err, &pp) {
		return &awsquery.Error{Code: awsquery.CodePackedPolicyTooLarge, Message: pp.Error(), Cause: err}
	}
	var te *credential.TokenExpiredError
	if errors.As(err, &te) {
		return &awsquery.Error{Code: awsquery.CodeExpiredTokenException, Message: "Token expired", Cause: err}
	}
	return nil
}
