package revocation_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/revocation"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

// indexFixture is a real audit trail and a real SQLite store, with an
// indexer between them wired as a node wires it, and a switch that makes
// the store's index writes fail.
type indexFixture struct {
	st      *sqlite.Store
	failing *failingIndex
	trail   *audit.Auditor
	ix      *revocation.Indexer
	dir     string
	n       int
}

// failingIndex is the real store whose index writes fail while fail is
// set, as a full disk would make them, and take delay longer than they
// would.
type failingIndex struct {
	*sqlite.Store
	fail  atomic.Bool
	delay time.Duration
}

func (f *failingIndex) IndexIssued(ctx context.Context, rs []store.SessionRecord, position uint64) error {
	if f.fail.Load() {
		return errors.New("disk full")
	}
	time.Sleep(f.delay)
	return f.Store.IndexIssued(ctx, rs, position)
}

func (f *failingIndex) ReindexIssued(ctx context.Context, rs []store.SessionRecord, position uint64) error {
	if f.fail.Load() {
		return errors.New("disk full")
	}
	return f.Store.ReindexIssued(ctx, rs, position)
}

func newIndexFixture(t *testing.T, dir string, hook bool) *indexFixture {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(dir, "brevet.db"), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &indexFixture{st: st, failing: &failingIndex{Store: st}, dir: filepath.Join(dir, "audit")}
	f.ix = revocation.NewIndexer(f.failing, func(after, upTo uint64, fn func(uint64, request.Issuance) error) (uint64, error) {
		return audit.WalkIssuances(f.dir, after, upTo, fn)
	}, func() uint64 { seq, _ := f.trail.Trail().Head(); return seq }, nil)
	opts := audit.Options{Dir: f.dir, DigestInterval: -1}
	if hook {
		opts.Committed = func(batch []audit.Record) {
			var recs []store.SessionRecord
			for i := range batch {
				if iss := batch[i].Issued; iss != nil {
					recs = append(recs, store.SessionRecordOf(iss))
				}
			}
			f.ix.Add(recs, batch[len(batch)-1].Seq)
		}
	}
	if f.trail, err = audit.Open(opts); err != nil {
		t.Fatal(err)
	}
	return f
}

