// Package migrate copies a whole Brevet store into another, in either
// direction between backends (embedded SQLite to PostgreSQL and back), using
// only the store interfaces: every account with its users, groups and
// memberships, roles, managed policies (every version, the default, tags),
// inline policies, attachments, access keys (secret ciphertexts as stored),
// MFA devices, instance profiles, login profiles (password hashes as
// stored), password policies, identity providers (OIDC and SAML) and the
// bucket policies of the S3 gateway (with their principal bindings); key
// material; the
// issuance records and the revocation list. Ids, dates and ciphertexts are
// kept: the master key that sealed them opens them in the destination too.
//
// It reads the source into a Snapshot in one source transaction, then
// writes it in one destination transaction, so a failed copy leaves the
// destination as it was. It does not copy the change feed: the destination
// starts its own. It owns the copy only; opening stores is the caller's.
// Its round-trip test lists every table of both schemas as copied or not,
// so a new table fails it until the copy covers it.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

// Snapshot is the whole content of a store, in the stores' own list order.
type Snapshot struct {
	Accounts    []Account
	KeyMaterial []store.KeyRecord
	// Sessions are the issuance records, Revocations the revocation list
	// (every entry, live or not): a credential revoked before a migration
	// stays revoked after it.
	Sessions    []store.SessionRecord
	Revocations []store.Revocation
}

// Account is one account and everything it owns.
type Account struct {
	Account    iam.Account
	Policies   []Policy
	Users      []User
	Groups     []Group
	Roles      []Role
	MFADevices []iam.VirtualMFADevice
	// Providers are the OIDC providers, then the SAML providers.
	Providers []iam.Provider
	// BucketPolicies are the policies of the buckets the account owns
	// behind the S3 gateway, by bucket, with their bindings.
	BucketPolicies []store.BucketPolicy
	// Objects are the documents of Roles Anywhere and IoT (trust anchors,
	// profiles, CRLs, certificates, things, role aliases), by kind and id.
	Objects []store.Object
	// InstanceProfiles are the account's instance profiles with their
	// role and tags, by name.
	InstanceProfiles []iam.InstanceProfile
	// PasswordPolicy is the account's password policy, nil if it set none.
	PasswordPolicy *iam.PasswordPolicy
}

// Policy is a managed policy with its versions, oldest first.
type Policy struct {
	Policy   iam.ManagedPolicy
	Versions []iam.PolicyVersion
}

// User is a user with what hangs off it.
type User struct {
	User       iam.User
	Inline     []iam.InlinePolicy
	Attached   []iam.AttachedPolicy
	AccessKeys []iam.AccessKey
	// LoginProfile is the user's password hash and flags, nil if it has
	// none.
	LoginProfile *iam.LoginProfile
}

// Group is a group with its members (user names) and policies.
type Group struct {
	Group    iam.Group
	Members  []string
	Inline   []iam.InlinePolicy
	Attached []iam.AttachedPolicy
}

// Role is a role with its policies.
type Role struct {
	Role     iam.Role
	Inline   []iam.InlinePolicy
	Attached []iam.AttachedPolicy
}

// Counts says how many of each entity a Snapshot holds.
type Counts struct {
	Accounts, Users, Groups, Memberships, Roles, Policies, PolicyVersions int
	InlinePolicies, Attachments, AccessKeys, MFADevices, Providers        int
	KeyMaterial, Sessions, Revocations, BucketPolicies, Objects           int
	InstanceProfiles, LoginProfiles, PasswordPolicies                     int
}

// String lists the counts on one line, for `brevet migrate`.
func (c Counts) String() string {
	return fmt.Sprintf("accounts %d, users %d, groups %d, group memberships %d, roles %d, managed policies %d "+
		"(%d versions), inline policies %d, attachments %d, access keys %d, MFA devices %d, identity providers %d, "+
		"instance profiles %d, login profiles %d, password policies %d, bucket policies %d, service objects %d, key material %d, issuance records %d, revocations %d",
		c.Accounts, c.Users, c.Groups, c.Memberships, c.Roles, c.Policies, c.PolicyVersions,
		c.InlinePolicies, c.Attachments, c.AccessKeys, c.MFADevices, c.Providers,
		c.InstanceProfiles, c.LoginProfiles, c.PasswordPolicies, c.BucketPolicies, c.Objects, c.KeyMaterial, c.Sessions, c.Revocations)
}

