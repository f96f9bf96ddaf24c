package node

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit/audittest"
	"github.com/brevet-dev/brevet/internal/federation/x509/x509test"
	iotpkg "github.com/brevet-dev/brevet/internal/iot"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// iotEnv is a node with the IoT credentials provider on, its server CA,
// and the admin's key.
type iotEnv struct {
	n      *Node
	creds  sigv4.Credentials
	server *x509test.CA
}

func startIoTNode(tb testing.TB, env ...string) *iotEnv {
	tb.Helper()
	return startIoTNodeWith(tb, Options{}, env...)
}

func startIoTNodeWith(tb testing.TB, opts Options, env ...string) *iotEnv {
	tb.Helper()
	dir := tb.TempDir()
	srvCA := x509test.NewCA(tb, x509test.Options{CN: "iot server CA"})
	srv := srvCA.Leaf(tb, x509test.Options{CN: "127.0.0.1", IPs: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"}})
	files := srv.WritePEM(tb, tb.TempDir())
	dataDir := filepath.Join(dir, "data")
	n, _ := startNode(tb, dataDir, opts, append([]string{"BREVET_IOT_CREDENTIALS_LISTEN=127.0.0.1:0",
		"BREVET_IOT_CREDENTIALS_TLS_CERT=" + files.Cert, "BREVET_IOT_CREDENTIALS_TLS_KEY=" + files.Key}, env...)...)
	return &iotEnv{n: n, creds: adminCreds(tb, dataDir), server: srvCA}
}

// rest sends a signed IoT API request and returns the status and body.
func (e *iotEnv) rest(tb testing.TB, method, path, query string, header http.Header, body string) (int, string) {
	tb.Helper()
	code, _, b := e.restTyped(tb, method, path, query, header, body)
	return code, b
}

// restTyped is rest, with the response's x-amzn-ErrorType.
func (e *iotEnv) restTyped(tb testing.TB, method, path, query string, header http.Header, body string) (code int, errorType, respBody string) {
	tb.Helper()
	u, _ := url.Parse(e.n.URL())
	if header == nil {
		header = http.Header{}
	}
	if body != "" {
		header.Set("Content-Type", "application/json")
	}
	req := sigv4.Request{Method: method, Path: path, RawQuery: query, Host: u.Host, Body: []byte(body), Header: header}
	if err := (&sigv4.Signer{Credentials: e.creds}).Sign(&req, sigv4.SignOptions{Region: "us-east-1", Service: "iot", Time: time.Now()}); err != nil {
		tb.Fatal(err)
	}
	target := e.n.URL() + path
	if query != "" {
		target += "?" + query
	}
	hr, _ := http.NewRequest(method, target, bytes.NewReader(req.Body))
	hr.Header = req.Header
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), string(b)
}

func (e *iotEnv) mustREST(tb testing.TB, method, path, query string, header http.Header, body string) map[string]any {
	tb.Helper()
	code, out := e.rest(tb, method, path, query, header, body)
	if code != 200 {
		tb.Fatalf("%s %s: %d %s", method, path, code, out)
	}
	var m map[string]any
	_ = json.Unmarshal([]byte(out), &m)
	return m
}

// role creates a role whose trust policy allows service.
func (e *iotEnv) role(tb testing.TB, name, service string) string {
	tb.Helper()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + service + `"},"Action":"sts:AssumeRole"}]}`
	if code, body := signedPostTo(tb, http.DefaultClient, e.n.URL(), "iam", e.creds,
		"Action=CreateRole&Version=2010-05-08&RoleName="+name+"&AssumeRolePolicyDocument="+url.QueryEscape(trust)); code != 200 {
		tb.Fatalf("CreateRole: %d %s", code, body)
	}
	return "arn:aws:iam::" + testAccount + ":role/" + name
}

func pemJSON(b []byte) string { s, _ := json.Marshal(string(b)); return string(s) }

// deviceClient presents leaf (nil: no certificate) to the credentials
// provider; cache, when set, resumes TLS sessions.
func (e *iotEnv) deviceClient(leaf *x509test.Leaf, cache tls.ClientSessionCache) *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(e.server.Cert)
	cfg := &tls.Config{RootCAs: pool, ClientSessionCache: cache}
	if leaf != nil {
		cfg.Certificates = []tls.Certificate{{Certificate: [][]byte{leaf.Cert.Raw}, PrivateKey: leaf.Key, Leaf: leaf.Cert}}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: cache != nil}}
}

