package rolesanywhere

import (
	"context"
	"crypto/x509"
	"errors"
	"strings"
	"sync"
	"sync/atomic"

	fx509 "github.com/brevet-dev/brevet/internal/federation/x509"
)

// maxCached bounds each of the cache's maps; a full map is emptied
// rather than grown (unknown ids are cached too, as misses).
const maxCached = 10000

// anchor is a trust anchor as CreateSession uses it: its CA
// certificates and its enabled CRLs, as the chain verifier takes them.
type anchor struct {
	Account string
	Enabled bool
	X       fx509.Anchor
}

// profile is a profile compiled for CreateSession.
type profile struct {
	Account, ID, ARN          string
	Enabled                   bool
	Roles                     map[string]bool
	PolicyARNs                []string
	Policy                    string
	Duration                  int32
	AcceptRoleSessionName     bool
	RequireInstanceProperties bool
	Mappings                  []fx509.MappingRule
}

// cache holds what CreateSession reads: anchors and profiles by
// "account/id", nil for ids that do not exist. A load that raced a drop
// is not kept (the generations).
type cache struct {
	mu         sync.RWMutex
	anchors    map[string]*anchor
	profiles   map[string]*profile
	anchorGen  atomic.Uint64
	profileGen atomic.Uint64
	// The look-ups answered from the maps and the others, for Stats.
	anchorHits, anchorMisses, profileHits, profileMisses atomic.Uint64
}

// CacheStats are the counters and size of one of the service's caches,
// for metrics.
type CacheStats struct {
	// Hits are look-ups answered from the cache; Misses are the others
	// (each reads the store, or verifies a chain).
	Hits, Misses uint64
	// Invalidations counts the changes (made through any node) that
	// dropped entries: for anchors and profiles, each change of one
	// (their generation); for chains, each time a newer anchors
	// generation emptied the cache.
	Invalidations uint64
	// Entries is the number of entries the cache holds.
	Entries int
}

// Stats are the service's caches: the verified chains, the trust anchors
// (with their CRLs) and the compiled profiles CreateSession reads.
type Stats struct {
	Chains, Anchors, Profiles CacheStats
}

// Stats reports the service's caches' counters and sizes.
func (s *Service) Stats() Stats {
	ch := s.chains.Stats()
	s.cache.mu.RLock()
	anchors, profiles := len(s.cache.anchors), len(s.cache.profiles)
	s.cache.mu.RUnlock()
	c := &s.cache
	return Stats{
		Chains:   CacheStats{Hits: ch.Hits, Misses: ch.Misses, Invalidations: ch.Invalidations, Entries: ch.Entries},
		Anchors:  CacheStats{Hits: c.anchorHits.Load(), Misses: c.anchorMisses.Load(), Invalidations: c.anchorGen.Load(), Entries: anchors},
		Profiles: CacheStats{Hits: c.profileHits.Load(), Misses: c.profileMisses.Load(), Invalidations: c.profileGen.Load(), Entries: profiles},
	}
}

func (c *cache) init() {
	c.anchors = map[string]*anchor{}
	c.profiles = map[string]*profile{}
}

// Generation is the current anchors generation.
func (s *Service) Generation() uint64 { return s.cache.anchorGen.Load() }

// dropAnchors forgets the anchor id, or, for a CRL change, every anchor
// of the account.
func (c *cache) dropAnchors(account, kind, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.anchorGen.Add(1)
	if kind == KindTrustAnchor {
		delete(c.anchors, account+"/"+id)
		return
	}
	for k := range c.anchors {
		if strings.HasPrefix(k, account+"/") {
			delete(c.anchors, k)
		}
	}
}

func (c *cache) dropProfile(account, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.profileGen.Add(1)
	delete(c.profiles, account+"/"+id)
}

// anchor returns the trust anchor account/id, nil when there is none.
func (s *Service) anchor(ctx context.Context, account, id string) (*anchor, error) {
	key := account + "/" + id
	s.cache.mu.RLock()
	a, ok := s.cache.anchors[key]
	s.cache.mu.RUnlock()
	if ok {
		s.cache.anchorHits.Add(1)
		return a, nil
	}
	s.cache.anchorMisses.Add(1)
	gen := s.cache.anchorGen.Load()
	a, err := s.loadAnchor(ctx, account, id)
	if err != nil {
		return nil, err
	}
	s.cache.mu.Lock()
	if s.cache.anchorGen.Load() == gen {
		if len(s.cache.anchors) >= maxCached {
			clear(s.cache.anchors)
		}
		s.cache.anchors[key] = a
	}
	s.cache.mu.Unlock()
	return a, nil
}

