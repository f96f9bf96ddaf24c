package node

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/federation/fedtest"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// testRouteMap is the route map the node tests serve.
const testRouteMap = `
services:
  - name: orders
    routes:
      - method: GET
        path: /orders/{id}
        action: orders:GetOrder
        resource: arn:aws:orders:{region}:{account}:order/{id}
        conditions:
          orders:Tenant: header:X-Tenant
      - method: POST
        path: /orders
        action: orders:CreateOrder
        resource: arn:aws:orders:{region}:{account}:order/*
`

// limitedPolicy lets the user read order 1 only.
const limitedPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"orders:GetOrder",` +
	`"Resource":"arn:aws:orders:us-east-1:111122223333:order/1"}]}`

type authzNode struct {
	n              *Node
	admin, limited sigv4.Credentials
}

func startAuthzNode(t *testing.T) *authzNode {
	t.Helper()
	dir := t.TempDir()
	routes := filepath.Join(dir, "routes.yaml")
	if err := os.WriteFile(routes, []byte(testRouteMap), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	n, _ := startNode(t, data, Options{}, "BREVET_AUTHZ_API_ROUTE_MAP="+routes, "BREVET_AUTHZ_API_GRPC_LISTEN=127.0.0.1:0",
		"BREVET_LIMIT_FAILURES_PER_SOURCE=off", "BREVET_LIMIT_FAILURES_PER_KEY=off")
	an := &authzNode{n: n, admin: adminCreds(t, data)}
	iam := func(body string) string {
		status, out := signedPostTo(t, http.DefaultClient, n.URL(), "iam", an.admin, body+"&Version=2010-05-08")
		if status != http.StatusOK {
			t.Fatalf("%s: %d %s", body, status, out)
		}
		return out
	}
	iam("Action=CreateUser&UserName=limited")
	iam("Action=PutUserPolicy&UserName=limited&PolicyName=orders&PolicyDocument=" + url.QueryEscape(limitedPolicy))
	out := iam("Action=CreateAccessKey&UserName=limited")
	an.limited.AccessKeyID = regexp.MustCompile(`<AccessKeyId>(.*?)</AccessKeyId>`).FindStringSubmatch(out)[1]
	an.limited.SecretAccessKey = regexp.MustCompile(`<SecretAccessKey>(.*?)</SecretAccessKey>`).FindStringSubmatch(out)[1]
	return an
}

// signed is an original request to the orders service, signed.
type signed struct {
	method, path, query, host string
	header                    http.Header
}

func signOrders(t *testing.T, creds sigv4.Credentials, method, uri, service string, now time.Time, header http.Header) *signed {
	t.Helper()
	path, query, _ := strings.Cut(uri, "?")
	if header == nil {
		header = http.Header{}
	}
	req := sigv4.Request{Method: method, Path: path, RawQuery: query, Host: "orders.example", Header: header}
	if err := (&sigv4.Signer{Credentials: creds}).Sign(&req, sigv4.SignOptions{Region: "us-east-1", Service: service, Time: now, PayloadHash: sigv4.UnsignedPayload, ContentSHA256Header: true}); err != nil {
		t.Fatal(err)
	}
	return &signed{method: method, path: path, query: query, host: "orders.example", header: req.Header}
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func (s *signed) viaEnvoy(t *testing.T, base string) answer {
	uri := base + "/authz/envoy" + s.path
	if s.query != "" {
		uri += "?" + s.query
	}
	r, _ := http.NewRequest(s.method, uri, nil)
	r.Header = s.header.Clone()
	r.Host = s.host
	return do(t, r)
}

func (s *signed) viaNginx(t *testing.T, base string) answer {
	r, _ := http.NewRequest("GET", base+"/authz/nginx", nil)
	r.Header = s.header.Clone()
	uri := s.path
	if s.query != "" {
		uri += "?" + s.query
	}
	r.Header.Set("X-Original-URI", uri)
	r.Header.Set("X-Original-Method", s.method)
	r.Header.Set("X-Original-Host", s.host)
	return do(t, r)
}

func (s *signed) viaVerify(t *testing.T, base string) answer {
	hdr := map[string][]string{}
	for k, v := range s.header {
		hdr[k] = v
	}
	uri := s.path
	if s.query != "" {
		uri += "?" + s.query
	}
	b, _ := json.Marshal(map[string]any{"method": s.method, "path": uri, "host": s.host, "headers": hdr})
	r, _ := http.NewRequest("POST", base+"/authz/verify", bytes.NewReader(b))
	return do(t, r)
}

func (s *signed) viaGRPC(t *testing.T, client authv3.AuthorizationClient) answer {
	hdr := map[string]string{":authority": s.host, ":method": s.method}
	for k, v := range s.header {
		hdr[strings.ToLower(k)] = strings.Join(v, ",")
	}
	uri := s.path
	if s.query != "" {
		uri += "?" + s.query
	}
	resp, err := client.Check(context.Background(), &authv3.CheckRequest{Attributes: &authv3.AttributeContext{
		Request: &authv3.AttributeContext_Request{Http: &authv3.AttributeContext_HttpRequest{
			Method: s.method, Path: uri, Host: s.host, Headers: hdr, Scheme: "http",
		}},
	}})
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	a := answer{header: http.Header{}}
	if ok := resp.GetOkResponse(); ok != nil {
		if resp.GetStatus().GetCode() != int32(code.Code_OK) {
			t.Fatalf("an OK response with status %v", resp.GetStatus())
		}
		a.status = http.StatusOK
		for _, h := range ok.GetHeaders() {
			a.header.Set(h.GetHeader().GetKey(), h.GetHeader().GetValue())
		}
		return a
	}
	d := resp.GetDeniedResponse()
	a.status = int(d.GetStatus().GetCode())
	_ = json.Unmarshal([]byte(d.GetBody()), &a.body)
	return a
}

func do(t *testing.T, r *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header}
	_ = json.Unmarshal(b, &a.body)
	return a
}

// TestAuthzAPIProtocols: every protocol gives the same answers, through
// the node's pipeline.
func TestAuthzAPIProtocols(t *testing.T) {
	an := startAuthzNode(t)
	base := an.n.URL()
	conn, err := grpc.NewClient(an.n.AuthzGRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := authv3.NewAuthorizationClient(conn)
	protocols := map[string]func(*signed) answer{
		"envoy":  func(s *signed) answer { return s.viaEnvoy(t, base) },
		"nginx":  func(s *signed) answer { return s.viaNginx(t, base) },
		"verify": func(s *signed) answer { return s.viaVerify(t, base) },
		"grpc":   func(s *signed) answer { return s.viaGRPC(t, client) },
	}
	now := time.Now()
	tampered := signOrders(t, an.limited, "GET", "/orders/1", "orders", now, nil)
	auth := tampered.header.Get("Authorization")
	flip := byte('0')
	if auth[len(auth)-1] == '0' {
		flip = '1'
	}
	tampered.header.Set("Authorization", auth[:len(auth)-1]+string(flip))
	unsigned := &signed{method: "GET", path: "/orders/1", host: "orders.example", header: http.Header{}}
	tenantSigned := signOrders(t, an.admin, "GET", "/orders/7", "orders", now, http.Header{"X-Tenant": {"blue"}})
	tenantAdded := signOrders(t, an.admin, "GET", "/orders/7", "orders", now, nil)
	tenantAdded.header.Set("X-Tenant", "blue") // after signing
	tests := []struct {
		name       string
		req        *signed
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{"admin allowed", signOrders(t, an.admin, "GET", "/orders/42", "orders", now, nil), 200, "", ""},
		{"limited allowed", signOrders(t, an.limited, "GET", "/orders/1?x=1", "orders", now, nil), 200, "", ""},
		{"denied by policy", signOrders(t, an.limited, "GET", "/orders/2", "orders", now, nil), 403, "AccessDenied",
			"User: arn:aws:iam::111122223333:user/limited is not authorized to perform: orders:GetOrder on resource: arn:aws:orders:us-east-1:111122223333:order/2 because no identity-based policy allows the orders:GetOrder action"},
		{"no route", signOrders(t, an.admin, "GET", "/customers/1", "orders", now, nil), 403, "AccessDenied", "No route of the authorization API matches GET /customers/1"},
		{"another method", signOrders(t, an.admin, "DELETE", "/orders/1", "orders", now, nil), 403, "AccessDenied", "No route"},
		{"traversal", signOrders(t, an.admin, "GET", "/orders/../orders/1", "orders", now, nil), 403, "AccessDenied", "No route"},
		{"escaped traversal", signOrders(t, an.admin, "GET", "/orders/%2e%2e", "orders", now, nil), 403, "AccessDenied", "No route"},
		{"signed for another service", signOrders(t, an.admin, "GET", "/orders/1", "sts", now, nil), 401, "SignatureDoesNotMatch", ""},
		{"tampered signature", tampered, 401, "SignatureDoesNotMatch", ""},
		{"unsigned", unsigned, 401, "MissingAuthenticationToken", ""},
		{"condition header signed", tenantSigned, 200, "", ""},
		{"condition header added after signing", tenantAdded, 403, "AccessDenied", "The header X-Tenant, which the condition key orders:Tenant reads, is not signed"},
		{"too old", signOrders(t, an.admin, "GET", "/orders/1", "orders", now.Add(-time.Hour), nil), 401, "SignatureDoesNotMatch", ""},
		{"unknown key", signOrders(t, sigv4.Credentials{AccessKeyID: "AKIAAAAAAAAAAAAAAAAA", SecretAccessKey: "x"}, "GET", "/orders/1", "orders", now, nil), 401, "InvalidClientTokenId", ""},
	}
	for _, tt := range tests {
		for name, via := range protocols {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				got := via(tt.req)
				if got.status != tt.wantStatus {
					t.Fatalf("status = %d (%v), want %d", got.status, got.body, tt.wantStatus)
				}
				if tt.wantStatus == 200 {
					if arn := got.header.Get("X-Brevet-Principal-Arn"); !strings.HasPrefix(arn, "arn:aws:iam::111122223333:user/") {
						t.Errorf("X-Brevet-Principal-Arn = %q", arn)
					}
					if acct := got.header.Get("X-Brevet-Account"); acct != testAccount {
						t.Errorf("X-Brevet-Account = %q", acct)
					}
					return
				}
				if got.body["error"] != tt.wantCode {
					t.Errorf("error = %v, want %s (%v)", got.body["error"], tt.wantCode, got.body)
				}
				if msg, _ := got.body["message"].(string); !strings.HasPrefix(msg, tt.wantMsg) {
					t.Errorf("message = %q, want it to start with %q", msg, tt.wantMsg)
				}
			})
		}
	}
}

// TestAuthzAPIHostileInput: what the server must bound.
func TestAuthzAPIHostileInput(t *testing.T) {
	an := startAuthzNode(t)
	base := an.n.URL()
	t.Run("many headers", func(t *testing.T) {
		h := http.Header{}
		for i := range 10000 {
			h.Set("X-H"+strconv.Itoa(i), "v")
		}
		s := signOrders(t, an.admin, "GET", "/orders/1", "orders", time.Now(), h)
		conn, err := grpc.NewClient(an.n.AuthzGRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for _, got := range []answer{s.viaEnvoy(t, base), s.viaNginx(t, base), s.viaVerify(t, base), s.viaGRPC(t, authv3.NewAuthorizationClient(conn))} {
			if got.status != http.StatusBadRequest && got.status != http.StatusRequestHeaderFieldsTooLarge && got.status != http.StatusRequestEntityTooLarge {
				t.Errorf("status = %d, want 400, 413 or 431", got.status)
			}
		}
	})
	t.Run("oversized verify body", func(t *testing.T) {
		r, _ := http.NewRequest("POST", base+"/authz/verify", strings.NewReader(`{"method":"GET","path":"/`+strings.Repeat("a", 100<<10)+`"}`))
		if got := do(t, r); got.status != http.StatusRequestEntityTooLarge {
			t.Errorf("status = %d, want 413", got.status)
		}
	})
	t.Run("malformed verify body", func(t *testing.T) {
		r, _ := http.NewRequest("POST", base+"/authz/verify", strings.NewReader(`{"method":"GET","path":"/orders/1","extra":1}`))
		if got := do(t, r); got.status != http.StatusBadRequest {
			t.Errorf("status = %d, want 400", got.status)
		}
	})
	t.Run("nginx without the original URI", func(t *testing.T) {
		r, _ := http.NewRequest("GET", base+"/authz/nginx", nil)
		if got := do(t, r); got.status != http.StatusBadRequest {
			t.Errorf("status = %d, want 400", got.status)
		}
	})
}

// TestAuthzAPIBearer: Brevet's own tokens (GetWebIdentityToken) for a
// service's audience, and a registered OIDC provider's tokens mapped to
// the service's role by its trust policy.
func TestAuthzAPIBearer(t *testing.T) {
	idp := fedtest.NewOIDCProvider(t)
	dir := t.TempDir()
	jwks := filepath.Join(dir, "jwks.json")
	if err := os.WriteFile(jwks, idp.JWKS(), 0o600); err != nil {
		t.Fatal(err)
	}
	routes := filepath.Join(dir, "routes.yaml")
	if err := os.WriteFile(routes, []byte(strings.Replace(testRouteMap, "    routes:",
		"    bearer_audiences: [orders]\n    bearer_role: arn:aws:iam::111122223333:role/web\n    routes:", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	n, _ := startNode(t, data, Options{}, "BREVET_AUTHZ_API_ROUTE_MAP="+routes, "BREVET_ISSUER_URL=https://brevet.test",
		"BREVET_OIDC_JWKS="+idp.Issuer()+"="+jwks, "BREVET_LIMIT_FAILURES_PER_SOURCE=off")
	admin := adminCreds(t, data)
	call := func(service, body string) string {
		status, out := signedPostTo(t, http.DefaultClient, n.URL(), service, admin, body)
		if status != http.StatusOK {
			t.Fatalf("%s: %d %s", body, status, out)
		}
		return out
	}
	call("iam", "Action=CreateOpenIDConnectProvider&Version=2010-05-08&Url="+url.QueryEscape(idp.Issuer())+"&ClientIDList.member.1=orders")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/` +
		oidcKey(idp.Issuer()) + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + oidcKey(idp.Issuer()) + `:sub":"alice"}}}]}`
	call("iam", "Action=CreateRole&Version=2010-05-08&RoleName=web&AssumeRolePolicyDocument="+url.QueryEscape(trust))
	call("iam", "Action=PutRolePolicy&Version=2010-05-08&RoleName=web&PolicyName=orders&PolicyDocument="+url.QueryEscape(limitedPolicy))
	own := regexp.MustCompile(`<WebIdentityToken>(.*?)</WebIdentityToken>`).FindStringSubmatch(
		call("sts", "Action=GetWebIdentityToken&Version=2011-06-15&Audience.member.1=orders&SigningAlgorithm=ES384"))[1]
	other := regexp.MustCompile(`<WebIdentityToken>(.*?)</WebIdentityToken>`).FindStringSubmatch(
		call("sts", "Action=GetWebIdentityToken&Version=2011-06-15&Audience.member.1=billing&SigningAlgorithm=ES384"))[1]
	now := time.Now()
	alice := idp.Token(t, idp.Claims("alice", "orders", now))
	bob := idp.Token(t, idp.Claims("bob", "orders", now))
	tests := []struct {
		name, token, path string
		wantStatus        int
		wantARN           string
	}{
		{"own token", own, "/orders/9", 200, "arn:aws:iam::111122223333:user/admin"},
		{"own token, another audience", other, "/orders/9", 401, ""},
		{"own token, tampered", own[:len(own)-2] + "AA", "/orders/9", 401, ""},
		{"provider token", alice, "/orders/1", 200, "arn:aws:sts::111122223333:assumed-role/web/"},
		{"provider token, denied by policy", alice, "/orders/2", 403, ""},
		{"provider token, not trusted", bob, "/orders/1", 403, ""},
		{"not a JWT", "abc", "/orders/1", 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &signed{method: "GET", path: tt.path, host: "orders.example", header: http.Header{"Authorization": {"Bearer " + tt.token}}}
			got := s.viaEnvoy(t, n.URL())
			if got.status != tt.wantStatus {
				t.Fatalf("status = %d (%v), want %d", got.status, got.body, tt.wantStatus)
			}
			if arn := got.header.Get("X-Brevet-Principal-Arn"); !strings.HasPrefix(arn, tt.wantARN) {
				t.Errorf("X-Brevet-Principal-Arn = %q, want %q", arn, tt.wantARN)
			}
		})
	}
}

