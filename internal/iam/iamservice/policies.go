package iamservice

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/store"
)

// policyHasVersionsError: DeletePolicy on a policy that still has
// non-default versions (AWS: DeleteConflict).
type policyHasVersionsError struct{}

func (policyHasVersionsError) Error() string {
	return "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy."
}

// versionLimitMessage is AWS's LimitExceeded text for a sixth version.
const versionLimitMessage = "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version."

// arnUse says what a policy ARN was given for; AWS words a bad one
// differently for each.
type arnUse int

const (
	arnLookup   arnUse = iota // GetPolicy, DeletePolicy, the version actions ...
	arnAttach                 // Attach{User,Group,Role}Policy
	arnBoundary               // a permissions boundary, a detach
)

// policyARNError: a policy ARN that is not one. AWS answers an attach with
// ValidationError "ARN X is not valid.", a boundary with InvalidInput and
// the same sentence, and a lookup of a string that is no ARN at all with
// ValidationError "Invalid ARN:  Could not be parsed!" (two spaces).
type policyARNError struct {
	arn string
	use arnUse
}

// unparsed reports whether the string is not an ARN at all.
func (e *policyARNError) unparsed() bool {
	_, err := iam.ParseARN(e.arn)
	return err != nil
}

func (e *policyARNError) Error() string {
	if e.use == arnLookup && e.unparsed() {
		return "Invalid ARN:  Could not be parsed!"
	}
	return "ARN " + e.arn + " is not valid."
}

// wireCode is the AWS code for the error.
func (e *policyARNError) wireCode() *awsquery.Code {
	if e.use == arnAttach || e.use == arnLookup && e.unparsed() {
		return awsquery.CodeValidationError
	}
	return awsquery.CodeInvalidInput
}

// checkPolicyARN checks an ARN's shape: arn:aws:iam::ACCOUNT:policy/PATH/NAME.
func checkPolicyARN(arn string) (iam.EntityRef, error) { return checkPolicyARNFor(arn, arnLookup) }

func checkPolicyARNFor(arn string, use arnUse) (iam.EntityRef, error) {
	ref, err := iam.ParseEntityARN(arn)
	if err != nil || ref.Type != iam.ResourcePolicy {
		return iam.EntityRef{}, &policyARNError{arn: arn, use: use}
	}
	return ref, nil
}

// getPolicy returns a managed policy the caller's account may see: its own
// or an AWS managed one. Others' policies do not exist for it.
func getPolicy(ctx context.Context, r store.Repos, account, arn string) (iam.ManagedPolicy, error) {
	ref, err := checkPolicyARN(arn)
	if err != nil {
		return iam.ManagedPolicy{}, err
	}
	if ref.Account != account && ref.Account != iam.AWSAccount {
		return iam.ManagedPolicy{}, &iam.NotFoundError{Kind: iam.KindPolicy, Name: arn}
	}
	pol, err := r.Policies().Get(ctx, arn)
	return pol, notFoundAs(err, iam.KindPolicy, arn)
}

// ownPolicy is getPolicy for changes: AWS managed policies are read-only.
func ownPolicy(ctx context.Context, r store.Repos, account, arn string) (iam.ManagedPolicy, error) {
	pol, err := getPolicy(ctx, r, account, arn)
	if err == nil && pol.AWSManaged() {
		return pol, &iam.UnmodifiableEntityError{Name: arn}
	}
	return pol, err
}

// boundaryPolicy checks that arn names a managed policy the account may use
// as a permissions boundary.
func (s *Service) boundaryPolicy(ctx context.Context, r store.Repos, account, arn string) (iam.ManagedPolicy, error) {
	if _, err := checkPolicyARNFor(arn, arnBoundary); err != nil {
		return iam.ManagedPolicy{}, err
	}
	pol, err := getPolicy(ctx, r, account, arn)
	var nf *iam.NotFoundError
	if errors.As(err, &nf) && nf.Kind == iam.KindPolicy {
		return pol, &iam.NotFoundError{Kind: iam.KindBoundary, Name: arn}
	}
	if err == nil && isServiceRolePolicy(pol) {
		return pol, &serviceRolePolicyError{boundary: true}
	}
	return pol, err
}

