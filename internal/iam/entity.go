package iam

import "fmt"

// Whole-entity validation for the create actions, so that every handler
// checks the same fields in the same order (AWS reports the first failure).

// ValidateUser checks a user about to be created or updated.
func ValidateUser(u User) error {
	if err := ValidateUserName(u.Name); err != nil {
		return err
	}
	if err := ValidatePath(u.Path); err != nil {
		return err
	}
	return ValidateTags("tags", u.Tags)
}

// ValidateGroup checks a group about to be created or updated.
func ValidateGroup(g Group) error {
	if err := ValidateGroupName(g.Name); err != nil {
		return err
	}
	return ValidatePath(g.Path)
}

// ValidateInstanceProfile checks an instance profile about to be created
// or updated: name, path, tags and its quota of one role.
func ValidateInstanceProfile(p InstanceProfile) error {
	if err := ValidateInstanceProfileName(p.Name); err != nil {
		return err
	}
	if err := ValidatePath(p.Path); err != nil {
		return err
	}
	if err := ValidateTags("tags", p.Tags); err != nil {
		return err
	}
	if len(p.Roles) > MaxRolesPerInstanceProfile {
		return &LimitExceededError{Quota: QuotaRolesPerInstanceProfile, Limit: MaxRolesPerInstanceProfile}
	}
	return nil
}

// ValidateRole checks a role about to be created or updated: name, path,
// description, session duration, tags and the trust policy's characters,
// length and size quota (ACLSizePerRole). Whether the trust policy is a
// valid policy is package policy's business.
func ValidateRole(r Role) error {
	if err := ValidateRoleName(r.Name); err != nil {
		return err
	}
	if err := ValidatePath(r.Path); err != nil {
		return err
	}
	if err := ValidatePolicyDocumentText("assumeRolePolicyDocument", r.TrustPolicy); err != nil {
		return err
	}
	if PolicySize(r.TrustPolicy) > MaxTrustPolicyLen {
		return &LimitExceededError{Quota: QuotaACLSizePerRole, Limit: MaxTrustPolicyLen}
	}
	if err := ValidateRoleDescription(r.Description); err != nil {
		return err
	}
	if err := ValidateMaxSessionDuration(r.MaxSessionDuration); err != nil {
		return err
	}
	return ValidateTags("tags", r.Tags)
}

// ValidateManagedPolicy checks a customer managed policy about to be created
// with document doc (also used for new versions).
func ValidateManagedPolicy(p ManagedPolicy, doc string) error {
	if err := ValidatePolicyName(p.Name); err != nil {
		return err
	}
	if err := ValidatePolicyPath(p.Path); err != nil {
		return err
	}
	if err := ValidatePolicyDescription(p.Description); err != nil {
		return err
	}
	if err := ValidateManagedPolicyDocument(doc); err != nil {
		return err
	}
	return ValidatePolicyTags("tags", p.Tags)
}

// ValidateManagedPolicyDocument checks a managed policy document's
// characters and its size quota (PolicySize, white space not counted).
func ValidateManagedPolicyDocument(doc string) error {
	if err := ValidatePolicyDocumentText("policyDocument", doc); err != nil {
		return err
	}
	if PolicySize(doc) > MaxManagedPolicyLen {
		return &LimitExceededError{Quota: QuotaPolicySize, Limit: MaxManagedPolicyLen}
	}
	return nil
}

// InlinePolicyQuota returns the aggregate size quota for the inline policies
// of one entity kind (AWS: UserPolicySize 2048, RolePolicySize 10240,
// GroupPolicySize 5120; white space not counted) and its quota name.
func InlinePolicyQuota(k PrincipalKind) (quota string, limit int) {
	switch k {
	case PrincipalUser:
		return "UserPolicySize", MaxUserInlinePolicyLen
	case PrincipalGroup:
		return "GroupPolicySize", MaxGroupInlinePolicy
	default:
		return "RolePolicySize", MaxRoleInlinePolicyLen
	}
}

// CheckInlinePolicySize returns LimitExceeded if the inline policies of the
// entity named owner, with doc added or replacing the policy of the same
// name, exceed the kind's aggregate quota. AWS's message is "Maximum policy
// size of 10240 bytes exceeded for role NAME".
func CheckInlinePolicySize(k PrincipalKind, owner string, existing []InlinePolicy, name, doc string) error {
	total := PolicySize(doc)
	for _, p := range existing {
		if p.Name != name {
			total += PolicySize(p.Document)
		}
	}
	quota, limit := InlinePolicyQuota(k)
	if total > limit {
		return &LimitExceededError{Quota: quota, Limit: limit,
			Message: fmt.Sprintf("Maximum policy size of %d bytes exceeded for %s %s", limit, k, owner)}
	}
	return nil
}

// CheckAttachQuota returns LimitExceeded if an entity that already has
// attached managed policies may not take one more (PoliciesPerUser,
// PoliciesPerGroup, PoliciesPerRole: 10).
func CheckAttachQuota(k PrincipalKind, attached int) error {
	if attached < MaxAttachedPolicies {
		return nil
	}
	quota := QuotaPoliciesPerRole
	switch k {
	case PrincipalUser:
		quota = QuotaPoliciesPerUser
	case PrincipalGroup:
		quota = QuotaPoliciesPerGroup
	}
	return &LimitExceededError{Quota: quota, Limit: MaxAttachedPolicies}
}
