package iamservice

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/store"
)

// toTags converts tags for an answer in the order the entity keeps them:
// the request's order, a re-tagged key in its place and new keys last (a
// CreatePolicy answer echoes its tags in the request's order; LocalStack's
// recording of AWS, create-with-case-sensitive-tags). None is nil, so the
// member is left out.
func toTags(tags []iam.Tag) []iamapi.Tag {
	if len(tags) == 0 {
		return nil
	}
	out := make([]iamapi.Tag, len(tags))
	for i, t := range tags {
		out[i] = iamapi.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

// sortedTags is toTags in the order IAM lists tags, for the answers the
// model documents as "sorted by tag key" (the List*Tags actions, the
// providers' Get and Create): shorter keys first, then byte by byte. AWS
// lists a policy's keys abc, b, z, a as a, b, z, abc, and A before a
// (LocalStack's recordings of AWS, test_policy_tag_order and
// list-case-sensitive-tags).
func sortedTags(tags []iam.Tag) []iamapi.Tag {
	out := toTags(tags)
	slices.SortStableFunc(out, func(a, b iamapi.Tag) int {
		if c := cmp.Compare(len(a.Key), len(b.Key)); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// tagPage is one page of a List*Tags answer: the tags in IAM's order
// (sortedTags), an empty list when there are none.
func tagPage(tags []iam.Tag, marker string, maxItems *int32) (page[iamapi.Tag], error) {
	pg, err := pageSlice(sortedTags(tags), marker, maxItems)
	pg.items = nonNil(pg.items)
	return pg, err
}

// orEmpty makes a list IAM sends as an empty <Tags/> when there are none
// (GetPolicy, the providers' Get, a user's authorization details).
func orEmpty(tags []iamapi.Tag) []iamapi.Tag {
	if tags == nil {
		return []iamapi.Tag{}
	}
	return tags
}

func fromTags(tags []iamapi.Tag) []iam.Tag {
	if len(tags) == 0 {
		return nil
	}
	out := make([]iam.Tag, len(tags))
	for i, t := range tags {
		out[i] = iam.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

// boundaryTypePolicy is the PermissionsBoundaryType IAM sends: "Policy",
// not the botocore model's enum value "PermissionsBoundaryPolicy"
// (awsdocs/iam-user-guide#82; the AWS CLI's create-user example output).
const boundaryTypePolicy = "Policy"

func toBoundary(arn string) *iamapi.AttachedPermissionsBoundary {
	if arn == "" {
		return nil
	}
	return &iamapi.AttachedPermissionsBoundary{
		PermissionsBoundaryType: boundaryTypePolicy,
		PermissionsBoundaryArn:  arn,
	}
}

// toUser converts a user; full adds what GetUser and CreateUser return and
// ListUsers leaves out (boundary and tags).
func toUser(u iam.User, full bool) iamapi.User {
	out := iamapi.User{Path: u.Path, UserName: u.Name, UserId: u.ID, Arn: u.ARN(),
		CreateDate: utc(u.Created), PasswordLastUsed: utc(u.PasswordLastUsed)}
	if full {
		out.PermissionsBoundary = toBoundary(u.PermissionsBoundary)
		out.Tags = toTags(u.Tags)
	}
	return out
}

// getUser reads a user with AWS's NoSuchEntity.
func getUser(ctx context.Context, r store.Repos, account, name string) (iam.User, error) {
	u, err := r.Users().Get(ctx, account, name)
	return u, notFoundAs(err, iam.KindUser, name)
}

// CreateUser creates an IAM user.
func (s *Service) CreateUser(ctx context.Context, p *identity.Principal, in *iamapi.CreateUserRequest, now time.Time) (*iamapi.CreateUserResponse, error) {
	u := iam.User{Account: p.Account, Name: in.UserName, Path: pathOr(in.Path), Created: now,
		PermissionsBoundary: in.PermissionsBoundary, Tags: fromTags(in.Tags)}
	if err := iam.ValidateUser(u); err != nil {
		return nil, err
	}
	id, err := credential.NewUniqueID(credential.PrefixUser, p.Account, s.rand)
	if err != nil {
		return nil, err
	}
	u.ID = id
	err = s.st.Tx(ctx, func(r store.Repos) error {
		if u.PermissionsBoundary != "" {
			if _, err := s.boundaryPolicy(ctx, r, p.Account, u.PermissionsBoundary); err != nil {
				return err
			}
		}
		err := r.Users().Create(ctx, u)
		return conflictAs(err, &iam.AlreadyExistsError{Kind: iam.KindUser, Name: u.Name})
	})
	if err != nil {
		return nil, err
	}
	out := toUser(u, true)
	return &iamapi.CreateUserResponse{User: &out}, nil
}

// GetUser returns a user, or the calling user when UserName is empty.
func (s *Service) GetUser(ctx context.Context, p *identity.Principal, in *iamapi.GetUserRequest, _ time.Time) (*iamapi.GetUserResponse, error) {
	name := in.UserName
	if name == "" {
		switch p.Type {
		case identity.IAMUser:
			name = p.UserName
		case identity.Root:
			return &iamapi.GetUserResponse{User: iamapi.User{UserId: p.Account, Arn: iam.RootARN(p.Account)}}, nil
		default:
			return nil, userNameRequiredError{}
		}
	}
	u, err := getUser(ctx, s.st, p.Account, name)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetUserResponse{User: toUser(u, true)}, nil
}

// UpdateUser renames a user or changes its path.
func (s *Service) UpdateUser(ctx context.Context, p *identity.Principal, in *iamapi.UpdateUserRequest, _ time.Time) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		u, err := getUser(ctx, r, p.Account, in.UserName)
		if err != nil {
			return err
		}
		if in.NewUserName != "" {
			u.Name = in.NewUserName
		}
		if in.NewPath != "" {
			u.Path = in.NewPath
		}
		if err := iam.ValidateUser(u); err != nil {
			return err
		}
		return conflictAs(r.Users().Update(ctx, u), &iam.AlreadyExistsError{Kind: iam.KindUser, Name: u.Name})
	})
	return &awsquery.Empty{}, err
}

// DeleteUser deletes a user that has no access keys, MFA devices,
// policies or group memberships left.
func (s *Service) DeleteUser(ctx context.Context, p *identity.Principal, in *iamapi.DeleteUserRequest, _ time.Time) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		deps, err := r.Users().Dependents(ctx, p.Account, in.UserName)
		if err != nil {
			return notFoundAs(err, iam.KindUser, in.UserName)
		}
		if err := deps.Conflict(); err != nil {
			return err
		}
		return r.Users().Delete(ctx, p.Account, in.UserName)
	})
	return &awsquery.Empty{}, err
}

// ListUsers lists the account's users by name.
func (s *Service) ListUsers(ctx context.Context, p *identity.Principal, in *iamapi.ListUsersRequest, _ time.Time) (*iamapi.ListUsersResponse, error) {
	pg, err := pageNamed(in.Marker, in.MaxItems, func(u iam.User) string { return u.Name }, nil,
		func(after string, limit int) ([]iam.User, error) {
			return s.st.Users().List(ctx, p.Account, store.ListOptions{PathPrefix: in.PathPrefix, After: after, Limit: limit})
		})
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListUsersResponse{Users: make([]iamapi.User, 0, len(pg.items)), IsTruncated: pg.isTruncated(), Marker: pg.marker}
	for _, u := range pg.items {
		out.Users = append(out.Users, toUser(u, false))
	}
	return out, nil
}
