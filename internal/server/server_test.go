package server

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/brevet-dev/brevet/internal/awsquery"
)

// syncBuffer is a log sink the server writes to while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines returns the JSON log lines whose msg is msg.
func (b *syncBuffer) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", l, err)
		}
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// running is a server started on 127.0.0.1:0 for one test.
type running struct {
	srv    *Server
	url    string
	addr   string
	logs   *syncBuffer
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan error
	client *http.Client
}

// start runs a server with api at "/" and stops it when the test ends.
func start(t *testing.T, cfg Config, api http.Handler, opts ...Option) *running {
	t.Helper()
	logs := &syncBuffer{}
	reg := prometheus.NewRegistry()
	opts = append([]Option{
		WithAPI(api),
		WithLogger(slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		WithRegistry(reg),
	}, opts...)
	srv, err := New(cfg, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{srv: srv, addr: ln.Addr().String(), url: "http://" + ln.Addr().String(), logs: logs, reg: reg,
		cancel: cancel, done: make(chan error, 1), client: &http.Client{Timeout: 10 * time.Second}}
	go func() { r.done <- srv.Run(ctx, ln) }()
	// Wait until Run has taken the listener, so tests that call Run
	// themselves race with nothing.
	for !srv.started.Load() {
		time.Sleep(time.Millisecond)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			t.Error("server did not stop")
		}
		r.client.CloseIdleConnections()
	})
	return r
}

func (r *running) do(t *testing.T, method, path string, body io.Reader, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, r.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// echoID answers with the request id the handler sees in its context.
var echoID = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.WriteString(w, RequestID(r.Context()))
})

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestRequestID(t *testing.T) {
	r := start(t, Config{}, echoID)
	seen := map[string]bool{}
	for i := range 20 {
		method := []string{http.MethodPost, http.MethodGet}[i%2]
		resp, body := r.do(t, method, "/", strings.NewReader("Action=GetCallerIdentity"), nil)
		id := resp.Header.Get(HeaderRequestID)
		if !uuidRE.MatchString(id) {
			t.Fatalf("%s: %s = %q; want an AWS-style UUID", method, HeaderRequestID, id)
		}
		if body != id {
			t.Errorf("handler saw request id %q; header says %q", body, id)
		}
		if seen[id] {
			t.Errorf("request id %q repeated", id)
		}
		seen[id] = true
	}
	// An id sent by the client is not trusted: the server makes its own.
	resp, body := r.do(t, http.MethodPost, "/", nil, map[string]string{HeaderRequestID: "chosen-by-client"})
	if got := resp.Header.Get(HeaderRequestID); got == "chosen-by-client" || body != got {
		t.Errorf("with a client-sent id, header %q and handler %q; want a fresh id in both", got, body)
	}
	resp, _ = r.do(t, http.MethodGet, "/healthz", nil, nil)
	if !uuidRE.MatchString(resp.Header.Get(HeaderRequestID)) {
		t.Errorf("/healthz has no request id header")
	}
}

// xmlError is the AWS Query <ErrorResponse>.
type xmlError struct {
	Type, Code, Message, RequestID string
}

func parseError(t *testing.T, body string) xmlError {
	t.Helper()
	var e struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Type      string   `xml:"Error>Type"`
		Code      string   `xml:"Error>Code"`
		Message   string   `xml:"Error>Message"`
		RequestID string   `xml:"RequestId"`
	}
	if err := xml.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("body is not an ErrorResponse: %v\n%s", err, body)
	}
	return xmlError{Type: e.Type, Code: e.Code, Message: e.Message, RequestID: e.RequestID}
}

// unsized hides a reader's length so the client sends it chunked.
type unsized struct{ io.Reader }

