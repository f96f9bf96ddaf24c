package server

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// corsHeaders are the CORS response headers a test compares.
var corsHeaders = []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
	"Access-Control-Max-Age", "Access-Control-Expose-Headers", "Access-Control-Allow-Credentials"}

func pick(h http.Header) map[string]string {
	m := map[string]string{}
	for _, k := range corsHeaders {
		if v := h.Get(k); v != "" {
			m[k] = v
		}
	}
	return m
}

func TestCORS(t *testing.T) {
	preflightOK := func(origin string) map[string]string {
		return map[string]string{"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": corsAllowMethods,
			"Access-Control-Allow-Headers": corsAllowHeaders, "Access-Control-Max-Age": "600"}
	}
	actualOK := func(origin string) map[string]string {
		return map[string]string{"Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": corsExposeHeaders}
	}
	const app = "https://app.example.com"
	tests := []struct {
		name       string
		origins    []string
		method     string
		hdr        map[string]string
		wantStatus int
		want       map[string]string
		wantAPI    bool // the request reached the API handler
	}{
		{"off: preflight", nil, http.MethodOptions, map[string]string{"Origin": app, "Access-Control-Request-Method": "POST"},
			http.StatusMethodNotAllowed, map[string]string{}, false},
		{"off: request", nil, http.MethodPost, map[string]string{"Origin": app}, http.StatusOK, map[string]string{}, true},
		{"preflight, allowed origin", []string{app}, http.MethodOptions,
			map[string]string{"Origin": app, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,x-amz-date"},
			http.StatusNoContent, preflightOK(app), false},
		{"preflight, origin differs in case", []string{"https://APP.example.com"}, http.MethodOptions,
			map[string]string{"Origin": app, "Access-Control-Request-Method": "GET"}, http.StatusNoContent, preflightOK(app), false},
		{"preflight, other origin", []string{app}, http.MethodOptions,
			map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}, http.StatusNoContent, map[string]string{}, false},
		{"preflight, other port", []string{app}, http.MethodOptions,
			map[string]string{"Origin": app + ":8443", "Access-Control-Request-Method": "POST"}, http.StatusNoContent, map[string]string{}, false},
		{"preflight, DELETE", []string{app}, http.MethodOptions,
			map[string]string{"Origin": app, "Access-Control-Request-Method": "DELETE"}, http.StatusNoContent, map[string]string{}, false},
		{"preflight without origin", []string{app}, http.MethodOptions, nil, http.StatusNoContent, map[string]string{}, false},
		{"preflight, any origin", []string{"*"}, http.MethodOptions,
			map[string]string{"Origin": "https://anyone.example", "Access-Control-Request-Method": "POST"}, http.StatusNoContent, preflightOK("*"), false},
		{"request, allowed origin", []string{"https://other.example", app}, http.MethodPost, map[string]string{"Origin": app},
			http.StatusOK, actualOK(app), true},
		{"request, GET", []string{app}, http.MethodGet, map[string]string{"Origin": app}, http.StatusOK, actualOK(app), true},
		{"request, other origin", []string{app}, http.MethodPost, map[string]string{"Origin": "https://evil.example"},
			http.StatusOK, map[string]string{}, true},
		{"request without origin", []string{app}, http.MethodPost, nil, http.StatusOK, map[string]string{}, true},
		{"request, any origin", []string{"*"}, http.MethodPost, map[string]string{"Origin": "null"}, http.StatusOK, actualOK("*"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reached bool
			api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true })
			srv, err := New(Config{CORSAllowedOrigins: tt.origins}, WithAPI(api))
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(tt.method, "/", strings.NewReader(""))
			for k, v := range tt.hdr {
				req.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			srv.Handler().ServeHTTP(w, req)
			if w.Code != tt.wantStatus {
				t.Errorf("status %d; want %d", w.Code, tt.wantStatus)
			}
			if diff := cmp.Diff(tt.want, pick(w.Header())); diff != "" {
				t.Errorf("CORS headers (-want +got):\n%s", diff)
			}
			if reached != tt.wantAPI {
				t.Errorf("API handler reached %v; want %v", reached, tt.wantAPI)
			}
			if len(tt.origins) > 0 && tt.hdr["Origin"] != "" && !strings.Contains(strings.Join(w.Header().Values("Vary"), ","), "Origin") {
				t.Errorf("Vary %q; want Origin in it", w.Header().Values("Vary"))
			}
		})
	}
}

