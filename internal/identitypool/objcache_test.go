package identitypool

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/teststores"
)

// readCounter counts the reads that reach the store, and runs during
// (when set) after each Get has read, before it returns.
type readCounter struct {
	store.Objects
	reads  atomic.Int64
	during func()
}

func (r *readCounter) Get(ctx context.Context, account, kind, id string) (store.Object, error) {
	r.reads.Add(1)
	o, err := r.Objects.Get(ctx, account, kind, id)
	if r.during != nil {
		r.during()
	}
	return o, err
}

func (r *readCounter) Find(ctx context.Context, kind, id string) ([]store.Object, error) {
	r.reads.Add(1)
	return r.Objects.Find(ctx, kind, id)
}

func newObjectCacheTest(t *testing.T) (*objectCache, *readCounter, store.Objects) {
	t.Helper()
	st := teststores.SQLite(t, time.Now)
	identityService(t, st) // makes the account
	under := st.Objects()
	rc := &readCounter{Objects: under}
	return &objectCache{Objects: rc}, rc, under
}

// TestObjectCache: identities and logins are read from the store once,
// then from memory, by Get and Find alike; a write through the cache, or
// a change on the feed for a write made elsewhere, makes the next read
// go to the store; other kinds and other accounts always go to it.
func TestObjectCache(t *testing.T) {
	c, rc, under := newObjectCacheTest(t)
	ctx, now := context.Background(), time.Now()
	obj := func(kind, id, body string) store.Object {
		return store.Object{Account: testAccount, Kind: kind, ID: id, Body: []byte(body), Created: now, Updated: now}
	}
	for _, o := range []store.Object{obj(KindIdentity, "us-east-1:a", "1"), obj(KindLogin, "p/l", "1"), obj(KindPool, "us-east-1:p", "1")} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	get := func(kind, id, want string) {
		t.Helper()
		o, err := c.Get(ctx, testAccount, kind, id)
		if err != nil || string(o.Body) != want {
			t.Fatalf("Get %s %s = %q, %v; want %q", kind, id, o.Body, err, want)
		}
		os, err := c.Find(ctx, kind, id)
		if err != nil || len(os) != 1 || string(os[0].Body) != want {
			t.Fatalf("Find %s %s = %v, %v; want %q", kind, id, os, err, want)
		}
	}
	reads := func(want int64) {
		t.Helper()
		if got := rc.reads.Swap(0); got != want {
			t.Errorf("%d reads reached the store, want %d", got, want)
		}
	}
	get(KindIdentity, "us-east-1:a", "1")
	get(KindLogin, "p/l", "1")
	reads(2) // one each; Find then came from memory
	get(KindIdentity, "us-east-1:a", "1")
	get(KindLogin, "p/l", "1")
	reads(0)
	get(KindPool, "us-east-1:p", "1")
	reads(2) // not cached
	if _, err := c.Get(ctx, "999999999999", KindIdentity, "us-east-1:a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another account's Get: %v, want ErrNotFound", err)
	}
	reads(1)

	// A write through the cache.
	if err := c.UpdateIf(ctx, obj(KindIdentity, "us-east-1:a", "2"), []byte("1")); err != nil {
		t.Fatal(err)
	}
	get(KindIdentity, "us-east-1:a", "2")
	reads(1)
	// A write elsewhere (another node), then its change on the feed.
	if err := under.Update(ctx, obj(KindLogin, "p/l", "3")); err != nil {
		t.Fatal(err)
	}
	get(KindLogin, "p/l", "1") // stale until the feed says
	c.apply([]store.Change{{Kind: store.ChangeObject, Key: store.ObjectKey(KindLogin, "p/l")}})
	get(KindLogin, "p/l", "3")
	reads(1)
	// A delete.
	if err := c.Delete(ctx, testAccount, KindLogin, "p/l"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, testAccount, KindLogin, "p/l"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get after Delete: %v, want ErrNotFound", err)
	}
	if os, err := c.Find(ctx, KindLogin, "p/l"); err != nil || len(os) != 0 {
		t.Errorf("Find after Delete: %v, %v; want none", os, err)
	}
}

