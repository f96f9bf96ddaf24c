package main

import (
	"context"
	"fmt"
	"time"

	"github.com/brevet-dev/brevet/internal/loadgen"
)

// The identity pool workloads (issue 20): an OpenID provider served by
// the benchmark itself, an identity pool with guests and sign-in through
// it, and identities that come back.

// benchPoolName names the pool and, with a suffix, its roles.
const benchPoolName = "brevet-bench-pool"

// benchPoolIdentities is --pool-identities' default, and the number a
// caller without the flag (brevet bench soak) gets.
const benchPoolIdentities = 1000

// benchPoolGuests bounds the guest identities PoolGuest uses; the pool's
// guest rate (identity_pools.guest_rate, 20 at once by default) may
// leave fewer.
const benchPoolGuests = 64

// benchPoolSetUp starts the provider (stopped when ctx ends), sets the
// pool up on c's server and signs --pool-identities people in once.
func benchPoolSetUp(ctx context.Context, c *loadgen.Client, o benchOptions, progress func(string, ...any)) (*loadgen.PoolSetup, error) {
	idp, err := loadgen.StartPoolIdP()
	if err != nil {
		return nil, fmt.Errorf("bench: identity provider: %w", err)
	}
	context.AfterFunc(ctx, func() { _ = idp.Close() })
	start := time.Now()
	n := o.poolIdentities
	if n == 0 {
		n = benchPoolIdentities
	}
	// Tokens outlive any run but a day-long soak: an app renews its
	// person's token about hourly, and the server verifies each one.
	pool, err := c.SetUpPool(ctx, idp, benchPoolName, benchPoolGuests, n, 8, 24*time.Hour)
	if err != nil {
		_ = idp.Close()
		return nil, fmt.Errorf("bench: identity pool: %w", err)
	}
	progress("identity pool %s: provider %s, %d guests and %d signed-in identities in %v", pool.Pool, idp.URL,
		len(pool.Guests), len(pool.SignedIn), time.Since(start).Round(time.Millisecond))
	return pool, nil
}

// benchPoolWorkload is action's workload on pool.
func benchPoolWorkload(action string, pool *loadgen.PoolSetup) loadgen.Workload {
	if action == loadgen.ActionPoolGuest {
		return loadgen.PoolGuestWorkload(pool.Guests)
	}
	return loadgen.PoolSignedInWorkload(pool.Pool, pool.SignedIn)
}
