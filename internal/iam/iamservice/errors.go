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
		sp *serviceRolePolicyError
		pr protectedRoleError
		dt deletionTaskNotFoundError
		rn reportNotPresentError
		rx reportExpiredError
		un userNameRequiredError
		bm badMarkerError
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
	case errors.As(err, &sp):
		return &awsquery.Error{Code: awsquery.CodePolicyNotAttachable, Message: sp.Error(), Cause: err}
	case errors.As(err, &pr):
		return &awsquery.Error{Code: awsquery.CodeUnmodifiableEntity, Message: pr.Error(), Cause: err}
	case errors.As(err, &dt):
		return &awsquery.Error{Code: awsquery.CodeNoSuchEntity, Message: dt.Error(), Cause: err}
	case errors.As(err, &an):
		return &awsquery.Error{Code: awsquery.CodeNoSuchEntity, Message: an.Error(), Cause: err}
	case errors.As(err, &rn):
		return &awsquery.Error{Code: awsquery.CodeReportNotPresent, Message: rn.Error(), Cause: err}
	case errors.As(err, &rx):
		return &awsquery.Error{Code: awsquery.CodeReportExpired, Message: rx.Error(), Cause: err}
	case errors.As(err, &un):
		return &awsquery.Error{Code: awsquery.CodeValidationError, Message: un.Error(), Cause: err}
	case errors.As(err, &bm):
		return &awsquery.Error{Code: awsquery.CodeValidationError, Message: bm.Error(), Cause: err}
	case errors.As(err, &te):
		// AWS names neither code nor reason.
		return &awsquery.Error{Code: awsquery.CodeInvalidAuthenticationCode,
			Message: "Authentication code for device is not valid.", Cause: err}
	}
	return nil
}
