package sqlite

import (
	"crypto/rand"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/cputime"
	"github.com/brevet-dev/brevet/internal/store"
)

// BenchmarkFindEvents measures the audit event index's queries over
// 100,000 events of one account (1.5 kB each, 200 users, a quarter
// issuing a session, a tenth failing, a fifth data events): one page of
// 51 rows, as LookupEvents asks.
func BenchmarkFindEvents(b *testing.B) {
	st, err := Open(b.Context(), Config{Path: filepath.Join(b.TempDir(), "b.db"), Now: time.Now})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	const acct, n = "111122223333", 100_000
	var rows []store.EventRecord
	for i := 1; i <= n; i++ {
		r := store.EventRecord{Key: uint64(i), Account: acct, Time: time.Unix(int64(i), 0), EventID: fmt.Sprint("id", i),
			Source: "sts.amazonaws.com", Name: "GetCallerIdentity", Username: fmt.Sprint("user-", i%200), AccessKeyID: fmt.Sprintf("AKIA%d", i%200),
			ReadOnly: true, Management: i%5 != 2, Event: make([]byte, 1500)}
		if i%4 == 0 {
			r.Name, r.ReadOnly, r.IssuedKeyID = "AssumeRole", false, fmt.Sprint("ASIA", i)
		}
		if i%10 == 1 {
			r.ErrorCode = "NoSuchEntity"
		}
		rows = append(rows, r)
	}
	if err := st.IndexEvents(b.Context(), rows, n); err != nil {
		b.Fatal(err)
	}
	for _, q := range []struct {
		name string
		f    store.EventFilter
	}{
		{"newest", store.EventFilter{}},
		{"management", store.EventFilter{Management: true}},
		{"principal", store.EventFilter{Username: "user-7"}},
		{"key", store.EventFilter{AccessKeyID: "AKIA7"}},
		{"issued", store.EventFilter{IssuedKeyID: "ASIA50000", Management: true}},
		{"event-id", store.EventFilter{EventID: "id50001", Management: true}},
		{"error", store.EventFilter{AnyError: true}},
		{"recent-hour", store.EventFilter{From: time.Unix(n-3600, 0)}},
		{"old-hour", store.EventFilter{From: time.Unix(1000, 0), To: time.Unix(4600, 0)}},
		{"old-half", store.EventFilter{From: time.Unix(1000, 0), To: time.Unix(n/2, 0)}},
		{"old-hour-principal", store.EventFilter{From: time.Unix(1000, 0), To: time.Unix(4600, 0), Username: "user-7"}},
	} {
		q.f.Account, q.f.Limit = acct, 51
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := st.FindEvents(b.Context(), q.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIndexEventsPool measures IndexEvents of identity pool events
// as the pool benchmark makes them (GetId, then GetCredentialsForIdentity
// issuing a key; random event ids and issued keys, no caller), in
// transactions of 32 and 128 events, after 100,000 indexed: per event.
func BenchmarkIndexEventsPool(b *testing.B) {
	for _, batch := range []int{32, 128} {
		b.Run(fmt.Sprint("batch", batch), func(b *testing.B) {
			st, err := Open(b.Context(), Config{Path: filepath.Join(b.TempDir(), "b.db"), Now: time.Now})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			key := uint64(0)
			events := func(n int) []store.EventRecord {
				rs := make([]store.EventRecord, n)
				for i := range rs {
					key++
					rs[i] = store.EventRecord{Key: key, Account: "111122223333", Time: time.Unix(int64(1e9+key/1000), 0),
						EventID: rand.Text(), Source: "cognito-identity.amazonaws.com", Name: "GetId", Management: true,
						Event: make([]byte, 870)}
					if key%2 == 0 {
						rs[i].Name, rs[i].IssuedKeyID = "GetCredentialsForIdentity", "ASIA"+rand.Text()[:16]
					}
				}
				return rs
			}
			for range 100 {
				if err := st.IndexEvents(b.Context(), events(1000), key); err != nil {
					b.Fatal(err)
				}
			}
			n := 0
			b.ResetTimer()
			cpu := cputime.Start()
			for b.Loop() {
				if err := st.IndexEvents(b.Context(), events(batch), key); err != nil {
					b.Fatal(err)
				}
				n += batch
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n), "µs/event")
			cpu.Report(b, n, "cpu-µs/event")
		})
	}
}
