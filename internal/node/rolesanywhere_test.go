package node

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/federation/x509/x509test"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// raEnv is a node, the admin's key, an operator user whose policy a test
// sets, and a role Roles Anywhere may assume.
type raEnv struct {
	n         *Node
	admin, op sigv4.Credentials
	role      string
}

func startRolesAnywhereNode(t *testing.T) *raEnv {
	t.Helper()
	dataDir := filepath.Join(t.TempDir(), "data")
	n, _ := startNode(t, dataDir, Options{})
	e := &raEnv{n: n, admin: adminCreds(t, dataDir)}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"rolesanywhere.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	e.iam(t, "Action=CreateRole&Version=2010-05-08&RoleName=power&AssumeRolePolicyDocument="+url.QueryEscape(trust))
	e.role = "arn:aws:iam::" + testAccount + ":role/power"
	e.op = newUserKey(t, e.iam, "raop")
	return e
}

// iam sends an IAM Query request as the admin.
func (e *raEnv) iam(t *testing.T, body string) string {
	t.Helper()
	return adminIAM(t, e.n, e.admin, body)
}

// allow replaces the operator's policy with one holding statements (JSON objects).
func (e *raEnv) allow(t *testing.T, statements ...string) {
	t.Helper()
	allowUser(t, e.iam, "raop", "ra", statements...)
}

