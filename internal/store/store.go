package store

import (
	"context"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
)

// Store is an open backend. Methods on the repositories it returns run each
// in their own transaction; use Tx to group several into one.
type Store interface {
	Repos

	// Tx runs fn in one serializable read-write transaction and commits if fn
	// returns nil; any error (or panic) rolls everything back. fn must use only
	// the Repos it is given, never the Store (a backend may serialize writers,
	// so calling the Store from inside fn can deadlock). A backend may run fn
	// more than once if the database reports a serialization failure, so fn
	// must not have side effects outside the store.
	Tx(ctx context.Context, fn func(Repos) error) error

	// Exclusive is Tx run while holding a lock that every process sharing
	// the database takes the same way: Exclusive calls run one after
	// another, and each sees what the previous one committed. It is for the
	// rare steps that look at the whole store, decide that something is
	// missing and create it, such as the first start, where two processes
	// starting at once must not both create an account. Ordinary writes
	// use Tx. fn follows Tx's rules.
	Exclusive(ctx context.Context, fn func(Repos) error) error

	// Changes is the change feed, see Changes.
	Changes() Changes

	// Principals is the authorization read model, see Principals.
	Principals() Principals

	Close() error
}

// Repos gives access to every aggregate. Inside Tx all of them share the
// transaction.
type Repos interface {
	Accounts() Accounts
	Users() Users
	Groups() Groups
	Roles() Roles
	Policies() Policies
	InlinePolicies() InlinePolicies
	Attachments() Attachments
	AccessKeys() AccessKeys
	MFADevices() MFADevices
	KeyMaterial() KeyMaterial
	Providers() Providers
	Sessions() Sessions
	Revocations() Revocations
	MFAAttempts() MFAAttempts           // ephemeral.go
	SAMLAssertions() SAMLAssertions     // ephemeral.go
	BucketPolicies() BucketPolicies     // bucketpolicies.go
	Objects() Objects                   // objects.go
	InstanceProfiles() InstanceProfiles // instanceprofiles.go
	LoginProfiles() LoginProfiles       // loginprofiles.go
	PasswordPolicies() PasswordPolicies // loginprofiles.go
}

// ListOptions pages and filters a List call. Results are ordered by
// iam.NameKey(name) ascending.
type ListOptions struct {
	// PathPrefix keeps only entities whose path starts with it ("" = all).
	PathPrefix string
	// After keeps only entities whose lower-cased name sorts after it: pass
	// the last name of the previous page (AWS's Marker).
	After string
	// Limit caps the number of results (0 = no cap). Ask for one more than the
	// page size to learn whether the listing is truncated.
	Limit int
}

// Accounts stores tenants.
type Accounts interface {
	// Create adds an account. ErrConflict if the id or alias is taken.
	Create(ctx context.Context, a iam.Account) error
	Get(ctx context.Context, id string) (iam.Account, error)
	// GetByAlias finds an account by alias. ErrNotFound if none.
	GetByAlias(ctx context.Context, alias string) (iam.Account, error)
	// List returns all accounts ordered by id.
	List(ctx context.Context) ([]iam.Account, error)
	// SetAlias sets ("" clears) the alias. ErrConflict if another account has
	// it.
	SetAlias(ctx context.Context, id, alias string) error
	// Delete removes an account. ErrConflict while it still owns entities.
	Delete(ctx context.Context, id string) error
	// Counts counts the account's entities in one read, without listing
	// them (GetAccountSummary, the console's dashboard). An account that
	// does not exist has none.
	Counts(ctx context.Context, id string) (AccountCounts, error)
}

// AccountCounts are an account's numbers of entities.
type AccountCounts struct {
	Users, Groups, Roles, Policies, PolicyVersions, InstanceProfiles int
	// MFADevices are the virtual MFA devices, MFADevicesInUse those
	// assigned to a user.
	MFADevices, MFADevicesInUse int
	// Providers are the OIDC and SAML identity providers.
	Providers int
}

