package store

import (
	"context"

	"github.com/brevet-dev/brevet/internal/iam"
)

// InstanceProfiles stores IAM instance profiles and the role each holds.
// Every write records a ChangeInstanceProfile keyed by the profile's name,
// so that a host serving the profile's role learns at once that it changed.
type InstanceProfiles interface {
	// Create adds p with its roles and tags. ErrNotFound if the account or
	// one of p.Roles does not exist; ErrConflict if the name
	// (case-insensitively) or the id is taken, or p has more than
	// iam.MaxRolesPerInstanceProfile roles.
	Create(ctx context.Context, p iam.InstanceProfile) error
	// Get returns one profile; ErrNotFound if there is none.
	Get(ctx context.Context, account, name string) (iam.InstanceProfile, error)
	// List lists the account's profiles (see ListOptions).
	List(ctx context.Context, account string, opts ListOptions) ([]iam.InstanceProfile, error)
	// ListForRole returns the profiles holding the role, ordered by name.
	// ErrNotFound if the role does not exist.
	ListForRole(ctx context.Context, account, role string) ([]iam.InstanceProfile, error)
	// Update rewrites the roles and tags of the profile p.Account/p.Name
	// (name, path, id and creation date never change). ErrNotFound if the
	// profile or one of p.Roles does not exist; ErrConflict if p has more
	// than iam.MaxRolesPerInstanceProfile roles.
	Update(ctx context.Context, p iam.InstanceProfile) error
	// Delete removes the profile. ErrNotFound if there is none;
	// ErrConflict while it holds a role.
	Delete(ctx context.Context, account, name string) error
}
