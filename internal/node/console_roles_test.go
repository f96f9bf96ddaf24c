package node

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/federation/fedtest"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// rolesConsole is a TLS node with an administrator IAM user (cadmin,
// password and key) signed in to the console in a browser-like client.
type rolesConsole struct {
	t       *testing.T
	n       *Node
	api     *http.Client
	browser *http.Client // follows redirects
	noRedir *http.Client // does not
	admin   sigv4.Credentials
	user    sigv4.Credentials // cadmin's own key
	csrf    string
}

var (
	rcCSRF   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	rcTrust  = regexp.MustCompile(`<AssumeRolePolicyDocument>([^<]*)</AssumeRolePolicyDocument>`)
	rcMaxSes = regexp.MustCompile(`<MaxSessionDuration>([0-9]+)</MaxSessionDuration>`)
	rcKeyID  = regexp.MustCompile(`<AccessKeyId>([^<]+)</AccessKeyId>`)
	rcSecret = regexp.MustCompile(`<SecretAccessKey>([^<]+)</SecretAccessKey>`)
	rcToken  = regexp.MustCompile(`<SessionToken>([^<]+)</SessionToken>`)
)

const rcPassword = "Corr3ct-Horse-Battery!"

func startRolesConsole(t *testing.T) *rolesConsole {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	pool := writeServerCert(t, certFile, keyFile, 1)
	dataDir := filepath.Join(dir, "data")
	n, _ := startNode(t, dataDir, Options{}, "BREVET_TLS_CERT="+certFile, "BREVET_TLS_KEY="+keyFile)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	c := &rolesConsole{t: t, n: n, api: &http.Client{Transport: tr, Timeout: 10 * time.Second}, admin: adminCreds(t, dataDir)}
	const admin = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	c.iam("Action=CreateUser&UserName=cadmin")
	c.iam("Action=CreateLoginProfile&UserName=cadmin&Password=" + url.QueryEscape(rcPassword))
	c.iam("Action=PutUserPolicy&UserName=cadmin&PolicyName=admin&PolicyDocument=" + url.QueryEscape(admin))
	out := c.iam("Action=CreateAccessKey&UserName=cadmin")
	c.user = sigv4.Credentials{AccessKeyID: rcKeyID.FindStringSubmatch(out)[1], SecretAccessKey: rcSecret.FindStringSubmatch(out)[1]}

	jar, _ := cookiejar.New(nil)
	c.browser = &http.Client{Transport: tr, Jar: jar, Timeout: 10 * time.Second}
	c.noRedir = &http.Client{Transport: tr, Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	code, body := c.do(c.browser, http.MethodGet, "/console/", nil)
	if code != http.StatusOK || !strings.Contains(body, `name="password"`) {
		t.Fatalf("console before sign-in: %d %s", code, body)
	}
	code, body = c.do(c.browser, http.MethodPost, "/sso/signin", url.Values{"csrf": {rcCSRF.FindStringSubmatch(body)[1]},
		"next": {"/console/login?next=%2Fconsole%2F"}, "account": {testAccount}, "username": {"cadmin"}, "password": {rcPassword}})
	if code != http.StatusOK || !strings.Contains(body, "Dashboard") {
		t.Fatalf("console after sign-in: %d %s", code, body)
	}
	c.csrf = rcCSRF.FindStringSubmatch(c.get("/console/roles/new"))[1]
	return c
}

// iam calls an IAM action as the node's administrator.
func (c *rolesConsole) iam(body string) string {
	c.t.Helper()
	return c.signed("iam", c.admin, body+"&Version=2010-05-08", http.StatusOK)
}

func (c *rolesConsole) signed(service string, creds sigv4.Credentials, body string, want int) string {
	c.t.Helper()
	code, out := signedPostTo(c.t, c.api, c.n.URL(), service, creds, body)
	if code != want {
		c.t.Fatalf("%s: %d %s", body, code, out)
	}
	return out
}

func (c *rolesConsole) do(cl *http.Client, method, path string, form url.Values) (int, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.n.URL()+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", c.n.URL())
	}
	resp, err := cl.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if csp := resp.Header.Get("Content-Security-Policy"); strings.HasPrefix(path, "/console/") && !strings.HasPrefix(csp, "default-src 'none'") {
		c.t.Errorf("%s: CSP %q", path, csp)
	}
	return resp.StatusCode, string(b)
}

