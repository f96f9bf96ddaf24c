package iamservice

import (
	"context"
	"errors"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/trust"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
)

// InstanceProfileActions lists the instance-profile actions Register
// serves.
var InstanceProfileActions = []string{
	"CreateInstanceProfile",
	"GetInstanceProfile",
	"ListInstanceProfiles",
	"ListInstanceProfilesForRole",
	"AddRoleToInstanceProfile",
	"RemoveRoleFromInstanceProfile",
	"DeleteInstanceProfile",
	"TagInstanceProfile",
	"UntagInstanceProfile",
	"ListInstanceProfileTags",
}

// profileShower turns stored profiles into the wire shape, reading each
// role a profile holds once and showing its trust policy as GetRole does.
type profileShower struct {
	st    store.Repos
	sh    *trust.Shower
	roles map[string]*iamapi.Role
}

func (s *Service) newProfileShower() *profileShower {
	return &profileShower{st: s.st, sh: trust.NewShower(s.st), roles: map[string]*iamapi.Role{}}
}

// show converts p; tags says whether to include its tags (the Get and
// Create actions do, the listings do not, as AWS).
func (ps *profileShower) show(ctx context.Context, p iam.InstanceProfile, tags bool) (iamapi.InstanceProfile, error) {
	out := iamapi.InstanceProfile{Path: p.Path, InstanceProfileName: p.Name, InstanceProfileId: p.ID, Arn: p.ARN(),
		CreateDate: utc(p.Created), Roles: make([]iamapi.Role, 0, len(p.Roles))}
	if tags {
		out.Tags = toTags(p.Tags)
	}
	for _, name := range p.Roles {
		r, err := ps.role(ctx, p.Account, name)
		if err != nil {
			return out, err
		}
		out.Roles = append(out.Roles, *r)
	}
	return out, nil
}

// role returns a role as an instance profile lists it: identity, creation
// date and trust policy (AWS leaves out the rest).
func (ps *profileShower) role(ctx context.Context, account, name string) (*iamapi.Role, error) {
	key := iam.NameKey(name)
	if r, ok := ps.roles[key]; ok {
		return r, nil
	}
	role, err := ps.st.Roles().Get(ctx, account, name)
	if err != nil {
		return nil, err
	}
	if err := showTrust(ctx, ps.sh, &role); err != nil {
		return nil, err
	}
	r := &iamapi.Role{Path: role.Path, RoleName: role.Name, RoleId: role.ID, Arn: role.ARN(), CreateDate: utc(role.Created),
		AssumeRolePolicyDocument: encodeDocument(role.TrustPolicy)}
	ps.roles[key] = r
	return r, nil
}

func getProfile(ctx context.Context, r store.Repos, account, name string) (iam.InstanceProfile, error) {
	p, err := r.InstanceProfiles().Get(ctx, account, name)
	return p, notFoundAs(err, iam.KindInstanceProfile, name)
}

// CreateInstanceProfile creates an empty instance profile.
func (s *Service) CreateInstanceProfile(ctx context.Context, p *identity.Principal, in *iamapi.CreateInstanceProfileRequest, now time.Time) (*iamapi.CreateInstanceProfileResponse, error) {
	prof := iam.InstanceProfile{Account: p.Account, Name: in.InstanceProfileName, Path: pathOr(in.Path),
		Tags: fromTags(in.Tags), Created: now}
	if err := iam.ValidateInstanceProfile(prof); err != nil {
		return nil, err
	}
	id, err := credential.NewUniqueID(credential.PrefixInstanceProfile, p.Account, s.rand)
	if err != nil {
		return nil, err
	}
	prof.ID = id
	if err := s.st.InstanceProfiles().Create(ctx, prof); err != nil {
		return nil, conflictAs(err, &iam.AlreadyExistsError{Kind: iam.KindInstanceProfile, Name: prof.Name})
	}
	out, err := s.newProfileShower().show(ctx, prof, true)
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateInstanceProfileResponse{InstanceProfile: out}, nil
}

