package server

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestBuildInfo(t *testing.T) {
	r := start(t, Config{}, echoID, WithBuildInfo("v1.2.0", "0123abcd", "go1.26.8"))
	labels := map[string]string{"version": "v1.2.0", "revision": "0123abcd", "goversion": "go1.26.8"}
	if got := metricValue(t, r.reg, "brevet_build_info", labels); got != 1 {
		t.Errorf("brevet_build_info%v = %v; want 1", labels, got)
	}
	_, body := r.do(t, http.MethodGet, "/metrics", nil, nil)
	if want := `brevet_build_info{goversion="go1.26.8",revision="0123abcd",version="v1.2.0"} 1`; !strings.Contains(body, want) {
		t.Errorf("/metrics lacks %s:\n%s", want, body)
	}
}

func TestMetricsToken(t *testing.T) {
	r := start(t, Config{MetricsToken: "s3cret-token"}, echoID)
	tests := []struct {
		name string
		auth string // the Authorization header, "" for none
		want int
	}{
		{"no header", "", http.StatusUnauthorized},
		{"wrong token", "Bearer s3cret-tokeN", http.StatusUnauthorized},
		{"a prefix of the token", "Bearer s3cret", http.StatusUnauthorized},
		{"the token and more", "Bearer s3cret-token2", http.StatusUnauthorized},
		{"another scheme", "Basic s3cret-token", http.StatusUnauthorized},
		{"no token", "Bearer ", http.StatusUnauthorized},
		{"the token", "Bearer s3cret-token", http.StatusOK},
		{"the scheme in lower case", "bearer s3cret-token", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tt.auth != "" {
				hdr["Authorization"] = tt.auth
			}
			resp, body := r.do(t, http.MethodGet, "/metrics", nil, hdr)
			if resp.StatusCode != tt.want {
				t.Fatalf("GET /metrics with %q: got %d, want %d", tt.auth, resp.StatusCode, tt.want)
			}
			hasMetrics := strings.Contains(body, "brevet_api_panics_total")
			if got, want := hasMetrics, tt.want == http.StatusOK; got != want {
				t.Errorf("GET /metrics with %q: metrics in the body %v, want %v:\n%s", tt.auth, got, want, body)
			}
			if tt.want == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
				t.Errorf("401 without a Bearer challenge: %q", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
	// The token guards /metrics only: probes and the API need none.
	for _, p := range []string{"/healthz", "/"} {
		if resp, _ := r.do(t, http.MethodGet, p, nil, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s without a token: got %d, want 200", p, resp.StatusCode)
		}
	}
}

// TestSeparateMetrics: with SeparateMetrics, /metrics is served by
// RunMetrics on its own listener, over the API's TLS, and the API's
// listener passes GET /metrics to the API handler like any other path.
func TestSeparateMetrics(t *testing.T) {
	certFile, keyFile, pool := writeCert(t)
	// A grace, so a connection the client has just closed is not counted
	// as in flight at shutdown (the 0 default failed under load).
	r := start(t, Config{TLSCertFile: certFile, TLSKeyFile: keyFile, SeparateMetrics: true, MetricsToken: "tok", ShutdownGrace: 5 * time.Second}, echoID)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.srv.RunMetrics(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("RunMetrics: %v", err)
		}
	}()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	get := func(url string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	metricsURL := "https://" + ln.Addr().String()
	if code, body := get(metricsURL + "/metrics"); code != 200 || !strings.Contains(body, "brevet_api_panics_total") {
		t.Errorf("GET /metrics on the metrics listener: %d\n%s", code, body)
	}
	for _, p := range []string{"/healthz", "/"} {
		if code, _ := get(metricsURL + p); code != http.StatusNotFound {
			t.Errorf("GET %s on the metrics listener: %d, want 404", p, code)
		}
	}
	if code, body := get("https://" + r.addr + "/metrics"); strings.Contains(body, "brevet_api_panics_total") {
		t.Errorf("GET /metrics on the API listener: %d with the metrics; want the API's answer\n%s", code, body)
	}
	if err := r.srv.RunMetrics(ctx, ln); err == nil {
		t.Errorf("second RunMetrics succeeded; want an error")
	}
}
