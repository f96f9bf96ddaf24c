package identitypool

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/teststores"
	"github.com/brevet-dev/brevet/internal/sts"
)

// countingSessions verifies every token but "bad", valid until exp, and
// counts the verifications by token.
type countingSessions struct {
	tokenSessions
	exp   time.Time
	mu    sync.Mutex
	calls map[string]int
}

func (c *countingSessions) VerifyOIDCLogin(_ context.Context, account, provider, token string, _ time.Time) (*sts.VerifiedLogin, error) {
	c.mu.Lock()
	c.calls[account+"|"+provider+"|"+token]++
	c.mu.Unlock()
	if token == "bad" {
		return nil, errors.New("refused")
	}
	return &sts.VerifiedLogin{Subject: token, Expires: c.exp}, nil
}

// TestLoginCache: a verified login is verified once, then answered from
// memory until the earlier of a minute and the token's exp; a different
// account, provider or token is verified on its own; a refusal is never
// kept.
func TestLoginCache(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	fake := &countingSessions{exp: t0.Add(90 * time.Second), calls: map[string]int{}}
	s, err := New(Config{Objects: teststores.SQLite(t, time.Now).Objects(), Sessions: fake, Tokens: NewTokens(nil)})
	if err != nil {
		t.Fatal(err)
	}
	verify := func(account, provider, token string, at time.Duration) error {
		t.Helper()
		v, err := s.verifyOIDCLogin(context.Background(), account, provider, token, t0.Add(at))
		if err == nil && v.Subject != token {
			t.Fatalf("%s: subject %q", token, v.Subject)
		}
		return err
	}
	steps := []struct {
		account, provider, token string
		at                       time.Duration
	}{
		{"1", "idp", "t", 0},
		{"1", "idp", "t", 59 * time.Second}, // from memory
		{"2", "idp", "t", time.Second},      // another account
		{"1", "idp2", "t", time.Second},     // another provider
		{"1", "idp", "t2", time.Second},     // another token
		{"1", "idp", "t", 60 * time.Second}, // the minute is over: verified again, kept until exp (90 s)
		{"1", "idp", "t", 89 * time.Second}, // from memory
		{"1", "idp", "t", 90 * time.Second}, // exp: verified again, not kept (it expires at once)
		{"1", "idp", "t", 91 * time.Second},
	}
	for _, st := range steps {
		if err := verify(st.account, st.provider, st.token, st.at); err != nil {
			t.Fatalf("%+v: %v", st, err)
		}
	}
	for _, at := range []time.Duration{0, time.Second} {
		if err := verify("1", "idp", "bad", at); err == nil {
			t.Fatal("a refused token verified")
		}
	}
	want := map[string]int{"1|idp|t": 4, "2|idp|t": 1, "1|idp2|t": 1, "1|idp|t2": 1, "1|idp|bad": 2}
	for k, n := range want {
		if fake.calls[k] != n {
			t.Errorf("%s verified %d times, want %d (all: %v)", k, fake.calls[k], n, fake.calls)
		}
	}
	if h := s.logins.hits.Load(); h != 2 {
		t.Errorf("%d hits, want 2", h)
	}
}

// TestLoginCacheThroughGetId: a returning person's GetId and
// authenticate verify the token once between them.
func TestLoginCacheThroughGetId(t *testing.T) {
	st := teststores.SQLite(t, time.Now)
	identityService(t, st) // makes the account
	s, pool := flowService(t, st)
	fake := &countingSessions{exp: time.Now().Add(time.Hour), calls: map[string]int{}}
	s.sessions = fake
	logins := map[string]string{idpA: "ben"}
	ctx, x := context.Background(), exchange(time.Now())
	for range 3 {
		id, err := s.GetId(ctx, &GetIdInput{IdentityPoolId: pool, Logins: logins}, x)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.authenticate(ctx, id.IdentityId, logins, x); err != nil {
			t.Fatal(err)
		}
	}
	if n := fake.calls[testAccount+"|"+idpA+"|ben"]; n != 1 {
		t.Errorf("the token was verified %d times in 3 GetId + authenticate, want 1", n)
	}
}

// TestLoginCacheProviderChange: a change of an IAM provider on the feed
// empties the cache, and a verification that began before it is not
// kept.
func TestLoginCacheProviderChange(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	fake := &countingSessions{exp: t0.Add(time.Hour), calls: map[string]int{}}
	s, err := New(Config{Objects: teststores.SQLite(t, time.Now).Objects(), Sessions: fake, Tokens: NewTokens(nil)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	verify := func() {
		t.Helper()
		if _, err := s.verifyOIDCLogin(ctx, "1", "idp", "t", t0); err != nil {
			t.Fatal(err)
		}
	}
	verify()
	verify()
	s.Apply([]store.Change{{Kind: store.ChangeRole, Key: "r"}}) // not a provider: kept
	verify()
	s.Apply([]store.Change{{Kind: store.ChangeProvider, Key: "arn:aws:iam::1:oidc-provider/idp"}})
	verify()
	if n := fake.calls["1|idp|t"]; n != 2 {
		t.Errorf("verified %d times, want 2 (once, then after the provider changed)", n)
	}
	gen := s.logins.gen.Load()
	s.Apply([]store.Change{{Kind: store.ChangeProvider, Key: "arn:aws:iam::1:oidc-provider/idp"}})
	s.logins.put(gen, loginCacheKey("1", "idp", "late"), &sts.VerifiedLogin{Subject: "late"}, 4, t0)
	if _, ok := s.logins.get(loginCacheKey("1", "idp", "late"), t0); ok {
		t.Error("a verification begun before the provider changed was kept")
	}
}

// TestLoginCacheBoundedByBytes: the cache's memory is bounded by the size
// of the tokens it remembers, not only by their count: long tokens empty
// it sooner, and one too large is not kept at all.
func TestLoginCacheBoundedByBytes(t *testing.T) {
	var c loginCache
	now := time.Unix(1_700_000_000, 0)
	v := &sts.VerifiedLogin{Subject: "s"}
	const size = 1 << 20 // a megabyte-long token
	for i := range 200 {
		c.put(c.gen.Load(), loginCacheKey("1", "idp", fmt.Sprint(i)), v, size, now)
		if c.bytes > maxCachedLoginBytes {
			t.Fatalf("after %d logins the cache holds %d bytes, over %d", i+1, c.bytes, maxCachedLoginBytes)
		}
	}
	if n := len(c.entries); n == 0 || n >= 200 {
		t.Errorf("%d entries of a megabyte each kept; want some, fewer than 200", n)
	}
	k := loginCacheKey("1", "idp", "huge")
	c.put(c.gen.Load(), k, v, maxCachedLoginBytes, now)
	if _, ok := c.get(k, now); ok {
		t.Error("a login as large as the whole cache was kept")
	}
}