// GetInstanceProfile returns an instance profile with its role and tags.
func (s *Service) GetInstanceProfile(ctx context.Context, p *identity.Principal, in *iamapi.GetInstanceProfileRequest, _ time.Time) (*iamapi.GetInstanceProfileResponse, error) {
	prof, err := getProfile(ctx, s.st, p.Account, in.InstanceProfileName)
	if err != nil {
		return nil, err
	}
	out, err := s.newProfileShower().show(ctx, prof, true)
	if err != nil {
		return nil, err
	}
	out.Tags = nonNil(out.Tags) // GetInstanceProfile always answers Tags, as AWS
	return &iamapi.GetInstanceProfileResponse{InstanceProfile: out}, nil
}

// ListInstanceProfiles lists the account's instance profiles by name.
func (s *Service) ListInstanceProfiles(ctx context.Context, p *identity.Principal, in *iamapi.ListInstanceProfilesRequest, _ time.Time) (*iamapi.ListInstanceProfilesResponse, error) {
	pg, err := pageNamed(in.Marker, in.MaxItems, func(x iam.InstanceProfile) string { return x.Name }, nil,
		func(after string, limit int) ([]iam.InstanceProfile, error) {
			return s.st.InstanceProfiles().List(ctx, p.Account, store.ListOptions{PathPrefix: in.PathPrefix, After: after, Limit: limit})
		})
	if err != nil {
		return nil, err
	}
	profiles, err := s.showProfiles(ctx, pg.items)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListInstanceProfilesResponse{InstanceProfiles: profiles, IsTruncated: pg.isTruncated(), Marker: pg.marker}, nil
}

