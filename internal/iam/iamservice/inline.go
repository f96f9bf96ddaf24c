package iamservice

import (
	"context"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/store"
)

// checkOwner returns NoSuchEntity for a user, group or role that does not
// exist.
func checkOwner(ctx context.Context, r store.Repos, o iam.Owner) error {
	var err error
	switch o.Kind {
	case iam.PrincipalUser:
		_, err = getUser(ctx, r, o.Account, o.Name)
	case iam.PrincipalGroup:
		_, err = getGroup(ctx, r, o.Account, o.Name)
	default:
		_, err = getRole(ctx, r, o.Account, o.Name)
	}
	return err
}

// checkWritableOwner is checkOwner for a change: a service-linked role is
// changed only by the service-linked role actions (checkModifiable).
func checkWritableOwner(ctx context.Context, r store.Repos, o iam.Owner) error {
	if o.Kind != iam.PrincipalRole {
		return checkOwner(ctx, r, o)
	}
	role, err := getRole(ctx, r, o.Account, o.Name)
	if err != nil {
		return err
	}
	return checkModifiable(role)
}

// inlineKind is the NotFoundError kind of an owner's inline policy.
func inlineKind(k iam.PrincipalKind) iam.EntityKind {
	switch k {
	case iam.PrincipalUser:
		return iam.KindUserPolicy
	case iam.PrincipalGroup:
		return iam.KindGroupPolicy
	}
	return iam.KindRolePolicy
}

// putInline creates or replaces an inline policy within the owner's
// aggregate size quota.
func (s *Service) putInline(ctx context.Context, o iam.Owner, name, doc string) error {
	if err := iam.ValidatePolicyName(name); err != nil {
		return err
	}
	if err := validateIdentityDocument("policyDocument", doc); err != nil {
		return err
	}
	return s.st.Tx(ctx, func(r store.Repos) error {
		if err := checkWritableOwner(ctx, r, o); err != nil {
			return err
		}
		existing, err := r.InlinePolicies().List(ctx, o)
		if err != nil {
			return err
		}
		if err := iam.CheckInlinePolicySize(o.Kind, o.Name, existing, name, doc); err != nil {
			return err
		}
		return r.InlinePolicies().Put(ctx, o, iam.InlinePolicy{Name: name, Document: doc})
	})
}

func (s *Service) getInline(ctx context.Context, o iam.Owner, name string) (iam.InlinePolicy, error) {
	if err := checkOwner(ctx, s.st, o); err != nil {
		return iam.InlinePolicy{}, err
	}
	ip, err := s.st.InlinePolicies().Get(ctx, o, name)
	return ip, notFoundAs(err, inlineKind(o.Kind), name)
}

func (s *Service) listInline(ctx context.Context, o iam.Owner, marker string, maxItems *int32) (page[string], error) {
	if err := checkOwner(ctx, s.st, o); err != nil {
		return page[string]{}, err
	}
	ps, err := s.st.InlinePolicies().List(ctx, o)
	if err != nil {
		return page[string]{}, err
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return pageSlice(names, marker, maxItems)
}

func (s *Service) deleteInline(ctx context.Context, o iam.Owner, name string) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		if err := checkWritableOwner(ctx, r, o); err != nil {
			return err
		}
		return notFoundAs(r.InlinePolicies().Delete(ctx, o, name), inlineKind(o.Kind), name)
	})
	return &awsquery.Empty{}, err
}

func userOwner(p *identity.Principal, name string) iam.Owner {
	return iam.Owner{Kind: iam.PrincipalUser, Account: p.Account, Name: name}
}

func groupOwner(p *identity.Principal, name string) iam.Owner {
	return iam.Owner{Kind: iam.PrincipalGroup, Account: p.Account, Name: name}
}

func roleOwner(p *identity.Principal, name string) iam.Owner {
	return iam.Owner{Kind: iam.PrincipalRole, Account: p.Account, Name: name}
}

// PutUserPolicy embeds an inline policy in a user.
func (s *Service) PutUserPolicy(ctx context.Context, p *identity.Principal, in *iamapi.PutUserPolicyRequest, _ time.Time) (*awsquery.Empty, error) {
	return &awsquery.Empty{}, s.putInline(ctx, userOwner(p, in.UserName), in.PolicyName, in.PolicyDocument)
}

// PutGroupPolicy embeds an inline policy in a group.
func (s *Service) PutGroupPolicy(ctx context.Context, p *identity.Principal, in *iamapi.PutGroupPolicyRequest, _ time.Time) (*awsquery.Empty, error) {
	return &awsquery.Empty{}, s.putInline(ctx, groupOwner(p, in.GroupName), in.PolicyName, in.PolicyDocument)
}