// Users stores IAM users.
type Users interface {
	// Create adds u. ErrNotFound if the account does not exist; ErrConflict
	// if the name (case-insensitively) or the id is taken.
	Create(ctx context.Context, u iam.User) error
	Get(ctx context.Context, account, name string) (iam.User, error)
	// GetByID finds a user by unique id (AIDA...) in any account.
	GetByID(ctx context.Context, id string) (iam.User, error)
	List(ctx context.Context, account string, opts ListOptions) ([]iam.User, error)
	// Update rewrites the user identified by u.Account and u.ID: name, path,
	// password-last-used, permissions boundary and tags. ErrConflict if a
	// rename collides.
	Update(ctx context.Context, u iam.User) error
	// Delete removes the user. ErrConflict while it has a login profile,
	// access keys, MFA devices, inline or attached policies or group
	// memberships (check Dependents first to report which).
	Delete(ctx context.Context, account, name string) error
	// Dependents counts what blocks Delete.
	Dependents(ctx context.Context, account, name string) (iam.UserDependents, error)
}

// Groups stores IAM groups and their membership.
type Groups interface {
	Create(ctx context.Context, g iam.Group) error
	Get(ctx context.Context, account, name string) (iam.Group, error)
	List(ctx context.Context, account string, opts ListOptions) ([]iam.Group, error)
	// Update rewrites name and path of the group identified by g.Account and
	// g.ID.
	Update(ctx context.Context, g iam.Group) error
	// Delete removes the group. ErrConflict while it has members, inline or
	// attached policies.
	Delete(ctx context.Context, account, name string) error
	Dependents(ctx context.Context, account, name string) (iam.GroupDependents, error)

	// AddUser makes user a member of group; adding an existing member is a
	// no-op. ErrNotFound if either does not exist.
	AddUser(ctx context.Context, account, group, user string) error
	// RemoveUser ends a membership. ErrNotFound if either does not exist or
	// the user is not a member.
	RemoveUser(ctx context.Context, account, group, user string) error
	// ListUsers returns the group's members ordered by name.
	ListUsers(ctx context.Context, account, group string) ([]iam.User, error)
	// ListForUser returns the groups the user belongs to, ordered by name.
	ListForUser(ctx context.Context, account, user string) ([]iam.Group, error)
}

// Roles stores IAM roles.
type Roles interface {
	Create(ctx context.Context, r iam.Role) error
	Get(ctx context.Context, account, name string) (iam.Role, error)
	GetByID(ctx context.Context, id string) (iam.Role, error)
	List(ctx context.Context, account string, opts ListOptions) ([]iam.Role, error)
	// Update rewrites the mutable fields (path and name excepted: AWS cannot
	// rename roles) of the role identified by r.Account and r.ID: trust
	// policy, description, max session duration, boundary, tags, last used.
	Update(ctx context.Context, r iam.Role) error
	// RecordUse sets RoleLastUsed without a read-modify-write, for the
	// AssumeRole hot path. It does not write the change feed: last-used data
	// invalidates no cache.
	RecordUse(ctx context.Context, account, name string, used iam.RoleLastUsed) error
	// Delete removes the role. ErrConflict while it has inline or attached
	// policies or is in an instance profile.
	Delete(ctx context.Context, account, name string) error
	Dependents(ctx context.Context, account, name string) (iam.RoleDependents, error)
}

// Policies stores managed policies and their versions. A policy is
// addressed by ARN; AWS managed policies are stored under account
// iam.AWSAccount like any other (read-only is the service's rule).
type Policies interface {
	// Create adds p with its first version v1 (document doc), which becomes
	// the default. ErrNotFound if the account does not exist; ErrConflict if
	// the name (case-insensitively) or id is taken.
	Create(ctx context.Context, p iam.ManagedPolicy, doc string) error
	// Get returns the policy with DefaultVersion, AttachmentCount and
	// BoundaryUsageCount filled in.
	Get(ctx context.Context, arn string) (iam.ManagedPolicy, error)
	// List lists one account's policies (iam.AWSAccount for AWS managed).
	List(ctx context.Context, account string, opts ListOptions) ([]iam.ManagedPolicy, error)
	// SetTags replaces the policy's tags.
	SetTags(ctx context.Context, arn string, tags []iam.Tag) error
	// Delete removes the policy and all its versions. ErrConflict while it is
	// attached to any entity or used as a permissions boundary.
	Delete(ctx context.Context, arn string) error

	// CreateVersion adds the next version (v(N+1), where N is the highest
	// number ever issued for this policy, so ids are never reused) and, if
	// setDefault, makes it the default and sets the policy's Updated to
	// created. It returns the new version.
	CreateVersion(ctx context.Context, arn, doc string, created time.Time, setDefault bool) (iam.PolicyVersion, error)
	GetVersion(ctx context.Context, arn, versionID string) (iam.PolicyVersion, error)
	// ListVersions returns the versions, newest first (as AWS lists them).
	ListVersions(ctx context.Context, arn string) ([]iam.PolicyVersion, error)
	// SetDefaultVersion makes versionID the default and sets Updated to at.
	SetDefaultVersion(ctx context.Context, arn, versionID string, at time.Time) error
	// DeleteVersion removes a version. ErrConflict if it is the default.
	DeleteVersion(ctx context.Context, arn, versionID string) error
	// PutVersion writes version v.VersionID ("vN") with v.Document and
	// v.Created, creating it or replacing what it held, and raises the
	// policy's version sequence to N at least so that CreateVersion never
	// reissues it. It does not change the default (v.IsDefault is
	// ignored). Importing AWS managed policies uses it to keep AWS's
	// version ids; the API never does.
	PutVersion(ctx context.Context, arn string, v iam.PolicyVersion) error
}

