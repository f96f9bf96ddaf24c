package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brevet-dev/brevet/internal/bootstrap"
	"github.com/brevet-dev/brevet/internal/store"
)

// Timing of the change feed and of housekeeping. With LISTEN/NOTIFY a
// change reaches every node's caches as soon as PostgreSQL delivers the
// notification; the poll is the fallback for a missed one (and the only
// mechanism on SQLite).
const (
	// followInterval is how often the feed is read without notifications.
	followInterval = 100 * time.Millisecond
	// listenFallback is the poll interval while a LISTEN connection is up.
	listenFallback = time.Second
	// syncTimeout bounds one read of the change feed, so that an
	// unreachable store is noticed (and reported) quickly.
	syncTimeout = 2 * time.Second
	// flushEvery is how often key last-use times are written, off the
	// request path.
	flushEvery = time.Second
	// pruneEvery is how often expired issuance records and revocations
	// are deleted.
	pruneEvery = 10 * time.Minute
	// revocationReload re-reads the whole revocation list this often even
	// without a change, so that every node converges whatever it missed.
	revocationReload = time.Minute
	// feedPage is how many changes one read of the feed takes.
	feedPage = 500
)

// follower is the node's one reader of the store's change feed: every
// cache gets its changes from it, so the feed is read once per change
// however many caches there are.
type follower struct {
	mu   sync.Mutex
	src  store.Changes
	seq  int64
	wake chan struct{}
	// failures counts the background reads the store did not answer.
	failures atomic.Uint64
}

// start positions the follower at the feed's head: the caches start
// empty, so nothing before now concerns them.
func (f *follower) start(ctx context.Context, st store.Store) error {
	seq, err := st.Changes().Latest(ctx)
	if err != nil {
		return fmt.Errorf("reading the change feed: %w", err)
	}
	f.src, f.seq, f.wake = st.Changes(), seq, make(chan struct{}, 1)
	return nil
}

// read hands every change since the last read to fn, a page at a time,
// in order; concurrent reads are serialized, so no change is applied
// twice or out of order.
func (f *follower) read(ctx context.Context, fn func([]store.Change) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		changes, err := f.src.Since(ctx, f.seq, feedPage)
		if err != nil || len(changes) == 0 {
			return err
		}
		if err := fn(changes); err != nil {
			return err
		}
		f.seq = changes[len(changes)-1].Seq
		if len(changes) < feedPage {
			return nil
		}
	}
}

// poke asks the follow loop to read the change feed now.
func (f *follower) poke() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// sync brings every cache up to date with the store now.
func (n *Node) sync(ctx context.Context) error {
	return n.feed.read(ctx, func(changes []store.Change) error { return n.apply(ctx, changes) })
}

// apply fans changes out to every cache: the authenticator's keys, the
// authorizer's entities, the revocation list, the session-token key ring,
// federation's providers and issuer keys, and Roles Anywhere's anchors
// and profiles.
func (n *Node) apply(ctx context.Context, changes []store.Change) error {
	n.authn.Apply(changes)
	n.authz.Apply(changes)
	n.fed.applied(ctx, changes)   // federation.go
	n.applyGateway(changes)       // gateway.go
	n.applyRolesAnywhere(changes) // rolesanywhere.go
	n.applyIdentityPools(changes) // identitypool.go
	n.applyIoT(changes)           // iot.go
	n.applyHosts(changes)         // hosts.go
	n.applySSOPortal(changes)     // ssoportal.go
	n.applySSO(changes)           // sso.go
	n.applyBroker(changes)        // broker.go
	revoked := false
	for _, c := range changes {
		switch {
		case c.Kind == store.ChangeRevocation:
			revoked = true
		case c.Kind == store.ChangeKeyMaterial && c.Key == bootstrap.TokenRingPurpose+"/"+bootstrap.TokenRingID:
			if rerr := bootstrap.ReloadTokenRing(ctx, n.st, n.master, n.boot.Tokens); rerr != nil {
				n.log.ErrorContext(ctx, "reloading the session-token key ring", "err", rerr)
			} else {
				n.log.InfoContext(ctx, "session-token key ring reloaded", "active_key", n.boot.Tokens.ActiveKeyID())
			}
		}
	}
	if revoked {
		return n.revoked.Load(ctx, n.st.Revocations(), time.Now())
	}
	return nil
}

// listener is implemented by stores that announce changes
// (postgres.Store).
type listener interface {
	Listen(ctx context.Context, fn func(seq int64)) error
}

// follow keeps the caches in step with the store until ctx is done: at
// once when PostgreSQL notifies a change, and every interval regardless.
func (n *Node) follow(ctx context.Context) {
	interval := followInterval
	if l, ok := n.st.(listener); ok {
		interval = listenFallback
		n.loops.Go(func() { _ = l.Listen(ctx, func(int64) { n.feed.poke() }) })
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	lastReload := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-n.feed.wake:
		}
		reload := time.Since(lastReload) > revocationReload
		if n.syncOnce(ctx, reload) && reload {
			lastReload = time.Now()
		}
	}
}

// syncOnce reads the change feed into every cache, and the whole
// revocation list when asked, and reports whether the store answered.
func (n *Node) syncOnce(ctx context.Context, reloadRevocations bool) bool {
	sctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	err := n.sync(sctx)
	if err == nil && reloadRevocations {
		err = n.revoked.Load(sctx, n.st.Revocations(), time.Now())
	}
	n.setStoreState(ctx, err)
	return err == nil
}

func (n *Node) setStoreState(ctx context.Context, err error) {
	if err != nil && ctx.Err() == nil {
		n.feed.failures.Add(1)
	}
	switch {
	case ctx.Err() != nil:
	case err != nil && !n.down.Swap(true):
		n.log.ErrorContext(ctx, "store unreachable: serving from caches, refusing writes", "err", err)
	case err == nil && n.down.Swap(false):
		n.log.InfoContext(ctx, "store reachable again")
	}
}

// housekeep writes key last-use times and prunes expired records, each
// bounded in time, so that neither ever delays the change feed.
func (n *Node) housekeep(ctx context.Context) {
	flush := time.NewTicker(flushEvery)
	defer flush.Stop()
	prune := time.NewTicker(pruneEvery)
	defer prune.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-flush.C:
			if n.down.Load() {
				continue // kept in memory until the store is back
			}
			fctx, cancel := context.WithTimeout(ctx, syncTimeout)
			if err := n.authn.FlushUses(fctx); err != nil && ctx.Err() == nil {
				n.log.WarnContext(ctx, "recording access key use", "err", err)
			}
			if err := n.iamSvc.FlushPasswordUses(fctx); err != nil && ctx.Err() == nil {
				n.log.WarnContext(ctx, "recording password use", "err", err)
			}
			cancel()
		case <-prune.C:
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			now := time.Now()
			_, err1 := n.st.Sessions().Prune(pctx, now)
			_, err2 := n.st.Revocations().Prune(pctx, now)
			_, err3 := n.st.MFAAttempts().Prune(pctx, now)
			_, err4 := n.st.SAMLAssertions().Prune(pctx, now)
			err5 := n.sweepSSO(pctx, now) // sso.go
			if err := errors.Join(err1, err2, err3, err4, err5); err != nil && ctx.Err() == nil {
				n.log.WarnContext(ctx, "pruning expired sessions, revocations, MFA attempts, SAML assertions and SSO objects", "err", err)
			}
			cancel()
		}
	}
}
