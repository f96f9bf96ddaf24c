package console

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestCheckPostOrigin: a POST's Origin is accepted when it is the origin
// the request reached or the configured URL's (the public https URL of a
// TLS-terminating proxy, while the request arrives over plain HTTP); any
// other origin is refused, as is a POST without the session's token.
func TestCheckPostOrigin(t *testing.T) {
	s := &session{CSRF: "token"}
	tests := []struct {
		name, url, origin string
		tls               bool
		csrf              string
		want              bool
	}{
		{name: "no origin", csrf: "token", want: true},
		{name: "the request's own origin", origin: "http://brevet.internal:8787", csrf: "token", want: true},
		{name: "the request's own origin over TLS", origin: "https://brevet.internal:8787", tls: true, csrf: "token", want: true},
		{name: "https origin over plain HTTP, no URL", origin: "https://brevet.example.com", csrf: "token"},
		{name: "the configured URL behind a proxy", url: "https://brevet.example.com", origin: "https://brevet.example.com", csrf: "token", want: true},
		{name: "the configured URL with a trailing slash", url: "https://brevet.example.com/", origin: "https://brevet.example.com", csrf: "token", want: true},
		{name: "the configured URL with a port", url: "https://brevet.example.com:8443", origin: "https://brevet.example.com:8443", csrf: "token", want: true},
		{name: "the configured host over http", url: "https://brevet.example.com", origin: "http://brevet.example.com", csrf: "token"},
		{name: "a foreign origin", url: "https://brevet.example.com", origin: "https://evil.example.com", csrf: "token"},
		{name: "a foreign origin, no URL", origin: "https://evil.example.com", csrf: "token"},
		{name: "null origin", url: "https://brevet.example.com", origin: "null", csrf: "token"},
		{name: "the configured URL without the token", url: "https://brevet.example.com", origin: "https://brevet.example.com"},
		{name: "the configured URL with another token", url: "https://brevet.example.com", origin: "https://brevet.example.com", csrf: "other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &Handler{}
			if tt.url != "" {
				if err := h.SetURL(tt.url); err != nil {
					t.Fatal(err)
				}
			}
			r := httptest.NewRequest(http.MethodPost, "http://brevet.internal:8787/console/users", strings.NewReader(url.Values{"csrf": {tt.csrf}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if got := h.checkPost(r, s); got != tt.want {
				t.Errorf("checkPost = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSetURL(t *testing.T) {
	for _, bad := range []string{"", "brevet.example.com", "ftp://brevet.example.com", "https://", "://x"} {
		if err := (&Handler{}).SetURL(bad); err == nil {
			t.Errorf("SetURL(%q) = nil, want an error", bad)
		}
	}
}
