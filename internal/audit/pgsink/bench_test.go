package pgsink_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/audit/pgsink"
	"github.com/brevet-dev/brevet/internal/store/postgres/pgtest"
)

// BenchmarkAppendCommitted measures appends to the PostgreSQL sink, each
// acknowledged once committed, with c concurrent callers sharing commits
// through the Trail's group commit.
func BenchmarkAppendCommitted(b *testing.B) {
	ev, err := json.Marshal(audit.Converter{}.Convert(record(1), nil))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("c%d", c), func(b *testing.B) {
			dsn := pgtest.DSN(b)
			sg := signer(5)
			s, err := pgsink.Open(context.Background(), pgsink.Config{DSN: dsn, Node: "bench", PublicKey: sg.Public()})
			if err != nil {
				b.Fatal(err)
			}
			a, err := audit.Open(audit.Options{Dir: b.TempDir(), Signer: sg, Durable: s, DigestInterval: -1})
			if err != nil {
				b.Fatal(err)
			}
			defer a.Close()
			tr := a.Trail()
			var next atomic.Int64
			b.SetBytes(int64(len(ev)))
			b.ReportAllocs()
			b.ResetTimer()
			var wg sync.WaitGroup
			for range c {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						if _, err := tr.Append(context.Background(), ev); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			st := tr.Stats()
			b.ReportMetric(float64(st.Events)/float64(max(st.Batches, 1)), "events/commit")
		})
	}
}

// BenchmarkAppendSpooled measures appends while PostgreSQL is unreachable
// (a cut proxy): each batch is acknowledged once fsync'd in the spool.
func BenchmarkAppendSpooled(b *testing.B) {
	ev, err := json.Marshal(audit.Converter{}.Convert(record(1), nil))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []int{1, 64} {
		b.Run(fmt.Sprintf("c%d", c), func(b *testing.B) {
			p, proxied := viaProxy(b, pgtest.DSN(b))
			sg := signer(6)
			s, err := pgsink.Open(context.Background(), pgsink.Config{DSN: proxied, Node: "bench", PublicKey: sg.Public(), SpoolDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			a, err := audit.Open(audit.Options{Dir: b.TempDir(), Signer: sg, Durable: s, DigestInterval: -1})
			if err != nil {
				b.Fatal(err)
			}
			defer a.Close()
			p.setCut(true)
			tr := a.Trail()
			if _, err := tr.Append(context.Background(), ev); err != nil { // starts spooling
				b.Fatal(err)
			}
			var next atomic.Int64
			b.SetBytes(int64(len(ev)))
			b.ReportAllocs()
			b.ResetTimer()
			var wg sync.WaitGroup
			for range c {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						if _, err := tr.Append(context.Background(), ev); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			if st := s.Stats(); !st.Spooling {
				b.Fatalf("not spooling: %+v", st)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