// serviceRolePolicyPath is the path of the AWS managed policies that
// belong to a service's service-linked role.
const serviceRolePolicyPath = "/aws-service-role/"

// isServiceRolePolicy reports whether pol is an AWS managed policy of a
// service-linked role (arn:aws:iam::aws:policy/aws-service-role/...),
// which AWS attaches to that role alone: "You cannot attach this policy
// to a user, group, or role within IAM" (IAM User Guide, troubleshooting
// policies). Such policies exist in Brevet once imported with brevet
// import --aws-managed-policies; some grant IAM rights.
func isServiceRolePolicy(pol iam.ManagedPolicy) bool {
	return pol.AWSManaged() && strings.HasPrefix(pol.Path, serviceRolePolicyPath)
}

// serviceRolePolicyError: an attach or boundary of a service-linked
// role's AWS managed policy (AWS: PolicyNotAttachable). AWS's sentence for
// a role is public; those for a user, a group and a boundary are ours.
type serviceRolePolicyError struct {
	owner    iam.PrincipalKind
	boundary bool
}

func (e *serviceRolePolicyError) Error() string {
	switch {
	case e.boundary:
		return "Cannot use a Service Role Policy as a permissions boundary."
	case e.owner == iam.PrincipalUser:
		return "Cannot attach a Service Role Policy to a User."
	case e.owner == iam.PrincipalGroup:
		return "Cannot attach a Service Role Policy to a Group."
	}
	return "Cannot attach a Service Role Policy to a Customer Role."
}

func toPolicy(p iam.ManagedPolicy, full bool) iamapi.Policy {
	out := iamapi.Policy{PolicyName: p.Name, PolicyId: p.ID, Arn: p.ARN(), Path: p.Path,
		DefaultVersionId: p.DefaultVersion, AttachmentCount: ptr(int32(p.AttachmentCount)),
		PermissionsBoundaryUsageCount: ptr(int32(p.BoundaryUsageCount)), IsAttachable: ptr(true),
		CreateDate: utc(p.Created), UpdateDate: utc(p.Updated)}
	if full {
		out.Description = p.Description
		out.Tags = toTags(p.Tags)
	}
	return out
}

func toVersion(v iam.PolicyVersion, withDoc bool) iamapi.PolicyVersion {
	out := iamapi.PolicyVersion{VersionId: v.VersionID, IsDefaultVersion: ptr(v.IsDefault), CreateDate: utc(v.Created)}
	if withDoc {
		out.Document = encodeDocument(v.Document)
	}
	return out
}

// validateIdentityDocument checks a managed or inline identity policy:
// characters, then grammar and AWS's rules.
func validateIdentityDocument(field, doc string) error {
	if err := iam.ValidatePolicyDocumentText(field, doc); err != nil {
		return err
	}
	_, err := policy.ParseAndValidate([]byte(doc), policy.TypeIdentity)
	return err
}

// CreatePolicy creates a customer managed policy with version v1.
func (s *Service) CreatePolicy(ctx context.Context, p *identity.Principal, in *iamapi.CreatePolicyRequest, now time.Time) (*iamapi.CreatePolicyResponse, error) {
	pol := iam.ManagedPolicy{Account: p.Account, Name: in.PolicyName, Path: pathOr(in.Path),
		Description: in.Description, Created: now, Updated: now, DefaultVersion: "v1", Tags: fromTags(in.Tags)}
	if err := iam.ValidateManagedPolicy(pol, in.PolicyDocument); err != nil {
		return nil, err
	}
	if err := validateIdentityDocument("policyDocument", in.PolicyDocument); err != nil {
		return nil, err
	}
	id, err := credential.NewUniqueID(credential.PrefixManagedPolicy, p.Account, s.rand)
	if err != nil {
		return nil, err
	}
	pol.ID = id
	err = s.st.Policies().Create(ctx, pol, in.PolicyDocument)
	if err != nil {
		return nil, conflictAs(err, &iam.AlreadyExistsError{Kind: iam.KindPolicy, Name: pol.Name})
	}
	out := toPolicy(pol, true)
	out.Description = ""
	return &iamapi.CreatePolicyResponse{Policy: &out}, nil
}