func (e *iotEnv) credentials(tb testing.TB, c *http.Client, alias, thing string) (*http.Response, string) {
	tb.Helper()
	req, _ := http.NewRequest("GET", e.n.IoTCredentialsURL()+"/role-aliases/"+alias+"/credentials", nil)
	if thing != "" {
		req.Header.Set("x-amzn-iot-thingname", thing)
	}
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// setUpDevices registers a CA, a device certificate it issued attached
// to thing lamp, a certificate without a CA, and role aliases.
func (e *iotEnv) setUpDevices(tb testing.TB) (ca *x509test.CA, dev, noCA *x509test.Leaf) {
	ca = x509test.NewCA(tb, x509test.Options{CN: "factory CA"})
	dev = ca.Leaf(tb, x509test.Options{CN: "lamp-001"})
	selfCA := x509test.NewCA(tb, x509test.Options{CN: "unregistered CA"})
	noCA = selfCA.Leaf(tb, x509test.Options{CN: "sensor-002", Key: x509test.RSA})
	e.mustREST(tb, "POST", "/cacertificate", "setAsActive=true", nil, `{"caCertificate":`+pemJSON(ca.CertPEM())+`}`)
	reg := e.mustREST(tb, "POST", "/certificate/register", "setAsActive=true", nil,
		`{"certificatePem":`+pemJSON(x509test.CertsPEM(dev.Cert))+`,"caCertificatePem":`+pemJSON(ca.CertPEM())+`}`)
	e.mustREST(tb, "POST", "/certificate/register-no-ca", "", nil, `{"certificatePem":`+pemJSON(x509test.CertsPEM(noCA.Cert))+`,"status":"ACTIVE"}`)
	e.mustREST(tb, "POST", "/things/lamp", "", nil, `{"attributePayload":{"attributes":{"room":"kitchen","floor":"2"}}}`)
	e.mustREST(tb, "POST", "/things/other", "", nil, "")
	e.mustREST(tb, "PUT", "/things/lamp/principals", "", http.Header{"X-Amzn-Principal": {reg["certificateArn"].(string)}}, "")
	e.mustREST(tb, "POST", "/role-aliases/lamp-role", "", nil, `{"roleArn":"`+e.role(tb, "lamp", "credentials.iot.amazonaws.com")+`","credentialDurationSeconds":900}`)
	e.mustREST(tb, "POST", "/role-aliases/ec2-role", "", nil, `{"roleArn":"`+e.role(tb, "ec2only", "ec2.amazonaws.com")+`"}`)
	return ca, dev, noCA
}

func TestIoTCredentialsProvider(t *testing.T) {
	e := startIoTNode(t)
	ca, dev, noCA := e.setUpDevices(t)
	stranger := x509test.NewCA(t, x509test.Options{}).Leaf(t, x509test.Options{CN: "stranger"})
	devID := certID(dev.Cert)
	tests := []struct {
		name         string
		leaf         *x509test.Leaf
		alias, thing string
		wantStatus   int
		wantMessage  string
	}{
		{name: "device with its thing", leaf: dev, alias: "lamp-role", thing: "lamp", wantStatus: 200},
		{name: "device without a thing", leaf: dev, alias: "lamp-role", wantStatus: 200},
		{name: "certificate without a CA", leaf: noCA, alias: "lamp-role", wantStatus: 200},
		{name: "no client certificate", alias: "lamp-role", wantStatus: 403, wantMessage: "Certificate is invalid on this endpoint"},
		{name: "unregistered certificate", leaf: stranger, alias: "lamp-role", wantStatus: 403, wantMessage: "Certificate is invalid on this endpoint"},
		{name: "thing not attached", leaf: dev, alias: "lamp-role", thing: "other", wantStatus: 403, wantMessage: "Invalid thing name passed"},
		{name: "no such thing", leaf: dev, alias: "lamp-role", thing: "ghost", wantStatus: 403, wantMessage: "Invalid thing name passed"},
		{name: "unknown role alias", leaf: dev, alias: "nope", wantStatus: 404, wantMessage: "Role alias does not exist"},
		{name: "role does not trust the provider", leaf: dev, alias: "ec2-role", wantStatus: 400,
			wantMessage: "Unable to assume the role, or the role to assume does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.credentials(t, e.deviceClient(tt.leaf, nil), tt.alias, tt.thing)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantStatus != 200 {
				if want := `{"message":"` + tt.wantMessage + `"}`; body != want {
					t.Errorf("body = %s, want %s", body, want)
				}
				return
			}
			var out struct {
				Credentials struct{ AccessKeyID, SecretAccessKey, SessionToken, Expiration string } `json:"credentials"`
			}
			if err := json.Unmarshal([]byte(body), &out); err != nil {
				t.Fatal(err)
			}
			c := out.Credentials
			exp, err := time.Parse("2006-01-02T15:04:05Z", c.Expiration)
			if err != nil || !strings.HasPrefix(c.AccessKeyID, "ASIA") || c.SecretAccessKey == "" || c.SessionToken == "" {
				t.Fatalf("credentials = %s", body)
			}
			if d := time.Until(exp); d < 14*time.Minute || d > 16*time.Minute {
				t.Errorf("expiration in %s, want the alias's 900 s", d)
			}
		})
	}

	// Status changes take effect for the very next request.
	client := e.deviceClient(dev, nil)
	want := func(status int) {
		t.Helper()
		if resp, body := e.credentials(t, client, "lamp-role", "lamp"); resp.StatusCode != status {
			t.Fatalf("status = %d, want %d (%s)", resp.StatusCode, status, body)
		}
	}
	update := func(path, status string) (int, string) { return e.rest(t, "PUT", path, "newStatus="+status, nil, "") }
	if code, body := update("/certificates/"+devID, "INACTIVE"); code != 200 {
		t.Fatalf("UpdateCertificate: %d %s", code, body)
	}
	want(403)
	update("/certificates/"+devID, "ACTIVE")
	want(200)
	if code, body := update("/cacertificate/"+certID(ca.Cert), "INACTIVE"); code != 200 {
		t.Fatalf("UpdateCACertificate: %d %s", code, body)
	}
	want(403)
	update("/cacertificate/"+certID(ca.Cert), "ACTIVE")
	want(200)
	update("/certificates/"+devID, "REVOKED")
	want(403)
	if code, body := update("/certificates/"+devID, "ACTIVE"); code != 406 || !strings.Contains(body, "REVOKED") {
		t.Errorf("reactivating a revoked certificate: %d %s, want 406 CertificateStateException", code, body)
	}
	// A certificate attached to a thing cannot be deleted; detached, it can.
	if code, body := e.rest(t, "DELETE", "/certificates/"+devID, "", nil, ""); code != 409 {
		t.Errorf("DeleteCertificate while attached: %d %s, want 409", code, body)
	}
}

