package iamservice

import (
	"errors"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/credential/totp"
	"github.com/brevet-dev/brevet/internal/iam"
)

// WireError maps the domain errors IAM actions return (package iam's typed
// errors, and a refused MFA code) to AWS's wire errors. Give it to the
// dispatcher in awsquery.Config.ErrorMappers; awsquery itself maps policy's
// MalformedError and LimitError.
func WireError(err error) *awsquery.Error {
	var (
		nf *iam.NotFoundError
		ae *iam.AlreadyExistsError
		dc *iam.DeleteConflictError
		le *iam.LimitExceededError
		ii *iam.InvalidInputError
		ve *iam.ValidationError
		ue *iam.UnmodifiableEntityError
		te *totp.VerifyError
		an aliasNotFoundError
		pv *iam.PasswordPolicyViolationError
		ut invalidUserTypeError
		kd *keyLastUsedDeniedError
		pa *policyARNError
	)
	switch {
	case errors.As(err, &nf):
		return &awsquery.Error{Code: awsquery.CodeNoSuchEntity, Message: nf.Error(), Cause: err}
	case errors.As(err, &ae):
		return &awsquery.Error{Code: awsquery.CodeEntityAlreadyExists, Message: ae.Error(), Cause: err}
	case errors.As(err, &dc):
		return &awsquery.Error{Code: awsquery.CodeDeleteConflict, Message: dc.Error(), Cause: err}
	case errors.As(err, &le):
		return &awsquery.Error{Code: awsquery.CodeLimitExceeded, Message: le.Error(), Cause: err}
	case errors.As(err, &ii):
		return &awsquery.Error{Code: awsquery.CodeInvalidInput, Message: ii.Error(), Cause: err}
	case errors.As(err, &ve):
		return &awsquery.Error{Code: awsquery.CodeValidationError, Message: ve.Error(), Cause: err}
	case errors.As(err, &ue):
		return &awsquery.Error{Code: awsquery.CodeUnmodifiableEntity, Message: ue.Error(), Cause: err}
	case errors.As(err, new(policyHasVersionsError)):
		return &awsquery.Error{Code: awsquery.CodeDeleteConflict, Message: policyHasVersionsError{}.Error(), Cause: err}
	case errors.As(err, new(mfaInUseError)):
		return &awsquery.Error{Code: awsquery.CodeEntityAlreadyExists, Message: mfaInUseError{}.Error(), Cause: err}
	case errors.As(err, &pv):
		return &awsquery.Error{Code: awsquery.CodePasswordPolicyViolation, Message: pv.Error(), Cause: err}
	case errors.As(err, new(passwordChangingError)):
		return &awsquery.Error{Code: awsquery.CodeEntityTemporarilyUnmodifiable, Message: errPasswordChanging.Error(), Cause: err}
	case errors.As(err, &ut):
		return &awsquery.Error{Code: awsquery.CodeInvalidUserType, Message: ut.Error(), Cause: err}
	case errors.As(err, &pa):
		return &awsquery.Error{Code: pa.wireCode(), Message: pa.Error(), Cause: err}
	case errors.As(err, &kd):
		return &awsquery.Error{Code: awsquery.CodeAccessDenied, Message: kd.Error(), Cause: err}
	case errors.As(err, new(*serviceRolePolicyError)):
		return &awsquery.Error{Code: awsquery.CodePolicyNotAttachable, Message: err.Error(), Cause: err}
	case errors.As(err, new(protectedRoleError)):
		return &awsquery.Error{Code: awsquery.CodeUnmodifiableEntity, Message: err.Error(), Cause: err}
	case errors.As(err, new(deletionTaskNotFoundError)):
		return &awsquery.Error{Code: awsquery.CodeNoSuchEntity, Message: err.Error(), Cause: err}
	case errors.As(err, &an):
		return &awsquery.Error{Code: awsquery.CodeNoSuchEntity, Message: an.Error(), Cause: err}
	case errors.As(err, new(reportNotPresentError)):
		return &awsquery.Error{Code: awsquery.CodeReportNotPresent, Message: err.Error(), Cause: err}
	case errors.As(err, new(reportExpiredError)):
		return &awsquery.Error{Code: awsquery.CodeReportExpired, Message: err.Error(), Cause: err}
	case errors.As(err, new(userNameRequiredError)):
		return &awsquery.Error{Code: awsquery.CodeValidationError, Message: err.Error(), Cause: err}
	case errors.As(err, new(badMarkerError)):
		return &awsquery.Error{Code: awsquery.CodeValidationError, Message: err.Error(), Cause: err}
	case errors.As(err, &te):
		// AWS names neither code nor reason.
		return &awsquery.Error{Code: awsquery.CodeInvalidAuthenticationCode,
			Message: "Authentication code for device is not valid.", Cause: err}
	}
	return nil
}
