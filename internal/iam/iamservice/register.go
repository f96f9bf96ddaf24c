package iamservice

import (
	"context"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
)

// Actions lists the IAM actions Register serves (docs/iam.md describes
// each).
var Actions = append([]string{
	"CreateUser",
	"GetUser",
	"UpdateUser",
	"DeleteUser",
	"ListUsers",
	"CreateAccessKey",
	"ListAccessKeys",
	"UpdateAccessKey",
	"DeleteAccessKey",
	"GetAccessKeyLastUsed",
	"CreateRole",
	"GetRole",
	"ListRoles",
	"UpdateAssumeRolePolicy",
	"UpdateRole",
	"UpdateRoleDescription",
	"DeleteRole",
	"PutUserPolicy",
	"GetUserPolicy",
	"ListUserPolicies",
	"DeleteUserPolicy",
	"PutGroupPolicy",
	"GetGroupPolicy",
	"ListGroupPolicies",
	"DeleteGroupPolicy",
	"PutRolePolicy",
	"GetRolePolicy",
	"ListRolePolicies",
	"DeleteRolePolicy",
	"CreatePolicy",
	"GetPolicy",
	"ListPolicies",
	"CreatePolicyVersion",
	"GetPolicyVersion",
	"ListPolicyVersions",
	"SetDefaultPolicyVersion",
	"DeletePolicyVersion",
	"DeletePolicy",
	"TagPolicy",
	"UntagPolicy",
	"ListPolicyTags",
	"AttachUserPolicy",
	"AttachGroupPolicy",
	"AttachRolePolicy",
	"DetachUserPolicy",
	"DetachGroupPolicy",
	"DetachRolePolicy",
	"ListAttachedUserPolicies",
	"ListAttachedGroupPolicies",
	"ListAttachedRolePolicies",
	"ListEntitiesForPolicy",
	"CreateGroup",
	"GetGroup",
	"ListGroups",
	"UpdateGroup",
	"DeleteGroup",
	"AddUserToGroup",
	"RemoveUserFromGroup",
	"ListGroupsForUser",
	"TagUser",
	"UntagUser",
	"ListUserTags",
	"TagRole",
	"UntagRole",
	"ListRoleTags",
	"PutUserPermissionsBoundary",
	"PutRolePermissionsBoundary",
	"DeleteUserPermissionsBoundary",
	"DeleteRolePermissionsBoundary",
	"CreateVirtualMFADevice",
	"EnableMFADevice",
	"ResyncMFADevice",
	"DeactivateMFADevice",
	"ListMFADevices",
	"ListVirtualMFADevices",
	"DeleteVirtualMFADevice",
	"GetAccountAuthorizationDetails",
	"CreateAccountAlias",
	"DeleteAccountAlias",
	"ListAccountAliases",
	"GetAccountSummary",
	"SimulatePrincipalPolicy",
	"SimulateCustomPolicy",
}, ProviderActions...)

// add registers one action: both halves get the caller as an
// *identity.Principal, and Serve gets the request time.
func add[In, Out any](d *awsquery.Dispatcher, op *awsquery.Operation[In, Out],
	tgt func(context.Context, *identity.Principal, *In) (awsquery.Target, error),
	serve func(context.Context, *identity.Principal, *In, time.Time) (*Out, error)) {
	awsquery.Register(d, op, awsquery.Handler[In, Out]{
		Target: func(ctx context.Context, r *awsquery.Request[In]) (awsquery.Target, error) {
			p, err := caller(r.Principal)
			if err != nil {
				return awsquery.Target{}, err
			}
			return tgt(ctx, p, r.Input)
		},
		Serve: func(ctx context.Context, r *awsquery.Request[In]) (*Out, error) {
			p, err := caller(r.Principal)
			if err != nil {
				return nil, err
			}
			return serve(ctx, p, r.Input, r.Now)
		},
	})
}