func TestIoTSessionResumption(t *testing.T) {
	e := startIoTNode(t)
	_, dev, _ := e.setUpDevices(t)
	client := e.deviceClient(dev, tls.NewLRUClientSessionCache(8))
	for i := range 3 {
		resp, body := e.credentials(t, client, "lamp-role", "lamp")
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, body)
		}
		if resumed := resp.TLS.DidResume; resumed != (i > 0) {
			t.Errorf("request %d: resumed = %v, want %v", i, resumed, i > 0)
		}
		// Go's client offers the hybrid post-quantum exchange first; the
		// listener picks classic X25519 (server.classicCurves).
		if got := resp.TLS.CurveID; got != tls.X25519 {
			t.Errorf("request %d: key exchange %v, want X25519", i, got)
		}
	}
	// A resumed session carries the certificate, not its status: each
	// request is checked against the status of the moment.
	e.mustREST(t, "PUT", "/certificates/"+iotCertID(dev.Cert.Raw), "newStatus=INACTIVE", nil, "")
	resp, body := e.credentials(t, client, "lamp-role", "lamp")
	if resp.StatusCode != 403 || !resp.TLS.DidResume {
		t.Errorf("resumed after the certificate was deactivated: %d (resumed %v) %s, want 403", resp.StatusCode, resp.TLS.DidResume, body)
	}
}

