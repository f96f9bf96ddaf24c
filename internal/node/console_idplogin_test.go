package node

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/sso"
)

// TestConsoleIdPSignIn: a person who signed in on /sso/signin with a
// configured identity provider (no IAM user) sees the roles assigned to
// them, and starts a console session in one through a ConsoleLogin the
// trail names them in; the role's calls carry the console marker. The
// chooser's form is refused without its own anti-forgery token, and a
// role not assigned to them is refused.
func TestConsoleIdPSignIn(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	pool := writeServerCert(t, certFile, keyFile, 1)
	conf := filepath.Join(dir, "brevet.yaml")
	// The provider is never reached: the test stands in for its sign-in
	// by sealing the sign-in pages' session as they would.
	if err := os.WriteFile(conf, []byte("sso:\n  identity_providers:\n    - name: corp\n      issuer: https://idp.example.invalid\n      client_id: brevet\n"), 0o600); err != nil {
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
		c.iam("Action=CreateRole&RoleName=" + role + "&AssumeRolePolicyDocument=" + url.QueryEscape(portalTrust))
		c.iam("Action=PutRolePolicy&RoleName=" + role + "&PolicyName=read&PolicyDocument=" + url.QueryEscape(read))
	}
	c.signed("brevet", c.admin, "Action=CreateAccountAssignment&Version=2026-11-01&RoleName=Dev&PrincipalType=USER"+
		"&PrincipalSource=idp:corp&PrincipalName=dana@example.com", http.StatusOK)

	// The sign-in pages' session of dana, signed in with provider corp.
	id := sso.Identity{Source: "idp:corp", UserID: "sub-123", UserName: "dana@example.com", Groups: []string{"eng"}}
	b, _ := json.Marshal(map[string]any{"csrf": "x", "id": id, "exp": time.Now().Add(time.Hour)})
	sealed, err := n.master.Seal(b, "sso-signin-session")
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse(n.URL())
	jar.SetCookies(base, []*http.Cookie{{Name: "__Host-brevet_sso", Value: base64.RawURLEncoding.EncodeToString(sealed), Path: "/", Secure: true, HttpOnly: true}})

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
	if code, body := choose(chooser(), "Ops"); code != http.StatusForbidden || !strings.Contains(body, "is not assigned to") {
		t.Errorf("unassigned role: %d %s", code, body)
	}
	if code, _ := choose(chooser(), "Dev"); code != http.StatusSeeOther {
		t.Fatalf("Dev: %d", code)
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
	var login, marked bool
	for _, line := range strings.Split(trail, "\n") {
		if strings.Contains(line, `"eventName":"ConsoleLogin"`) && strings.Contains(line, "arn:aws:sso:::user/idp:corp/dana@example.com") &&
			strings.Contains(line, `"ConsoleLogin":"Success"`) {
			login = true
		}
		if strings.Contains(line, `"eventName":"ListRoles"`) && strings.Contains(line, "assumed-role/Dev/dana@example.com") &&
			strings.Contains(line, `"sessionCredentialFromConsole":"true"`) {
			marked = true
		}
	}
	if !login || !marked {
		t.Errorf("trail: ConsoleLogin naming dana %v, ListRoles with the console marker %v", login, marked)
	}
}
