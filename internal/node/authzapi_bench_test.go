package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/audit/audittest"
	"github.com/brevet-dev/brevet/internal/loadgen"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// BenchmarkAuthzCheck measures Envoy's HTTP ext_authz check of a
// SigV4-signed request (a long-term key's, cached; the route matched, the
// policy evaluated, the data event made durable before the answer)
// against a trivial handler, all served by httptest to 64 clients. The
// issue's target: the check serves at least 0.6 times the trivial
// handler's requests. As in docs/benchmarks.md, the durable trivial
// handler (the trivial one plus an fsynced append of an event-sized
// record through the audit trail's group commit) is the baseline that
// pays the same durability, and the check with the trail's file I/O
// replaced (audittest.OpenNull) shows the server's own cost. Each
// reports req/s and its p99 latency.
//
//	go test ./internal/node -run '^$' -bench BenchmarkAuthzCheck -benchtime 5s
func BenchmarkAuthzCheck(b *testing.B) {
	const clients = 64
	// The trivial handlers get the same request, signature headers and
	// all, so that only the serving differs.
	signed := sigv4.Request{Method: "GET", Path: "/orders/1", Host: "orders.example", Header: http.Header{}}
	if err := (&sigv4.Signer{Credentials: sigv4.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}}).Sign(
		&signed, sigv4.SignOptions{Region: "us-east-1", Service: "orders", Time: time.Now()}); err != nil {
		b.Fatal(err)
	}
	b.Run("trivial/c64", func(b *testing.B) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
		defer srv.Close()
		benchGET(b, srv.URL+"/orders/1", signed.Header, clients)
	})
	b.Run("durable-trivial/c64", func(b *testing.B) {
		dir := b.TempDir()
		sink, err := audit.OpenFileSink(audit.FileSinkConfig{Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		_, key, _ := ed25519.GenerateKey(nil)
		record := append(append([]byte(`{"x":"`), bytes.Repeat([]byte("x"), 1500)...), `"}`...) // about an authorization data event
		h := loadgen.NewDurableTrivial(loadgen.DurableRecords{AssumeRole: record, Other: record})
		trail, err := audit.NewTrail(audit.TrailConfig{Sink: sink, Signer: audit.NewSigner(key), DigestInterval: -1, Callers: h.InFlight})
		if err != nil {
			b.Fatal(err)
		}
		defer trail.Close()
		h.Log = trail
		srv := httptest.NewServer(h)
		defer srv.Close()
		benchGET(b, srv.URL+"/orders/1", signed.Header, clients)
	})
	b.Run("envoy-sigv4/c64", func(b *testing.B) { benchAuthzCheck(b, Options{}, clients) })
	b.Run("envoy-grpc-sigv4/c64", func(b *testing.B) { benchAuthzGRPC(b, clients) })
	b.Run("envoy-sigv4-nulltrail/c64", func(b *testing.B) { benchAuthzCheck(b, Options{AuditOpenFile: audittest.OpenNull}, clients) })
}

func benchAuthzCheck(b *testing.B, opts Options, clients int) {
	{
		dir := b.TempDir()
		routes := filepath.Join(dir, "routes.yaml")
		if err := os.WriteFile(routes, []byte(testRouteMap), 0o600); err != nil {
			b.Fatal(err)
		}
		data := filepath.Join(dir, "data")
		// One key far past the default per-caller budget: raised, not off,
		// so that the limiter's cost is in the figures.
		n, _ := startNode(b, data, opts, "BREVET_LOG_LEVEL=error", "BREVET_AUTHZ_API_ROUTE_MAP="+routes,
			"BREVET_LIMIT_REQUESTS_PER_CALLER=1000000/s:1000000")
		srv := httptest.NewServer(n.srv.Handler())
		defer srv.Close()
		req := sigv4.Request{Method: "GET", Path: "/orders/1", Host: "orders.example", Header: http.Header{}}
		if err := (&sigv4.Signer{Credentials: adminCreds(b, data)}).Sign(&req, sigv4.SignOptions{Region: "us-east-1", Service: "orders", Time: time.Now()}); err != nil {
			b.Fatal(err)
		}
		benchGET(b, srv.URL+"/authz/envoy/orders/1", req.Header, clients)
	}
}

// benchGET sends GET url with header from clients goroutines and reports
// req/s and the p99 latency.
func benchGET(b *testing.B, url string, header http.Header, clients int) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(max(1, clients/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			r, _ := http.NewRequest("GET", url, nil)
			r.Host = "orders.example"
			for k, v := range header {
				r.Header[k] = v
			}
			start := time.Now()
			resp, err := client.Do(r)
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
			mine = append(mine, time.Since(start))
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
}

// BenchmarkAuthzCheckHandler is one Envoy HTTP check through the node's
// whole handler (middleware, pipeline, audit with the trail's file I/O
// replaced), without a network: the server's own CPU per check.
func BenchmarkAuthzCheckHandler(b *testing.B) {
	dir := b.TempDir()
	routes := filepath.Join(dir, "routes.yaml")
	if err := os.WriteFile(routes, []byte(testRouteMap), 0o600); err != nil {
		b.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	n, _ := startNode(b, data, Options{AuditOpenFile: audittest.OpenNull}, "BREVET_LOG_LEVEL=error", "BREVET_AUTHZ_API_ROUTE_MAP="+routes,
		"BREVET_LIMIT_REQUESTS_PER_CALLER=1000000/s:1000000")
	req := sigv4.Request{Method: "GET", Path: "/orders/1", Host: "orders.example", Header: http.Header{}}
	if err := (&sigv4.Signer{Credentials: adminCreds(b, data)}).Sign(&req, sigv4.SignOptions{Region: "us-east-1", Service: "orders", Time: time.Now()}); err != nil {
		b.Fatal(err)
	}
	h := n.srv.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("GET", "/authz/envoy/orders/1", nil)
			r.Host = "orders.example"
			for k, v := range req.Header {
				r.Header[k] = v
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Errorf("status %d: %s", w.Code, w.Body)
				return
			}
		}
	})
}

