package node

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/sigv4"
)

// consolePassword is the password consoleBrowser's users sign in with.
const consolePassword = "Corr3ct-Horse-Battery!"

// consoleBrowser is a browser without JavaScript signed in to the console
// of a node served over TLS (the console's cookies are Secure).
type consoleBrowser struct {
	t     testing.TB
	n     *Node
	c     *http.Client
	api   *http.Client
	admin sigv4.Credentials
	// csrf is the token of the last page that carried one.
	csrf string
}

var consoleCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// startConsoleNode starts a node over TLS and returns a browser not yet
// signed in, with the admin's key for API calls.
func startConsoleNode(t testing.TB, env ...string) *consoleBrowser {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	pool := writeServerCert(t, certFile, keyFile, 1)
	dataDir := filepath.Join(dir, "data")
	n, _ := startNode(t, dataDir, Options{}, append([]string{"BREVET_TLS_CERT=" + certFile, "BREVET_TLS_KEY=" + keyFile}, env...)...)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	b := &consoleBrowser{t: t, n: n, api: &http.Client{Transport: tr, Timeout: 30 * time.Second}, admin: adminCreds(t, dataDir)}
	b.c = b.newClient()
	return b
}

func (b *consoleBrowser) newClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Transport: b.api.Transport, Jar: jar, Timeout: 30 * time.Second}
}

// iam calls an IAM action as the admin and fails the test on an error.
func (b *consoleBrowser) iam(body string) string {
	b.t.Helper()
	code, out := signedPostTo(b.t, b.api, b.n.URL(), "iam", b.admin, body)
	if code != http.StatusOK {
		b.t.Fatalf("%s: %d %s", body, code, out)
	}
	return out
}

// signIn gives user a login profile (as the admin) unless it has one,
// signs in on the sign-in pages with a fresh cookie jar and starts a
// console session.
func (b *consoleBrowser) signIn(user string) {
	b.t.Helper()
	if code, _ := signedPostTo(b.t, b.api, b.n.URL(), "iam", b.admin, "Action=GetLoginProfile&Version=2010-05-08&UserName="+url.QueryEscape(user)); code != http.StatusOK {
		b.iam("Action=CreateLoginProfile&Version=2010-05-08&UserName=" + url.QueryEscape(user) + "&Password=" + url.QueryEscape(consolePassword))
	}
	b.c = b.newClient()
	code, body := b.get("/console/") // to the sign-in page, through /console/login
	if code != http.StatusOK || !strings.Contains(body, `name="password"`) {
		b.t.Fatalf("console before sign-in: %d %s", code, body)
	}
	code, body = b.post("/sso/signin", url.Values{"next": {"/console/login?next=%2Fconsole%2F"}, "account": {testAccount}, "username": {user}, "password": {consolePassword}})
	if code != http.StatusOK || !strings.Contains(body, "Dashboard") {
		b.t.Fatalf("console after sign-in: %d %s", code, body)
	}
}

// get fetches a page, following redirects.
func (b *consoleBrowser) get(path string) (int, string) {
	b.t.Helper()
	return b.read(b.c.Get(b.n.URL() + path))
}

// post submits a form with the last page's CSRF token (unless form has
// its own "csrf") and the site's Origin, as a browser does.
func (b *consoleBrowser) post(path string, form url.Values) (int, string) {
	b.t.Helper()
	if _, ok := form["csrf"]; !ok && b.csrf != "" {
		form = cloneValues(form)
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, b.n.URL()+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.n.URL())
	return b.read(b.c.Do(req))
}

