package bucketpolicy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/trust"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/store"
)

// Store is what the service needs of the store; store.Store and
// store.Repos satisfy it.
type Store interface {
	BucketPolicies() store.BucketPolicies
}

// Config configures New.
type Config struct {
	// Store holds the policies.
	Store Store
	// Account is the gateway's account: it owns every bucket behind the
	// gateway, and so their policies.
	Account string
	// Resolver finds the users and roles a policy names, to bind them
	// (package trust); store.Store satisfies it.
	Resolver trust.Lookup
	// Logger reports stored policies that no longer compile; nil discards.
	Logger *slog.Logger
	// CacheSize caps cached buckets of each kind, with and without a
	// policy (0: DefaultCacheSize).
	CacheSize int
}

// Service answers the bucket-policy operations of the S3 gateway and
// gives authorization each bucket's compiled policy. It is safe for
// concurrent use.
type Service struct {
	st       store.BucketPolicies
	account  string
	resolver trust.Lookup
	log      *slog.Logger
	cache    *cache
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("bucketpolicy: Config.Store is required")
	case cfg.Resolver == nil:
		return nil, errors.New("bucketpolicy: Config.Resolver is required")
	case !accountID(cfg.Account):
		return nil, fmt.Errorf("bucketpolicy: Config.Account %q is not a 12-digit account id", cfg.Account)
	case cfg.CacheSize < 0:
		return nil, errors.New("bucketpolicy: Config.CacheSize is negative")
	}
	size := cfg.CacheSize
	if size == 0 {
		size = DefaultCacheSize
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{st: cfg.Store.BucketPolicies(), account: cfg.Account, resolver: cfg.Resolver, log: log,
		cache: newCache(size)}, nil
}

func accountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Put validates document as S3 validates a bucket policy, binds the users
// and roles it names to their unique ids, and saves it as the bucket's
// policy, replacing any. A policy S3 would refuse is a
// *MalformedPolicyError; a principal that names no one is refused with
// "Invalid principal in policy".
func (s *Service) Put(ctx context.Context, bucket, document string, now time.Time) error {
	if !validBucket(bucket) {
		return ErrInvalidBucketName
	}
	doc, err := parse(bucket, document)
	if err != nil {
		return err
	}
	bs, err := trust.Bind(ctx, s.resolver, doc, trust.Options{})
	if err != nil {
		return malformed(err)
	}
	if _, err := policy.CompileBound(doc, policy.TypeResource, bucketARN(bucket), bindings(bs)); err != nil {
		return malformed(err)
	}
	err = s.st.Put(ctx, store.BucketPolicy{Account: s.account, Bucket: bucket, Document: document, Bindings: bs, Updated: now})
	s.cache.invalidate(bucket)
	if err != nil {
		return fmt.Errorf("bucketpolicy: saving the policy of bucket %s: %w", bucket, err)
	}
	return nil
}

// Get returns the bucket's policy as S3 shows it: as it was sent, except
// that a bound principal deleted since appears as its unique id.
// ErrNoSuchBucketPolicy if it has none.
func (s *Service) Get(ctx context.Context, bucket string) (string, error) {
	p, err := s.load(ctx, bucket)
	if err != nil {
		return "", err
	}
	doc, err := trust.NewShower(s.resolver).ShowDocument(ctx, p.Document, p.Bindings)
	if err != nil {
		return "", fmt.Errorf("bucketpolicy: showing the policy of bucket %s: %w", bucket, err)
	}
	return doc, nil
}

// Delete removes the bucket's policy; nil also when it has none, as S3
// answers 204 either way.
func (s *Service) Delete(ctx context.Context, bucket string) error {
	if !validBucket(bucket) {
		return ErrInvalidBucketName
	}
	err := s.st.Delete(ctx, s.account, bucket)
	s.cache.invalidate(bucket)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("bucketpolicy: deleting the policy of bucket %s: %w", bucket, err)
	}
	return nil
}

// Status reports whether the bucket's policy is public (see Public):
// GetBucketPolicyStatus's IsPublic. ErrNoSuchBucketPolicy if it has none.
func (s *Service) Status(ctx context.Context, bucket string) (public bool, err error) {
	p, err := s.load(ctx, bucket)
	if err != nil {
		return false, err
	}
	doc, err := policy.Parse([]byte(p.Document))
	if err != nil {
		return false, fmt.Errorf("bucketpolicy: the stored policy of bucket %s: %w", bucket, err)
	}
	return Public(doc), nil
}

// load reads the bucket's stored policy.
func (s *Service) load(ctx context.Context, bucket string) (store.BucketPolicy, error) {
	if !validBucket(bucket) {
		return store.BucketPolicy{}, ErrInvalidBucketName
	}
	p, err := s.st.Get(ctx, s.account, bucket)
	if errors.Is(err, store.ErrNotFound) {
		return store.BucketPolicy{}, ErrNoSuchBucketPolicy
	}
	if err != nil {
		return store.BucketPolicy{}, fmt.Errorf("bucketpolicy: reading the policy of bucket %s: %w", bucket, err)
	}
	return p, nil
}

// Compiled returns the bucket's policy compiled as a resource policy with
// its bindings, for request.Target.ResourcePolicy: nil, nil when it has
// none (or the name cannot be a bucket's). It is on every gateway
// request's path: a cached answer takes a read lock and no allocation.
// A stored policy that does not compile is an error (the request must
// fail closed, not run without the bucket's Deny statements).
func (s *Service) Compiled(ctx context.Context, bucket string) (*policy.Compiled, error) {
	if pc, ok := s.cache.get(bucket); ok {
		return pc, nil
	}
	if !validBucket(bucket) {
		return nil, nil
	}
	gen := s.cache.generation()
	p, err := s.st.Get(ctx, s.account, bucket)
	if errors.Is(err, store.ErrNotFound) {
		s.cache.put(bucket, nil, gen)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bucketpolicy: reading the policy of bucket %s: %w", bucket, err)
	}
	pc, err := compile(p)
	if err != nil {
		s.log.ErrorContext(ctx, "a stored bucket policy does not compile", "bucket", bucket, "err", err)
		return nil, fmt.Errorf("bucketpolicy: the stored policy of bucket %s: %w", bucket, err)
	}
	s.cache.put(bucket, pc, gen)
	return pc, nil
}

func compile(p store.BucketPolicy) (*policy.Compiled, error) {
	doc, err := policy.Parse([]byte(p.Document))
	if err != nil {
		return nil, err
	}
	return policy.CompileBound(doc, policy.TypeResource, bucketARN(p.Bucket), bindings(p.Bindings))
}

func bindings(bs []iam.PrincipalBinding) []policy.Binding {
	if bs == nil {
		return nil
	}
	out := make([]policy.Binding, len(bs))
	for i, b := range bs {
		out[i] = policy.Binding{ARN: b.ARN, ID: b.ID}
	}
	return out
}

// Apply drops the cached policies the changes make stale: a bucket policy
// of the gateway's account saved or deleted (on this node or another), or
// the account itself changed. The node feeds it the change feed.
func (s *Service) Apply(changes []store.Change) {
	for i := range changes {
		c := &changes[i]
		if c.Account != s.account {
			continue
		}
		switch c.Kind {
		case store.ChangeBucketPolicy:
			s.cache.invalidate(c.Key)
		case store.ChangeAccount:
			s.cache.flush()
		}
	}
}

// Flush drops every cached policy, for a node that lost track of the
// change feed.
func (s *Service) Flush() { s.cache.flush() }
