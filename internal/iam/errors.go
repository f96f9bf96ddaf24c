package iam

import "fmt"

// EntityKind names the kind of thing a NotFoundError or AlreadyExistsError
// is about. Its value selects AWS's message wording.
type EntityKind int

// The entity kinds IAM actions report on.
const (
	KindAccount EntityKind = iota + 1
	KindUser
	KindGroup
	KindRole
	KindPolicy        // a managed policy, named by ARN
	KindPolicyVersion // a managed policy version, named by ARN and version id
	KindUserPolicy    // an inline policy embedded in a user
	KindGroupPolicy   // an inline policy embedded in a group
	KindRolePolicy    // an inline policy embedded in a role
	KindAccessKey
	KindMFADevice
	KindAttachment // a managed policy that is not attached to the entity
	KindInstanceProfile
	KindLoginProfile   // a user's login profile, named by the user's name
	KindPasswordPolicy // the account's password policy, named by the account id
	KindBoundary       // a managed policy given as a permissions boundary, named by ARN
	KindProfileRole    // a role not in an instance profile; Parent names the profile
	KindAccountPolicy  // an account-level policy such as PasswordPolicy, named by its kind
)

func (k EntityKind) String() string {
	switch k {
	case KindAccount:
		return "account"
	case KindUser:
		return "user"
	case KindGroup:
		return "group"
	case KindRole:
		return "role"
	case KindPolicy:
		return "policy"
	case KindPolicyVersion:
		return "policy version"
	case KindUserPolicy:
		return "user policy"
	case KindGroupPolicy:
		return "group policy"
	case KindRolePolicy:
		return "role policy"
	case KindAccessKey:
		return "access key"
	case KindMFADevice:
		return "MFA device"
	case KindAttachment:
		return "attached policy"
	case KindInstanceProfile:
		return "instance profile"
	case KindLoginProfile:
		return "login profile"
	case KindPasswordPolicy:
		return "password policy"
	case KindBoundary:
		return "permissions boundary"
	case KindProfileRole:
		return "instance profile role"
	case KindAccountPolicy:
		return "account policy"
	}
	return fmt.Sprintf("EntityKind(%d)", int(k))
}

// NotFoundError: the named entity does not exist (AWS: NoSuchEntity).
// Name is the entity's name, or its ARN for policies, its id for access keys
// and its serial number for MFA devices. Version is set only for
// KindPolicyVersion.
type NotFoundError struct {
	Kind    EntityKind
	Name    string
	Version string
	Parent  string // KindProfileRole: the instance profile
}

// Error returns AWS's message for the kind.
func (e *NotFoundError) Error() string {
	switch e.Kind {
	case KindUser, KindGroup, KindRole, KindUserPolicy, KindGroupPolicy, KindRolePolicy:
		return fmt.Sprintf("The %s with name %s cannot be found.", e.Kind, e.Name)
	case KindPolicy:
		return fmt.Sprintf("Policy %s does not exist or is not attachable.", e.Name)
	case KindPolicyVersion:
		return fmt.Sprintf("Policy %s version %s does not exist or is not attachable.", e.Name, e.Version)
	case KindAttachment:
		return fmt.Sprintf("Policy %s was not found.", e.Name)
	case KindAccessKey:
		return fmt.Sprintf("The Access Key with id %s cannot be found.", e.Name)
	case KindMFADevice:
		return fmt.Sprintf("MFA Device with serial number %s does not exist.", e.Name)
	case KindAccount:
		return fmt.Sprintf("The account with id %s cannot be found.", e.Name)
	case KindInstanceProfile:
		return fmt.Sprintf("Instance Profile %s cannot be found.", e.Name)
	case KindLoginProfile:
		return fmt.Sprintf("Login Profile for User %s cannot be found.", e.Name)
	case KindPasswordPolicy:
		return fmt.Sprintf("The Password Policy with domain name %s cannot be found.", e.Name)
	case KindBoundary:
		return fmt.Sprintf("Scope ARN: %s does not exist or is not attachable.", e.Name)
	case KindProfileRole:
		return fmt.Sprintf("Role %s in Instance Profile %s cannot be found.", e.Name, e.Parent)
	case KindAccountPolicy:
		return fmt.Sprintf("The account policy with name %s cannot be found.", e.Name)
	}
	return fmt.Sprintf("The %s %s cannot be found.", e.Kind, e.Name)
}

// AlreadyExistsError: an entity with this name already exists in the
// account; names compare case-insensitively (AWS: EntityAlreadyExists).
type AlreadyExistsError struct {
	Kind EntityKind
	Name string
}

// Error returns AWS's message for the kind.
func (e *AlreadyExistsError) Error() string {
	switch e.Kind {
	case KindUser:
		return fmt.Sprintf("User with name %s already exists.", e.Name)
	case KindGroup:
		return fmt.Sprintf("Group with name %s already exists.", e.Name)
	case KindRole:
		return fmt.Sprintf("Role with name %s already exists.", e.Name)
	case KindPolicy:
		return fmt.Sprintf("A policy called %s already exists. Duplicate names are not allowed.", e.Name)
	case KindMFADevice:
		return "MFA device already exists."
	case KindAccount:
		return fmt.Sprintf("The account alias %s already exists.", e.Name)
	case KindInstanceProfile:
		return fmt.Sprintf("Instance Profile %s already exists.", e.Name)
	case KindLoginProfile:
		return fmt.Sprintf("Login Profile for user %s already exists.", e.Name)
	}
	return fmt.Sprintf("The %s %s already exists.", e.Kind, e.Name)
}

