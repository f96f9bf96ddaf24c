package eventindex_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/audit/eventindex"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

var t0 = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

func openTrail(t *testing.T, dir string, ix *eventindex.Indexer) *audit.Auditor {
	t.Helper()
	opts := audit.Options{Dir: dir, DigestInterval: -1, Account: "123456789012",
		Signer: audit.NewSigner(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)))}
	if ix != nil {
		opts.Committed = ix.Add
	}
	a, err := audit.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func write(t *testing.T, a *audit.Auditor, from, n int) {
	t.Helper()
	p := &identity.Principal{Type: identity.IAMUser, Account: "123456789012", CallerARN: "arn:aws:iam::123456789012:user/alice",
		PrincipalID: "AIDAALICE", AccessKeyID: "AKIAALICE00000000001", UserName: "alice"}
	for i := from; i < from+n; i++ {
		rec := &request.Record{RequestID: fmt.Sprint("req-", i), Service: "STS", Action: "GetCallerIdentity",
			Effect: request.ReadOnly, Principal: p, SourceIP: "192.0.2.1", Start: t0.Add(time.Duration(i) * time.Second), Status: 200}
		if err := a.Audit(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
}

func openStore(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: path, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func newIndexer(st store.EventIndex, dir string) *eventindex.Indexer {
	return eventindex.New(st, func(after, upTo uint64, fn func(audit.Record) error) error {
		return audit.WalkRecordsAfter(dir, after, upTo, func(r audit.Record, _ audit.Position) error { return fn(r) })
	}, nil)
}

func count(t *testing.T, st store.EventIndex) int {
	t.Helper()
	rs, err := st.FindEvents(t.Context(), store.EventFilter{Account: "123456789012", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(rs)
}

// TestIndexerFollowsAndCatchesUp: events written while the indexer runs
// are indexed from the Committed hook; events written while it did not
// (a crash, a restart) are read back from the trail at the next start, and
// only those.
func TestIndexerFollowsAndCatchesUp(t *testing.T) {
	dir, db := t.TempDir(), filepath.Join(t.TempDir(), "b.db")
	st := openStore(t, db)
	ix := newIndexer(st, dir)
	if n, err := ix.CatchUp(t.Context()); err != nil || n != 0 {
		t.Fatalf("CatchUp on an empty trail = %d, %v", n, err)
	}
	ix.Start()
	a := openTrail(t, dir, ix)
	write(t, a, 0, 20)
	if err := ix.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := count(t, st); got != 20 {
		t.Errorf("indexed %d events behind the trail, want 20", got)
	}
	a.Close()
	ix.Close()

	// The node is down for the index: the trail grows without it.
	a = openTrail(t, dir, nil)
	write(t, a, 20, 15)
	a.Close()
	st.Close()

	st = openStore(t, db)
	defer st.Close()
	ix = newIndexer(st, dir)
	n, err := ix.CatchUp(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if n != 15 {
		t.Errorf("CatchUp read %d events, want the 15 it had not indexed", n)
	}
	if got := count(t, st); got != 35 {
		t.Errorf("indexed %d events after catching up, want 35", got)
	}
	pos, _ := st.EventIndexPosition(t.Context())
	if pos != 35 {
		t.Errorf("position %d, want 35", pos)
	}
}

// TestIndexerForgetsPrunedEvents: once retention has pruned trail files,
// their events leave the index too, whether the indexer follows the
// pruning event (live) or reads it back from the trail (catching up):
// the index answers the same events as a scan of the trail, and holds no
// copy of what retention deleted or archived.
func TestIndexerForgetsPrunedEvents(t *testing.T) {
	for _, live := range []bool{true, false} {
		t.Run(fmt.Sprint("live=", live), func(t *testing.T) {
			dir := t.TempDir()
			st := openStore(t, filepath.Join(t.TempDir(), "b.db"))
			defer st.Close()
			ix := newIndexer(st, dir)
			ix.Start()
			defer ix.Close()
			opts := audit.Options{Dir: dir, DigestInterval: -1, Account: "123456789012", MaxFileBytes: 2000,
				Signer:    audit.NewSigner(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))),
				Retention: audit.RetentionConfig{MaxBytes: 1, Delete: true, Interval: time.Hour},
				Followed:  st.EventIndexPosition, Committed: ix.Add}
			a, err := audit.Open(opts)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			write(t, a, 0, 20)
			if err := a.Trail().WriteDigest(); err != nil {
				t.Fatal(err)
			}
			if err := ix.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			waitCompressed(t, dir)
			if !live {
				ix.Close() // down while the trail is pruned
			}
			res, err := a.Prune(t.Context())
			if err != nil || len(res.Files) == 0 {
				t.Fatalf("Prune = %+v, %v; want files pruned", res, err)
			}
			if live {
				write(t, a, 20, 1)
				if err := ix.Flush(t.Context()); err != nil {
					t.Fatal(err)
				}
			} else {
				ix = newIndexer(st, dir)
				if _, err := ix.CatchUp(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			rs, err := st.FindEvents(t.Context(), store.EventFilter{Account: "123456789012", Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) == 0 {
				t.Fatal("no events left in the index")
			}
			for _, r := range rs {
				if r.Key <= res.LastSeq {
					t.Errorf("event %d is still indexed; retention pruned every event up to %d", r.Key, res.LastSeq)
				}
			}
		})
	}
}

// waitCompressed waits until every rotated file of the trail in dir is
// compressed (retention prunes only those).
func waitCompressed(t *testing.T, dir string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		m, err := filepath.Glob(filepath.Join(dir, "trail-*.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		if len(m) == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rotated files not compressed: %v", m)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestIndexerWritesWithoutAFlush: the writer waits for more batches before
// a write, but not forever: events no one flushes are indexed within a
// moment, and a Flush that arrives while the writer waits is answered
// with every event added before it.
func TestIndexerWritesWithoutAFlush(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, filepath.Join(t.TempDir(), "b.db"))
	defer st.Close()
	ix := newIndexer(st, dir)
	ix.Start()
	defer ix.Close()
	a := openTrail(t, dir, ix)
	defer a.Close()

	write(t, a, 0, 3)
	deadline := time.Now().Add(10 * time.Second)
	for count(t, st) != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("indexed %d events without a flush after 10 s, want 3", count(t, st))
		}
		time.Sleep(5 * time.Millisecond)
	}

	write(t, a, 3, 1) // the writer now waits for more
	if err := ix.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := count(t, st); got != 4 {
		t.Errorf("indexed %d events after a flush, want 4", got)
	}
}