// Counts counts the snapshot's entities.
func (s *Snapshot) Counts() Counts {
	c := Counts{Accounts: len(s.Accounts), KeyMaterial: len(s.KeyMaterial), Sessions: len(s.Sessions), Revocations: len(s.Revocations)}
	for _, a := range s.Accounts {
		c.Providers += len(a.Providers)
		c.Users += len(a.Users)
		c.Groups += len(a.Groups)
		c.Roles += len(a.Roles)
		c.Policies += len(a.Policies)
		c.MFADevices += len(a.MFADevices)
		c.BucketPolicies += len(a.BucketPolicies)
		c.Objects += len(a.Objects)
		c.InstanceProfiles += len(a.InstanceProfiles)
		if a.PasswordPolicy != nil {
			c.PasswordPolicies++
		}
		for _, p := range a.Policies {
			c.PolicyVersions += len(p.Versions)
		}
		for _, u := range a.Users {
			c.InlinePolicies += len(u.Inline)
			c.Attachments += len(u.Attached)
			c.AccessKeys += len(u.AccessKeys)
			if u.LoginProfile != nil {
				c.LoginProfiles++
			}
		}
		for _, g := range a.Groups {
			c.Memberships += len(g.Members)
			c.InlinePolicies += len(g.Inline)
			c.Attachments += len(g.Attached)
		}
		for _, r := range a.Roles {
			c.InlinePolicies += len(r.Inline)
			c.Attachments += len(r.Attached)
		}
	}
	return c
}

// ErrNotEmpty: the destination already holds accounts or key material and
// the copy was not forced.
var ErrNotEmpty = errors.New("migrate: the destination store is not empty")

// Options configures Copy.
type Options struct {
	// KeyPurposes lists the key-material purposes to copy. The store
	// interface can list records of one purpose but not the purposes, so
	// the caller names them (brevet migrate passes bootstrap's).
	KeyPurposes []string
	// Force copies into a destination that already holds data; an entity
	// that exists there too still fails the copy with store.ErrConflict.
	Force bool
}

// Copy reads src into a Snapshot and writes it into dst, all or nothing.
func Copy(ctx context.Context, src, dst store.Store, opts Options) (Counts, error) {
	snap, err := Read(ctx, src, opts.KeyPurposes)
	if err != nil {
		return Counts{}, fmt.Errorf("migrate: read source: %w", err)
	}
	if err := dst.Tx(ctx, func(r store.Repos) error {
		if !opts.Force {
			empty, err := isEmpty(ctx, r, opts.KeyPurposes)
			if err != nil {
				return err
			}
			if !empty {
				return ErrNotEmpty
			}
		}
		return Write(ctx, r, snap)
	}); err != nil {
		if errors.Is(err, ErrNotEmpty) {
			return Counts{}, err
		}
		return Counts{}, fmt.Errorf("migrate: write destination: %w", err)
	}
	return snap.Counts(), nil
}

func isEmpty(ctx context.Context, r store.Repos, purposes []string) (bool, error) {
	accts, err := r.Accounts().List(ctx)
	if err != nil || len(accts) > 0 {
		return false, err
	}
	for _, p := range purposes {
		recs, err := r.KeyMaterial().List(ctx, p)
		if err != nil || len(recs) > 0 {
			return false, err
		}
	}
	return true, nil
}

// Read takes a consistent snapshot of s (one transaction).
func Read(ctx context.Context, s store.Store, purposes []string) (*Snapshot, error) {
	var snap *Snapshot
	err := s.Tx(ctx, func(r store.Repos) error {
		// Tx may run this again: start afresh each time.
		snap = &Snapshot{}
		accts, err := r.Accounts().List(ctx)
		if err != nil {
			return err
		}
		for _, a := range accts {
			ad, err := readAccount(ctx, r, a)
			if err != nil {
				return fmt.Errorf("account %s: %w", a.ID, err)
			}
			snap.Accounts = append(snap.Accounts, ad)
		}
		for _, p := range purposes {
			recs, err := r.KeyMaterial().List(ctx, p)
			if err != nil {
				return err
			}
			snap.KeyMaterial = append(snap.KeyMaterial, recs...)
		}
		if snap.Sessions, err = r.Sessions().List(ctx, store.SessionFilter{}); err != nil {
			return err
		}
		snap.Revocations, err = r.Revocations().Active(ctx, time.Time{})
		return err
	})
	return snap, err
}

