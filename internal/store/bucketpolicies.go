package store

import (
	"context"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
)

// BucketPolicy is the policy of one bucket behind the S3 gateway, which
// Brevet holds itself (PutBucketPolicy never reaches the backend).
type BucketPolicy struct {
	// Account owns the bucket: the gateway's account.
	Account string
	Bucket  string
	// Document is the policy JSON as the client sent it.
	Document string
	// Bindings ties the user and role principals the document names to
	// their unique ids when it was saved (as a role's TrustBindings); nil
	// only for a policy saved unbound.
	Bindings []iam.PrincipalBinding
	Updated  time.Time
}

// BucketPolicies stores bucket policies, one per (account, bucket).
type BucketPolicies interface {
	// Put creates or replaces the bucket's policy. ErrNotFound if the
	// account does not exist.
	Put(ctx context.Context, p BucketPolicy) error
	// Get returns the bucket's policy; ErrNotFound if it has none.
	Get(ctx context.Context, account, bucket string) (BucketPolicy, error)
	// Delete removes the bucket's policy; ErrNotFound if it has none.
	Delete(ctx context.Context, account, bucket string) error
	// List returns the account's bucket policies ordered by bucket (byte
	// order).
	List(ctx context.Context, account string) ([]BucketPolicy, error)
}