func TestBodyLimit(t *testing.T) {
	var got atomic.Int64
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.Store(int64(len(b)))
		_, _ = io.WriteString(w, "ok")
	})
	r := start(t, Config{MaxRequestBody: 1024}, api)
	tests := []struct {
		name       string
		body       io.Reader
		wantStatus int
		wantLen    int64 // body length the handler saw
	}{
		{"at the limit", bytes.NewReader(make([]byte, 1024)), 200, 1024},
		{"over the limit, declared", bytes.NewReader(make([]byte, 1025)), 413, -1},
		{"over the limit, chunked", unsized{bytes.NewReader(make([]byte, 5000))}, 413, -1},
		{"under the limit, chunked", unsized{bytes.NewReader(make([]byte, 10))}, 200, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got.Store(-1)
			resp, body := r.do(t, http.MethodPost, "/", tt.body, nil)
			if resp.StatusCode != tt.wantStatus || got.Load() != tt.wantLen {
				t.Fatalf("status, handler saw = %d, %d bytes; want %d, %d", resp.StatusCode, got.Load(), tt.wantStatus, tt.wantLen)
			}
			if tt.wantStatus != 413 {
				return
			}
			e := parseError(t, body)
			want := xmlError{Type: "Sender", Code: "RequestEntityTooLarge",
				Message: "The request body exceeds the limit of 1024 bytes.", RequestID: resp.Header.Get(HeaderRequestID)}
			if diff := cmp.Diff(want, e); diff != "" {
				t.Errorf("error response (-want +got):\n%s", diff)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/xml" {
				t.Errorf("Content-Type = %q; want text/xml", ct)
			}
		})
	}
}

func TestPanicRecovered(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("panic") {
		case "before":
			panic("boom before writing")
		case "after":
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, "partial")
			w.(interface{ Unwrap() http.ResponseWriter }).Unwrap().(http.Flusher).Flush()
			panic("boom after writing")
		}
		_, _ = io.WriteString(w, "fine")
	})
	r := start(t, Config{}, api)

	resp, body := r.do(t, http.MethodPost, "/?panic=before", nil, nil)
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status = %d; want 500", resp.StatusCode)
	}
	want := xmlError{Type: "Receiver", Code: "InternalFailure", Message: internalFailureMessage, RequestID: resp.Header.Get(HeaderRequestID)}
	if diff := cmp.Diff(want, parseError(t, body)); diff != "" {
		t.Errorf("error response (-want +got):\n%s", diff)
	}

	// A panic after the response started cannot become a 500: the
	// exchange is aborted, so the client sees a failed read.
	req, _ := http.NewRequest(http.MethodPost, r.url+"/?panic=after", nil)
	if resp, err := r.client.Do(req); err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil {
			t.Errorf("a panic after writing gave a complete response; want an aborted one")
		}
	}

	// The server is still serving.
	if resp, body := r.do(t, http.MethodPost, "/", nil, nil); resp.StatusCode != 200 || body != "fine" {
		t.Errorf("after panics: %d %q; want 200 fine", resp.StatusCode, body)
	}
	panics := r.logs.lines(t, "panic serving request")
	if len(panics) != 2 {
		t.Fatalf("logged %d panics; want 2:\n%s", len(panics), r.logs)
	}
	if p := panics[0]; p["panic"] != "boom before writing" || !strings.Contains(fmt.Sprint(p["stack"]), "server_test.go") ||
		p["request_id"] != want.RequestID {
		t.Errorf("panic log line = %v; want the panic value, a stack through the handler and the request id", p)
	}
	if got := metricValue(t, r.reg, "brevet_api_panics_total", nil); got != 2 {
		t.Errorf("brevet_api_panics_total = %v; want 2", got)
	}
}