// TestObjectCacheRace: a read that a write overtook is not kept.
func TestObjectCacheRace(t *testing.T) {
	c, rc, under := newObjectCacheTest(t)
	ctx, now := context.Background(), time.Now()
	o := store.Object{Account: testAccount, Kind: KindIdentity, ID: "us-east-1:a", Body: []byte("1"), Created: now, Updated: now}
	if err := under.Create(ctx, o); err != nil {
		t.Fatal(err)
	}
	// The read gets the old body; a write lands before it is kept.
	rc.during = func() {
		rc.during = nil
		o.Body = []byte("2")
		if err := c.Update(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	if old, err := c.Get(ctx, testAccount, KindIdentity, "us-east-1:a"); err != nil || string(old.Body) != "1" {
		t.Fatalf("the raced read: %q, %v; want the old body", old.Body, err)
	}
	got, err := c.Get(ctx, testAccount, KindIdentity, "us-east-1:a")
	if err != nil || string(got.Body) != "2" {
		t.Errorf("after the raced read: %q, %v; want the written body", got.Body, err)
	}
}

// TestCachedIdentityIsACopy: an identity read from memory is decoded once
// and handed out as a copy: a caller changing its logins (as linking
// does before it writes) changes neither the cache nor the next reader's,
// by account or by id alone; after a write the next read decodes the new
// body.
func TestCachedIdentityIsACopy(t *testing.T) {
	st := teststores.SQLite(t, time.Now)
	s := identityService(t, st)
	ctx, now := context.Background(), time.Now()
	const id = "us-east-1:0f8e3b9a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
	body := func(subjects ...string) []byte {
		ident := Identity{IdentityId: id, IdentityPoolId: "us-east-1:p", Created: now.UTC(), LastModified: now.UTC()}
		for _, sub := range subjects {
			ident.Logins = append(ident.Logins, Login{Provider: "accounts.example.com", Subject: sub})
		}
		b, err := json.Marshal(ident)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	o := store.Object{Account: testAccount, Kind: KindIdentity, ID: id, Body: body("alice"), Created: now, Updated: now}
	if err := s.objects.Create(ctx, o); err != nil {
		t.Fatal(err)
	}
	subjects := func(si *storedIdentity) []string {
		var out []string
		for _, l := range si.Logins {
			out = append(out, l.Subject)
		}
		return out
	}
	for i := range 3 {
		si, err := s.getIdentity(ctx, testAccount, id)
		if err != nil || si == nil {
			t.Fatalf("read %d: %v, %v", i, si, err)
		}
		if got := subjects(si); !slices.Equal(got, []string{"alice"}) || string(si.raw) != string(o.Body) {
			t.Fatalf("read %d: logins %v, raw %s; want [alice] and the stored body", i, got, si.raw)
		}
		si.Logins[0].Subject = "mallory"
		si.Logins = append(si.Logins, Login{Provider: "p", Subject: "eve"})
		fi, err := s.findIdentity(ctx, id)
		if err != nil || fi == nil || !slices.Equal(subjects(fi), []string{"alice"}) || fi.Account != testAccount {
			t.Fatalf("find after read %d: %+v, %v; want alice's identity of %s", i, fi, err, testAccount)
		}
		fi.Logins[0].Subject = "mallory"
	}
	if si, err := s.getIdentity(ctx, "444455556666", id); err != nil || si != nil {
		t.Errorf("the identity read for another account: %+v, %v; want none", si, err)
	}
	o.Body = body("alice", "bob")
	if err := s.objects.Update(ctx, o); err != nil {
		t.Fatal(err)
	}
	if si, err := s.getIdentity(ctx, testAccount, id); err != nil || !slices.Equal(subjects(si), []string{"alice", "bob"}) {
		t.Errorf("after an update: %+v, %v; want alice and bob", si, err)
	}
}
