package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/loadgen"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

func TestByteSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantStr string
		wantErr bool
	}{
		{"0", 0, "0", false},
		{"1048576", 1 << 20, "1MiB", false},
		{"1GiB", 1 << 30, "1GiB", false},
		{"16MiB", 16 << 20, "16MiB", false},
		{"3KiB", 3 << 10, "3KiB", false},
		{"1000", 1000, "1000", false},
		{"-1", 0, "", true},
		{"1GB", 0, "", true},
		{"2048GiB", 0, "", true},
	}
	for _, tt := range tests {
		var b byteSize
		err := b.Set(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("Set(%q) = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && (int64(b) != tt.want || b.String() != tt.wantStr) {
			t.Errorf("Set(%q) = %d (%s), want %d (%s)", tt.in, int64(b), b.String(), tt.want, tt.wantStr)
		}
	}
}

func TestS3BenchOptionsCheck(t *testing.T) {
	good := func() s3BenchOptions {
		return s3BenchOptions{region: "us-east-1", concurrency: []int{1, 8, 64}, duration: 5 * time.Second, warmup: time.Second, repeat: 1, output: "table"}
	}
	tests := []struct {
		name    string
		mutate  func(*s3BenchOptions)
		wantErr string
	}{
		{"default", func(*s3BenchOptions) {}, ""},
		{"zero concurrency", func(o *s3BenchOptions) { o.concurrency = []int{0} }, "--concurrency: 0"},
		{"no concurrency", func(o *s3BenchOptions) { o.concurrency = nil }, "at least one level"},
		{"no repeat", func(o *s3BenchOptions) { o.repeat = 0 }, "--repeat must be at least 1"},
		{"no duration", func(o *s3BenchOptions) { o.duration = 0 }, "--duration must be positive"},
		{"bad output", func(o *s3BenchOptions) { o.output = "csv" }, `"csv" is not table or json`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good()
			tt.mutate(&o)
			err := o.check()
			if tt.wantErr == "" && err != nil {
				t.Errorf("check() = %v, want nil", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("check() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

// firstRequests records the first three requests a server saw.
type firstRequests struct {
	mu   sync.Mutex
	reqs []string
}

func (f *firstRequests) add(r string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) < 3 {
		f.reqs = append(f.reqs, r)
	}
}

// fakeGateway stands for the S3 gateway: it checks the signature with
// S3's rules and answers as the null backend does, recording the
// requests it served.
func fakeGateway(t *testing.T, creds sigv4.Credentials, seen *firstRequests) http.Handler {
	v, err := sigv4.NewVerifier(sigv4.Config{Regions: []string{"us-east-1"}, Services: []string{"s3"}, S3PathRules: true, UnsignedPayload: true})
	if err != nil {
		t.Fatal(err)
	}
	null := loadgen.NullS3Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		if r.Header.Get("X-Amz-Content-Sha256") != sigv4.UnsignedPayload {
			body, _ = io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		req := sigv4.FromHTTP(r, body)
		a, err := sigv4.Parse(&req)
		if err == nil {
			err = v.Verify(&req, a, creds.SecretAccessKey, time.Now())
		}
		if err != nil {
			http.Error(w, "<Error><Code>SignatureDoesNotMatch</Code></Error>", http.StatusForbidden)
			return
		}
		seen.add(r.Method + " " + r.URL.Path)
		null.ServeHTTP(w, r)
	})
}

// TestBenchS3Phases runs brevet bench s3's phases, streams included,
// against a null backend and a stand-in for the gateway in this process:
// the test checks the plumbing, not the figures. The spawned run (the
// real gateway) is e2e's TestBenchS3.
func TestBenchS3Phases(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	creds := sigv4.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}
	null := httptest.NewServer(loadgen.NullS3Handler())
	defer null.Close()
	var seen firstRequests
	gw := httptest.NewServer(fakeGateway(t, creds, &seen))
	defer gw.Close()
	o := s3BenchOptions{region: "us-east-1", concurrency: []int{1, 4}, duration: 100 * time.Millisecond, warmup: 20 * time.Millisecond,
		repeat: 2, streamSize: 4 << 20, output: "json"}
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	run := func(o s3BenchOptions) (string, string) {
		var stdout, stderr bytes.Buffer
		err := benchS3Phases(context.Background(), &stdout, &stderr, o,
			loadgen.Target{Name: loadgen.NullS3Name, URL: null.URL + "/", PID: os.Getpid()},
			loadgen.Target{Name: "brevet", URL: gw.URL + "/", PID: os.Getpid()}, creds)
		if err != nil {
			t.Fatalf("benchS3Phases: %v\n%s", err, stderr.String())
		}
		return stdout.String(), stderr.String()
	}
	stdout, _ := run(o)
	if want := []string{"PUT /bench", "PUT /bench/obj-1k", "GET /bench/obj-1k"}; strings.Join(seen.reqs, ",") != strings.Join(want, ",") {
		t.Errorf("the gateway first saw %q, want %q", seen.reqs, want)
	}
	var rep s3BenchReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout)
	}
	if got, want := len(rep.Rows), 2*2*2; got != want {
		t.Fatalf("%d rows, want %d", got, want)
	}
	if got, want := len(rep.Medians), 2*2; got != want {
		t.Fatalf("%d medians, want %d", got, want)
	}
	for _, r := range rep.Rows {
		if r.Errors != 0 || r.Ops == 0 || r.Action != "GetObject" {
			t.Errorf("%s %s c%d: %d ops, %d errors %v; want GetObject ops and no errors", r.Target, r.Action, r.Concurrency, r.Ops, r.Errors, r.ErrorsBy)
		}
		if (r.Target == "brevet") != (r.RatioToNull > 0) {
			t.Errorf("%s c%d: ×null %v, want one for the gateway's rows only", r.Target, r.Concurrency, r.RatioToNull)
		}
	}
	var streams []string
	for _, s := range rep.Streams {
		streams = append(streams, s.Target+" "+s.Method+" "+s.Path)
		if s.Bytes != 4<<20 || s.GBPerSecond <= 0 {
			t.Errorf("%s %s: %d bytes at %v GB/s, want 4 MiB at some rate", s.Target, s.Method, s.Bytes, s.GBPerSecond)
		}
	}
	wantStreams := "brevet PUT /bench/upload-4194304,brevet GET /bench/size-4194304,null-s3 PUT /bench/upload-4194304,null-s3 GET /bench/size-4194304"
	if got := strings.Join(streams, ","); got != wantStreams {
		t.Errorf("streams %s, want %s", got, wantStreams)
	}

	// The table: one round at c64, no streams.
	o = s3BenchOptions{region: "us-east-1", concurrency: []int{64}, duration: 100 * time.Millisecond, repeat: 1, output: "table"}
	stdout, _ = run(o)
	for _, want := range []string{"GetObject of 1024 bytes (/bench/obj-1k)", "×null", "targets at c64 against the null S3 backend reached directly (1 round;",
		"brevet GetObject  ", "brevet RSS:"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "streamed") {
		t.Errorf("--stream-size 0 streamed:\n%s", stdout)
	}
}
