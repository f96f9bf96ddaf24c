package node

import (
	"crypto/tls"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/federation/fedtest"
)

var (
	rcIssued  = regexp.MustCompile(`<Issued>([^<]+)</Issued>`)
	rcExpires = regexp.MustCompile(`<Expiration>([^<]+)</Expiration>`)
	rcSignout = regexp.MustCompile(`<a href="([^"]+)">Sign out</a>`)
)

// TestConsoleIdPSignIn: a person who signed in on /sso/signin with a
// configured identity provider (no IAM user; a real OpenID Connect
// provider in the test, the whole round trip) sees the roles assigned to
// them, and starts a console session in one through a ConsoleLogin the
// trail names them in; the role's calls carry the console marker. The
// chooser's form is refused without its own anti-forgery token, and a
// role not assigned to them is refused, the trail naming the role. The session lasts the SSO role
// session duration.
func TestConsoleIdPSignIn(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	pool := writeServerCert(t, certFile, keyFile, 1)
	// A real OpenID Connect provider: dana signs in there, and the
	// sign-in pages verify her ID token, as in production.
	idp := fedtest.NewOIDCProvider(t)
	idp.SetClient("brevet", "") // a public client: PKCE only
	idpCA := filepath.Join(dir, "idp-ca.pem")
	if err := os.WriteFile(idpCA, idp.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	pool.AppendCertsFromPEM(idp.CAPEM)
	conf := filepath.Join(dir, "brevet.yaml")
	// role_session_duration is the SSO role sessions' length: the
	// console's sessions in an assigned role last as long.
	cfg := "sso:\n  role_session_duration: 15m\n  identity_providers:\n    - name: corp\n      issuer: " + idp.Issuer() +
		"\n      client_id: brevet\n      groups_claim: groups\n      ca_file: " + idpCA + "\n"
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(dir, "data")
	n, _ := startNode(t, dataDir, Options{}, "BREVET_TLS_CERT="+certFile, "BREVET_TLS_KEY="+keyFile, "BREVET_CONFIG="+conf)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	jar, _ := cookiejar.New(nil)
	c := &rolesConsole{t: t, n: n, api: &http.Client{Transport: tr, Timeout: 10 * time.Second}, admin: adminCreds(t, dataDir)}
	c.browser = &http.Client{Transport: tr, Jar: jar, Timeout: 10 * time.Second}
	c.noRedir = &http.Client{Transport: tr, Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	const read = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:List*","Resource":"*"}]}`
	for _, role := range []string{"Dev", "Ops"} {
		c.iam("Action=CreateRole&RoleName=" + role + "&MaxSessionDuration=43200&AssumeRolePolicyDocument=" + url.QueryEscape(portalTrust))
		c.iam("Action=PutRolePolicy&RoleName=" + role + "&PolicyName=read&PolicyDocument=" + url.QueryEscape(read))
	}
	for _, who := range []string{"dana@example.com", "erin@example.com"} {
		c.signed("brevet", c.admin, "Action=CreateAccountAssignment&Version=2026-11-01&RoleName=Dev&PrincipalType=USER"+
			"&PrincipalSource=idp:corp&PrincipalName="+who, http.StatusOK)
	}
	// providerSignIn signs who in at the provider and goes through its
	// round trip, as the sign-in page's button does.
	providerSignIn := func(sub, who, back string) {
		t.Helper()
		idp.SignIn(sub, map[string]any{"email": who, "email_verified": true, "groups": []string{"eng"}})
		code, page := c.do(c.browser, http.MethodGet, "/sso/idp/corp/start?next="+url.QueryEscape(back), nil)
		if code != http.StatusOK || !strings.Contains(page, `url=/console/login?next=`) {
			t.Fatalf("provider round trip: %d %s", code, page)
		}
	}

	// The console sends the browser to the sign-in pages, which send it
	// to the provider, which signs dana in and sends her back.
	resp, err := c.noRedir.Get(n.URL() + "/console/login?next=%2Fconsole%2Froles")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	signin, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || err != nil || signin.Path != "/sso/signin" {
		t.Fatalf("console login before sign-in: %d %v", resp.StatusCode, resp.Header)
	}
	back := signin.Query().Get("next")
	providerSignIn("sub-123", "dana@example.com", back)

	tokenRE := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	chooser := func() string {
		t.Helper()
		page := c.get("/console/login?next=%2Fconsole%2Froles")
		if !strings.Contains(page, "arn:aws:sso:::user/idp:corp/dana@example.com") || !strings.Contains(page, `name="RoleName" value="Dev"`) ||
			strings.Contains(page, `value="Ops"`) {
			t.Fatalf("chooser: %s", page)
		}
		return tokenRE.FindStringSubmatch(page)[1]
	}
	choose := func(token, role string) (int, string) {
		t.Helper()
		f := url.Values{"AccountId": {testAccount}, "RoleName": {role}, "next": {"/console/roles"}}
		if token != "" {
			f.Set("csrf", token)
		}
		return c.do(c.noRedir, http.MethodPost, "/console/login", f)
	}

	tok := chooser()
	if code, body := choose("", "Dev"); code != http.StatusForbidden || !strings.Contains(body, "InvalidCSRFToken") {
		t.Errorf("without the token: %d", code)
	}
	if code, _ := choose(tok+"x", "Dev"); code != http.StatusForbidden {
		t.Errorf("with a wrong token: %d", code)
	}
	// The chooser's token (and its cookie) is dana's: once erin has
	// signed in in the same browser, it does not start erin's session.
	tok = chooser()
	providerSignIn("sub-456", "erin@example.com", back)
	if code, body := choose(tok, "Dev"); code != http.StatusForbidden || !strings.Contains(body, "InvalidCSRFToken") {
		t.Errorf("dana's token used by erin: %d", code)
	}
	providerSignIn("sub-123", "dana@example.com", back)
	if code, body := choose(chooser(), "Ops"); code != http.StatusForbidden || !strings.Contains(body, "is not assigned to") {
		t.Errorf("unassigned role: %d %s", code, body)
	}
	if code, _ := choose(chooser(), "Dev"); code != http.StatusSeeOther {
		t.Fatalf("Dev: %d", code)
	}
	// The session lasts role_session_duration, as the portal's do.
	out := c.signed("brevet", c.admin, "Action=ListSessions&Version=2026-11-01&PrincipalArn="+
		url.QueryEscape("arn:aws:iam::"+testAccount+":role/Dev"), http.StatusOK)
	issued, expires := rcIssued.FindStringSubmatch(out), rcExpires.FindStringSubmatch(out)
	if issued == nil || expires == nil {
		t.Fatalf("ListSessions: %s", out)
	}
	i, _ := time.Parse(time.RFC3339, issued[1])
	e, _ := time.Parse(time.RFC3339, expires[1])
	if d := e.Sub(i); d != 15*time.Minute {
		t.Errorf("console session of Dev lasts %v, want role_session_duration 15m", d)
	}
	page := c.get("/console/roles")
	if !strings.Contains(page, "Dev/dana@example.com") || !strings.Contains(page, ">Ops<") {
		t.Errorf("roles page as Dev: %s", page)
	}
	// Dev may only list: creating a role is refused by its policy.
	c.csrf = tokenRE.FindStringSubmatch(c.get("/console/roles/new"))[1]
	code, body := c.post("/console/roles/new", url.Values{"step": {"create"}, "RoleName": {"x"}, "TrustType": {"service"}, "ServicePrincipal": {"ec2.amazonaws.com"}})
	if code != http.StatusForbidden || !strings.Contains(body, "AccessDenied") {
		t.Errorf("CreateRole as Dev: %d", code)
	}

	if err := n.flushIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	trail := readTrail(t, n)
	var login, refused, marked bool
	for _, line := range strings.Split(trail, "\n") {
		if strings.Contains(line, `"eventName":"ConsoleLogin"`) && strings.Contains(line, "arn:aws:sso:::user/idp:corp/dana@example.com") &&
			strings.Contains(line, `"ConsoleLogin":"Success"`) {
			login = true
		}
		if strings.Contains(line, `"eventName":"ConsoleLogin"`) && strings.Contains(line, "arn:aws:sso:::user/idp:corp/dana@example.com") &&
			strings.Contains(line, `"errorCode":"AccessDenied"`) && strings.Contains(line, `"roleName":"Ops"`) &&
			strings.Contains(line, `"ConsoleLogin":"Failure"`) {
			refused = true
		}
		if strings.Contains(line, `"eventName":"ListRoles"`) && strings.Contains(line, "assumed-role/Dev/dana@example.com") &&
			strings.Contains(line, `"sessionCredentialFromConsole":"true"`) {
			marked = true
		}
	}
	if !login || !refused || !marked {
		t.Errorf("trail: ConsoleLogin naming dana %v, refused for Ops %v, ListRoles with the console marker %v", login, refused, marked)
	}

	// The chooser's sign-out link (there is no console session yet to
	// sign out of) signs the person out of the sign-in pages.
	m := rcSignout.FindStringSubmatch(chooserPage(c))
	if m == nil {
		t.Fatal("chooser without a sign-out link")
	}
	if code, body := c.do(c.noRedir, http.MethodGet, m[1], nil); code != http.StatusOK || !strings.Contains(body, "signed out") {
		t.Errorf("chooser's sign-out link %s: %d", m[1], code)
	}
	resp, err = c.noRedir.Get(n.URL() + "/console/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/sso/signin?") {
		t.Errorf("after signing out, /console/login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// chooserPage is the role chooser a person signed in with a provider sees.
func chooserPage(c *rolesConsole) string {
	c.t.Helper()
	return c.get("/console/login?next=%2Fconsole%2Froles")
}