// get fetches a console page that must answer 200.
func (c *rolesConsole) get(path string) string {
	c.t.Helper()
	code, body := c.do(c.browser, http.MethodGet, path, nil)
	if code != http.StatusOK {
		c.t.Fatalf("GET %s: %d %s", path, code, body)
	}
	return body
}

// post sends a console form with the session's CSRF token and returns
// the status and, for a redirect, its Location, else the page.
func (c *rolesConsole) post(path string, form url.Values) (int, string) {
	c.t.Helper()
	f := url.Values{"csrf": {c.csrf}}
	for k, v := range form {
		f[k] = v
	}
	req, _ := http.NewRequest(http.MethodPost, c.n.URL()+path, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.n.URL())
	resp, err := c.noRedir.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusSeeOther {
		return resp.StatusCode, resp.Header.Get("Location")
	}
	return resp.StatusCode, string(b)
}

// mustPost posts a form that must redirect (success) and returns where to.
func (c *rolesConsole) mustPost(path string, form url.Values) string {
	c.t.Helper()
	code, out := c.post(path, form)
	if code != http.StatusSeeOther {
		c.t.Fatalf("POST %s: %d %s", path, code, out)
	}
	return out
}

// trust reads role name's trust policy through the API, decoded.
func (c *rolesConsole) trust(name string) any {
	c.t.Helper()
	out := c.iam("Action=GetRole&RoleName=" + name)
	m := rcTrust.FindStringSubmatch(out)
	if m == nil {
		c.t.Fatalf("GetRole %s: %s", name, out)
	}
	doc, err := url.QueryUnescape(m[1])
	if err != nil {
		c.t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		c.t.Fatalf("trust of %s: %v: %s", name, err, doc)
	}
	return v
}

func rcJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestConsoleRolesIdPsSessions drives the roles, identity providers and
// sessions pages as an administrator signed in through /sso/signin and
// /console/login.
func TestConsoleRolesIdPsSessions(t *testing.T) {
	c := startRolesConsole(t)
	acct := "arn:aws:iam::" + testAccount

	var oidcARN, samlARN string
	t.Run("identity providers", func(t *testing.T) {
		c.t = t
		loc := c.mustPost("/console/idps/new", url.Values{"type": {"oidc"}, "Url": {"https://token.example.com/ci"},
			"ClientIDList": {"sts.amazonaws.com\nci"}, "ThumbprintList": {"0123456789abcdef0123456789abcdef01234567"},
			"TagKey": {"team"}, "TagValue": {"ci/cd"}})
		oidcARN = acct + ":oidc-provider/token.example.com/ci"
		if want := "/console/idps/view?arn=" + url.QueryEscape(oidcARN); loc != want {
			t.Fatalf("after create: %s, want %s", loc, want)
		}
		page := c.get(loc)
		for _, want := range []string{"token.example.com/ci", "sts.amazonaws.com", "team = ci/cd"} {
			if !strings.Contains(page, want) {
				t.Errorf("OIDC provider page lacks %q", want)
			}
		}
		idp := fedtest.NewSAMLIdP(t, "https://idp.example.com/saml")
		loc = c.mustPost("/console/idps/new", url.Values{"type": {"saml"}, "Name": {"Corp"}, "SAMLMetadataDocument": {idp.Metadata()}})
		samlARN = acct + ":saml-provider/Corp"
		if !strings.Contains(c.get(loc), "https://idp.example.com/saml") {
			t.Error("SAML provider page lacks its metadata")
		}
		list := c.get("/console/idps")
		for _, want := range []string{oidcARN, samlARN} {
			if !strings.Contains(list, want) {
				t.Errorf("providers list lacks %s", want)
			}
		}
		// A provider the API refuses is shown on the form.
		code, body := c.post("/console/idps/new", url.Values{"type": {"oidc"}, "Url": {"http://insecure.example.com"}})
		if code != http.StatusBadRequest || !strings.Contains(body, `role="alert"`) {
			t.Errorf("bad provider: %d %s", code, body)
		}
		// Delete one made for the purpose.
		c.mustPost("/console/idps/new", url.Values{"type": {"oidc"}, "Url": {"https://gone.example.com"}, "ClientIDList": {"x"}})
		if loc := c.mustPost("/console/idps/delete", url.Values{"arn": {acct + ":oidc-provider/gone.example.com"}}); loc != "/console/idps" {
			t.Errorf("after delete: %s", loc)
		}
		if strings.Contains(c.get("/console/idps"), "gone.example.com</a>") {
			t.Error("deleted provider still listed")
		}
	})

	statement := func(principal, action, cond string) any {
		s := `{"Effect":"Allow","Principal":` + principal + `,"Action":"` + action + `"`
		if cond != "" {
			s += `,"Condition":` + cond
		}
		return rcJSON(t, `{"Version":"2012-10-17","Statement":[`+s+`}]}`)
	}
	custom := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + acct + `:user/cadmin"},"Action":"sts:AssumeRole"}]}`
	for _, tc := range []struct {
		name string
		form url.Values
		want any
	}{
		{"svc-role", url.Values{"TrustType": {"service"}, "ServicePrincipal": {"lambda.amazonaws.com"}},
			statement(`{"Service":"lambda.amazonaws.com"}`, "sts:AssumeRole", "")},
		{"svc-other", url.Values{"TrustType": {"service"}, "ServicePrincipal": {"ec2.amazonaws.com"}, "ServiceOther": {"states.amazonaws.com"}},
			statement(`{"Service":"states.amazonaws.com"}`, "sts:AssumeRole", "")},
		{"acct-plain", url.Values{"TrustType": {"account"}, "AccountId": {testAccount}},
			statement(`{"AWS":"`+acct+`:root"}`, "sts:AssumeRole", "")},
		{"acct-ext-mfa", url.Values{"TrustType": {"account"}, "AccountId": {testAccount}, "RequireExternalId": {"true"},
			"ExternalId": {"ext-id:42"}, "RequireMFA": {"true"}},
			statement(`{"AWS":"`+acct+`:root"}`, "sts:AssumeRole",
				`{"Bool":{"aws:MultiFactorAuthPresent":"true"},"StringEquals":{"sts:ExternalId":"ext-id:42"}}`)},
		{"web-role", url.Values{"TrustType": {"webidentity"}, "OIDCProvider": {acct + ":oidc-provider/token.example.com/ci"}, "Audience": {`ci"<x>`}},
			statement(`{"Federated":"`+acct+`:oidc-provider/token.example.com/ci"}`, "sts:AssumeRoleWithWebIdentity",
				`{"StringEquals":{"token.example.com/ci:aud":"ci\"<x>"}}`)},
		{"saml-role", url.Values{"TrustType": {"saml"}, "SAMLProvider": {acct + ":saml-provider/Corp"}},
			statement(`{"Federated":"`+acct+`:saml-provider/Corp"}`, "sts:AssumeRoleWithSAML",
				`{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}`)},
		{"custom-role", url.Values{"TrustType": {"custom"}, "PolicyDocument": {custom}}, rcJSON(t, custom)},
	} {
		t.Run("create "+tc.name, func(t *testing.T) {
			c.t = t
			form := url.Values{"RoleName": {tc.name}, "Path": {"/"}, "MaxSessionDuration": {"3600"}, "step": {"review"}}
			for k, v := range tc.form {
				form[k] = v
			}
			code, review := c.post("/console/roles/new", form)
			if code != http.StatusOK || !strings.Contains(review, `id="trust-doc"`) {
				t.Fatalf("review: %d %s", code, review)
			}
			// The review page carries everything back; post what it holds.
			back := url.Values{}
			for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(review, -1) {
				back.Add(m[1], htmlUnescape(m[2]))
			}
			back.Set("step", "create")
			if loc := c.mustPost("/console/roles/new", back); loc != "/console/roles/"+tc.name {
				t.Errorf("after create: %s", loc)
			}
			if d := cmp.Diff(tc.want, c.trust(tc.name)); d != "" {
				t.Errorf("trust policy (-want +got):\n%s", d)
			}
		})
	}
	c.t = t

	t.Run("wizard refusals", func(t *testing.T) {
		c.t = t
		code, body := c.post("/console/roles/new", url.Values{"step": {"review"}, "RoleName": {"x"}, "TrustType": {"account"}, "AccountId": {"12"}})
		if code != http.StatusBadRequest || !strings.Contains(body, "12 digits") || !strings.Contains(body, `role="alert"`) {
			t.Errorf("bad account id: %d %s", code, body)
		}
		// An external ID AssumeRole would refuse (STS's pattern) is
		// refused here: the role could never be assumed with it.
		code, body = c.post("/console/roles/new", url.Values{"step": {"review"}, "RoleName": {"x"}, "TrustType": {"account"}, "AccountId": {testAccount},
			"RequireExternalId": {"true"}, "ExternalId": {`ext"<id>`}})
		if code != http.StatusBadRequest || !strings.Contains(body, "external ID") {
			t.Errorf("external id ext\"<id>: %d %s", code, body)
		}
		code, body = c.post("/console/roles/new", url.Values{"step": {"create"}, "RoleName": {"svc-role"}, "TrustType": {"service"}, "ServicePrincipal": {"ec2.amazonaws.com"}})
		if code != http.StatusConflict || !strings.Contains(body, "EntityAlreadyExists") {
			t.Errorf("existing role: %d %s", code, body)
		}
	})

	t.Run("edit trust and max session", func(t *testing.T) {
		c.t = t
		if !strings.Contains(c.get("/console/roles/svc-role?tab=trust"), "lambda.amazonaws.com") {
			t.Error("trust tab lacks the trust policy")
		}
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
		if loc := c.mustPost("/console/roles/svc-role/trust", url.Values{"PolicyDocument": {doc}}); loc != "/console/roles/svc-role?tab=trust" {
			t.Errorf("after trust: %s", loc)
		}
		if d := cmp.Diff(rcJSON(t, doc), c.trust("svc-role")); d != "" {
			t.Errorf("trust (-want +got):\n%s", d)
		}
		code, body := c.post("/console/roles/svc-role/trust", url.Values{"PolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow"`}})
		if code != http.StatusBadRequest || !strings.Contains(body, "MalformedPolicyDocument") {
			t.Errorf("bad trust: %d %s", code, body)
		}
		c.mustPost("/console/roles/svc-role/update", url.Values{"MaxSessionDuration": {"7200"}, "Description": {"<script>alert(1)</script>"}})
		if m := rcMaxSes.FindStringSubmatch(c.iam("Action=GetRole&RoleName=svc-role")); m == nil || m[1] != "7200" {
			t.Errorf("MaxSessionDuration = %v, want 7200", m)
		}
	})

	t.Run("permissions and tags", func(t *testing.T) {
		c.t = t
		pol := `{"Version":"2012-10-17","Statement":[{"Sid":"x<b>y","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
		c.mustPost("/console/roles/svc-role/put-policy", url.Values{"PolicyName": {"read"}, "PolicyDocument": {pol}})
		c.iam("Action=CreatePolicy&PolicyName=p1&PolicyDocument=" + url.QueryEscape(pol))
		c.mustPost("/console/roles/svc-role/attach-policy", url.Values{"PolicyArn": {acct + ":policy/p1"}})
		page := c.get("/console/roles/svc-role")
		for _, want := range []string{"read", acct + ":policy/p1", "7200 seconds", "&lt;script&gt;alert(1)&lt;/script&gt;"} {
			if !strings.Contains(page, want) {
				t.Errorf("permissions tab lacks %q", want)
			}
		}
		if strings.Contains(page, "<script>alert(1)") {
			t.Error("description rendered unescaped")
		}
		if ed := c.get("/console/roles/svc-role/inline-policy?PolicyName=read"); !strings.Contains(ed, "x&lt;b&gt;y") {
			t.Errorf("inline policy editor: %s", ed)
		}
		// IAM refuses a tag value of </script> (as AWS does); the form
		// shows the refusal, with the value escaped.
		code, tags := c.post("/console/roles/svc-role/tag", url.Values{"Key": {"team"}, "Value": {"</script>"}})
		if code != http.StatusBadRequest || !strings.Contains(tags, "&lt;/script&gt;") || rcRawCloseScript(tags) {
			t.Errorf("tag value </script>: %d, or not escaped", code)
		}
		c.mustPost("/console/roles/svc-role/tag", url.Values{"Key": {"team"}, "Value": {"a/b"}})
		if !strings.Contains(c.get("/console/roles/svc-role?tab=tags"), "<td>a/b</td>") {
			t.Error("tag not shown")
		}
		c.mustPost("/console/roles/svc-role/untag", url.Values{"Key": {"team"}})
		c.mustPost("/console/roles/svc-role/boundary", url.Values{"PermissionsBoundary": {acct + ":policy/p1"}})
		if !strings.Contains(c.iam("Action=GetRole&RoleName=svc-role"), "<PermissionsBoundaryArn>"+acct+":policy/p1<") {
			t.Error("boundary not set")
		}
		c.mustPost("/console/roles/svc-role/delete-boundary", nil)
		// DeleteRole refuses while policies are attached: the page says so.
		code, body := c.post("/console/roles/svc-role/delete", nil)
		if code != http.StatusConflict || !strings.Contains(body, "DeleteConflict") {
			t.Errorf("delete with policies: %d", code)
		}
		c.mustPost("/console/roles/svc-role/detach-policy", url.Values{"PolicyArn": {acct + ":policy/p1"}})
		c.mustPost("/console/roles/svc-role/delete-policy", url.Values{"PolicyName": {"read"}})
		if loc := c.mustPost("/console/roles/svc-role/delete", nil); loc != "/console/roles" {
			t.Errorf("after delete: %s", loc)
		}
		if list := c.get("/console/roles"); strings.Contains(list, ">svc-role<") || !strings.Contains(list, ">web-role<") {
			t.Error("roles list after delete")
		}
	})

	t.Run("sessions", func(t *testing.T) {
		c.t = t
		userARN := acct + ":user/cadmin"
		out := c.signed("sts", c.user, "Action=GetSessionToken&Version=2011-06-15", http.StatusOK)
		sess := sigv4.Credentials{AccessKeyID: rcKeyID.FindStringSubmatch(out)[1], SecretAccessKey: rcSecret.FindStringSubmatch(out)[1],
			SessionToken: htmlUnescape(rcToken.FindStringSubmatch(out)[1])}
		page := c.get("/console/sessions?principal=" + url.QueryEscape(userARN))
		if !strings.Contains(page, sess.AccessKeyID) || !strings.Contains(page, "ConsoleLogin") {
			t.Fatalf("sessions page lacks the session %s or the console's: %s", sess.AccessKeyID, page)
		}
		// Readable columns: key ids and dates do not wrap, ARNs do.
		for _, want := range []string{`<table class="sessions">`, `<td class="mono nowrap"><a href="/console/audit/credential?key=` + sess.AccessKeyID,
			`<td class="mono arn"><a href="/console/sessions?principal=`, `<td class="date">`} {
			if !strings.Contains(page, want) {
				t.Errorf("sessions page lacks %s", want)
			}
		}
		c.signed("sts", sess, "Action=GetCallerIdentity&Version=2011-06-15", http.StatusOK)
		c.mustPost("/console/sessions/revoke", url.Values{"PrincipalArn": {userARN}, "AccessKeyId": {sess.AccessKeyID}})
		c.signed("sts", sess, "Action=GetCallerIdentity&Version=2011-06-15", http.StatusForbidden)

		// Every session of a role issued before now.
		roleARN := acct + ":role/acct-plain"
		out = c.signed("sts", c.user, "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s1&RoleArn="+url.QueryEscape(roleARN), http.StatusOK)
		rs := sigv4.Credentials{AccessKeyID: rcKeyID.FindStringSubmatch(out)[1], SecretAccessKey: rcSecret.FindStringSubmatch(out)[1],
			SessionToken: htmlUnescape(rcToken.FindStringSubmatch(out)[1])}
		if !strings.Contains(c.get("/console/sessions?show=all&principal="+url.QueryEscape(roleARN)), rs.AccessKeyID) {
			t.Error("role session not listed")
		}
		c.signed("sts", rs, "Action=GetCallerIdentity&Version=2011-06-15", http.StatusOK)
		time.Sleep(1100 * time.Millisecond) // the cut-off is to the second
		c.mustPost("/console/sessions/revoke", url.Values{"PrincipalArn": {roleARN}})
		c.signed("sts", rs, "Action=GetCallerIdentity&Version=2011-06-15", http.StatusForbidden)
		// A time to come is not a revocation of future sessions: the API
		// cuts at now, and the page says so.
		if page := c.get(c.mustPost("/console/sessions/revoke", url.Values{"PrincipalArn": {roleARN}, "IssuedBefore": {"2099-01-01T00:00"}})); strings.Contains(page, "2099") {
			t.Errorf("revoke before 2099: the page says %s", page)
		}
		// The console session itself is untouched.
		c.get("/console/roles")
		// A principal that is not an ARN is refused on the page.
		if code, body := c.do(c.browser, http.MethodGet, "/console/sessions?principal=cadmin", nil); code != http.StatusBadRequest || !strings.Contains(body, `role="alert"`) {
			t.Errorf("principal cadmin: %d", code)
		}
	})

	// A role name from the address is one path segment in the page's
	// links and form: "../users/cadmin" must not make the inline policy
	// form post to the user's put-policy.
	t.Run("path", func(t *testing.T) {
		c.t = t
		page := c.get("/console/roles/..%2Fusers%2Fcadmin/inline-policy")
		if strings.Contains(page, "/console/roles/../") || !strings.Contains(page, `action="/console/roles/..%2fusers%2fcadmin/put-policy"`) &&
			!strings.Contains(page, `action="/console/roles/..%2Fusers%2Fcadmin/put-policy"`) {
			t.Errorf("inline policy form of role ../users/cadmin: %s", page)
		}
	})

	// A maximum session duration the form's list does not offer (the API
	// takes any from 1 to 12 hours) is offered, and chosen: saving the
	// description must not change it.
	t.Run("duration", func(t *testing.T) {
		c.t = t
		c.iam("Action=CreateRole&RoleName=Odd&MaxSessionDuration=5400&AssumeRolePolicyDocument=" + url.QueryEscape(portalTrust))
		page := c.get("/console/roles/Odd")
		if !strings.Contains(page, `<option value="5400" selected>`) {
			t.Errorf("role with a 5400 s maximum: %s", page)
		}
	})

	t.Run("csrf", func(t *testing.T) {
		c.t = t
		f := url.Values{"RoleName": {"no-csrf"}, "step": {"create"}, "TrustType": {"service"}, "ServicePrincipal": {"ec2.amazonaws.com"}}
		code, body := c.do(c.noRedir, http.MethodPost, "/console/roles/new", f)
		if code != http.StatusForbidden || !strings.Contains(body, "InvalidCSRFToken") {
			t.Errorf("POST without csrf: %d", code)
		}
		f.Set("csrf", "wrong")
		if code, _ := c.do(c.noRedir, http.MethodPost, "/console/roles/no-csrf/delete", f); code != http.StatusForbidden {
			t.Errorf("POST with a wrong csrf: %d", code)
		}
		for _, p := range []string{"/console/idps/delete", "/console/sessions/revoke"} {
			if code, _ := c.do(c.noRedir, http.MethodPost, p, url.Values{"arn": {samlARN}, "PrincipalArn": {acct + ":user/cadmin"}}); code != http.StatusForbidden {
				t.Errorf("%s without csrf: %d", p, code)
			}
		}
		if code, _ := signedPostTo(t, c.api, c.n.URL(), "iam", c.admin, "Action=GetRole&Version=2010-05-08&RoleName=no-csrf"); code != http.StatusNotFound {
			t.Errorf("role made without csrf: GetRole %d", code)
		}
		_ = oidcARN
	})
}

// htmlUnescape undoes html/template's escaping of an attribute value
// (and XML's of a response element).
func htmlUnescape(s string) string {
	r := strings.NewReplacer("&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#43;", "+", "&amp;", "&")
	return r.Replace(s)
}

// rcRawCloseScript reports whether page holds a </script> that closes
// no script element of the console's own.
func rcRawCloseScript(page string) bool {
	return strings.Count(page, "</script>") != strings.Count(page, "<script src=")
}
