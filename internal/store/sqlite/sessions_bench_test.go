package sqlite_test

import (
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
	"github.com/brevet-dev/brevet/internal/store/storetest"
)

// benchPrefill is how many records the table holds before the timer
// starts: an insert costs more as the B-trees it touches grow, and an
// empty table hides that.
const benchPrefill = 100_000

// benchSession is the record of the i-th issuance. Its access key id is
// random, as issued ids are (ASIA and 16 characters of the base32
// alphabet): sequential ids would all land on the last page of an index
// on them.
func benchSession(i int) store.SessionRecord {
	id := "ASIA" + rand.Text()[:16]
	issued := storetest.Now.Add(time.Duration(i) * time.Millisecond)
	return store.SessionRecord{
		AccessKeyID: id, SessionID: "s-" + id, Account: storetest.Account,
		PrincipalARN: "arn:aws:iam::123456789012:role/r", SessionARN: "arn:aws:sts::123456789012:assumed-role/r/s",
		Kind: "AssumeRole", SessionName: "s", SourceIP: "192.0.2.1", ParentAccessKeyID: "AKIAROOT", RootAccessKeyID: "AKIAROOT",
		Issued: issued, Expires: issued.Add(time.Hour),
	}
}

func openBench(b *testing.B, path string) *sqlite.Store {
	b.Helper()
	s, err := sqlite.Open(b.Context(), sqlite.Config{Path: path, Now: func() time.Time { return storetest.Now }})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// prefilled writes a database holding benchPrefill records, in batches of
// 256 as the recorder writes them under load, and returns its path. It is
// closed, so its write-ahead log is checkpointed into the file.
func prefilled(b *testing.B) string {
	path := filepath.Join(b.TempDir(), "prefilled.db")
	s := openBench(b, path)
	defer s.Close()
	batch := make([]store.SessionRecord, 0, 256)
	for i := range benchPrefill {
		batch = append(batch, benchSession(i))
		if len(batch) == cap(batch) || i == benchPrefill-1 {
			if err := s.Sessions().RecordMany(b.Context(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return path
}

// copyDB copies the closed database at src into a new file and opens it.
func copyDB(b *testing.B, src string) *sqlite.Store {
	b.Helper()
	dst := filepath.Join(b.TempDir(), "b.db")
	in, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
	s := openBench(b, dst)
	b.Cleanup(func() { s.Close() })
	return s
}

// Issuance records are written behind every AssumeRole: one transaction
// per record (Record) against a batch sharing one (RecordMany; the index
// writer's transactions carry hundreds under load, IndexIssued, which also
// moves the trail position). Each starts from a copy of one table of
// benchPrefill records with random ids. ns/op is per record.
func BenchmarkSessionsRecord(b *testing.B) {
	src := prefilled(b)
	b.Run("Record", func(b *testing.B) {
		s := copyDB(b, src)
		i := benchPrefill
		for b.Loop() {
			if err := s.Sessions().Record(b.Context(), benchSession(i)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	for _, n := range []int{1, 8, 24, 64, 256} {
		b.Run(fmt.Sprintf("RecordMany/%d", n), func(b *testing.B) {
			s := copyDB(b, src)
			i := benchPrefill
			batch := make([]store.SessionRecord, 0, n)
			for b.Loop() {
				batch = append(batch, benchSession(i))
				i++
				if len(batch) == n {
					if err := s.Sessions().RecordMany(b.Context(), batch); err != nil {
						b.Fatal(err)
					}
					batch = batch[:0]
				}
			}
		})
	}
}

// BenchmarkIndexIssued is the index writer's transaction (records and the
// trail position) at the sizes it reaches, and ReindexIssued, which looks
// for a copy of each record first, as the index does for what it reads
// back from the trail. ns/op is per record.
func BenchmarkIndexIssued(b *testing.B) {
	src := prefilled(b)
	for _, bc := range []struct {
		name    string
		n       int
		reindex bool
	}{{"IndexIssued/64", 64, false}, {"IndexIssued/1024", 1024, false}, {"ReindexIssued/1024", 1024, true}} {
		b.Run(bc.name, func(b *testing.B) {
			s := copyDB(b, src)
			write := s.IndexIssued
			if bc.reindex {
				write = s.ReindexIssued
			}
			i := benchPrefill
			batch := make([]store.SessionRecord, 0, bc.n)
			for b.Loop() {
				batch = append(batch, benchSession(i))
				i++
				if len(batch) == bc.n {
					if err := write(b.Context(), batch, uint64(i)); err != nil {
						b.Fatal(err)
					}
					batch = batch[:0]
				}
			}
		})
	}
}