// metricValue returns the value of the counter (or the sample count of the
// histogram) with the given labels, 0 when it has no series.
func metricValue(t *testing.T, g prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue metrics
				}
			}
			if h := m.GetHistogram(); h != nil {
				return float64(h.GetSampleCount())
			}
			if g := m.GetGauge(); g != nil {
				return g.GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func TestMetrics(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		switch r.URL.Query().Get("case") {
		case "ok":
			SetAction(ctx, "AssumeRole")
		case "denied":
			SetAction(ctx, "AssumeRole")
			SetErrorCode(ctx, "AccessDenied")
			w.WriteHeader(http.StatusForbidden)
		case "unavailable":
			SetAction(ctx, "GetCallerIdentity")
			SetErrorCode(ctx, "ServiceUnavailable")
			w.WriteHeader(http.StatusServiceUnavailable)
		case "nocode":
			w.WriteHeader(http.StatusBadRequest)
		}
	})
	r := start(t, Config{MaxRequestBody: 1024}, api)
	for _, c := range []string{"ok", "ok", "denied", "unavailable", "nocode"} {
		r.do(t, http.MethodPost, "/?case="+c, nil, nil)
	}
	r.do(t, http.MethodPost, "/", bytes.NewReader(make([]byte, 2048)), nil)
	r.do(t, http.MethodGet, "/healthz", nil, nil) // not an API request: not counted
	r.srv.Metrics().CredentialIssued("AssumeRole")
	r.srv.Metrics().Denied("explicit_deny")
	r.srv.Metrics().Denied("explicit_deny")

	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"brevet_api_requests_total", map[string]string{"action": "AssumeRole", "outcome": "success"}, 2},
		{"brevet_api_requests_total", map[string]string{"action": "AssumeRole", "outcome": "AccessDenied"}, 1},
		{"brevet_api_requests_total", map[string]string{"action": "GetCallerIdentity", "outcome": "server_error"}, 1},
		{"brevet_api_requests_total", map[string]string{"action": "unknown", "outcome": "client_error"}, 1},
		{"brevet_api_requests_total", map[string]string{"action": "unknown", "outcome": "RequestEntityTooLarge"}, 1},
		{"brevet_api_requests_total", map[string]string{"action": "unknown", "outcome": "success"}, 0},
		{"brevet_api_request_duration_seconds", map[string]string{"action": "AssumeRole"}, 3},
		{"brevet_credentials_issued_total", map[string]string{"kind": "AssumeRole"}, 1},
		{"brevet_authorization_denials_total", map[string]string{"reason": "explicit_deny"}, 2},
	}
	for _, tt := range tests {
		if got := metricValue(t, r.reg, tt.name, tt.labels); got != tt.want {
			t.Errorf("%s%v = %v; want %v", tt.name, tt.labels, got, tt.want)
		}
	}

	// And the same over HTTP, in the exposition format.
	resp, body := r.do(t, http.MethodGet, "/metrics", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `brevet_api_requests_total{action="AssumeRole",outcome="success"} 2`) {
		t.Errorf("/metrics = %d, missing the AssumeRole success count:\n%s", resp.StatusCode, body)
	}
}

func TestOutcome(t *testing.T) {
	tests := []struct {
		status int
		code   string
		want   string
	}{
		{200, "", "success"},
		{200, "AccessDenied", "success"},
		{302, "", "success"},
		{400, "ValidationError", "ValidationError"},
		{403, "", "client_error"},
		{500, "InternalFailure", "server_error"},
		{503, "ServiceUnavailable", "server_error"},
	}
	for _, tt := range tests {
		if got := outcome(tt.status, tt.code); got != tt.want {
			t.Errorf("outcome(%d, %q) = %q; want %q", tt.status, tt.code, got, tt.want)
		}
	}
}

func TestReadyz(t *testing.T) {
	var storeErr atomic.Pointer[error]
	store := func(ctx context.Context) error {
		if p := storeErr.Load(); p != nil {
			return *p
		}
		return nil
	}
	audit := func(ctx context.Context) error { return nil }
	var diskErr atomic.Pointer[error]
	disk := func(ctx context.Context) error {
		if p := diskErr.Load(); p != nil {
			return *p
		}
		return nil
	}
	r := start(t, Config{}, echoID, WithReadyCheck("store", store), WithReadyCheck("audit", audit), WithReadyWarning("audit-disk", disk))

	check := func(wantStatus int, wantBody string) {
		t.Helper()
		resp, body := r.do(t, http.MethodGet, "/readyz", nil, nil)
		if resp.StatusCode != wantStatus || body != wantBody {
			t.Errorf("/readyz = %d %q; want %d %q", resp.StatusCode, body, wantStatus, wantBody)
		}
	}
	check(200, "ok\n")
	err := errors.New("dial tcp db.internal:5432: connection refused")
	storeErr.Store(&err)
	check(503, "not ready: store\n")
	if !strings.Contains(r.logs.String(), "db.internal:5432") {
		t.Errorf("the failing check's error is not logged")
	}
	storeErr.Store(nil)
	check(200, "ok\n")

	// A warning keeps the node ready and says why.
	derr := errors.New("audit: 1 bytes free of 100")
	diskErr.Store(&derr)
	check(200, "ok\nwarning: audit-disk\n")
	storeErr.Store(&err)
	check(503, "not ready: store\nwarning: audit-disk\n")
	storeErr.Store(nil)
	diskErr.Store(nil)
	check(200, "ok\n")

	if resp, body := r.do(t, http.MethodGet, "/healthz", nil, nil); resp.StatusCode != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q; want 200 ok", resp.StatusCode, body)
	}
}

