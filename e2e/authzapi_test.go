package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/brevet-dev/brevet/internal/audit"
)

// authzRoutes is the route map of the tests' orders service.
const authzRoutes = `
services:
  - name: orders
    bearer_audiences: [orders]
    routes:
      - method: GET
        path: /orders/{id}
        action: orders:GetOrder
        resource: arn:aws:orders:{region}:{account}:order/{id}
      - method: POST
        path: /orders
        action: orders:CreateOrder
        resource: arn:aws:orders:{region}:{account}:order/*
`

// authzNginxConf wraps the nginx configuration docs/authorization-api.md
// shows (its server block, as pasted) in a main configuration with a
// temporary prefix.
const authzNginxConf = `
daemon off;
worker_processes 1;
pid {{.Dir}}/nginx.pid;
error_log {{.Dir}}/error.log info;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path {{.Dir}}/body;
  proxy_temp_path {{.Dir}}/proxy;
  fastcgi_temp_path {{.Dir}}/fastcgi;
  uwsgi_temp_path {{.Dir}}/uwsgi;
  scgi_temp_path {{.Dir}}/scgi;
{{.Doc}}
}
`

// docNginx is the ```nginx block of docs/authorization-api.md with the
// addresses it names (Brevet on 127.0.0.1:8787, nginx on 8080, the
// service on 127.0.0.1:9000) replaced by the test's.
func docNginx(t *testing.T, brevetURL, listen, upstream string) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "docs", "authorization-api.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```nginx\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/authorization-api.md has no ```nginx block")
	}
	conf := string(m[1])
	for _, r := range [][2]string{
		{"server 127.0.0.1:8787;", "server " + strings.TrimPrefix(brevetURL, "http://") + ";"},
		{"listen 8080;", "listen " + listen + ";"},
		{"proxy_pass http://127.0.0.1:9000;", "proxy_pass " + upstream + ";"},
	} {
		if !strings.Contains(conf, r[0]) {
			t.Fatalf("the documented nginx configuration no longer holds %q", r[0])
		}
		conf = strings.Replace(conf, r[0], r[1], 1)
	}
	return conf
}

// freePort is a loopback address nothing listens on (for a server that
// must be told its address before it starts).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startNginx runs the real nginx with the documented configuration
// until the test ends.
func startNginx(t *testing.T, brevetURL, upstream string) string {
	t.Helper()
	need(t, "nginx", have("nginx"))
	dir := t.TempDir()
	listen := freePort(t)
	var conf bytes.Buffer
	template.Must(template.New("nginx").Parse(authzNginxConf)).Execute(&conf, map[string]string{
		"Dir": dir, "Doc": docNginx(t, brevetURL, listen, upstream)})
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), conf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("nginx", "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-e", filepath.Join(dir, "error.log"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt) // nginx: fast shutdown (SIGINT)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx output:\n%s\nerror.log:\n%s", out.String(), log)
		}
	})
	until(t, "nginx listens", 10*time.Second, func() (bool, error) {
		c, err := net.Dial("tcp", listen)
		if err == nil {
			c.Close()
		}
		return err == nil, nil
	})
	return "http://" + listen
}

// echoUpstream is the service behind the proxy: it answers with the
// identity headers it received and the body's length.
func echoUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		out := map[string]string{"body": fmt.Sprint(len(body))}
		for k, v := range r.Header {
			if strings.HasPrefix(k, "X-Brevet-") {
				out[k] = strings.Join(v, ",")
			}
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(s.Close)
	return s
}

