package store

import (
	"context"

	"github.com/brevet-dev/brevet/internal/iam"
)

// PolicySource says where a policy document in a PrincipalSnapshot came from.
type PolicySource int

// Policy sources.
const (
	SourceInline       PolicySource = iota + 1 // embedded in the principal
	SourceManaged                              // managed policy attached to the principal
	SourceGroupInline                          // embedded in one of the user's groups
	SourceGroupManaged                         // managed policy attached to one of the user's groups
)

// PolicyDoc is one identity-based policy that applies to a principal.
type PolicyDoc struct {
	Source    PolicySource
	Group     string // the group it came through, for group sources
	Name      string // inline name, or managed policy name
	ARN       string // managed policies only
	VersionID string // managed policies only: the default version
	Document  string
}

// PrincipalSnapshot is everything authorization needs about a user or a
// role, read in one consistent transaction: the entity, its tags, all
// identity-based policies (its own inline and attached ones and, for a user,
// those of its groups, each with the default version's document) and its
// permissions boundary document.
type PrincipalSnapshot struct {
	User     *iam.User // set for users
	Role     *iam.Role // set for roles
	Groups   []string  // a user's group names
	Policies []PolicyDoc
	// Boundary is the permissions boundary's default version, or nil. A
	// boundary ARN whose policy has been deleted yields nil here with
	// BoundaryARN still set, so callers can fail closed.
	Boundary    *PolicyDoc
	BoundaryARN string
	// Seq is the change-feed position at which the snapshot was read: a
	// cache entry built from it is stale once a later change touches it.
	Seq int64
}

// Principals is the read model of the authorization hot path. Each call is
// one read transaction and a fixed, small number of queries regardless of
// how many policies apply; callers are expected to cache results and
// invalidate them from the change feed.
type Principals interface {
	// LoadUser returns the snapshot of a user. ErrNotFound if none.
	LoadUser(ctx context.Context, account, name string) (PrincipalSnapshot, error)
	// LoadRole returns the snapshot of a role. ErrNotFound if none.
	LoadRole(ctx context.Context, account, name string) (PrincipalSnapshot, error)
	// LoadAccessKey resolves a long-term access key id to its key (with the
	// secret ciphertext) and its user's snapshot, for SigV4 authentication.
	LoadAccessKey(ctx context.Context, keyID string) (iam.AccessKey, PrincipalSnapshot, error)
}
