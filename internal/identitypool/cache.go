package identitypool

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/brevet-dev/brevet/internal/store"
)

// The cache's bounds: a full map is emptied rather than grown. Misses
// (ids that name no pool) have their own, smaller map, so that a caller
// trying unknown ids can only push out other unknown ids, never the
// pools GetId serves.
const (
	maxCachedPools  = 10000
	maxCachedMisses = 4096
	// maxCachedPoolBytes bounds the stored size of the pools held: a pool
	// is as large as its request bodies made it (up to a MiB of role
	// mappings and tag maps), so the count alone would let ten thousand
	// of them hold gigabytes on every node.
	maxCachedPoolBytes = 256 << 20
)

// cachedPool is a pool with its account.
type cachedPool struct {
	account string
	pool    *Pool
	size    int // the stored body's length
}

// poolCache holds the pools GetId and the credential actions read, by
// pool id (ids are unique across accounts), and the ids found to name no
// pool. Entries are dropped on the change feed (Apply) and by this
// node's own writes at once. A load that raced a drop is not kept: the
// generation counts drops, and a load stores its result only if none
// happened since it began.
//
// The pools it returns are shared: read-only for everyone. Writers read
// the stored pool afresh (modifyPool).
type poolCache struct {
	mu     sync.RWMutex
	pools  map[string]cachedPool
	misses map[string]struct{}
	// bytes is the stored size of the pools held, at most maxBytes.
	bytes, maxBytes int
	gen             atomic.Uint64
	// Look-ups answered from memory and the others, for Stats.
	hits, loads atomic.Uint64
}

func (c *poolCache) init() {
	c.pools = make(map[string]cachedPool)
	c.misses = make(map[string]struct{})
	c.maxBytes = maxCachedPoolBytes
}

// lookup answers id from memory: known reports whether it could; e.pool
// is nil for an id known to name no pool.
func (c *poolCache) lookup(id string) (e cachedPool, known bool) {
	c.mu.RLock()
	e, known = c.pools[id]
	if !known {
		_, known = c.misses[id]
	}
	c.mu.RUnlock()
	return e, known
}

// put keeps what a load that began at generation gen found (p nil: no
// pool; size its stored body's length), unless a drop happened since.
func (c *poolCache) put(gen uint64, id, account string, p *Pool, size int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return
	}
	if p == nil {
		if len(c.misses) >= maxCachedMisses {
			clear(c.misses)
		}
		c.misses[id] = struct{}{}
		return
	}
	if size > c.maxBytes {
		return // served, never held
	}
	if old, ok := c.pools[id]; ok {
		c.bytes -= old.size
	}
	if len(c.pools) >= maxCachedPools || c.bytes+size > c.maxBytes {
		clear(c.pools)
		c.bytes = 0
	}
	c.pools[id] = cachedPool{account: account, pool: p, size: size}
	c.bytes += size
}

// drop forgets the pool id (and that it was missing).
func (c *poolCache) drop(id string) {
	c.mu.Lock()
	c.gen.Add(1)
	if old, ok := c.pools[id]; ok {
		c.bytes -= old.size
		delete(c.pools, id)
	}
	delete(c.misses, id)
	c.mu.Unlock()
}

// Apply drops what the service cached of the objects that changed, and
// the logins it verified when an IAM provider changed.
func (s *Service) Apply(changes []store.Change) {
	s.objs.apply(changes)     // objcache.go
	s.logins.applied(changes) // logincache.go
	for _, c := range changes {
		if c.Kind != store.ChangeObject {
			continue
		}
		if kind, id := store.SplitObjectKey(c.Key); kind == KindPool {
			s.cache.drop(id)
		}
	}
}

// CacheStats are the pool cache's counters and size, for metrics.
type CacheStats struct {
	// Hits are look-ups answered from memory (a pool, or an id known to
	// name none); Loads the others, each a store read.
	Hits, Loads uint64
	// Invalidations counts the drops (changes of pools).
	Invalidations uint64
	// Pools and Misses are the entries held; Bytes the pools' stored size.
	Pools, Misses, Bytes int
}

// Stats reports the pool cache's counters and sizes.
func (s *Service) Stats() CacheStats {
	c := &s.cache
	c.mu.RLock()
	pools, misses, bytes := len(c.pools), len(c.misses), c.bytes
	c.mu.RUnlock()
	return CacheStats{Hits: c.hits.Load(), Loads: c.loads.Load(), Invalidations: c.gen.Load(), Pools: pools, Misses: misses, Bytes: bytes}
}

// findPool returns the pool id and its account, whatever the account (an
// unsigned GetId names no account, or names it in AccountId, which must
// then match); ResourceNotFoundException when there is none, and
// InvalidParameterException for an id the model refuses. Served from
// memory after the first read: a hit does no I/O and allocates nothing.
// The pool returned is shared and must not be modified.
func (s *Service) findPool(ctx context.Context, id string) (account string, p *Pool, err error) {
	if err := checkPoolID(id); err != nil {
		return "", nil, err
	}
	if e, known := s.cache.lookup(id); known {
		s.cache.hits.Add(1)
		if e.pool == nil {
			return "", nil, poolNotFound(id)
		}
		return e.account, e.pool, nil
	}
	s.cache.loads.Add(1)
	gen := s.cache.gen.Load()
	account, p, size, err := s.loadPool(ctx, id)
	if err != nil {
		return "", nil, err
	}
	s.cache.put(gen, id, account, p, size)
	if p == nil {
		return "", nil, poolNotFound(id)
	}
	return account, p, nil
}

// pool returns the pool id of account (cached, shared: read-only);
// ResourceNotFoundException when there is none, or when it belongs to
// another account (the same answer: the caller learns nothing of other
// accounts).
func (s *Service) pool(ctx context.Context, account, id string) (*Pool, error) {
	owner, p, err := s.findPool(ctx, id)
	if err != nil {
		return nil, err
	}
	if owner != account {
		return nil, poolNotFound(id)
	}
	return p, nil
}

// loadPool reads the pool id from the store, whatever its account, with
// its stored size; nil when there is none. Pool ids are drawn at random by this service, so
// one id names at most one pool; should two accounts hold it all the
// same, the first (by account) is the one.
func (s *Service) loadPool(ctx context.Context, id string) (string, *Pool, int, error) {
	objs, err := s.objects.Find(ctx, KindPool, id)
	if err != nil {
		return "", nil, 0, err
	}
	if len(objs) == 0 {
		return "", nil, 0, nil
	}
	p, err := UnmarshalStored(objs[0].Body)
	if err != nil {
		return "", nil, 0, fmt.Errorf("identitypool: pool %s: %w", id, err)
	}
	return objs[0].Account, p, len(objs[0].Body), nil
}

// poolNotFound is AWS's answer for a pool that does not exist.
func poolNotFound(id string) error {
	return notFound("IdentityPool '%s' not found.", echoValue(id))
}