// Register puts every action in Actions on the dispatcher. Its
// dispatcher needs WireError among its ErrorMappers.
func Register(d *awsquery.Dispatcher, s *Service) {
	RegisterProviders(d, s) // providers.go
	add(d, iamapi.CreateUser, func(ctx context.Context, p *identity.Principal, in *iamapi.CreateUserRequest) (awsquery.Target, error) {
		return target(iam.UserARN(p.Account, pathOr(in.Path), in.UserName), keys{}.requestTags(in.Tags).boundary(in.PermissionsBoundary))
	}, s.CreateUser)
	add(d, iamapi.GetUser, func(ctx context.Context, p *identity.Principal, in *iamapi.GetUserRequest) (awsquery.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.GetUser)
	add(d, iamapi.UpdateUser, func(ctx context.Context, p *identity.Principal, in *iamapi.UpdateUserRequest) (awsquery.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.UpdateUser)
	add(d, iamapi.DeleteUser, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteUserRequest) (awsquery.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.DeleteUser)
	add(d, iamapi.ListUsers, func(ctx context.Context, p *identity.Principal, in *iamapi.ListUsersRequest) (awsquery.Target, error) {
		return target(listARN(p, "user"), nil)
	}, s.ListUsers)
	add(d, iamapi.CreateAccessKey, func(ctx context.Context, p *identity.Principal, in *iamapi.CreateAccessKeyRequest) (awsquery.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.CreateAccessKey)
	add(d, iamapi.ListAccessKeys, func(ctx context.Context, p *identity.Principal, in *iamapi.ListAccessKeysRequest) (awsquery.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.ListAccessKeys)
	add(d, iamapi.UpdateAccessKey, func(ctx context.Context, p *identity.Principal, in *iamapi.UpdateAccessKeyRequest) (awsquery.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.UpdateAccessKey)
	add(d, iamapi.DeleteAccessKey, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteAccessKeyRequest) (awsquery.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.DeleteAccessKey)
	add(d, iamapi.GetAccessKeyLastUsed, func(ctx context.Context, p *identity.Principal, in *iamapi.GetAccessKeyLastUsedRequest) (awsquery.Target, error) {
		return s.onKeyOwner(ctx, p, in.AccessKeyId)
	}, s.GetAccessKeyLastUsed)
	add(d, iamapi.CreateRole, func(ctx context.Context, p *identity.Principal, in *iamapi.CreateRoleRequest) (awsquery.Target, error) {
		return target(iam.RoleARN(p.Account, pathOr(in.Path), in.RoleName), keys{}.requestTags(in.Tags).boundary(in.PermissionsBoundary))
	}, s.CreateRole)
	add(d, iamapi.GetRole, func(ctx context.Context, p *identity.Principal, in *iamapi.GetRoleRequest) (awsquery.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.GetRole)
	add(d, iamapi.ListRoles, func(ctx context.Context, p *identity.Principal, in *iamapi.ListRolesRequest) (awsquery.Target, error) {
		return target(listARN(p, "role"), nil)
	}, s.ListRoles)
	add(d, iamapi.UpdateAssumeRolePolicy, func(ctx context.Context, p *identity.Principal, in *iamapi.UpdateAssumeRolePolicyRequest) (awsquery.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.UpdateAssumeRolePolicy)
	add(d, iamapi.UpdateRole, func(ctx context.Context, p *identity.Principal, in *iamapi.UpdateRoleRequest) (awsquery.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.UpdateRole)
	add(d, iamapi.UpdateRoleDescription, func(ctx context.Context, p *identity.Principal, in *iamapi.UpdateRoleDescriptionRequest) (awsquery.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.UpdateRoleDescription)
	add(d, iamapi.DeleteRole, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteRoleRequest) (awsquery.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.DeleteRole)
	add(d, iamapi.PutUserPolicy, func(ctx context.Context, p *identity.Principal, in *iamapi.PutUserPolicyRequest) (awsquery.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.PutUserPolicy)
	add(d, iamapi.GetUserPolicy, func(ctx context.Context, p *identity.Principal, in *iamapi.GetUserPolicyRequest) (awsquery.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.GetUserPolicy)
	add(d, iamapi.ListUserPolicies, func(ctx context.Context, p *identity.Principal, in *iamapi.ListUserPoliciesRequest) (awsquery.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.ListUserPolicies)
	add(d, iamapi.DeleteUserPolicy, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteUserPolicyRequest) (awsquery.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.DeleteUserPolicy)
	add(d, iamapi.PutGroupPolicy, func(ctx context.Context, p *identity.Principal, in *iamapi.PutGroupPolicyRequest) (awsquery.Target, error) {
		return s.onGroup(ctx, p, in.GroupName, nil)
	}, s.PutGroupPolicy)
	add(d, iamapi.GetGroupPolicy, func(ctx context.Context, p *identity.Principal, in *iamapi.GetGroupPolicyRequest) (awsquery.Target, error) {
		return s.onGroup(ctx, p, in.GroupName, nil)
	}, s.GetGroupPolicy)
	add(d, iamapi.ListGroupPolicies, func(ctx context.Context, p *identity.Principal, in *iamapi.ListGroupPoliciesRequest) (awsquery.Target, error) {
		return s.onGroup(ctx, p, in.GroupName, nil)
	}, s.ListGroupPolicies)
	add(d, iamapi.DeleteGroupPolicy, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteGroupPolicyRequest) (awsquery.Target, error) {
		return s.onGroup(ctx, p, in.GroupName, nil)
	}, s.DeleteGroupPolicy)
	add(d, iamapi.PutRolePolicy, func(ctx context.Context, p *identity.Principal, in *iamapi.PutRolePolicyRequest) (awsquery.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.PutRolePolicy)
	add(d, iamapi.GetRolePolicy, func(ctx context.Context, p *identity.Principal, in *iamapi.GetRolePolicyRequest) (awsquery.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.GetRolePolicy)
	add(d, iamapi.ListRolePolicies, func(ctx context.Context, p *identity.Principal, in *iamapi.ListRolePoliciesRequest) (awsquery.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.ListRolePolicies)
	add(d, iamapi.DeleteRolePolicy, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteRolePolicyRequest) (awsquery.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.DeleteRolePolicy)
	add(d, iamapi.CreatePolicy, func(ctx context.Context, p *identity.Principal, in *iamapi.CreatePolicyRequest) (awsquery.Target, error) {
		return target(iam.PolicyARN(p.Account, pathOr(in.Path), in.PolicyName), keys{}.requestTags(in.Tags))
	}, s.CreatePolicy)
	add(d, iamapi.GetPolicy, func(ctx context.Context, p *identity.Principal, in *iamapi.GetPolicyRequest) (awsquery.Target, error) {
		return s.onPolicy(ctx, in.PolicyArn, nil)
	}, s.GetPolicy)
	add(d, iamapi.ListPolicies, func(ctx context.Context, p *identity.Principal, in *iamapi.ListPoliciesRequest) (awsquery.Target, error) {
		return target(listARN(p, "policy"), nil)
	}, s.ListPolicies)
	add(d, iamapi.CreatePolicyVersion, func(ctx context.Context, p *identity.Principal, in *iamapi.CreatePolicyVersionRequest) (awsquery.Target, error) {
		return s.onPolicy(ctx, in.PolicyArn, nil)
	}, s.CreatePolicyVersion)
	add(d, iamapi.GetPolicyVersion, func(ctx context.Context, p *identity.Principal, in *iamapi.GetPolicyVersionRequest) (awsquery.Target, error) {
		return s.onPolicy(ctx, in.PolicyArn, nil)
	}, s.GetPolicyVersion)
	add(d, iamapi.ListPolicyVersions, func(ctx context.Context, p *identity.Principal, in *iamapi.ListPolicyVersionsRequest) (awsquery.Target, error) {
		return s.onPolicy(ctx, in.PolicyArn, nil)
	}, s.ListPolicyVersions)
	add(d, iamapi.SetDefaultPolicyVersion, func(ctx context.Context, p *identity.Principal, in *iamapi.SetDefaultPolicyVersionRequest) (awsquery.Target, error) {
		return s.onPolicy(ctx, in.PolicyArn, nil)
	}, s.SetDefaultPolicyVersion)
	add(d, iamapi.DeletePolicyVersion, func(ctx context.Context, p *identity.Principal, in *iamapi.DeletePolicyVersionRequest) (awsquery.Target, error) {
		return s.onPolicy(ctx, in.PolicyArn, nil)
	}, s.DeletePolicyVersion)
	add(d, iamapi.DeletePolicy, func(ctx context.Context, p *identity.Principal, in *iamapi.DeletePolicyRequest) (awsquery.Target, error) {
		return s.onPolicy(ctx, in.PolicyArn, nil)
	}, s.DeletePolicy)
	add(d, iamapi.TagPolicy, func(ctx context.Context, p *identity.Principal, in *iamapi.TagPolicyRequest) (awsquery.Target, error) {
		return s.onPolicy(ctx, in.PolicyArn, keys{}.requestTags(in.Tags))
	}, s.TagPolicy)
	add(d, iamapi.UntagPolicy, func(ctx context.Context, p *identity.Principal, in *iamapi.UntagPolicyRequest) (awsquery.Target, error) {
		return s.onPolicy(ctx, in.PolicyArn, keys{}.tagKeys(in.TagKeys))
	}, s.UntagPolicy)
	add(d, iamapi.ListPolicyTags, func(ctx context.Context, p *identity.Principal, in *iamapi.ListPolicyTagsRequest) (awsquery.Target, error) {
		return s.onPolicy(ctx, in.PolicyArn, nil)
	}, s.ListPolicyTags)
	add(d, iamapi.AttachUserPolicy, func(ctx context.Context, p *identity.Principal, in *iamapi.AttachUserPolicyRequest) (awsquery.Target, error) {
		return s.onUser(ctx, p, in.UserName, keys{}.policyARN(in.PolicyArn))
	}, s.AttachUserPolicy)
	add(d, iamapi.AttachGroupPolicy, func(ctx context.Context, p *identity.Principal, in *iamapi.AttachGroupPolicyRequest) (awsquery.Target, error) {
		return s.onGroup(ctx, p, in.GroupName, keys{}.policyARN(in.PolicyArn))
	}, s.AttachGroupPolicy)
	add(d, iamapi.AttachRolePolicy, func(ctx context.Context, p *identity.Principal, in *iamapi.AttachRolePolicyRequest) (awsquery.Target, error) {
		return s.onRole(ctx, p, in.RoleName, keys{}.policyARN(in.PolicyArn))
	}, s.AttachRolePolicy)
	add(d, iamapi.DetachUserPolicy, func(ctx context.Context, p *identity.Principal, in *iamapi.DetachUserPolicyRequest) (awsquery.Target, error) {
		return s.onUser(ctx, p, in.UserName, keys{}.policyARN(in.PolicyArn))
	}, s.DetachUserPolicy)
	add(d, iamapi.DetachGroupPolicy, func(ctx context.Context, p *identity.Principal, in *iamapi.DetachGroupPolicyRequest) (awsquery.Target, error) {
		return s.onGroup(ctx, p, in.GroupName, keys{}.policyARN(in.PolicyArn))
	}, s.DetachGroupPolicy)
	add(d, iamapi.DetachRolePolicy, func(ctx context.Context, p *identity.Principal, in *iamapi.DetachRolePolicyRequest) (awsquery.Target, error) {
		return s.onRole(ctx, p, in.RoleName, keys{}.policyARN(in.PolicyArn))
	}, s.DetachRolePolicy)
	add(d, iamapi.ListAttachedUserPolicies, func(ctx context.Context, p *identity.Principal, in *iamapi.ListAttachedUserPoliciesRequest) (awsquery.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.ListAttachedUserPolicies)
	add(d, iamapi.ListAttachedGroupPolicies, func(ctx context.Context, p *identity.Principal, in *iamapi.ListAttachedGroupPoliciesRequest) (awsquery.Target, error) {
		return s.onGroup(ctx, p, in.GroupName, nil)
	}, s.ListAttachedGroupPolicies)
	add(d, iamapi.ListAttachedRolePolicies, func(ctx context.Context, p *identity.Principal, in *iamapi.ListAttachedRolePoliciesRequest) (awsquery.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.ListAttachedRolePolicies)
	add(d, iamapi.ListEntitiesForPolicy, func(ctx context.Context, p *identity.Principal, in *iamapi.ListEntitiesForPolicyRequest) (awsquery.Target, error) {
		return s.onPolicy(ctx, in.PolicyArn, nil)
	}, s.ListEntitiesForPolicy)
	add(d, iamapi.CreateGroup, func(ctx context.Context, p *identity.Principal, in *iamapi.CreateGroupRequest) (awsquery.Target, error) {
		return target(iam.GroupARN(p.Account, pathOr(in.Path), in.GroupName), nil)
	}, s.CreateGroup)
	add(d, iamapi.GetGroup, func(ctx context.Context, p *identity.Principal, in *iamapi.GetGroupRequest) (awsquery.Target, error) {
		return s.onGroup(ctx, p, in.GroupName, nil)
	}, s.GetGroup)
	add(d, iamapi.ListGroups, func(ctx context.Context, p *identity.Principal, in *iamapi.ListGroupsRequest) (awsquery.Target, error) {
		return target(listARN(p, "group"), nil)
	}, s.ListGroups)
	add(d, iamapi.UpdateGroup, func(ctx context.Context, p *identity.Principal, in *iamapi.UpdateGroupRequest) (awsquery.Target, error) {
		return s.onGroup(ctx, p, in.GroupName, nil)
	}, s.UpdateGroup)
	add(d, iamapi.DeleteGroup, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteGroupRequest) (awsquery.Target, error) {
		return s.onGroup(ctx, p, in.GroupName, nil)
	}, s.DeleteGroup)
	add(d, iamapi.AddUserToGroup, func(ctx context.Context, p *identity.Principal, in *iamapi.AddUserToGroupRequest) (awsquery.Target, error) {
		return s.onGroup(ctx, p, in.GroupName, nil)
	}, s.AddUserToGroup)
	add(d, iamapi.RemoveUserFromGroup, func(ctx context.Context, p *identity.Principal, in *iamapi.RemoveUserFromGroupRequest) (awsquery.Target, error) {
		return s.onGroup(ctx, p, in.GroupName, nil)
	}, s.RemoveUserFromGroup)
	add(d, iamapi.ListGroupsForUser, func(ctx context.Context, p *identity.Principal, in *iamapi.ListGroupsForUserRequest) (awsquery.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.ListGroupsForUser)
	add(d, iamapi.TagUser, func(ctx context.Context, p *identity.Principal, in *iamapi.TagUserRequest) (awsquery.Target, error) {
		return s.onUser(ctx, p, in.UserName, keys{}.requestTags(in.Tags))
	}, s.TagUser)
	add(d, iamapi.UntagUser, func(ctx context.Context, p *identity.Principal, in *iamapi.UntagUserRequest) (awsquery.Target, error) {
		return s.onUser(ctx, p, in.UserName, keys{}.tagKeys(in.TagKeys))
	}, s.UntagUser)
	add(d, iamapi.ListUserTags, func(ctx context.Context, p *identity.Principal, in *iamapi.ListUserTagsRequest) (awsquery.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.ListUserTags)
	add(d, iamapi.TagRole, func(ctx context.Context, p *identity.Principal, in *iamapi.TagRoleRequest) (awsquery.Target, error) {
		return s.onRole(ctx, p, in.RoleName, keys{}.requestTags(in.Tags))
	}, s.TagRole)
	add(d, iamapi.UntagRole, func(ctx context.Context, p *identity.Principal, in *iamapi.UntagRoleRequest) (awsquery.Target, error) {
		return s.onRole(ctx, p, in.RoleName, keys{}.tagKeys(in.TagKeys))
	}, s.UntagRole)
	add(d, iamapi.ListRoleTags, func(ctx context.Context, p *identity.Principal, in *iamapi.ListRoleTagsRequest) (awsquery.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.ListRoleTags)
	add(d, iamapi.PutUserPermissionsBoundary, func(ctx context.Context, p *identity.Principal, in *iamapi.PutUserPermissionsBoundaryRequest) (awsquery.Target, error) {
		return s.onUser(ctx, p, in.UserName, keys{}.boundary(in.PermissionsBoundary))
	}, s.PutUserPermissionsBoundary)
	add(d, iamapi.PutRolePermissionsBoundary, func(ctx context.Context, p *identity.Principal, in *iamapi.PutRolePermissionsBoundaryRequest) (awsquery.Target, error) {
		return s.onRole(ctx, p, in.RoleName, keys{}.boundary(in.PermissionsBoundary))
	}, s.PutRolePermissionsBoundary)
	add(d, iamapi.DeleteUserPermissionsBoundary, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteUserPermissionsBoundaryRequest) (awsquery.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.DeleteUserPermissionsBoundary)
	add(d, iamapi.DeleteRolePermissionsBoundary, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteRolePermissionsBoundaryRequest) (awsquery.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.DeleteRolePermissionsBoundary)
	add(d, iamapi.CreateVirtualMFADevice, func(ctx context.Context, p *identity.Principal, in *iamapi.CreateVirtualMFADeviceRequest) (awsquery.Target, error) {
		return target(iam.MFASerial(p.Account, pathOr(in.Path), in.VirtualMFADeviceName), keys{}.requestTags(in.Tags))
	}, s.CreateVirtualMFADevice)
	add(d, iamapi.EnableMFADevice, func(ctx context.Context, p *identity.Principal, in *iamapi.EnableMFADeviceRequest) (awsquery.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.EnableMFADevice)
	add(d, iamapi.ResyncMFADevice, func(ctx context.Context, p *identity.Principal, in *iamapi.ResyncMFADeviceRequest) (awsquery.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.ResyncMFADevice)
	add(d, iamapi.DeactivateMFADevice, func(ctx context.Context, p *identity.Principal, in *iamapi.DeactivateMFADeviceRequest) (awsquery.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.DeactivateMFADevice)
	add(d, iamapi.ListMFADevices, func(ctx context.Context, p *identity.Principal, in *iamapi.ListMFADevicesRequest) (awsquery.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.ListMFADevices)
	add(d, iamapi.ListVirtualMFADevices, func(ctx context.Context, p *identity.Principal, in *iamapi.ListVirtualMFADevicesRequest) (awsquery.Target, error) {
		return target(listARN(p, "mfa"), nil)
	}, s.ListVirtualMFADevices)
	add(d, iamapi.DeleteVirtualMFADevice, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteVirtualMFADeviceRequest) (awsquery.Target, error) {
		return s.onDevice(ctx, in.SerialNumber)
	}, s.DeleteVirtualMFADevice)
	add(d, iamapi.GetAccountAuthorizationDetails, func(ctx context.Context, p *identity.Principal, in *iamapi.GetAccountAuthorizationDetailsRequest) (awsquery.Target, error) {
		return target("*", nil)
	}, s.GetAccountAuthorizationDetails)
	add(d, iamapi.CreateAccountAlias, func(ctx context.Context, p *identity.Principal, in *iamapi.CreateAccountAliasRequest) (awsquery.Target, error) {
		return target("*", nil)
	}, s.CreateAccountAlias)
	add(d, iamapi.DeleteAccountAlias, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteAccountAliasRequest) (awsquery.Target, error) {
		return target("*", nil)
	}, s.DeleteAccountAlias)
	add(d, iamapi.ListAccountAliases, func(ctx context.Context, p *identity.Principal, in *iamapi.ListAccountAliasesRequest) (awsquery.Target, error) {
		return target("*", nil)
	}, s.ListAccountAliases)
	add(d, iamapi.GetAccountSummary, func(ctx context.Context, p *identity.Principal, in *awsquery.Empty) (awsquery.Target, error) {
		return target("*", nil)
	}, s.GetAccountSummary)
	add(d, iamapi.SimulatePrincipalPolicy, func(ctx context.Context, p *identity.Principal, in *iamapi.SimulatePrincipalPolicyRequest) (awsquery.Target, error) {
		return onSource(in.PolicySourceArn)
	}, s.SimulatePrincipalPolicy)
	add(d, iamapi.SimulateCustomPolicy, func(ctx context.Context, p *identity.Principal, in *iamapi.SimulateCustomPolicyRequest) (awsquery.Target, error) {
		return target("*", nil)
	}, s.SimulateCustomPolicy)
}