func TestIoTManagementErrors(t *testing.T) {
	e := startIoTNode(t)
	ca, _, _ := e.setUpDevices(t)
	tests := []struct {
		name, method, path, query, body string
		header                          http.Header
		wantStatus                      int
		wantType                        string
	}{
		{name: "CA twice", method: "POST", path: "/cacertificate", body: `{"caCertificate":` + pemJSON(ca.CertPEM()) + `}`, wantStatus: 409, wantType: "ResourceAlreadyExistsException"},
		{name: "not a CA", method: "POST", path: "/cacertificate", body: `{"caCertificate":` + pemJSON(x509test.CertsPEM(ca.Leaf(t, x509test.Options{}).Cert)) + `}`, wantStatus: 400, wantType: "CertificateValidationException"},
		{name: "garbage PEM", method: "POST", path: "/certificate/register-no-ca", body: `{"certificatePem":"nope"}`, wantStatus: 400, wantType: "CertificateValidationException"},
		{name: "unregistered issuer", method: "POST", path: "/certificate/register", body: `{"certificatePem":` + pemJSON(x509test.CertsPEM(x509test.NewCA(t, x509test.Options{}).Leaf(t, x509test.Options{}).Cert)) + `}`, wantStatus: 400, wantType: "CertificateValidationException"},
		{name: "auto-registration", method: "POST", path: "/cacertificate", query: "allowAutoRegistration=true", body: `{"caCertificate":` + pemJSON(x509test.NewCA(t, x509test.Options{}).CertPEM()) + `}`, wantStatus: 400, wantType: "InvalidRequestException"},
		{name: "duration too short", method: "POST", path: "/role-aliases/short", body: `{"roleArn":"arn:aws:iam::111122223333:role/lamp","credentialDurationSeconds":60}`, wantStatus: 400, wantType: "InvalidRequestException"},
		{name: "alias twice", method: "POST", path: "/role-aliases/lamp-role", body: `{"roleArn":"arn:aws:iam::111122223333:role/lamp"}`, wantStatus: 409, wantType: "ResourceAlreadyExistsException"},
		{name: "no such alias", method: "GET", path: "/role-aliases/nope", wantStatus: 404, wantType: "ResourceNotFoundException"},
		{name: "no such certificate", method: "GET", path: "/certificates/" + strings.Repeat("a", 64), wantStatus: 404, wantType: "ResourceNotFoundException"},
		{name: "bad certificate id", method: "GET", path: "/certificates/xyz", wantStatus: 400, wantType: "InvalidRequestException"},
		{name: "thing with attached principal", method: "DELETE", path: "/things/lamp", wantStatus: 400, wantType: "InvalidRequestException"},
		{name: "version conflict", method: "PATCH", path: "/things/lamp", body: `{"expectedVersion":7}`, wantStatus: 409, wantType: "VersionConflictException"},
		{name: "bad attribute", method: "PATCH", path: "/things/lamp", body: `{"attributePayload":{"attributes":{"a b":"c"}}}`, wantStatus: 400, wantType: "InvalidRequestException"},
		{name: "attach a stranger", method: "PUT", path: "/things/other/principals", header: http.Header{"X-Amzn-Principal": {"arn:aws:iot:us-east-1:999999999999:cert/" + strings.Repeat("b", 64)}}, wantStatus: 400, wantType: "InvalidRequestException"},
		{name: "unknown endpoint type", method: "GET", path: "/endpoint", query: "endpointType=iot:Data-ATS", wantStatus: 400, wantType: "InvalidRequestException"},
		{name: "PUT on the Query protocol's path", method: "PUT", path: "/", wantStatus: 405},
		{name: "DELETE on a path no action has", method: "DELETE", path: "/nothing", query: "Action=GetCallerIdentity&Version=2011-06-15", wantStatus: 405},
		{name: "PUT on the health check", method: "PUT", path: "/healthz", wantStatus: 405},
		// The server refuses it before the codec sees it, in the codec's words.
		{name: "body over the server's limit", method: "POST", path: "/things/big", body: `{"attributePayload":{"attributes":{"a":"` + strings.Repeat("x", 1<<20) + `"}}}`,
			wantStatus: 413, wantType: "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, typ, body := e.restTyped(t, tt.method, tt.path, tt.query, tt.header, tt.body)
			if code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", code, tt.wantStatus, body)
			}
			if typ != tt.wantType {
				t.Errorf("x-amzn-ErrorType = %q, want %q", typ, tt.wantType)
			}
			if tt.wantType != "" && !strings.Contains(body, `"message"`) {
				t.Errorf("body = %s, want a message", body)
			}
		})
	}
	out := e.mustREST(t, "GET", "/endpoint", "endpointType=iot:CredentialProvider", nil, "")
	if got, want := out["endpointAddress"], strings.TrimPrefix(e.n.IoTCredentialsURL(), "https://"); got != want {
		t.Errorf("endpointAddress = %v, want %s", got, want)
	}
	th := e.mustREST(t, "GET", "/things/lamp", "", nil, "")
	if attrs, _ := th["attributes"].(map[string]any); attrs["room"] != "kitchen" || th["version"] != float64(1) {
		t.Errorf("DescribeThing = %v", th)
	}
	e.mustREST(t, "PATCH", "/things/lamp", "", nil, `{"attributePayload":{"attributes":{"room":"","color":"red"},"merge":true}}`)
	th = e.mustREST(t, "GET", "/things/lamp", "", nil, "")
	if attrs, _ := th["attributes"].(map[string]any); attrs["room"] != nil || attrs["color"] != "red" || attrs["floor"] != "2" || th["version"] != float64(2) {
		t.Errorf("after a merge, DescribeThing = %v", th)
	}
}

