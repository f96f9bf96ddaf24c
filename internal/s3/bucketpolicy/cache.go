package bucketpolicy

import (
	"sync"

	"github.com/brevet-dev/brevet/internal/policy"
)

// DefaultCacheSize caps the cache's entries of each kind (buckets with a
// policy, buckets without) when Config.CacheSize is 0.
const DefaultCacheSize = 4096

// cache holds the compiled policies of buckets that have one and
// remembers buckets that have none, each kind capped: a full kind drops an
// entry at random (Go's map order) to make room, so hostile bucket names
// cost at most max negative entries. A hit takes a read lock and does not
// allocate.
type cache struct {
	mu  sync.RWMutex
	gen uint64 // bumped by every invalidation, see put
	pos map[string]*policy.Compiled
	neg map[string]struct{}
	max int
}

func newCache(max int) *cache {
	return &cache{pos: make(map[string]*policy.Compiled), neg: make(map[string]struct{}), max: max}
}

// get returns the bucket's compiled policy (nil for a bucket known to
// have none) and whether the cache knew.
func (c *cache) get(bucket string) (*policy.Compiled, bool) {
	c.mu.RLock()
	pc, ok := c.pos[bucket]
	if !ok {
		_, ok = c.neg[bucket]
	}
	c.mu.RUnlock()
	return pc, ok
}

// generation is read before loading from the store, and handed to put.
func (c *cache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// put caches what was loaded at generation gen (pc nil: no policy),
// unless an invalidation came meanwhile: the load may predate the change
// the invalidation announced, and caching it would keep a stale policy
// until the next change.
func (c *cache) put(bucket string, pc *policy.Compiled, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if pc == nil {
		if len(c.neg) >= c.max {
			for k := range c.neg {
				delete(c.neg, k)
				break
			}
		}
		c.neg[bucket] = struct{}{}
		return
	}
	if len(c.pos) >= c.max {
		for k := range c.pos {
			delete(c.pos, k)
			break
		}
	}
	c.pos[bucket] = pc
}

// invalidate forgets what the cache knows of bucket.
func (c *cache) invalidate(bucket string) {
	c.mu.Lock()
	c.gen++
	delete(c.pos, bucket)
	delete(c.neg, bucket)
	c.mu.Unlock()
}

// flush forgets everything.
func (c *cache) flush() {
	c.mu.Lock()
	c.gen++
	clear(c.pos)
	clear(c.neg)
	c.mu.Unlock()
}

// len returns the number of entries of each kind, for tests.
func (c *cache) len() (pos, neg int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.pos), len(c.neg)
}