// issue audits an AssumeRole that issued a session, and a
// GetCallerIdentity that issued nothing.
func (f *indexFixture) issue(t *testing.T) string {
	t.Helper()
	f.n++
	id := fmt.Sprintf("ASIAINDEXED%09d", f.n)
	iss := &request.Issuance{Kind: "AssumeRole", AccessKeyID: id, Account: account, PrincipalARN: roleA,
		SessionARN: "arn:aws:sts::123456789012:assumed-role/a/s", SessionName: "s", ParentAccessKeyID: "AKIAPARENT",
		RootAccessKeyID: "AKIAPARENT", SourceIP: "192.0.2.1", Issued: now.Add(time.Duration(f.n) * time.Microsecond), Expires: now.Add(time.Hour)}
	for _, rec := range []*request.Record{
		{RequestID: id, Service: "sts", Action: "AssumeRole", Effect: request.IssuesCredentials, SourceIP: iss.SourceIP, Start: now, Status: 200, Issued: iss},
		{RequestID: id + "-gci", Service: "sts", Action: "GetCallerIdentity", Effect: request.ReadOnly, Start: now, Status: 200},
	} {
		if err := f.trail.Audit(t.Context(), rec); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// indexed is the set of access key ids in the index, each with how often
// it is there.
func (f *indexFixture) indexed(t *testing.T) map[string]int {
	t.Helper()
	recs, err := f.st.Sessions().List(t.Context(), store.SessionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range recs {
		got[r.AccessKeyID]++
		if r.PrincipalARN != roleA || r.RootAccessKeyID != "AKIAPARENT" || r.SourceIP != "192.0.2.1" || !r.Expires.Equal(now.Add(time.Hour)) {
			t.Errorf("record %+v lost a field on the way", r)
		}
	}
	return got
}

func wantIndexed(t *testing.T, got map[string]int, ids []string) {
	t.Helper()
	if len(got) != len(ids) {
		t.Errorf("index holds %d sessions, want %d: %v", len(got), len(ids), got)
	}
	for _, id := range ids {
		if got[id] != 1 {
			t.Errorf("%s indexed %d times, want once", id, got[id])
		}
	}
}

// TestIndexerFollowsTheTrail: issuances reach the index behind the trail,
// and Flush waits for them.
func TestIndexerFollowsTheTrail(t *testing.T) {
	f := newIndexFixture(t, t.TempDir(), true)
	f.ix.Start()
	defer f.ix.Close()
	var ids []string
	for range 5 {
		ids = append(ids, f.issue(t))
	}
	if err := f.ix.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantIndexed(t, f.indexed(t), ids)
	if pos, _, _ := f.st.IndexPosition(t.Context()); pos != 10 {
		t.Errorf("position %d, want 10 (the trail's last event)", pos)
	}
	if s := f.ix.Stats(); s.Records != 5 {
		t.Errorf("stats %+v, want 5 records", s)
	}
}

// TestIndexerCatchesUpAfterACrash: what the trail made durable but the
// index never wrote (the process died between the two) is indexed from the
// trail at the next start, once.
func TestIndexerCatchesUpAfterACrash(t *testing.T) {
	dir := t.TempDir()
	f := newIndexFixture(t, dir, true)
	f.ix.Start()
	first := []string{f.issue(t), f.issue(t)}
	if err := f.ix.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	f.ix.Close()
	// The index is gone; the trail goes on: as if the process died after
	// these were acknowledged and before they were indexed.
	f.ix = revocation.NewIndexer(f.failing, nil, nil, nil)
	lost := []string{f.issue(t), f.issue(t), f.issue(t)}
	if err := f.trail.Close(); err != nil {
		t.Fatal(err)
	}
	f.st.Close()

	g := newIndexFixture(t, dir, true)
	n, err := g.ix.CatchUp(t.Context())
	if err != nil || n != len(lost) {
		t.Fatalf("CatchUp: %d records, %v; want %d", n, err, len(lost))
	}
	wantIndexed(t, g.indexed(t), append(first, lost...))
	if n, err := g.ix.CatchUp(t.Context()); err != nil || n != 0 {
		t.Errorf("a second CatchUp: %d records, %v; want none", n, err)
	}
}

// TestIndexerRecoversFromFailedWrites: while the store refuses index
// writes, Flush reports it; once it takes them again, the index reads what
// it missed back from the trail, and nothing is indexed twice.
func TestIndexerRecoversFromFailedWrites(t *testing.T) {
	f := newIndexFixture(t, t.TempDir(), true)
	f.ix.Start()
	defer f.ix.Close()
	ids := []string{f.issue(t)}
	if err := f.ix.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	f.failing.fail.Store(true)
	ids = append(ids, f.issue(t), f.issue(t))
	if err := f.ix.Flush(t.Context()); err == nil {
		t.Error("Flush succeeded while the store refused writes")
	}
	f.failing.fail.Store(false)
	ids = append(ids, f.issue(t))
	if err := f.ix.Flush(t.Context()); err != nil {
		t.Fatalf("Flush after the store recovered: %v", err)
	}
	wantIndexed(t, f.indexed(t), ids)
}

// TestIndexerWithoutAStart: closing an indexer that never started returns.
func TestIndexerWithoutAStart(t *testing.T) {
	f := newIndexFixture(t, t.TempDir(), false)
	done := make(chan struct{})
	go func() { f.ix.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close of an indexer never started hangs")
	}
}

// TestIndexerLosesNothingToItsTicks: with a slow store, positions stored
// without records (the writer's tick) never run past batches still
// queued: under a steady stream of issuances every one is indexed.
func TestIndexerLosesNothingToItsTicks(t *testing.T) {
	f := newIndexFixture(t, t.TempDir(), true)
	f.failing.delay = 3 * time.Millisecond
	f.ix.SetAdvanceEvery(time.Millisecond)
	f.ix.Start()
	defer f.ix.Close()
	var ids []string
	for range 150 {
		ids = append(ids, f.issue(t))
	}
	if err := f.ix.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantIndexed(t, f.indexed(t), ids)
}

// TestIndexerStartsAtTheHeadOfAnUpgradedStore: in a store upgraded from
// before the index (position unknown), the first CatchUp does not read
// the trail, whose events wrote their records as they were issued: it
// takes the trail's head as the index's position.
func TestIndexerStartsAtTheHeadOfAnUpgradedStore(t *testing.T) {
	f := newIndexFixture(t, t.TempDir(), false)
	for range 3 {
		f.issue(t)
	}
	n, err := f.ix.CatchUp(t.Context())
	if err != nil || n != 0 {
		t.Fatalf("CatchUp: %d records, %v; want none read", n, err)
	}
	if pos, known, _ := f.st.IndexPosition(t.Context()); !known || pos != 6 {
		t.Errorf("position %d (known %v), want 6, the trail's head", pos, known)
	}
	f.ix.Close()
}
