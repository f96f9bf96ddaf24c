package identitypool

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/teststores"
	"github.com/brevet-dev/brevet/internal/sts"
)

const (
	testAccount = "123456789012"
	testPool    = "us-east-1:11111111-2222-4333-8444-555555555555"
)

// identityService is a Service on a real store with its account made;
// the store layer needs nothing else.
func identityService(t testing.TB, st store.Store) *Service {
	t.Helper()
	if err := st.Accounts().Create(t.Context(), iam.Account{ID: testAccount, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Objects: st.Objects(), Sessions: (*sts.Service)(nil), Tokens: NewTokens(nil)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func eachStore(t *testing.T, test func(t *testing.T, s *Service)) {
	teststores.Each(t, time.Now, func(t *testing.T, st store.Store) { test(t, identityService(t, st)) })
}

func lg(provider, subject string) Login { return Login{Provider: provider, Subject: subject} }

func codeOf(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return fmt.Sprint(err)
}

func TestIdentityIDsStable(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Service) {
		ctx, now := t.Context(), time.Now()
		g := lg("accounts.google.com", "alice")
		a, err := s.resolve(ctx, testAccount, testPool, "", []Login{g}, nil, now)
		if err != nil {
			t.Fatal(err)
		}
		if !validIdentityID(a.IdentityId) {
			t.Fatalf("id %q is not REGION:uuid", a.IdentityId)
		}
		b, err := s.resolve(ctx, testAccount, testPool, "", []Login{g}, nil, now)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := b.IdentityId, a.IdentityId; got != want {
			t.Errorf("second login: got %s, want %s", got, want)
		}
		other, err := s.resolve(ctx, testAccount, "us-east-1:99999999-2222-4333-8444-555555555555", "", []Login{g}, nil, now)
		if err != nil {
			t.Fatal(err)
		}
		if other.IdentityId == a.IdentityId {
			t.Errorf("the same login in another pool got the same identity")
		}
	})
}

// writeCounter counts writes, to show that a returning identity is
// found with reads only.
type writeCounter struct {
	store.Objects
	mu     sync.Mutex
	writes int
}

func (c *writeCounter) note() { c.mu.Lock(); c.writes++; c.mu.Unlock() }
func (c *writeCounter) Create(ctx context.Context, o store.Object) error {
	c.note()
	return c.Objects.Create(ctx, o)
}
func (c *writeCounter) Update(ctx context.Context, o store.Object) error {
	c.note()
	return c.Objects.Update(ctx, o)
}
func (c *writeCounter) UpdateIf(ctx context.Context, o store.Object, m []byte) error {
	c.note()
	return c.Objects.UpdateIf(ctx, o, m)
}
func (c *writeCounter) Delete(ctx context.Context, a, k, id string) error {
	c.note()
	return c.Objects.Delete(ctx, a, k, id)
}

func TestReturningIdentityReadsOnly(t *testing.T) {
	st := teststores.SQLite(t, time.Now)
	s := identityService(t, st)
	co := &writeCounter{Objects: st.Objects()}
	s.objects = co
	ls := []Login{lg("accounts.google.com", "alice"), lg("login.example.com", "a1")}
	a, err := s.resolve(t.Context(), testAccount, testPool, "", ls, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	co.writes = 0
	b, err := s.resolve(t.Context(), testAccount, testPool, "", ls, []string{a.IdentityId}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if b.IdentityId != a.IdentityId || co.writes != 0 {
		t.Errorf("returning identity: got %s with %d writes, want %s with none", b.IdentityId, co.writes, a.IdentityId)
	}
}

func TestConcurrentFirstLoginOneIdentity(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Service) {
		const n = 12
		ids := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				si, err := s.resolve(t.Context(), testAccount, testPool, "", []Login{lg("accounts.google.com", "bob")}, nil, time.Now())
				if err == nil {
					ids[i] = si.IdentityId
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("request %d: %v", i, errs[i])
			}
			if ids[i] != ids[0] {
				t.Fatalf("request %d got %s, request 0 %s", i, ids[i], ids[0])
			}
		}
		members, err := s.objects.List(t.Context(), testAccount, KindMember, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(members), 1; got != want {
			t.Errorf("members: got %d, want %d (losers must undo their identity)", got, want)
		}
	})
}

func TestLinkAndMerge(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Service) {
		ctx, now := t.Context(), time.Now()
		g, f := lg("accounts.google.com", "carol"), lg("login.example.com", "c1")
		a, err := s.resolve(ctx, testAccount, testPool, "", []Login{g}, nil, now)
		if err != nil {
			t.Fatal(err)
		}
		// Link: a known login with a new one.
		l, err := s.resolve(ctx, testAccount, testPool, "", []Login{g, f}, nil, now.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if l.IdentityId != a.IdentityId || len(l.Logins) != 2 {
			t.Fatalf("link: got %s with %v, want %s with two logins", l.IdentityId, l.Logins, a.IdentityId)
		}
		// Merge: a second identity (newer) whose login is then presented
		// with one of the first's.
		x := lg("saml", "carol@example.com")
		b, err := s.resolve(ctx, testAccount, testPool, "", []Login{x}, nil, now.Add(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		m, err := s.resolve(ctx, testAccount, testPool, "", []Login{x, g}, nil, now.Add(3*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := m.IdentityId, a.IdentityId; got != want {
			t.Fatalf("merge: survivor %s, want the oldest %s", got, want)
		}
		if gone, err := s.getIdentity(ctx, testAccount, b.IdentityId); err != nil || gone != nil {
			t.Errorf("merged identity still there (%v)", err)
		}
		again, err := s.resolve(ctx, testAccount, testPool, "", []Login{x}, nil, now.Add(4*time.Second))
		if err != nil || again.IdentityId != a.IdentityId || len(again.Logins) != 3 {
			t.Errorf("after merge the login finds %v (%v), want %s with three logins", again, err, a.IdentityId)
		}
	})
}

func TestMergeConflict(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Service) {
		ctx, now := t.Context(), time.Now()
		a, err := s.resolve(ctx, testAccount, testPool, "", []Login{lg("accounts.google.com", "dave"), lg("idp", "d")}, nil, now)
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.resolve(ctx, testAccount, testPool, "", []Login{lg("accounts.google.com", "erin"), lg("saml", "e")}, nil, now.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		// b's saml login with a's idp login: one identity would have two
		// Google subjects.
		_, err = s.resolve(ctx, testAccount, testPool, "", []Login{lg("idp", "d"), lg("saml", "e")}, nil, now.Add(2*time.Second))
		if got, want := codeOf(err), CodeConflict; got != want {
			t.Fatalf("merge of two Google subjects: got %s, want %s", got, want)
		}
		// A new login of a provider the identity already holds another
		// subject of.
		_, err = s.resolve(ctx, testAccount, testPool, "", []Login{lg("idp", "d"), lg("accounts.google.com", "frank")}, nil, now)
		if got, want := codeOf(err), CodeConflict; got != want {
			t.Errorf("link of a second Google subject: got %s, want %s", got, want)
		}
		for _, id := range []string{a.IdentityId, b.IdentityId} {
			if si, err := s.getIdentity(ctx, testAccount, id); err != nil || si == nil || len(si.Logins) != 2 {
				t.Errorf("identity %s after refused merges: %v (%v)", id, si, err)
			}
		}
	})
}

func TestLoginLimit(t *testing.T) {
	st := teststores.SQLite(t, time.Now)
	s := identityService(t, st)
	var ls []Login
	for i := range MaxLogins + 1 {
		ls = append(ls, lg(fmt.Sprintf("p%d", i), "s"))
	}
	a, err := s.resolve(t.Context(), testAccount, testPool, "", ls[:MaxLogins], nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.resolve(t.Context(), testAccount, testPool, "", []Login{ls[0], ls[MaxLogins]}, nil, time.Now())
	if got, want := codeOf(err), CodeLimitExceeded; got != want {
		t.Errorf("eleventh login: got %s, want %s", got, want)
	}
	if owner, _, _ := s.loginOwner(t.Context(), testAccount, testPool, ls[MaxLogins]); owner != "" {
		t.Errorf("the refused login was claimed by %s (identity %s)", owner, a.IdentityId)
	}
}

func TestUnlinkAndDelete(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Service) {
		ctx, now := t.Context(), time.Now()
		g, f := lg("accounts.google.com", "gina"), lg("login.example.com", "g1")
		a, err := s.resolve(ctx, testAccount, testPool, "", []Login{g, f}, nil, now)
		if err != nil {
			t.Fatal(err)
		}
		a, err = s.unlinkLogins(ctx, a, []string{"login.example.com"}, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Logins) != 1 || a.Logins[0] != g {
			t.Errorf("after unlink: %v, want only %v", a.Logins, g)
		}
		n, err := s.resolve(ctx, testAccount, testPool, "", []Login{f}, nil, now)
		if err != nil || n.IdentityId == a.IdentityId {
			t.Errorf("an unlinked login is a new identity: got %v (%v)", n, err)
		}
		if err := s.deleteIdentity(ctx, a); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{KindIdentity, KindMember, KindLogin} {
			os, err := s.objects.List(ctx, testAccount, k, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range os {
				if o.ID == a.IdentityId || o.ID == MemberKey(testPool, a.IdentityId) || o.ID == LoginKey(testPool, g.Provider, g.Subject) {
					t.Errorf("%s %s left after delete", k, o.ID)
				}
			}
		}
		d, err := s.resolve(ctx, testAccount, testPool, "", []Login{g}, nil, now)
		if err != nil || d.IdentityId == a.IdentityId {
			t.Errorf("a deleted identity's login is a new identity: got %v (%v)", d, err)
		}
	})
}

// TestStaleLoginTakenOver: a login object left pointing to an identity
// that is gone (a delete cut short) does not lock the login out.
func TestStaleLoginTakenOver(t *testing.T) {
	st := teststores.SQLite(t, time.Now)
	s := identityService(t, st)
	ctx, g := t.Context(), lg("accounts.google.com", "hank")
	a, err := s.resolve(ctx, testAccount, testPool, "", []Login{g}, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.removeIdentity(ctx, testAccount, testPool, a.IdentityId); err != nil {
		t.Fatal(err)
	}
	b, err := s.resolve(ctx, testAccount, testPool, "", []Login{g}, nil, time.Now())
	if err != nil || b.IdentityId == a.IdentityId || !b.hasLogin(g) {
		t.Fatalf("stale login: got %v (%v)", b, err)
	}
	if owner, _, _ := s.loginOwner(ctx, testAccount, testPool, g); owner != b.IdentityId {
		t.Errorf("login object names %s, want %s", owner, b.IdentityId)
	}
}

func TestGuestLimit(t *testing.T) {
	var g guestLimit
	g.init(1, 2)
	now := time.Now()
	for i := range 2 {
		if err := g.take(testPool, "192.0.2.1", now); err != nil {
			t.Fatalf("guest %d: %v", i, err)
		}
	}
	if got, want := codeOf(g.take(testPool, "192.0.2.1", now)), CodeTooManyRequests; got != want {
		t.Errorf("third guest at once: got %s, want %s", got, want)
	}
	if err := g.take(testPool, "192.0.2.2", now); err != nil {
		t.Errorf("another source: %v", err)
	}
	if err := g.take("us-east-1:other", "192.0.2.1", now); err != nil {
		t.Errorf("another pool: %v", err)
	}
	if err := g.take(testPool, "192.0.2.1", now.Add(time.Second)); err != nil {
		t.Errorf("a second later: %v", err)
	}
	var off guestLimit
	off.init(0, 0)
	for range 100 {
		if err := off.take(testPool, "192.0.2.1", now); err != nil {
			t.Fatalf("rate 0 limits: %v", err)
		}
	}
}

// TestConcurrentMergeConverges: many requests presenting two logins of
// two identities at once leave one identity holding both.
func TestConcurrentMergeConverges(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Service) {
		ctx, now := t.Context(), time.Now()
		x, y := lg("idp-a", "ivy"), lg("idp-b", "ivy")
		a, err := s.resolve(ctx, testAccount, testPool, "", []Login{x}, nil, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.resolve(ctx, testAccount, testPool, "", []Login{y}, nil, now.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, errs[i] = s.resolve(ctx, testAccount, testPool, "", []Login{x, y, lg("idp-c", "ivy")}, nil, now.Add(2*time.Second))
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("request %d: %v", i, err)
			}
		}
		got, err := s.resolve(ctx, testAccount, testPool, "", []Login{y}, nil, now.Add(3*time.Second))
		if err != nil || got.IdentityId != a.IdentityId || len(got.Logins) != 3 {
			t.Errorf("after the concurrent merges: %+v (%v), want %s with three logins", got, err, a.IdentityId)
		}
		members, err := s.objects.List(ctx, testAccount, KindMember, "", 0)
		if err != nil || len(members) != 1 {
			t.Errorf("members: %d (%v), want 1", len(members), err)
		}
	})
}