// TestMethodNotAllowed: the Query protocol's / takes GET and POST only;
// PUT, PATCH and DELETE reach the API handler on other paths (the
// REST-JSON services').
func TestMethodNotAllowed(t *testing.T) {
	r := start(t, Config{}, echoID)
	for _, tt := range []struct {
		method, path string
		want         int
	}{
		{http.MethodPut, "/", http.StatusMethodNotAllowed},
		{http.MethodPatch, "/", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/", http.StatusMethodNotAllowed},
		{http.MethodPut, "/things/lamp", http.StatusOK},
		{http.MethodPatch, "/profile/p", http.StatusOK},
		{http.MethodDelete, "/things/lamp", http.StatusOK},
	} {
		resp, _ := r.do(t, tt.method, tt.path, nil, nil)
		if resp.StatusCode != tt.want || resp.Header.Get(HeaderRequestID) == "" {
			t.Errorf("%s %s = %d with request id %q; want %d with an id", tt.method, tt.path, resp.StatusCode, resp.Header.Get(HeaderRequestID), tt.want)
		}
	}
}

// TestAPIErrorWriter: the server's own errors for an API request are
// written in the protocol WithAPIErrorWriter picks for it, awsquery's
// when it picks none.
func TestAPIErrorWriter(t *testing.T) {
	rest := func(w http.ResponseWriter, _ context.Context, e *awsquery.Error) {
		w.Header().Set("x-amzn-ErrorType", e.Code.Name)
		w.WriteHeader(e.Code.Status)
	}
	pick := func(r *http.Request) ErrorWriter {
		if strings.HasPrefix(r.URL.Path, "/things/") {
			return rest
		}
		return nil
	}
	r := start(t, Config{MaxRequestBody: 4}, echoID, WithAPIErrorWriter(pick))
	for _, tt := range []struct {
		method, path, wantType string
		wantXML                bool
	}{
		{http.MethodPut, "/things/lamp", "RequestEntityTooLarge", false},
		{http.MethodPost, "/things/lamp", "RequestEntityTooLarge", false},
		{http.MethodPost, "/", "", true},
	} {
		resp, body := r.do(t, tt.method, tt.path, strings.NewReader("too long"), nil)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || resp.Header.Get("x-amzn-ErrorType") != tt.wantType ||
			strings.Contains(body, "<ErrorResponse") != tt.wantXML {
			t.Errorf("%s %s = %d, x-amzn-ErrorType %q, body %q; want 413, %q, XML %v", tt.method, tt.path,
				resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), body, tt.wantType, tt.wantXML)
		}
	}
}

// blocking is an API handler that signals when a request arrives and
// answers when released.
type blocking struct {
	entered chan struct{}
	release chan struct{}
}

func newBlocking() *blocking {
	return &blocking{entered: make(chan struct{}, 1), release: make(chan struct{})}
}

func (b *blocking) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.entered <- struct{}{}
	select {
	case <-b.release:
		_, _ = io.WriteString(w, "finished")
	case <-r.Context().Done():
	}
}

func TestGracefulShutdown(t *testing.T) {
	b := newBlocking()
	r := start(t, Config{ShutdownGrace: 10 * time.Second}, b)

	type result struct {
		status int
		body   string
		err    error
	}
	inflight := make(chan result, 1)
	go func() {
		resp, err := http.Post(r.url+"/", "application/x-www-form-urlencoded", nil)
		if err != nil {
			inflight <- result{err: err}
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		inflight <- result{resp.StatusCode, string(body), err}
	}()
	<-b.entered
	r.cancel()

	// The listener closes: new connections are refused while the
	// in-flight request is still running.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", r.addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections after shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-r.done:
		t.Fatalf("Run returned %v before the in-flight request finished", err)
	default:
	}

	close(b.release)
	res := <-inflight
	if res.err != nil || res.status != 200 || res.body != "finished" {
		t.Errorf("in-flight request = %d %q %v; want 200 finished", res.status, res.body, res.err)
	}
	if err := <-r.done; err != nil {
		t.Errorf("Run = %v; want nil after a clean shutdown", err)
	}
	r.done <- nil // for the cleanup
}

