package sts

import (
	"errors"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/federation/issuer"
	"github.com/brevet-dev/brevet/internal/federation/oidc"
	"github.com/brevet-dev/brevet/internal/federation/saml"
)

// federationWireError maps the federation packages' typed errors to AWS's
// wire errors by Kind; a *Error's Message is safe for callers, its Err is
// kept for logs only.
func federationWireError(err error) *awsquery.Error {
	var oe *oidc.Error
	if errors.As(err, &oe) {
		code := awsquery.CodeInvalidIdentityToken
		switch oe.Kind {
		case oidc.Expired:
			code = awsquery.CodeExpiredTokenException
		case oidc.Communication:
			code = awsquery.CodeIDPCommunicationError
		case oidc.RejectedClaim:
			code = awsquery.CodeIDPRejectedClaim
		}
		return &awsquery.Error{Code: code, Message: oe.Message, Cause: err}
	}
	var se *saml.Error
	if errors.As(err, &se) {
		code := awsquery.CodeInvalidIdentityToken
		switch se.Kind {
		case saml.Expired:
			code = awsquery.CodeExpiredTokenException
		case saml.RejectedClaim:
			code = awsquery.CodeIDPRejectedClaim
		}
		return &awsquery.Error{Code: code, Message: se.Message, Cause: err}
	}
	var ie *issuer.Error
	if errors.As(err, &ie) {
		switch ie.Kind {
		case issuer.InvalidInput:
			return &awsquery.Error{Code: awsquery.CodeValidationError, Message: ie.Message, Cause: err}
		case issuer.SessionDurationEscalation:
			return &awsquery.Error{Code: awsquery.CodeSessionDurationEscalationException, Message: ie.Message, Cause: err}
		case issuer.PayloadTooLarge:
			return &awsquery.Error{Code: awsquery.CodeJWTPayloadSizeExceededException, Message: ie.Message, Cause: err}
		}
		return nil // NoKey: a configuration fault, a 500
	}
	if errors.As(err, new(OutboundDisabledError)) {
		return &awsquery.Error{Code: awsquery.CodeOutboundWebIdentityFederationDisabledException, Message: OutboundDisabledError{}.Error(), Cause: err}
	}
	return nil
}
