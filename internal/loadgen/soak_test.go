package loadgen

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	iv := func(ops uint64, p99 time.Duration, rss, audit int64) SoakInterval {
		h := NewHistogram()
		for range 100 {
			h.Record(p99)
		}
		return SoakInterval{Result: &Result{Ops: ops, Errors: 1, Latency: h}, RSS: rss, AuditBytes: audit}
	}
	s := Summarize([]SoakInterval{
		iv(100, 10*time.Millisecond, 50<<20, 1000+100*500),
		iv(100, 30*time.Millisecond, 60<<20, 1000+200*500),
		iv(100, 20*time.Millisecond, 55<<20, 1000+300*600),
		iv(100, 20*time.Millisecond, 55<<20, 1000+400*500),
	}, 1000)
	if s.Ops != 400 || s.Errors != 4 || s.RSSFirst != 50<<20 || s.RSSLast != 55<<20 || s.RSSMax != 60<<20 {
		t.Errorf("ops %d errors %d RSS %d/%d/%d", s.Ops, s.Errors, s.RSSFirst, s.RSSLast, s.RSSMax)
	}
	if s.P99Min > 11*time.Millisecond || s.P99Median < 19*time.Millisecond || s.P99Median > 21*time.Millisecond || s.P99Max < 29*time.Millisecond {
		t.Errorf("p99 min %v median %v max %v; want about 10, 20, 30 ms", s.P99Min, s.P99Median, s.P99Max)
	}
	// The first half (200 requests) grew 100,000 bytes: 500 a request,
	// which predicts 100,000 for the second half; it grew 100,000.
	if s.AuditPerOpFirst != 500 || s.AuditPredicted != 100000 || s.AuditGrowth != 100000 || s.AuditPerOp != 500 {
		t.Errorf("audit: first half %v/op, predicted %d, grew %d, %v/op; want 500, 100000, 100000, 500", s.AuditPerOpFirst, s.AuditPredicted, s.AuditGrowth, s.AuditPerOp)
	}
	if got := Summarize(nil, 0); got.Ops != 0 {
		t.Errorf("empty soak summed to %+v", got)
	}
}

func TestSoakIntervals(t *testing.T) {
	srv := httptest.NewServer(TrivialHandler())
	defer srv.Close()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "trail"), make([]byte, 1234), 0o600); err != nil {
		t.Fatal(err)
	}
	var seen int
	ivs, err := Soak(t.Context(), SoakConfig{
		Run:   Config{URL: srv.URL, Region: "us-east-1", Credentials: testCreds, Concurrency: 2, Rate: 100},
		Total: 600 * time.Millisecond, Interval: 200 * time.Millisecond, PID: os.Getpid(), AuditDir: dir,
	}, GetCallerIdentity(), func(SoakInterval) { seen++ })
	if err != nil {
		t.Fatal(err)
	}
	if len(ivs) != 3 || seen != 3 {
		t.Fatalf("%d intervals, %d callbacks; want 3", len(ivs), seen)
	}
	for i, iv := range ivs {
		if iv.Result.Ops == 0 || iv.Result.Ops > 20 || iv.RSS == 0 || iv.AuditBytes != 1234 {
			t.Errorf("interval %d: %d ops (want 1..20 at 100/s for 200ms), RSS %d, audit %d bytes", i, iv.Result.Ops, iv.RSS, iv.AuditBytes)
		}
	}
	if _, err := Soak(t.Context(), SoakConfig{Run: Config{URL: srv.URL}, Total: time.Second}, GetCallerIdentity(), nil); err == nil {
		t.Error("a soak without an interval ran")
	}
}