func (b *consoleBrowser) read(r *http.Response, err error) (int, string) {
	b.t.Helper()
	if err != nil {
		b.t.Fatal(err)
	}
	defer r.Body.Close()
	body, _ := io.ReadAll(r.Body)
	if m := consoleCSRF.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return r.StatusCode, string(body)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// TestConsoleSignIn: an IAM user signs in on the sign-in pages and lands
// on the console's dashboard; the console session is a ConsoleLogin in
// the trail, with its issuance, and the dashboard's API call is audited
// as the user's, marked as the console's; the cookie is HttpOnly, Secure
// and SameSite=Strict; a POST without the CSRF token is refused; without
// a session the console sends the browser to sign in.
func TestConsoleSignIn(t *testing.T) {
	b := startConsoleNode(t)
	code, body := b.get("/console/?from=test")
	if code != http.StatusOK || !strings.Contains(body, `name="password"`) {
		t.Fatalf("signed out: %d, want the sign-in page", code)
	}
	b.signIn("admin")
	u, _ := url.Parse(b.n.URL())
	var found bool
	for _, c := range b.c.Jar.Cookies(u) {
		found = found || c.Name == "__Host-brevet_console"
	}
	if !found {
		t.Fatal("no console cookie")
	}
	resp, err := b.c.Get(b.n.URL() + "/console/login?next=%2Fconsole%2F")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var setCookie string
	for _, sc := range resp.Request.Response.Header.Values("Set-Cookie") {
		if strings.HasPrefix(sc, "__Host-brevet_console=") {
			setCookie = sc
		}
	}
	for _, want := range []string{"HttpOnly", "Secure", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(setCookie, want) {
			t.Errorf("Set-Cookie %q lacks %s", setCookie, want)
		}
	}
	if code, body := b.post("/console/signout", url.Values{"csrf": {"forged"}}); code != http.StatusForbidden || !strings.Contains(body, "InvalidCSRFToken") {
		t.Errorf("POST with a forged token: %d", code)
	}
	b.get("/console/") // a fresh token
	if code, body := b.post("/console/signout", url.Values{}); code != http.StatusOK || strings.Contains(body, "Dashboard") {
		t.Errorf("sign-out: %d %s", code, body)
	}
	if code, body := b.get("/console/"); code != http.StatusOK || !strings.Contains(body, `name="password"`) {
		t.Errorf("after sign-out: %d, want the sign-in page", code)
	}
	if err := b.n.flushIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	trail := readTrail(t, b.n)
	for _, want := range []string{
		`"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin"`,
		`"responseElements":{"ConsoleLogin":"Success"}`,
		`"issuedCredential":{"kind":"ConsoleLogin"`,
		`"MFAUsed":"No"`,
		`"eventName":"GetAccountSummary"`,
		`"userAgent":"brevet-console Go-http-client/1.1"`,
		`"sessionCredentialFromConsole":"true"`,
	} {
		if !strings.Contains(trail, want) {
			t.Errorf("the trail has no %s", want)
		}
	}
	if strings.Contains(trail, consolePassword) {
		t.Error("the trail holds the password")
	}
}

// TestConsoleSessionRevoked: revoking a console session (by its access
// key id, as any session) ends it at the next page: the browser is told
// to sign in again and its cookie is dropped.
func TestConsoleSessionRevoked(t *testing.T) {
	b := startConsoleNode(t)
	b.signIn("admin")
	if err := b.n.flushIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`"issuedCredential":\{"kind":"ConsoleLogin","accessKeyId":"(ASIA[A-Z0-9]+)"`).FindStringSubmatch(readTrail(t, b.n))
	if m == nil {
		t.Fatal("no ConsoleLogin issuance in the trail")
	}
	if code, out := signedPostTo(t, b.api, b.n.URL(), "sts", b.admin, "Action=RevokeSessions&Version=2026-11-01&AccessKeyId="+m[1]); code != http.StatusOK {
		t.Fatalf("RevokeSessions: %d %s", code, out)
	}
	code, body := b.get("/console/")
	if code != http.StatusUnauthorized || !strings.Contains(body, "SessionEnded") {
		t.Fatalf("after revocation: %d %s", code, body)
	}
	u, _ := url.Parse(b.n.URL())
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "__Host-brevet_console" {
			t.Error("the console cookie is still there")
		}
	}
}

// TestConsoleSignOutEndsTheSession: signing out revokes the console
// session's credentials, not only the browser's cookie, and the user
// needs no permission for it: a copy of the cookie taken before sign-out
// (from the console's sign-out, or the sign-in pages') is refused.
func TestConsoleSignOutEndsTheSession(t *testing.T) {
	b := startConsoleNode(t)
	b.iam("Action=CreateUser&Version=2010-05-08&UserName=reader")
	b.iam("Action=AttachUserPolicy&Version=2010-05-08&UserName=reader&PolicyArn=" + url.QueryEscape("arn:aws:iam::aws:policy/IAMReadOnlyAccess"))
	u, _ := url.Parse(b.n.URL())
	copied := func() *http.Cookie {
		t.Helper()
		for _, c := range b.c.Jar.Cookies(u) {
			if c.Name == "__Host-brevet_console" {
				return c
			}
		}
		t.Fatal("no console cookie")
		return nil
	}
	for _, out := range []struct {
		name string
		do   func()
	}{
		{"console sign-out", func() {
			b.get("/console/") // a fresh token
			if code, body := b.post("/console/signout", url.Values{}); code != http.StatusOK || strings.Contains(body, "Dashboard") {
				t.Errorf("sign-out: %d %s", code, body)
			}
		}},
		{"sign-in pages' sign-out", func() { b.get("/sso/signout") }},
	} {
		b.signIn("reader")
		c := copied()
		out.do()
		thief := b.newClient()
		thief.Jar.SetCookies(u, []*http.Cookie{c})
		resp, err := thief.Get(b.n.URL() + "/console/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "SessionEnded") {
			t.Errorf("%s: the copied cookie after sign-out: %d, want SessionEnded", out.name, resp.StatusCode)
		}
	}
}

// TestConsolePasswordLastUsed: a password sign-in on the sign-in pages is
// the user's PasswordLastUsed in GetUser (recorded off the request path,
// within seconds).
func TestConsolePasswordLastUsed(t *testing.T) {
	b := startConsoleNode(t)
	b.iam("Action=CreateUser&Version=2010-05-08&UserName=reader")
	b.iam("Action=AttachUserPolicy&Version=2010-05-08&UserName=reader&PolicyArn=" + url.QueryEscape("arn:aws:iam::aws:policy/IAMReadOnlyAccess"))
	if out := b.iam("Action=GetUser&Version=2010-05-08&UserName=reader"); strings.Contains(out, "PasswordLastUsed") {
		t.Fatalf("a user never signed in has a PasswordLastUsed: %s", out)
	}
	before := time.Now().UTC().Truncate(time.Second)
	b.signIn("reader")
	deadline := time.Now().Add(10 * time.Second)
	for {
		out := b.iam("Action=GetUser&Version=2010-05-08&UserName=reader")
		if m := regexp.MustCompile(`<PasswordLastUsed>([^<]+)</PasswordLastUsed>`).FindStringSubmatch(out); m != nil {
			at, err := time.Parse(time.RFC3339, m[1])
			if err != nil || at.Before(before) || at.After(time.Now()) {
				t.Errorf("PasswordLastUsed %s, want the sign-in's time (after %s)", m[1], before)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no PasswordLastUsed after a sign-in: %s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
