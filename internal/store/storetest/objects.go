package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

// testObjects: service objects round-trip every field, are unique per
// (account, kind, id) and case-sensitive, Update keeps Created, List
// pages by id within one kind, Find looks across accounts, All orders by
// kind then id, UpdateIf swaps only from the body it names (one of
// several racing swaps wins), an account with objects cannot be deleted, a rolled-back
// transaction leaves nothing, and every write records a change keyed by
// ObjectKey.
func testObjects(t *testing.T, s store.Store) {
	o := s.Objects()
	const other, anchor, alias = "999999999999", "rolesanywhere.trust-anchor", "iot.role-alias"
	mustDo(t, s.Accounts().Create(ctx(t), iam.Account{ID: other, Created: Now}))
	before := must[int64](t)(s.Changes().Latest(ctx(t)))
	obj := func(account, kind, id, body string) store.Object {
		return store.Object{Account: account, Kind: kind, ID: id, Body: []byte(body), Created: Now, Updated: Now}
	}
	a1 := obj(Account, anchor, "a1", `{"name":"one"}`)
	a2 := obj(Account, anchor, "a2", `{"name":"two"}`)
	a3 := obj(Account, anchor, "a3", `{"name":"three"}`)
	ra := obj(Account, alias, "a1", `{"roleArn":"r"}`)
	elsewhere := obj(other, anchor, "a1", `{"name":"theirs"}`)
	for _, x := range []store.Object{a3, a1, a2, ra, elsewhere} {
		mustDo(t, o.Create(ctx(t), x))
	}
	wantErr(t, "Create taken", o.Create(ctx(t), a1), store.ErrConflict)
	missing := a1
	missing.Account = "000000000000"
	wantErr(t, "Create in missing account", o.Create(ctx(t), missing), store.ErrNotFound)

	diff(t, "Get", must[store.Object](t)(o.Get(ctx(t), Account, anchor, "a1")), a1)
	_, err := o.Get(ctx(t), Account, anchor, "A1")
	wantErr(t, "Get in another case", err, store.ErrNotFound)
	_, err = o.Get(ctx(t), Account, "rolesanywhere.profile", "a1")
	wantErr(t, "Get of another kind", err, store.ErrNotFound)

	upd := a2
	upd.Body, upd.Updated, upd.Created = []byte(`{"name":"two","enabled":false}`), Now.Add(time.Minute), Now.Add(time.Hour)
	mustDo(t, o.Update(ctx(t), upd))
	want2 := upd
	want2.Created = Now // Update keeps Created
	diff(t, "Get after Update", must[store.Object](t)(o.Get(ctx(t), Account, anchor, "a2")), want2)
	wantErr(t, "Update missing", o.Update(ctx(t), obj(Account, anchor, "zz", "{}")), store.ErrNotFound)

	diff(t, "List", must[[]store.Object](t)(o.List(ctx(t), Account, anchor, "", 0)), []store.Object{a1, want2, a3})
	diff(t, "List page 1", must[[]store.Object](t)(o.List(ctx(t), Account, anchor, "", 2)), []store.Object{a1, want2})
	diff(t, "List page 2", must[[]store.Object](t)(o.List(ctx(t), Account, anchor, "a2", 2)), []store.Object{a3})
	diff(t, "List other kind", must[[]store.Object](t)(o.List(ctx(t), Account, alias, "", 0)), []store.Object{ra})
	diff(t, "Find", must[[]store.Object](t)(o.Find(ctx(t), anchor, "a1")), []store.Object{a1, elsewhere})
	diff(t, "Find none", must[[]store.Object](t)(o.Find(ctx(t), anchor, "nope")), []store.Object(nil))
	diff(t, "All", must[[]store.Object](t)(o.All(ctx(t), Account)), []store.Object{ra, a1, want2, a3})

	testUpdateIf(t, o, a3)

	wantErr(t, "Delete account with objects", s.Accounts().Delete(ctx(t), other), store.ErrConflict)
	err = s.Tx(ctx(t), func(r store.Repos) error {
		if err := r.Objects().Delete(ctx(t), Account, anchor, "a1"); err != nil {
			return err
		}
		return store.ErrConflict
	})
	wantErr(t, "Tx rolled back", err, store.ErrConflict)
	diff(t, "Get after rollback", must[store.Object](t)(o.Get(ctx(t), Account, anchor, "a1")), a1)
	mustDo(t, o.Delete(ctx(t), Account, anchor, "a1"))
	wantErr(t, "Delete twice", o.Delete(ctx(t), Account, anchor, "a1"), store.ErrNotFound)

	var got []string
	for _, c := range must[[]store.Change](t)(s.Changes().Since(ctx(t), before, 0)) {
		if c.Kind == store.ChangeObject && c.Account == Account {
			got = append(got, c.Key)
		}
	}
	diff(t, "object changes", got, []string{
		"rolesanywhere.trust-anchor/a3", "rolesanywhere.trust-anchor/a1", "rolesanywhere.trust-anchor/a2",
		"iot.role-alias/a1", "rolesanywhere.trust-anchor/a2", "rolesanywhere.trust-anchor/a3",
		"rolesanywhere.trust-anchor/a1",
	})
	if k, id := store.SplitObjectKey(got[0]); k != anchor || id != "a3" {
		t.Errorf("SplitObjectKey(%q) = %q, %q", got[0], k, id)
	}
}

// testUpdateIf: a swap from a stale body is refused with ErrConflict and
// changes nothing, a missing object is ErrNotFound, and of several swaps
// racing from the stored body exactly one wins, keeping Created. It
// leaves cur swapped once, recording one change.
func testUpdateIf(t *testing.T, o store.Objects, cur store.Object) {
	t.Helper()
	next := cur
	next.Body, next.Updated, next.Created = []byte(`{"name":"three","gen":1}`), Now.Add(2*time.Minute), Now.Add(time.Hour)
	wantErr(t, "UpdateIf stale", o.UpdateIf(ctx(t), next, []byte(`{"name":"old"}`)), store.ErrConflict)
	wantErr(t, "UpdateIf prefix", o.UpdateIf(ctx(t), next, cur.Body[:len(cur.Body)-1]), store.ErrConflict)
	diff(t, "Get after stale UpdateIf", must[store.Object](t)(o.Get(ctx(t), cur.Account, cur.Kind, cur.ID)), cur)
	missing := next
	missing.ID = "zz"
	wantErr(t, "UpdateIf missing", o.UpdateIf(ctx(t), missing, cur.Body), store.ErrNotFound)

	const racers = 4
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := next
			mine.Body = []byte(fmt.Sprintf(`{"name":"three","gen":%d}`, i))
			errs[i] = o.UpdateIf(ctx(t), mine, cur.Body)
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner < 0:
			winner = i
		case err == nil:
			t.Errorf("UpdateIf race: racers %d and %d both won", winner, i)
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("UpdateIf race: racer %d: %v, want ErrConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("UpdateIf race: nobody won: %v", errs)
	}
	want := next
	want.Created = cur.Created
	want.Body = []byte(fmt.Sprintf(`{"name":"three","gen":%d}`, winner))
	diff(t, "Get after UpdateIf", must[store.Object](t)(o.Get(ctx(t), cur.Account, cur.Kind, cur.ID)), want)
}
