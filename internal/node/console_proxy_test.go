package node

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestConsoleOriginBehindProxy: with sso.url set to the public https URL
// of a proxy, a console POST whose Origin is that URL's origin is
// accepted, though the request reached the node under another name; a
// foreign origin is still refused.
func TestConsoleOriginBehindProxy(t *testing.T) {
	b := startConsoleNode(t, "BREVET_SSO_URL=https://brevet.example.com")
	b.signIn("admin")
	post := func(origin, user string) (int, string) {
		t.Helper()
		b.get("/console/users/new")
		req, _ := http.NewRequest(http.MethodPost, b.n.URL()+"/console/users/new",
			strings.NewReader(url.Values{"UserName": {user}, "csrf": {b.csrf}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
		return b.read(b.c.Do(req))
	}
	if code, body := post("https://evil.example.com", "evil"); code != http.StatusForbidden || !strings.Contains(body, "InvalidCSRFToken") {
		t.Errorf("a foreign origin: %d, want 403\n%.300s", code, body)
	}
	if c, _ := signedPostTo(t, b.api, b.n.URL(), "iam", b.admin, "Action=GetUser&Version=2010-05-08&UserName=evil"); c != http.StatusNotFound {
		t.Errorf("GetUser evil: %d, want 404 (not created)", c)
	}
	if code, body := post("https://brevet.example.com", "proxied"); code != http.StatusOK {
		t.Errorf("the configured origin: %d, want 200\n%.300s", code, body)
	}
	if c, _ := signedPostTo(t, b.api, b.n.URL(), "iam", b.admin, "Action=GetUser&Version=2010-05-08&UserName=proxied"); c != http.StatusOK {
		t.Errorf("GetUser proxied: %d, want 200 (created)", c)
	}
}
