package loadgen

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/sigv4"
)

// verifyingS3 wraps next in a real SigV4 check with S3's rules (the
// payload hash in x-amz-content-sha256, UNSIGNED-PAYLOAD accepted, no
// path normalisation), so that the tests prove the generator signs S3
// requests as S3 verifies them. An unsigned payload is left unread, for
// next to stream.
func verifyingS3(t *testing.T, next http.Handler) http.Handler {
	t.Helper()
	v, err := sigv4.NewVerifier(sigv4.Config{Regions: []string{"us-east-1"}, Services: []string{"s3"}, S3PathRules: true, UnsignedPayload: true})
	if err != nil {
		t.Fatal(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		if r.Header.Get("X-Amz-Content-Sha256") != sigv4.UnsignedPayload {
			body, _ = io.ReadAll(r.Body)
			r.Body = io.NopCloser(strings.NewReader(string(body)))
		}
		req := sigv4.FromHTTP(r, body)
		a, err := sigv4.Parse(&req)
		if err == nil {
			err = v.Verify(&req, a, testCreds.SecretAccessKey, time.Now())
		}
		if err != nil {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, "<Error><Code>SignatureDoesNotMatch</Code><Message>"+err.Error()+"</Message></Error>")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func TestNullS3Handler(t *testing.T) {
	srv := httptest.NewServer(NullS3Handler())
	defer srv.Close()
	tests := []struct {
		method, path, body string
		wantStatus         int
		wantLen            int64  // of the body read, -1 for any
		wantIn             string // in the body
		wantHeaders        []string
	}{
		{"GET", "/bench/obj-1k", "", 200, NullS3ObjectSize, "brevet-bench-object-", []string{"Etag", "Content-Length", "Last-Modified", "X-Amz-Request-Id", "X-Amz-Id-2"}},
		{"HEAD", "/bench/obj-1k", "", 200, 0, "", []string{"Etag", "Content-Length", "Last-Modified", "X-Amz-Request-Id"}},
		{"GET", "/bench/size-3000000", "", 200, 3000000, "", []string{"Etag", "Content-Length", "Last-Modified"}},
		{"GET", "/bench/size-0", "", 200, 0, "", []string{"Etag", "Content-Length"}},
		{"GET", "/bench/size-x", "", 200, NullS3ObjectSize, "", []string{"Etag"}},
		{"PUT", "/bench/obj", strings.Repeat("x", 700000), 200, 0, "", []string{"Etag", "X-Amz-Request-Id"}},
		{"DELETE", "/bench/obj", "", 204, 0, "", []string{"X-Amz-Request-Id"}},
		{"PUT", "/bench", "", 200, 0, "", []string{"Location", "X-Amz-Request-Id"}},
		{"HEAD", "/bench", "", 200, 0, "", []string{"X-Amz-Request-Id"}},
		{"GET", "/bench", "", 200, -1, "<KeyCount>0</KeyCount>", nil},
		{"GET", "/", "", 200, -1, "<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner>", []string{"X-Amz-Request-Id"}},
		{"POST", "/bench/obj", "", 405, -1, "<Code>MethodNotAllowed</Code>", []string{"X-Amz-Request-Id"}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantLen >= 0 && int64(len(body)) != tt.wantLen {
				t.Errorf("body of %d bytes, want %d", len(body), tt.wantLen)
			}
			if !strings.Contains(string(body), tt.wantIn) {
				t.Errorf("body %.200q lacks %q", body, tt.wantIn)
			}
			for _, h := range tt.wantHeaders {
				if resp.Header.Get(h) == "" {
					t.Errorf("no %s header in %v", h, resp.Header)
				}
			}
			if tt.method == "HEAD" && tt.path == "/bench/obj-1k" && resp.ContentLength != NullS3ObjectSize {
				t.Errorf("HEAD Content-Length = %d, want %d", resp.ContentLength, NullS3ObjectSize)
			}
		})
	}
}

// TestS3WorkloadsVerify: GetObject and PutObject, through Run, are
// signed as S3 verifies them (on a path S3 does not normalise, too),
// and a response other than the workload's status is an error.
func TestS3WorkloadsVerify(t *testing.T) {
	var seen atomic.Int64
	srv := httptest.NewServer(verifyingS3(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		NullS3Handler().ServeHTTP(w, r)
	})))
	defer srv.Close()
	for _, w := range []Workload{
		GetObject("/bench/obj-1k"),
		GetObject("/bench/a%20b/./c"),
		PutObject("/bench/obj-1k", make([]byte, 1024)),
		S3Request("CreateBucket", http.MethodPut, "/bench", nil),
	} {
		t.Run(w.Action+" "+w.Path, func(t *testing.T) {
			seen.Store(0)
			cfg := Config{URL: srv.URL + "/", Region: "us-east-1", Credentials: testCreds, Concurrency: 2, Duration: 100 * time.Millisecond}
			res, err := Run(context.Background(), cfg, w)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if res.Errors != 0 {
				t.Errorf("Errors = %d (%v), want 0", res.Errors, res.ErrorsBy)
			}
			if res.Ops == 0 || uint64(seen.Load()) != res.Ops {
				t.Errorf("Ops = %d, server saw %d; want the same, > 0", res.Ops, seen.Load())
			}
		})
	}
	cfg := Config{URL: srv.URL, Region: "us-east-1", Credentials: testCreds, Concurrency: 1, Duration: time.Second, MaxRequests: 3}
	tests := []struct {
		name string
		w    Workload
		want map[string]uint64
	}{
		{"wrong secret", GetObject("/bench/obj"), map[string]uint64{"403 SignatureDoesNotMatch": 3}},
		{"204 is not 200", S3Request("DeleteObject", http.MethodDelete, "/bench/obj", nil), map[string]uint64{"204 unexpected status": 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := cfg
			if tt.name == "wrong secret" {
				cfg.Credentials.SecretAccessKey = "not-the-secret"
			}
			res, err := Run(context.Background(), cfg, tt.w)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, res.ErrorsBy); diff != "" {
				t.Errorf("ErrorsBy (-want +got):\n%s", diff)
			}
		})
	}
}

