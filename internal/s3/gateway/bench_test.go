package gateway_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/cputime"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/s3/gateway"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// nullResponder is the null backend of the benchmarks: it answers at once,
// without checking signatures: GET with size bytes, PUT by discarding the
// body.
func nullResponder(b *testing.B, size int64) *httptest.Server {
	b.Helper()
	chunk := make([]byte, 64<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPut:
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("ETag", `"etag"`)
		default:
			w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
			w.Header().Set("ETag", `"etag"`)
			for n := size; n > 0; {
				k := min(n, int64(len(chunk)))
				if _, err := w.Write(chunk[:k]); err != nil {
					return
				}
				n -= k
			}
		}
	}))
	b.Cleanup(srv.Close)
	return srv
}

// discardAuditor is the benchmarks' auditor: durability is the audit
// package's cost, measured there.
type discardAuditor struct{}

func (discardAuditor) Audit(context.Context, *request.Record) error { return nil }

// benchGateway serves a gateway over plain HTTP in front of backend.
func benchGateway(b *testing.B, backend *httptest.Server) (*env, *httptest.Server) {
	b.Helper()
	u, _ := url.Parse(backend.URL)
	e := newEnv(b, gateway.Backend{Name: "null", Endpoint: u, Region: region, Buckets: []string{"*"}})
	e.audit = nil
	gw, err := gateway.New(gateway.Config{Pipeline: e.pipeline(discardAuditor{}), Backends: []gateway.Backend{{Name: "null", Endpoint: u, Region: region,
		Buckets: []string{"*"}, Credentials: e.backendCreds()}}, Policies: e.policies, Account: acct})
	must(b, err)
	srv := httptest.NewServer(gw)
	b.Cleanup(srv.Close)
	return e, srv
}

func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, DisableCompression: true}}
}

// signedGet returns a GET of u signed as creds.
func signedGet(b *testing.B, u string, creds sigv4.Credentials) *http.Request {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		b.Fatal(err)
	}
	s := &sigv4.Signer{Credentials: creds}
	if err := s.SignHTTP(req, nil, sigv4.SignOptions{Region: region, Service: "s3", Time: time.Now(), S3PathRules: true, ContentSHA256Header: true}); err != nil {
		b.Fatal(err)
	}
	return req
}

func fetch(b *testing.B, c *http.Client, req *http.Request) {
	resp, err := c.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Errorf("status %d", resp.StatusCode)
	}
}

// BenchmarkGetObject1KiB compares a 1 KiB GetObject through the gateway
// (authenticated, authorized, audited, re-signed, forwarded) with the same
// GET to the null backend directly, same client, in parallel.
//
//	go test ./internal/s3/gateway -run '^$' -bench GetObject1KiB -cpu 2 -benchtime 3s
func BenchmarkGetObject1KiB(b *testing.B) {
	backend := nullResponder(b, 1<<10)
	e, gw := benchGateway(b, backend)
	alice := e.keys["alice"]
	b.Run("direct", func(b *testing.B) {
		c := benchClient()
		b.ReportAllocs()
		defer reportCPU(b)()
		b.SetParallelism(32) // 64 clients on 2 CPUs
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, _ := http.NewRequest(http.MethodGet, backend.URL+"/bucket/key", nil)
				fetch(b, c, req)
			}
		})
	})
	b.Run("gateway", func(b *testing.B) {
		c := benchClient()
		b.ReportAllocs()
		defer reportCPU(b)()
		b.SetParallelism(32)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				fetch(b, c, signedGet(b, gw.URL+"/bucket/key", alice))
			}
		})
	})
}

// reportCPU reports the process's CPU time (user and system) per
// operation, client, gateway and backend together: the gateway's cost is
// the difference with the direct run.
func reportCPU(b *testing.B) func() {
	cpu := cputime.Start()
	return func() { cpu.Report(b, b.N, "cpu-µs/op") }
}

// repeatReader yields n bytes without allocating.
type repeatReader struct {
	n   int64
	buf []byte
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := copy(p, r.buf)
	if int64(k) > r.n {
		k = int(r.n)
	}
	r.n -= int64(k)
	return k, nil
}

// BenchmarkStream64MiB streams 64 MiB through the gateway each way (PUT
// with UNSIGNED-PAYLOAD, GET) against a null backend that discards and
// produces bytes.
//
//	go test ./internal/s3/gateway -run '^$' -bench Stream64MiB -benchtime 20x
func BenchmarkStream64MiB(b *testing.B) {
	const size = 64 << 20
	backend := nullResponder(b, size)
	e, gw := benchGateway(b, backend)
	alice := e.keys["alice"]
	c := benchClient()
	buf := make([]byte, 64<<10)
	b.Run("PUT", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			req, err := http.NewRequest(http.MethodPut, gw.URL+"/bucket/big", &repeatReader{n: size, buf: buf})
			must(b, err)
			req.ContentLength = size
			s := &sigv4.Signer{Credentials: alice}
			must(b, s.SignHTTP(req, nil, sigv4.SignOptions{Region: region, Service: "s3", Time: time.Now(), S3PathRules: true,
				PayloadHash: "UNSIGNED-PAYLOAD", ContentSHA256Header: true}))
			fetch(b, c, req)
		}
	})
	b.Run("GET", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			fetch(b, c, signedGet(b, gw.URL+"/bucket/big", alice))
		}
	})
}
