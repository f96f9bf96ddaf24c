package node

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMetricsListener: with metrics_listen and metrics_bearer_token_file,
// /metrics is served on its own listener to a client with the token only,
// and the API's address no longer serves it.
func TestMetricsListener(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "metrics.token")
	if err := os.WriteFile(tokenFile, []byte("  scrape-me\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	n, _ := startNode(t, filepath.Join(dir, "data"), Options{},
		"BREVET_METRICS_LISTEN=127.0.0.1:0", "BREVET_METRICS_BEARER_TOKEN_FILE="+tokenFile)
	if n.MetricsURL() == "" || n.MetricsURL() == n.URL() {
		t.Fatalf("MetricsURL %q, API %q; want a listener of its own", n.MetricsURL(), n.URL())
	}
	get := func(url, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	tests := []struct {
		name, url, token string
		wantStatus       int
		wantMetrics      bool
	}{
		{"metrics listener, token", n.MetricsURL() + "/metrics", "scrape-me", http.StatusOK, true},
		{"metrics listener, no token", n.MetricsURL() + "/metrics", "", http.StatusUnauthorized, false},
		{"metrics listener, wrong token", n.MetricsURL() + "/metrics", "scrape-me-not", http.StatusUnauthorized, false},
		{"api listener, token", n.URL() + "/metrics", "scrape-me", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := get(tt.url, tt.token)
			if tt.wantStatus != 0 && code != tt.wantStatus {
				t.Errorf("GET %s: %d; want %d", tt.url, code, tt.wantStatus)
			}
			if got := strings.Contains(body, "brevet_api_panics_total"); got != tt.wantMetrics {
				t.Errorf("GET %s: metrics in the body %v; want %v\n%s", tt.url, got, tt.wantMetrics, body)
			}
		})
	}
}