// InlinePolicies stores policies embedded in a user, group or role.
type InlinePolicies interface {
	// Put creates or replaces the named policy. ErrNotFound if the owner
	// does not exist.
	Put(ctx context.Context, owner iam.Owner, p iam.InlinePolicy) error
	Get(ctx context.Context, owner iam.Owner, name string) (iam.InlinePolicy, error)
	// List returns the owner's inline policies ordered by name (byte order).
	List(ctx context.Context, owner iam.Owner) ([]iam.InlinePolicy, error)
	// Delete removes the named policy. ErrNotFound if it or the owner does
	// not exist.
	Delete(ctx context.Context, owner iam.Owner, name string) error
}

// Attachments stores which managed policies are attached to which users,
// groups and roles.
type Attachments interface {
	// Attach attaches the policy to owner; attaching twice is a no-op, as in
	// AWS. ErrNotFound if the owner or the policy does not exist.
	Attach(ctx context.Context, owner iam.Owner, policyARN string) error
	// Detach removes the attachment. ErrNotFound if the owner does not exist
	// or the policy is not attached to it.
	Detach(ctx context.Context, owner iam.Owner, policyARN string) error
	// List returns the owner's attached policies ordered by policy name.
	List(ctx context.Context, owner iam.Owner) ([]iam.AttachedPolicy, error)
	// ListEntities returns every user, group and role the policy is attached
	// to (ListEntitiesForPolicy), ordered by kind then name.
	ListEntities(ctx context.Context, policyARN string) ([]iam.Owner, error)
}

// AccessKeys stores long-term access keys. Key ids are globally unique.
type AccessKeys interface {
	// Create adds k for user k.UserName in k.Account. ErrNotFound if the
	// user does not exist; ErrConflict if the id is taken.
	Create(ctx context.Context, k iam.AccessKey) error
	// Get finds a key by id in any account, with its secret ciphertext: the
	// authentication path.
	Get(ctx context.Context, id string) (iam.AccessKey, error)
	// ListForUser returns the user's keys ordered by creation time.
	// ErrNotFound if the user does not exist.
	ListForUser(ctx context.Context, account, user string) ([]iam.AccessKey, error)
	SetStatus(ctx context.Context, id string, status iam.AccessKeyStatus) error
	// RecordUse sets LastUsed without touching the change feed.
	RecordUse(ctx context.Context, id string, used iam.AccessKeyLastUsed) error
	Delete(ctx context.Context, id string) error
}

// MFADevices stores virtual MFA devices, addressed by serial number.
type MFADevices interface {
	// Create adds an unassigned device. ErrConflict if the serial is taken.
	Create(ctx context.Context, d iam.VirtualMFADevice) error
	Get(ctx context.Context, serial string) (iam.VirtualMFADevice, error)
	// List returns the account's devices ordered by serial.
	List(ctx context.Context, account string) ([]iam.VirtualMFADevice, error)
	// ListForUser returns the devices assigned to the user.
	ListForUser(ctx context.Context, account, user string) ([]iam.VirtualMFADevice, error)
	// Assign binds the device to user (EnableMFADevice) with the TOTP step
	// accepted while enabling. ErrNotFound if either does not exist;
	// ErrConflict if the device is already assigned.
	Assign(ctx context.Context, serial, user string, at time.Time, step int64) error
	// Unassign releases the device (DeactivateMFADevice) and resets its step.
	Unassign(ctx context.Context, serial string) error
	// AdvanceStep records that TOTP step was used, atomically and only if it
	// is later than the last one: ErrConflict otherwise (a replayed code).
	AdvanceStep(ctx context.Context, serial string, step int64) error
	// Delete removes the device. ErrConflict while it is assigned.
	Delete(ctx context.Context, serial string) error
}

