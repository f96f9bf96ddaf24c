package sso

import (
	"strings"
	"sync"

	"github.com/brevet-dev/brevet/internal/store"
)

// maxCachedSessions bounds the session cache; when it is full an
// arbitrary eighth is dropped (they are read again on their next use).
const maxCachedSessions = 1 << 17

// cached is what Authenticate needs of a session.
type cached struct {
	client   string
	identity Identity
	expires  int64
}

// sessionCache holds the sessions this node has seen, checked. Every
// drop moves the epoch on, so a read that began before a drop does not
// put back what the drop removed.
type sessionCache struct {
	mu    sync.RWMutex
	m     map[string]cached
	epoch uint64
	max   int
}

func newSessionCache(max int) *sessionCache {
	return &sessionCache{m: make(map[string]cached), max: max}
}

func (c *sessionCache) get(sid string) (cached, bool) {
	c.mu.RLock()
	e, ok := c.m[sid]
	c.mu.RUnlock()
	return e, ok
}

func (c *sessionCache) epochNow() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.epoch
}

// put caches e unless something was dropped since epoch.
func (c *sessionCache) put(sid string, e cached, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
		return
	}
	if len(c.m) >= c.max {
		n := c.max / 8
		for k := range c.m {
			if n == 0 {
				break
			}
			delete(c.m, k)
			n--
		}
	}
	c.m[sid] = e
}

func (c *sessionCache) drop(sid string) {
	c.mu.Lock()
	delete(c.m, sid)
	c.epoch++
	c.mu.Unlock()
}

// dropWhere drops every session whose identity matches.
func (c *sessionCache) dropWhere(match func(Identity) bool) {
	c.mu.Lock()
	for k, e := range c.m {
		if match(e.identity) {
			delete(c.m, k)
		}
	}
	c.epoch++
	c.mu.Unlock()
}

// Apply drops what the changes make stale, so that a logout, a revoked
// session or a disabled user takes effect at once on every node: a
// changed or deleted session; the sessions of an IAM user whose user or
// login profile changed; the IAM sessions of an account whose groups
// changed (group ids are re-read on next use).
func (s *Service) Apply(changes []store.Change) {
	for _, ch := range changes {
		switch ch.Kind {
		case store.ChangeObject:
			if kind, id := store.SplitObjectKey(ch.Key); kind == KindSession && ch.Account == s.cfg.InstanceAccount {
				s.cache.drop(id)
			}
		case store.ChangeUser, store.ChangeLoginProfile:
			s.cache.dropWhere(func(id Identity) bool {
				return id.Source == SourceIAM && id.Account == ch.Account && strings.EqualFold(id.UserName, ch.Key)
			})
		case store.ChangeGroup:
			s.cache.dropWhere(func(id Identity) bool {
				return id.Source == SourceIAM && id.Account == ch.Account
			})
		}
	}
}
