package broker

import (
	"container/list"
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"sync"
	"time"

	"github.com/brevet-dev/brevet/internal/broker/upstream"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
)

// MinCachedLifetime is what an entry of the credential cache must still
// have to be reused, besides half of its lifetime.
const MinCachedLifetime = 5 * time.Minute

// credCache is the per-caller cache of still-valid upstream credentials
// (Upstream.Cache), bounded, oldest evicted first. It holds secrets in
// memory only, never logs them.
type credCache struct {
	mu    sync.Mutex
	max   int
	byKey map[[32]byte]*list.Element
	order *list.List // of *cached, oldest first
}

type cached struct {
	key      [32]byte
	upstream string // upstream account id
	keyID    string // the upstream key it was obtained with ("" in OIDC mode)
	issued   time.Time
	sess     upstream.Session
	rec      request.UpstreamSession
}

func newCredCache(max int) *credCache {
	return &credCache{max: max, byKey: map[[32]byte]*list.Element{}, order: list.New()}
}

// get returns a copy of the entry for key when it is still good at now:
// at least half its lifetime and MinCachedLifetime left, obtained with
// the upstream's current key.
func (c *credCache) get(key [32]byte, keyID string, now time.Time) (*upstream.Session, request.UpstreamSession, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el := c.byKey[key]
	if el == nil {
		return nil, request.UpstreamSession{}, false
	}
	e := el.Value.(*cached)
	left, life := e.sess.Expiration.Sub(now), e.sess.Expiration.Sub(e.issued)
	if e.keyID != keyID || left < MinCachedLifetime || left < life/2 {
		c.order.Remove(el)
		delete(c.byKey, key)
		return nil, request.UpstreamSession{}, false
	}
	s, rec := e.sess, e.rec
	rec.Cached = true
	return &s, rec, true
}

// put adds an entry, evicting the oldest beyond the bound.
func (c *credCache) put(key [32]byte, upstreamID, keyID string, issued time.Time, s *upstream.Session, rec request.UpstreamSession) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el := c.byKey[key]; el != nil {
		c.order.Remove(el)
	}
	c.byKey[key] = c.order.PushBack(&cached{key: key, upstream: upstreamID, keyID: keyID, issued: issued, sess: *s, rec: rec})
	for c.order.Len() > c.max {
		old := c.order.Front()
		c.order.Remove(old)
		delete(c.byKey, old.Value.(*cached).key)
	}
}

// dropUpstream forgets every entry of an upstream (removed, or its key
// or endpoint changed).
func (c *credCache) dropUpstream(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for el := c.order.Front(); el != nil; {
		next := el.Next()
		if e := el.Value.(*cached); e.upstream == id {
			c.order.Remove(el)
			delete(c.byKey, e.key)
		}
		el = next
	}
}

// len is the number of entries.
func (c *credCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// cacheKey is the cache key of a call: sha256 over the caller's
// principal ARN, the access key at the root of its session, the action,
// the role, session name, duration, policies, tags, transitive tag keys
// and source identity, each length-prefixed so that no two calls share
// a key.
func cacheKey(caller *identity.Principal, action, roleARN, sessionName string, d time.Duration, policy string,
	policyARNs []string, tags []upstream.Tag, transitive []string, sourceIdentity string) [32]byte {
	h := sha256.New()
	field := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	root := caller.AccessKeyID
	if caller.Session != nil && caller.Session.RootAccessKeyID != "" {
		root = caller.Session.RootAccessKeyID
	}
	field(caller.CallerARN)
	field(root)
	field(action)
	field(roleARN)
	field(sessionName)
	field(strconv.FormatInt(int64(d), 10))
	field(policy)
	field(strconv.Itoa(len(policyARNs)))
	for _, a := range policyARNs {
		field(a)
	}
	field(strconv.Itoa(len(tags)))
	for _, t := range tags {
		field(t.Key)
		field(t.Value)
	}
	field(strconv.Itoa(len(transitive)))
	for _, k := range transitive {
		field(k)
	}
	field(sourceIdentity)
	var out [32]byte
	h.Sum(out[:0])
	return out
}
