package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

func testChanges(t *testing.T, s store.Store) {
	ch := s.Changes()
	start := must[int64](t)(ch.Latest(ctx(t)))
	mustDo(t, s.Users().Create(ctx(t), newUser("alice")))
	mustDo(t, s.Groups().Create(ctx(t), newGroup("devs")))
	mustDo(t, s.Groups().AddUser(ctx(t), Account, "devs", "alice"))
	pol := newPolicy("P")
	mustDo(t, s.Policies().Create(ctx(t), pol, doc("*")))
	mustDo(t, s.Attachments().Attach(ctx(t), roleOwnerMust(t, s, "ci"), pol.ARN()))
	mustDo(t, s.AccessKeys().Create(ctx(t), newKey("AKIAAAAAAAAAAAAAAAA1", "alice")))
	// Failed writes record nothing.
	wantErr(t, "dup", s.Users().Create(ctx(t), newUser("ALICE")), store.ErrConflict)
	// Last-used updates are not changes.
	mustDo(t, s.AccessKeys().RecordUse(ctx(t), "AKIAAAAAAAAAAAAAAAA1", iam.AccessKeyLastUsed{Date: Now}))

	got := must[[]store.Change](t)(ch.Since(ctx(t), start, 0))
	type kk struct{ Account, Kind, Key string }
	var kinds []kk
	prev := start
	for _, c := range got {
		if c.Seq <= prev {
			t.Errorf("Seq %d not after %d", c.Seq, prev)
		}
		prev = c.Seq
		if !c.At.Equal(Now) {
			t.Errorf("change %d At = %v, want the store clock %v", c.Seq, c.At, Now)
		}
		kinds = append(kinds, kk{c.Account, c.Kind, c.Key})
	}
	diff(t, "Since", kinds, []kk{
		{Account, store.ChangeUser, "alice"},
		{Account, store.ChangeGroup, "devs"},
		{Account, store.ChangeGroup, "devs"},
		{Account, store.ChangeUser, "alice"},
		{Account, store.ChangePolicy, pol.ARN()},
		{Account, store.ChangeRole, "ci"}, // created by roleOwnerMust
		{Account, store.ChangeRole, "ci"},
		{Account, store.ChangeAccessKey, "AKIAAAAAAAAAAAAAAAA1"},
	})
	if latest := must[int64](t)(ch.Latest(ctx(t))); latest != prev {
		t.Errorf("Latest = %d, want %d", latest, prev)
	}
	page := must[[]store.Change](t)(ch.Since(ctx(t), start, 2))
	if len(page) != 2 || page[0].Seq != got[0].Seq {
		t.Errorf("Since with limit 2: got %+v", page)
	}
	if rest := must[[]store.Change](t)(ch.Since(ctx(t), prev, 0)); len(rest) != 0 {
		t.Errorf("Since latest: got %d changes, want 0", len(rest))
	}

	// Trim drops old entries but keeps the newest, so Latest holds.
	mustDo(t, ch.Trim(ctx(t), prev))
	if rest := must[[]store.Change](t)(ch.Since(ctx(t), 0, 0)); len(rest) != 1 || rest[0].Seq != prev {
		t.Errorf("Since 0 after Trim: got %+v, want only the newest (%d)", rest, prev)
	}
	if latest := must[int64](t)(ch.Latest(ctx(t))); latest != prev {
		t.Errorf("Latest after Trim = %d, want %d", latest, prev)
	}
	mustDo(t, s.Users().Create(ctx(t), newUser("bob")))
	after := must[[]store.Change](t)(ch.Since(ctx(t), prev, 0))
	if len(after) != 1 || after[0].Seq <= prev {
		t.Errorf("after Trim: got %+v, want one change with Seq > %d", after, prev)
	}
}

func roleOwnerMust(t *testing.T, s store.Store, name string) iam.Owner {
	t.Helper()
	mustDo(t, s.Roles().Create(ctx(t), newRole(name)))
	return roleOwner(name)
}

func testTxCommit(t *testing.T, s store.Store) {
	err := s.Tx(ctx(t), func(tx store.Repos) error {
		if err := tx.Users().Create(ctx(t), newUser("alice")); err != nil {
			return err
		}
		// Reads inside the transaction see its writes.
		if _, err := tx.Users().Get(ctx(t), Account, "alice"); err != nil {
			return err
		}
		if err := tx.AccessKeys().Create(ctx(t), newKey("AKIAAAAAAAAAAAAAAAA1", "alice")); err != nil {
			return err
		}
		return tx.Policies().Create(ctx(t), newPolicy("P"), doc("*"))
	})
	mustDo(t, err)
	_ = must[iam.User](t)(s.Users().Get(ctx(t), Account, "alice"))
	_ = must[iam.AccessKey](t)(s.AccessKeys().Get(ctx(t), "AKIAAAAAAAAAAAAAAAA1"))
}

