package iamservice

import (
	"context"
	"slices"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
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
	"SetSecurityTokenServicePreferences",
	"SimulatePrincipalPolicy",
	"SimulateCustomPolicy",
}, slices.Concat(ProviderActions, InstanceProfileActions, LoginProfileActions, CredentialReportActions, ServiceLinkedRoleActions)...)

// add registers one action: both halves get the caller as an
// *identity.Principal, and Serve gets the request time. effect is what the
// action does; an action that issues credentials is added with addIssuing.
func add[In, Out any](d *awsquery.Dispatcher, op *awsquery.Operation[In, Out], effect request.Effect,
	tgt func(context.Context, *identity.Principal, *In) (request.Target, error),
	serve func(context.Context, *identity.Principal, *In, time.Time) (*Out, error)) {
	addIssuing(d, op, effect, tgt, serve, nil)
}

// addIssuing is add for an action that issues credentials: issued says
// what its output issued, for the request.Issuance the pipeline commits.
func addIssuing[In, Out any](d *awsquery.Dispatcher, op *awsquery.Operation[In, Out], effect request.Effect,
	tgt func(context.Context, *identity.Principal, *In) (request.Target, error),
	serve func(context.Context, *identity.Principal, *In, time.Time) (*Out, error),
	issued func(*identity.Principal, *Out, time.Time) request.Issuance) {
	awsquery.Register(d, op, awsquery.Handler[In, Out]{
		Effect: effect,
		Target: func(ctx context.Context, r *awsquery.Request[In]) (request.Target, error) {
			p, err := caller(r.Principal)
			if err != nil {
				return request.Target{}, err
			}
			return tgt(ctx, p, r.Input)
		},
		Serve: func(ctx context.Context, r *awsquery.Request[In]) (*Out, error) {
			p, err := caller(r.Principal)
			if err != nil {
				return nil, err
			}
			out, err := serve(ctx, p, r.Input, r.Now)
			if err == nil && issued != nil {
				r.Issue(issued(p, out, r.Now))
			}
			return out, err
		},
	})
}

