package audit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/brevet-dev/brevet/internal/audit"
)

// BenchmarkAppendDurable measures durable (fsynced) appends through group
// commit with c concurrent callers. events/s is the figure that matters:
// each caller waits for its event's fsync.
func BenchmarkAppendDurable(b *testing.B) {
	ev, err := json.Marshal(audit.Converter{}.Convert(assumeRoleRecord(1, "ASIAEXAMPLEISSUED001"), nil))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("c%d", c), func(b *testing.B) {
			a := openTest(b, b.TempDir(), nil)
			defer a.Close()
			tr := a.Trail()
			var next atomic.Int64
			b.SetBytes(int64(len(ev)))
			b.ReportAllocs()
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := 0; w < c; w++ {
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
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			st := tr.Stats()
			b.ReportMetric(float64(st.Events)/float64(max(st.Batches, 1)), "events/fsync")
		})
	}
}

// BenchmarkConvert is the per-request work done before the append:
// converting, redacting and encoding an AssumeRole event.
func BenchmarkConvert(b *testing.B) {
	rec := assumeRoleRecord(1, "ASIAEXAMPLEISSUED001")
	rec.Principal = rolePrincipal("ASIAEXAMPLECALLER001")
	conv := audit.Converter{}
	b.ReportAllocs()
	for b.Loop() {
		e := conv.Convert(rec, nil)
		if _, err := json.Marshal(e); err != nil {
			b.Fatal(err)
		}
	}
}