func TestShutdownGraceExceeded(t *testing.T) {
	b := newBlocking()
	r := start(t, Config{ShutdownGrace: 100 * time.Millisecond}, b)
	go func() {
		if resp, err := http.Post(r.url+"/", "", nil); err == nil {
			resp.Body.Close()
		}
	}()
	<-b.entered
	r.cancel()
	select {
	case err := <-r.done:
		if err == nil || !strings.Contains(err.Error(), "did not finish within the 100ms shutdown grace") {
			t.Errorf("Run = %v; want the grace-exceeded error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after the grace period")
	}
	r.done <- nil
}

func TestAccessLogNeverLogsSecrets(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetAction(r.Context(), "GetCallerIdentity")
		_, _ = io.WriteString(w, "ok")
	})
	r := start(t, Config{}, api)
	secrets := []string{"AKIDEXAMPLESECRETCRED", "SIGNATUREdeadbeef", "SESSIONTOKENsecret", "HEADERTOKENsecret", "AUTHHEADERsecret"}
	path := "/?Action=GetCallerIdentity&Version=2011-06-15" +
		"&X-Amz-Credential=" + secrets[0] + "%2F20260101%2Fus-east-1%2Fsts%2Faws4_request" +
		"&X-Amz-Signature=" + secrets[1] + "&X-Amz-Security-Token=" + secrets[2]
	resp, _ := r.do(t, http.MethodGet, path, nil, map[string]string{
		"Authorization":        "AWS4-HMAC-SHA256 Credential=x, Signature=" + secrets[4],
		"X-Amz-Security-Token": secrets[3],
		"User-Agent":           "aws-cli/2.15.0",
	})
	lines := r.logs.lines(t, "request")
	if len(lines) != 1 {
		t.Fatalf("got %d access log lines; want 1:\n%s", len(lines), r.logs)
	}
	got := lines[0]
	delete(got, "time")
	delete(got, "duration_ms")
	delete(got, "remote_addr")
	want := map[string]any{
		"level": "INFO", "msg": "request", "request_id": resp.Header.Get(HeaderRequestID),
		"method": "GET", "path": "/", "status": 200.0, "user_agent": "aws-cli/2.15.0",
		"bytes_in": 0.0, "bytes_out": 2.0, "action": "GetCallerIdentity",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("access log line (-want +got):\n%s", diff)
	}
	for _, s := range secrets {
		if strings.Contains(r.logs.String(), s) {
			t.Errorf("log contains secret %q:\n%s", s, r.logs)
		}
	}
}

func TestProbesLogAtDebug(t *testing.T) {
	logs := &syncBuffer{}
	srv, err := New(Config{}, WithAPI(echoID), WithLogger(slog.New(slog.NewJSONHandler(logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		req, _ := http.NewRequest(http.MethodGet, p, nil)
		srv.Handler().ServeHTTP(discardWriter{h: http.Header{}}, req)
	}
	if l := logs.String(); l != "" {
		t.Errorf("probes logged at info:\n%s", l)
	}
}

type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d discardWriter) WriteHeader(int)             {}

// writeCert writes a self-signed certificate for 127.0.0.1 and returns the
// file paths and a pool that trusts it.
func writeCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "brevet test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestTLS(t *testing.T) {
	certFile, keyFile, pool := writeCert(t)
	r := start(t, Config{TLSCertFile: certFile, TLSKeyFile: keyFile}, echoID)
	url := "https://" + r.addr

	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	resp, err := client.Post(url+"/", "application/x-www-form-urlencoded", strings.NewReader("Action=GetCallerIdentity"))
	if err != nil {
		t.Fatalf("HTTPS request: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != resp.Header.Get(HeaderRequestID) || resp.TLS == nil {
		t.Errorf("HTTPS POST / = %d %q over TLS %v; want 200 with the request id", resp.StatusCode, body, resp.TLS != nil)
	}

	tls12 := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool, MaxVersion: tls.VersionTLS12}}}
	if resp, err := tls12.Get(url + "/healthz"); err != nil {
		t.Errorf("a TLS 1.2 client: %v; want it served", err)
	} else {
		resp.Body.Close()
	}

	old := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}}}
	if resp, err := old.Get(url + "/healthz"); err == nil {
		resp.Body.Close()
		t.Errorf("a TLS 1.1 client connected; want TLS 1.2 at least")
	}

	if resp, err := r.client.Get("http://" + r.addr + "/healthz"); err == nil {
		if resp.StatusCode == 200 {
			t.Errorf("plain HTTP to the TLS listener answered 200")
		}
		resp.Body.Close()
	}
}

