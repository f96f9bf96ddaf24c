package agent

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// BenchmarkIMDSCredentials measures IMDS credential requests served from
// the agent's cache over loopback HTTP by 64 concurrent keep-alive
// clients, each with a token PUT once: the figure docs/benchmarks.md
// reports (issue 16: ≥ 20,000/s).
func BenchmarkIMDSCredentials(b *testing.B) {
	clock := clockwork.NewRealClock()
	s := &scripted{}
	s.push(creds("ASIAHOST", time.Now().Add(time.Hour)), nil)
	k := NewKeeper(KeeperConfig{Role: testHost.RoleArn, Fetch: s.fetch, Clock: clock})
	k.Step(b.Context())
	srv := httptest.NewServer(NewIMDS(k, testHost, clock, NewMetrics()))
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 128, MaxConnsPerHost: 128}
	client := &http.Client{Transport: tr}
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/latest/api/token", nil)
	req.Header.Set(HeaderTokenTTL, "21600")
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	tok, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	url := srv.URL + "/latest/meta-data/iam/security-credentials/web-role"
	b.SetParallelism((64 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set(HeaderToken, string(tok))
		for pb.Next() {
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}