func readAccount(ctx context.Context, r store.Repos, a iam.Account) (Account, error) {
	out := Account{Account: a}
	all := store.ListOptions{}
	pols, err := r.Policies().List(ctx, a.ID, all)
	if err != nil {
		return out, err
	}
	for _, p := range pols {
		vs, err := r.Policies().ListVersions(ctx, p.ARN())
		if err != nil {
			return out, err
		}
		// ListVersions is newest first; keep them oldest first.
		for i, j := 0, len(vs)-1; i < j; i, j = i+1, j-1 {
			vs[i], vs[j] = vs[j], vs[i]
		}
		out.Policies = append(out.Policies, Policy{Policy: p, Versions: vs})
	}
	users, err := r.Users().List(ctx, a.ID, all)
	if err != nil {
		return out, err
	}
	for _, u := range users {
		ud := User{User: u}
		o := iam.Owner{Kind: iam.PrincipalUser, Account: a.ID, Name: u.Name}
		if ud.Inline, ud.Attached, err = ownerPolicies(ctx, r, o); err != nil {
			return out, err
		}
		if ud.AccessKeys, err = r.AccessKeys().ListForUser(ctx, a.ID, u.Name); err != nil {
			return out, err
		}
		switch lp, err := r.LoginProfiles().Get(ctx, a.ID, u.Name); {
		case err == nil:
			ud.LoginProfile = &lp
		case !errors.Is(err, store.ErrNotFound):
			return out, err
		}
		out.Users = append(out.Users, ud)
	}
	groups, err := r.Groups().List(ctx, a.ID, all)
	if err != nil {
		return out, err
	}
	for _, g := range groups {
		gd := Group{Group: g}
		o := iam.Owner{Kind: iam.PrincipalGroup, Account: a.ID, Name: g.Name}
		if gd.Inline, gd.Attached, err = ownerPolicies(ctx, r, o); err != nil {
			return out, err
		}
		members, err := r.Groups().ListUsers(ctx, a.ID, g.Name)
		if err != nil {
			return out, err
		}
		for _, m := range members {
			gd.Members = append(gd.Members, m.Name)
		}
		out.Groups = append(out.Groups, gd)
	}
	roles, err := r.Roles().List(ctx, a.ID, all)
	if err != nil {
		return out, err
	}
	for _, role := range roles {
		rd := Role{Role: role}
		o := iam.Owner{Kind: iam.PrincipalRole, Account: a.ID, Name: role.Name}
		if rd.Inline, rd.Attached, err = ownerPolicies(ctx, r, o); err != nil {
			return out, err
		}
		out.Roles = append(out.Roles, rd)
	}
	if out.InstanceProfiles, err = r.InstanceProfiles().List(ctx, a.ID, all); err != nil {
		return out, err
	}
	switch pp, err := r.PasswordPolicies().Get(ctx, a.ID); {
	case err == nil:
		out.PasswordPolicy = &pp
	case !errors.Is(err, store.ErrNotFound):
		return out, err
	}
	if out.MFADevices, err = r.MFADevices().List(ctx, a.ID); err != nil {
		return out, err
	}
	for _, kind := range []iam.ProviderKind{iam.ProviderOIDC, iam.ProviderSAML} {
		ps, err := r.Providers().List(ctx, a.ID, kind)
		if err != nil {
			return out, err
		}
		out.Providers = append(out.Providers, ps...)
	}
	if out.BucketPolicies, err = r.BucketPolicies().List(ctx, a.ID); err != nil {
		return out, err
	}
	if out.Objects, err = r.Objects().All(ctx, a.ID); err != nil {
		return out, err
	}
	return out, nil
}

