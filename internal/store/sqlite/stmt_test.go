package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
	"github.com/brevet-dev/brevet/internal/store/storetest"
)

// A burst of reads on a fresh store, more than the read pool has
// connections, each in a read transaction whose statements are not yet
// prepared: preparing must not wait for a connection the other readers
// hold (it did, and they all waited for their contexts to end).
func TestColdReadBurstDoesNotDeadlock(t *testing.T) {
	for round := range 5 {
		s, err := sqlite.Open(t.Context(), sqlite.Config{
			Path: filepath.Join(t.TempDir(), "brevet.db"), ReadConns: 2,
			Now: func() time.Time { return storetest.Now },
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		var wg sync.WaitGroup
		errs := make([]error, 32)
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = s.Principals().LoadRole(ctx, storetest.Account, "no-such-role")
			})
		}
		wg.Wait()
		cancel()
		s.Close()
		for i, err := range errs {
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("round %d, reader %d: %v; want ErrNotFound", round, i, err)
			}
		}
	}
}