// TestCORSErrors: the server's own errors (a body over the limit) carry
// the CORS headers too, so that a browser app can read them.
func TestCORSErrors(t *testing.T) {
	srv, err := New(Config{CORSAllowedOrigins: []string{"https://app.example.com"}, MaxRequestBody: 4}, WithAPI(echoID))
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("Action=GetCallerIdentity"))
	req.Header.Set("Origin", "https://app.example.com")
	w := httptest.NewRecorder()
	srv.Handler().ServeHTTP(w, req)
	if w.Code != http.StatusRequestEntityTooLarge || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("status %d, Access-Control-Allow-Origin %q; want 413 with the origin allowed", w.Code, w.Header().Get("Access-Control-Allow-Origin"))
	}
}

// BenchmarkCORS is the cost CORS adds to an API request from a browser.
func BenchmarkCORS(b *testing.B) {
	c := newCORS([]string{"https://a.example", "https://app.example.com"})
	h := c.wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	req.Header.Set("Origin", "https://app.example.com")
	w := discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
}

// TestStreamingCORS: the streaming listener (the S3 gateway) answers a
// browser app's preflights for S3's methods with the headers the page
// asks for, before the S3 handler (which knows no OPTIONS action), and
// exposes the S3 headers the SDK reads; an origin not allowed, a method
// S3 does not take and a malformed header list get no CORS headers.
func TestStreamingCORS(t *testing.T) {
	const app = "https://app.example.com"
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"abc"`)
		w.WriteHeader(http.StatusTeapot) // the S3 handler: reached by everything but preflights
	})
	r := start(t, Config{CORSAllowedOrigins: []string{app}}, echoID, WithStreaming("s3", h, nil))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = r.srv.RunStreaming(context.Background(), ln) }()
	url := "http://" + ln.Addr().String()
	do := func(method string, hdr map[string]string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, url+"/photos/private/a.txt", nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := r.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	asks := "Content-Type, X-Amz-Meta-Owner,x-amz-checksum-crc32 , x-amz-security-token"
	resp := do("OPTIONS", map[string]string{"Origin": app, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": asks})
	want := map[string]string{"Access-Control-Allow-Origin": app, "Access-Control-Allow-Methods": s3AllowMethods,
		"Access-Control-Allow-Headers": "content-type, x-amz-meta-owner, x-amz-checksum-crc32, x-amz-security-token", "Access-Control-Max-Age": "600"}
	if d := cmp.Diff(want, pick(resp.Header)); resp.StatusCode != http.StatusNoContent || d != "" {
		t.Errorf("preflight for PUT: %d, headers (-want +got):\n%s", resp.StatusCode, d)
	}
	for name, hdr := range map[string]map[string]string{
		"other origin":     {"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"},
		"method":           {"Origin": app, "Access-Control-Request-Method": "PATCH"},
		"header list":      {"Origin": app, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-amz-meta-a b"},
		"too many headers": {"Origin": app, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": strings.Repeat("x-a,", maxPreflightHeaders+1)},
	} {
		if resp := do("OPTIONS", hdr); resp.StatusCode != http.StatusNoContent || len(pick(resp.Header)) != 0 {
			t.Errorf("preflight, %s: %d %v, want 204 without CORS headers", name, resp.StatusCode, pick(resp.Header))
		}
	}
	resp = do("GET", map[string]string{"Origin": app})
	if got := pick(resp.Header); resp.StatusCode != http.StatusTeapot || got["Access-Control-Allow-Origin"] != app ||
		!strings.Contains(got["Access-Control-Expose-Headers"], "etag") {
		t.Errorf("GET from the app: %d %v, want the handler's answer with the origin allowed and ETag exposed", resp.StatusCode, got)
	}
	if resp := do("OPTIONS", nil); resp.StatusCode != http.StatusTeapot {
		t.Errorf("OPTIONS without Origin: %d, want the S3 handler's answer", resp.StatusCode)
	}
}
