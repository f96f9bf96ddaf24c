// Package importer loads IAM configuration exported from AWS (the JSON that
// `aws iam get-account-authorization-details` prints, or Brevet's own
// GetAccountAuthorizationDetails) into a store: users, groups, roles,
// their inline policies, attachments, boundaries and tags, the instance
// profiles each role is in, and managed policies with their versions. AWS
// managed policies in the file replace Brevet's built-in documents of the
// same name, or are added. ImportAWSManaged loads AWS managed policies
// alone (`brevet import --aws-managed-policies`), upserting them with
// AWS's ids and version ids (awsmanaged.go).
//
// It owns the file formats and the mapping to Brevet's model: entities are
// created in the target account with new unique ids (ids encode their
// account), policy ARNs of the source account are rewritten to the target
// account, version ids are preserved, and every customer document is
// validated with the same rules as the API. It does not own those rules
// (package iam and policy do) and it adds and updates but never deletes:
// entities that exist already are kept, and what the file says about them
// is added to them. Documents are stored as exported: ARNs inside them are
// not rewritten. Trust policies are bound to the unique ids of the users
// and roles they name as the import leaves them, as if saved through the
// API (package trust).
package importer

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/trust"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/store"
)

// Document is a policy document as exported: a JSON object (the AWS CLI
// decodes documents), or a string holding the JSON, possibly URL-encoded
// as the API returns it.
type Document string

// UnmarshalJSON accepts all three forms.
func (d *Document) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if t := strings.TrimSpace(s); strings.HasPrefix(t, "%7B") || strings.HasPrefix(t, "%7b") {
			u, err := url.QueryUnescape(s)
			if err != nil {
				return fmt.Errorf("URL-encoded policy document: %w", err)
			}
			s = u
		}
		*d = Document(s)
		return nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return err
	}
	*d = Document(buf.String())
	return nil
}

// The file's shapes, named as AWS names them; fields Brevet does not model
// (ids of the source account) are ignored.
type (
	// File is the top-level object.
	File struct {
		UserDetailList  []UserDetail
		GroupDetailList []GroupDetail
		RoleDetailList  []RoleDetail
		Policies        []PolicyDetail
	}
	InlinePolicy struct {
		PolicyName     string
		PolicyDocument Document
	}
	Attached struct {
		PolicyName string
		PolicyArn  string
	}
	Boundary struct {
		PermissionsBoundaryArn string
	}
	Tag struct {
		Key, Value string
	}
	UserDetail struct {
		Path, UserName          string
		CreateDate              time.Time
		UserPolicyList          []InlinePolicy
		GroupList               []string
		AttachedManagedPolicies []Attached
		PermissionsBoundary     *Boundary
		Tags                    []Tag
	}
	GroupDetail struct {
		Path, GroupName         string
		CreateDate              time.Time
		GroupPolicyList         []InlinePolicy
		AttachedManagedPolicies []Attached
	}
	RoleLastUsed struct {
		LastUsedDate time.Time
		Region       string
	}
	RoleDetail struct {
		Path, RoleName           string
		CreateDate               time.Time
		AssumeRolePolicyDocument Document
		Description              string
		MaxSessionDuration       int
		RolePolicyList           []InlinePolicy
		AttachedManagedPolicies  []Attached
		PermissionsBoundary      *Boundary
		Tags                     []Tag
		RoleLastUsed             *RoleLastUsed
		// InstanceProfileList names the instance profiles holding the
		// role (AWS exports a profile only under its role).
		InstanceProfileList []InstanceProfileDetail
	}
	// InstanceProfileDetail is an entry of a role's InstanceProfileList;
	// its Roles are not read (the profile holds the enclosing role).
	InstanceProfileDetail struct {
		Path, InstanceProfileName string
		CreateDate                time.Time
		Tags                      []Tag
	}
	PolicyVersion struct {
		Document         Document
		VersionId        string
		IsDefaultVersion bool
		CreateDate       time.Time
	}
	PolicyDetail struct {
		PolicyName, Arn, Path, Description string
		DefaultVersionId                   string
		CreateDate, UpdateDate             time.Time
		PolicyVersionList                  []PolicyVersion
	}
)

// Options configures Import.
type Options struct {
	// Account is the 12-digit account to import into; it is created if
	// missing.
	Account string
	// Now stamps entities the file gives no date for.
	Now time.Time
	// Rand is the source of new unique ids (crypto/rand when nil).
	Rand io.Reader
}

// Summary counts what an import wrote.
type Summary struct {
	Users, Groups, Roles, Policies, AWSManagedPolicies int
	// InstanceProfiles counts the profiles created or given their role.
	InstanceProfiles int
}