// GetPolicy returns a managed policy's metadata.
func (s *Service) GetPolicy(ctx context.Context, p *identity.Principal, in *iamapi.GetPolicyRequest, _ time.Time) (*iamapi.GetPolicyResponse, error) {
	pol, err := getPolicy(ctx, s.st, p.Account, in.PolicyArn)
	if err != nil {
		return nil, tagTargetMissing(err)
	}
	out := toPolicy(pol, true)
	if out.Tags == nil {
		out.Tags = []iamapi.Tag{} // AWS's GetPolicy sends an empty Tags list
	}
	return &iamapi.GetPolicyResponse{Policy: &out}, nil
}

// listPolicyFilter is what ListPolicies keeps besides scope and path.
func listPolicyFilter(in *iamapi.ListPoliciesRequest) func(iam.ManagedPolicy) bool {
	if in.OnlyAttached == nil || !*in.OnlyAttached {
		return nil
	}
	return func(pol iam.ManagedPolicy) bool {
		switch in.PolicyUsageFilter {
		case iamapi.PolicyUsageTypePermissionsPolicy:
			return pol.AttachmentCount > 0
		case iamapi.PolicyUsageTypePermissionsBoundary:
			return pol.BoundaryUsageCount > 0
		}
		return pol.AttachmentCount > 0 || pol.BoundaryUsageCount > 0
	}
}

// ListPolicies lists managed policies: the account's (Local), AWS's (AWS)
// or both (All, the default), merged by name.
func (s *Service) ListPolicies(ctx context.Context, p *identity.Principal, in *iamapi.ListPoliciesRequest, _ time.Time) (*iamapi.ListPoliciesResponse, error) {
	var accounts []string
	switch in.Scope {
	case iamapi.PolicyScopeTypeAws:
		accounts = []string{iam.AWSAccount}
	case iamapi.PolicyScopeTypeLocal:
		accounts = []string{p.Account}
	default:
		accounts = []string{iam.AWSAccount, p.Account}
	}
	pg, err := pageNamed(in.Marker, in.MaxItems, func(pol iam.ManagedPolicy) string { return pol.Name }, listPolicyFilter(in),
		func(after string, limit int) ([]iam.ManagedPolicy, error) {
			var all []iam.ManagedPolicy
			for _, a := range accounts {
				l, err := s.st.Policies().List(ctx, a, store.ListOptions{PathPrefix: in.PathPrefix, After: after, Limit: limit})
				if err != nil {
					return nil, err
				}
				all = append(all, l...)
			}
			sort.SliceStable(all, func(i, j int) bool { return iam.NameKey(all[i].Name) < iam.NameKey(all[j].Name) })
			if len(all) > limit {
				all = all[:limit]
			}
			return all, nil
		})
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListPoliciesResponse{Policies: make([]iamapi.Policy, 0, len(pg.items)), IsTruncated: pg.isTruncated(), Marker: pg.marker}
	for _, pol := range pg.items {
		out.Policies = append(out.Policies, toPolicy(pol, false))
	}
	return out, nil
}

// DeletePolicy deletes a customer managed policy that is attached to
// nothing and has only its default version left.
func (s *Service) DeletePolicy(ctx context.Context, p *identity.Principal, in *iamapi.DeletePolicyRequest, _ time.Time) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		pol, err := ownPolicy(ctx, r, p.Account, in.PolicyArn)
		if err != nil {
			return tagTargetMissing(err)
		}
		if pol.AttachmentCount > 0 || pol.BoundaryUsageCount > 0 {
			return &iam.DeleteConflictError{Reason: iam.ConflictPolicyAttached}
		}
		vs, err := r.Policies().ListVersions(ctx, in.PolicyArn)
		if err != nil {
			return err
		}
		if len(vs) > 1 {
			return policyHasVersionsError{}
		}
		return conflictAs(r.Policies().Delete(ctx, in.PolicyArn), &iam.DeleteConflictError{Reason: iam.ConflictPolicyAttached})
	})
	return &awsquery.Empty{}, err
}

