package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
)

// TestStreamingListener: the streaming listener's handler gets every
// method and path (health paths included), reads bodies larger than the
// API's limit itself, and the server's own errors (a panic, an overload)
// come out through its ErrorWriter, with the request id the handler saw.
func TestStreamingListener(t *testing.T) {
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/panic":
			panic("boom")
		case "/block":
			<-release
		}
		n, err := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "%s %s %d %v %s", r.Method, r.URL.Path, n, err, RequestID(r.Context()))
	})
	errw := func(w http.ResponseWriter, ctx context.Context, e *awsquery.Error) {
		w.WriteHeader(e.Code.Status)
		fmt.Fprintf(w, "<Error><Code>%s</Code><RequestId>%s</RequestId></Error>", e.Code.Name, RequestID(ctx))
	}
	r := start(t, Config{MaxRequestBody: 1024, MaxInFlight: 1}, echoID, WithStreaming("s3", h, errw))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = r.srv.RunStreaming(context.Background(), ln) }()
	url := "http://" + ln.Addr().String()
	do := func(method, path string, body io.Reader) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, url+path, body)
		resp, err := r.client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	resp, body := do("PUT", "/bucket/key", strings.NewReader(strings.Repeat("x", 1<<20)))
	id := resp.Header.Get(headerRequestIDKey)
	if want := "PUT /bucket/key 1048576 <nil> " + id; resp.StatusCode != 200 || body != want || id == "" {
		t.Errorf("PUT of 1 MiB: %d %q, want 200 %q", resp.StatusCode, body, want)
	}
	if _, body := do("GET", "/healthz", nil); !strings.HasPrefix(body, "GET /healthz 0") {
		t.Errorf("GET /healthz = %q, want it served by the handler (a bucket may be named healthz)", body)
	}
	if _, body := do("DELETE", "/b", nil); !strings.HasPrefix(body, "DELETE /b 0") {
		t.Errorf("DELETE = %q", body)
	}
	resp, body = do("GET", "/panic", nil)
	if resp.StatusCode != 500 || !strings.Contains(body, "<Code>InternalFailure</Code>") || !strings.Contains(body, resp.Header.Get(headerRequestIDKey)) {
		t.Errorf("panic: %d %q, want 500 in the listener's protocol", resp.StatusCode, body)
	}

	go func() { _, _ = http.Get(url + "/block") }()
	deadline := time.Now().Add(5 * time.Second)
	for r.srv.limits.inFlight.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	resp, body = do("GET", "/x", nil)
	close(release)
	if resp.StatusCode != 503 || !strings.Contains(body, "<Code>ServiceUnavailable</Code>") {
		t.Errorf("over the in-flight limit: %d %q, want 503 in the listener's protocol", resp.StatusCode, body)
	}
}