func certID(c *x509.Certificate) string {
	return iotCertID(c.Raw)
}

func iotCertID(der []byte) string { return iotpkg.CertificateID(der) }

// BenchmarkIoTCredentials measures the credentials provider's whole path
// (TLS handshake, certificate lookup, trust evaluation, minting, audit)
// with a device that opens a new connection per request and resumes its
// TLS session, and with one that keeps its connection.
func BenchmarkIoTCredentials(b *testing.B) {
	for _, sink := range []string{"durable", "null"} {
		var opts Options
		if sink == "null" {
			opts.AuditOpenFile = audittest.OpenNull
		}
		e := startIoTNodeWith(b, opts, "BREVET_LOG_LEVEL=error", "BREVET_LIMIT_REQUESTS_PER_CALLER=1000000/s:1000000",
			"BREVET_LIMIT_MAX_CONNECTIONS_PER_SOURCE=off", "BREVET_LIMIT_MAX_IN_FLIGHT_PER_SOURCE=off")
		_, dev, _ := e.setUpDevices(b)
		for _, conn := range []string{"resume", "keepalive"} {
			b.Run(sink+"/"+conn+"/c64", func(b *testing.B) { benchDevice(b, e, dev, conn == "resume") })
		}
	}
}

// benchDevice fetches credentials from 64 goroutines (parallelism 32 on
// this 2-core machine), on new connections that resume their TLS
// sessions, or on kept-alive ones.
func benchDevice(b *testing.B, e *iotEnv, dev *x509test.Leaf, resume bool) {
	var cache tls.ClientSessionCache
	if resume {
		cache = tls.NewLRUClientSessionCache(64)
	}
	client := e.deviceClient(dev, cache)
	if !resume {
		client.Transport.(*http.Transport).MaxIdleConnsPerHost = 256
	}
	url := e.n.IoTCredentialsURL() + "/role-aliases/lamp-role/credentials"
	var resumed atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", url, nil)
			req.Header.Set("x-amzn-iot-thingname", "lamp")
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
			if resp.TLS.DidResume {
				resumed.Add(1)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creds/s")
	if resume {
		b.ReportMetric(float64(resumed.Load())/float64(b.N), "resumed/op")
	}
}

// TestIoTRoleAliasNeedsPassRole checks that a caller allowed iot:* but
// not iam:PassRole cannot point a role alias at a role, as AWS refuses.
func TestIoTRoleAliasNeedsPassRole(t *testing.T) {
	e := startIoTNode(t)
	role := e.role(t, "lamp", "credentials.iot.amazonaws.com")
	call := func(body string) string {
		t.Helper()
		code, out := signedPostTo(t, http.DefaultClient, e.n.URL(), "iam", e.creds, body)
		if code != 200 {
			t.Fatalf("%s: %d %s", body, code, out)
		}
		return out
	}
	call("Action=CreateUser&Version=2010-05-08&UserName=iotop")
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}`
	call("Action=PutUserPolicy&Version=2010-05-08&UserName=iotop&PolicyName=iot&PolicyDocument=" + url.QueryEscape(policy))
	out := call("Action=CreateAccessKey&Version=2010-05-08&UserName=iotop")
	between := func(s, a, b string) string { _, r, _ := strings.Cut(s, a); v, _, _ := strings.Cut(r, b); return v }
	op := &iotEnv{n: e.n, server: e.server, creds: sigv4.Credentials{
		AccessKeyID: between(out, "<AccessKeyId>", "<"), SecretAccessKey: between(out, "<SecretAccessKey>", "<")}}
	code, body := op.rest(t, "POST", "/role-aliases/lamp-role", "", nil, `{"roleArn":"`+role+`"}`)
	if code != 403 || !strings.Contains(body, "iam:PassRole") {
		t.Errorf("CreateRoleAlias without iam:PassRole: %d %s, want 403 naming iam:PassRole", code, body)
	}
	if code, body := op.rest(t, "GET", "/role-aliases", "", nil, ""); code != 200 {
		t.Errorf("ListRoleAliases with iot:*: %d %s", code, body)
	}
	policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iot:*","iam:PassRole"],"Resource":"*"}]}`
	call("Action=PutUserPolicy&Version=2010-05-08&UserName=iotop&PolicyName=iot&PolicyDocument=" + url.QueryEscape(policy))
	if code, body := op.rest(t, "POST", "/role-aliases/lamp-role", "", nil, `{"roleArn":"`+role+`"}`); code != 200 {
		t.Errorf("CreateRoleAlias with iam:PassRole: %d %s", code, body)
	}
}

