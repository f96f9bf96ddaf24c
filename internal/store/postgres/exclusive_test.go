package postgres_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/postgres"
	"github.com/brevet-dev/brevet/internal/store/postgres/pgtest"
)

// TestExclusive: Exclusive calls from separate stores (separate nodes) on
// one schema never overlap, each sees what the previous committed, and a
// failed call releases the lock.
func TestExclusive(t *testing.T) {
	dsn := pgtest.DSN(t)
	const nodes = 4
	stores := make([]*postgres.Store, nodes)
	for i := range stores {
		stores[i] = openDSN(t, dsn)
	}
	ctx := t.Context()
	var inside, overlaps atomic.Int32
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() {
			errs[i] = s.Exclusive(ctx, func(r store.Repos) error {
				if inside.Add(1) > 1 {
					overlaps.Add(1)
				}
				defer inside.Add(-1)
				accounts, err := r.Accounts().List(ctx)
				if err != nil || len(accounts) > 0 {
					return err // someone made it: nothing to do
				}
				time.Sleep(20 * time.Millisecond) // leave the others time to try
				return r.Accounts().Create(ctx, iam.Account{ID: "111122223333", Created: clock()})
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: %v", i, err)
		}
	}
	if got := overlaps.Load(); got != 0 {
		t.Errorf("got %d overlapping Exclusive calls, want 0", got)
	}
	if accounts, err := stores[0].Accounts().List(ctx); err != nil || len(accounts) != 1 {
		t.Errorf("accounts: got %v, %v; want one", accounts, err)
	}

	// A call that fails releases the lock for the next.
	failed := stores[0].Exclusive(ctx, func(store.Repos) error { return context.Canceled })
	if !errors.Is(failed, context.Canceled) {
		t.Errorf("failed call: got %v, want its error", failed)
	}
	timeout, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := stores[1].Exclusive(timeout, func(store.Repos) error { return nil }); err != nil {
		t.Errorf("after a failed call: %v", err)
	}
}