// CreatePolicyVersion adds a version (at most five are kept).
func (s *Service) CreatePolicyVersion(ctx context.Context, p *identity.Principal, in *iamapi.CreatePolicyVersionRequest, now time.Time) (*iamapi.CreatePolicyVersionResponse, error) {
	if err := iam.ValidateManagedPolicyDocument(in.PolicyDocument); err != nil {
		return nil, err
	}
	if err := validateIdentityDocument("policyDocument", in.PolicyDocument); err != nil {
		return nil, err
	}
	var v iam.PolicyVersion
	err := s.st.Tx(ctx, func(r store.Repos) error {
		if _, err := ownPolicy(ctx, r, p.Account, in.PolicyArn); err != nil {
			return err
		}
		vs, err := r.Policies().ListVersions(ctx, in.PolicyArn)
		if err != nil {
			return err
		}
		if len(vs) >= iam.MaxPolicyVersions {
			return &iam.LimitExceededError{Quota: iam.QuotaPolicyVersionsPerPolicy, Limit: iam.MaxPolicyVersions, Message: versionLimitMessage}
		}
		v, err = r.Policies().CreateVersion(ctx, in.PolicyArn, in.PolicyDocument, now, in.SetAsDefault != nil && *in.SetAsDefault)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := toVersion(v, false)
	return &iamapi.CreatePolicyVersionResponse{PolicyVersion: &out}, nil
}

// GetPolicyVersion returns one version with its (URL-encoded) document.
func (s *Service) GetPolicyVersion(ctx context.Context, p *identity.Principal, in *iamapi.GetPolicyVersionRequest, _ time.Time) (*iamapi.GetPolicyVersionResponse, error) {
	if _, err := getPolicy(ctx, s.st, p.Account, in.PolicyArn); err != nil {
		return nil, policyAsVersion(err, in.VersionId)
	}
	v, err := s.st.Policies().GetVersion(ctx, in.PolicyArn, in.VersionId)
	if err != nil {
		return nil, versionNotFound(err, in.PolicyArn, in.VersionId)
	}
	out := toVersion(v, true)
	return &iamapi.GetPolicyVersionResponse{PolicyVersion: &out}, nil
}

// policyAsVersion words a missing policy as GetPolicyVersion and
// SetDefaultPolicyVersion do: "Policy ARN version V does not exist or is
// not attachable.", naming the version asked for.
func policyAsVersion(err error, version string) error {
	var nf *iam.NotFoundError
	if errors.As(err, &nf) && nf.Kind == iam.KindPolicy {
		return &iam.NotFoundError{Kind: iam.KindPolicyVersion, Name: nf.Name, Version: version}
	}
	return err
}

func versionNotFound(err error, arn, version string) error {
	if errors.Is(err, store.ErrNotFound) {
		return &iam.NotFoundError{Kind: iam.KindPolicyVersion, Name: arn, Version: version}
	}
	return err
}

// ListPolicyVersions lists a policy's versions, newest first, without
// documents.
func (s *Service) ListPolicyVersions(ctx context.Context, p *identity.Principal, in *iamapi.ListPolicyVersionsRequest, _ time.Time) (*iamapi.ListPolicyVersionsResponse, error) {
	if _, err := getPolicy(ctx, s.st, p.Account, in.PolicyArn); err != nil {
		return nil, err
	}
	vs, err := s.st.Policies().ListVersions(ctx, in.PolicyArn)
	if err != nil {
		return nil, notFoundAs(err, iam.KindPolicy, in.PolicyArn)
	}
	pg, err := pageSlice(vs, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListPolicyVersionsResponse{Versions: make([]iamapi.PolicyVersion, 0, len(pg.items)), IsTruncated: pg.isTruncated(), Marker: pg.marker}
	for _, v := range pg.items {
		out.Versions = append(out.Versions, toVersion(v, false))
	}
	return out, nil
}

// SetDefaultPolicyVersion makes a version the one in force.
func (s *Service) SetDefaultPolicyVersion(ctx context.Context, p *identity.Principal, in *iamapi.SetDefaultPolicyVersionRequest, now time.Time) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		if _, err := ownPolicy(ctx, r, p.Account, in.PolicyArn); err != nil {
			return policyAsVersion(err, in.VersionId)
		}
		return versionNotFound(r.Policies().SetDefaultVersion(ctx, in.PolicyArn, in.VersionId, now), in.PolicyArn, in.VersionId)
	})
	return &awsquery.Empty{}, err
}