// TestIoTThingKeys checks the credentials-iot keys: in the trust
// policy's conditions, and, when the trust policy allows sts:TagSession,
// in the session as principal tags its permission policies read.
func TestIoTThingKeys(t *testing.T) {
	e := startIoTNode(t)
	_, dev, _ := e.setUpDevices(t)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"credentials.iot.amazonaws.com"},` +
		`"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"credentials-iot:ThingAttributes/room":"kitchen",` +
		`"aws:SourceAccount":"` + testAccount + `","aws:SourceArn":"arn:aws:iot:us-east-1:` + testAccount + `:rolealias/tagged"}}}]}`
	perms := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:DescribeThing",` +
		`"Resource":"arn:aws:iot:us-east-1:` + testAccount + `:thing/${aws:PrincipalTag/credentials-iot:ThingName}"}]}`
	for _, body := range []string{
		"Action=CreateRole&Version=2010-05-08&RoleName=tagged&AssumeRolePolicyDocument=" + url.QueryEscape(trust),
		"Action=PutRolePolicy&Version=2010-05-08&RoleName=tagged&PolicyName=things&PolicyDocument=" + url.QueryEscape(perms),
	} {
		if code, out := signedPostTo(t, http.DefaultClient, e.n.URL(), "iam", e.creds, body); code != 200 {
			t.Fatalf("%d %s", code, out)
		}
	}
	e.mustREST(t, "POST", "/role-aliases/tagged", "", nil, `{"roleArn":"arn:aws:iam::`+testAccount+`:role/tagged"}`)
	client := e.deviceClient(dev, nil)
	if resp, body := e.credentials(t, client, "tagged", ""); resp.StatusCode != 400 {
		t.Errorf("without a thing, the trust condition on its attribute fails: %d %s, want 400", resp.StatusCode, body)
	}
	resp, body := e.credentials(t, client, "tagged", "lamp")
	if resp.StatusCode != 200 {
		t.Fatalf("with thing lamp: %d %s", resp.StatusCode, body)
	}
	var out struct {
		Credentials struct{ AccessKeyID, SecretAccessKey, SessionToken string } `json:"credentials"`
	}
	_ = json.Unmarshal([]byte(body), &out)
	sess := &iotEnv{n: e.n, creds: sigv4.Credentials{AccessKeyID: out.Credentials.AccessKeyID,
		SecretAccessKey: out.Credentials.SecretAccessKey, SessionToken: out.Credentials.SessionToken}}
	if code, body := sess.rest(t, "GET", "/things/lamp", "", nil, ""); code != 200 {
		t.Errorf("the session describes its own thing: %d %s", code, body)
	}
	if code, body := sess.rest(t, "GET", "/things/other", "", nil, ""); code != 403 {
		t.Errorf("the session describes another thing: %d %s, want 403", code, body)
	}
}

