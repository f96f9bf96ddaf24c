package signin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/sso"
	"github.com/brevet-dev/brevet/internal/sso/signin"
)

const wantCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// TestEveryPageHasCSP: every page, before and after sign-in and for
// errors, carries the policy (the authorization page adds its loopback
// redirect to form-action), no inline script or style, and the
// stylesheet is served.
func TestEveryPageHasCSP(t *testing.T) {
	e := newEnv(t)
	e.user("bob", false)
	check := func(b *browser, path string) {
		t.Helper()
		r := b.get(path)
		if got := r.Header.Get("Content-Security-Policy"); got != wantCSP {
			t.Errorf("%s (%d): CSP %q", path, r.StatusCode, got)
		}
		if r.Header.Get("X-Frame-Options") != "DENY" || r.Header.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("%s: frame or referrer headers missing", path)
		}
		if strings.Contains(r.body, "<script") || strings.Contains(r.body, "style=") || strings.Contains(r.body, "<style") {
			t.Errorf("%s: inline script or style", path)
		}
	}
	b := e.browser()
	for _, p := range []string{"/start", "/sso/signin", "/sso/device", "/sso/device?user_code=" + e.userCode, "/sso/nope", "/sso/idp/nope/start",
		"/sso/idp/corp/callback?state=x&code=y", "/authorize?client_id=bad", "/sso/signout"} {
		check(b, p)
	}
	b.signIn(acct, "bob", nil)
	for _, p := range []string{"/start", "/sso/device", "/sso/device?user_code=" + e.userCode, "/sso/device?user_code=XXXX-XXXX"} {
		check(b, p)
	}
	r := b.get("/authorize?" + e.authorizeQuery().Encode())
	if got, want := r.Header.Get("Content-Security-Policy"), strings.Replace(wantCSP, "form-action 'self'", "form-action 'self' http://127.0.0.1:43210", 1); got != want {
		t.Errorf("authorize CSP %q, want %q", got, want)
	}
	css := b.get("/sso/static/style.css")
	if css.StatusCode != http.StatusOK || !strings.HasPrefix(css.Header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %d %q", css.StatusCode, css.Header.Get("Content-Type"))
	}
}

func (e *env) authorizeQuery() url.Values {
	return url.Values{"response_type": {"code"}, "client_id": {e.client.ClientID}, "redirect_uri": {redirectURI},
		"state": {"st-1"}, "code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"}, "scopes": {"sso:account:access"}}
}

