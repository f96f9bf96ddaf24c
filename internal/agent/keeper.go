package agent

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// Fetcher obtains a fresh set of credentials.
type Fetcher func(ctx context.Context) (Credentials, error)

// served is what a Keeper serves: the credentials and when it got them.
type served struct {
	creds   Credentials
	fetched time.Time
}

// Keeper keeps one role's credentials fresh: it fetches them, refreshes
// them at refreshAt, keeps serving the cached set through failures until
// it expires, and drops it at once on an error IsRevoked reports.
type Keeper struct {
	// Role is the role ARN served (for logs and metrics).
	Role    string
	fetch   Fetcher
	clock   clockwork.Clock
	rand    func() float64
	poll    time.Duration
	log     *slog.Logger
	metrics *Metrics

	mu       sync.RWMutex
	cur      *served
	failures int
	kick     chan struct{}
	onChange []func(serving bool)
}

// KeeperConfig configures a Keeper.
type KeeperConfig struct {
	Role  string
	Fetch Fetcher
	Clock clockwork.Clock
	// Rand returns a number in [0,1) for jitter; nil uses math/rand.
	Rand func() float64
	// Poll, when positive, fetches at least this often, so that a
	// revocation is seen within Poll (polling fallback for the change
	// feed); 0 fetches only to refresh.
	Poll    time.Duration
	Log     *slog.Logger
	Metrics *Metrics
}

// NewKeeper returns a Keeper that serves nothing until Run fetches.
func NewKeeper(cfg KeeperConfig) *Keeper {
	k := &Keeper{Role: cfg.Role, fetch: cfg.Fetch, clock: cfg.Clock, rand: cfg.Rand, poll: cfg.Poll,
		log: cfg.Log, metrics: cfg.Metrics, kick: make(chan struct{}, 1)}
	if k.clock == nil {
		k.clock = clockwork.NewRealClock()
	}
	if k.rand == nil {
		k.rand = rand.Float64
	}
	if k.log == nil {
		k.log = slog.New(slog.DiscardHandler)
	}
	if k.metrics == nil {
		k.metrics = NewMetrics()
	}
	k.metrics.watch(k)
	return k
}

// Current returns the credentials to serve at now and when they were
// fetched, or false when there are none (never fetched, expired or
// revoked).
func (k *Keeper) Current(now time.Time) (Credentials, time.Time, bool) {
	k.mu.RLock()
	s := k.cur
	k.mu.RUnlock()
	if s == nil || !s.creds.valid(now) {
		return Credentials{}, time.Time{}, false
	}
	return s.creds, s.fetched, true
}

// OnChange registers fn, called (outside the lock) when the Keeper
// starts or stops serving.
func (k *Keeper) OnChange(fn func(serving bool)) {
	k.mu.Lock()
	k.onChange = append(k.onChange, fn)
	k.mu.Unlock()
}

// Clear stops serving at once (the credentials this Keeper's depend on
// were revoked) and fetches again soon.
func (k *Keeper) Clear() {
	k.set(nil)
	k.Kick()
}

// Kick makes Run fetch now.
func (k *Keeper) Kick() {
	select {
	case k.kick <- struct{}{}:
	default:
	}
}

func (k *Keeper) set(s *served) {
	k.mu.Lock()
	was := k.cur != nil
	k.cur = s
	fns := k.onChange
	k.mu.Unlock()
	if is := s != nil; is != was {
		for _, fn := range fns {
			fn(is)
		}
	}
}

// Retry bounds: the first retry after a failure, the longest wait
// between retries, and how soon a revoked role is asked for again.
const (
	retryMin     = 2 * time.Second
	retryMax     = time.Minute
	revokedRetry = 30 * time.Second
)

// backoff is the wait before retry n (1, 2, …) after failures: retryMin
// doubling to retryMax, times a jitter of 0.75 to 1.25 drawn from r in
// [0,1), so that agents that lost the server together do not come back
// together.
func backoff(n int, r float64) time.Duration {
	wait := min(retryMin<<min(max(n, 1)-1, 10), retryMax)
	return time.Duration(float64(wait) * (0.75 + 0.5*r))
}

// Step fetches once at the clock's now and returns when to fetch next.
func (k *Keeper) Step(ctx context.Context) time.Time {
	now := k.clock.Now()
	c, err := k.fetch(ctx)
	if err == nil && !c.valid(now) {
		err = &APIError{Code: "InvalidResponse", Message: "the credentials received are incomplete or expired"}
	}
	switch {
	case err == nil:
		k.metrics.refreshes.WithLabelValues(k.Role).Inc()
		k.mu.Lock()
		k.failures = 0
		k.mu.Unlock()
		k.set(&served{creds: c, fetched: now})
		next := refreshAt(now, c.Expiration, k.rand())
		if k.poll > 0 && next.After(now.Add(k.poll)) {
			next = now.Add(k.poll)
		}
		k.log.Info("agent: credentials refreshed", "role", k.Role, "access_key_id", c.AccessKeyID,
			"expiration", c.Expiration.UTC(), "next", next.UTC())
		return next
	case IsRevoked(err):
		k.metrics.failures.WithLabelValues(k.Role, "revoked").Inc()
		k.mu.Lock()
		was := k.cur != nil
		k.mu.Unlock()
		k.set(nil)
		if was {
			k.log.Warn("agent: role no longer granted; stopped serving it", "role", k.Role, "err", err)
		}
		wait := revokedRetry
		if k.poll > 0 && k.poll < wait {
			wait = k.poll
		}
		return now.Add(wait)
	default:
		k.metrics.failures.WithLabelValues(k.Role, "transient").Inc()
		k.mu.Lock()
		k.failures++
		n := k.failures
		k.mu.Unlock()
		wait := backoff(n, k.rand())
		_, _, serving := k.Current(now)
		k.log.Warn("agent: refreshing credentials failed; serving the cached ones until they expire",
			"role", k.Role, "serving", serving, "err", err, "retry_in", wait)
		return now.Add(wait)
	}
}

// Run fetches and refreshes until ctx ends.
func (k *Keeper) Run(ctx context.Context) {
	for {
		next := k.Step(ctx)
		t := k.clock.NewTimer(next.Sub(k.clock.Now()))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.Chan():
		case <-k.kick:
			t.Stop()
		}
	}
}
