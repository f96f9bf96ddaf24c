package authz_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/authz/authztest"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

// gatedStore is the real store whose role loads are counted and held:
// each reads its snapshot, then waits for the gate to open.
type gatedStore struct {
	*sqlite.Store
	p *gatedPrincipals
}

func (g gatedStore) Principals() store.Principals { return g.p }

type gatedPrincipals struct {
	store.Principals
	loads atomic.Int32
	gate  chan struct{}
}

// LoadRole reads the role, counts the load (so that waitLoads returns once
// the snapshot is taken) and holds it until the gate opens.
func (g *gatedPrincipals) LoadRole(ctx context.Context, account, name string) (store.PrincipalSnapshot, error) {
	snap, err := g.Principals.LoadRole(ctx, account, name)
	g.loads.Add(1)
	<-g.gate
	return snap, err
}

// waitLoads waits, at most 2 s, until n role loads have read their
// snapshot.
func (g *gatedPrincipals) waitLoads(n int32) {
	for deadline := time.Now().Add(2 * time.Second); g.loads.Load() < n && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
}

// loadAsync loads the role in a goroutine of its own; the channel gets the
// role, nil if the load failed (the test has failed then too).
func loadAsync(t *testing.T, a *authz.Authorizer, name string) <-chan *authz.Role {
	ch := make(chan *authz.Role, 1)
	go func() {
		role, err := a.LoadRole(context.Background(), acct, name)
		if err != nil {
			t.Error(err)
		}
		ch <- role
	}()
	return ch
}

func newGated(t *testing.T) (*authztest.World, *authz.Authorizer, *gatedPrincipals) {
	t.Helper()
	ctx := context.Background()
	s := openSQLite(t)
	w := &authztest.World{Store: s, Now: now}
	must(t, w.Account(acct))
	g := &gatedPrincipals{Principals: s.Principals(), gate: make(chan struct{})}
	a, err := authz.New(ctx, authz.Config{Store: gatedStore{s, g}, MessageKey: make([]byte, 32), PollInterval: time.Hour})
	must(t, err)
	return w, a, g
}

// Requests that miss the cache for one role at once share one load, and
// one that gives up does not fail the others, even if it started the load.
func TestConcurrentMissesShareOneLoad(t *testing.T) {
	w, a, g := newGated(t)
	_, err := w.Role(acct, "hot", authztest.Trust(acct), 0)
	must(t, err)

	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	leaderErr := make(chan error, 1)
	go func() {
		_, err := a.LoadRole(leaderCtx, acct, "hot")
		leaderErr <- err
	}()
	g.waitLoads(1)
	const n = 32
	var wg sync.WaitGroup
	roles := make([]*authz.Role, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { roles[i], errs[i] = a.LoadRole(context.Background(), acct, "hot") })
	}
	time.Sleep(100 * time.Millisecond) // let them all miss the cache and join
	cancelLeader()
	select {
	case err := <-leaderErr:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the caller that gave up: err = %v, want context.Canceled", err)
		}
	case <-time.After(2 * time.Second):
		t.Errorf("the caller that gave up is still waiting for the load")
	}
	close(g.gate)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if roles[i] != roles[0] {
			t.Errorf("caller %d got another Role than caller 0", i)
		}
	}
	if got := g.loads.Load(); got != 1 {
		t.Errorf("%d concurrent misses made %d loads, want 1", n+1, got)
	}
}

// A caller that has seen a change (the authorizer synced past it) does
// not join a load begun before it: it would get the role as it was.
func TestLoadAfterChangeDoesNotJoinOlderLoad(t *testing.T) {
	w, a, g := newGated(t)
	r, err := w.Role(acct, "hot", authztest.Trust(acct), 3600)
	must(t, err)
	ctx := context.Background()

	old := loadAsync(t, a, "hot")
	g.waitLoads(1)
	// The first load has read its snapshot; now the role changes.
	r.MaxSessionDuration = 7200
	must(t, w.Store.Roles().Update(ctx, r))
	must(t, a.Sync(ctx))

	fresh := loadAsync(t, a, "hot")
	// Give it time to start a load of its own (it must not wait for the
	// first one's).
	g.waitLoads(2)
	close(g.gate)
	if got := <-old; got == nil || got.MaxSessionDuration != 3600 {
		t.Error("the load begun before the change did not return the role as it was then (MaxSessionDuration 3600)")
	}
	if got := <-fresh; got == nil || got.MaxSessionDuration != 7200 {
		t.Error("the load begun after the change did not return the changed role (MaxSessionDuration 7200)")
	}
}

// panickingPrincipals panics on every role load.
type panickingPrincipals struct{ store.Principals }

func (panickingPrincipals) LoadRole(context.Context, string, string) (store.PrincipalSnapshot, error) {
	panic("load failed")
}

// A load that panics fails the requests that share it; it does not take
// the process down (singleflight would re-panic it where nothing recovers).
func TestLoadPanicIsAnError(t *testing.T) {
	w, _, g := newGated(t)
	_, err := w.Role(acct, "hot", authztest.Trust(acct), 0)
	must(t, err)
	s := w.Store.(*sqlite.Store)
	a, err := authz.New(context.Background(), authz.Config{Store: panickingStore{s, panickingPrincipals{g.Principals}},
		MessageKey: make([]byte, 32), PollInterval: time.Hour})
	must(t, err)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := a.LoadRole(context.Background(), acct, "hot"); err == nil || !strings.Contains(err.Error(), "panic: load failed") {
				t.Errorf("LoadRole: err = %v, want the panic as an error", err)
			}
		})
	}
	wg.Wait()
}

type panickingStore struct {
	*sqlite.Store
	p panickingPrincipals
}

func (s panickingStore) Principals() store.Principals { return s.p }