// ListInstanceProfilesForRole lists the instance profiles holding a role.
func (s *Service) ListInstanceProfilesForRole(ctx context.Context, p *identity.Principal, in *iamapi.ListInstanceProfilesForRoleRequest, _ time.Time) (*iamapi.ListInstanceProfilesForRoleResponse, error) {
	all, err := s.st.InstanceProfiles().ListForRole(ctx, p.Account, in.RoleName)
	if err != nil {
		return nil, notFoundAs(err, iam.KindRole, in.RoleName)
	}
	pg, err := pageSlice(all, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	profiles, err := s.showProfiles(ctx, pg.items)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListInstanceProfilesForRoleResponse{InstanceProfiles: profiles, IsTruncated: pg.isTruncated(), Marker: pg.marker}, nil
}

// showProfiles converts a listing's profiles, without their tags.
func (s *Service) showProfiles(ctx context.Context, ps []iam.InstanceProfile) ([]iamapi.InstanceProfile, error) {
	sh := s.newProfileShower()
	out := make([]iamapi.InstanceProfile, 0, len(ps))
	for _, p := range ps {
		x, err := sh.show(ctx, p, false)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// updateProfile applies change to an instance profile and validates the
// result, in one transaction.
func (s *Service) updateProfile(ctx context.Context, account, name string, change func(store.Repos, *iam.InstanceProfile) error) error {
	return s.st.Tx(ctx, func(r store.Repos) error {
		prof, err := getProfile(ctx, r, account, name)
		if err != nil {
			return err
		}
		if err := change(r, &prof); err != nil {
			return err
		}
		if err := iam.ValidateInstanceProfile(prof); err != nil {
			return err
		}
		return r.InstanceProfiles().Update(ctx, prof)
	})
}

// AddRoleToInstanceProfile puts a role in an instance profile, which holds
// one at most (the caller also needs iam:PassRole on the role: Register
// asks for it).
func (s *Service) AddRoleToInstanceProfile(ctx context.Context, p *identity.Principal, in *iamapi.AddRoleToInstanceProfileRequest, _ time.Time) (*awsquery.Empty, error) {
	err := s.updateProfile(ctx, p.Account, in.InstanceProfileName, func(r store.Repos, prof *iam.InstanceProfile) error {
		role, err := getRole(ctx, r, p.Account, in.RoleName)
		if err != nil {
			return err
		}
		prof.Roles = append(prof.Roles, role.Name)
		return nil
	})
	return &awsquery.Empty{}, err
}

// RemoveRoleFromInstanceProfile takes a role out of an instance profile.
func (s *Service) RemoveRoleFromInstanceProfile(ctx context.Context, p *identity.Principal, in *iamapi.RemoveRoleFromInstanceProfileRequest, _ time.Time) (*awsquery.Empty, error) {
	err := s.updateProfile(ctx, p.Account, in.InstanceProfileName, func(r store.Repos, prof *iam.InstanceProfile) error {
		if _, err := getRole(ctx, r, p.Account, in.RoleName); err != nil {
			return err
		}
		kept := prof.Roles[:0]
		for _, name := range prof.Roles {
			if iam.NameKey(name) != iam.NameKey(in.RoleName) {
				kept = append(kept, name)
			}
		}
		if len(kept) == len(prof.Roles) {
			return &iam.NotFoundError{Kind: iam.KindProfileRole, Name: in.RoleName, Parent: prof.Name}
		}
		prof.Roles = kept
		return nil
	})
	return &awsquery.Empty{}, err
}

// DeleteInstanceProfile deletes an instance profile that holds no role.
func (s *Service) DeleteInstanceProfile(ctx context.Context, p *identity.Principal, in *iamapi.DeleteInstanceProfileRequest, _ time.Time) (*awsquery.Empty, error) {
	err := s.st.InstanceProfiles().Delete(ctx, p.Account, in.InstanceProfileName)
	switch {
	case errors.Is(err, store.ErrConflict):
		err = &iam.DeleteConflictError{Reason: iam.ConflictInstanceProfileRoles}
	default:
		err = notFoundAs(err, iam.KindInstanceProfile, in.InstanceProfileName)
	}
	return &awsquery.Empty{}, err
}

// TagInstanceProfile adds or replaces tags of an instance profile.
func (s *Service) TagInstanceProfile(ctx context.Context, p *identity.Principal, in *iamapi.TagInstanceProfileRequest, _ time.Time) (*awsquery.Empty, error) {
	if err := iam.ValidateTags("tags", fromTags(in.Tags)); err != nil {
		return nil, err
	}
	err := s.updateProfile(ctx, p.Account, in.InstanceProfileName, func(_ store.Repos, prof *iam.InstanceProfile) (err error) {
		prof.Tags, err = iam.AddTags(prof.Tags, fromTags(in.Tags), iam.MaxTags)
		return err
	})
	return &awsquery.Empty{}, err
}

// UntagInstanceProfile removes tags from an instance profile.
func (s *Service) UntagInstanceProfile(ctx context.Context, p *identity.Principal, in *iamapi.UntagInstanceProfileRequest, _ time.Time) (*awsquery.Empty, error) {
	err := s.updateProfile(ctx, p.Account, in.InstanceProfileName, func(_ store.Repos, prof *iam.InstanceProfile) error {
		prof.Tags = iam.RemoveTags(prof.Tags, in.TagKeys)
		return nil
	})
	return &awsquery.Empty{}, err
}

// ListInstanceProfileTags lists an instance profile's tags.
func (s *Service) ListInstanceProfileTags(ctx context.Context, p *identity.Principal, in *iamapi.ListInstanceProfileTagsRequest, _ time.Time) (*iamapi.ListInstanceProfileTagsResponse, error) {
	prof, err := getProfile(ctx, s.st, p.Account, in.InstanceProfileName)
	if err != nil {
		return nil, err
	}
	pg, err := tagPage(prof.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListInstanceProfileTagsResponse{Tags: pg.items, IsTruncated: pg.isTruncated(), Marker: pg.marker}, nil
}

// RegisterInstanceProfiles puts InstanceProfileActions on the dispatcher,
// each authorized on the instance profile's ARN (ListInstanceProfiles on
// arn:aws:iam::ACCOUNT:instance-profile/, ListInstanceProfilesForRole on
// the role), with its tags as aws:ResourceTag/K; AddRoleToInstanceProfile
// needs iam:PassRole on the role too, as AWS documents.
func RegisterInstanceProfiles(d *awsquery.Dispatcher, s *Service) {
	add(d, iamapi.CreateInstanceProfile, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.CreateInstanceProfileRequest) (request.Target, error) {
		return target(iam.InstanceProfileARN(p.Account, pathOr(in.Path), in.InstanceProfileName), keys{}.requestTags(in.Tags))
	}, s.CreateInstanceProfile)
	add(d, iamapi.GetInstanceProfile, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.GetInstanceProfileRequest) (request.Target, error) {
		return s.onProfile(ctx, p, in.InstanceProfileName, nil)
	}, s.GetInstanceProfile)
	add(d, iamapi.ListInstanceProfiles, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListInstanceProfilesRequest) (request.Target, error) {
		return target(listARN(p, "instance-profile"), nil)
	}, s.ListInstanceProfiles)
	add(d, iamapi.ListInstanceProfilesForRole, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListInstanceProfilesForRoleRequest) (request.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.ListInstanceProfilesForRole)
	awsquery.Register(d, iamapi.AddRoleToInstanceProfile, awsquery.Handler[iamapi.AddRoleToInstanceProfileRequest, awsquery.Empty]{
		Effect: request.Writes,
		Target: func(ctx context.Context, r *awsquery.Request[iamapi.AddRoleToInstanceProfileRequest]) (request.Target, error) {
			p, err := caller(r.Principal)
			if err != nil {
				return request.Target{}, err
			}
			return s.onProfile(ctx, p, r.Input.InstanceProfileName, nil)
		},
		Targets: func(ctx context.Context, r *awsquery.Request[iamapi.AddRoleToInstanceProfileRequest]) ([]request.Target, error) {
			p, err := caller(r.Principal)
			if err != nil {
				return nil, err
			}
			t, err := s.passRole(ctx, p, r.Input.RoleName)
			return []request.Target{t}, err
		},
		Serve: func(ctx context.Context, r *awsquery.Request[iamapi.AddRoleToInstanceProfileRequest]) (*awsquery.Empty, error) {
			p, err := caller(r.Principal)
			if err != nil {
				return nil, err
			}
			return s.AddRoleToInstanceProfile(ctx, p, r.Input, r.Now)
		},
	})
	add(d, iamapi.RemoveRoleFromInstanceProfile, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.RemoveRoleFromInstanceProfileRequest) (request.Target, error) {
		return s.onProfile(ctx, p, in.InstanceProfileName, nil)
	}, s.RemoveRoleFromInstanceProfile)
	add(d, iamapi.DeleteInstanceProfile, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteInstanceProfileRequest) (request.Target, error) {
		return s.onProfile(ctx, p, in.InstanceProfileName, nil)
	}, s.DeleteInstanceProfile)
	add(d, iamapi.TagInstanceProfile, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.TagInstanceProfileRequest) (request.Target, error) {
		return s.onProfile(ctx, p, in.InstanceProfileName, keys{}.requestTags(in.Tags))
	}, s.TagInstanceProfile)
	add(d, iamapi.UntagInstanceProfile, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.UntagInstanceProfileRequest) (request.Target, error) {
		return s.onProfile(ctx, p, in.InstanceProfileName, keys{}.tagKeys(in.TagKeys))
	}, s.UntagInstanceProfile)
	add(d, iamapi.ListInstanceProfileTags, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListInstanceProfileTagsRequest) (request.Target, error) {
		return s.onProfile(ctx, p, in.InstanceProfileName, nil)
	}, s.ListInstanceProfileTags)
}

