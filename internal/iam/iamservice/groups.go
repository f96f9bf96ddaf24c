package iamservice

import (
	"context"
	"errors"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/store"
)

func toGroup(g iam.Group) iamapi.Group {
	return iamapi.Group{Path: g.Path, GroupName: g.Name, GroupId: g.ID, Arn: g.ARN(), CreateDate: utc(g.Created)}
}

func getGroup(ctx context.Context, r store.Repos, account, name string) (iam.Group, error) {
	g, err := r.Groups().Get(ctx, account, name)
	return g, notFoundAs(err, iam.KindGroup, name)
}

// CreateGroup creates a group.
func (s *Service) CreateGroup(ctx context.Context, p *identity.Principal, in *iamapi.CreateGroupRequest, now time.Time) (*iamapi.CreateGroupResponse, error) {
	g := iam.Group{Account: p.Account, Name: in.GroupName, Path: pathOr(in.Path), Created: now}
	if err := iam.ValidateGroup(g); err != nil {
		return nil, err
	}
	id, err := credential.NewUniqueID(credential.PrefixGroup, p.Account, s.rand)
	if err != nil {
		return nil, err
	}
	g.ID = id
	if err := s.st.Groups().Create(ctx, g); err != nil {
		return nil, conflictAs(err, &iam.AlreadyExistsError{Kind: iam.KindGroup, Name: g.Name})
	}
	return &iamapi.CreateGroupResponse{Group: toGroup(g)}, nil
}

// GetGroup returns a group and a page of its members.
func (s *Service) GetGroup(ctx context.Context, p *identity.Principal, in *iamapi.GetGroupRequest, _ time.Time) (*iamapi.GetGroupResponse, error) {
	g, err := getGroup(ctx, s.st, p.Account, in.GroupName)
	if err != nil {
		return nil, err
	}
	users, err := s.st.Groups().ListUsers(ctx, p.Account, g.Name)
	if err != nil {
		return nil, notFoundAs(err, iam.KindGroup, in.GroupName)
	}
	pg, err := pageSlice(users, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.GetGroupResponse{Group: toGroup(g), Users: make([]iamapi.User, 0, len(pg.items)), IsTruncated: pg.isTruncated(), Marker: pg.marker}
	for _, u := range pg.items {
		out.Users = append(out.Users, toUser(u, false))
	}
	return out, nil
}

// ListGroups lists the account's groups by name.
func (s *Service) ListGroups(ctx context.Context, p *identity.Principal, in *iamapi.ListGroupsRequest, _ time.Time) (*iamapi.ListGroupsResponse, error) {
	pg, err := pageNamed(in.Marker, in.MaxItems, func(g iam.Group) string { return g.Name }, nil,
		func(after string, limit int) ([]iam.Group, error) {
			return s.st.Groups().List(ctx, p.Account, store.ListOptions{PathPrefix: in.PathPrefix, After: after, Limit: limit})
		})
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListGroupsResponse{Groups: make([]iamapi.Group, 0, len(pg.items)), IsTruncated: pg.isTruncated(), Marker: pg.marker}
	for _, g := range pg.items {
		out.Groups = append(out.Groups, toGroup(g))
	}
	return out, nil
}

// UpdateGroup renames a group or changes its path.
func (s *Service) UpdateGroup(ctx context.Context, p *identity.Principal, in *iamapi.UpdateGroupRequest, _ time.Time) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		g, err := getGroup(ctx, r, p.Account, in.GroupName)
		if err != nil {
			return err
		}
		if in.NewGroupName != "" {
			g.Name = in.NewGroupName
		}
		if in.NewPath != "" {
			g.Path = in.NewPath
		}
		if err := iam.ValidateGroup(g); err != nil {
			return err
		}
		return conflictAs(r.Groups().Update(ctx, g), &iam.AlreadyExistsError{Kind: iam.KindGroup, Name: g.Name})
	})
	return &awsquery.Empty{}, err
}

// DeleteGroup deletes a group without members or policies.
func (s *Service) DeleteGroup(ctx context.Context, p *identity.Principal, in *iamapi.DeleteGroupRequest, _ time.Time) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		deps, err := r.Groups().Dependents(ctx, p.Account, in.GroupName)
		if err != nil {
			return notFoundAs(err, iam.KindGroup, in.GroupName)
		}
		if err := deps.Conflict(); err != nil {
			return err
		}
		return r.Groups().Delete(ctx, p.Account, in.GroupName)
	})
	return &awsquery.Empty{}, err
}

// AddUserToGroup adds a user to a group (at most ten groups per user).
func (s *Service) AddUserToGroup(ctx context.Context, p *identity.Principal, in *iamapi.AddUserToGroupRequest, _ time.Time) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		g, err := getGroup(ctx, r, p.Account, in.GroupName)
		if err != nil {
			return err
		}
		if _, err := getUser(ctx, r, p.Account, in.UserName); err != nil {
			return err
		}
		groups, err := r.Groups().ListForUser(ctx, p.Account, in.UserName)
		if err != nil {
			return err
		}
		for _, x := range groups {
			if x.ID == g.ID {
				return nil
			}
		}
		if len(groups) >= iam.MaxGroupsPerUser {
			return &iam.LimitExceededError{Quota: iam.QuotaGroupsPerUser, Limit: iam.MaxGroupsPerUser}
		}
		return r.Groups().AddUser(ctx, p.Account, in.GroupName, in.UserName)
	})
	return &awsquery.Empty{}, err
}

// RemoveUserFromGroup ends a membership.
func (s *Service) RemoveUserFromGroup(ctx context.Context, p *identity.Principal, in *iamapi.RemoveUserFromGroupRequest, _ time.Time) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		// AWS looks for the user before the group, and removing a user
		// that is not a member succeeds.
		if _, err := getUser(ctx, r, p.Account, in.UserName); err != nil {
			return err
		}
		if _, err := getGroup(ctx, r, p.Account, in.GroupName); err != nil {
			return err
		}
		if err := r.Groups().RemoveUser(ctx, p.Account, in.GroupName, in.UserName); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return nil
	})
	return &awsquery.Empty{}, err
}

// ListGroupsForUser lists the groups a user belongs to.
func (s *Service) ListGroupsForUser(ctx context.Context, p *identity.Principal, in *iamapi.ListGroupsForUserRequest, _ time.Time) (*iamapi.ListGroupsForUserResponse, error) {
	if _, err := getUser(ctx, s.st, p.Account, in.UserName); err != nil {
		return nil, err
	}
	groups, err := s.st.Groups().ListForUser(ctx, p.Account, in.UserName)
	if err != nil {
		return nil, notFoundAs(err, iam.KindUser, in.UserName)
	}
	pg, err := pageSlice(groups, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListGroupsForUserResponse{Groups: make([]iamapi.Group, 0, len(pg.items)), IsTruncated: pg.isTruncated(), Marker: pg.marker}
	for _, g := range pg.items {
		out.Groups = append(out.Groups, toGroup(g))
	}
	return out, nil
}
