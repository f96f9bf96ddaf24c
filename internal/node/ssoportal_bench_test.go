package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"

	"github.com/brevet-dev/brevet/internal/sso"
)

// BenchmarkServeGetRoleCredentials measures the SSO portal's
// GetRoleCredentials (bearer token, assignment check, role session)
// against AssumeRole (SigV4, policy evaluation, role session) on one node
// in process, with the durable trail. The issue's target: GetRoleCredentials
// at no less than 0.8 of AssumeRole's throughput.
func BenchmarkServeGetRoleCredentials(b *testing.B) {
	e := startPortalNode(b, "BREVET_LOG_LEVEL=error", "BREVET_LIMIT_REQUESTS_PER_CALLER=1000000/s:1000000")
	base := e.n.URL()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"arn:aws:iam::111122223333:root"}}]}`
	if code, body := signedPostTo(b, client, base, "iam", e.creds, "Action=CreateRole&Version=2010-05-08&RoleName=bench&AssumeRolePolicyDocument="+url.QueryEscape(trust)); code != 200 {
		b.Fatalf("CreateRole: %d %s", code, body)
	}
	const assume = "Action=AssumeRole&Version=2011-06-15&RoleSessionName=bench&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fbench"
	get := base + "/federation/credentials?role_name=Dev&account_id=" + testAccount
	for _, clients := range []int{16, 64} {
		run := func(b *testing.B, call func() (int, string)) {
			b.SetParallelism(max(1, clients/runtime.GOMAXPROCS(0)))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if code, body := call(); code != 200 {
						b.Errorf("%d %s", code, body)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		}
		b.Run("AssumeRole/c"+strconv.Itoa(clients), func(b *testing.B) {
			run(b, func() (int, string) { return signedPostTo(b, client, base, "sts", e.creds, assume) })
		})
		b.Run("GetRoleCredentials/c"+strconv.Itoa(clients), func(b *testing.B) {
			run(b, func() (int, string) {
				req, _ := http.NewRequest("GET", get, nil)
				req.Header.Set("x-amz-sso_bearer_token", e.token)
				resp, err := client.Do(req)
				if err != nil {
					return 0, err.Error()
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(body)
			})
		})
	}
}

// BenchmarkServeCreateTokenRefresh measures SSO OIDC's CreateToken with
// the refresh_token grant through the whole server (HTTP, the pipeline,
// the session's compare-and-swap in the sqlite store, the durable trail),
// as the CLI and SDKs renew their access token: every worker refreshes
// its own sign-in session, each time with the refresh token the previous
// refresh returned. The issue's target: 2,000 refreshes a second.
func BenchmarkServeCreateTokenRefresh(b *testing.B) {
	e := startPortalNode(b, "BREVET_LOG_LEVEL=error", "BREVET_LIMIT_REQUESTS_PER_CALLER=1000000/s:1000000")
	for _, clients := range []int{16, 64} {
		b.Run("c"+strconv.Itoa(clients), func(b *testing.B) {
			sessions := make(chan *benchSession, clients)
			for _, s := range e.sessions(b, clients) {
				sessions <- &s
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
			defer client.CloseIdleConnections() // within the server's connections per source
			b.SetParallelism(max(1, clients/runtime.GOMAXPROCS(0)))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				s := <-sessions
				defer func() { sessions <- s }()
				for pb.Next() {
					if err := s.refreshOnce(client, e.n.URL()); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

// benchSession is one signed-in session's client and refresh token.
type benchSession struct{ client, secret, refresh string }

// sessions signs ann in n times with the authorization code grant (PKCE),
// the code issued as the sign-in page would: the device grant's
// StartDeviceAuthorization is rate-limited per source.
func (e *portalEnv) sessions(tb testing.TB, n int) []benchSession {
	tb.Helper()
	ctx := context.Background()
	oidc := ssooidc.NewFromConfig(e.cfg)
	const redirect = "http://127.0.0.1:9/oauth/callback"
	reg, err := oidc.RegisterClient(ctx, &ssooidc.RegisterClientInput{ClientName: aws.String("bench"), ClientType: aws.String("public"),
		Scopes: []string{"sso:account:access"}, GrantTypes: []string{"authorization_code", "refresh_token"}, RedirectUris: []string{redirect}})
	if err != nil {
		tb.Fatal(err)
	}
	id := e.identity(tb, "ann")
	const verifier = "bench-verifier-bench-verifier-bench-verifier-0123456789"
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	out := make([]benchSession, n)
	for i := range out {
		to, err := e.n.sso.IssueCode(ctx, sso.Authorize{ClientID: *reg.ClientId, RedirectURI: redirect, State: "s", CodeChallenge: challenge,
			Scopes: []string{"sso:account:access"}}, id, time.Now())
		if err != nil {
			tb.Fatal(err)
		}
		u, err := url.Parse(to)
		if err != nil {
			tb.Fatal(err)
		}
		tok, err := oidc.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
			GrantType: aws.String("authorization_code"), Code: aws.String(u.Query().Get("code")), CodeVerifier: aws.String(verifier),
			RedirectUri: aws.String(redirect)})
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = benchSession{*reg.ClientId, *reg.ClientSecret, *tok.RefreshToken}
	}
	return out
}

// refreshOnce sends CreateToken with the refresh_token grant as the SDKs
// do (POST /token, JSON) and keeps the refresh token it returns.
func (s *benchSession) refreshOnce(client *http.Client, base string) error {
	body, _ := json.Marshal(map[string]string{"clientId": s.client, "clientSecret": s.secret, "grantType": "refresh_token", "refreshToken": s.refresh})
	resp, err := client.Post(base+"/token", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out struct {
		RefreshToken string `json:"refreshToken"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 || out.RefreshToken == "" {
		return fmt.Errorf("CreateToken: %d %v", resp.StatusCode, err)
	}
	s.refresh = out.RefreshToken
	return nil
}