func oidcKey(issuer string) string { return strings.TrimPrefix(issuer, "https://") }

// TestAuthzAPIGRPCOverTLS: the gRPC listener serves the API's certificate
// (reloaded with it), and nothing in plain text.
func TestAuthzAPIGRPCOverTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	pool := writeServerCert(t, certFile, keyFile, 1)
	routes := filepath.Join(dir, "routes.yaml")
	if err := os.WriteFile(routes, []byte(testRouteMap), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	n, _ := startNode(t, data, Options{}, "BREVET_TLS_CERT="+certFile, "BREVET_TLS_KEY="+keyFile,
		"BREVET_AUTHZ_API_ROUTE_MAP="+routes, "BREVET_AUTHZ_API_GRPC_LISTEN=127.0.0.1:0")
	conn, err := grpc.NewClient(n.AuthzGRPCAddr(), grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	s := signOrders(t, adminCreds(t, data), "GET", "/orders/1", "orders", time.Now(), nil)
	if got := s.viaGRPC(t, authv3.NewAuthorizationClient(conn)); got.status != http.StatusOK {
		t.Errorf("over TLS: status %d (%v), want 200", got.status, got.body)
	}
	plain, err := grpc.NewClient(n.AuthzGRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := authv3.NewAuthorizationClient(plain).Check(ctx, &authv3.CheckRequest{}); err == nil {
		t.Error("a plain-text gRPC call was answered on the TLS listener")
	}
}

// TestAuthzAPIExpiredSession: a session past its expiry is refused with
// ExpiredToken, however well its request is signed.
func TestAuthzAPIExpiredSession(t *testing.T) {
	an := startAuthzNode(t)
	now := time.Now()
	tc, _, err := an.n.boot.Tokens.Mint(credential.Claims{
		AccountID: testAccount, PrincipalType: credential.SessionUser,
		PrincipalARN: "arn:aws:iam::" + testAccount + ":user/limited", SessionARN: "arn:aws:iam::" + testAccount + ":user/limited",
		IssuedAt: now.Add(-2 * time.Hour), Expires: now.Add(-time.Hour),
	}, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	creds := sigv4.Credentials{AccessKeyID: tc.AccessKeyID, SecretAccessKey: tc.SecretAccessKey.Reveal(), SessionToken: tc.SessionToken}
	got := signOrders(t, creds, "GET", "/orders/1", "orders", now, nil).viaVerify(t, an.n.URL())
	if got.status != http.StatusUnauthorized || got.body["error"] != "ExpiredToken" {
		t.Errorf("expired session: %d %v, want 401 ExpiredToken", got.status, got.body)
	}
}

// TestAuthzAPIInlineServices: the route map written in the config file
// itself serves as a file of its own does; a bad one refuses the start.
func TestAuthzAPIInlineServices(t *testing.T) {
	dir := t.TempDir()
	// testRouteMap's services, indented under authz_api.
	inline := "authz_api:\n  " + strings.ReplaceAll(strings.TrimPrefix(testRouteMap, "\n"), "\n", "\n  ")
	conf := filepath.Join(dir, "brevet.yaml")
	if err := os.WriteFile(conf, []byte(inline), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	n, _ := startNode(t, data, Options{}, "BREVET_CONFIG="+conf)
	got := signOrders(t, adminCreds(t, data), "GET", "/orders/1", "orders", time.Now(), nil).viaVerify(t, n.URL())
	if got.status != http.StatusOK {
		t.Errorf("inline route map: %d %v, want 200", got.status, got.body)
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("authz_api:\n  services:\n    - name: orders\n      routes:\n        - {method: GET, path: /x, action: s3:GetObject, resource: '*'}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.LoadArgs{Env: []string{"BREVET_CONFIG=" + bad, "BREVET_DATA_DIR=" + filepath.Join(dir, "data2"),
		"BREVET_LISTEN=127.0.0.1:0", "BREVET_ACCOUNT_ID=" + testAccount}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(context.Background(), cfg, Options{}); err == nil || !strings.Contains(err.Error(), "authz_api.services") {
		t.Errorf("New with a bad inline route map: %v, want an error naming authz_api.services", err)
	}
}