// TestIoTEndpointHostileRequests checks requests the credentials
// provider must refuse with its JSON errors, never a 5xx.
func TestIoTEndpointHostileRequests(t *testing.T) {
	e := startIoTNode(t)
	_, dev, _ := e.setUpDevices(t)
	client := e.deviceClient(dev, nil)
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	base := e.n.IoTCredentialsURL()
	tests := []struct {
		name, method, path string
		header             http.Header
		want               int
	}{
		{"POST", "POST", "/role-aliases/lamp-role/credentials", nil, 404},
		{"unknown path", "GET", "/", nil, 404},
		{"an API action's path", "GET", "/role-aliases/lamp-role", nil, 404},
		{"two thing names", "GET", "/role-aliases/lamp-role/credentials", http.Header{"X-Amzn-Iot-Thingname": {"lamp", "other"}}, 403},
		{"empty thing name", "GET", "/role-aliases/lamp-role/credentials", http.Header{"X-Amzn-Iot-Thingname": {""}}, 403},
		{"thing name not a name", "GET", "/role-aliases/lamp-role/credentials", http.Header{"X-Amzn-Iot-Thingname": {"../lamp"}}, 403},
		{"alias not a name", "GET", "/role-aliases/%2e%2e/credentials", nil, 404},
		{"long alias", "GET", "/role-aliases/" + strings.Repeat("a", 300) + "/credentials", nil, 404},
		{"dot segments", "GET", "/role-aliases/../role-aliases/lamp-role/credentials", nil, 404},
		{"empty segment", "GET", "/role-aliases//credentials", nil, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, base+tt.path, nil)
			for k, v := range tt.header {
				req.Header[k] = v
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want || !strings.HasPrefix(string(b), `{"message":`) {
				t.Errorf("%d %s, want %d with a message", resp.StatusCode, b, tt.want)
			}
		})
	}
}

