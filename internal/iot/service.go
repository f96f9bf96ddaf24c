package iot

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/sts"
)

// Sessions mints role sessions for a service principal (sts.Service).
type Sessions interface {
	ServiceSession(ctx context.Context, in *sts.ServiceSessionInput) (*sts.ServiceSession, error)
}

// Config configures a Service.
type Config struct {
	// Store keeps the service's objects; required.
	Store store.Objects
	// Sessions mints the devices' role sessions; required for the
	// credentials provider.
	Sessions Sessions
	// Region is the region in ARNs; required.
	Region string
	// CredentialsEndpoint is the credentials provider's address
	// (host:port) DescribeEndpoint answers; "" when it is off.
	CredentialsEndpoint func() string
	// Rand makes thing ids; crypto/rand when nil.
	Rand io.Reader
	// Logger receives what the service cannot answer a caller with.
	Logger *slog.Logger
}

// Service is the IoT subset: the management actions and the credentials
// provider's exchange.
type Service struct {
	cfg   Config
	cache objectCache
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Region == "" {
		return nil, errors.New("iot: a Service needs a Store and a Region")
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.CredentialsEndpoint == nil {
		cfg.CredentialsEndpoint = func() string { return "" }
	}
	return &Service{cfg: cfg, cache: objectCache{m: map[string]cached{}}}, nil
}

// Apply drops what the device path cached of the objects changes name
// (store.ChangeObject), so that a status change through any node takes
// effect at once.
func (s *Service) Apply(changes []store.Change) {
	for _, c := range changes {
		if c.Kind != store.ChangeObject {
			continue
		}
		kind, id := store.SplitObjectKey(c.Key)
		switch kind {
		case KindCACertificate, KindCertificate, KindThing, KindThingType, KindRoleAlias:
			s.cache.drop(kind, id)
		}
	}
}

// objectCache holds the objects the device path reads, by kind and id
// (across accounts, as Find returns them); entries are dropped by Apply
// and by the service's own writes.
type objectCache struct {
	mu sync.RWMutex
	m  map[string]cached
	// gen counts the drops: a read from the store that a drop overtook
	// (a status change committed while it was on its way) is not cached,
	// or a revoked certificate would be served from the cache until its
	// next change.
	gen uint64
	// hits and misses count find's look-ups, for Stats.
	hits, misses atomic.Uint64
}

// Stats are the device path's object cache's counters and size, for
// metrics.
type Stats struct {
	// Hits are look-ups answered from the cache; Misses are the others
	// (each reads the store).
	Hits, Misses uint64
	// Invalidations counts the drops: an object changed (by this service
	// or, through the change feed, on any node).
	Invalidations uint64
	// Entries is the number of (kind, id) entries the cache holds.
	Entries int
}

// Stats reports the object cache's counters and size.
func (s *Service) Stats() Stats {
	c := &s.cache
	c.mu.RLock()
	gen, n := c.gen, len(c.m)
	c.mu.RUnlock()
	return Stats{Hits: c.hits.Load(), Misses: c.misses.Load(), Invalidations: gen, Entries: n}
}

type cached struct {
	objs []store.Object
	// vals are objs' bodies decoded (a *certificate, *thing, ...), once
	// when they are cached, so that a device's request decodes no JSON;
	// they are shared and never modified.
	vals []any
}

// decoders decode the bodies of the kinds the device path reads.
var decoders = map[string]func([]byte) (any, error){
	KindCertificate:   decodeAs[certificate],
	KindCACertificate: decodeAs[caCertificate],
	KindThing:         decodeAs[thing],
	KindRoleAlias:     decodeAs[roleAlias],
}

func decodeAs[T any](body []byte) (any, error) {
	v := new(T)
	if err := json.Unmarshal(body, v); err != nil {
		return nil, err
	}
	return v, nil
}

// maxCached bounds the cache; past it, it starts again empty.
const maxCached = 100_000

func (c *objectCache) get(kind, id string) (cached, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.m[store.ObjectKey(kind, id)]
	return e, ok
}

// generation is the count of drops, taken before reading the store.
func (c *objectCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// put caches objs, read from the store after generation returned gen,
// unless something was dropped since.
func (c *objectCache) put(kind, id string, e cached, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(c.m) >= maxCached {
		clear(c.m)
	}
	c.m[store.ObjectKey(kind, id)] = e
}

func (c *objectCache) drop(kind, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.m, store.ObjectKey(kind, id))
}

// find returns the objects of kind with id in every account, decoded,
// from the cache or the store.
func (s *Service) find(ctx context.Context, kind, id string) (cached, error) {
	if e, ok := s.cache.get(kind, id); ok {
		s.cache.hits.Add(1)
		return e, nil
	}
	s.cache.misses.Add(1)
	gen := s.cache.generation()
	objs, err := s.cfg.Store.Find(ctx, kind, id)
	if err != nil {
		return cached{}, err
	}
	e := cached{objs: objs, vals: make([]any, len(objs))}
	for i, o := range objs {
		if e.vals[i], err = decoders[kind](o.Body); err != nil {
			return cached{}, fmt.Errorf("iot: %s %s in account %s: %w", kind, id, o.Account, err)
		}
	}
	s.cache.put(kind, id, e, gen)
	return e, nil
}

// findAs returns the objects of kind with id in every account, decoded
// as T (the kind's type), from the cache or the store. The values are
// shared: read them, never modify them.
func findAs[T any](ctx context.Context, s *Service, kind, id string) ([]store.Object, []*T, error) {
	e, err := s.find(ctx, kind, id)
	if err != nil {
		return nil, nil, err
	}
	vals := make([]*T, len(e.vals))
	for i, v := range e.vals {
		vals[i] = v.(*T)
	}
	return e.objs, vals, nil
}

// findInAs returns the account's object of kind with id decoded as T,
// from the cache or the store; store.ErrNotFound when there is none. The
// value is shared: read it, never modify it.
func findInAs[T any](ctx context.Context, s *Service, account, kind, id string) (*T, error) {
	e, err := s.find(ctx, kind, id)
	if err != nil {
		return nil, err
	}
	for i, o := range e.objs {
		if o.Account == account {
			return e.vals[i].(*T), nil
		}
	}
	return nil, store.ErrNotFound
}