// Register puts every action in Actions on the dispatcher. Its
// dispatcher needs WireError among its ErrorMappers.
func Register(d *awsquery.Dispatcher, s *Service) {
	RegisterProviders(d, s)          // providers.go
	RegisterInstanceProfiles(d, s)   // instanceprofiles.go
	RegisterLoginProfiles(d, s)      // loginprofiles.go
	RegisterFindings(d, s)           // findings.go: Brevet's GenerateFindingsReport, GetFindingsReport
	registerServiceLinkedRoles(d, s) // servicelinked.go
	add(d, iamapi.GenerateCredentialReport, request.Writes, anyResource, s.GenerateCredentialReport)
	add(d, iamapi.GetCredentialReport, request.ReadOnly, anyResource, s.GetCredentialReport)
	add(d, iamapi.CreateUser, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.CreateUserRequest) (request.Target, error) {
		return target(iam.UserARN(p.Account, pathOr(in.Path), in.UserName), keys{}.requestTags(in.Tags).boundary(in.PermissionsBoundary))
	}, s.CreateUser)
	add(d, iamapi.GetUser, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.GetUserRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.GetUser)
	add(d, iamapi.UpdateUser, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.UpdateUserRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.UpdateUser)
	add(d, iamapi.DeleteUser, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteUserRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.DeleteUser)
	add(d, iamapi.ListUsers, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListUsersRequest) (request.Target, error) {
		return target(listARN(p, "user"), nil)
	}, s.ListUsers)
	addIssuing(d, iamapi.CreateAccessKey, request.IssuesCredentials, func(ctx context.Context, p *identity.Principal, in *iamapi.CreateAccessKeyRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.CreateAccessKey, accessKeyIssued)
	add(d, iamapi.ListAccessKeys, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListAccessKeysRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.ListAccessKeys)
	add(d, iamapi.UpdateAccessKey, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.UpdateAccessKeyRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.UpdateAccessKey)
	add(d, iamapi.DeleteAccessKey, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteAccessKeyRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.DeleteAccessKey)
	add(d, iamapi.GetAccessKeyLastUsed, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.GetAccessKeyLastUsedRequest) (request.Target, error) {
		return s.onKeyOwner(ctx, p, in.AccessKeyId)
	}, s.GetAccessKeyLastUsed)
	add(d, iamapi.CreateRole, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.CreateRoleRequest) (request.Target, error) {
		return target(iam.RoleARN(p.Account, pathOr(in.Path), in.RoleName), keys{}.requestTags(in.Tags).boundary(in.PermissionsBoundary))
	}, s.CreateRole)
	add(d, iamapi.GetRole, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.GetRoleRequest) (request.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.GetRole)
	add(d, iamapi.ListRoles, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListRolesRequest) (request.Target, error) {
		return target(listARN(p, "role"), nil)
	}, s.ListRoles)
	add(d, iamapi.UpdateAssumeRolePolicy, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.UpdateAssumeRolePolicyRequest) (request.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.UpdateAssumeRolePolicy)
	add(d, iamapi.UpdateRole, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.UpdateRoleRequest) (request.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.UpdateRole)
	add(d, iamapi.UpdateRoleDescription, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.UpdateRoleDescriptionRequest) (request.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.UpdateRoleDescription)
	add(d, iamapi.DeleteRole, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteRoleRequest) (request.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.DeleteRole)
	add(d, iamapi.PutUserPolicy, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.PutUserPolicyRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.PutUserPolicy)
	add(d, iamapi.GetUserPolicy, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.GetUserPolicyRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.GetUserPolicy)
	add(d, iamapi.ListUserPolicies, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListUserPoliciesRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.ListUserPolicies)
	add(d, iamapi.DeleteUserPolicy, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteUserPolicyRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.DeleteUserPolicy)
	add(d, iamapi.PutGroupPolicy, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.PutGroupPolicyRequest) (request.Target, error) {
		return s.onGroup(ctx, p, in.GroupName, nil)
	}, s.PutGroupPolicy)
	add(d, iamapi.GetGroupPolicy, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.GetGroupPolicyRequest) (request.Target, error) {
		return s.onGroup(ctx, p, in.GroupName, nil)
	}, s.GetGroupPolicy)
	add(d, iamapi.ListGroupPolicies, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListGroupPoliciesRequest) (request.Target, error) {
		return s.onGroup(ctx, p, in.GroupName, nil)
	}, s.ListGroupPolicies)
	add(d, iamapi.DeleteGroupPolicy, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteGroupPolicyRequest) (request.Target, error) {
		return s.onGroup(ctx, p, in.GroupName, nil)
	}, s.DeleteGroupPolicy)
	add(d, iamapi.PutRolePolicy, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.PutRolePolicyRequest) (request.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.PutRolePolicy)
	add(d, iamapi.GetRolePolicy, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.GetRolePolicyRequest) (request.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.GetRolePolicy)
	add(d, iamapi.ListRolePolicies, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListRolePoliciesRequest) (request.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.ListRolePolicies)
	add(d, iamapi.DeleteRolePolicy, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteRolePolicyRequest) (request.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.DeleteRolePolicy)
	add(d, iamapi.CreatePolicy, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.CreatePolicyRequest) (request.Target, error) {
		return target(iam.PolicyARN(p.Account, pathOr(in.Path), in.PolicyName), keys{}.requestTags(in.Tags))
	}, s.CreatePolicy)
	add(d, iamapi.GetPolicy, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.GetPolicyRequest) (request.Target, error) {
		return s.onPolicy(ctx, p, in.PolicyArn, nil)
	}, s.GetPolicy)
	add(d, iamapi.ListPolicies, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListPoliciesRequest) (request.Target, error) {
		return target(listARN(p, "policy"), nil)
	}, s.ListPolicies)
	add(d, iamapi.CreatePolicyVersion, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.CreatePolicyVersionRequest) (request.Target, error) {
		return s.onPolicy(ctx, p, in.PolicyArn, nil)
	}, s.CreatePolicyVersion)
	add(d, iamapi.GetPolicyVersion, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.GetPolicyVersionRequest) (request.Target, error) {
		return s.onPolicy(ctx, p, in.PolicyArn, nil)
	}, s.GetPolicyVersion)
	add(d, iamapi.ListPolicyVersions, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListPolicyVersionsRequest) (request.Target, error) {
		return s.onPolicy(ctx, p, in.PolicyArn, nil)
	}, s.ListPolicyVersions)
	add(d, iamapi.SetDefaultPolicyVersion, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.SetDefaultPolicyVersionRequest) (request.Target, error) {
		return s.onPolicy(ctx, p, in.PolicyArn, nil)
	}, s.SetDefaultPolicyVersion)
	add(d, iamapi.DeletePolicyVersion, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.DeletePolicyVersionRequest) (request.Target, error) {
		return s.onPolicy(ctx, p, in.PolicyArn, nil)
	}, s.DeletePolicyVersion)
	add(d, iamapi.DeletePolicy, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.DeletePolicyRequest) (request.Target, error) {
		return s.onPolicy(ctx, p, in.PolicyArn, nil)
	}, s.DeletePolicy)
	add(d, iamapi.TagPolicy, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.TagPolicyRequest) (request.Target, error) {
		return s.onPolicy(ctx, p, in.PolicyArn, keys{}.requestTags(in.Tags))
	}, s.TagPolicy)
	add(d, iamapi.UntagPolicy, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.UntagPolicyRequest) (request.Target, error) {
		return s.onPolicy(ctx, p, in.PolicyArn, keys{}.tagKeys(in.TagKeys))
	}, s.UntagPolicy)
	add(d, iamapi.ListPolicyTags, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListPolicyTagsRequest) (request.Target, error) {
		return s.onPolicy(ctx, p, in.PolicyArn, nil)
	}, s.ListPolicyTags)
	add(d, iamapi.AttachUserPolicy, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.AttachUserPolicyRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, keys{}.policyARN(in.PolicyArn))
	}, s.AttachUserPolicy)
	add(d, iamapi.AttachGroupPolicy, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.AttachGroupPolicyRequest) (request.Target, error) {
		return s.onGroup(ctx, p, in.GroupName, keys{}.policyARN(in.PolicyArn))
	}, s.AttachGroupPolicy)
	add(d, iamapi.AttachRolePolicy, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.AttachRolePolicyRequest) (request.Target, error) {
		return s.onRole(ctx, p, in.RoleName, keys{}.policyARN(in.PolicyArn))
	}, s.AttachRolePolicy)
	add(d, iamapi.DetachUserPolicy, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.DetachUserPolicyRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, keys{}.policyARN(in.PolicyArn))
	}, s.DetachUserPolicy)
	add(d, iamapi.DetachGroupPolicy, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.DetachGroupPolicyRequest) (request.Target, error) {
		return s.onGroup(ctx, p, in.GroupName, keys{}.policyARN(in.PolicyArn))
	}, s.DetachGroupPolicy)
	add(d, iamapi.DetachRolePolicy, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.DetachRolePolicyRequest) (request.Target, error) {
		return s.onRole(ctx, p, in.RoleName, keys{}.policyARN(in.PolicyArn))
	}, s.DetachRolePolicy)
	add(d, iamapi.ListAttachedUserPolicies, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListAttachedUserPoliciesRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.ListAttachedUserPolicies)
	add(d, iamapi.ListAttachedGroupPolicies, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListAttachedGroupPoliciesRequest) (request.Target, error) {
		return s.onGroup(ctx, p, in.GroupName, nil)
	}, s.ListAttachedGroupPolicies)
	add(d, iamapi.ListAttachedRolePolicies, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListAttachedRolePoliciesRequest) (request.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.ListAttachedRolePolicies)
	add(d, iamapi.ListEntitiesForPolicy, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListEntitiesForPolicyRequest) (request.Target, error) {
		return s.onPolicy(ctx, p, in.PolicyArn, nil)
	}, s.ListEntitiesForPolicy)
	add(d, iamapi.CreateGroup, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.CreateGroupRequest) (request.Target, error) {
		return target(iam.GroupARN(p.Account, pathOr(in.Path), in.GroupName), nil)
	}, s.CreateGroup)
	add(d, iamapi.GetGroup, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.GetGroupRequest) (request.Target, error) {
		return s.onGroup(ctx, p, in.GroupName, nil)
	}, s.GetGroup)
	add(d, iamapi.ListGroups, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListGroupsRequest) (request.Target, error) {
		return target(listARN(p, "group"), nil)
	}, s.ListGroups)
	add(d, iamapi.UpdateGroup, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.UpdateGroupRequest) (request.Target, error) {
		return s.onGroup(ctx, p, in.GroupName, nil)
	}, s.UpdateGroup)
	add(d, iamapi.DeleteGroup, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteGroupRequest) (request.Target, error) {
		return s.onGroup(ctx, p, in.GroupName, nil)
	}, s.DeleteGroup)
	add(d, iamapi.AddUserToGroup, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.AddUserToGroupRequest) (request.Target, error) {
		return s.onGroup(ctx, p, in.GroupName, nil)
	}, s.AddUserToGroup)
	add(d, iamapi.RemoveUserFromGroup, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.RemoveUserFromGroupRequest) (request.Target, error) {
		return s.onGroup(ctx, p, in.GroupName, nil)
	}, s.RemoveUserFromGroup)
	add(d, iamapi.ListGroupsForUser, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListGroupsForUserRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.ListGroupsForUser)
	add(d, iamapi.TagUser, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.TagUserRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, keys{}.requestTags(in.Tags))
	}, s.TagUser)
	add(d, iamapi.UntagUser, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.UntagUserRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, keys{}.tagKeys(in.TagKeys))
	}, s.UntagUser)
	add(d, iamapi.ListUserTags, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListUserTagsRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.ListUserTags)
	add(d, iamapi.TagRole, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.TagRoleRequest) (request.Target, error) {
		return s.onRole(ctx, p, in.RoleName, keys{}.requestTags(in.Tags))
	}, s.TagRole)
	add(d, iamapi.UntagRole, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.UntagRoleRequest) (request.Target, error) {
		return s.onRole(ctx, p, in.RoleName, keys{}.tagKeys(in.TagKeys))
	}, s.UntagRole)
	add(d, iamapi.ListRoleTags, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListRoleTagsRequest) (request.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.ListRoleTags)
	add(d, iamapi.PutUserPermissionsBoundary, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.PutUserPermissionsBoundaryRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, keys{}.boundary(in.PermissionsBoundary))
	}, s.PutUserPermissionsBoundary)
	add(d, iamapi.PutRolePermissionsBoundary, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.PutRolePermissionsBoundaryRequest) (request.Target, error) {
		return s.onRole(ctx, p, in.RoleName, keys{}.boundary(in.PermissionsBoundary))
	}, s.PutRolePermissionsBoundary)
	add(d, iamapi.DeleteUserPermissionsBoundary, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteUserPermissionsBoundaryRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.DeleteUserPermissionsBoundary)
	add(d, iamapi.DeleteRolePermissionsBoundary, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteRolePermissionsBoundaryRequest) (request.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.DeleteRolePermissionsBoundary)
	add(d, iamapi.CreateVirtualMFADevice, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.CreateVirtualMFADeviceRequest) (request.Target, error) {
		return target(iam.MFASerial(p.Account, pathOr(in.Path), in.VirtualMFADeviceName), keys{}.requestTags(in.Tags))
	}, s.CreateVirtualMFADevice)
	add(d, iamapi.EnableMFADevice, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.EnableMFADeviceRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.EnableMFADevice)
	add(d, iamapi.ResyncMFADevice, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.ResyncMFADeviceRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.ResyncMFADevice)
	add(d, iamapi.DeactivateMFADevice, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.DeactivateMFADeviceRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.DeactivateMFADevice)
	add(d, iamapi.ListMFADevices, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListMFADevicesRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.ListMFADevices)
	add(d, iamapi.ListVirtualMFADevices, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListVirtualMFADevicesRequest) (request.Target, error) {
		return target(listARN(p, "mfa"), nil)
	}, s.ListVirtualMFADevices)
	add(d, iamapi.DeleteVirtualMFADevice, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteVirtualMFADeviceRequest) (request.Target, error) {
		return s.onDevice(ctx, p, in.SerialNumber)
	}, s.DeleteVirtualMFADevice)
	add(d, iamapi.GetAccountAuthorizationDetails, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.GetAccountAuthorizationDetailsRequest) (request.Target, error) {
		return target("*", nil)
	}, s.GetAccountAuthorizationDetails)
	add(d, iamapi.CreateAccountAlias, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.CreateAccountAliasRequest) (request.Target, error) {
		return target("*", nil)
	}, s.CreateAccountAlias)
	add(d, iamapi.DeleteAccountAlias, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteAccountAliasRequest) (request.Target, error) {
		return target("*", nil)
	}, s.DeleteAccountAlias)
	add(d, iamapi.ListAccountAliases, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListAccountAliasesRequest) (request.Target, error) {
		return target("*", nil)
	}, s.ListAccountAliases)
	add(d, iamapi.GetAccountSummary, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *awsquery.Empty) (request.Target, error) {
		return target("*", nil)
	}, s.GetAccountSummary)
	add(d, iamapi.SetSecurityTokenServicePreferences, request.Writes, func(context.Context, *identity.Principal, *iamapi.SetSecurityTokenServicePreferencesRequest) (request.Target, error) {
		return target("*", nil)
	}, s.SetSecurityTokenServicePreferences)
	add(d, iamapi.SimulatePrincipalPolicy, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.SimulatePrincipalPolicyRequest) (request.Target, error) {
		return onSource(in.PolicySourceArn)
	}, s.SimulatePrincipalPolicy)
	add(d, iamapi.SimulateCustomPolicy, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.SimulateCustomPolicyRequest) (request.Target, error) {
		return target("*", nil)
	}, s.SimulateCustomPolicy)
}

// accessKeyIssued is what CreateAccessKey issued: a long-term key of a
// user.
func accessKeyIssued(p *identity.Principal, out *iamapi.CreateAccessKeyResponse, now time.Time) request.Issuance {
	return request.Issuance{
		Kind: "AccessKey", AccessKeyID: out.AccessKey.AccessKeyId, Issued: now, Account: p.Account,
		ParentAccessKeyID: p.AccessKeyID, RootAccessKeyID: p.AccessKeyID,
	}
}
