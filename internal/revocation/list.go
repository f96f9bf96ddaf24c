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
	// keys revokes an access key id and every credential whose parent or
	// root it is, until the entry expires.
	keys map[string]time.Time
	// principals revokes sessions of an ARN issued before the time.
	principals map[string]time.Time
	n          int
}

// Revoked reports whether the credential c is on the list at now. Entries
// that have expired no longer count (the credentials they covered have
// expired too).
func (l *List) Revoked(c *credential.Claims, now time.Time) bool {
	s := l.snap.Load()
	if s == nil || s.n == 0 {
		return false
	}
	for _, id := range [...]string{c.AccessKeyID, c.ParentAccessKeyID, c.RootAccessKeyID} {
		if id == "" {
			continue
		}
		if exp, ok := s.keys[id]; ok && now.Before(exp) {
			return true
		}
	}
	for _, arn := range [...]string{c.PrincipalARN, c.SessionARN} {
		if nb, ok := s.principals[arn]; ok && arn != "" && c.IssuedAt.Before(nb) {
			return true
		}
	}
	return false
}

// Replace makes entries (those not expired at now) the whole list.
func (l *List) Replace(entries []store.Revocation, now time.Time) {
	s := &snapshot{keys: map[string]time.Time{}, principals: map[string]time.Time{}}
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
			// The latest cut-off covers the earlier ones.
			if e.NotBefore.After(s.principals[e.Target]) {
				s.principals[e.Target] = e.NotBefore
			}
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
