package node

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/brevet-dev/brevet/internal/rolesanywhere"
	"github.com/brevet-dev/brevet/internal/store"
)

// poolStatser is implemented by the stores that report their connection
// pools (sqlite.Store, postgres.Store).
type poolStatser interface {
	PoolStats() []store.PoolStats
}

// cacheCollectors are the metrics of the caches every request reads (the
// authenticator's access keys, the authorizer's users, roles and session
// views), of those the credential-issuing paths read (Roles Anywhere's
// chains, trust anchors and profiles, the IoT credentials provider's
// objects), and of the store under them (its connection pools, and whether
// the change feed answers).
func (n *Node) cacheCollectors() []prometheus.Collector {
	return []prometheus.Collector{&opsCollector{n: n}}
}

var (
	descCacheHits = prometheus.NewDesc("brevet_cache_hits_total",
		"Lookups answered from a cache: authn_keys (long-term access keys), authz_entities (users and roles with their compiled policies), authz_sessions (temporary credentials' views), rolesanywhere_chains (verified certificate chains), rolesanywhere_anchors (trust anchors with their CRLs), rolesanywhere_profiles (compiled profiles), iot_objects (the IoT credentials provider's certificates, CA certificates, things and role aliases).",
		[]string{"cache"}, nil)
	descCacheMisses = prometheus.NewDesc("brevet_cache_misses_total",
		"Lookups a cache could not answer: each loads from the store (authn_keys, authz_entities, rolesanywhere_anchors, rolesanywhere_profiles, iot_objects; concurrent misses on one authz entity share a load), builds the view (authz_sessions) or verifies the chain (rolesanywhere_chains).",
		[]string{"cache"}, nil)
	descCacheEntries = prometheus.NewDesc("brevet_cache_entries",
		"Entries a cache holds now.", []string{"cache"}, nil)
	descCacheInvalidations = prometheus.NewDesc("brevet_cache_invalidations_total",
		"Changes, made through any node, that dropped entries of a cache: rolesanywhere_anchors and rolesanywhere_profiles (one per change of a trust anchor or CRL, or of a profile), rolesanywhere_chains (a newer generation of the trust anchors, seen at the next CreateSession, that emptied the cache), iot_objects (one per change of an object it may hold; a write through this node counts twice: the service drops the entry, then the change feed).",
		[]string{"cache"}, nil)
	descPoolConns = prometheus.NewDesc("brevet_store_connections",
		"Open connections of a store connection pool (SQLite: write and read; PostgreSQL: pool), by state: in_use or idle.",
		[]string{"pool", "state"}, nil)
	descPoolMax = prometheus.NewDesc("brevet_store_max_connections",
		"The most connections a store connection pool opens.", []string{"pool"}, nil)
	descPoolWaits = prometheus.NewDesc("brevet_store_connection_waits_total",
		"Callers that waited for a connection of a store pool because all were in use.", []string{"pool"}, nil)
	descPoolWaitTime = prometheus.NewDesc("brevet_store_connection_wait_seconds_total",
		"Time callers spent waiting for a connection of a store pool.", []string{"pool"}, nil)
	descStoreUp = prometheus.NewDesc("brevet_store_up",
		"1 while the store answers the change feed's reads; 0 while it does not (the node then serves from its caches and refuses writes).", nil, nil)
	descFeedErrors = prometheus.NewDesc("brevet_store_sync_errors_total",
		"Background reads of the store's change feed that failed.", nil, nil)
)

// opsCollector reads the counters when scraped: nothing is kept twice.
type opsCollector struct{ n *Node }

func (c *opsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descCacheHits, descCacheMisses, descCacheEntries, descCacheInvalidations,
		descPoolConns, descPoolMax, descPoolWaits, descPoolWaitTime, descStoreUp, descFeedErrors} {
		ch <- d
	}
}

func (c *opsCollector) Collect(ch chan<- prometheus.Metric) {
	n := c.n
	cache := func(name string, hits, misses uint64, entries int) {
		ch <- prometheus.MustNewConstMetric(descCacheHits, prometheus.CounterValue, float64(hits), name)
		ch <- prometheus.MustNewConstMetric(descCacheMisses, prometheus.CounterValue, float64(misses), name)
		ch <- prometheus.MustNewConstMetric(descCacheEntries, prometheus.GaugeValue, float64(entries), name)
	}
	a := n.authn.Stats()
	cache("authn_keys", a.Hits, a.Misses, a.Keys)
	z := n.authz.Stats()
	cache("authz_entities", z.EntityHits, z.EntityMisses, z.Entities)
	cache("authz_sessions", z.SessionHits, z.SessionMisses, z.Sessions)
	invalidations := func(name string, count uint64) {
		ch <- prometheus.MustNewConstMetric(descCacheInvalidations, prometheus.CounterValue, float64(count), name)
	}
	if n.ra != nil {
		r := n.ra.Stats()
		for _, rc := range []struct {
			name string
			s    rolesanywhere.CacheStats
		}{{"rolesanywhere_chains", r.Chains}, {"rolesanywhere_anchors", r.Anchors}, {"rolesanywhere_profiles", r.Profiles}} {
			cache(rc.name, rc.s.Hits, rc.s.Misses, rc.s.Entries)
			invalidations(rc.name, rc.s.Invalidations)
		}
	}
	if n.iot != nil {
		o := n.iot.svc.Stats()
		cache("iot_objects", o.Hits, o.Misses, o.Entries)
		invalidations("iot_objects", o.Invalidations)
	}

	if ps, ok := n.st.(poolStatser); ok {
		for _, p := range ps.PoolStats() {
			ch <- prometheus.MustNewConstMetric(descPoolConns, prometheus.GaugeValue, float64(p.InUse), p.Pool, "in_use")
			ch <- prometheus.MustNewConstMetric(descPoolConns, prometheus.GaugeValue, float64(p.Idle), p.Pool, "idle")
			ch <- prometheus.MustNewConstMetric(descPoolMax, prometheus.GaugeValue, float64(p.Max), p.Pool)
			ch <- prometheus.MustNewConstMetric(descPoolWaits, prometheus.CounterValue, float64(p.Waits), p.Pool)
			ch <- prometheus.MustNewConstMetric(descPoolWaitTime, prometheus.CounterValue, p.WaitTime.Seconds(), p.Pool)
		}
	}
	up := 1.0
	if n.down.Load() {
		up = 0
	}
	ch <- prometheus.MustNewConstMetric(descStoreUp, prometheus.GaugeValue, up)
	ch <- prometheus.MustNewConstMetric(descFeedErrors, prometheus.CounterValue, float64(n.feed.failures.Load()))
}
