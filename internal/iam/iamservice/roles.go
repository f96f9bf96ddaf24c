package iamservice

import (
	"context"
	"encoding/json"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/trust"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/store"
)

// toRole converts a role; full adds what GetRole returns and ListRoles
// leaves out (boundary, tags, last use).
func toRole(r iam.Role, full bool) iamapi.Role {
	out := iamapi.Role{Path: r.Path, RoleName: r.Name, RoleId: r.ID, Arn: r.ARN(), CreateDate: utc(r.Created),
		AssumeRolePolicyDocument: encodeDocument(r.TrustPolicy), Description: r.Description,
		MaxSessionDuration: ptr(int32(r.MaxSessionDuration))}
	if full {
		out.PermissionsBoundary = toBoundary(r.PermissionsBoundary)
		out.Tags = toTags(r.Tags)
		out.RoleLastUsed = &iamapi.RoleLastUsed{LastUsedDate: utc(r.LastUsed.Date), Region: r.LastUsed.Region}
	}
	return out
}

func getRole(ctx context.Context, r store.Repos, account, name string) (iam.Role, error) {
	role, err := r.Roles().Get(ctx, account, name)
	return role, notFoundAs(err, iam.KindRole, name)
}

// validateTrust checks a trust policy's grammar and rules; its characters
// and size quota are checked by iam.ValidateRole. Whether the principals
// it names exist is bindTrust's to check. A trust policy that is not JSON
// at all gets AWS's own sentence for it (CreateRole,
// UpdateAssumeRolePolicy), not the "Syntax errors in policy." a JSON
// document of the wrong shape gets.
func validateTrust(doc string) (*policy.Document, error) {
	if !json.Valid([]byte(doc)) {
		return nil, &policy.MalformedError{Message: msgInvalidJSON}
	}
	return policy.ParseAndValidate([]byte(doc), policy.TypeTrust)
}

// msgInvalidJSON is AWS's MalformedPolicyDocument text for a trust policy
// that does not parse as JSON.
const msgInvalidJSON = "This policy contains invalid Json"

// bindTrust binds the users and roles the trust policy names to their
// unique ids as they are now, in the saving transaction (package trust):
// a principal deleted and made again under its name is not trusted. One
// that names no one is refused as IAM refuses it.
func bindTrust(ctx context.Context, r store.Repos, role *iam.Role, doc *policy.Document) error {
	bs, err := trust.Bind(ctx, r, doc, trust.Options{})
	if err != nil {
		return err
	}
	role.TrustBindings = bs
	return nil
}

// showTrust puts the trust policy as IAM shows it in role: a bound
// principal that no longer exists as its unique id.
func showTrust(ctx context.Context, sh *trust.Shower, role *iam.Role) error {
	doc, err := sh.Show(ctx, role)
	if err != nil {
		return err
	}
	role.TrustPolicy = doc
	return nil
}

