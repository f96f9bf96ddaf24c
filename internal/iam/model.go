package iam

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Account is a tenant: every IAM entity belongs to exactly one. The AWS
// managed policies live in the pseudo-account AWSAccount.
type Account struct {
	ID      string // 12 digits, or AWSAccount
	Alias   string // optional; unique across the installation
	Created time.Time
}

// AWSAccount is the account that owns AWS managed policies
// (arn:aws:iam::aws:policy/...). Its policies are read-only through the API.
const AWSAccount = "aws"

// Tag is a key/value pair on a user, role, policy or MFA device. Keys are
// unique case-insensitively within an entity.
type Tag struct {
	Key   string
	Value string
}

// User is an IAM user. ARN and ID are derived at creation and never change
// except that UpdateUser may change Name and Path, which changes the ARN.
type User struct {
	Account             string
	ID                  string // AIDA...
	Name                string
	Path                string
	Created             time.Time
	PasswordLastUsed    time.Time // zero if never
	PermissionsBoundary string    // managed policy ARN, or ""
	Tags                []Tag
}

// ARN returns arn:aws:iam::ACCOUNT:user/PATH/NAME.
func (u User) ARN() string { return UserARN(u.Account, u.Path, u.Name) }

// Group is an IAM group.
type Group struct {
	Account string
	ID      string // AGPA...
	Name    string
	Path    string
	Created time.Time
}

// ARN returns arn:aws:iam::ACCOUNT:group/PATH/NAME.
func (g Group) ARN() string { return GroupARN(g.Account, g.Path, g.Name) }

// RoleLastUsed records when a role was last assumed and in which region.
type RoleLastUsed struct {
	Date   time.Time // zero if never
	Region string
}

// Role is an IAM role.
type Role struct {
	Account     string
	ID          string // AROA...
	Name        string
	Path        string
	Created     time.Time
	TrustPolicy string // AssumeRolePolicyDocument, as submitted
	// TrustBindings ties the IAM users and roles the trust policy names to
	// their unique ids as they were when it was saved (package trust):
	// the policy trusts those principals, not later ones of the same name.
	// Empty (not nil) when it names none; nil for a role saved before
	// Brevet bound trust policies, until it is bound (its principals
	// match by ARN meanwhile).
	TrustBindings       []PrincipalBinding
	Description         string
	MaxSessionDuration  int // seconds, 3600..43200
	PermissionsBoundary string
	Tags                []Tag
	LastUsed            RoleLastUsed
}

// ARN returns arn:aws:iam::ACCOUNT:role/PATH/NAME.
func (r Role) ARN() string { return RoleARN(r.Account, r.Path, r.Name) }

// InstanceProfile is an IAM instance profile: a container for at most one
// role that a host (an EC2 instance, or a host enrolled with brevet agent)
// receives credentials for.
type InstanceProfile struct {
	Account, Name, Path, ID string   // ID: AIPA...
	Roles                   []string // role names, at most one (MaxRolesPerInstanceProfile)
	Tags                    []Tag
	Created                 time.Time
}

// ARN returns arn:aws:iam::ACCOUNT:instance-profile/PATH/NAME.
func (p InstanceProfile) ARN() string { return InstanceProfileARN(p.Account, p.Path, p.Name) }

// MaxRolesPerInstanceProfile is AWS's fixed quota of roles in one instance
// profile (QuotaRolesPerInstanceProfile).
const MaxRolesPerInstanceProfile = 1

// PrincipalBinding ties a principal ARN written in a trust policy (a user,
// a role, or a role session, bound through its role) to the unique id
// (AIDA... or AROA...) of the user or role it named when the policy was
// saved; ID is "" for one that named no one when a policy saved before
// binding existed was bound (it matches no one).
type PrincipalBinding struct {
	ARN string
	ID  string
}

// ManagedPolicy is a customer managed policy, or an AWS managed one when
// Account is AWSAccount. DefaultVersion, AttachmentCount and
// BoundaryUsageCount are maintained by the store and ignored on write.
type ManagedPolicy struct {
	Account            string
	ID                 string // ANPA...
	Name               string
	Path               string
	Description        string // set at creation only
	Created            time.Time
	Updated            time.Time // last time the default version changed
	DefaultVersion     string    // "v1", "v2", ...
	AttachmentCount    int
	BoundaryUsageCount int
	Tags               []Tag
}

// ARN returns arn:aws:iam::ACCOUNT:policy/PATH/NAME.
func (p ManagedPolicy) ARN() string { return PolicyARN(p.Account, p.Path, p.Name) }

// AWSManaged reports whether the policy is AWS managed (read-only).
func (p ManagedPolicy) AWSManaged() bool { return p.Account == AWSAccount }

// PolicyVersion is one version of a managed policy's document.
type PolicyVersion struct {
	VersionID string // "v1".."vN"; never reused within a policy
	Document  string
	IsDefault bool
	Created   time.Time
}

// PrincipalKind says whether an inline policy or attachment belongs to a
// user, a group or a role.
type PrincipalKind int