func TestS3RequestPayloadHash(t *testing.T) {
	tests := []struct {
		body []byte
		want string
	}{
		{nil, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{[]byte("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tt := range tests {
		if got := S3Request("PutObject", http.MethodPut, "/b/k", tt.body).PayloadHash; got != tt.want {
			t.Errorf("PayloadHash of %q = %s, want %s", tt.body, got, tt.want)
		}
	}
}

func TestStream(t *testing.T) {
	var put atomic.Int64
	srv := httptest.NewServer(verifyingS3(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			put.Store(r.ContentLength)
		}
		NullS3Handler().ServeHTTP(w, r)
	})))
	defer srv.Close()
	pid := 0
	if _, err := os.Stat("/proc/self/status"); err == nil {
		pid = os.Getpid()
	}
	const size = 5<<20 + 3
	for _, tt := range []struct{ method, path string }{
		{http.MethodPut, "/bench/upload"},
		{http.MethodGet, "/bench/size-5242883"},
	} {
		t.Run(tt.method, func(t *testing.T) {
			r, err := Stream(context.Background(), StreamConfig{URL: srv.URL + "/", Path: tt.path, Method: tt.method, Size: size,
				Region: "us-east-1", Credentials: testCreds, PID: pid, SampleEvery: time.Millisecond})
			if err != nil {
				t.Fatalf("Stream: %v", err)
			}
			if r.Bytes != size || r.GBPerSecond <= 0 || r.ElapsedSeconds <= 0 {
				t.Errorf("Bytes = %d, %v GB/s in %v s; want %d bytes and a rate", r.Bytes, r.GBPerSecond, r.ElapsedSeconds, size)
			}
			if pid != 0 && (r.ServerRSSBefore == 0 || r.ServerRSSPeak < r.ServerRSSBefore || r.ServerRSSPeak < r.ServerRSSAfter) {
				t.Errorf("RSS before %d, peak %d, after %d; want the peak the highest, none 0", r.ServerRSSBefore, r.ServerRSSPeak, r.ServerRSSAfter)
			}
		})
	}
	if put.Load() != size {
		t.Errorf("the server saw a PUT of Content-Length %d, want %d", put.Load(), size)
	}
	_, err := Stream(context.Background(), StreamConfig{URL: srv.URL, Path: "/bench/size-10", Method: http.MethodGet, Size: 11,
		Region: "us-east-1", Credentials: testCreds})
	if err == nil || !strings.Contains(err.Error(), "10 bytes, want 11") {
		t.Errorf("GET of the wrong size: %v, want an error saying so", err)
	}
	_, err = Stream(context.Background(), StreamConfig{URL: srv.URL, Path: "/bench/size-10", Method: http.MethodGet, Size: 10,
		Region: "us-east-1", Credentials: sigv4.Credentials{AccessKeyID: testCreds.AccessKeyID, SecretAccessKey: "wrong"}})
	if err == nil || !strings.Contains(err.Error(), "HTTP 403 SignatureDoesNotMatch") {
		t.Errorf("GET with the wrong secret: %v, want HTTP 403 SignatureDoesNotMatch", err)
	}
}

