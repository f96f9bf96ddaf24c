package node

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// s3Get signs a GET of path for the gateway at base, as S3 clients sign.
func s3Get(tb testing.TB, base, path string, creds sigv4.Credentials) (int, string) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	s := &sigv4.Signer{Credentials: creds}
	if err := s.SignHTTP(req, nil, sigv4.SignOptions{Region: "us-east-1", Service: "s3", Time: time.Now(), S3PathRules: true, ContentSHA256Header: true}); err != nil {
		tb.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestGatewayWired: with gateway.s3 configured the node serves the S3
// gateway on its own listener in front of the backend, re-signing with
// the backend's key (sealed into the store on the first start and opened
// from it on the next, given no more), audits each request as a data
// event, and stops counting a request in flight once it is audited even
// while its body is still streaming.
func TestGatewayWired(t *testing.T) {
	var backendAuth atomic.Value
	release := make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		backendAuth.Store(r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "text/plain")
		if strings.HasSuffix(r.URL.Path, "/slow") {
			w.WriteHeader(http.StatusOK)
			// More than the gateway's response buffer, so that it reaches
			// the client before the rest exists.
			_, _ = io.WriteString(w, "first "+strings.Repeat(".", 16<<10))
			w.(http.Flusher).Flush()
			<-release
		}
		_, _ = io.WriteString(w, "object body")
	}))
	defer backend.Close()
	defer close(release)
	dir := t.TempDir()
	env := []string{"BREVET_S3_LISTEN=127.0.0.1:0", "BREVET_S3_BACKEND=" + backend.URL, "BREVET_S3_BACKEND_ACCESS_KEY_ID=AKIDBACKEND"}

	n, stop := startNode(t, dir, Options{}, append(env, "BREVET_S3_BACKEND_SECRET_ACCESS_KEY=backend-secret")...)
	creds := adminCreds(t, dir)
	if n.S3URL() == "" || n.S3URL() == n.URL() {
		t.Fatalf("S3URL() = %q (API at %q), want the gateway's own listener", n.S3URL(), n.URL())
	}
	if code, body := s3Get(t, n.S3URL(), "/bucket/key", creds); code != 200 || body != "object body" {
		t.Fatalf("GET through the gateway: %d %q", code, body)
	}
	if a, _ := backendAuth.Load().(string); !strings.Contains(a, "Credential=AKIDBACKEND/") || strings.Contains(a, creds.AccessKeyID) {
		t.Errorf("the backend saw Authorization %q, want it signed with the backend's key only", a)
	}
	if code, _ := s3Get(t, n.S3URL(), "/bucket/key", sigv4.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: "wrong"}); code != 403 {
		t.Errorf("a forged signature: %d, want 403", code)
	}

	// A response still streaming after its audit event is not in flight.
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequest(http.MethodGet, n.S3URL()+"/bucket/slow", nil)
		s := &sigv4.Signer{Credentials: creds}
		_ = s.SignHTTP(req, nil, sigv4.SignOptions{Region: "us-east-1", Service: "s3", Time: time.Now(), S3PathRules: true, ContentSHA256Header: true})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return
		}
		buf := make([]byte, 6)
		_, _ = io.ReadFull(resp.Body, buf)
		for deadline := time.Now().Add(5 * time.Second); n.inFlight.Load() != 0 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		if got := n.inFlight.Load(); got != 0 {
			t.Errorf("requests in flight while the audited response streams: %d, want 0", got)
		}
		release <- struct{}{}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}()
	<-done
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	var data int
	err := audit.WalkEvents(n.auditDir(), func(_ uint64, e *audit.Event) error {
		if e.EventCategory == "Data" && e.EventSource == "s3.amazonaws.com" && e.EventName == "GetObject" {
			data++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if data < 3 {
		t.Errorf("%d GetObject data events in the trail, want 3 (two allowed, one refused)", data)
	}

	// The next start, with no secret given, opens the sealed one.
	n2, stop2 := startNode(t, dir, Options{}, env...)
	defer stop2()
	if code, body := s3Get(t, n2.S3URL(), "/bucket/key", creds); code != 200 || body != "object body" {
		t.Fatalf("GET after a restart without the secret: %d %q", code, body)
	}
}
