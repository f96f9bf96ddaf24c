// Package ratelimit owns Brevet's request budgets: token buckets kept per
// key (a source address, an access key id) in a map of bounded size
// (Buckets), and the budgets the request pipeline asks before and after
// authentication (Budgets, a request.Limiter and request.Observer).
//
// It knows nothing of HTTP or wire formats: a refusal is a
// *request.ThrottledError, which each codec words as its protocol's
// Throttling error. Time is passed in. Buckets live in the node's memory,
// so every budget is per node: N nodes behind a load balancer admit N
// times each budget.
package ratelimit

import (
	"container/list"
	"hash/maphash"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate is one budget's refill rate and burst. The zero value (or a
// non-positive PerSecond) is no limit at all.
type Rate struct {
	// PerSecond is how many tokens a bucket regains each second.
	PerSecond float64
	// Burst is a bucket's size: how many requests a key may make at once
	// after being idle.
	Burst int
}

// Off reports whether r limits nothing.
func (r Rate) Off() bool { return r.PerSecond <= 0 || r.Burst <= 0 }

// shards splits the map so that concurrent requests for different keys
// rarely wait for the same lock.
const shards = 32

// Buckets is a token bucket per key, in a map that holds at most a fixed
// number of keys: when a shard is full, its least recently used key is
// dropped, which forgets that key's history (its next request finds a
// full bucket). A flood of distinct keys (source addresses, made-up
// access key ids) therefore costs fixed memory; the price is that such a
// flood can push out the bucket of a key that was being limited. The
// limits that hold whatever the number of keys are the connection and
// in-flight caps of package server.
type Buckets struct {
	rate   Rate
	seed   maphash.Seed
	shards [shards]shard
}

type shard struct {
	mu  sync.Mutex
	max int
	m   map[string]*list.Element
	lru list.List // front: most recently used; values are *entry
}

type entry struct {
	key string
	lim *rate.Limiter
}

// NewBuckets returns buckets refilled at r, tracking at most maxKeys keys
// (at least one per shard). It returns nil when r is off: a nil *Buckets
// admits everything.
func NewBuckets(r Rate, maxKeys int) *Buckets {
	if r.Off() {
		return nil
	}
	b := &Buckets{rate: r, seed: maphash.MakeSeed()}
	per := max(1, maxKeys/shards)
	for i := range b.shards {
		b.shards[i] = shard{max: per, m: make(map[string]*list.Element)}
	}
	return b
}

func (b *Buckets) shard(key string) *shard {
	return &b.shards[maphash.String(b.seed, key)%shards]
}

// Over reports whether key's bucket is empty at now, without taking a
// token, and if so how long until it holds one again. A key never seen
// is not over and is not added: checking costs no memory.
func (b *Buckets) Over(key string, now time.Time) (bool, time.Duration) {
	if b == nil {
		return false, 0
	}
	s := b.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	el := s.m[key]
	if el == nil {
		return false, 0
	}
	e := el.Value.(*entry)
	if t := e.lim.TokensAt(now); t < 1 {
		return true, b.wait(1 - t)
	}
	return false, 0
}

// Take takes a token from key's bucket at now. When the bucket is empty it
// takes nothing and returns false with how long until a token is back.
func (b *Buckets) Take(key string, now time.Time) (bool, time.Duration) {
	if b == nil {
		return true, 0
	}
	s := b.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.get(key, b.rate)
	if e.lim.AllowN(now, 1) {
		return true, 0
	}
	return false, b.wait(1 - e.lim.TokensAt(now))
}

// Len is the number of keys tracked.
func (b *Buckets) Len() int {
	if b == nil {
		return 0
	}
	n := 0
	for i := range b.shards {
		s := &b.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

// wait is how long the bucket takes to regain missing tokens.
func (b *Buckets) wait(missing float64) time.Duration {
	return time.Duration(math.Ceil(missing / b.rate.PerSecond * float64(time.Second)))
}

// get returns key's entry, made (with a full bucket) when missing, and
// marks it most recently used. It evicts the least recently used entry of
// a full shard.
func (s *shard) get(key string, r Rate) *entry {
	if el := s.m[key]; el != nil {
		s.lru.MoveToFront(el)
		return el.Value.(*entry)
	}
	var e *entry
	if len(s.m) >= s.max {
		el := s.lru.Back()
		e = el.Value.(*entry)
		delete(s.m, e.key)
		s.lru.Remove(el)
	} else {
		e = new(entry)
	}
	e.key, e.lim = key, rate.NewLimiter(rate.Limit(r.PerSecond), r.Burst)
	s.m[key] = s.lru.PushFront(e)
	return e
}
