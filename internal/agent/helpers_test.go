package agent

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

var t0 = time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)

// scripted is a Fetcher that returns the results it is given, in order,
// repeating the last.
type scripted struct {
	mu    sync.Mutex
	res   []result
	calls int
}

type result struct {
	c   Credentials
	err error
}

func (s *scripted) push(c Credentials, err error) {
	s.mu.Lock()
	s.res = append(s.res, result{c, err})
	s.mu.Unlock()
}

func (s *scripted) fetch(context.Context) (Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	r := s.res[0]
	if len(s.res) > 1 {
		s.res = s.res[1:]
	}
	return r.c, r.err
}

func creds(id string, exp time.Time) Credentials {
	return Credentials{AccessKeyID: id, SecretAccessKey: "secret-" + id, SessionToken: "token-" + id, Expiration: exp}
}

// servingKeeper returns a Keeper that has fetched c at clock's now.
func servingKeeper(t *testing.T, clock clockwork.Clock, role string, c Credentials) *Keeper {
	t.Helper()
	s := &scripted{}
	s.push(c, nil)
	k := NewKeeper(KeeperConfig{Role: role, Fetch: s.fetch, Clock: clock, Rand: func() float64 { return 0 }})
	k.Step(context.Background())
	if _, _, ok := k.Current(clock.Now()); !ok {
		t.Fatal("keeper is not serving after a successful fetch")
	}
	return k
}