// DeletePolicyVersion deletes a version that is not the default.
func (s *Service) DeletePolicyVersion(ctx context.Context, p *identity.Principal, in *iamapi.DeletePolicyVersionRequest, _ time.Time) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		if _, err := ownPolicy(ctx, r, p.Account, in.PolicyArn); err != nil {
			return err
		}
		err := r.Policies().DeleteVersion(ctx, in.PolicyArn, in.VersionId)
		err = conflictAs(err, &iam.DeleteConflictError{Reason: iam.ConflictDefaultVersion})
		return versionNotFound(err, in.PolicyArn, in.VersionId)
	})
	return &awsquery.Empty{}, err
}

// tagTargetMissing words a missing policy as GetPolicy, DeletePolicy,
// TagPolicy and UntagPolicy do: "Policy ARN was not found.", not the attach
// actions' "does not exist or is not attachable".
func tagTargetMissing(err error) error {
	var nf *iam.NotFoundError
	if errors.As(err, &nf) && nf.Kind == iam.KindPolicy {
		return &iam.NotFoundError{Kind: iam.KindAttachment, Name: nf.Name}
	}
	return err
}

// TagPolicy adds or replaces tags on a customer managed policy.
func (s *Service) TagPolicy(ctx context.Context, p *identity.Principal, in *iamapi.TagPolicyRequest, _ time.Time) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		pol, err := ownPolicy(ctx, r, p.Account, in.PolicyArn)
		if err != nil {
			return tagTargetMissing(err)
		}
		if err := iam.ValidatePolicyTags("tags", fromTags(in.Tags)); err != nil {
			return err
		}
		tags := iam.MergePolicyTags(pol.Tags, fromTags(in.Tags))
		if err := iam.ValidatePolicyTags("tags", tags); err != nil {
			return err
		}
		return r.Policies().SetTags(ctx, in.PolicyArn, tags)
	})
	return &awsquery.Empty{}, err
}

// UntagPolicy removes tags from a customer managed policy.
func (s *Service) UntagPolicy(ctx context.Context, p *identity.Principal, in *iamapi.UntagPolicyRequest, _ time.Time) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		pol, err := ownPolicy(ctx, r, p.Account, in.PolicyArn)
		if err != nil {
			return tagTargetMissing(err)
		}
		return r.Policies().SetTags(ctx, in.PolicyArn, iam.RemovePolicyTags(pol.Tags, in.TagKeys))
	})
	return &awsquery.Empty{}, err
}

// ListPolicyTags lists a managed policy's tags.
func (s *Service) ListPolicyTags(ctx context.Context, p *identity.Principal, in *iamapi.ListPolicyTagsRequest, _ time.Time) (*iamapi.ListPolicyTagsResponse, error) {
	pol, err := getPolicy(ctx, s.st, p.Account, in.PolicyArn)
	if err != nil {
		return nil, err
	}
	pg, err := tagPage(pol.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListPolicyTagsResponse{Tags: pg.items, IsTruncated: pg.isTruncated(), Marker: pg.marker}, nil
}
