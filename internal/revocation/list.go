package revocation

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/store"
)

// List is the in-memory revocation list. Check reads an immutable
// snapshot through an atomic pointer: no lock and no I/O on the request
// path. Replace swaps in a new snapshot. The zero List is empty and ready.
type List struct {
	snap atomic.Pointer[snapshot]
}

type snapshot struct {
	// keys revokes an access key id, and every credential that has it as
	// its own, its root's or an ancestor's key, until the entry expires.
	keys map[string]time.Time
	// principals revokes the sessions of an ARN (principal or session
	// ARN) issued before a cut-off, and every session made from them.
	principals map[string]cutoff
	n          int
}

type cutoff struct {
	notBefore, expires time.Time
}

// Revoked reports whether the credential c is on the list at now, from c
// alone: its own key, its root key or any ancestor's key is revoked, or it
// or any ancestor was issued before the cut-off of a principal entry for
// its principal or session ARN. The lineage (credential.Claims.Lineage)
// reaches every session a revocation covers, at any chain depth, with no
// store read; it runs on every request with a temporary credential and
// allocates nothing. Entries that have expired no longer count (the
// credentials they covered have expired too).
func (l *List) Revoked(c *credential.Claims, now time.Time) bool {
	s := l.snap.Load()
	if s == nil || s.n == 0 {
		return false
	}
	if s.key(c.AccessKeyID, now) || s.key(c.RootAccessKeyID, now) || s.issuedBefore(c.PrincipalARN, c.SessionARN, c.IssuedAt, now) {
		return true
	}
	// The parent is the nearest ancestor or, with none, the root key; a
	// version 1 token (no lineage) may name a session parent.
	if p := c.ParentAccessKeyID; p != c.RootAccessKeyID && (len(c.Lineage) == 0 || p != c.Lineage[0].AccessKeyID) && s.key(p, now) {
		return true
	}
	for i := range c.Lineage {
		a := &c.Lineage[i]
		if s.key(a.AccessKeyID, now) || s.issuedBefore(a.PrincipalARN, a.SessionARN, a.IssuedAt, now) {
			return true
		}
	}
	return false
}

func (s *snapshot) key(id string, now time.Time) bool {
	if id == "" {
		return false
	}
	exp, ok := s.keys[id]
	return ok && now.Before(exp)
}

// issuedBefore reports whether a session of principal (or with session
// ARN session) issued at issued falls before a live cut-off.
func (s *snapshot) issuedBefore(principal, session string, issued, now time.Time) bool {
	if len(s.principals) == 0 {
		return false
	}
	if c, ok := s.principals[principal]; ok && principal != "" && issued.Before(c.notBefore) && now.Before(c.expires) {
		return true
	}
	if session == principal {
		return false
	}
	c, ok := s.principals[session]
	return ok && session != "" && issued.Before(c.notBefore) && now.Before(c.expires)
}

// Replace makes entries (those not expired at now) the whole list.
func (l *List) Replace(entries []store.Revocation, now time.Time) {
	s := &snapshot{keys: map[string]time.Time{}, principals: map[string]cutoff{}}
	for _, e := range entries {
		if !now.Before(e.ExpiresAt) {
			continue
		}
		switch e.Kind {
		case store.RevokeKey:
			if e.ExpiresAt.After(s.keys[e.Target]) {
				s.keys[e.Target] = e.ExpiresAt
			}
		case store.RevokePrincipal:
			// The latest cut-off covers the earlier ones, for as long as
			// the longest-lived of them.
			c := s.principals[e.Target]
			if e.NotBefore.After(c.notBefore) {
				c.notBefore = e.NotBefore
			}
			if e.ExpiresAt.After(c.expires) {
				c.expires = e.ExpiresAt
			}
			s.principals[e.Target] = c
		default:
			continue
		}
		s.n++
	}
	l.snap.Store(s)
}

// Len reports how many live entries the list holds.
func (l *List) Len() int {
	if s := l.snap.Load(); s != nil {
		return s.n
	}
	return 0
}

// Source is where the list is loaded from: store.Revocations.
type Source interface {
	Active(ctx context.Context, t time.Time) ([]store.Revocation, error)
}

// Load replaces the list with src's entries active at now. On error the
// list stays as it was (a node that cannot reach the store keeps enforcing
// what it knew).
func (l *List) Load(ctx context.Context, src Source, now time.Time) error {
	entries, err := src.Active(ctx, now)
	if err != nil {
		return err
	}
	l.Replace(entries, now)
	return nil
}
