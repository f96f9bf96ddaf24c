package iamservice

import (
	"context"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/store"
)

// attach attaches a managed policy of the caller's account or AWS's, within
// the ten-policies quota; attaching twice is a no-op.
func (s *Service) attach(ctx context.Context, o iam.Owner, arn string) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		if _, err := checkPolicyARNFor(arn, arnAttach); err != nil {
			return err
		}
		if err := checkWritableOwner(ctx, r, o); err != nil {
			return err
		}
		pol, err := getPolicy(ctx, r, o.Account, arn)
		if err != nil {
			return err
		}
		if isServiceRolePolicy(pol) {
			return &serviceRolePolicyError{owner: o.Kind}
		}
		att, err := r.Attachments().List(ctx, o)
		if err != nil {
			return err
		}
		for _, a := range att {
			if a.ARN == arn {
				return nil
			}
		}
		if err := iam.CheckAttachQuota(o.Kind, len(att)); err != nil {
			return err
		}
		return notFoundAs(r.Attachments().Attach(ctx, o, arn), iam.KindPolicy, arn)
	})
	return &awsquery.Empty{}, err
}

func (s *Service) detach(ctx context.Context, o iam.Owner, arn string) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		if _, err := checkPolicyARNFor(arn, arnBoundary); err != nil {
			return err
		}
		if err := checkWritableOwner(ctx, r, o); err != nil {
			return err
		}
		return notFoundAs(r.Attachments().Detach(ctx, o, arn), iam.KindAttachment, arn)
	})
	return &awsquery.Empty{}, err
}

// listAttached pages an owner's attached policies, keeping those whose
// path starts with prefix.
func (s *Service) listAttached(ctx context.Context, o iam.Owner, prefix, marker string, maxItems *int32) (page[iamapi.AttachedPolicy], error) {
	if err := checkOwner(ctx, s.st, o); err != nil {
		return page[iamapi.AttachedPolicy]{}, err
	}
	att, err := s.st.Attachments().List(ctx, o)
	if err != nil {
		return page[iamapi.AttachedPolicy]{}, err
	}
	list := make([]iamapi.AttachedPolicy, 0, len(att))
	for _, a := range att {
		if prefix != "" {
			ref, err := iam.ParseEntityARN(a.ARN)
			if err != nil || !strings.HasPrefix(ref.Path, prefix) {
				continue
			}
		}
		list = append(list, iamapi.AttachedPolicy{PolicyName: a.Name, PolicyArn: a.ARN})
	}
	return pageSlice(list, marker, maxItems)
}

// AttachUserPolicy attaches a managed policy to a user.
func (s *Service) AttachUserPolicy(ctx context.Context, p *identity.Principal, in *iamapi.AttachUserPolicyRequest, _ time.Time) (*awsquery.Empty, error) {
	return s.attach(ctx, userOwner(p, in.UserName), in.PolicyArn)
}

// AttachGroupPolicy attaches a managed policy to a group.
func (s *Service) AttachGroupPolicy(ctx context.Context, p *identity.Principal, in *iamapi.AttachGroupPolicyRequest, _ time.Time) (*awsquery.Empty, error) {
	return s.attach(ctx, groupOwner(p, in.GroupName), in.PolicyArn)
}

// AttachRolePolicy attaches a managed policy to a role.
func (s *Service) AttachRolePolicy(ctx context.Context, p *identity.Principal, in *iamapi.AttachRolePolicyRequest, _ time.Time) (*awsquery.Empty, error) {
	return s.attach(ctx, roleOwner(p, in.RoleName), in.PolicyArn)
}

// DetachUserPolicy detaches a managed policy from a user.
func (s *Service) DetachUserPolicy(ctx context.Context, p *identity.Principal, in *iamapi.DetachUserPolicyRequest, _ time.Time) (*awsquery.Empty, error) {
	return s.detach(ctx, userOwner(p, in.UserName), in.PolicyArn)
}

// DetachGroupPolicy detaches a managed policy from a group.
func (s *Service) DetachGroupPolicy(ctx context.Context, p *identity.Principal, in *iamapi.DetachGroupPolicyRequest, _ time.Time) (*awsquery.Empty, error) {
	return s.detach(ctx, groupOwner(p, in.GroupName), in.PolicyArn)
}