// TestAuthorize walks the loopback flow: sign in first, allow, and the
// browser is sent to the redirect URI with the code and state; deny sends
// access_denied; bad requests and tampered forms are refused.
func TestAuthorize(t *testing.T) {
	e := newEnv(t)
	e.user("bob", false)
	b := e.browser()
	path := "/authorize?" + e.authorizeQuery().Encode()
	r := b.get(path)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/sso/signin?next="+url.QueryEscape(path) {
		t.Fatalf("before sign-in: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	r = b.follow(r)
	r = b.follow(b.post("/sso/signin", url.Values{"csrf": {r.field("csrf")}, "next": {r.field("next")}, "account": {acct}, "username": {"bob"}, "password": {pass}}))
	if r.StatusCode != http.StatusOK || r.field("request") == "" || !strings.Contains(r.body, "sso:account:access") {
		t.Fatalf("consent page: %d\n%s", r.StatusCode, r.body)
	}
	consent := r

	if r := b.post("/authorize", url.Values{"csrf": {consent.field("csrf")}, "request": {consent.field("request") + "x"}, "action": {"allow"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("tampered request: %d", r.StatusCode)
	}
	other := e.browser()
	other.signIn(acct, "bob", nil)
	oc := other.get(path)
	if r := other.post("/authorize", url.Values{"csrf": {oc.field("csrf")}, "request": {consent.field("request")}, "action": {"allow"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("another browser's sealed request: %d", r.StatusCode)
	}
	if r := b.post("/authorize", url.Values{"request": {consent.field("request")}, "action": {"allow"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("no CSRF token: %d", r.StatusCode)
	}

	r = b.post("/authorize", url.Values{"csrf": {consent.field("csrf")}, "request": {consent.field("request")}, "action": {"allow"}})
	loc, _ := url.Parse(r.Header.Get("Location"))
	if r.StatusCode != http.StatusFound || loc == nil || loc.Scheme+"://"+loc.Host+loc.Path != redirectURI ||
		loc.Query().Get("state") != "st-1" || loc.Query().Get("code") == "" {
		t.Errorf("allow: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	r = b.post("/authorize", url.Values{"csrf": {consent.field("csrf")}, "request": {consent.field("request")}, "action": {"deny"}})
	if loc := r.Header.Get("Location"); r.StatusCode != http.StatusFound || loc != "http://127.0.0.1:43210/oauth/callback?error=access_denied&state=st-1" {
		t.Errorf("deny: %d %q", r.StatusCode, loc)
	}

	bad := e.authorizeQuery()
	bad.Set("redirect_uri", "https://evil.example/cb")
	if r := b.get("/authorize?" + bad.Encode()); r.StatusCode != http.StatusBadRequest || r.Header.Get("Location") != "" {
		t.Errorf("bad redirect URI: %d %q, want 400 on the page", r.StatusCode, r.Header.Get("Location"))
	}
	plain := e.authorizeQuery()
	plain.Set("code_challenge_method", "plain")
	if r := b.get("/authorize?" + plain.Encode()); r.StatusCode != http.StatusFound ||
		!strings.HasPrefix(r.Header.Get("Location"), "http://127.0.0.1:43210/oauth/callback?error=invalid_request") {
		t.Errorf("plain PKCE: %d %q, want an error redirect", r.StatusCode, r.Header.Get("Location"))
	}
}

// TestDeviceDeny: deny ends the authorization; an unknown code is refused.
func TestDeviceDeny(t *testing.T) {
	e := newEnv(t)
	e.user("bob", false)
	b := e.browser()
	r := b.signIn(acct, "bob", nil)
	if r := b.post("/sso/device", url.Values{"csrf": {r.field("csrf")}, "user_code": {"ZZZZ-ZZZZ"}, "action": {"allow"}}); r.StatusCode != http.StatusNotFound {
		t.Errorf("unknown code: %d", r.StatusCode)
	}
	if r := b.post("/sso/device", url.Values{"csrf": {r.field("csrf")}, "user_code": {e.userCode}, "action": {"deny"}}); r.StatusCode != http.StatusOK {
		t.Errorf("deny: %d", r.StatusCode)
	}
	if _, ok := e.approval(); ok {
		t.Errorf("deny did not deny")
	}
	if r := b.post("/sso/device", url.Values{"csrf": {r.field("csrf")}, "user_code": {e.userCode}, "action": {"allow"}}); r.StatusCode != http.StatusNotFound {
		t.Errorf("allow after deny: %d", r.StatusCode)
	}
}

// TestClientNameEscaped: the client name is the registering client's
// choice; the device page shows it as text, never as markup.
func TestClientNameEscaped(t *testing.T) {
	e := newEnv(t)
	e.user("bob", false)
	evil := `"><script>alert(1)</script><a href="https://evil.example/">`
	c, err := e.flows.RegisterClient(ctx, &sso.RegisterClientInput{ClientName: evil, ClientType: "public"}, "127.0.0.1", time.Now())
	must(t, err)
	out, err := e.flows.StartDeviceAuthorization(ctx, &sso.StartDeviceAuthorizationInput{ClientID: c.ClientID,
		ClientSecret: c.ClientSecret, StartURL: e.srv.URL + "/start"}, "127.0.0.1", time.Now())
	must(t, err)
	b := e.browser()
	b.signIn(acct, "bob", nil)
	r := b.get("/sso/device?user_code=" + out.UserCode)
	if r.StatusCode != http.StatusOK || strings.Contains(r.body, "<script") || strings.Contains(r.body, `href="https://evil.example/"`) ||
		!strings.Contains(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("device page: %d\n%s", r.StatusCode, r.body)
	}
}

// TestFavicon: the browser's /favicon.ico is the pages' and gets a 204,
// not the API's 400 (a failed load in the browser's console).
func TestFavicon(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest(http.MethodGet, "https://sso.example.com/favicon.ico", nil)
	if !signin.Handles(req) {
		t.Fatal("Handles(GET /favicon.ico) = false, want true")
	}
	if r := e.browser().get("/favicon.ico"); r.StatusCode != http.StatusNoContent || r.body != "" {
		t.Errorf("GET /favicon.ico: %d %q, want 204 and no body", r.StatusCode, r.body)
	}
}