// Providers stores IAM identity providers (OIDC and SAML), addressed by
// ARN.
type Providers interface {
	// Create adds p. ErrNotFound if the account does not exist; ErrConflict
	// if its ARN is taken.
	Create(ctx context.Context, p iam.Provider) error
	Get(ctx context.Context, arn string) (iam.Provider, error)
	// List returns the account's providers of kind ordered by ARN.
	List(ctx context.Context, account string, kind iam.ProviderKind) ([]iam.Provider, error)
	// Update rewrites the provider with p's ARN: client ids, thumbprints,
	// metadata, UUID, valid-until, tags and Updated.
	Update(ctx context.Context, p iam.Provider) error
	Delete(ctx context.Context, arn string) error
}

// KeyRecord is a blob of key material (token sealing keys, key rings)
// encrypted under the master key by its owner; the store only keeps it.
type KeyRecord struct {
	Purpose    string // e.g. "session-token"
	ID         string // unique within Purpose
	Ciphertext []byte
	Created    time.Time
}

// KeyMaterial stores encrypted key material.
type KeyMaterial interface {
	// Put adds a record. ErrConflict if (Purpose, ID) exists.
	Put(ctx context.Context, k KeyRecord) error
	Get(ctx context.Context, purpose, id string) (KeyRecord, error)
	// List returns the purpose's records ordered by Created, then ID.
	List(ctx context.Context, purpose string) ([]KeyRecord, error)
	Delete(ctx context.Context, purpose, id string) error
}

// Change is one entry of the change feed: something of Kind identified by
// Key in Account changed (was created, updated or deleted) at At. Readers
// reload what they cache rather than trust a payload.
type Change struct {
	Seq     int64
	Account string
	Kind    string // one of the Change* constants
	Key     string // name, ARN, key id or serial, as the kind implies
	At      time.Time
}

// Change kinds. Changes to a principal's inline policies, attachments and
// group memberships are recorded under the principal (user, group or role)
// so that a cache keyed by principal needs only those three kinds plus
// ChangePolicy.
const (
	ChangeAccount         = "account"          // Key: account id
	ChangeUser            = "user"             // Key: user name (old and new on rename)
	ChangeGroup           = "group"            // Key: group name
	ChangeRole            = "role"             // Key: role name
	ChangePolicy          = "policy"           // Key: policy ARN; versions and tags too
	ChangeAccessKey       = "access-key"       // Key: access key id
	ChangeMFADevice       = "mfa"              // Key: serial number
	ChangeKeyMaterial     = "key-material"     // Key: "PURPOSE/ID"; Account is ""
	ChangeProvider        = "provider"         // Key: provider ARN
	ChangeRevocation      = "revocation"       // Key: the revocation's target
	ChangeBucketPolicy    = "bucket-policy"    // Key: bucket name
	ChangeObject          = "object"           // Key: ObjectKey(kind, id)
	ChangeInstanceProfile = "instance-profile" // Key: instance profile name
	ChangeLoginProfile    = "login-profile"    // Key: user name
	ChangePasswordPolicy  = "password-policy"  // Key: account id
)

// Changes is the append-only change feed. Every write records its change in
// the same transaction, so a reader that has seen seq N has seen every
// change up to N. Sequence numbers increase strictly but may have gaps
// (rolled-back transactions).
type Changes interface {
	// Since returns up to limit changes with Seq > seq, oldest first;
	// limit <= 0 means the backend's default page size.
	Since(ctx context.Context, seq int64, limit int) ([]Change, error)
	// Latest returns the highest Seq written so far (0 if none): a
	// generation number for the whole store.
	Latest(ctx context.Context) (int64, error)
	// Trim deletes changes with Seq <= upTo, once every reader is past them,
	// except the newest change, so that Latest never goes backwards.
	Trim(ctx context.Context, upTo int64) error
}
