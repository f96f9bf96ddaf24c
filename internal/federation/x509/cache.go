package x509

import (
	"crypto/sha256"
	stdx509 "crypto/x509"
	"encoding/binary"
	"sync"
	"time"
)

// DefaultCacheSize is a Cache's bound when NewCache is given 0.
const DefaultCacheSize = 10000

// Cache remembers verified chains, so that a device signing in again
// costs a hash and a map look-up rather than chain building and CRL
// checks. It is safe for concurrent use.
//
// An entry is keyed by SHA-256 over the certificates (their DER, or the
// headers as sent), the IDs of the anchors offered, and the anchors'
// generation, a number the caller bumps (cluster-wide, through the change
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
	h := sha256.New()
	h.Write([]byte{'d'})
	writeBytes(h, leaf.Raw)
	for _, x := range chain {
		writeBytes(h, x.Raw)
	}
	key := finish(h, anchors, generation)
	return c.lookup(key, generation, now, func() (*Verified, error) {
		return c.v.Verify(leaf, chain, anchors, now)
	})
}

// VerifyHeaders is ParseHeaders and then Verify, through the cache keyed
// by the headers as sent: a hit parses nothing. The leaf is in the
// result.
func (c *Cache) VerifyHeaders(leafB64, chainCSV string, anchors []Anchor, generation uint64, now time.Time) (*Verified, error) {
	h := sha256.New()
	h.Write([]byte{'h'})
	writeBytes(h, []byte(leafB64))
	writeBytes(h, []byte(chainCSV))
	key := finish(h, anchors, generation)
	return c.lookup(key, generation, now, func() (*Verified, error) {
		leaf, chain, err := ParseHeaders(leafB64, chainCSV)
		if err != nil {
			return nil, err
		}
		return c.v.Verify(leaf, chain, anchors, now)
	})
}

// Len returns the number of entries.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

type hasher interface{ Write([]byte) (int, error) }

// writeBytes writes b length-prefixed, so that no two sequences hash
// alike.
func writeBytes(h hasher, b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	h.Write(n[:])
	h.Write(b)
}

func finish(h interface {
	hasher
	Sum([]byte) []byte
}, anchors []Anchor, generation uint64) [32]byte {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(anchors)))
	h.Write(n[:])
	for i := range anchors {
		writeBytes(h, []byte(anchors[i].ID))
	}
	binary.BigEndian.PutUint64(n[:], generation)
	h.Write(n[:])
	var key [32]byte
	h.Sum(key[:0])
	return key
}

func (c *Cache) lookup(key [32]byte, gen uint64, now time.Time, verify func() (*Verified, error)) (*Verified, error) {
	c.mu.Lock()
	if gen > c.gen {
		clear(c.m)
		c.gen = gen
	}
	current := gen == c.gen
	v, ok := c.m[key]
	if ok && (now.Before(v.NotBefore) || now.After(v.NotAfter)) {
		delete(c.m, key)
		ok = false
	}
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := verify()
	if err != nil || !current {
		return v, err
	}
	c.mu.Lock()
	if gen == c.gen {
		if len(c.m) >= c.max {
			for k := range c.m {
				delete(c.m, k)
				break
			}
		}
		c.m[key] = v
	}
	c.mu.Unlock()
	return v, nil
}
