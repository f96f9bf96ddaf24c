package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
)

func session(id, principal, parent string, issued time.Time, d time.Duration) store.SessionRecord {
	return store.SessionRecord{
		AccessKeyID: id, SessionID: "s-" + id, Account: Account, PrincipalARN: principal,
		SessionARN: principal + "/session", Kind: "AssumeRole", SessionName: "session", SourceIP: "192.0.2.1",
		ParentAccessKeyID: parent, RootAccessKeyID: "AKIAROOT", Issued: issued, Expires: issued.Add(d),
	}
}

func keys(rs []store.SessionRecord) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.AccessKeyID)
	}
	return out
}

func testSessions(t *testing.T, s store.Store) {
	const role, user = "arn:aws:iam::123456789012:role/r", "arn:aws:iam::123456789012:user/u"
	a := session("ASIAA", role, "AKIAROOT", Now, time.Hour)
	b := session("ASIAB", role, "ASIAA", Now.Add(time.Minute), time.Hour)
	c := session("ASIAC", user, "AKIAROOT", Now.Add(2*time.Minute), 10*time.Minute)
	for _, r := range []store.SessionRecord{c, a, b} {
		mustDo(t, s.Sessions().Record(ctx(t), r))
	}

	all := must[[]store.SessionRecord](t)(s.Sessions().List(ctx(t), store.SessionFilter{}))
	diff(t, "List all", all, []store.SessionRecord{a, b, c})
	tests := []struct {
		name string
		f    store.SessionFilter
		want []string
	}{
		{"access key", store.SessionFilter{AccessKeyID: "ASIAB"}, []string{"ASIAB"}},
		{"principal", store.SessionFilter{PrincipalARN: role}, []string{"ASIAA", "ASIAB"}},
		{"session arn", store.SessionFilter{PrincipalARN: user + "/session"}, []string{"ASIAC"}},
		{"account", store.SessionFilter{Account: "999999999999"}, []string{}},
		{"active", store.SessionFilter{ActiveAt: Now.Add(30 * time.Minute)}, []string{"ASIAA", "ASIAB"}},
		{"issued before", store.SessionFilter{IssuedBefore: Now.Add(time.Minute)}, []string{"ASIAA"}},
		{"limit", store.SessionFilter{Limit: 2}, []string{"ASIAA", "ASIAB"}},
	}
	for _, tt := range tests {
		got := must[[]store.SessionRecord](t)(s.Sessions().List(ctx(t), tt.f))
		diff(t, tt.name, keys(got), tt.want)
	}
	n := must[int64](t)(s.Sessions().Prune(ctx(t), Now.Add(30*time.Minute)))
	if n != 1 {
		t.Errorf("Prune removed %d, want 1", n)
	}
	got := must[[]store.SessionRecord](t)(s.Sessions().List(ctx(t), store.SessionFilter{}))
	diff(t, "after Prune", keys(got), []string{"ASIAA", "ASIAB"})

	// Records are not unique by access key id (store.Sessions): a second
	// record of a stored id is added beside it, and List returns both, in
	// order of Issued, then access key id, then session id (not in the
	// order they were added).
	a2 := a
	a2.SessionID, a2.Expires = "r-ASIAA", a.Expires.Add(time.Hour)
	mustDo(t, s.Sessions().Record(ctx(t), a2))
	got = must[[]store.SessionRecord](t)(s.Sessions().List(ctx(t), store.SessionFilter{AccessKeyID: "ASIAA"}))
	diff(t, "List of a recorded twice", got, []store.SessionRecord{a2, a})

	// RecordMany adds every record, those sharing an id with one of the
	// same batch too.
	d := session("ASIAD", role, "ASIAB", Now.Add(3*time.Minute), time.Hour)
	e := session("ASIAE", user, "AKIAROOT", Now.Add(4*time.Minute), time.Hour)
	dupE := e
	dupE.SessionID, dupE.SessionName = "s-ASIAE-2", "other"
	mustDo(t, s.Sessions().RecordMany(ctx(t), []store.SessionRecord{d, dupE, e}))
	got = must[[]store.SessionRecord](t)(s.Sessions().List(ctx(t), store.SessionFilter{}))
	diff(t, "after RecordMany", got, []store.SessionRecord{a2, a, b, d, e, dupE})
	got = must[[]store.SessionRecord](t)(s.Sessions().List(ctx(t), store.SessionFilter{AccessKeyID: "ASIAE"}))
	diff(t, "List of an id recorded twice in a batch", got, []store.SessionRecord{e, dupE})
	mustDo(t, s.Sessions().RecordMany(ctx(t), nil))

	// Inside a transaction it is part of it: rolled back with it.
	f := session("ASIAF", role, "AKIAROOT", Now.Add(5*time.Minute), time.Hour)
	boom := errors.New("boom")
	err := s.Tx(ctx(t), func(r store.Repos) error {
		if err := r.Sessions().RecordMany(ctx(t), []store.SessionRecord{f, a}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx = %v, want boom", err)
	}
	got = must[[]store.SessionRecord](t)(s.Sessions().List(ctx(t), store.SessionFilter{}))
	diff(t, "after rolled-back RecordMany", got, []store.SessionRecord{a2, a, b, d, e, dupE})

	// A large batch (backends may write it in chunks) keeps every field
	// of every record.
	const bulkRole = "arn:aws:iam::123456789012:role/bulk"
	var bulk []store.SessionRecord
	for i := range 37 {
		r := session(fmt.Sprintf("ASIABULK%02d", i), bulkRole, fmt.Sprintf("AKIAPARENT%02d", i%3), Now.Add(time.Duration(10+i)*time.Minute), time.Duration(i+1)*time.Minute)
		r.SourceIP, r.SessionName = fmt.Sprintf("192.0.2.%d", i), fmt.Sprintf("bulk-%d", i)
		bulk = append(bulk, r)
	}
	mustDo(t, s.Sessions().RecordMany(ctx(t), bulk))
	got = must[[]store.SessionRecord](t)(s.Sessions().List(ctx(t), store.SessionFilter{PrincipalARN: bulkRole}))
	diff(t, "after a bulk RecordMany", got, bulk)
}

func testRevocations(t *testing.T, s store.Store) {
	start := must[int64](t)(s.Changes().Latest(ctx(t)))
	k := store.Revocation{Kind: store.RevokeKey, Account: Account, Target: "ASIAA", ExpiresAt: Now.Add(time.Hour), Created: Now, CreatedBy: "arn:aws:iam::123456789012:user/admin"}
	p := store.Revocation{Kind: store.RevokePrincipal, Account: Account, Target: "arn:aws:iam::123456789012:role/r", NotBefore: Now, ExpiresAt: Now.Add(2 * time.Hour), Created: Now}
	k = must[store.Revocation](t)(s.Revocations().Add(ctx(t), k))
	p = must[store.Revocation](t)(s.Revocations().Add(ctx(t), p))
	if k.ID == 0 || p.ID <= k.ID {
		t.Errorf("ids %d, %d: want increasing, non-zero", k.ID, p.ID)
	}
	diff(t, "Active", must[[]store.Revocation](t)(s.Revocations().Active(ctx(t), Now)), []store.Revocation{k, p})
	diff(t, "Active later", must[[]store.Revocation](t)(s.Revocations().Active(ctx(t), Now.Add(90*time.Minute))), []store.Revocation{p})

	changes := must[[]store.Change](t)(s.Changes().Since(ctx(t), start, 0))
	var got []string
	for _, c := range changes {
		got = append(got, c.Kind+" "+c.Key)
	}
	diff(t, "changes", got, []string{"revocation ASIAA", "revocation arn:aws:iam::123456789012:role/r"})

	// A revocation written in a rolled-back transaction is not there.
	_ = s.Tx(ctx(t), func(r store.Repos) error {
		if _, err := r.Revocations().Add(ctx(t), k); err != nil {
			return err
		}
		return store.ErrConflict
	})
	if n := len(must[[]store.Revocation](t)(s.Revocations().Active(ctx(t), Now))); n != 2 {
		t.Errorf("after a rolled-back Add: %d entries, want 2", n)
	}
	if n := must[int64](t)(s.Revocations().Prune(ctx(t), Now.Add(90*time.Minute))); n != 1 {
		t.Errorf("Prune removed %d, want 1", n)
	}
}
