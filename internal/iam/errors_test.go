package iam

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrorMessages(t *testing.T) {
	const arn = "arn:aws:iam::123456789012:policy/P"
	tests := []struct {
		err  error
		want string
	}{
		{&NotFoundError{Kind: KindUser, Name: "alice"}, "The user with name alice cannot be found."},
		{&NotFoundError{Kind: KindRole, Name: "ci"}, "The role with name ci cannot be found."},
		{&NotFoundError{Kind: KindGroup, Name: "devs"}, "The group with name devs cannot be found."},
		{&NotFoundError{Kind: KindUserPolicy, Name: "p"}, "The user policy with name p cannot be found."},
		{&NotFoundError{Kind: KindRolePolicy, Name: "p"}, "The role policy with name p cannot be found."},
		{&NotFoundError{Kind: KindGroupPolicy, Name: "p"}, "The group policy with name p cannot be found."},
		{&NotFoundError{Kind: KindPolicy, Name: arn}, "Policy " + arn + " does not exist or is not attachable."},
		{&NotFoundError{Kind: KindPolicyVersion, Name: arn, Version: "v9"}, "Policy " + arn + " version v9 does not exist or is not attachable."},
		{&NotFoundError{Kind: KindAttachment, Name: arn}, "Policy " + arn + " was not found."},
		{&NotFoundError{Kind: KindAccessKey, Name: "AKIAX"}, "The Access Key with id AKIAX cannot be found."},
		{&AlreadyExistsError{Kind: KindUser, Name: "alice"}, "User with name alice already exists."},
		{&AlreadyExistsError{Kind: KindRole, Name: "ci"}, "Role with name ci already exists."},
		{&AlreadyExistsError{Kind: KindGroup, Name: "devs"}, "Group with name devs already exists."},
		{&AlreadyExistsError{Kind: KindPolicy, Name: "P"}, "A policy called P already exists. Duplicate names are not allowed."},
		{&DeleteConflictError{Reason: ConflictInlinePolicies}, "Cannot delete entity, must delete policies first."},
		{&DeleteConflictError{Reason: ConflictAttachedPolicies}, "Cannot delete entity, must detach all policies first."},
		{&DeleteConflictError{Reason: ConflictGroupHasUsers}, "Cannot delete entity, must remove users from group first."},
		{&DeleteConflictError{Reason: ConflictAccessKeys}, "Cannot delete entity, must delete access keys first."},
		{&DeleteConflictError{Reason: ConflictLoginProfile}, "Cannot delete entity, must delete login profile first."},
		{&NotFoundError{Kind: KindLoginProfile, Name: "alice"}, "Login Profile for User alice cannot be found."},
		{&NotFoundError{Kind: KindPasswordPolicy, Name: "123456789012"}, "The Password Policy with domain name 123456789012 cannot be found."},
		{&AlreadyExistsError{Kind: KindLoginProfile, Name: "alice"}, "Login Profile for user alice already exists."},
		{&NotFoundError{Kind: KindMFADevice, Name: "arn:aws:iam::123456789012:mfa/d"}, "MFA Device with serial number arn:aws:iam::123456789012:mfa/d does not exist."},
		{&AlreadyExistsError{Kind: KindMFADevice, Name: "d"}, "MFA device already exists."},
		{&NotFoundError{Kind: KindBoundary, Name: arn}, "Scope ARN: " + arn + " does not exist or is not attachable."},
		{&NotFoundError{Kind: KindProfileRole, Name: "web", Parent: "prof"}, "Role web in Instance Profile prof cannot be found."},
		{&NotFoundError{Kind: KindAccountPolicy, Name: "PasswordPolicy"}, "The account policy with name PasswordPolicy cannot be found."},
		{&ProviderNotFoundError{Kind: ProviderOIDC, ARN: "arn:aws:iam::123456789012:oidc-provider/x"}, "OpenIDConnect Provider not found for arn arn:aws:iam::123456789012:oidc-provider/x"},
		{&ProviderNotFoundError{Kind: ProviderOIDC, ARN: "arn:aws:iam::123456789012:oidc-provider/x", Deleting: true}, "OpenId connect Provider arn:aws:iam::123456789012:oidc-provider/x cannot be found."},
		{&ValidationError{Field: "tags", Constraint: "Member must have length less than or equal to 50"}, "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"},
		{&DeleteConflictError{Reason: ConflictPolicyAttached}, "Cannot delete a policy attached to entities."},
		{&DeleteConflictError{Reason: ConflictDefaultVersion}, "Cannot delete the default version of a policy."},
		{&LimitExceededError{Quota: QuotaAccessKeysPerUser, Limit: MaxAccessKeysPerUser}, "Cannot exceed quota for AccessKeysPerUser: 2"},
		{&LimitExceededError{Quota: QuotaPoliciesPerRole, Limit: MaxAttachedPolicies}, "Cannot exceed quota for PoliciesPerRole: 10"},
		{&LimitExceededError{Quota: QuotaPolicyVersionsPerPolicy, Limit: MaxPolicyVersions}, "Cannot exceed quota for PolicyVersionsPerPolicy: 5"},
		{&LimitExceededError{Quota: QuotaGroupsPerUser, Limit: MaxGroupsPerUser}, "Cannot exceed quota for GroupsPerUser: 10"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%T:\ngot  %s\nwant %s", tt.err, got, tt.want)
		}
	}
}

// The wire layer finds domain errors through wrapping.
func TestErrorsAs(t *testing.T) {
	err := fmt.Errorf("delete user: %w", &DeleteConflictError{Reason: ConflictAccessKeys})
	var dc *DeleteConflictError
	if !errors.As(err, &dc) || dc.Reason != ConflictAccessKeys {
		t.Errorf("errors.As: got %v", err)
	}
}

func TestDependentsConflict(t *testing.T) {
	tests := []struct {
		name string
		got  error
		want ConflictReason // 0 = nil
	}{
		{"user none", UserDependents{}.Conflict(), 0},
		{"user keys first", UserDependents{AccessKeys: 1, Groups: 1}.Conflict(), ConflictAccessKeys},
		{"user password before keys", UserDependents{LoginProfile: 1, AccessKeys: 1}.Conflict(), ConflictLoginProfile},
		{"user groups", UserDependents{Groups: 1}.Conflict(), ConflictUserInGroups},
		{"user inline before attached", UserDependents{InlinePolicies: 1, AttachedPolicies: 1}.Conflict(), ConflictInlinePolicies},
		{"group users", GroupDependents{Users: 2, InlinePolicies: 1}.Conflict(), ConflictGroupHasUsers},
		{"group none", GroupDependents{}.Conflict(), 0},
		{"role attached", RoleDependents{AttachedPolicies: 1}.Conflict(), ConflictAttachedPolicies},
		{"role none", RoleDependents{}.Conflict(), 0},
		{"role in an instance profile", RoleDependents{InstanceProfiles: 1}.Conflict(), ConflictInstanceProfileRoles},
	}
	for _, tt := range tests {
		var dc *DeleteConflictError
		switch {
		case tt.want == 0 && tt.got != nil:
			t.Errorf("%s: got %v, want nil", tt.name, tt.got)
		case tt.want != 0 && (!errors.As(tt.got, &dc) || dc.Reason != tt.want):
			t.Errorf("%s: got %v, want reason %d", tt.name, tt.got, tt.want)
		}
	}
}
