package sqlite_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
	"github.com/brevet-dev/brevet/internal/store/storetest"
)

func benchSession(i int) store.SessionRecord {
	return store.SessionRecord{
		AccessKeyID: fmt.Sprintf("ASIA%016d", i), SessionID: fmt.Sprintf("s-%d", i), Account: storetest.Account,
		PrincipalARN: "arn:aws:iam::123456789012:role/r", SessionARN: "arn:aws:sts::123456789012:assumed-role/r/s",
		Kind: "AssumeRole", SessionName: "s", SourceIP: "192.0.2.1", ParentAccessKeyID: "AKIAROOT", RootAccessKeyID: "AKIAROOT",
		Issued: storetest.Now, Expires: storetest.Now.Add(time.Hour),
	}
}

// Issuance records are written on every AssumeRole: one transaction per
// record (Record) against a batch sharing one (RecordMany, group commit).
// ns/op is per record in both.
func BenchmarkSessionsRecord(b *testing.B) {
	open := func(b *testing.B) *sqlite.Store {
		s, err := sqlite.Open(b.Context(), sqlite.Config{Path: filepath.Join(b.TempDir(), "b.db"), Now: func() time.Time { return storetest.Now }})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}
	b.Run("Record", func(b *testing.B) {
		s := open(b)
		i := 0
		for b.Loop() {
			if err := s.Sessions().Record(b.Context(), benchSession(i)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	for _, n := range []int{1, 2, 8, 64} {
		b.Run(fmt.Sprintf("RecordMany/%d", n), func(b *testing.B) {
			s := open(b)
			i := 0
			batch := make([]store.SessionRecord, 0, n)
			for b.Loop() {
				batch = append(batch, benchSession(i))
				i++
				if len(batch) == n {
					if _, err := s.Sessions().RecordMany(b.Context(), batch); err != nil {
						b.Fatal(err)
					}
					batch = batch[:0]
				}
			}
		})
	}
}