// The entities policies can be embedded in or attached to.
const (
	PrincipalUser PrincipalKind = iota + 1
	PrincipalGroup
	PrincipalRole
)

func (k PrincipalKind) String() string {
	switch k {
	case PrincipalUser:
		return "user"
	case PrincipalGroup:
		return "group"
	case PrincipalRole:
		return "role"
	}
	return "unknown"
}

// Owner names the user, group or role that holds an inline policy or a
// managed-policy attachment.
type Owner struct {
	Kind    PrincipalKind
	Account string
	Name    string
}

// InlinePolicy is a policy embedded in one user, group or role.
type InlinePolicy struct {
	Name     string
	Document string
}

// AttachedPolicy is a managed policy attached to an entity, as
// ListAttached*Policies reports it.
type AttachedPolicy struct {
	Name string
	ARN  string
}

// AccessKeyStatus is Active or Inactive.
type AccessKeyStatus string

// Access key statuses, spelled as on the wire.
const (
	AccessKeyActive   AccessKeyStatus = "Active"
	AccessKeyInactive AccessKeyStatus = "Inactive"
)

// AccessKeyLastUsed records the last request signed with a key.
type AccessKeyLastUsed struct {
	Date    time.Time // zero if never
	Service string
	Region  string
}

// AccessKey is a long-term access key. SecretCiphertext is the secret access
// key sealed under the master key by the service layer; the store never sees
// the plaintext.
type AccessKey struct {
	Account          string
	UserName         string
	ID               string // AKIA...
	Status           AccessKeyStatus
	Created          time.Time
	SecretCiphertext []byte
	LastUsed         AccessKeyLastUsed
}

// VirtualMFADevice is a TOTP device. SeedCiphertext is the shared secret
// sealed under the master key. LastStep is the last TOTP time step accepted,
// so a code cannot be replayed.
type VirtualMFADevice struct {
	Account        string
	SerialNumber   string // arn:aws:iam::ACCOUNT:mfa/PATH/NAME
	Path           string
	Name           string
	SeedCiphertext []byte
	UserName       string    // "" when unassigned
	EnableDate     time.Time // zero when unassigned
	LastStep       int64
	Created        time.Time
	Tags           []Tag
}

// UserDependents counts what must be removed before a user can be deleted.
type UserDependents struct {
	InlinePolicies   int
	AttachedPolicies int
	Groups           int
	AccessKeys       int
	MFADevices       int
	LoginProfile     int // 1 while the user has a password
}

// Conflict returns the DeleteConflictError to report, or nil. When several
// dependents remain, AWS documents no order; Brevet reports credentials
// first, then policies, then group membership.
func (d UserDependents) Conflict() error {
	switch {
	case d.LoginProfile > 0:
		return &DeleteConflictError{Reason: ConflictLoginProfile}
	case d.AccessKeys > 0:
		return &DeleteConflictError{Reason: ConflictAccessKeys}
	case d.MFADevices > 0:
		return &DeleteConflictError{Reason: ConflictMFADevices}
	case d.InlinePolicies > 0:
		return &DeleteConflictError{Reason: ConflictInlinePolicies}
	case d.AttachedPolicies > 0:
		return &DeleteConflictError{Reason: ConflictAttachedPolicies}
	case d.Groups > 0:
		return &DeleteConflictError{Reason: ConflictUserInGroups}
	}
	return nil
}

// GroupDependents counts what must be removed before a group can be deleted.
type GroupDependents struct {
	Users            int
	InlinePolicies   int
	AttachedPolicies int
}

// Conflict returns the DeleteConflictError to report, or nil.
func (d GroupDependents) Conflict() error {
	switch {
	case d.Users > 0:
		return &DeleteConflictError{Reason: ConflictGroupHasUsers}
	case d.InlinePolicies > 0:
		return &DeleteConflictError{Reason: ConflictInlinePolicies}
	case d.AttachedPolicies > 0:
		return &DeleteConflictError{Reason: ConflictAttachedPolicies}
	}
	return nil
}

// RoleDependents counts what must be removed before a role can be deleted.
type RoleDependents struct {
	InlinePolicies   int
	AttachedPolicies int
	InstanceProfiles int // instance profiles the role is in
}

// Conflict returns the DeleteConflictError to report, or nil.
func (d RoleDependents) Conflict() error {
	switch {
	case d.InlinePolicies > 0:
		return &DeleteConflictError{Reason: ConflictInlinePolicies}
	case d.AttachedPolicies > 0:
		return &DeleteConflictError{Reason: ConflictAttachedPolicies}
	case d.InstanceProfiles > 0:
		return &DeleteConflictError{Reason: ConflictInstanceProfileRoles}
	}
	return nil
}

// PolicyVersionNumber reads a policy version id "vN" (N ≥ 1) as N.
func PolicyVersionNumber(id string) (int, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "v"))
	if err != nil || !strings.HasPrefix(id, "v") || n < 1 || strconv.Itoa(n) != id[1:] {
		return 0, fmt.Errorf("policy version id %q is not vN", id)
	}
	return n, nil
}
