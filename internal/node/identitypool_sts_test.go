package node

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/sts"
)

// unsignedPost sends an unsigned Query request, as an app's SDK sends
// AssumeRoleWithWebIdentity.
func unsignedPost(t *testing.T, base string, form url.Values) (int, string) {
	t.Helper()
	resp, err := http.Post(base+"/", "application/x-www-form-urlencoded; charset=utf-8", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestIdentityPoolBasicFlowSTS: the basic (classic) flow's second step.
// A pool token (minted here with the node's own pool token signer, as
// GetOpenIdToken mints it) is traded by an unsigned
// AssumeRoleWithWebIdentity for a role that trusts the federated
// principal cognito-identity.amazonaws.com with :aud and :amr
// conditions; another pool's token and an expired one are refused as STS
// refuses web identity tokens.
func TestIdentityPoolBasicFlowSTS(t *testing.T) {
	data := t.TempDir()
	n, _ := startNode(t, data, Options{}, "BREVET_LIMIT_FAILURES_PER_SOURCE=off", "BREVET_LIMIT_FAILURES_PER_KEY=off")
	admin := adminCreds(t, data)
	const (
		pool     = "us-east-1:11111111-2222-4333-8444-555555555555"
		other    = "us-east-1:99999999-2222-4333-8444-555555555555"
		identity = "us-east-1:aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
	)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},` +
		`"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"` + pool + `"},` +
		`"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}}]}`
	status, out := signedPostTo(t, http.DefaultClient, n.URL(), "iam", admin,
		"Action=CreateRole&Version=2010-05-08&RoleName=PoolAuth&AssumeRolePolicyDocument="+url.QueryEscape(trust))
	if status != 200 {
		t.Fatalf("CreateRole: %d %s", status, out)
	}
	now := time.Now()
	mint := func(poolID string, d time.Duration, at time.Time) string {
		raw, err := n.fed.poolTokens.MintPoolToken(&sts.PoolToken{Account: testAccount, PoolID: poolID, IdentityID: identity,
			AMR: []string{"authenticated", "login.example", "login.example:" + poolID + ":alice"}}, d, at)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	assume := func(token string) (int, string) {
		return unsignedPost(t, n.URL(), url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"},
			"RoleArn": {"arn:aws:iam::" + testAccount + ":role/PoolAuth"}, "RoleSessionName": {"app-user"}, "WebIdentityToken": {token}})
	}
	token := mint(pool, 10*time.Minute, now)
	status, out = assume(token)
	if status != 200 {
		t.Fatalf("AssumeRoleWithWebIdentity: %d %s", status, out)
	}
	for _, want := range []string{
		"<Arn>arn:aws:sts::" + testAccount + ":assumed-role/PoolAuth/app-user</Arn>",
		"<SubjectFromWebIdentityToken>" + identity + "</SubjectFromWebIdentityToken>",
		"<Provider>cognito-identity.amazonaws.com</Provider>",
		"<Audience>" + pool + "</Audience>",
		"<SessionToken>",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("response lacks %s:\n%s", want, out)
		}
	}

	for _, tt := range []struct {
		name, token string
		status      int
		code        string
	}{
		{"another pool's token", mint(other, 10*time.Minute, now), 403, "<Code>AccessDenied</Code>"},
		{"expired token", mint(pool, time.Second, now.Add(-time.Hour)), 400, "<Code>ExpiredTokenException</Code>"},
		{"tampered token", token[:len(token)-4] + "AAAA", 400, "<Code>InvalidIdentityToken</Code>"},
	} {
		status, out := assume(tt.token)
		if status != tt.status || !strings.Contains(out, tt.code) {
			t.Errorf("%s: %d %s, want %d %s", tt.name, status, out, tt.status, tt.code)
		}
		if strings.Contains(out, tt.token) {
			t.Errorf("%s: the response quotes the token", tt.name)
		}
	}
}

// TestIdentityPoolJWKS: the pools' token issuer publishes its keys at
// /.well-known/cognito-identity/jwks.json on the API, and a pool token's
// kid is among them.
func TestIdentityPoolJWKS(t *testing.T) {
	n, _ := startNode(t, t.TempDir(), Options{})
	raw, err := n.fed.poolTokens.MintPoolToken(&sts.PoolToken{Account: testAccount, PoolID: "us-east-1:p", IdentityID: "us-east-1:i", AMR: []string{"unauthenticated"}}, time.Minute, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[0])
	var h struct{ Kid, Alg string }
	if err := json.Unmarshal(hdr, &h); err != nil || h.Alg != "RS256" {
		t.Fatalf("header %s: %v", hdr, err)
	}
	resp, err := http.Get(n.URL() + PoolJWKSPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct{ Kid, Alg, Kty, D string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", PoolJWKSPath, resp.StatusCode, err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/jwk-set+json" {
		t.Errorf("Content-Type %q", ct)
	}
	found := false
	for _, k := range set.Keys {
		if k.D != "" {
			t.Errorf("key %s publishes its private part", k.Kid)
		}
		found = found || (k.Kid == h.Kid && k.Alg == "RS256")
	}
	if !found {
		t.Errorf("the token's kid %s is not in the JWKS %+v", h.Kid, set.Keys)
	}
	if n.fed.poolTokens.Issuer() != "https://cognito-identity.amazonaws.com" {
		t.Errorf("pool token issuer %q", n.fed.poolTokens.Issuer())
	}
}