// TestTLS12CipherSuites offers the server one TLS 1.2 suite at a time, of
// every suite Go knows for an ECDSA certificate: only the AEAD ones
// (AES-GCM, ChaCha20-Poly1305) complete a handshake.
func TestTLS12CipherSuites(t *testing.T) {
	certFile, keyFile, pool := writeCert(t)
	r := start(t, Config{TLSCertFile: certFile, TLSKeyFile: keyFile}, echoID)
	aead := map[uint16]bool{}
	for _, id := range aeadSuites() {
		aead[id] = true
	}
	var tried int
	for _, cs := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if !slices.Contains(cs.SupportedVersions, tls.VersionTLS12) || !strings.Contains(cs.Name, "ECDSA") {
			continue // the server's certificate is ECDSA
		}
		tried++
		t.Run(cs.Name, func(t *testing.T) {
			conn, err := tls.Dial("tcp", r.addr, &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{cs.ID}})
			if err == nil {
				conn.Close()
			}
			if got, want := err == nil, aead[cs.ID]; got != want {
				t.Errorf("handshake offering only %s: err %v; want success %v", cs.Name, err, want)
			}
		})
	}
	if tried < 4 {
		t.Errorf("tried %d suites; want the CBC ones and the AEAD ones", tried)
	}
}

func TestNewErrors(t *testing.T) {
	certFile, keyFile, _ := writeCert(t)
	tests := []struct {
		name string
		cfg  Config
		opts []Option
		want string
	}{
		{"no api", Config{}, nil, "no API handler"},
		{"cert without key", Config{TLSCertFile: certFile}, []Option{WithAPI(echoID)}, "needs both"},
		{"key is not a key", Config{TLSCertFile: certFile, TLSKeyFile: certFile}, []Option{WithAPI(echoID)}, "load TLS certificate"},
		{"missing files", Config{TLSCertFile: keyFile + ".nope", TLSKeyFile: keyFile}, []Option{WithAPI(echoID)}, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v; want an error containing %q", err, tt.want)
			}
		})
	}
	reg := prometheus.NewRegistry()
	if _, err := New(Config{}, WithAPI(echoID), WithRegistry(reg)); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{}, WithAPI(echoID), WithRegistry(reg)); err == nil {
		t.Errorf("registering the metrics twice in one registry succeeded; want an error")
	}
}

func TestRunTwice(t *testing.T) {
	r := start(t, Config{}, echoID)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := r.srv.Run(context.Background(), ln); err == nil {
		t.Errorf("second Run succeeded; want an error")
	}
}

func TestLogHandlerAddsRequestID(t *testing.T) {
	var buf bytes.Buffer
	h := NewLogHandler(slog.NewJSONHandler(&buf, nil))
	if NewLogHandler(h) != h {
		t.Errorf("NewLogHandler wrapped its own handler again")
	}
	info := &requestInfo{id: "0f6e6b8e-1c1d-4b5a-9a0e-5f7e2b6c1d2e"}
	slog.New(h).With("component", "sts").InfoContext(withInfo(context.Background(), info), "issued")
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["request_id"] != info.id || got["component"] != "sts" {
		t.Errorf("log line = %v; want request_id %s and component sts", got, info.id)
	}
}

func BenchmarkMiddleware(b *testing.B) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetAction(r.Context(), "GetCallerIdentity")
		_, _ = io.ReadAll(r.Body)
		_, _ = io.WriteString(w, "<GetCallerIdentityResponse/>")
	})
	srv, err := New(Config{}, WithAPI(api), WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))),
		WithRegistry(prometheus.NewRegistry()))
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	body := []byte("Action=GetCallerIdentity&Version=2011-06-15")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/", bytes.NewReader(body))
		h.ServeHTTP(discardWriter{h: http.Header{}}, req)
	}
}

// TestHeaderRequestIDKey: the middleware stores the request id header in
// the map directly, under the key Header.Set would use.
func TestHeaderRequestIDKey(t *testing.T) {
	if want := http.CanonicalHeaderKey(HeaderRequestID); headerRequestIDKey != want {
		t.Errorf("headerRequestIDKey = %q, want %q", headerRequestIDKey, want)
	}
}
