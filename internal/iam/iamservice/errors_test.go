package iamservice

import (
	"fmt"
	"testing"

	"github.com/brevet-dev/brevet/internal/awsquery"
)

// TestWireErrorWrapped: a domain error wrapped on its way up is answered
// with its own code and text, never with the wrapping's.
func TestWireErrorWrapped(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code *awsquery.Code
	}{
		{protectedRoleError{"AWSServiceRoleForECS"}, awsquery.CodeUnmodifiableEntity},
		{deletionTaskNotFoundError{"task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/x"}, awsquery.CodeNoSuchEntity},
		{reportNotPresentError{"GenerateCredentialReport"}, awsquery.CodeReportNotPresent},
		{reportExpiredError{"GenerateCredentialReport"}, awsquery.CodeReportExpired},
		{userNameRequiredError{}, awsquery.CodeValidationError},
		{badMarkerError{}, awsquery.CodeValidationError},
		{&serviceRolePolicyError{boundary: true}, awsquery.CodePolicyNotAttachable},
	} {
		got := WireError(fmt.Errorf("store detail: %w", tc.err))
		if got == nil || got.Code != tc.code || got.Message != tc.err.Error() {
			t.Errorf("WireError(wrapped %T) = %+v, want code %v, message %q", tc.err, got, tc.code, tc.err.Error())
		}
	}
}