// PutRolePolicy embeds an inline policy in a role.
func (s *Service) PutRolePolicy(ctx context.Context, p *identity.Principal, in *iamapi.PutRolePolicyRequest, _ time.Time) (*awsquery.Empty, error) {
	return &awsquery.Empty{}, s.putInline(ctx, roleOwner(p, in.RoleName), in.PolicyName, in.PolicyDocument)
}

// GetUserPolicy returns a user's inline policy, URL-encoded as AWS does.
func (s *Service) GetUserPolicy(ctx context.Context, p *identity.Principal, in *iamapi.GetUserPolicyRequest, _ time.Time) (*iamapi.GetUserPolicyResponse, error) {
	ip, err := s.getInline(ctx, userOwner(p, in.UserName), in.PolicyName)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetUserPolicyResponse{UserName: in.UserName, PolicyName: ip.Name, PolicyDocument: encodeDocument(ip.Document)}, nil
}

// GetGroupPolicy returns a group's inline policy.
func (s *Service) GetGroupPolicy(ctx context.Context, p *identity.Principal, in *iamapi.GetGroupPolicyRequest, _ time.Time) (*iamapi.GetGroupPolicyResponse, error) {
	ip, err := s.getInline(ctx, groupOwner(p, in.GroupName), in.PolicyName)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetGroupPolicyResponse{GroupName: in.GroupName, PolicyName: ip.Name, PolicyDocument: encodeDocument(ip.Document)}, nil
}

// GetRolePolicy returns a role's inline policy.
func (s *Service) GetRolePolicy(ctx context.Context, p *identity.Principal, in *iamapi.GetRolePolicyRequest, _ time.Time) (*iamapi.GetRolePolicyResponse, error) {
	ip, err := s.getInline(ctx, roleOwner(p, in.RoleName), in.PolicyName)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetRolePolicyResponse{RoleName: in.RoleName, PolicyName: ip.Name, PolicyDocument: encodeDocument(ip.Document)}, nil
}

// ListUserPolicies lists the names of a user's inline policies.
func (s *Service) ListUserPolicies(ctx context.Context, p *identity.Principal, in *iamapi.ListUserPoliciesRequest, _ time.Time) (*iamapi.ListUserPoliciesResponse, error) {
	pg, err := s.listInline(ctx, userOwner(p, in.UserName), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListUserPoliciesResponse{PolicyNames: nonNil(pg.items), IsTruncated: pg.isTruncated(), Marker: pg.marker}, nil
}

// ListGroupPolicies lists the names of a group's inline policies.
func (s *Service) ListGroupPolicies(ctx context.Context, p *identity.Principal, in *iamapi.ListGroupPoliciesRequest, _ time.Time) (*iamapi.ListGroupPoliciesResponse, error) {
	pg, err := s.listInline(ctx, groupOwner(p, in.GroupName), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListGroupPoliciesResponse{PolicyNames: nonNil(pg.items), IsTruncated: pg.isTruncated(), Marker: pg.marker}, nil
}

// ListRolePolicies lists the names of a role's inline policies.
func (s *Service) ListRolePolicies(ctx context.Context, p *identity.Principal, in *iamapi.ListRolePoliciesRequest, _ time.Time) (*iamapi.ListRolePoliciesResponse, error) {
	pg, err := s.listInline(ctx, roleOwner(p, in.RoleName), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListRolePoliciesResponse{PolicyNames: nonNil(pg.items), IsTruncated: pg.isTruncated(), Marker: pg.marker}, nil
}

// DeleteUserPolicy deletes a user's inline policy.
func (s *Service) DeleteUserPolicy(ctx context.Context, p *identity.Principal, in *iamapi.DeleteUserPolicyRequest, _ time.Time) (*awsquery.Empty, error) {
	return s.deleteInline(ctx, userOwner(p, in.UserName), in.PolicyName)
}

// DeleteGroupPolicy deletes a group's inline policy.
func (s *Service) DeleteGroupPolicy(ctx context.Context, p *identity.Principal, in *iamapi.DeleteGroupPolicyRequest, _ time.Time) (*awsquery.Empty, error) {
	return s.deleteInline(ctx, groupOwner(p, in.GroupName), in.PolicyName)
}

// DeleteRolePolicy deletes a role's inline policy.
func (s *Service) DeleteRolePolicy(ctx context.Context, p *identity.Principal, in *iamapi.DeleteRolePolicyRequest, _ time.Time) (*awsquery.Empty, error) {
	return s.deleteInline(ctx, roleOwner(p, in.RoleName), in.PolicyName)
}

// nonNil makes an empty list encode as an empty element, as AWS sends
// required lists.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
