package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUnevaluated(t *testing.T) {
	allowed := func(reason string) *Decision { return &Decision{Outcome: Allowed, Reason: reason} }
	denied := func(reason string) *Decision { return &Decision{Outcome: ImplicitlyDenied, Reason: reason} }
	tests := []struct {
		caller Caller
		action string
		want   *Decision // nil: policies decide
	}{
		{alice, "sts:GetCallerIdentity", allowed(reasonCallerIdentity)},
		{devSession, "sts:GetCallerIdentity", allowed(reasonCallerIdentity)},
		{fedUser, "STS:getcalleridentity", allowed(reasonCallerIdentity)},
		{rootUser, "sts:GetCallerIdentity", allowed(reasonCallerIdentity)},
		{anonymous, "sts:GetCallerIdentity", denied(reasonCallerIdentityAnon)},
		{google, "sts:GetCallerIdentity", denied(reasonCallerIdentityAnon)},
		{alice, "sts:GetSessionToken", allowed(reasonSessionToken)},
		{rootUser, "sts:GetSessionToken", allowed(reasonSessionToken)},
		{devSession, "sts:GetSessionToken", denied(reasonSessionTokenRefused)},
		{fedUser, "sts:GetSessionToken", denied(reasonSessionTokenRefused)},
		{alice, "sts:AssumeRole", nil},
		{alice, "sts:GetFederationToken", nil},
		{alice, "sts:GetCallerIdentityX", nil},
		{alice, "iam:GetUser", nil},
	}
	for _, tt := range tests {
		d, ok := Unevaluated(&tt.caller, tt.action)
		var got *Decision
		if ok {
			got = &d
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Unevaluated(%v %s, %s) (-want +got):\n%s", tt.caller.Kind, tt.caller.ARN, tt.action, diff)
		}
	}
}
