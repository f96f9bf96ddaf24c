package awsquery

import "testing"

func TestCatalogue(t *testing.T) {
	common := []*Code{
		CodeAccessDenied, CodeIncompleteSignature, CodeInternalFailure, CodeInvalidAction,
		CodeInvalidClientTokenID, CodeInvalidParameterCombination, CodeInvalidParameterValue,
		CodeInvalidQueryParameter, CodeMalformedQueryString, CodeMissingAction,
		CodeMissingAuthenticationToken, CodeMissingParameter, CodeNotAuthorized, CodeOptInRequired,
		CodeRequestExpired, CodeServiceUnavailable, CodeThrottling, CodeValidationError,
		CodeSignatureDoesNotMatch, CodeExpiredToken, CodeRequestEntityTooLarge,
	}
	seen := map[string]bool{}
	for _, c := range append(common, modelCodes...) {
		if seen[c.Name] {
			t.Errorf("code %s appears twice in the catalogue", c.Name)
		}
		seen[c.Name] = true
		if c.Status < 400 || c.Status > 599 {
			t.Errorf("code %s: status %d", c.Name, c.Status)
		}
		if (c.Status >= 500) == c.Sender {
			t.Errorf("code %s: status %d with sender fault %v", c.Name, c.Status, c.Sender)
		}
	}
	// Spot checks against the models and AWS's Common Errors page.
	tests := []struct {
		code   *Code
		status int
		fault  string
	}{
		{CodeNoSuchEntity, 404, "Sender"},
		{CodeEntityAlreadyExists, 409, "Sender"},
		{CodeLimitExceeded, 409, "Sender"},
		{CodeServiceFailure, 500, "Receiver"},
		{CodeMalformedPolicyDocument, 400, "Sender"},
		{CodePackedPolicyTooLarge, 400, "Sender"},
		{CodeIDPRejectedClaim, 403, "Sender"},
		{CodeExpiredTokenException, 400, "Sender"},
		{CodeMalformedQueryString, 404, "Sender"},
		{CodeIncompleteSignature, 400, "Sender"},
		{CodeInvalidClientTokenID, 403, "Sender"},
		{CodeServiceUnavailable, 503, "Receiver"},
	}
	for _, tt := range tests {
		if tt.code.Status != tt.status || tt.code.Fault() != tt.fault {
			t.Errorf("%s = %d %s, want %d %s", tt.code.Name, tt.code.Status, tt.code.Fault(), tt.status, tt.fault)
		}
	}
	if got := len(modelCodes); got < 40 {
		t.Errorf("model codes = %d, want every STS and IAM error shape (at least 40)", got)
	}
}