// DetachRolePolicy detaches a managed policy from a role.
func (s *Service) DetachRolePolicy(ctx context.Context, p *identity.Principal, in *iamapi.DetachRolePolicyRequest, _ time.Time) (*awsquery.Empty, error) {
	return s.detach(ctx, roleOwner(p, in.RoleName), in.PolicyArn)
}

// ListAttachedUserPolicies lists the managed policies attached to a user.
func (s *Service) ListAttachedUserPolicies(ctx context.Context, p *identity.Principal, in *iamapi.ListAttachedUserPoliciesRequest, _ time.Time) (*iamapi.ListAttachedUserPoliciesResponse, error) {
	pg, err := s.listAttached(ctx, userOwner(p, in.UserName), in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListAttachedUserPoliciesResponse{AttachedPolicies: nonNil(pg.items), IsTruncated: pg.isTruncated(), Marker: pg.marker}, nil
}

// ListAttachedGroupPolicies lists the managed policies attached to a group.
func (s *Service) ListAttachedGroupPolicies(ctx context.Context, p *identity.Principal, in *iamapi.ListAttachedGroupPoliciesRequest, _ time.Time) (*iamapi.ListAttachedGroupPoliciesResponse, error) {
	pg, err := s.listAttached(ctx, groupOwner(p, in.GroupName), in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListAttachedGroupPoliciesResponse{AttachedPolicies: nonNil(pg.items), IsTruncated: pg.isTruncated(), Marker: pg.marker}, nil
}

// ListAttachedRolePolicies lists the managed policies attached to a role.
func (s *Service) ListAttachedRolePolicies(ctx context.Context, p *identity.Principal, in *iamapi.ListAttachedRolePoliciesRequest, _ time.Time) (*iamapi.ListAttachedRolePoliciesResponse, error) {
	pg, err := s.listAttached(ctx, roleOwner(p, in.RoleName), in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListAttachedRolePoliciesResponse{AttachedPolicies: nonNil(pg.items), IsTruncated: pg.isTruncated(), Marker: pg.marker}, nil
}

// policyEntity is one row of ListEntitiesForPolicy.
type policyEntity struct {
	kind     iam.PrincipalKind
	name, id string
}

// ListEntitiesForPolicy lists the users, groups and roles a managed policy
// is attached to and, unless filtered out, the users and roles that use it
// as their permissions boundary.
func (s *Service) ListEntitiesForPolicy(ctx context.Context, p *identity.Principal, in *iamapi.ListEntitiesForPolicyRequest, _ time.Time) (*iamapi.ListEntitiesForPolicyResponse, error) {
	pol, err := getPolicy(ctx, s.st, p.Account, in.PolicyArn)
	if err != nil {
		return nil, err
	}
	var ents []policyEntity
	want := func(k iam.PrincipalKind, path string) bool {
		if in.PathPrefix != "" && !strings.HasPrefix(path, in.PathPrefix) {
			return false
		}
		switch in.EntityFilter {
		case "":
			return true
		case iamapi.EntityTypeLocalManagedPolicy, iamapi.EntityTypeAWSManagedPolicy:
			return false // no user, group or role is a policy: IAM answers empty lists
		case iamapi.EntityTypeUser:
			return k == iam.PrincipalUser
		case iamapi.EntityTypeGroup:
			return k == iam.PrincipalGroup
		}
		return k == iam.PrincipalRole
	}
	if in.PolicyUsageFilter != iamapi.PolicyUsageTypePermissionsBoundary {
		owners, err := s.st.Attachments().ListEntities(ctx, in.PolicyArn)
		if err != nil {
			return nil, err
		}
		for _, o := range owners {
			if o.Account != p.Account {
				continue
			}
			e, path, err := s.entityID(ctx, o)
			if err != nil {
				return nil, err
			}
			if want(o.Kind, path) {
				ents = append(ents, e)
			}
		}
	}
	// Scanning for boundaries reads every user and role: only when the
	// store counted some (a console page shows where a policy is used).
	if in.PolicyUsageFilter != iamapi.PolicyUsageTypePermissionsPolicy && pol.BoundaryUsageCount > 0 {
		b, err := s.boundaryUsers(ctx, p.Account, in.PolicyArn, want)
		if err != nil {
			return nil, err
		}
		ents = append(ents, b...)
	}
	pg, err := pageSlice(ents, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListEntitiesForPolicyResponse{PolicyGroups: []iamapi.PolicyGroup{}, PolicyUsers: []iamapi.PolicyUser{},
		PolicyRoles: []iamapi.PolicyRole{}, IsTruncated: pg.isTruncated(), Marker: pg.marker}
	for _, e := range pg.items {
		switch e.kind {
		case iam.PrincipalUser:
			out.PolicyUsers = append(out.PolicyUsers, iamapi.PolicyUser{UserName: e.name, UserId: e.id})
		case iam.PrincipalGroup:
			out.PolicyGroups = append(out.PolicyGroups, iamapi.PolicyGroup{GroupName: e.name, GroupId: e.id})
		default:
			out.PolicyRoles = append(out.PolicyRoles, iamapi.PolicyRole{RoleName: e.name, RoleId: e.id})
		}
	}
	return out, nil
}

// entityID reads the unique id and path of an attachment's owner.
func (s *Service) entityID(ctx context.Context, o iam.Owner) (policyEntity, string, error) {
	e := policyEntity{kind: o.Kind, name: o.Name}
	switch o.Kind {
	case iam.PrincipalUser:
		u, err := s.st.Users().Get(ctx, o.Account, o.Name)
		e.id = u.ID
		return e, u.Path, err
	case iam.PrincipalGroup:
		g, err := s.st.Groups().Get(ctx, o.Account, o.Name)
		e.id = g.ID
		return e, g.Path, err
	}
	r, err := s.st.Roles().Get(ctx, o.Account, o.Name)
	e.id = r.ID
	return e, r.Path, err
}

// boundaryUsers scans the account's users and roles for those whose
// permissions boundary is arn. The store has no index for it; boundaries
// are few and this listing is rare.
func (s *Service) boundaryUsers(ctx context.Context, account, arn string, want func(iam.PrincipalKind, string) bool) ([]policyEntity, error) {
	var out []policyEntity
	users, err := s.st.Users().List(ctx, account, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if u.PermissionsBoundary == arn && want(iam.PrincipalUser, u.Path) {
			out = append(out, policyEntity{kind: iam.PrincipalUser, name: u.Name, id: u.ID})
		}
	}
	roles, err := s.st.Roles().List(ctx, account, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	for _, r := range roles {
		if r.PermissionsBoundary == arn && want(iam.PrincipalRole, r.Path) {
			out = append(out, policyEntity{kind: iam.PrincipalRole, name: r.Name, id: r.ID})
		}
	}
	return out, nil
}

// PutUserPermissionsBoundary sets a user's permissions boundary.
func (s *Service) PutUserPermissionsBoundary(ctx context.Context, p *identity.Principal, in *iamapi.PutUserPermissionsBoundaryRequest, _ time.Time) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		u, err := getUser(ctx, r, p.Account, in.UserName)
		if err != nil {
			return err
		}
		if _, err := s.boundaryPolicy(ctx, r, p.Account, in.PermissionsBoundary); err != nil {
			return err
		}
		u.PermissionsBoundary = in.PermissionsBoundary
		return r.Users().Update(ctx, u)
	})
	return &awsquery.Empty{}, err
}

// PutRolePermissionsBoundary sets a role's permissions boundary; a
// service-linked role takes none (UnmodifiableEntity).
func (s *Service) PutRolePermissionsBoundary(ctx context.Context, p *identity.Principal, in *iamapi.PutRolePermissionsBoundaryRequest, _ time.Time) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		role, err := getRole(ctx, r, p.Account, in.RoleName)
		if err != nil {
			return err
		}
		if err := checkModifiable(role); err != nil {
			return err
		}
		if _, err := s.boundaryPolicy(ctx, r, p.Account, in.PermissionsBoundary); err != nil {
			return err
		}
		role.PermissionsBoundary = in.PermissionsBoundary
		return r.Roles().Update(ctx, role)
	})
	return &awsquery.Empty{}, err
}