// call sends a signed Roles Anywhere request and returns the status, the
// x-amzn-ErrorType and the body.
func (e *raEnv) call(t *testing.T, creds sigv4.Credentials, method, path, body string) (int, string, string) {
	t.Helper()
	u, _ := url.Parse(e.n.URL())
	req := sigv4.Request{Method: method, Path: path, Host: u.Host, Body: []byte(body), Header: http.Header{"Content-Type": {"application/json"}}}
	if err := (&sigv4.Signer{Credentials: creds}).Sign(&req, sigv4.SignOptions{Region: "us-east-1", Service: "rolesanywhere", Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	hr, _ := http.NewRequest(method, e.n.URL()+path, bytes.NewReader(req.Body))
	hr.Header = req.Header
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), string(b)
}

// count is how many objects a List action (path) answers as the admin.
func (e *raEnv) count(t *testing.T, path, field string) int {
	t.Helper()
	code, _, body := e.call(t, e.admin, "GET", path, "")
	if code != 200 {
		t.Fatalf("GET %s: %d %s", path, code, body)
	}
	var m map[string][]any
	_ = json.Unmarshal([]byte(body), &m)
	return len(m[field])
}

func wantDenied(t *testing.T, what string, code int, errType, body, naming string) {
	t.Helper()
	if code != 403 || !strings.HasPrefix(errType, "AccessDeniedException") || !strings.Contains(body, naming) {
		t.Errorf("%s: %d %s %s, want 403 AccessDeniedException naming %s", what, code, errType, body, naming)
	}
}

// TestRolesAnywhereProfileNeedsPassRole: putting a role in a profile
// hands it to every certificate the account's trust anchors accept, so
// CreateProfile and UpdateProfile need iam:PassRole on each role they
// set, with iam:PassedToService rolesanywhere.amazonaws.com, as AWS asks;
// rolesanywhere:* alone does not let a caller obtain a role through a CA
// it controls.
func TestRolesAnywhereProfileNeedsPassRole(t *testing.T) {
	e := startRolesAnywhereNode(t)
	ra := `{"Effect":"Allow","Action":"rolesanywhere:*","Resource":"*"}`
	create := `{"name":"p","roleArns":["` + e.role + `"]}`

	e.allow(t, ra)
	code, typ, body := e.call(t, e.op, "POST", "/profiles", create)
	wantDenied(t, "CreateProfile without iam:PassRole", code, typ, body, "iam:PassRole")
	if n := e.count(t, "/profiles", "profiles"); n != 0 {
		t.Errorf("profiles after a denied CreateProfile: %d, want 0", n)
	}

	// A profile without roles, made by the operator: an update that sets
	// none needs no iam:PassRole, one that sets the role does.
	code, _, body = e.call(t, e.op, "POST", "/profiles", `{"name":"empty","roleArns":[]}`)
	if code != 201 {
		t.Fatalf("CreateProfile without roles: %d %s", code, body)
	}
	var made struct {
		Profile struct {
			ProfileID string   `json:"profileId"`
			RoleArns  []string `json:"roleArns"`
		} `json:"profile"`
	}
	_ = json.Unmarshal([]byte(body), &made)
	id := made.Profile.ProfileID
	code, typ, body = e.call(t, e.op, "PATCH", "/profile/"+id, `{"roleArns":["`+e.role+`"]}`)
	wantDenied(t, "UpdateProfile setting a role without iam:PassRole", code, typ, body, "iam:PassRole")
	if code, _, body := e.call(t, e.op, "PATCH", "/profile/"+id, `{"name":"renamed"}`); code != 200 {
		t.Errorf("UpdateProfile setting no role: %d %s", code, body)
	}
	if _, _, body := e.call(t, e.admin, "GET", "/profile/"+id, ""); strings.Contains(body, e.role) {
		t.Errorf("the denied UpdateProfile changed the profile: %s", body)
	}

	// iam:PassRole for another service does not do.
	e.allow(t, ra, `{"Effect":"Allow","Action":"iam:PassRole","Resource":"`+e.role+`","Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}}`)
	code, typ, body = e.call(t, e.op, "POST", "/profiles", create)
	wantDenied(t, "CreateProfile with iam:PassRole to ec2", code, typ, body, "iam:PassRole")

	e.allow(t, ra, `{"Effect":"Allow","Action":"iam:PassRole","Resource":"`+e.role+`","Condition":{"StringEquals":{"iam:PassedToService":"rolesanywhere.amazonaws.com"}}}`)
	if code, _, body := e.call(t, e.op, "POST", "/profiles", create); code != 201 {
		t.Errorf("CreateProfile with iam:PassRole: %d %s", code, body)
	}
	if code, _, body := e.call(t, e.op, "PATCH", "/profile/"+id, `{"roleArns":["`+e.role+`","`+e.role+`"]}`); code != 200 {
		t.Errorf("UpdateProfile with iam:PassRole: %d %s", code, body)
	}
	// A second role the policy does not let the caller pass.
	e.iam(t, "Action=CreateRole&Version=2010-05-08&RoleName=other&AssumeRolePolicyDocument="+url.QueryEscape(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"rolesanywhere.amazonaws.com"},"Action":"sts:AssumeRole"}]}`))
	other := "arn:aws:iam::" + testAccount + ":role/other"
	code, typ, body = e.call(t, e.op, "PATCH", "/profile/"+id, `{"roleArns":["`+e.role+`","`+other+`"]}`)
	wantDenied(t, "UpdateProfile with one role not passable", code, typ, body, "iam:PassRole")
}

// TestRolesAnywhereCreateWithTagsNeedsTagResource: a create that carries
// tags also needs rolesanywhere:TagResource, as AWS asks, on the ARN of
// the new object's kind in the caller's account.
func TestRolesAnywhereCreateWithTagsNeedsTagResource(t *testing.T) {
	e := startRolesAnywhereNode(t)
	ca := x509test.NewCA(t, x509test.Options{CN: "tag CA"})
	base := `{"Effect":"Allow","Action":["rolesanywhere:Create*","rolesanywhere:ImportCrl","rolesanywhere:List*","rolesanywhere:Get*","iam:PassRole"],"Resource":"*"}`
	tags := `"tags":[{"key":"team","value":"web"}]`
	anchor := func(name, extra string) string {
		return `{"name":"` + name + `","enabled":true,"source":{"sourceType":"CERTIFICATE_BUNDLE","sourceData":{"x509CertificateData":` +
			pemJSON(ca.CertPEM()) + `}}` + extra + `}`
	}
	e.allow(t, base)
	code, _, body := e.call(t, e.op, "POST", "/trustanchors", anchor("plain", ""))
	if code != 201 {
		t.Fatalf("CreateTrustAnchor without tags: %d %s", code, body)
	}
	var made struct {
		TrustAnchor struct {
			TrustAnchorArn string `json:"trustAnchorArn"`
		} `json:"trustAnchor"`
	}
	_ = json.Unmarshal([]byte(body), &made)
	crl := func(name, extra string) string {
		return `{"name":"` + name + `","trustAnchorArn":"` + made.TrustAnchor.TrustAnchorArn + `","crlData":"` +
			base64.StdEncoding.EncodeToString(ca.CRL(t).Raw) + `"` + extra + `}`
	}
	profile := func(name, extra string) string {
		return `{"name":"` + name + `","roleArns":["` + e.role + `"]` + extra + `}`
	}
	creates := []struct {
		name, path, list string
		body             func(name, extra string) string
	}{
		{"CreateTrustAnchor", "/trustanchors", "trustAnchors", anchor},
		{"CreateProfile", "/profiles", "profiles", profile},
		{"ImportCrl", "/crls", "crls", crl},
	}
	for _, c := range creates {
		before := e.count(t, c.path, c.list)
		code, typ, body := e.call(t, e.op, "POST", c.path, c.body("tagged", ","+tags))
		wantDenied(t, c.name+" with tags without rolesanywhere:TagResource", code, typ, body, "rolesanywhere:TagResource")
		if got := e.count(t, c.path, c.list); got != before {
			t.Errorf("%s: %d objects after a denied create, want %d", c.name, got, before)
		}
	}

	// TagResource on one kind's ARNs, and only with the tag asked for.
	e.allow(t, base, `{"Effect":"Allow","Action":"rolesanywhere:TagResource","Resource":"arn:aws:rolesanywhere:us-east-1:`+testAccount+`:profile/*",`+
		`"Condition":{"StringEquals":{"aws:RequestTag/team":"web"}}}`)
	if code, _, body := e.call(t, e.op, "POST", "/profiles", profile("tagged", ","+tags)); code != 201 {
		t.Errorf("CreateProfile with tags and TagResource on profiles: %d %s", code, body)
	}
	code, typ, body := e.call(t, e.op, "POST", "/profiles", profile("other", `,"tags":[{"key":"team","value":"db"}]`))
	wantDenied(t, "CreateProfile with a tag TagResource's condition refuses", code, typ, body, "rolesanywhere:TagResource")
	code, typ, body = e.call(t, e.op, "POST", "/trustanchors", anchor("tagged", ","+tags))
	wantDenied(t, "CreateTrustAnchor with TagResource on profiles only", code, typ, body, "rolesanywhere:TagResource")

	e.allow(t, base, `{"Effect":"Allow","Action":"rolesanywhere:TagResource","Resource":"*"}`)
	for _, c := range creates {
		if code, _, body := e.call(t, e.op, "POST", c.path, c.body("tagged2", ","+tags)); code != 201 {
			t.Errorf("%s with tags and TagResource: %d %s", c.name, code, body)
		}
	}
}
