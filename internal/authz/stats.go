package authz

import "sync/atomic"

// Stats are the cache's counters and sizes, for metrics. A miss on an
// entity loads it from the store (concurrent misses on one entity share
// one load); a miss on a session builds its view from the entity's.
type Stats struct {
	EntityHits, EntityMisses uint64
	// Entities is how many users and roles are cached.
	Entities                   int
	SessionHits, SessionMisses uint64
	// Sessions is how many temporary credentials' views are cached.
	Sessions int
}

// cacheStats counts lookups; the sizes are read from the maps.
type cacheStats struct {
	entityHits, entityMisses, sessionHits, sessionMisses atomic.Uint64
}

// Stats reports the cache's counters and sizes.
func (a *Authorizer) Stats() Stats {
	c := a.c
	c.mu.RLock()
	entities, sessions := len(c.entities), len(c.sessions)
	c.mu.RUnlock()
	return Stats{
		EntityHits: c.stats.entityHits.Load(), EntityMisses: c.stats.entityMisses.Load(), Entities: entities,
		SessionHits: c.stats.sessionHits.Load(), SessionMisses: c.stats.sessionMisses.Load(), Sessions: sessions,
	}
}