// Error says which entity of the file could not be imported.
type Error struct {
	Entity string // "user alice", "policy arn:...", ...
	Err    error
}

func (e *Error) Error() string { return e.Entity + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Read decodes a file.
func Read(r io.Reader) (*File, error) {
	var f File
	dec := json.NewDecoder(r)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("importer: reading the authorization details: %w", err)
	}
	return &f, nil
}

// Import writes f into st in one transaction: nothing is written unless
// everything is.
func Import(ctx context.Context, st store.Store, f *File, opts Options) (Summary, error) {
	if err := iam.ValidateAccountID(opts.Account); err != nil {
		return Summary{}, err
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	var sum Summary
	err := st.Tx(ctx, func(r store.Repos) error {
		sum = Summary{}
		im := &run{ctx: ctx, r: r, opts: opts}
		return im.all(f, &sum)
	})
	return sum, err
}

type run struct {
	ctx  context.Context
	r    store.Repos
	opts Options
}

func (im *run) all(f *File, sum *Summary) error {
	for _, id := range []string{iam.AWSAccount, im.opts.Account} {
		if err := im.ensureAccount(id); err != nil {
			return err
		}
	}
	for _, p := range f.Policies {
		aws, err := im.policy(p)
		if err != nil {
			return &Error{Entity: "policy " + p.Arn, Err: err}
		}
		if aws {
			sum.AWSManagedPolicies++
		} else {
			sum.Policies++
		}
	}
	for _, g := range f.GroupDetailList {
		if err := im.group(g); err != nil {
			return &Error{Entity: "group " + g.GroupName, Err: err}
		}
		sum.Groups++
	}
	for _, u := range f.UserDetailList {
		if err := im.user(u); err != nil {
			return &Error{Entity: "user " + u.UserName, Err: err}
		}
		sum.Users++
	}
	for _, rd := range f.RoleDetailList {
		if err := im.role(rd); err != nil {
			return &Error{Entity: "role " + rd.RoleName, Err: err}
		}
		sum.Roles++
		for _, ip := range rd.InstanceProfileList {
			if err := im.instanceProfile(ip, rd.RoleName); err != nil {
				return &Error{Entity: "instance profile " + ip.InstanceProfileName, Err: err}
			}
			sum.InstanceProfiles++
		}
	}
	// Bind trust policies once every user and role of the file exists: a
	// role may trust one listed after it.
	for _, rd := range f.RoleDetailList {
		if err := im.bindTrust(rd.RoleName); err != nil {
			return &Error{Entity: "role " + rd.RoleName, Err: err}
		}
	}
	return nil
}

// bindTrust binds an imported role's trust policy to the unique ids of
// the users and roles it names, as saving it through the API does
// (package trust). Principals of accounts this installation does not
// hold (an export names other AWS accounts) stay unbound; one of an
// account it holds that names no one is refused.
func (im *run) bindTrust(name string) error {
	role, err := im.r.Roles().Get(im.ctx, im.opts.Account, name)
	if err != nil {
		return err
	}
	doc, err := policy.Parse([]byte(role.TrustPolicy))
	if err != nil {
		return fmt.Errorf("trust policy: %w", err)
	}
	if role.TrustBindings, err = trust.Bind(im.ctx, im.r, doc, trust.Options{KeepForeign: true}); err != nil {
		return fmt.Errorf("trust policy: %w", err)
	}
	return im.r.Roles().Update(im.ctx, role)
}

func (im *run) ensureAccount(id string) error {
	_, err := im.r.Accounts().Get(im.ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return im.r.Accounts().Create(im.ctx, iam.Account{ID: id, Created: im.opts.Now})
	}
	return err
}

func (im *run) or(t time.Time) time.Time {
	if t.IsZero() {
		return im.opts.Now
	}
	return t
}

// policyARN rewrites a customer policy ARN of the source account to the
// target account; AWS managed ARNs stay.
func (im *run) policyARN(arn string) (string, error) {
	ref, err := iam.ParseEntityARN(arn)
	if err != nil || ref.Type != iam.ResourcePolicy {
		return "", fmt.Errorf("%q is not a managed policy ARN", arn)
	}
	if ref.Account == iam.AWSAccount {
		return arn, nil
	}
	return iam.PolicyARN(im.opts.Account, ref.Path, ref.Name), nil
}

// versionNumber reads "v12" as 12; 0 for anything else.
func versionNumber(id string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "v"))
	if err != nil || !strings.HasPrefix(id, "v") || n < 1 {
		return 0
	}
	return n
}

