package x509

import (
	"crypto/sha256"
	stdx509 "crypto/x509"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultCacheSize is a Cache's bound when NewCache is given 0.
const DefaultCacheSize = 10000

// Cache remembers verified chains, so that a device signing in again
// costs a hash and a map look-up rather than chain building and CRL
// checks. It is safe for concurrent use.
//
// An entry is keyed by SHA-256 over the certificates (their DER, or the
// headers as sent), the IDs and ARNs of the anchors offered (the ARN names
// the account: an id alone need not be unique across accounts), and the
// anchors' generation, a number the caller bumps (cluster-wide, through the change
// feed) whenever an anchor or a CRL is created, changed, enabled,
// disabled or deleted. A newer generation empties the cache at once; a
// call with an older one (a node that has not caught up) bypasses it. A
// hit is still checked against now with the chain's validity window.
//
// Only successes are cached: a failure is as cheap for an attacker to
// vary as to repeat, so caching failures would protect nothing, and a
// fixed certificate (a CA added, a clock corrected) must work at once.
type Cache struct {
	v   Verifier
	max int

	mu  sync.Mutex
	gen uint64
	m   map[[32]byte]*Verified

	// hits, misses and invalidations are Stats' counters.
	hits, misses, invalidations atomic.Uint64
}

// CacheStats are a Cache's counters and size, for metrics.
type CacheStats struct {
	// Hits are look-ups answered from the cache; Misses are the others
	// (each verifies the chain).
	Hits, Misses uint64
	// Invalidations counts the times a newer generation emptied the
	// cache (when it held entries).
	Invalidations uint64
	// Entries is the number of chains the cache holds.
	Entries int
}

// Stats reports the cache's counters and size.
func (c *Cache) Stats() CacheStats {
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Invalidations: c.invalidations.Load(), Entries: c.Len()}
}

// NewCache returns a Cache of at most size entries (DefaultCacheSize when
// size ≤ 0). When full, an arbitrary entry makes room for a new one.
func NewCache(size int) *Cache {
	if size <= 0 {
		size = DefaultCacheSize
	}
	return &Cache{max: size, m: make(map[[32]byte]*Verified)}
}

// Verify is Verifier.Verify through the cache.
func (c *Cache) Verify(leaf *stdx509.Certificate, chain []*stdx509.Certificate, anchors []Anchor, generation uint64, now time.Time) (*Verified, error) {
	if leaf == nil {
		return nil, errorf(Malformed, "no certificate")
	}
	bp := keyBufs.Get().(*[]byte)
	b := appendLP(append((*bp)[:0], 'd'), leaf.Raw)
	for _, x := range chain {
		b = appendLP(b, x.Raw)
	}
	key := finishKey(bp, b, anchors, generation)
	v, current := c.get(key, generation, now)
	if v != nil {
		return v, nil
	}
	v, err := c.v.Verify(leaf, chain, anchors, now)
	if err == nil && current {
		c.put(key, generation, v)
	}
	return v, err
}

// VerifyHeaders is ParseHeaders and then Verify, through the cache keyed
// by the headers as sent: a hit parses nothing. The leaf is in the
// result.
func (c *Cache) VerifyHeaders(leafB64, chainCSV string, anchors []Anchor, generation uint64, now time.Time) (*Verified, error) {
	bp := keyBufs.Get().(*[]byte)
	b := appendLP(append((*bp)[:0], 'h'), leafB64)
	b = appendLP(b, chainCSV)
	key := finishKey(bp, b, anchors, generation)
	v, current := c.get(key, generation, now)
	if v != nil {
		return v, nil
	}
	leaf, chain, err := ParseHeaders(leafB64, chainCSV)
	if err != nil {
		return nil, err
	}
	v, err = c.v.Verify(leaf, chain, anchors, now)
	if err == nil && current {
		c.put(key, generation, v)
	}
	return v, err
}

// Len returns the number of entries.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// keyBufs holds the buffers keys are hashed from, so that a hit does not
// allocate for them.
var keyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// appendLP appends b length-prefixed, so that no two sequences of parts
// hash alike.
func appendLP[T string | []byte](b []byte, part T) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(part)))
	return append(b, part...)
}

// finishKey appends the anchor IDs and ARNs and the generation, hashes,
// and returns the buffer to its pool.
func finishKey(bp *[]byte, b []byte, anchors []Anchor, generation uint64) [32]byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(anchors)))
	for i := range anchors {
		b = appendLP(b, anchors[i].ID)
		b = appendLP(b, anchors[i].ARN)
	}
	b = binary.BigEndian.AppendUint64(b, generation)
	key := sha256.Sum256(b)
	if cap(b) <= 64<<10 {
		*bp = b
		keyBufs.Put(bp)
	}
	return key
}

// get returns the entry for key when it is valid at now, and whether
// generation is the cache's (so a result may be stored).
func (c *Cache) get(key [32]byte, gen uint64, now time.Time) (*Verified, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen > c.gen {
		if len(c.m) > 0 {
			c.invalidations.Add(1)
		}
		clear(c.m)
		c.gen = gen
	}
	v, ok := c.m[key]
	if ok && (now.Before(v.NotBefore) || now.After(v.NotAfter)) {
		delete(c.m, key)
		v = nil
	}
	if v != nil {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return v, gen == c.gen
}

func (c *Cache) put(key [32]byte, gen uint64, v *Verified) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.m) >= c.max {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[key] = v
}
