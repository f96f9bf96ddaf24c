package node

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/brevet-dev/brevet/internal/audit/audittest"
)

// BenchmarkServeAssumeRole measures AssumeRole throughput through the
// whole server (HTTP, SigV4, authorization, the sqlite store, the
// credential minting, the audit trail) in process, with the durable file
// trail (write + fsync before each response, group commit) and with the
// trail's file I/O replaced by audittest.OpenNull. The target: the durable
// trail costs at most 15% of the throughput.
func BenchmarkServeAssumeRole(b *testing.B) {
	for _, bc := range []struct {
		sink    string
		clients int
	}{{"durable", 16}, {"null", 16}, {"durable", 64}, {"null", 64}, {"durable", 256}, {"null", 256}} {
		sink := bc.sink
		b.Run(fmt.Sprintf("%s/c%d", sink, bc.clients), func(b *testing.B) {
			var opts Options
			if sink == "null" {
				opts.AuditOpenFile = audittest.OpenNull
			}
			dataDir := filepath.Join(b.TempDir(), "data")
			// One key far past the default per-caller budget, and every
			// client from one address past the per-source bounds (64 in
			// flight by default, which shed c256 with 503s): raised, not
			// off, so that the limiters' cost is in the figures.
			n, stop := startNode(b, dataDir, opts, "BREVET_LOG_LEVEL=error", "BREVET_LIMIT_REQUESTS_PER_CALLER=1000000/s:1000000",
				"BREVET_LIMIT_MAX_IN_FLIGHT_PER_SOURCE=1024", "BREVET_LIMIT_MAX_CONNECTIONS_PER_SOURCE=1024")
			base := n.URL()
			creds := adminCreds(b, dataDir)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
			trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"arn:aws:iam::111122223333:root"}}]}`
			if code, body := signedPostTo(b, client, base, "iam", creds, "Action=CreateRole&Version=2010-05-08&RoleName=bench&AssumeRolePolicyDocument="+url.QueryEscape(trust)); code != 200 {
				b.Fatalf("CreateRole: %d %s", code, body)
			}
			const assume = "Action=AssumeRole&Version=2011-06-15&RoleSessionName=bench&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fbench"
			b.SetParallelism(max(1, bc.clients/runtime.GOMAXPROCS(0)))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if code, body := signedPostTo(b, client, base, "sts", creds, assume); code != 200 {
						b.Errorf("AssumeRole: %d %s", code, body)
						return
					}
				}
			})
			b.StopTimer() // not the shutdown
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			if err := stop(); err != nil {
				b.Error(err)
			}
		})
	}
}