// policy imports a managed policy and reports whether it is AWS managed.
func (im *run) policy(p PolicyDetail) (bool, error) {
	arn, err := im.policyARN(p.Arn)
	if err != nil {
		return false, err
	}
	ref, _ := iam.ParseEntityARN(arn)
	awsManaged := ref.Account == iam.AWSAccount
	versions := append([]PolicyVersion(nil), p.PolicyVersionList...)
	if len(versions) == 0 {
		return awsManaged, errors.New("no PolicyVersionList")
	}
	sort.SliceStable(versions, func(i, j int) bool {
		return versionNumber(versions[i].VersionId) < versionNumber(versions[j].VersionId)
	})
	for _, v := range versions {
		if err := checkManagedDocument(string(v.Document), awsManaged); err != nil {
			return awsManaged, fmt.Errorf("version %s: %w", v.VersionId, err)
		}
	}
	pol := iam.ManagedPolicy{Account: ref.Account, Name: ref.Name, Path: ref.Path, Description: p.Description,
		Created: im.or(p.CreateDate), Updated: im.or(p.UpdateDate)}
	if !awsManaged {
		if err := iam.ValidateManagedPolicy(pol, string(versions[0].Document)); err != nil {
			return false, err
		}
	}
	existing, err := im.r.Policies().Get(im.ctx, arn)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return awsManaged, err
	case existing.AttachmentCount == 0 && existing.BoundaryUsageCount == 0:
		// Unused: replace it outright, so version ids are the file's.
		if err := im.deleteVersions(arn, existing.DefaultVersion); err != nil {
			return awsManaged, err
		}
		if err := im.r.Policies().Delete(im.ctx, arn); err != nil {
			return awsManaged, err
		}
	default:
		// In use: keep the policy and its attachments, replace the
		// versions unless they are the file's already.
		same, err := im.sameVersions(arn, existing.DefaultVersion, versions, p.DefaultVersionId)
		if err != nil || same {
			return awsManaged, err
		}
		return awsManaged, im.replaceVersions(arn, existing.DefaultVersion, versions, p.DefaultVersionId)
	}
	pol.ID, err = newPolicyID(pol.Account, im.opts.Rand)
	if err != nil {
		return awsManaged, err
	}
	return awsManaged, im.createWithVersions(pol, versions, p.DefaultVersionId)
}

func newPolicyID(account string, rnd io.Reader) (string, error) {
	if account == iam.AWSAccount {
		return iam.NewID(iam.PrefixManagedPolicy, rnd)
	}
	return credential.NewUniqueID(credential.PrefixManagedPolicy, account, rnd)
}

// checkManagedDocument validates a customer policy version with the API's
// rules. AWS managed documents are AWS's to get right and may exceed the
// customer size quota; they need only parse.
func checkManagedDocument(doc string, awsManaged bool) error {
	if awsManaged {
		_, err := policy.Parse([]byte(doc))
		return err
	}
	if err := iam.ValidateManagedPolicyDocument(doc); err != nil {
		return err
	}
	_, err := policy.ParseAndValidate([]byte(doc), policy.TypeIdentity)
	return err
}

// createWithVersions creates the policy so that each version keeps its id:
// the store numbers versions itself, so gaps are filled with placeholder
// versions that are deleted at the end.
func (im *run) createWithVersions(pol iam.ManagedPolicy, versions []PolicyVersion, defaultID string) error {
	arn := pol.ARN()
	if err := im.r.Policies().Create(im.ctx, pol, string(versions[0].Document)); err != nil {
		return err
	}
	issued := map[string]bool{"v1": versionNumber(versions[0].VersionId) <= 1}
	var fillers []string
	if !issued["v1"] {
		fillers = append(fillers, "v1")
	}
	next := 2
	for i, v := range versions {
		n := versionNumber(v.VersionId)
		if i == 0 && n <= 1 {
			continue
		}
		for ; n > next; next++ {
			f, err := im.r.Policies().CreateVersion(im.ctx, arn, string(v.Document), im.or(v.CreateDate), false)
			if err != nil {
				return err
			}
			fillers = append(fillers, f.VersionID)
		}
		created, err := im.r.Policies().CreateVersion(im.ctx, arn, string(v.Document), im.or(v.CreateDate), false)
		if err != nil {
			return err
		}
		issued[created.VersionID] = true
		next++
	}
	if defaultID == "" || !issued[defaultID] {
		defaultID = defaultOf(versions)
	}
	if err := im.r.Policies().SetDefaultVersion(im.ctx, arn, defaultID, pol.Updated); err != nil {
		return err
	}
	for _, f := range fillers {
		if err := im.r.Policies().DeleteVersion(im.ctx, arn, f); err != nil {
			return err
		}
	}
	return nil
}