func testTxRollback(t *testing.T, s store.Store) {
	before := must[int64](t)(s.Changes().Latest(ctx(t)))
	boom := errors.New("boom")
	err := s.Tx(ctx(t), func(tx store.Repos) error {
		if err := tx.Users().Create(ctx(t), newUser("alice")); err != nil {
			return err
		}
		if err := tx.Groups().Create(ctx(t), newGroup("devs")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx: got %v, want the function's error", err)
	}
	_, err = s.Users().Get(ctx(t), Account, "alice")
	wantErr(t, "user after rollback", err, store.ErrNotFound)
	_, err = s.Groups().Get(ctx(t), Account, "devs")
	wantErr(t, "group after rollback", err, store.ErrNotFound)
	if after := must[int64](t)(s.Changes().Latest(ctx(t))); after != before {
		t.Errorf("change feed moved on rollback: %d -> %d", before, after)
	}

	// A store error inside Tx rolls back earlier writes too.
	mustDo(t, s.Users().Create(ctx(t), newUser("bob")))
	err = s.Tx(ctx(t), func(tx store.Repos) error {
		if err := tx.Groups().Create(ctx(t), newGroup("devs")); err != nil {
			return err
		}
		return tx.Users().Create(ctx(t), newUser("BOB"))
	})
	wantErr(t, "Tx with conflicting write", err, store.ErrConflict)
	_, err = s.Groups().Get(ctx(t), Account, "devs")
	wantErr(t, "group after failed Tx", err, store.ErrNotFound)

	// The store is still usable.
	mustDo(t, s.Users().Create(ctx(t), newUser("carol")))
}

func testTxPanic(t *testing.T, s store.Store) {
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("Tx swallowed the panic")
			}
		}()
		_ = s.Tx(ctx(t), func(tx store.Repos) error {
			if err := tx.Users().Create(ctx(t), newUser("alice")); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	_, err := s.Users().Get(ctx(t), Account, "alice")
	wantErr(t, "user after panic", err, store.ErrNotFound)
	mustDo(t, s.Users().Create(ctx(t), newUser("bob")))
}

// testConcurrentWriters: many goroutines write at once, each write lands
// exactly once, and names still collide case-insensitively under contention.
func testConcurrentWriters(t *testing.T, s store.Store) {
	const workers, perWorker = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker*2)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				name := fmt.Sprintf("user-%d-%d", w, i)
				if err := s.Users().Create(ctx(t), newUser(name)); err != nil {
					errs <- err
				}
				// Everyone races to create the same group; exactly one wins.
				err := s.Groups().Create(ctx(t), newGroup(fmt.Sprintf("Shared-%d", i)+caseOf(w, i)))
				if err != nil && !errors.Is(err, store.ErrConflict) {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent write: %v", err)
	}
	if got := len(must[[]iam.User](t)(s.Users().List(ctx(t), Account, store.ListOptions{}))); got != workers*perWorker {
		t.Errorf("users: got %d, want %d", got, workers*perWorker)
	}
	if got := len(must[[]iam.Group](t)(s.Groups().List(ctx(t), Account, store.ListOptions{}))); got != perWorker {
		t.Errorf("groups: got %d, want %d (one per name, whatever the case)", got, perWorker)
	}
}

// caseOf gives each worker a differently cased suffix of the same name.
func caseOf(w, i int) string {
	if (w+i)%2 == 0 {
		return "-team"
	}
	return "-TEAM"
}

// testConcurrentQuota: a check-then-write inside Tx is atomic, so racing
// CreateAccessKey calls cannot exceed a quota of 2 keys.
func testConcurrentQuota(t *testing.T, s store.Store) {
	mustDo(t, s.Users().Create(ctx(t), newUser("alice")))
	const racers = 8
	var wg sync.WaitGroup
	errLimit := errors.New("limit")
	results := make(chan error, racers)
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- s.Tx(ctx(t), func(tx store.Repos) error {
				keys, err := tx.AccessKeys().ListForUser(ctx(t), Account, "alice")
				if err != nil {
					return err
				}
				if len(keys) >= iam.MaxAccessKeysPerUser {
					return errLimit
				}
				return tx.AccessKeys().Create(ctx(t), newKey(fmt.Sprintf("AKIAAAAAAAAAAAAAAA%02d", i), "alice"))
			})
		}()
	}
	wg.Wait()
	close(results)
	ok := 0
	for err := range results {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, errLimit):
			t.Errorf("racer: %v", err)
		}
	}
	keys := must[[]iam.AccessKey](t)(s.AccessKeys().ListForUser(ctx(t), Account, "alice"))
	if ok != iam.MaxAccessKeysPerUser || len(keys) != iam.MaxAccessKeysPerUser {
		t.Errorf("got %d successful creates and %d keys, want %d of each", ok, len(keys), iam.MaxAccessKeysPerUser)
	}
}
