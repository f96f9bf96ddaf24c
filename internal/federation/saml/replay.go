package saml

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ReplayCache remembers redeemed assertions until they expire, so that each
// is accepted once. Servers in a cluster share one implementation (a store
// table); MemoryReplayCache serves a single process.
type ReplayCache interface {
	// Claim records that the assertion id from issuer is being redeemed,
	// and reports whether it was unused. The record may be dropped after
	// expires. An error means the cache could not decide: verification
	// fails closed.
	Claim(ctx context.Context, issuer, id string, expires, now time.Time) (bool, error)
}

// MemoryReplayCache is an in-process ReplayCache with expiry and a bound on
// its size.
type MemoryReplayCache struct {
	mu      sync.Mutex
	max     int
	entries map[replayKey]time.Time
}

type replayKey struct{ issuer, id string }

// ErrReplayCacheFull is returned when the cache holds max unexpired
// entries: refusing is safer than forgetting.
var ErrReplayCacheFull = errors.New("saml: replay cache full")

// NewMemoryReplayCache returns a cache holding at most max unexpired
// assertions (0 means 1,000,000).
func NewMemoryReplayCache(max int) *MemoryReplayCache {
	if max <= 0 {
		max = 1_000_000
	}
	return &MemoryReplayCache{max: max, entries: make(map[replayKey]time.Time)}
}

// Claim implements ReplayCache.
func (c *MemoryReplayCache) Claim(_ context.Context, issuer, id string, expires, now time.Time) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := replayKey{issuer, id}
	if exp, ok := c.entries[k]; ok && now.Before(exp) {
		return false, nil
	}
	if len(c.entries) >= c.max {
		c.sweep(now)
		if len(c.entries) >= c.max {
			return false, ErrReplayCacheFull
		}
	}
	c.entries[k] = expires
	return true, nil
}

// Len reports the entries held, expired or not.
func (c *MemoryReplayCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// Sweep drops expired entries; Claim sweeps when the cache is full, and a
// server may also call it periodically.
func (c *MemoryReplayCache) Sweep(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweep(now)
}

func (c *MemoryReplayCache) sweep(now time.Time) {
	for k, exp := range c.entries {
		if !now.Before(exp) {
			delete(c.entries, k)
		}
	}
}
