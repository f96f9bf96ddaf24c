package agent

import (
	"errors"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

func TestRefreshAt(t *testing.T) {
	for _, tc := range []struct {
		name string
		life time.Duration
		r    float64
		want time.Duration
	}{
		{"1h at 50%", time.Hour, 0, 30 * time.Minute},
		{"1h at 75% is capped 5 min before expiry", time.Hour, 0.9999, 45 * time.Minute},
		{"1h midway", time.Hour, 0.5, 37*time.Minute + 30*time.Second},
		{"12h at 75%", 12 * time.Hour, 0.99999999, 9 * time.Hour},
		{"15 min: never later than 5 min before", 15 * time.Minute, 0.99999999, 10 * time.Minute},
		{"8 min: half its life", 8 * time.Minute, 0.99, 4 * time.Minute},
		{"expired", -time.Minute, 0.5, 0},
	} {
		got := refreshAt(t0, t0.Add(tc.life), tc.r).Sub(t0).Round(time.Second)
		if got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestKeeperStep(t *testing.T) {
	outage := errors.New("dial tcp: connection refused")
	throttled := &APIError{Status: 400, Code: "Throttling"}
	denied := &APIError{Status: 403, Code: "AccessDenied"}
	gone := &APIError{Status: 404, Code: "NoSuchEntity"}
	for _, tc := range []struct {
		name        string
		second      error
		wantServing bool
	}{
		{"outage: served from cache", outage, true},
		{"throttled: served from cache", throttled, true},
		{"server error: served from cache", &APIError{Status: 500, Code: "InternalFailure"}, true},
		{"access denied: stops at once", denied, false},
		{"role gone: stops at once", gone, false},
		{"host not serving: stops", ErrNotServing, false},
	} {
		clock := clockwork.NewFakeClockAt(t0)
		s := &scripted{}
		s.push(creds("ASIA1", t0.Add(time.Hour)), nil)
		s.push(Credentials{}, tc.second)
		k := NewKeeper(KeeperConfig{Role: "r", Fetch: s.fetch, Clock: clock, Rand: func() float64 { return 0 }})
		next := k.Step(t.Context())
		if got, want := next, t0.Add(30*time.Minute); !got.Equal(want) {
			t.Errorf("%s: first refresh at %v, want %v", tc.name, got, want)
		}
		clock.Advance(30 * time.Minute)
		next = k.Step(t.Context())
		if _, _, got := k.Current(clock.Now()); got != tc.wantServing {
			t.Errorf("%s: serving %v, want %v", tc.name, got, tc.wantServing)
		}
		if wait := next.Sub(clock.Now()); wait <= 0 || wait > retryMax+retryMax/2 {
			t.Errorf("%s: retry in %v", tc.name, wait)
		}
		if tc.wantServing {
			// Through a long outage the cached set is served until it
			// expires, not a second longer.
			clock.Advance(30*time.Minute - time.Second)
			if _, _, ok := k.Current(clock.Now()); !ok {
				t.Errorf("%s: not serving a second before expiry", tc.name)
			}
			clock.Advance(time.Second)
			if _, _, ok := k.Current(clock.Now()); ok {
				t.Errorf("%s: serving expired credentials", tc.name)
			}
		}
	}
}

func TestKeeperRecoversAndRejectsBadResponses(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	s := &scripted{}
	s.push(Credentials{}, &APIError{Status: 403, Code: "AccessDenied"})
	s.push(creds("ASIA1", t0.Add(-time.Minute)), nil) // already expired: a bad response
	s.push(creds("ASIA2", t0.Add(time.Hour)), nil)
	k := NewKeeper(KeeperConfig{Role: "r", Fetch: s.fetch, Clock: clock, Poll: 10 * time.Second, Rand: func() float64 { return 0 }})
	if next := k.Step(t.Context()); next.Sub(t0) != 10*time.Second {
		t.Errorf("revoked: next poll in %v, want the poll interval", next.Sub(t0))
	}
	k.Step(t.Context())
	if _, _, ok := k.Current(clock.Now()); ok {
		t.Error("serving an expired set")
	}
	next := k.Step(t.Context())
	if c, _, ok := k.Current(clock.Now()); !ok || c.AccessKeyID != "ASIA2" {
		t.Errorf("got %v %v, want ASIA2 served", c.AccessKeyID, ok)
	}
	if next.Sub(t0) != 10*time.Second {
		t.Errorf("with a poll interval, next fetch in %v, want 10s", next.Sub(t0))
	}
}

func TestKeeperRunRefreshesOnTime(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	s := &scripted{}
	s.push(creds("ASIA1", t0.Add(time.Hour)), nil)
	s.push(creds("ASIA2", t0.Add(2*time.Hour)), nil)
	k := NewKeeper(KeeperConfig{Role: "r", Fetch: s.fetch, Clock: clock, Rand: func() float64 { return 0 }})
	ctx := t.Context()
	done := make(chan struct{})
	go func() { k.Run(ctx); close(done) }()
	clock.BlockUntilContext(ctx, 1)
	clock.Advance(30*time.Minute - time.Second)
	if c, _, _ := k.Current(clock.Now()); c.AccessKeyID != "ASIA1" {
		t.Fatalf("refreshed early: %q", c.AccessKeyID)
	}
	clock.Advance(time.Second)
	waitFor(t, func() bool { c, _, _ := k.Current(clock.Now()); return c.AccessKeyID == "ASIA2" })
}

func TestWorkloadStopsWithHost(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	host := &scripted{}
	host.push(creds("ASIAHOST", t0.Add(time.Hour)), nil)
	host.push(Credentials{}, &APIError{Status: 403, Code: "AccessDenied"})
	hk := NewKeeper(KeeperConfig{Role: "host", Fetch: host.fetch, Clock: clock})
	wk := servingKeeper(t, clock, "workload", creds("ASIAWL", t0.Add(time.Hour)))
	hk.OnChange(func(serving bool) {
		if !serving {
			wk.Clear()
		}
	})
	hk.Step(t.Context())
	hk.Step(t.Context())
	if _, _, ok := wk.Current(clock.Now()); ok {
		t.Error("workload role still served after the host was revoked")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 500 {
		if cond() {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatal("condition not met in time")
}

// TestBackoff: retries double from retryMin to retryMax, each jittered
// by ±25 %, so agents that lost the server together come back apart.
func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		n    int
		r    float64
		want time.Duration
	}{
		{1, 0.5, retryMin},
		{2, 0.5, 2 * retryMin},
		{1, 0, retryMin * 3 / 4},
		{1, 0.999999, retryMin * 5 / 4},
		{20, 0.5, retryMax},
		{1000, 0, retryMax * 3 / 4},
		{0, 0.5, retryMin},
	} {
		got := backoff(tc.n, tc.r)
		if d := got - tc.want; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("backoff(%d, %v) = %v, want %v", tc.n, tc.r, got, tc.want)
		}
	}
}