// authzSetup starts Brevet with the route map and makes a role the
// caller's session comes from: it may read order 1 and create orders.
func authzSetup(t *testing.T) (b *brevet, grpcAddr string, admin aws.Config, roleARN string) {
	t.Helper()
	dir := t.TempDir()
	routes := filepath.Join(dir, "routes.yaml")
	if err := os.WriteFile(routes, []byte(authzRoutes), 0o600); err != nil {
		t.Fatal(err)
	}
	grpcAddr = freePort(t)
	b = startBrevet(t, "--authz-api-route-map", routes, "--authz-api-grpc-listen", grpcAddr, "--issuer-url", "https://brevet.test")
	admin = b.goAdmin(t)
	ctx := context.Background()
	ic := iam.NewFromConfig(admin)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount +
		`:root"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}`
	out, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("orders-client"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	roleARN = aws.ToString(out.Role.Arn)
	if _, err := ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("orders-client"), PolicyName: aws.String("orders"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[` +
			`{"Effect":"Allow","Action":"orders:GetOrder","Resource":"arn:aws:orders:us-east-1:` + testAccount + `:order/1"},` +
			`{"Effect":"Allow","Action":"orders:CreateOrder","Resource":"*"},` +
			`{"Effect":"Allow","Action":"sts:GetWebIdentityToken","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	return b, grpcAddr, admin, roleARN
}

func assumeOrdersClient(t *testing.T, admin aws.Config, roleARN, session string) *ststypes.Credentials {
	t.Helper()
	out, err := sts.NewFromConfig(admin).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String(session), SourceIdentity: aws.String("alice"),
		Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	suiteSecrets.add(aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
	return out.Credentials
}

var emptySHA256 = hex.EncodeToString(func() []byte { s := sha256.Sum256(nil); return s[:] }())

// sigv4Request is a request to the orders service signed by
// aws-sdk-go-v2's signer with c at at.
func sigv4Request(t *testing.T, c *ststypes.Credentials, method, url string, body []byte, at time.Time) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	hash := emptySHA256
	if len(body) > 0 {
		sum := sha256.Sum256(body)
		hash = hex.EncodeToString(sum[:])
		// Brevet never sees the body: the signed request declares its
		// hash, and the service checks the body against it.
		r.Header.Set("X-Amz-Content-Sha256", hash)
	}
	creds := aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hash, "orders", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return r
}

type proxied struct {
	status int
	code   string
	echo   map[string]string
}

func send(t *testing.T, r *http.Request) proxied {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	p := proxied{status: resp.StatusCode, code: resp.Header.Get("X-Brevet-Error-Code")}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, &p.echo); err != nil {
			t.Fatalf("the upstream's answer: %v: %s", err, data)
		}
	}
	return p
}

// TestAuthzAPIWithNginx: the real nginx asks Brevet with auth_request
// before it proxies to a service; the service sees who called, and
// nothing else gets through.
func TestAuthzAPIWithNginx(t *testing.T) {
	b, _, admin, roleARN := authzSetup(t)
	up := echoUpstream(t)
	front := startNginx(t, b.URL, up.URL)
	c := assumeOrdersClient(t, admin, roleARN, "nginx-client")
	now := time.Now()
	forged := *c
	forged.SecretAccessKey = aws.String("not-the-secret-access-key-of-this-session")
	presigned := func() *http.Request {
		// aws-sdk-go-v2's signer takes the validity from the query, as
		// its S3 presign client puts it there.
		r, _ := http.NewRequest("GET", front+"/orders/1?view=full&X-Amz-Expires=300", nil)
		creds := aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)}
		u, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, r, "UNSIGNED-PAYLOAD", "orders", "us-east-1", now)
		if err != nil {
			t.Fatal(err)
		}
		r, _ = http.NewRequest("GET", u, nil)
		return r
	}
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantCode   string
	}{
		{"allowed", sigv4Request(t, c, "GET", front+"/orders/1", nil, now), 200, ""},
		{"allowed with a body", sigv4Request(t, c, "POST", front+"/orders", []byte(`{"item":"tea"}`), now), 200, ""},
		{"presigned", presigned(), 200, ""},
		{"denied by policy", sigv4Request(t, c, "GET", front+"/orders/2", nil, now), 403, "AccessDenied"},
		{"no route", sigv4Request(t, c, "GET", front+"/invoices/1", nil, now), 403, "AccessDenied"},
		{"unsigned", func() *http.Request { r, _ := http.NewRequest("GET", front+"/orders/1", nil); return r }(), 401, "MissingAuthenticationToken"},
		{"forged", sigv4Request(t, &forged, "GET", front+"/orders/1", nil, now), 401, "SignatureDoesNotMatch"},
		{"signed an hour ago", sigv4Request(t, c, "GET", front+"/orders/1", nil, now.Add(-time.Hour)), 401, "SignatureDoesNotMatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := send(t, tt.req)
			if got.status != tt.wantStatus || got.code != tt.wantCode {
				t.Fatalf("got %d %q, want %d %q", got.status, got.code, tt.wantStatus, tt.wantCode)
			}
			if tt.wantStatus != 200 {
				return
			}
			want := map[string]string{
				"X-Brevet-Principal-Arn":   "arn:aws:sts::" + testAccount + ":assumed-role/orders-client/nginx-client",
				"X-Brevet-Account":         testAccount,
				"X-Brevet-Session-Name":    "nginx-client",
				"X-Brevet-Source-Identity": "alice",
				"X-Brevet-Tags":            "team=blue",
			}
			for k, v := range want {
				if got.echo[k] != v {
					t.Errorf("the upstream saw %s = %q, want %q", k, got.echo[k], v)
				}
			}
		})
	}

	// An identity header the client sends itself never reaches the
	// service: the documented configuration sets every one Brevet
	// answers, replacing the client's.
	spoof := sigv4Request(t, c, "GET", front+"/orders/1", nil, now)
	spoof.Header.Set("X-Brevet-Principal-Id", "AIDASPOOFEDADMIN")
	if got := send(t, spoof); got.status != 200 || !strings.HasSuffix(got.echo["X-Brevet-Principal-Id"], ":nginx-client") {
		t.Errorf("a client-sent X-Brevet-Principal-Id: got %d, the upstream saw %q; want 200 and the session's principal id", got.status, got.echo["X-Brevet-Principal-Id"])
	}

	// A session revoked after it was issued is refused at once.
	sessionsCLI(t, b, b, "revoke", "--access-key-id", aws.ToString(c.AccessKeyId))
	if got := send(t, sigv4Request(t, c, "GET", front+"/orders/1", nil, time.Now())); got.status != 401 || got.code != "InvalidClientTokenId" {
		t.Errorf("revoked session: got %d %q, want 401 InvalidClientTokenId", got.status, got.code)
	}

	// A bearer token from GetWebIdentityToken, for the service's audience.
	c2 := assumeOrdersClient(t, admin, roleARN, "bearer-client")
	tok, err := sts.NewFromConfig(fromSTS(b, c2)).GetWebIdentityToken(context.Background(), &sts.GetWebIdentityTokenInput{
		Audience: []string{"orders"}, SigningAlgorithm: aws.String("ES384")})
	if err != nil {
		t.Fatalf("GetWebIdentityToken: %v", err)
	}
	suiteSecrets.add(aws.ToString(tok.WebIdentityToken))
	r, _ := http.NewRequest("GET", front+"/orders/1", nil)
	r.Header.Set("Authorization", "Bearer "+aws.ToString(tok.WebIdentityToken))
	got := send(t, r)
	if got.status != 200 || !strings.HasPrefix(got.echo["X-Brevet-Principal-Arn"], "arn:aws:sts::"+testAccount+":assumed-role/orders-client/bearer-") {
		t.Errorf("bearer token: got %d %v", got.status, got.echo)
	}
	r, _ = http.NewRequest("GET", front+"/orders/2", nil)
	r.Header.Set("Authorization", "Bearer "+aws.ToString(tok.WebIdentityToken))
	if got := send(t, r); got.status != 403 {
		t.Errorf("bearer token on order 2: got %d, want 403", got.status)
	}

	// Every check is a data event of the orders service, the presigned
	// URL's query (signature, session token) left out.
	b.stop(t)
	counts := map[string]int{}
	err = audit.WalkEvents(filepath.Join(b.DataDir, "audit"), func(_ uint64, e *audit.Event) error {
		if e.EventSource != "orders.amazonaws.com" {
			return nil
		}
		if e.EventCategory != "Data" || e.ManagementEvent {
			t.Errorf("event %s: category %q, management %v; want a data event", e.EventName, e.EventCategory, e.ManagementEvent)
		}
		if p, _ := e.RequestParameters["path"].(string); strings.Contains(p, "X-Amz") {
			t.Errorf("event %s records the query: %q", e.EventName, p)
		}
		key := e.EventName + "/" + e.ErrorCode
		if d := e.AdditionalEventData; d != nil && d.CheckProtocol != "" {
			key += "/" + d.CheckProtocol
		}
		counts[key]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"GetOrder//nginx", "CreateOrder//nginx", "GetOrder/AccessDenied/nginx"} {
		if counts[k] == 0 {
			t.Errorf("no %s event in the trail (%v)", k, counts)
		}
	}
}

