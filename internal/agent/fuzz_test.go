package agent

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzParseError: any error body from the network yields an *APIError
// and never panics.
func FuzzParseError(f *testing.F) {
	f.Add(403, []byte(`<ErrorResponse><Error><Code>AccessDenied</Code><Message>m</Message></Error></ErrorResponse>`))
	f.Add(400, []byte(`{"__type":"ValidationException","message":"m"}`))
	f.Add(500, []byte(`<<<`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if e := parseError(status, body); e == nil || e.Status != status {
			t.Fatalf("parseError(%d, %q) = %+v", status, body, e)
		}
	})
}

// FuzzIMDSPaths: any path and header yields a status, never a panic or a 500.
func FuzzIMDSPaths(f *testing.F) {
	f.Add("GET", "/latest/meta-data/iam/security-credentials/web-role", "x")
	f.Add("PUT", "/latest/api/token", "21600")
	f.Fuzz(func(t *testing.T, method, path, hdr string) {
		s, _ := newTestIMDS(t)
		r, err := http.NewRequest(method, "http://x/", nil)
		if err != nil {
			return
		}
		r.URL.Path = path
		r.Header.Set(HeaderToken, hdr)
		r.Header.Set(HeaderTokenTTL, hdr)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s %q: %d", method, path, w.Code)
		}
	})
}