// onProfile authorizes on an instance profile, with its tags as
// aws:ResourceTag/K (IAM defines no iam:ResourceTag for instance
// profiles).
func (s *Service) onProfile(ctx context.Context, p *identity.Principal, name string, k keys) (request.Target, error) {
	if k == nil {
		k = keys{}
	}
	prof, err := s.st.InstanceProfiles().Get(ctx, p.Account, name)
	if err != nil {
		return fallback(iam.InstanceProfileARN(p.Account, "/", name), k, err)
	}
	return target(prof.ARN(), k.resourceTags(prof.Tags, false))
}

// passRoleService and passRoleInstances are the iam:PassedToService and
// iam:AssociatedResourceArn an instance profile passes its role with: to
// EC2, for any instance of the account, the only ARN AWS documents as
// usable for AddRoleToInstanceProfile.
const passRoleService = "ec2.amazonaws.com"

func passRoleInstances(account string) string { return "arn:aws:ec2:*:" + account + ":instance/*" }

// passRole is the iam:PassRole authorization AddRoleToInstanceProfile
// needs on the role it adds (on the role's path-less ARN if it does not
// exist; the action then reports NoSuchEntity).
func (s *Service) passRole(ctx context.Context, p *identity.Principal, name string) (request.Target, error) {
	k := keys{"iam:PassedToService": {passRoleService}, "iam:AssociatedResourceArn": {passRoleInstances(p.Account)}}
	t, err := s.onRole(ctx, p, name, k)
	t.Action = "iam:PassRole"
	return t, err
}
