package authn

import (
	"context"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
)

// syncPage is how many changes Sync reads per query.
const syncPage = 500

// Sync applies the changes written since the last Sync to the cache: a
// changed or deleted access key is evicted, and so are the keys of a
// changed user (renamed, deleted: its ARN or existence changed) and of a
// deleted account. Evicted keys are reloaded from the store on their next
// use. It returns the changes it applied, so a caller can react to other
// kinds (key material) without reading the feed twice.
func (a *Authenticator) Sync(ctx context.Context) ([]store.Change, error) {
	a.mu.RLock()
	from := a.synced
	a.mu.RUnlock()
	var all []store.Change
	for {
		changes, err := a.changes.Since(ctx, from, syncPage)
		if err != nil {
			return all, err
		}
		if len(changes) == 0 {
			return all, nil
		}
		a.Apply(changes)
		all = append(all, changes...)
		from = changes[len(changes)-1].Seq
		if len(changes) < syncPage {
			return all, nil
		}
	}
}

// Apply applies changes read from the change feed by someone else (a
// node's one follower), as Sync would: changes at or before the position
// already applied are skipped.
func (a *Authenticator) Apply(changes []store.Change) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, c := range changes {
		if c.Seq <= a.synced {
			continue // another Sync got here first
		}
		switch c.Kind {
		case store.ChangeAccessKey:
			delete(a.cache, c.Key)
		case store.ChangeUser:
			for id, k := range a.cache {
				if k.account == c.Account && k.userName == c.Key {
					delete(a.cache, id)
				}
			}
		case store.ChangeAccount:
			for id, k := range a.cache {
				if k.account == c.Key {
					delete(a.cache, id)
				}
			}
		}
		a.synced = c.Seq
	}
}

// Watch calls Sync (and FlushUses) every interval until ctx is done,
// handing each batch of changes to onChanges (which may be nil). Errors are logged and retried at
// the next tick; the cache stays as it was meanwhile.
func (a *Authenticator) Watch(ctx context.Context, interval time.Duration, onChanges func(context.Context, []store.Change)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		changes, err := a.Sync(ctx)
		if err != nil && ctx.Err() == nil {
			a.log.WarnContext(ctx, "authn: following the change feed", "err", err)
		}
		if len(changes) > 0 && onChanges != nil {
			onChanges(ctx, changes)
		}
		if err := a.FlushUses(ctx); err != nil && ctx.Err() == nil {
			a.log.WarnContext(ctx, "authn: recording access key use", "err", err)
		}
	}
}

// Stats are the key cache's counters and size, for metrics. A miss loads
// the key from the store (and opens its secret).
type Stats struct {
	Hits, Misses uint64
	Keys         int
}

// Stats reports the key cache's counters and size.
func (a *Authenticator) Stats() Stats {
	return Stats{Hits: a.hits.Load(), Misses: a.misses.Load(), Keys: a.Cached()}
}

// Cached reports how many long-term keys the cache holds, for tests and
// metrics.
func (a *Authenticator) Cached() int {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return len(a.cache)
}