// defaultOf is the version the file marks default, else the newest.
func defaultOf(versions []PolicyVersion) string {
	for _, v := range versions {
		if v.IsDefaultVersion {
			return v.VersionId
		}
	}
	return versions[len(versions)-1].VersionId
}

// replaceVersions gives a policy in use the file's documents as new
// versions, the file's default becoming the default.
func (im *run) replaceVersions(arn, oldDefault string, versions []PolicyVersion, defaultID string) error {
	if err := im.deleteVersions(arn, oldDefault); err != nil {
		return err
	}
	want := defaultID
	if want == "" {
		want = defaultOf(versions)
	}
	var def string
	for _, v := range versions {
		created, err := im.r.Policies().CreateVersion(im.ctx, arn, string(v.Document), im.or(v.CreateDate), false)
		if err != nil {
			return err
		}
		if v.VersionId == want || def == "" {
			def = created.VersionID
		}
	}
	if err := im.r.Policies().SetDefaultVersion(im.ctx, arn, def, im.opts.Now); err != nil {
		return err
	}
	return im.r.Policies().DeleteVersion(im.ctx, arn, oldDefault)
}

// sameVersions reports whether the stored policy has exactly the file's
// versions, ids, documents and default.
func (im *run) sameVersions(arn, storedDefault string, versions []PolicyVersion, defaultID string) (bool, error) {
	stored, err := im.r.Policies().ListVersions(im.ctx, arn)
	if err != nil || len(stored) != len(versions) {
		return false, err
	}
	if defaultID == "" {
		defaultID = defaultOf(versions)
	}
	docs := map[string]string{}
	for _, v := range stored {
		docs[v.VersionID] = v.Document
	}
	for _, v := range versions {
		if d, ok := docs[v.VersionId]; !ok || d != string(v.Document) {
			return false, nil
		}
	}
	return storedDefault == defaultID, nil
}

// deleteVersions deletes every version but keep.
func (im *run) deleteVersions(arn, keep string) error {
	vs, err := im.r.Policies().ListVersions(im.ctx, arn)
	if err != nil {
		return err
	}
	for _, v := range vs {
		if v.VersionID != keep {
			if err := im.r.Policies().DeleteVersion(im.ctx, arn, v.VersionID); err != nil {
				return err
			}
		}
	}
	return nil
}

