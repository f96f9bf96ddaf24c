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

	"github.com/brevet-dev/brevet/internal/sso"
)

// TestSigninPagesOnTheAPIListener: the sign-in pages are served on the
// API's listener ahead of the Query and REST-JSON dispatch; an IAM user
// signs in with a password and approves a device authorization the CLI
// redeems; the attempt and the approval are in the audit trail, without
// the password.
func TestSigninPagesOnTheAPIListener(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	pool := writeServerCert(t, certFile, keyFile, 1)
	dataDir := filepath.Join(dir, "data")
	n, _ := startNode(t, dataDir, Options{}, "BREVET_TLS_CERT="+certFile, "BREVET_TLS_KEY="+keyFile)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	api := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	admin := adminCreds(t, dataDir)
	const password = "Corr3ct-Horse-Battery!"
	for _, body := range []string{"Action=CreateUser&Version=2010-05-08&UserName=ann",
		"Action=CreateLoginProfile&Version=2010-05-08&UserName=ann&Password=" + url.QueryEscape(password)} {
		if code, out := signedPostTo(t, api, n.URL(), "iam", admin, body); code != http.StatusOK {
			t.Fatalf("%s: %d %s", body, code, out)
		}
	}
	now := time.Now()
	reg, err := n.sso.RegisterClient(t.Context(), &sso.RegisterClientInput{ClientName: "botocore-client-test", ClientType: "public"}, "127.0.0.1", now)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := n.sso.StartDeviceAuthorization(t.Context(), &sso.StartDeviceAuthorizationInput{ClientID: reg.ClientID, ClientSecret: reg.ClientSecret,
		StartURL: n.URL() + "/start"}, "127.0.0.1", now)
	if err != nil {
		t.Fatal(err)
	}

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Transport: tr, Jar: jar, Timeout: 10 * time.Second}
	csrfRE := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	page := func(r *http.Response, err error) (int, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		if csp := r.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'") {
			t.Errorf("%s: CSP %q", r.Request.URL.Path, csp)
		}
		return r.StatusCode, string(b)
	}
	csrf := func(body string) string {
		m := csrfRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no CSRF token in %s", body)
		}
		return m[1]
	}
	post := func(path string, form url.Values) (*http.Response, error) {
		req, _ := http.NewRequest(http.MethodPost, n.URL()+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", n.URL())
		return browser.Do(req)
	}
	deviceURL := "/sso/device?user_code=" + url.QueryEscape(dev.UserCode)
	code, body := page(browser.Get(n.URL() + deviceURL)) // redirected to the sign-in page
	if code != http.StatusOK || !strings.Contains(body, `name="password"`) {
		t.Fatalf("device page before sign-in: %d %s", code, body)
	}
	code, body = page(post("/sso/signin", url.Values{"csrf": {csrf(body)}, "next": {deviceURL}, "account": {testAccount}, "username": {"ann"}, "password": {password}}))
	if code != http.StatusOK || !strings.Contains(body, dev.UserCode) {
		t.Fatalf("after sign-in: %d %s", code, body)
	}
	if code, body = page(post("/sso/device", url.Values{"csrf": {csrf(body)}, "user_code": {dev.UserCode}, "action": {"allow"}})); code != http.StatusOK {
		t.Fatalf("allow: %d %s", code, body)
	}
	tok, err := n.sso.CreateToken(t.Context(), &sso.CreateTokenInput{ClientID: reg.ClientID, ClientSecret: reg.ClientSecret,
		GrantType: sso.GrantDeviceCode, DeviceCode: dev.DeviceCode}, "127.0.0.1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := n.sso.Authenticate(t.Context(), tok.AccessToken, time.Now()); err != nil || got.Identity.UserName != "ann" || got.Identity.Account != testAccount {
		t.Fatalf("Authenticate = %+v, %v", got, err)
	}
	if code, _ := page(browser.Get(n.URL() + "/sso/static/style.css")); code != http.StatusOK {
		t.Errorf("stylesheet: %d", code)
	}
	if code, _ := page(browser.Get(n.URL() + "/favicon.ico")); code != http.StatusNoContent {
		t.Errorf("favicon: %d, want 204 from the pages, not the API's 400", code)
	}

	if err := n.flushIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	trail := readTrail(t, n)
	for _, want := range []string{`"eventSource":"signin.amazonaws.com","eventName":"PasswordSignIn"`, `"eventName":"ApproveDevice"`} {
		if !strings.Contains(trail, want) {
			t.Errorf("the trail has no %s", want)
		}
	}
	if strings.Contains(trail, password) {
		t.Error("the audit trail holds the password")
	}
}