func TestS3RowsAndTargets(t *testing.T) {
	res := func(ops uint64) *Result { return &Result{Ops: ops, Elapsed: time.Second, Latency: NewHistogram()} }
	phases := []*Phase{
		{Target: NullS3Name, Action: "GetObject", Concurrency: 64, Result: res(10000), ServerCPU: 200 * time.Millisecond, ServerRSSAfter: 8 << 20},
		{Target: "brevet", Action: "GetObject", Concurrency: 64, Result: res(6500), ServerCPU: 650 * time.Millisecond, ServerRSSAfter: 40 << 20},
		{Target: NullS3Name, Action: "GetObject", Concurrency: 8, Result: res(9000), ServerCPU: 180 * time.Millisecond, ServerRSSAfter: 8 << 20},
		{Target: "brevet", Action: "GetObject", Concurrency: 8, Result: res(4500), ServerCPU: 900 * time.Millisecond, ServerRSSAfter: 40 << 20},
	}
	rows := Rows(phases)
	var got [][2]float64
	for _, r := range rows {
		got = append(got, [2]float64{r.RatioToNull, r.NullCPUMicrosPerOp})
	}
	if diff := cmp.Diff([][2]float64{{0, 0}, {0.65, 20}, {0, 0}, {0.5, 20}}, got); diff != "" {
		t.Errorf("×null, null µs/op (-want +got):\n%s", diff)
	}
	var out strings.Builder
	if err := WriteS3Table(&out, rows); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"   target     action  conc  ops/s  ×null", "\n  null-s3  GetObject    64  10000      -", "\n   brevet  GetObject    64   6500   0.65"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := WriteS3Targets(&out, rows, 3); err != nil {
		t.Fatal(err)
	}
	want := "targets at c64 against the null S3 backend reached directly (medians of 3 rounds):\n" +
		"  brevet GetObject  0.65× null (want ≥ 0.60): met  server CPU 100.0 − null's 20.0 = 80.0 µs/op more (want ≤ 80): met\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("WriteS3Targets (-want +got):\n%s", diff)
	}
	out.Reset()
	err := WriteStreams(&out, []*StreamResult{
		{Target: "brevet", Method: "PUT", Path: "/bench/upload", Bytes: 1 << 30, ElapsedSeconds: 2, GBPerSecond: 0.54,
			ServerRSSBefore: 40 << 20, ServerRSSPeak: 120 << 20, ServerRSSAfter: 50 << 20},
		{Target: NullS3Name, Method: "GET", Path: "/bench/size-1073741824", Bytes: 1 << 30, ElapsedSeconds: 0.5, GBPerSecond: 2.15,
			ServerRSSBefore: 8 << 20, ServerRSSPeak: 9 << 20, ServerRSSAfter: 8 << 20},
	})
	if err != nil {
		t.Fatal(err)
	}
	want = "streamed, one request each way, UNSIGNED-PAYLOAD (GB = 10⁹ bytes):\n" +
		"  brevet   PUT /bench/upload           1 GiB in 2.000 s: 0.54 GB/s (want ≥ 1.0): NOT met  RSS 40.0 → peak 120.0 → 50.0 MiB: +80.0 MiB (want < 64): NOT met\n" +
		"  null-s3  GET /bench/size-1073741824  1 GiB in 0.500 s: 2.15 GB/s                        RSS 8.0 → peak 9.0 → 8.0 MiB: +1.0 MiB\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("WriteStreams (-want +got):\n%s", diff)
	}
}
