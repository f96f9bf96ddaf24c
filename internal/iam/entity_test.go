package iam

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateEntities(t *testing.T) {
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	okRole := Role{Name: "ci", Path: "/", TrustPolicy: trust, MaxSessionDuration: 3600}
	bigTrust := `{"x":"` + strings.Repeat("a", MaxTrustPolicyLen) + `"}`
	bigDoc := `{"x":"` + strings.Repeat("a", MaxManagedPolicyLen) + `"}`
	withRole := func(f func(*Role)) Role { r := okRole; f(&r); return r }
	tests := []struct {
		name string
		err  error
		want string // "" nil; "validation"; "limit:QUOTA"; "invalid"
	}{
		{"user ok", ValidateUser(User{Name: "alice", Path: "/"}), ""},
		{"user bad path", ValidateUser(User{Name: "alice", Path: "x"}), "validation"},
		{"user dup tags", ValidateUser(User{Name: "alice", Path: "/", Tags: []Tag{{"a", ""}, {"A", ""}}}), "invalid"},
		{"group ok", ValidateGroup(Group{Name: "devs", Path: "/"}), ""},
		{"group bad name", ValidateGroup(Group{Name: "de vs", Path: "/"}), "validation"},
		{"role ok", ValidateRole(okRole), ""},
		{"role no trust", ValidateRole(withRole(func(r *Role) { r.TrustPolicy = "" })), "validation"},
		{"role big trust", ValidateRole(withRole(func(r *Role) { r.TrustPolicy = bigTrust })), "limit:ACLSizePerRole"},
		{"role session", ValidateRole(withRole(func(r *Role) { r.MaxSessionDuration = 60 })), "validation"},
		{"policy ok", ValidateManagedPolicy(ManagedPolicy{Name: "P", Path: "/"}, trust), ""},
		{"policy bad path", ValidateManagedPolicy(ManagedPolicy{Name: "P", Path: "/a~/"}, trust), "validation"},
		{"policy too big", ValidateManagedPolicy(ManagedPolicy{Name: "P", Path: "/"}, bigDoc), "limit:PolicySize"},
		{"attach 9", CheckAttachQuota(PrincipalUser, 9), ""},
		{"attach user 10", CheckAttachQuota(PrincipalUser, 10), "limit:PoliciesPerUser"},
		{"attach group 10", CheckAttachQuota(PrincipalGroup, 10), "limit:PoliciesPerGroup"},
		{"attach role 10", CheckAttachQuota(PrincipalRole, 10), "limit:PoliciesPerRole"},
		{"inline user ok", CheckInlinePolicySize(PrincipalUser, "bob", []InlinePolicy{{"a", strings.Repeat("x", 1000)}}, "b", strings.Repeat("y", 1000)), ""},
		{"inline user over", CheckInlinePolicySize(PrincipalUser, "bob", []InlinePolicy{{"a", strings.Repeat("x", 1000)}}, "b", strings.Repeat("y", 1100)), "limit:UserPolicySize"},
		{"inline replace", CheckInlinePolicySize(PrincipalUser, "bob", []InlinePolicy{{"a", strings.Repeat("x", 2000)}}, "a", strings.Repeat("y", 2000)), ""},
		{"inline role", CheckInlinePolicySize(PrincipalRole, "ci", nil, "a", strings.Repeat("y", 10241)), "limit:RolePolicySize"},
	}
	const wantMsg = "Maximum policy size of 10240 bytes exceeded for role ci"
	if err := CheckInlinePolicySize(PrincipalRole, "ci", nil, "a", strings.Repeat("y", 10241)); err == nil || err.Error() != wantMsg {
		t.Errorf("inline size message: got %v, want %q", err, wantMsg)
	}
	for _, tt := range tests {
		var ve *ValidationError
		var le *LimitExceededError
		var ie *InvalidInputError
		switch {
		case tt.want == "":
			if tt.err != nil {
				t.Errorf("%s: got %v, want nil", tt.name, tt.err)
			}
		case tt.want == "validation":
			if !errors.As(tt.err, &ve) {
				t.Errorf("%s: got %v, want *ValidationError", tt.name, tt.err)
			}
		case tt.want == "invalid":
			if !errors.As(tt.err, &ie) {
				t.Errorf("%s: got %v, want *InvalidInputError", tt.name, tt.err)
			}
		case strings.HasPrefix(tt.want, "limit:"):
			if !errors.As(tt.err, &le) || le.Quota != strings.TrimPrefix(tt.want, "limit:") {
				t.Errorf("%s: got %v, want LimitExceeded %s", tt.name, tt.err, tt.want)
			}
		}
	}
}