func ownerPolicies(ctx context.Context, r store.Repos, o iam.Owner) ([]iam.InlinePolicy, []iam.AttachedPolicy, error) {
	inline, err := r.InlinePolicies().List(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	attached, err := r.Attachments().List(ctx, o)
	return inline, attached, err
}

// Write creates everything in snap through r (normally a destination
// transaction). Managed policies come first, since attachments name them,
// and attachments across accounts (AWS managed policies) follow every
// account's policies.
func Write(ctx context.Context, r store.Repos, snap *Snapshot) error {
	for _, a := range snap.Accounts {
		if err := r.Accounts().Create(ctx, a.Account); err != nil {
			return fmt.Errorf("account %s: %w", a.Account.ID, err)
		}
		for _, p := range a.Policies {
			if err := writePolicy(ctx, r, p); err != nil {
				return fmt.Errorf("policy %s: %w", p.Policy.ARN(), err)
			}
		}
	}
	for _, a := range snap.Accounts {
		if err := writeAccount(ctx, r, a); err != nil {
			return fmt.Errorf("account %s: %w", a.Account.ID, err)
		}
	}
	for _, k := range snap.KeyMaterial {
		if err := r.KeyMaterial().Put(ctx, k); err != nil {
			return fmt.Errorf("key material %s/%s: %w", k.Purpose, k.ID, err)
		}
	}
	for _, sr := range snap.Sessions {
		if err := r.Sessions().Record(ctx, sr); err != nil {
			return fmt.Errorf("session %s: %w", sr.AccessKeyID, err)
		}
	}
	for _, rev := range snap.Revocations {
		if _, err := r.Revocations().Add(ctx, rev); err != nil {
			return fmt.Errorf("revocation of %s: %w", rev.Target, err)
		}
	}
	return nil
}

// placeholder fills version numbers that were deleted in the source: the
// store issues version ids in sequence, so a gap is created, then deleted.
const placeholder = `{"Version":"2012-10-17","Statement":[]}`

// writePolicy recreates a policy with the same version ids, documents,
// dates and default. Policies.Create issues v1 and CreateVersion the next
// number, so versions missing from the source (deleted there) are created
// as placeholders and deleted again once the default is set.
func writePolicy(ctx context.Context, r store.Repos, p Policy) error {
	byNo := make(map[int]iam.PolicyVersion, len(p.Versions))
	highest := 1
	for _, v := range p.Versions {
		n, err := versionNumber(v.VersionID)
		if err != nil {
			return err
		}
		byNo[n] = v
		highest = max(highest, n)
	}
	pol := p.Policy
	first, ok := byNo[1]
	doc := placeholder
	if ok {
		doc = first.Document
	}
	if err := r.Policies().Create(ctx, pol, doc); err != nil {
		return err
	}
	arn := pol.ARN()
	for n := 2; n <= highest; n++ {
		v, ok := byNo[n]
		doc, created := placeholder, pol.Created
		if ok {
			doc, created = v.Document, v.Created
		}
		got, err := r.Policies().CreateVersion(ctx, arn, doc, created, false)
		if err != nil {
			return err
		}
		if want := "v" + strconv.Itoa(n); got.VersionID != want {
			return fmt.Errorf("destination issued version %s, want %s", got.VersionID, want)
		}
	}
	if err := r.Policies().SetDefaultVersion(ctx, arn, pol.DefaultVersion, pol.Updated); err != nil {
		return err
	}
	for n := 1; n <= highest; n++ {
		if _, ok := byNo[n]; !ok {
			if err := r.Policies().DeleteVersion(ctx, arn, "v"+strconv.Itoa(n)); err != nil {
				return err
			}
		}
	}
	return nil
}

func versionNumber(id string) (int, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "v"))
	if err != nil || !strings.HasPrefix(id, "v") || n <= 0 {
		return 0, fmt.Errorf("policy version id %q is not vN", id)
	}
	return n, nil
}