// DeleteUserPermissionsBoundary removes a user's permissions boundary.
func (s *Service) DeleteUserPermissionsBoundary(ctx context.Context, p *identity.Principal, in *iamapi.DeleteUserPermissionsBoundaryRequest, _ time.Time) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		u, err := getUser(ctx, r, p.Account, in.UserName)
		if err != nil {
			return err
		}
		u.PermissionsBoundary = ""
		return r.Users().Update(ctx, u)
	})
	return &awsquery.Empty{}, err
}

// DeleteRolePermissionsBoundary removes a role's permissions boundary.
func (s *Service) DeleteRolePermissionsBoundary(ctx context.Context, p *identity.Principal, in *iamapi.DeleteRolePermissionsBoundaryRequest, _ time.Time) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		role, err := getRole(ctx, r, p.Account, in.RoleName)
		if err != nil {
			return err
		}
		if err := checkModifiable(role); err != nil {
			return err
		}
		role.PermissionsBoundary = ""
		return r.Roles().Update(ctx, role)
	})
	return &awsquery.Empty{}, err
}

// TagUser adds or replaces tags on a user (at most 50).
func (s *Service) TagUser(ctx context.Context, p *identity.Principal, in *iamapi.TagUserRequest, _ time.Time) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		u, err := getUser(ctx, r, p.Account, in.UserName)
		if err != nil {
			return err
		}
		if err := iam.ValidateTags("tags", fromTags(in.Tags)); err != nil {
			return err
		}
		if u.Tags, err = iam.AddTags(u.Tags, fromTags(in.Tags), iam.MaxTags); err != nil {
			return err
		}
		return r.Users().Update(ctx, u)
	})
	return &awsquery.Empty{}, err
}

