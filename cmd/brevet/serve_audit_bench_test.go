package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/config"
)

// BenchmarkServeAssumeRole measures AssumeRole throughput through the
// whole server (HTTP, SigV4, authorization, the sqlite store, the
// credential minting, the audit trail) in process, with the durable file
// trail (write + fsync before each response, group commit) and with the
// trail's file I/O replaced by nullFile. The target: the durable
// trail costs at most 15% of the throughput.
func BenchmarkServeAssumeRole(b *testing.B) {
	for _, bc := range []struct {
		sink    string
		clients int
	}{{"durable", 16}, {"null", 16}, {"durable", 64}, {"null", 64}, {"durable", 256}, {"null", 256}} {
		sink := bc.sink
		b.Run(fmt.Sprintf("%s/c%d", sink, bc.clients), func(b *testing.B) {
			if sink == "null" {
				auditOpenFile = openTrailNull
				defer func() { auditOpenFile = nil }()
			}
			base, dataDir, stop := serveForBench(b)
			defer stop()
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
		})
	}
}

// serveForBench starts serve in process on a fresh data directory and
// returns its URL, its data directory and a stop function.
func serveForBench(tb testing.TB) (base, dataDir string, stop func()) {
	tb.Helper()
	dataDir = filepath.Join(tb.TempDir(), "data")
	cfg, err := config.Load(config.LoadArgs{Env: []string{"BREVET_DATA_DIR=" + dataDir, "BREVET_LISTEN=127.0.0.1:0",
		"BREVET_ACCOUNT_ID=111122223333", "BREVET_LOG_LEVEL=error"}})
	if err != nil {
		tb.Fatal(err)
	}
	ready := filepath.Join(tb.TempDir(), "ready")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, serveOptions{readyFile: ready, out: io.Discard, logOut: io.Discard}) }()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if data, err := os.ReadFile(ready); err == nil {
			base = strings.TrimSpace(string(data))
			break
		}
		if time.Now().After(deadline) {
			cancel()
			tb.Fatal("serve not ready after 20s")
		}
	}
	return base, dataDir, func() {
		cancel()
		if err := <-done; err != nil {
			tb.Error(err)
		}
	}
}