func (s *Service) loadAnchor(ctx context.Context, account, id string) (*anchor, error) {
	var d anchorDoc
	if _, err := s.get(ctx, account, KindTrustAnchor, id, &d); err != nil {
		if _, ok := errors.AsType[*NotFoundError](err); ok {
			return nil, nil
		}
		return nil, err
	}
	a := &anchor{Account: account, Enabled: d.Enabled, X: fx509.Anchor{ID: id, ARN: s.ARN(account, KindTrustAnchor, id)}}
	if d.Source.SourceData != nil {
		certs, err := ParseBundle(d.Source.SourceData.X509CertificateData)
		if err != nil {
			a.Enabled = false // stored before a rule it breaks: trusted by nobody
		}
		a.X.Certs = certs
	}
	crls, err := s.anchorCRLs(ctx, account, a.X.ARN)
	if err != nil {
		return nil, err
	}
	a.X.CRLs = crls
	return a, nil
}

// anchorCRLs reads the enabled CRLs of the anchor arn.
func (s *Service) anchorCRLs(ctx context.Context, account, arn string) ([]*x509.RevocationList, error) {
	var out []*x509.RevocationList
	after := ""
	for {
		objs, err := s.objects.List(ctx, account, KindCRL, after, 500)
		if err != nil {
			return nil, err
		}
		for i := range objs {
			var d crlDoc
			if decode(&objs[i], &d) != nil || !d.Enabled || d.TrustAnchorArn != arn {
				continue
			}
			if crl, err := x509.ParseRevocationList(d.CrlData); err == nil {
				out = append(out, crl)
			}
		}
		if len(objs) < 500 {
			return out, nil
		}
		after = objs[len(objs)-1].ID
	}
}

// profile returns the profile account/id compiled, nil when there is
// none.
func (s *Service) profile(ctx context.Context, account, id string) (*profile, error) {
	key := account + "/" + id
	s.cache.mu.RLock()
	p, ok := s.cache.profiles[key]
	s.cache.mu.RUnlock()
	if ok {
		s.cache.profileHits.Add(1)
		return p, nil
	}
	s.cache.profileMisses.Add(1)
	gen := s.cache.profileGen.Load()
	var d profileDoc
	if _, err := s.get(ctx, account, KindProfile, id, &d); err != nil {
		if _, ok := errors.AsType[*NotFoundError](err); !ok {
			return nil, err
		}
	} else {
		p = &profile{
			Account: account, ID: id, ARN: s.ARN(account, KindProfile, id), Enabled: d.Enabled,
			Roles: make(map[string]bool, len(d.RoleArns)), PolicyARNs: d.ManagedPolicyArns, Policy: d.SessionPolicy,
			Duration: d.DurationSeconds, AcceptRoleSessionName: d.AcceptRoleSessionName,
			RequireInstanceProperties: d.RequireInstanceProperties, Mappings: mappingRules(d.AttributeMappings),
		}
		for _, r := range d.RoleArns {
			p.Roles[r] = true
		}
	}
	s.cache.mu.Lock()
	if s.cache.profileGen.Load() == gen {
		if len(s.cache.profiles) >= maxCached {
			clear(s.cache.profiles)
		}
		s.cache.profiles[key] = p
	}
	s.cache.mu.Unlock()
	return p, nil
}

// mappingRules compiles a profile's attribute mappings for
// fx509.Attributes. A profile whose mappings were all deleted maps
// nothing (an empty, non-nil list: nil would be the default mapping).
func mappingRules(ms []AttributeMapping) []fx509.MappingRule {
	out := make([]fx509.MappingRule, 0, len(ms))
	for _, m := range ms {
		r := fx509.MappingRule{Field: m.CertificateField}
		for _, mr := range m.MappingRules {
			r.Specifiers = append(r.Specifiers, mr.Specifier)
		}
		out = append(out, r)
	}
	return out
}