// TestAuthzAPIWithEnvoyGRPC drives the gRPC ext_authz service with a
// client built from go-control-plane's types, as Envoy calls it.
func TestAuthzAPIWithEnvoyGRPC(t *testing.T) {
	b, grpcAddr, admin, roleARN := authzSetup(t)
	c := assumeOrdersClient(t, admin, roleARN, "envoy-client")
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := authv3.NewAuthorizationClient(conn)
	check := func(r *http.Request) *authv3.CheckResponse {
		t.Helper()
		hdr := map[string]string{}
		for k, v := range r.Header {
			hdr[strings.ToLower(k)] = strings.Join(v, ",")
		}
		hdr["x-brevet-principal-arn"] = "arn:aws:iam::" + testAccount + ":user/admin" // a client's attempt to pass as admin
		resp, err := client.Check(context.Background(), &authv3.CheckRequest{Attributes: &authv3.AttributeContext{
			Source: &authv3.AttributeContext_Peer{},
			Request: &authv3.AttributeContext_Request{Http: &authv3.AttributeContext_HttpRequest{
				Method: r.Method, Path: r.URL.RequestURI(), Host: r.Host, Headers: hdr, Scheme: "https", Protocol: "HTTP/1.1"}},
		}})
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		return resp
	}
	ok := check(sigv4Request(t, c, "GET", "https://orders.internal/orders/1", nil, time.Now()))
	if ok.GetOkResponse() == nil || ok.GetStatus().GetCode() != 0 {
		t.Fatalf("allowed request: %v", ok)
	}
	headers := map[string]string{}
	for _, h := range ok.GetOkResponse().GetHeaders() {
		headers[h.GetHeader().GetKey()] = h.GetHeader().GetValue()
	}
	if got, want := headers["x-brevet-principal-arn"], "arn:aws:sts::"+testAccount+":assumed-role/orders-client/envoy-client"; got != want {
		t.Errorf("x-brevet-principal-arn = %q, want %q", got, want)
	}
	if got := headers["x-brevet-tag-team"]; got != "blue" {
		t.Errorf("x-brevet-tag-team = %q, want blue", got)
	}

	denied := check(sigv4Request(t, c, "GET", "https://orders.internal/orders/2", nil, time.Now()))
	d := denied.GetDeniedResponse()
	if d == nil || d.GetStatus().GetCode() != 403 {
		t.Fatalf("denied request: %v", denied)
	}
	var body struct{ Error, Message, EncodedMessage string }
	if err := json.Unmarshal([]byte(d.GetBody()), &body); err != nil {
		t.Fatalf("denied body %q: %v", d.GetBody(), err)
	}
	wantMsg := "User: arn:aws:sts::" + testAccount + ":assumed-role/orders-client/envoy-client is not authorized to perform: orders:GetOrder on resource: arn:aws:orders:us-east-1:" + testAccount + ":order/2"
	if body.Error != "AccessDenied" || !strings.HasPrefix(body.Message, wantMsg) {
		t.Errorf("denied body = %+v, want AccessDenied %q", body, wantMsg)
	}
	_ = b
}