func tags(ts []Tag) []iam.Tag {
	var out []iam.Tag
	for _, t := range ts {
		out = append(out, iam.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}

func (im *run) boundary(b *Boundary) (string, error) {
	if b == nil || b.PermissionsBoundaryArn == "" {
		return "", nil
	}
	return im.policyARN(b.PermissionsBoundaryArn)
}

// owned adds an entity's inline policies and attachments.
func (im *run) owned(o iam.Owner, inline []InlinePolicy, attached []Attached) error {
	for _, p := range inline {
		if err := iam.ValidatePolicyName(p.PolicyName); err != nil {
			return err
		}
		if _, err := policy.ParseAndValidate([]byte(p.PolicyDocument), policy.TypeIdentity); err != nil {
			return fmt.Errorf("inline policy %s: %w", p.PolicyName, err)
		}
		if err := im.r.InlinePolicies().Put(im.ctx, o, iam.InlinePolicy{Name: p.PolicyName, Document: string(p.PolicyDocument)}); err != nil {
			return err
		}
	}
	for _, a := range attached {
		arn, err := im.policyARN(a.PolicyArn)
		if err != nil {
			return err
		}
		if err := im.r.Attachments().Attach(im.ctx, o, arn); err != nil {
			return fmt.Errorf("attaching %s: %w", arn, err)
		}
	}
	return nil
}

func (im *run) group(g GroupDetail) error {
	grp := iam.Group{Account: im.opts.Account, Name: g.GroupName, Path: g.Path, Created: im.or(g.CreateDate)}
	if err := iam.ValidateGroup(grp); err != nil {
		return err
	}
	_, err := im.r.Groups().Get(im.ctx, grp.Account, grp.Name)
	if errors.Is(err, store.ErrNotFound) {
		if grp.ID, err = credential.NewUniqueID(credential.PrefixGroup, grp.Account, im.opts.Rand); err != nil {
			return err
		}
		err = im.r.Groups().Create(im.ctx, grp)
	}
	if err != nil {
		return err
	}
	return im.owned(iam.Owner{Kind: iam.PrincipalGroup, Account: grp.Account, Name: grp.Name}, g.GroupPolicyList, g.AttachedManagedPolicies)
}

func (im *run) user(u UserDetail) error {
	b, err := im.boundary(u.PermissionsBoundary)
	if err != nil {
		return err
	}
	usr := iam.User{Account: im.opts.Account, Name: u.UserName, Path: u.Path, Created: im.or(u.CreateDate), PermissionsBoundary: b, Tags: tags(u.Tags)}
	if err := iam.ValidateUser(usr); err != nil {
		return err
	}
	existing, err := im.r.Users().Get(im.ctx, usr.Account, usr.Name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if usr.ID, err = credential.NewUniqueID(credential.PrefixUser, usr.Account, im.opts.Rand); err != nil {
			return err
		}
		err = im.r.Users().Create(im.ctx, usr)
	case err == nil:
		existing.Tags = iam.MergeTags(existing.Tags, usr.Tags)
		if b != "" {
			existing.PermissionsBoundary = b
		}
		err = im.r.Users().Update(im.ctx, existing)
	}
	if err != nil {
		return err
	}
	for _, g := range u.GroupList {
		if err := im.r.Groups().AddUser(im.ctx, usr.Account, g, usr.Name); err != nil {
			return fmt.Errorf("adding to group %s: %w", g, err)
		}
	}
	return im.owned(iam.Owner{Kind: iam.PrincipalUser, Account: usr.Account, Name: usr.Name}, u.UserPolicyList, u.AttachedManagedPolicies)
}

func (im *run) role(rd RoleDetail) error {
	b, err := im.boundary(rd.PermissionsBoundary)
	if err != nil {
		return err
	}
	role := iam.Role{Account: im.opts.Account, Name: rd.RoleName, Path: rd.Path, Created: im.or(rd.CreateDate),
		TrustPolicy: string(rd.AssumeRolePolicyDocument), Description: rd.Description, MaxSessionDuration: rd.MaxSessionDuration,
		PermissionsBoundary: b, Tags: tags(rd.Tags)}
	if role.MaxSessionDuration == 0 {
		role.MaxSessionDuration = iam.DefaultSessionSeconds
	}
	if rd.RoleLastUsed != nil {
		role.LastUsed = iam.RoleLastUsed{Date: rd.RoleLastUsed.LastUsedDate, Region: rd.RoleLastUsed.Region}
	}
	if err := iam.ValidateRole(role); err != nil {
		return err
	}
	if _, err := policy.ParseAndValidate([]byte(role.TrustPolicy), policy.TypeTrust); err != nil {
		return fmt.Errorf("trust policy: %w", err)
	}
	existing, err := im.r.Roles().Get(im.ctx, role.Account, role.Name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if role.ID, err = credential.NewUniqueID(credential.PrefixRole, role.Account, im.opts.Rand); err != nil {
			return err
		}
		err = im.r.Roles().Create(im.ctx, role)
	case err == nil:
		existing.TrustPolicy = role.TrustPolicy
		existing.Tags = iam.MergeTags(existing.Tags, role.Tags)
		if b != "" {
			existing.PermissionsBoundary = b
		}
		err = im.r.Roles().Update(im.ctx, existing)
	}
	if err != nil {
		return err
	}
	return im.owned(iam.Owner{Kind: iam.PrincipalRole, Account: role.Account, Name: role.Name}, rd.RolePolicyList, rd.AttachedManagedPolicies)
}

// instanceProfile creates the profile holding role, or puts role in the
// existing profile of that name and adds the file's tags to it. A
// profile that already holds another role fails the import: a profile
// holds one role, and the import never removes anything.
func (im *run) instanceProfile(d InstanceProfileDetail, role string) error {
	p := iam.InstanceProfile{Account: im.opts.Account, Name: d.InstanceProfileName, Path: d.Path,
		Roles: []string{role}, Tags: tags(d.Tags), Created: im.or(d.CreateDate)}
	if err := iam.ValidateInstanceProfile(p); err != nil {
		return err
	}
	existing, err := im.r.InstanceProfiles().Get(im.ctx, p.Account, p.Name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if p.ID, err = credential.NewUniqueID(credential.PrefixInstanceProfile, p.Account, im.opts.Rand); err != nil {
			return err
		}
		return im.r.InstanceProfiles().Create(im.ctx, p)
	case err != nil:
		return err
	}
	for _, r := range existing.Roles {
		if iam.NameKey(r) != iam.NameKey(role) {
			return fmt.Errorf("it already holds role %s, and holds one at most", r)
		}
	}
	existing.Roles = []string{role}
	existing.Tags = iam.MergeTags(existing.Tags, p.Tags)
	if err := iam.ValidateInstanceProfile(existing); err != nil {
		return err
	}
	return im.r.InstanceProfiles().Update(im.ctx, existing)
}