func writeAccount(ctx context.Context, r store.Repos, a Account) error {
	if a.PasswordPolicy != nil {
		if err := r.PasswordPolicies().Put(ctx, *a.PasswordPolicy); err != nil {
			return fmt.Errorf("password policy: %w", err)
		}
	}
	for _, u := range a.Users {
		if err := r.Users().Create(ctx, u.User); err != nil {
			return fmt.Errorf("user %s: %w", u.User.Name, err)
		}
		o := iam.Owner{Kind: iam.PrincipalUser, Account: a.Account.ID, Name: u.User.Name}
		if err := writeOwnerPolicies(ctx, r, o, u.Inline, u.Attached); err != nil {
			return err
		}
		for _, k := range u.AccessKeys {
			if err := r.AccessKeys().Create(ctx, k); err != nil {
				return fmt.Errorf("access key %s: %w", k.ID, err)
			}
		}
		if u.LoginProfile != nil {
			if err := r.LoginProfiles().Create(ctx, *u.LoginProfile); err != nil {
				return fmt.Errorf("login profile of %s: %w", u.User.Name, err)
			}
		}
	}
	for _, g := range a.Groups {
		if err := r.Groups().Create(ctx, g.Group); err != nil {
			return fmt.Errorf("group %s: %w", g.Group.Name, err)
		}
		for _, m := range g.Members {
			if err := r.Groups().AddUser(ctx, a.Account.ID, g.Group.Name, m); err != nil {
				return fmt.Errorf("group %s member %s: %w", g.Group.Name, m, err)
			}
		}
		o := iam.Owner{Kind: iam.PrincipalGroup, Account: a.Account.ID, Name: g.Group.Name}
		if err := writeOwnerPolicies(ctx, r, o, g.Inline, g.Attached); err != nil {
			return err
		}
	}
	for _, role := range a.Roles {
		if err := r.Roles().Create(ctx, role.Role); err != nil {
			return fmt.Errorf("role %s: %w", role.Role.Name, err)
		}
		o := iam.Owner{Kind: iam.PrincipalRole, Account: a.Account.ID, Name: role.Role.Name}
		if err := writeOwnerPolicies(ctx, r, o, role.Inline, role.Attached); err != nil {
			return err
		}
	}
	for _, p := range a.InstanceProfiles {
		if err := r.InstanceProfiles().Create(ctx, p); err != nil {
			return fmt.Errorf("instance profile %s: %w", p.Name, err)
		}
	}
	for _, d := range a.MFADevices {
		if err := writeMFA(ctx, r, d); err != nil {
			return fmt.Errorf("MFA device %s: %w", d.SerialNumber, err)
		}
	}
	for _, p := range a.Providers {
		if err := r.Providers().Create(ctx, p); err != nil {
			return fmt.Errorf("identity provider %s: %w", p.ARN(), err)
		}
	}
	for _, p := range a.BucketPolicies {
		if err := r.BucketPolicies().Put(ctx, p); err != nil {
			return fmt.Errorf("policy of bucket %s: %w", p.Bucket, err)
		}
	}
	for _, o := range a.Objects {
		if err := r.Objects().Create(ctx, o); err != nil {
			return fmt.Errorf("%s %s: %w", o.Kind, o.ID, err)
		}
	}
	return nil
}

func writeOwnerPolicies(ctx context.Context, r store.Repos, o iam.Owner, inline []iam.InlinePolicy, attached []iam.AttachedPolicy) error {
	for _, p := range inline {
		if err := r.InlinePolicies().Put(ctx, o, p); err != nil {
			return fmt.Errorf("%s %s inline policy %s: %w", o.Kind, o.Name, p.Name, err)
		}
	}
	for _, p := range attached {
		if err := r.Attachments().Attach(ctx, o, p.ARN); err != nil {
			return fmt.Errorf("%s %s attachment %s: %w", o.Kind, o.Name, p.ARN, err)
		}
	}
	return nil
}

// writeMFA creates the device unassigned (as Create does), then assigns it
// with its enable date and last accepted step.
func writeMFA(ctx context.Context, r store.Repos, d iam.VirtualMFADevice) error {
	if err := r.MFADevices().Create(ctx, d); err != nil {
		return err
	}
	if d.UserName == "" {
		if d.LastStep != 0 {
			return r.MFADevices().AdvanceStep(ctx, d.SerialNumber, d.LastStep)
		}
		return nil
	}
	return r.MFADevices().Assign(ctx, d.SerialNumber, d.UserName, d.EnableDate, d.LastStep)
}
