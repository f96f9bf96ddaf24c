package e2e

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// cliLoopback is the address the AWS CLI 2.22+ listens on during `aws sso
// login` for the authorization server's redirect: it takes the first
// request to /oauth/callback, as the CLI does, and answers a page asking
// the person to go back to the terminal.
type cliLoopback struct {
	srv  *http.Server
	port int
	got  chan url.Values // the callback's query, once
}

// newCLILoopback listens on 127.0.0.1 on a port of the system's choice.
func newCLILoopback(t *testing.T) *cliLoopback {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &cliLoopback{port: ln.Addr().(*net.TCPAddr).Port, got: make(chan url.Values, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth/callback", func(w http.ResponseWriter, r *http.Request) {
		select {
		case l.got <- r.URL.Query():
		default: // a second request: the CLI has stopped listening by then
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><title>Signed in</title><p>You may close this window and return to the terminal.</p>")
	})
	l.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go l.srv.Serve(ln)
	t.Cleanup(func() { l.srv.Close() })
	return l
}

// redirectURI is the redirect URI with the port, as the CLI sends it to
// /authorize and CreateToken.
func (l *cliLoopback) redirectURI() string {
	return fmt.Sprintf("http://127.0.0.1:%d/oauth/callback", l.port)
}

// callback waits for the redirect's query.
func (l *cliLoopback) callback(t *testing.T) url.Values {
	t.Helper()
	select {
	case q := <-l.got:
		return q
	case <-time.After(10 * time.Second):
		t.Fatalf("nothing reached %s", l.redirectURI())
		return nil
	}
}

// cliRedirectWithoutPort is the redirect URI the CLI registers: the port
// is only known to the login that listens on it (RFC 8252 section 7.3).
const cliRedirectWithoutPort = "http://127.0.0.1/oauth/callback"

// cliAuthorization is one login's PKCE verifier and state, and the
// /authorize URL the CLI opens in the browser for them.
type cliAuthorization struct {
	verifier, state, url string
}

// newCLIAuthorization builds the authorization request as botocore's
// SSOTokenFetcherAuth does: a 64-character verifier of RFC 7636's
// alphabet, its S256 challenge unpadded, a UUID state, and the query
// response_type, client_id, redirect_uri (with the port), state,
// code_challenge_method, scopes (space separated, %20), code_challenge,
// on the SSO OIDC endpoint's /authorize.
func newCLIAuthorization(t *testing.T, endpoint, clientID, redirectURI string) cliAuthorization {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
	raw := make([]byte, 64)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	v := make([]byte, len(raw))
	for i, b := range raw {
		v[i] = alphabet[int(b)%len(alphabet)]
	}
	sum := sha256.Sum256(v)
	u := make([]byte, 16)
	if _, err := rand.Read(u); err != nil {
		t.Fatal(err)
	}
	u[6], u[8] = u[6]&0x0f|0x40, u[8]&0x3f|0x80
	a := cliAuthorization{verifier: string(v), state: fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])}
	enc := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	var q strings.Builder
	for _, kv := range [][2]string{{"response_type", "code"}, {"client_id", clientID}, {"redirect_uri", redirectURI},
		{"state", a.state}, {"code_challenge_method", "S256"}, {"scopes", "sso:account:access"}} {
		fmt.Fprintf(&q, "%s=%s&", kv[0], enc(kv[1]))
	}
	a.url = endpoint + "/authorize?" + q.String() + "code_challenge=" + base64.RawURLEncoding.EncodeToString(sum[:])
	return a
}

// registerCLIClient registers a public client for the authorization code
// grant as the CLI does, with redirect as its redirect URI and the start
// URL as issuer.
func (s *ssoServer) registerCLIClient(t *testing.T, redirect string) *ssooidc.RegisterClientOutput {
	t.Helper()
	reg, err := s.oidcClient().RegisterClient(context.Background(), &ssooidc.RegisterClientInput{
		ClientName: aws.String("botocore-client-brevet"), ClientType: aws.String("public"),
		GrantTypes: []string{"authorization_code", "refresh_token"}, RedirectUris: []string{redirect},
		IssuerUrl: aws.String(s.startURL()), Scopes: []string{"sso:account:access"}})
	if err != nil {
		t.Fatalf("RegisterClient: %v", err)
	}
	suiteSecrets.add(aws.ToString(reg.ClientSecret))
	return reg
}

