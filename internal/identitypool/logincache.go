package identitypool

import (
	"context"
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/sts"
)

// An app sends the same ID token with every GetId and
// GetCredentialsForIdentity until the token expires (an hour, commonly),
// and verifying its RS256 signature is most of what those calls cost.
// The service therefore remembers OIDC logins it verified, by a hash of
// (account, provider, token), for at most loginCacheTTL and never past
// the token's exp. Only successes are kept: a refused token is verified
// again each time it is sent. SAML responses are kept the same way, for
// another reason (verifySAMLLogin): STS redeems an assertion only once.
//
// Any change of an IAM provider (the change feed's ChangeProvider: one
// deleted, a client id removed) empties the cache, on every node, as it
// makes STS reload the provider; the minute bounds what a missed change
// could cost. Key rotation is unaffected: the verifier caches the
// provider's keys for longer than that.
const (
	loginCacheTTL   = time.Minute
	maxCachedLogins = 65536
	// maxCachedLoginBytes bounds the memory the cache holds, counted by
	// the size of what was verified (a login's claims come from its
	// token, so they are no larger): a cache of long tokens empties
	// sooner than one of short ones.
	maxCachedLoginBytes = 64 << 20
	// loginEntryOverhead is what an entry costs beyond its token's bytes
	// (the key, the map slot, the decoded claims' maps).
	loginEntryOverhead = 512
)

// loginCache holds verified OIDC and SAML logins. A full map is emptied rather
// than grown. The VerifiedLogins it returns are shared: read-only.
type loginCache struct {
	mu      sync.RWMutex
	entries map[[sha256.Size]byte]cachedLogin
	// bytes is what the entries cost, as put counts it.
	bytes int
	// gen counts the emptyings: a verification that began before one is
	// not kept.
	gen atomic.Uint64
	// hits counts the look-ups answered from memory, for tests.
	hits atomic.Uint64
}

type cachedLogin struct {
	login *sts.VerifiedLogin
	until time.Time
}

// loginCacheKey is the hash of what a verification depends on; the
// token itself is never kept.
func loginCacheKey(account, provider, token string) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(account))
	h.Write([]byte{0})
	h.Write([]byte(provider))
	h.Write([]byte{0})
	h.Write([]byte(token))
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

func (c *loginCache) get(k [sha256.Size]byte, now time.Time) (*sts.VerifiedLogin, bool) {
	c.mu.RLock()
	e, ok := c.entries[k]
	c.mu.RUnlock()
	if !ok || !now.Before(e.until) {
		return nil, false
	}
	c.hits.Add(1)
	return e.login, true
}

// put keeps v, verified by a call that began at generation gen from a
// token (or assertion) of size bytes, unless the cache was emptied since.
func (c *loginCache) put(gen uint64, k [sha256.Size]byte, v *sts.VerifiedLogin, size int, now time.Time) {
	until := now.Add(loginCacheTTL)
	if !v.Expires.IsZero() && v.Expires.Before(until) {
		until = v.Expires
	}
	if !now.Before(until) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return
	}
	cost := size + loginEntryOverhead
	if cost > maxCachedLoginBytes/16 {
		return // one login may not take a sixteenth of the cache
	}
	if c.entries == nil || len(c.entries) >= maxCachedLogins || c.bytes+cost > maxCachedLoginBytes {
		c.entries, c.bytes = make(map[[sha256.Size]byte]cachedLogin), 0
	}
	if _, ok := c.entries[k]; !ok {
		c.bytes += cost
	}
	c.entries[k] = cachedLogin{login: v, until: until}
}

// applied empties the cache when an IAM provider changed.
func (c *loginCache) applied(changes []store.Change) {
	for _, ch := range changes {
		if ch.Kind == store.ChangeProvider {
			c.mu.Lock()
			c.gen.Add(1)
			c.entries, c.bytes = nil, 0
			c.mu.Unlock()
			return
		}
	}
}

// verifyOIDCLogin is Sessions.VerifyOIDCLogin through the cache.
func (s *Service) verifyOIDCLogin(ctx context.Context, account, provider, token string, now time.Time) (*sts.VerifiedLogin, error) {
	return s.cachedLogin(account, provider, token, now, func() (*sts.VerifiedLogin, error) {
		return s.sessions.VerifyOIDCLogin(ctx, account, provider, token, now)
	})
}

// cachedLogin is the login token of account's provider, from the cache
// or else verified by verify and kept.
func (s *Service) cachedLogin(account, provider, token string, now time.Time, verify func() (*sts.VerifiedLogin, error)) (*sts.VerifiedLogin, error) {
	k := loginCacheKey(account, provider, token)
	if v, ok := s.logins.get(k, now); ok {
		return v, nil
	}
	gen := s.logins.gen.Load()
	v, err := verify()
	if err != nil {
		return nil, err
	}
	s.logins.put(gen, k, v, len(token), now)
	return v, nil
}