// CreateRole creates a role with its trust policy.
func (s *Service) CreateRole(ctx context.Context, p *identity.Principal, in *iamapi.CreateRoleRequest, now time.Time) (*iamapi.CreateRoleResponse, error) {
	role := iam.Role{Account: p.Account, Name: in.RoleName, Path: pathOr(in.Path), Created: now,
		TrustPolicy: in.AssumeRolePolicyDocument, Description: in.Description,
		MaxSessionDuration: iam.DefaultSessionSeconds, PermissionsBoundary: in.PermissionsBoundary, Tags: fromTags(in.Tags)}
	if in.MaxSessionDuration != nil {
		role.MaxSessionDuration = int(*in.MaxSessionDuration)
	}
	if err := iam.ValidateRole(role); err != nil {
		return nil, err
	}
	if isServiceLinked(role) {
		// The path is the mark of a service-linked role (protected from
		// the ordinary role actions): only CreateServiceLinkedRole puts a
		// role there, as in AWS.
		return nil, &iam.InvalidInputError{Message: "Path prefix '" + ServiceLinkedRolePath + "' can only be used for AWS Service linked Roles"}
	}
	doc, err := validateTrust(role.TrustPolicy)
	if err != nil {
		return nil, err
	}
	id, err := credential.NewUniqueID(credential.PrefixRole, p.Account, s.rand)
	if err != nil {
		return nil, err
	}
	role.ID = id
	err = s.st.Tx(ctx, func(r store.Repos) error {
		if role.PermissionsBoundary != "" {
			if _, err := s.boundaryPolicy(ctx, r, p.Account, role.PermissionsBoundary); err != nil {
				return err
			}
		}
		if err := bindTrust(ctx, r, &role, doc); err != nil {
			return err
		}
		return conflictAs(r.Roles().Create(ctx, role), &iam.AlreadyExistsError{Kind: iam.KindRole, Name: role.Name})
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateRoleResponse{Role: createdRole(role)}, nil
}

// createdRole is the Role of CreateRole's and CreateServiceLinkedRole's
// answers: without MaxSessionDuration and RoleLastUsed, which GetRole
// returns (the AWS CLI's create-role examples), and without the
// Description the request set (AWS's recorded CreateRole answers; the
// CLI's create-service-linked-role example).
func createdRole(role iam.Role) iamapi.Role {
	out := toRole(role, true)
	out.RoleLastUsed = nil
	out.MaxSessionDuration = nil
	out.Description = ""
	return out
}

// GetRole returns a role.
func (s *Service) GetRole(ctx context.Context, p *identity.Principal, in *iamapi.GetRoleRequest, _ time.Time) (*iamapi.GetRoleResponse, error) {
	role, err := getRole(ctx, s.st, p.Account, in.RoleName)
	if err != nil {
		return nil, err
	}
	if err := showTrust(ctx, trust.NewShower(s.st), &role); err != nil {
		return nil, err
	}
	return &iamapi.GetRoleResponse{Role: toRole(role, true)}, nil
}

// ListRoles lists the account's roles by name.
func (s *Service) ListRoles(ctx context.Context, p *identity.Principal, in *iamapi.ListRolesRequest, _ time.Time) (*iamapi.ListRolesResponse, error) {
	pg, err := pageNamed(in.Marker, in.MaxItems, func(r iam.Role) string { return r.Name }, nil,
		func(after string, limit int) ([]iam.Role, error) {
			return s.st.Roles().List(ctx, p.Account, store.ListOptions{PathPrefix: in.PathPrefix, After: after, Limit: limit})
		})
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListRolesResponse{Roles: make([]iamapi.Role, 0, len(pg.items)), IsTruncated: pg.isTruncated(), Marker: pg.marker}
	sh := trust.NewShower(s.st)
	for _, r := range pg.items {
		if err := showTrust(ctx, sh, &r); err != nil {
			return nil, err
		}
		out.Roles = append(out.Roles, toRole(r, false))
	}
	return out, nil
}

// updateRole applies change to a role and validates the result, in one
// transaction.
func (s *Service) updateRole(ctx context.Context, account, name string, change func(*iam.Role) error) (iam.Role, error) {
	return s.updateRoleTx(ctx, account, name, func(_ store.Repos, r *iam.Role) error { return change(r) })
}

// updateRoleTx is updateRole for a change that reads the store too.
func (s *Service) updateRoleTx(ctx context.Context, account, name string, change func(store.Repos, *iam.Role) error) (iam.Role, error) {
	var role iam.Role
	err := s.st.Tx(ctx, func(r store.Repos) error {
		var err error
		role, err = getRole(ctx, r, account, name)
		if err != nil {
			return err
		}
		if err := change(r, &role); err != nil {
			return err
		}
		if err := iam.ValidateRole(role); err != nil {
			return err
		}
		return r.Roles().Update(ctx, role)
	})
	return role, err
}

// UpdateAssumeRolePolicy replaces a role's trust policy.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, p *identity.Principal, in *iamapi.UpdateAssumeRolePolicyRequest, _ time.Time) (*awsquery.Empty, error) {
	if err := iam.ValidatePolicyDocumentText("policyDocument", in.PolicyDocument); err != nil {
		return nil, err
	}
	if iam.PolicySize(in.PolicyDocument) > iam.MaxTrustPolicyLen {
		return nil, &iam.LimitExceededError{Quota: iam.QuotaACLSizePerRole, Limit: iam.MaxTrustPolicyLen}
	}
	doc, err := validateTrust(in.PolicyDocument)
	if err != nil {
		return nil, err
	}
	_, err = s.updateRoleTx(ctx, p.Account, in.RoleName, func(r store.Repos, role *iam.Role) error {
		if err := checkModifiable(*role); err != nil {
			return err
		}
		role.TrustPolicy = in.PolicyDocument
		return bindTrust(ctx, r, role, doc)
	})
	return &awsquery.Empty{}, err
}

// UpdateRole changes a role's description and maximum session duration;
// omitted parameters keep their values.
func (s *Service) UpdateRole(ctx context.Context, p *identity.Principal, in *iamapi.UpdateRoleRequest, _ time.Time) (*iamapi.UpdateRoleResponse, error) {
	_, err := s.updateRole(ctx, p.Account, in.RoleName, func(r *iam.Role) error {
		if in.Description != "" {
			r.Description = in.Description
		}
		if in.MaxSessionDuration != nil {
			r.MaxSessionDuration = int(*in.MaxSessionDuration)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateRoleResponse{}, nil
}

// UpdateRoleDescription sets a role's description and returns the role.
func (s *Service) UpdateRoleDescription(ctx context.Context, p *identity.Principal, in *iamapi.UpdateRoleDescriptionRequest, _ time.Time) (*iamapi.UpdateRoleDescriptionResponse, error) {
	role, err := s.updateRole(ctx, p.Account, in.RoleName, func(r *iam.Role) error {
		r.Description = in.Description
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := showTrust(ctx, trust.NewShower(s.st), &role); err != nil {
		return nil, err
	}
	// Like CreateRole's, this answer leaves out MaxSessionDuration and
	// RoleLastUsed (LocalStack's recording of AWS, test_update_role's
	// update-role-description-response).
	out := toRole(role, true)
	out.MaxSessionDuration, out.RoleLastUsed = nil, nil
	return &iamapi.UpdateRoleDescriptionResponse{Role: &out}, nil
}

// DeleteRole deletes a role without inline or attached policies. A
// service-linked role is deleted with DeleteServiceLinkedRole.
func (s *Service) DeleteRole(ctx context.Context, p *identity.Principal, in *iamapi.DeleteRoleRequest, _ time.Time) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		if err := checkWritableOwner(ctx, r, roleOwner(p, in.RoleName)); err != nil {
			return err
		}
		deps, err := r.Roles().Dependents(ctx, p.Account, in.RoleName)
		if err != nil {
			return notFoundAs(err, iam.KindRole, in.RoleName)
		}
		if err := deps.Conflict(); err != nil {
			return err
		}
		return r.Roles().Delete(ctx, p.Account, in.RoleName)
	})
	return &awsquery.Empty{}, err
}