// chromiumAuthorize answers the authorization pages at each URL in turn in
// one headless Chromium, as person p, pressing the action given with it
// ("allow" or "deny"); it signs in (password and TOTP) on the first.
func chromiumAuthorize(t *testing.T, p *ssoPerson, urlActions ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := append([]string{"sso_authorize.mjs", testAccount, p.name, p.password, p.code()}, urlActions...)
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = "js"
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node sso_authorize.mjs: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

// TestSSOAuthorizationCode does what `aws sso login` of the CLI 2.22+
// does, with aws-sdk-go-v2's SSO OIDC client for the API calls: it
// registers a client for the authorization code grant (the redirect URI
// without a port), listens on a loopback port, and opens /authorize with
// PKCE in headless Chromium, where an IAM user signs in (password, TOTP)
// and allows. The loopback gets the code and the state; CreateToken
// redeems the code with the verifier, the token gets the assigned role's
// credentials, the code is refused a second time, and the refresh token
// renews. A second login in the same browser (signed in already; a client
// registered with the port in its redirect URI) is denied: the loopback
// gets error=access_denied and the state, and no code.
func TestSSOAuthorizationCode(t *testing.T) {
	t.Parallel()
	need(t, "Chromium (/usr/bin/chromium) and playwright-core (npm ci --prefix e2e/js)", haveChromium())
	s := sharedSSO(t)
	ctx := context.Background()
	p := s.newIAMPerson(t, "authcode")
	s.assign(t, ssoRoleName, "USER", p.name, false)

	allowed := newCLILoopback(t)
	reg := s.registerCLIClient(t, cliRedirectWithoutPort)
	login := newCLIAuthorization(t, s.URL, aws.ToString(reg.ClientId), allowed.redirectURI())
	denied := newCLILoopback(t)
	reg2 := s.registerCLIClient(t, denied.redirectURI())
	login2 := newCLIAuthorization(t, s.URL, aws.ToString(reg2.ClientId), denied.redirectURI())
	start := time.Now()
	chromiumAuthorize(t, p, login.url, "allow", login2.url, "deny")
	t.Logf("sign-in, allow and deny in Chromium: %v", time.Since(start).Round(time.Millisecond))

	q := allowed.callback(t)
	code := q.Get("code")
	suiteSecrets.add(code)
	if code == "" || q.Get("state") != login.state || q.Has("error") {
		t.Fatalf("allowed: the loopback got code %v, state %q (want %q), error %q", code != "", q.Get("state"), login.state, q.Get("error"))
	}
	oidc := s.oidcClient()
	redeem := func() (*ssooidc.CreateTokenOutput, error) {
		return oidc.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
			GrantType: aws.String("authorization_code"), Code: aws.String(code), CodeVerifier: aws.String(login.verifier),
			RedirectUri: aws.String(allowed.redirectURI())})
	}
	tok, err := redeem()
	if err != nil {
		t.Fatalf("CreateToken with the code: %v", err)
	}
	suiteSecrets.add(aws.ToString(tok.AccessToken), aws.ToString(tok.RefreshToken))
	if tok.ExpiresIn <= 0 || aws.ToString(tok.RefreshToken) == "" || aws.ToString(tok.TokenType) != "Bearer" {
		t.Errorf("CreateToken: expires in %d s, refresh token %v, token type %q; want a Bearer token with a refresh token",
			tok.ExpiresIn, aws.ToString(tok.RefreshToken) != "", aws.ToString(tok.TokenType))
	}

	portal := sso.New(sso.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.URL), HTTPClient: s.hc})
	rc, err := portal.GetRoleCredentials(ctx, &sso.GetRoleCredentialsInput{AccessToken: tok.AccessToken,
		AccountId: aws.String(testAccount), RoleName: aws.String(ssoRoleName)})
	if err != nil {
		t.Fatalf("GetRoleCredentials with the token: %v", err)
	}
	c := rc.RoleCredentials
	suiteSecrets.add(aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	stsc := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.URL), HTTPClient: s.hc,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
				SessionToken: aws.ToString(c.SessionToken)}, nil
		})})
	var arn string
	if id, err := stsc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
		arn = aws.ToString(id.Arn)
	} else {
		arn = err.Error()
	}
	if want := "arn:aws:sts::" + testAccount + ":assumed-role/" + ssoRoleName + "/" + p.name; arn != want {
		t.Errorf("GetCallerIdentity with the role credentials: %s; want %s", arn, want)
	}

	if _, err := redeem(); errCode(err) != "InvalidGrantException" {
		t.Errorf("CreateToken with the code a second time: %v; want InvalidGrantException", err)
	}
	renewed, err := oidc.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		GrantType: aws.String("refresh_token"), RefreshToken: tok.RefreshToken})
	if err != nil {
		t.Fatalf("CreateToken with the refresh token: %v", err)
	}
	suiteSecrets.add(aws.ToString(renewed.AccessToken), aws.ToString(renewed.RefreshToken))
	if _, err := portal.ListAccounts(ctx, &sso.ListAccountsInput{AccessToken: renewed.AccessToken}); err != nil {
		t.Errorf("ListAccounts with the renewed token: %v", err)
	}

	q = denied.callback(t)
	if q.Get("error") != "access_denied" || q.Get("state") != login2.state || q.Has("code") {
		t.Errorf("denied: the loopback got error %q, state %q (want access_denied, %q), code %v",
			q.Get("error"), q.Get("state"), login2.state, q.Has("code"))
	}
}