// ConflictReason says which dependents block a deletion.
type ConflictReason int

// Reasons a delete is refused (AWS: DeleteConflict).
const (
	ConflictInlinePolicies       ConflictReason = iota + 1 // entity still has inline policies
	ConflictAttachedPolicies                               // entity still has managed policies attached
	ConflictUserInGroups                                   // user is still a member of groups
	ConflictGroupHasUsers                                  // group still has members
	ConflictAccessKeys                                     // user still has access keys
	ConflictMFADevices                                     // user still has MFA devices
	ConflictPolicyAttached                                 // managed policy still attached or used as a boundary
	ConflictDefaultVersion                                 // the default version of a policy cannot be deleted
	ConflictMFAInUse                                       // virtual MFA device is still assigned to a user
	ConflictInstanceProfileRoles                           // role in an instance profile, or profile holding a role
	ConflictLoginProfile                                   // user still has a login profile (a password)
)

// DeleteConflictError: the entity cannot be deleted while it has dependents
// (AWS: DeleteConflict).
type DeleteConflictError struct {
	Reason ConflictReason
}

// Error returns AWS's message for the reason.
func (e *DeleteConflictError) Error() string {
	switch e.Reason {
	case ConflictInlinePolicies:
		return "Cannot delete entity, must delete policies first."
	case ConflictAttachedPolicies:
		return "Cannot delete entity, must detach all policies first."
	case ConflictUserInGroups:
		// DeleteUser of a group member: AWS words it as DeleteGroup does.
		return "Cannot delete entity, must remove users from group first."
	case ConflictGroupHasUsers:
		return "Cannot delete entity, must remove users from group first."
	case ConflictAccessKeys:
		return "Cannot delete entity, must delete access keys first."
	case ConflictMFADevices:
		return "Cannot delete entity, must delete MFA device first."
	case ConflictPolicyAttached:
		return "Cannot delete a policy attached to entities."
	case ConflictDefaultVersion:
		return "Cannot delete the default version of a policy."
	case ConflictMFAInUse:
		return "MFA device is already in use."
	case ConflictInstanceProfileRoles:
		return "Cannot delete entity, must remove roles from instance profile first."
	case ConflictLoginProfile:
		return "Cannot delete entity, must delete login profile first."
	}
	return "Cannot delete entity, it has dependents."
}

// Quota names, as AWS spells them in LimitExceeded messages.
const (
	QuotaAccessKeysPerUser       = "AccessKeysPerUser"
	QuotaPoliciesPerUser         = "PoliciesPerUser"
	QuotaPoliciesPerGroup        = "PoliciesPerGroup"
	QuotaPoliciesPerRole         = "PoliciesPerRole"
	QuotaPolicyVersionsPerPolicy = "PolicyVersionsPerPolicy"
	QuotaGroupsPerUser           = "GroupsPerUser"
	QuotaUsersPerAccount         = "UsersPerAccount"
	QuotaRolesPerAccount         = "RolesPerAccount"
	QuotaGroupsPerAccount        = "GroupsPerAccount"
	QuotaPoliciesPerAccount      = "PoliciesPerAccount"
	QuotaMFADevicesPerUser       = "MFADevicesPerUser"
	QuotaACLSizePerRole          = "ACLSizePerRole"
	QuotaPolicySize              = "PolicySize"
	// QuotaRolesPerInstanceProfile is the name AWS's message gives the
	// one-role-per-instance-profile quota.
	QuotaRolesPerInstanceProfile = "InstanceSessionsPerInstanceProfile"
)

// LimitExceededError: the change would exceed a quota (AWS: LimitExceeded).
type LimitExceededError struct {
	Quota string // one of the Quota* names
	Limit int
	// Message, when set, replaces the usual text: AWS words the aggregate
	// inline-policy size quotas differently (see CheckInlinePolicySize).
	Message string
}

// Error returns AWS's message, e.g. "Cannot exceed quota for AccessKeysPerUser: 2".
func (e *LimitExceededError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return fmt.Sprintf("Cannot exceed quota for %s: %d", e.Quota, e.Limit)
}

// InvalidInputError: the input is well-formed but not acceptable, e.g.
// duplicate tag keys or a reserved tag prefix (AWS: InvalidInput).
type InvalidInputError struct {
	Message string
}

func (e *InvalidInputError) Error() string { return e.Message }

// ValidationError: a parameter violates its declared constraint (length,
// pattern, range) (AWS: ValidationError). Field is the parameter name as AWS
// spells it in the message (e.g. "userName", "tags.1.member.key").
type ValidationError struct {
	Field      string
	Value      string // kept for logs and tests; IAM's message does not quote it
	Constraint string // e.g. "Member must have length less than or equal to 64"
	// Message, when set, is the whole text: IAM answers a name or path
	// that breaks its pattern with a sentence of its own.
	Message string
}

// Error returns AWS's wording for a single validation failure. IAM quotes
// no value: "1 validation error detected: Value at 'tags' failed to
// satisfy constraint: Member must have length less than or equal to 50".
func (e *ValidationError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return fmt.Sprintf("1 validation error detected: Value at '%s' failed to satisfy constraint: %s", e.Field, e.Constraint)
}

// UnmodifiableEntityError: the entity is managed by AWS (an AWS managed
// policy, in Brevet) and cannot be changed through the API (AWS:
// UnmodifiableEntity).
type UnmodifiableEntityError struct {
	Name string
}

func (e *UnmodifiableEntityError) Error() string {
	return fmt.Sprintf("Cannot modify AWS managed entity %s.", e.Name)
}