// benchAuthzGRPC is the same check through the gRPC ext_authz service,
// from one client connection as Envoy keeps one.
func benchAuthzGRPC(b *testing.B, clients int) {
	dir := b.TempDir()
	routes := filepath.Join(dir, "routes.yaml")
	if err := os.WriteFile(routes, []byte(testRouteMap), 0o600); err != nil {
		b.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	n, _ := startNode(b, data, Options{}, "BREVET_LOG_LEVEL=error", "BREVET_AUTHZ_API_ROUTE_MAP="+routes,
		"BREVET_AUTHZ_API_GRPC_LISTEN=127.0.0.1:0", "BREVET_LIMIT_REQUESTS_PER_CALLER=1000000/s:1000000")
	conn, err := grpc.NewClient(n.AuthzGRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	client := authv3.NewAuthorizationClient(conn)
	req := sigv4.Request{Method: "GET", Path: "/orders/1", Host: "orders.example", Header: http.Header{}}
	if err := (&sigv4.Signer{Credentials: adminCreds(b, data)}).Sign(&req, sigv4.SignOptions{Region: "us-east-1", Service: "orders", Time: time.Now()}); err != nil {
		b.Fatal(err)
	}
	hdr := map[string]string{":authority": "orders.example", ":method": "GET", ":path": "/orders/1"}
	for k, v := range req.Header {
		hdr[strings.ToLower(k)] = strings.Join(v, ",")
	}
	check := &authv3.CheckRequest{Attributes: &authv3.AttributeContext{Request: &authv3.AttributeContext_Request{
		Http: &authv3.AttributeContext_HttpRequest{Method: "GET", Path: "/orders/1", Host: "orders.example", Headers: hdr, Scheme: "https"}}}}
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(max(1, clients/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			start := time.Now()
			resp, err := client.Check(context.Background(), check)
			mine = append(mine, time.Since(start))
			if err != nil || resp.GetOkResponse() == nil {
				b.Errorf("Check: %v %v", resp, err)
				return
			}
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
}
