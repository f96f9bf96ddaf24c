package sts_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/sts"
)

func TestWireError(t *testing.T) {
	tests := []struct {
		err       error
		code, msg string
	}{
		{&sts.AccessDeniedError{Message: "no"}, "AccessDenied", "no"},
		{fmt.Errorf("wrapped: %w", &sts.ValidationError{Message: "bad"}), "ValidationError", "bad"},
		{&sts.ValidationError{Message: "dup", InvalidValue: true}, "InvalidParameterValue", "dup"},
		{&authz.InvalidMessageError{Reason: "x"}, "InvalidAuthorizationMessageException", "The error message could not be decoded."},
		{&credential.PackedPolicyTooLargeError{Part: credential.PackedPolicies, Percent: 130}, "PackedPolicyTooLarge",
			"Packed policy consumes 130% of allotted space, please use smaller policy."},
	}
	for _, tt := range tests {
		got := sts.WireError(tt.err)
		if got == nil || got.Code.Name != tt.code || got.Message != tt.msg {
			t.Errorf("WireError(%v) = %v, want %s %q", tt.err, got, tt.code, tt.msg)
		}
		if w, unmapped := awsquery.ToWire(tt.err, sts.WireError); unmapped || w.Code.Name != tt.code {
			t.Errorf("ToWire(%v) = %v, %v", tt.err, w, unmapped)
		}
	}
	if got := sts.WireError(errors.New("other")); got != nil {
		t.Errorf("WireError(unknown) = %v, want nil", got)
	}
}