// UntagUser removes tags from a user.
func (s *Service) UntagUser(ctx context.Context, p *identity.Principal, in *iamapi.UntagUserRequest, _ time.Time) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		u, err := getUser(ctx, r, p.Account, in.UserName)
		if err != nil {
			return err
		}
		u.Tags = iam.RemoveTags(u.Tags, in.TagKeys)
		return r.Users().Update(ctx, u)
	})
	return &awsquery.Empty{}, err
}

// ListUserTags lists a user's tags.
func (s *Service) ListUserTags(ctx context.Context, p *identity.Principal, in *iamapi.ListUserTagsRequest, _ time.Time) (*iamapi.ListUserTagsResponse, error) {
	u, err := getUser(ctx, s.st, p.Account, in.UserName)
	if err != nil {
		return nil, err
	}
	pg, err := tagPage(u.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListUserTagsResponse{Tags: pg.items, IsTruncated: pg.isTruncated(), Marker: pg.marker}, nil
}

// TagRole adds or replaces tags on a role (at most 50).
func (s *Service) TagRole(ctx context.Context, p *identity.Principal, in *iamapi.TagRoleRequest, _ time.Time) (*awsquery.Empty, error) {
	if err := iam.ValidateTags("tags", fromTags(in.Tags)); err != nil {
		return nil, err
	}
	_, err := s.updateRole(ctx, p.Account, in.RoleName, func(r *iam.Role) (err error) {
		r.Tags, err = iam.AddTags(r.Tags, fromTags(in.Tags), iam.MaxTags)
		return err
	})
	return &awsquery.Empty{}, err
}

// UntagRole removes tags from a role.
func (s *Service) UntagRole(ctx context.Context, p *identity.Principal, in *iamapi.UntagRoleRequest, _ time.Time) (*awsquery.Empty, error) {
	_, err := s.updateRole(ctx, p.Account, in.RoleName, func(r *iam.Role) error {
		r.Tags = iam.RemoveTags(r.Tags, in.TagKeys)
		return nil
	})
	return &awsquery.Empty{}, err
}

// ListRoleTags lists a role's tags.
func (s *Service) ListRoleTags(ctx context.Context, p *identity.Principal, in *iamapi.ListRoleTagsRequest, _ time.Time) (*iamapi.ListRoleTagsResponse, error) {
	role, err := getRole(ctx, s.st, p.Account, in.RoleName)
	if err != nil {
		return nil, err
	}
	pg, err := tagPage(role.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListRoleTagsResponse{Tags: pg.items, IsTruncated: pg.isTruncated(), Marker: pg.marker}, nil
}