// TestIoTWithTheAPICertificate serves the credentials provider with the
// API's certificate (no iot.credentials.tls_cert_file), and the API's
// client-certificate settings do not apply to it.
func TestIoTWithTheAPICertificate(t *testing.T) {
	dir := t.TempDir()
	srvCA := x509test.NewCA(t, x509test.Options{CN: "server CA"})
	files := srvCA.Leaf(t, x509test.Options{CN: "127.0.0.1", IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}).WritePEM(t, dir)
	clientCA := x509test.NewCA(t, x509test.Options{CN: "API client CA"})
	caFile := filepath.Join(dir, "client-ca.pem")
	if err := os.WriteFile(caFile, clientCA.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(dir, "data")
	n, _ := startNode(t, dataDir, Options{}, "BREVET_TLS_CERT="+files.Cert, "BREVET_TLS_KEY="+files.Key,
		"BREVET_TLS_CLIENT_CA_FILE="+caFile, "BREVET_TLS_CLIENT_AUTH=verify-if-given", "BREVET_IOT_CREDENTIALS_LISTEN=127.0.0.1:0")
	e := &iotEnv{n: n, creds: adminCreds(t, dataDir), server: srvCA}
	pool := x509.NewCertPool()
	pool.AddCert(srvCA.Cert)
	api := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"credentials.iot.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if code, body := signedPostTo(t, api, n.URL(), "iam", e.creds,
		"Action=CreateRole&Version=2010-05-08&RoleName=lamp&AssumeRolePolicyDocument="+url.QueryEscape(trust)); code != 200 {
		t.Fatalf("CreateRole: %d %s", code, body)
	}
	// A device certificate from a CA the API's client CA file does not
	// hold: the credentials provider's listener takes it all the same.
	dev := x509test.NewCA(t, x509test.Options{CN: "factory"}).Leaf(t, x509test.Options{CN: "dev"})
	ctx, now := t.Context(), time.Now()
	if _, err := n.iot.svc.RegisterCertificateWithoutCA(ctx, testAccount, &iotpkg.RegisterCertificateInput{
		CertificatePem: string(x509test.CertsPEM(dev.Cert)), Status: "ACTIVE"}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := n.iot.svc.CreateRoleAlias(ctx, testAccount, &iotpkg.CreateRoleAliasInput{RoleAlias: "lamp-role",
		RoleArn: "arn:aws:iam::" + testAccount + ":role/lamp"}, now); err != nil {
		t.Fatal(err)
	}
	if resp, body := e.credentials(t, e.deviceClient(dev, nil), "lamp-role", ""); resp.StatusCode != 200 {
		t.Errorf("credentials over the API's certificate: %d %s", resp.StatusCode, body)
	}
}

// TestIoTSessionContext: an IoT credentials provider session carries the
// credentials-iot keys into its own requests, as AWS's do, whatever the
// trust policy allows (here sts:AssumeRole only, so no session tags):
// ${credentials-iot:ThingName} in a resource lets a thing describe itself
// and nothing else, and a condition reads its attributes.
func TestIoTSessionContext(t *testing.T) {
	e := startIoTNode(t)
	_, dev, _ := e.setUpDevices(t)
	perms := `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Action":"iot:DescribeThing","Resource":"arn:aws:iot:us-east-1:` + testAccount + `:thing/${credentials-iot:ThingName}"},` +
		`{"Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::` + testAccount + `:role/${credentials-iot:ThingName}",` +
		`"Condition":{"StringEquals":{"credentials-iot:ThingAttributes/room":"kitchen","credentials-iot:AwsCertificateId":"` + certID(dev.Cert) + `"}}}]}`
	if code, out := signedPostTo(t, http.DefaultClient, e.n.URL(), "iam", e.creds,
		"Action=PutRolePolicy&Version=2010-05-08&RoleName=lamp&PolicyName=things&PolicyDocument="+url.QueryEscape(perms)); code != 200 {
		t.Fatalf("PutRolePolicy: %d %s", code, out)
	}
	session := func(thing string) *iotEnv {
		t.Helper()
		resp, body := e.credentials(t, e.deviceClient(dev, nil), "lamp-role", thing)
		if resp.StatusCode != 200 {
			t.Fatalf("credentials for thing %q: %d %s", thing, resp.StatusCode, body)
		}
		var out struct {
			Credentials struct{ AccessKeyID, SecretAccessKey, SessionToken string } `json:"credentials"`
		}
		_ = json.Unmarshal([]byte(body), &out)
		return &iotEnv{n: e.n, creds: sigv4.Credentials{AccessKeyID: out.Credentials.AccessKeyID,
			SecretAccessKey: out.Credentials.SecretAccessKey, SessionToken: out.Credentials.SessionToken}}
	}
	lamp, none := session("lamp"), session("")
	for _, tt := range []struct {
		name string
		sess *iotEnv
		path string
		want int
	}{
		{"its own thing", lamp, "/things/lamp", 200},
		{"another thing", lamp, "/things/other", 403},
		{"no thing named", none, "/things/lamp", 403},
	} {
		if code, body := tt.sess.rest(t, "GET", tt.path, "", nil, ""); code != tt.want {
			t.Errorf("DescribeThing, %s: %d %s, want %d", tt.name, code, body, tt.want)
		}
	}
	getRole := func(s *iotEnv, name string) (int, string) {
		return signedPostTo(t, http.DefaultClient, e.n.URL(), "iam", s.creds, "Action=GetRole&Version=2010-05-08&RoleName="+name)
	}
	if code, body := getRole(lamp, "lamp"); code != 200 {
		t.Errorf("GetRole of the role named after its thing: %d %s", code, body)
	}
	code, body := getRole(lamp, "ec2only")
	wantError(t, "GetRole of another role", code, body, 403, "AccessDenied")
	code, body = getRole(none, "lamp")
	wantError(t, "GetRole without a thing", code, body, 403, "AccessDenied")
}
