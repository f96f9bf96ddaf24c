package sts_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/authn"
	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/authz/authztest"
	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/federation/fedtest"
	"github.com/brevet-dev/brevet/internal/federation/issuer"
	"github.com/brevet-dev/brevet/internal/federation/oidc"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/iamservice"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
	"github.com/brevet-dev/brevet/internal/sts"
)

// fedEnv is env with federation configured: an in-test OIDC provider over
// HTTPS (trusted through the injected client), a SAML IdP, and Brevet's
// own issuer.
type fedEnv struct {
	*env
	idp  *fedtest.OIDCProvider
	saml *fedtest.SAMLIdP
	iss  *issuer.Issuer
}

func newFedEnv(t testing.TB, opts ...func(*sts.FederationConfig)) *fedEnv {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "b.db"), Now: time.Now})
	must(t, err)
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, st: st, w: &authztest.World{Store: st, Now: now}}
	must(t, e.w.Account(acct))
	must(t, e.w.Account(other))
	e.mk, err = masterkey.Generate(rand.Reader, now)
	must(t, err)
	e.ring, err = credential.NewTokenKeyRing(rand.Reader, now.Add(-time.Hour))
	must(t, err)
	e.az, err = authz.New(ctx, authz.Config{Store: st, MessageKey: make([]byte, 32)})
	must(t, err)
	e.an, err = authn.New(ctx, authn.Config{Keys: st.Principals(), Changes: st.Changes(), Secrets: e.mk, Tokens: e.ring})
	must(t, err)
	f := &fedEnv{env: e, idp: fedtest.NewOIDCProvider(t), saml: fedtest.NewSAMLIdP(t, "https://idp.corp.example/saml")}
	key, err := issuer.GenerateKey(issuer.RS256, now.Add(-time.Minute))
	must(t, err)
	f.iss, err = issuer.New(issuer.Config{URL: "https://brevet.example"}, []*issuer.Key{key})
	must(t, err)
	fc := sts.FederationConfig{
		Providers: st.Providers(), HTTPClient: f.idp.Client, Issuer: f.iss,
		// Refetch at once on an unknown key id, so rotation is testable.
		OIDC: oidc.Config{RefreshInterval: time.Nanosecond},
	}
	for _, o := range opts {
		o(&fc)
	}
	e.svc, err = sts.New(sts.Config{Store: st, TokenKeys: e.ring, Authz: e.az, Secrets: e.mk, Federation: fc})
	must(t, err)
	iamSvc, err := iamservice.New(iamservice.Config{Store: st, MasterKey: e.mk})
	must(t, err)
	e.d, err = awsquery.New(awsquery.Config{Pipeline: &request.Pipeline{Authenticator: e.an, Principals: e.az, Authorizer: e.az, Auditor: nopAuditor{}},
		ErrorMappers: []awsquery.ErrorMapper{sts.WireError, iamservice.WireError, iamservice.ProviderWireError}})
	must(t, err)
	sts.Register(e.d, e.svc)
	iamservice.Register(e.d, iamSvc)
	srv := httptest.NewServer(e.d)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return f
}

// oidcProvider registers the test IdP in account with client id "app".
func (f *fedEnv) oidcProvider(account string) string {
	p := iam.Provider{Kind: iam.ProviderOIDC, Account: account, Name: iam.OIDCProviderName(f.idp.Issuer()),
		URL: f.idp.Issuer(), ClientIDs: []string{"app"}, Created: f.w.Now, Updated: f.w.Now}
	must(f.t, f.st.Providers().Create(context.Background(), p))
	return p.ARN()
}

func (f *fedEnv) samlProvider(account, name string) string {
	p := iam.Provider{Kind: iam.ProviderSAML, Account: account, Name: name, Metadata: f.saml.Metadata(),
		Created: f.w.Now, Updated: f.w.Now}
	must(f.t, f.st.Providers().Create(context.Background(), p))
	return p.ARN()
}

func federatedTrust(provider, action, cond string) string {
	c := ""
	if cond != "" {
		c = `,"Condition":` + cond
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + provider +
		`"},"Action":["` + action + `","sts:TagSession"]` + c + `}]}`
}

func anonymous(url string) *awssts.Client {
	return awssts.New(awssts.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Retryer: aws.NopRetryer{},
		Credentials: aws.AnonymousCredentials{}})
}

func TestAssumeRoleWithWebIdentity(t *testing.T) {
	f := newFedEnv(t)
	prov := f.oidcProvider(acct)
	key := oidc.KeyOf(f.idp.Issuer())
	roleARN := f.role(acct, "web", federatedTrust(prov, "sts:AssumeRoleWithWebIdentity",
		`{"StringEquals":{"`+key+`:aud":"app","`+key+`:sub":"repo:brevet"}}`), 7200)
	c := anonymous(f.url)
	ctx := context.Background()
	now := time.Now()
	claims := f.idp.Claims("repo:brevet", "app", now)
	claims["https://aws.amazon.com/tags"] = map[string]any{"principal_tags": map[string]any{"Project": []string{"Brevet"}},
		"transitive_tag_keys": []string{"Project"}}
	out, err := c.AssumeRoleWithWebIdentity(ctx, &awssts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN),
		RoleSessionName: aws.String("ci"), WebIdentityToken: aws.String(f.idp.Token(t, claims)), DurationSeconds: aws.Int32(7200)})
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	got := []string{aws.ToString(out.SubjectFromWebIdentityToken), aws.ToString(out.Audience), aws.ToString(out.Provider),
		aws.ToString(out.AssumedRoleUser.Arn)}
	want := []string{"repo:brevet", "app", prov, "arn:aws:sts::" + acct + ":assumed-role/web/ci"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("response (-want +got):\n%s", d)
	}
	if got, want := out.Credentials.Expiration.Sub(now), 2*time.Hour; got < want-time.Minute || got > want+time.Minute {
		t.Errorf("session lasts %v, want %v (not the token's hour)", got, want)
	}
	id, err := f.sts(temp(t, out.Credentials)).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with the session: %v", err)
	}
	if got, want := aws.ToString(id.Arn), "arn:aws:sts::"+acct+":assumed-role/web/ci"; got != want {
		t.Errorf("caller = %s, want %s", got, want)
	}
}

func TestAssumeRoleWithWebIdentityRejects(t *testing.T) {
	f := newFedEnv(t)
	prov := f.oidcProvider(acct)
	key := oidc.KeyOf(f.idp.Issuer())
	roleARN := f.role(acct, "web", federatedTrust(prov, "sts:AssumeRoleWithWebIdentity",
		`{"StringEquals":{"`+key+`:sub":"repo:brevet"}}`), 3600)
	otherRole := f.role(acct, "other", authztest.Trust(acct), 3600)
	now := time.Now()
	good := func() map[string]any { return f.idp.Claims("repo:brevet", "app", now) }
	with := func(k string, v any) map[string]any { c := good(); c[k] = v; return c }
	stranger, err := rsa.GenerateKey(rand.Reader, 2048)
	must(t, err)
	tok := f.idp.Token(t, good())
	parts := strings.Split(tok, ".")
	tampered := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
	tests := []struct {
		name, role, token, code string
	}{
		{"bad signature", roleARN, tampered, "InvalidIdentityToken"},
		{"wrong key", roleARN, fedtest.SignRS256(t, stranger, "k1", good()), "InvalidIdentityToken"},
		{"alg none", roleARN, fedtest.SignRaw(t, stranger, map[string]any{"alg": "none", "kid": "k1"}, good()), "InvalidIdentityToken"},
		{"alg HS256", roleARN, fedtest.SignRaw(t, stranger, map[string]any{"alg": "HS256", "kid": "k1"}, good()), "InvalidIdentityToken"},
		{"unknown issuer", roleARN, f.idp.Token(t, with("iss", "https://evil.example")), "InvalidIdentityToken"},
		{"wrong audience", roleARN, f.idp.Token(t, with("aud", "other")), "InvalidIdentityToken"},
		{"expired", roleARN, f.idp.Token(t, with("exp", now.Add(-time.Hour).Unix())), "ExpiredTokenException"},
		{"not yet valid", roleARN, f.idp.Token(t, with("nbf", now.Add(time.Hour).Unix())), "InvalidIdentityToken"},
		{"sub condition not met", roleARN, f.idp.Token(t, with("sub", "repo:evil")), "AccessDenied"},
		{"role does not trust the provider", otherRole, tok, "AccessDenied"},
		{"role does not exist", "arn:aws:iam::" + acct + ":role/nope", tok, "AccessDenied"},
		{"bad tags claim", roleARN, f.idp.Token(t, with("https://aws.amazon.com/tags", "x")), "IDPRejectedClaim"},
	}
	c := anonymous(f.url)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.AssumeRoleWithWebIdentity(context.Background(), &awssts.AssumeRoleWithWebIdentityInput{
				RoleArn: aws.String(tt.role), RoleSessionName: aws.String("ses"), WebIdentityToken: aws.String(tt.token)})
			if got, _ := apiError(err); got != tt.code {
				t.Errorf("got %v, want %s", err, tt.code)
			}
		})
	}
	_, err = c.AssumeRoleWithWebIdentity(context.Background(), &awssts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ses"), WebIdentityToken: aws.String(tok), DurationSeconds: aws.Int32(7200)})
	wantError(t, "duration over the role's maximum", err, "ValidationError", "The requested DurationSeconds exceeds")
}

// TestWebIdentitySourceIdentity: AWS's claim
// https://aws.amazon.com/source_identity becomes the session's source
// identity when the trust policy allows sts:SetSourceIdentity (as AWS
// requires), and it sticks through role chaining. It is how a Brevet
// upstream honours the broker's OIDC mode.
func TestWebIdentitySourceIdentity(t *testing.T) {
	f := newFedEnv(t)
	prov := f.oidcProvider(acct)
	key := oidc.KeyOf(f.idp.Issuer())
	setSource := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + prov +
		`"},"Action":["sts:AssumeRoleWithWebIdentity","sts:SetSourceIdentity"],"Condition":{"StringEquals":{"` + key + `:sub":"repo:brevet"}}}]}`
	withSource := f.role(acct, "with-source", setSource, 3600,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	withoutSource := f.role(acct, "without-source", federatedTrust(prov, "sts:AssumeRoleWithWebIdentity", ""), 3600)
	next := f.role(acct, "next", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+withSource+
		`"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}]}`, 3600)
	now := time.Now()
	token := func(source any) string {
		c := f.idp.Claims("repo:brevet", "app", now)
		if source != nil {
			c["https://aws.amazon.com/source_identity"] = source
		}
		return f.idp.Token(t, c)
	}
	c := anonymous(f.url)
	ctx := context.Background()
	tests := []struct {
		name, role   string
		source       any
		code, wantSI string
	}{
		{"allowed", withSource, "alice@111122223333", "", "alice@111122223333"},
		{"no claim", withSource, nil, "", ""},
		{"trust policy without sts:SetSourceIdentity", withoutSource, "alice@111122223333", "AccessDenied", ""},
		{"invalid characters", withSource, "alice smith", "IDPRejectedClaim", ""},
		{"too long", withSource, strings.Repeat("a", 65), "IDPRejectedClaim", ""},
		{"not a string", withSource, 42, "IDPRejectedClaim", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := c.AssumeRoleWithWebIdentity(ctx, &awssts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(tt.role),
				RoleSessionName: aws.String("ci"), WebIdentityToken: aws.String(token(tt.source))})
			if got, _ := apiError(err); got != tt.code {
				t.Fatalf("got %v, want %q", err, tt.code)
			}
			if err != nil {
				return
			}
			if got := aws.ToString(out.SourceIdentity); got != tt.wantSI {
				t.Errorf("SourceIdentity = %q, want %q", got, tt.wantSI)
			}
		})
	}
	out, err := c.AssumeRoleWithWebIdentity(ctx, &awssts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(withSource),
		RoleSessionName: aws.String("ci"), WebIdentityToken: aws.String(token("alice@111122223333"))})
	must(t, err)
	f.sync()
	chained := f.sts(temp(t, out.Credentials))
	_, err = chained.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(next), RoleSessionName: aws.String("nx"),
		SourceIdentity: aws.String("mallory")})
	wantError(t, "chained session changes the source identity", err, "AccessDenied", "Cannot change the source identity")
	got, err := chained.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(next), RoleSessionName: aws.String("nx")})
	if err != nil {
		t.Fatalf("chained AssumeRole: %v", err)
	}
	if s := aws.ToString(got.SourceIdentity); s != "alice@111122223333" {
		t.Errorf("chained SourceIdentity = %q, want the token's", s)
	}
}

// TestWebIdentityKeyRotation: a token signed with a key the verifier has
// not seen makes it refetch the JWKS; once the provider stops publishing
// the old key, tokens signed with it fail.
func TestWebIdentityKeyRotation(t *testing.T) {
	f := newFedEnv(t)
	prov := f.oidcProvider(acct)
	roleARN := f.role(acct, "web", federatedTrust(prov, "sts:AssumeRoleWithWebIdentity", ""), 3600)
	c := anonymous(f.url)
	assume := func(tok string) error {
		_, err := c.AssumeRoleWithWebIdentity(context.Background(), &awssts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ses"), WebIdentityToken: aws.String(tok)})
		return err
	}
	old := f.idp.Token(t, f.idp.Claims("a", "app", time.Now()))
	must(t, assume(old))
	f.idp.Rotate(t)
	must(t, assume(f.idp.Token(t, f.idp.Claims("a", "app", time.Now()))))
	must(t, assume(old))
	f.idp.DropOld()
	must(t, assume(f.idp.Token(t, f.idp.Claims("a", "app", time.Now()))))
	f.idp.Rotate(t) // an unknown kid makes the verifier refetch, and see k1 is gone
	must(t, assume(f.idp.Token(t, f.idp.Claims("a", "app", time.Now()))))
	wantError(t, "old key after it was dropped", assume(old), "InvalidIdentityToken", "")
}

func TestAssumeRoleWithSAML(t *testing.T) {
	f := newFedEnv(t)
	prov := f.samlProvider(acct, "Corp")
	roleARN := f.role(acct, "eng", federatedTrust(prov, "sts:AssumeRoleWithSAML",
		`{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}`), 3600)
	c := anonymous(f.url)
	ctx := context.Background()
	a := f.saml.NewAssertion("alice@corp.example", roleARN, prov, "alice", time.Now())
	resp := f.saml.Response(t, a)
	out, err := c.AssumeRoleWithSAML(ctx, &awssts.AssumeRoleWithSAMLInput{RoleArn: aws.String(roleARN),
		PrincipalArn: aws.String(prov), SAMLAssertion: aws.String(resp)})
	if err != nil {
		t.Fatalf("AssumeRoleWithSAML: %v", err)
	}
	got := []string{aws.ToString(out.Subject), aws.ToString(out.SubjectType), aws.ToString(out.Issuer),
		aws.ToString(out.Audience), aws.ToString(out.AssumedRoleUser.Arn)}
	want := []string{"alice@corp.example", "persistent", f.saml.EntityID, fedtest.SignIn, "arn:aws:sts::" + acct + ":assumed-role/eng/alice"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("response (-want +got):\n%s", d)
	}
	if aws.ToString(out.NameQualifier) == "" {
		t.Error("no NameQualifier")
	}

	_, err = c.AssumeRoleWithSAML(ctx, &awssts.AssumeRoleWithSAMLInput{RoleArn: aws.String(roleARN),
		PrincipalArn: aws.String(prov), SAMLAssertion: aws.String(resp)})
	wantError(t, "replayed", err, "InvalidIdentityToken", "")

	noRole := f.saml.NewAssertion("alice@corp.example", roleARN, prov, "alice", time.Now())
	delete(noRole.Attributes, "https://aws.amazon.com/SAML/Attributes/Role")
	otherRole := f.role(acct, "other", federatedTrust(prov, "sts:AssumeRoleWithSAML", ""), 3600)
	tests := []struct{ name, role, resp, code string }{
		{"wrapped signature", roleARN, f.saml.Wrapped(t, f.saml.NewAssertion("alice@corp.example", roleARN, prov, "alice", time.Now()), "admin@corp.example"), "InvalidIdentityToken"},
		{"unsigned", roleARN, f.saml.Unsigned(t, f.saml.NewAssertion("alice@corp.example", roleARN, prov, "alice", time.Now())), "InvalidIdentityToken"},
		{"missing role attribute", roleARN, f.saml.Response(t, noRole), "InvalidIdentityToken"},
		{"role not in the assertion", otherRole, f.saml.Response(t, f.saml.NewAssertion("a", roleARN, prov, "a", time.Now())), "AccessDenied"},
	}
	for _, tt := range tests {
		_, err := c.AssumeRoleWithSAML(ctx, &awssts.AssumeRoleWithSAMLInput{RoleArn: aws.String(tt.role),
			PrincipalArn: aws.String(prov), SAMLAssertion: aws.String(tt.resp)})
		if got, _ := apiError(err); got != tt.code {
			t.Errorf("%s: got %v, want %s", tt.name, err, tt.code)
		}
	}
}

// TestGetWebIdentityToken: the token names the caller and verifies with
// the issuer's published keys, as a relying party would check it.
func TestGetWebIdentityToken(t *testing.T) {
	f := newFedEnv(t)
	alice := f.user(acct, "alice", authztest.Allow("*", "sts:GetWebIdentityToken"))
	bob := f.user(acct, "bob", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetWebIdentityToken","Resource":"*","Condition":{"ForAllValues:StringEquals":{"sts:IdentityTokenAudience":"only-this"}}}]}`)
	ctx := context.Background()
	out, err := f.sts(alice).GetWebIdentityToken(ctx, &awssts.GetWebIdentityTokenInput{Audience: []string{"svc"}, SigningAlgorithm: aws.String("RS256")})
	if err != nil {
		t.Fatalf("GetWebIdentityToken: %v", err)
	}
	jwks, err := jsonJWKS(f.iss)
	must(t, err)
	v, err := oidc.NewVerifier(oidc.Provider{URL: f.iss.URL(), ClientIDs: []string{"svc"}, JWKS: jwks}, oidc.Config{})
	must(t, err)
	id, err := v.Verify(ctx, aws.ToString(out.WebIdentityToken), time.Now())
	if err != nil {
		t.Fatalf("the token does not verify: %v", err)
	}
	if got, want := id.Subject, "arn:aws:iam::"+acct+":user/alice"; got != want {
		t.Errorf("sub = %s, want %s", got, want)
	}
	_, err = f.sts(bob).GetWebIdentityToken(ctx, &awssts.GetWebIdentityTokenInput{Audience: []string{"svc"}, SigningAlgorithm: aws.String("RS256")})
	wantError(t, "audience condition", err, "AccessDenied", "")
	_, err = f.sts(bob).GetWebIdentityToken(ctx, &awssts.GetWebIdentityTokenInput{Audience: []string{"only-this"}, SigningAlgorithm: aws.String("RS256")})
	must(t, err)
}

func jsonJWKS(i *issuer.Issuer) ([]byte, error) {
	r := httptest.NewRecorder()
	i.JWKSHandler().ServeHTTP(r, httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))
	return r.Body.Bytes(), nil
}

// BenchmarkAssumeRoleWithWebIdentity is the whole unsigned request through
// the dispatcher in process: form parsing, JWT verification (RS256, RSA
// 2048) against the cached JWKS, the trust policy, minting and the XML
// response. The same token is reused: web identity tokens are bearer
// tokens, valid until they expire.
func BenchmarkAssumeRoleWithWebIdentity(b *testing.B) {
	f := newFedEnv(b)
	prov := f.oidcProvider(acct)
	key := oidc.KeyOf(f.idp.Issuer())
	roleARN := f.role(acct, "web", federatedTrust(prov, "sts:AssumeRoleWithWebIdentity", `{"StringEquals":{"`+key+`:aud":"app"}}`), 3600)
	tok := f.idp.Token(b, f.idp.Claims("repo:brevet", "app", time.Now()))
	body := []byte(url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"}, "RoleArn": {roleARN},
		"RoleSessionName": {"bench"}, "WebIdentityToken": {tok}}.Encode())
	benchUnsigned(b, f.d, body)
}

// BenchmarkAssumeRoleWithSAML is the same for a 2048-bit RSA signed
// assertion; each iteration redeems a fresh assertion (the replay cache
// refuses a second use), built outside the timer.
func BenchmarkAssumeRoleWithSAML(b *testing.B) {
	f := newFedEnv(b)
	prov := f.samlProvider(acct, "Corp")
	roleARN := f.role(acct, "eng", federatedTrust(prov, "sts:AssumeRoleWithSAML", ""), 3600)
	const pool = 2000
	bodies := make([][]byte, 0, pool)
	for range pool {
		resp := f.saml.Response(b, f.saml.NewAssertion("alice@corp.example", roleARN, prov, "alice", time.Now()))
		bodies = append(bodies, []byte(url.Values{"Action": {"AssumeRoleWithSAML"}, "Version": {"2011-06-15"}, "RoleArn": {roleARN},
			"PrincipalArn": {prov}, "SAMLAssertion": {resp}}.Encode()))
	}
	i := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if i == len(bodies) {
			b.StopTimer()
			b.Fatalf("benchmark ran past its %d prepared assertions; use -benchtime=%dx or less", pool, pool)
		}
		serveUnsigned(b, f.d, bodies[i])
		i++
	}
}

func benchUnsigned(b *testing.B, d http.Handler, body []byte) {
	serveUnsigned(b, d, body) // warm the caches
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		serveUnsigned(b, d, body)
	}
}

func serveUnsigned(b *testing.B, d http.Handler, body []byte) {
	r := httptest.NewRequest(http.MethodPost, "http://example.com/", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	w := httptest.NewRecorder()
	d.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
}

// TestProviderChangeRebuildsVerifier: a provider's verifier is cached, and
// a change to the provider (here a new client id), once reported, takes
// effect for the next token.
func TestProviderChangeRebuildsVerifier(t *testing.T) {
	f := newFedEnv(t)
	prov := f.oidcProvider(acct)
	roleARN := f.role(acct, "web", federatedTrust(prov, "sts:AssumeRoleWithWebIdentity", ""), 3600)
	c := anonymous(f.url)
	assume := func(aud string) error {
		_, err := c.AssumeRoleWithWebIdentity(context.Background(), &awssts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN),
			RoleSessionName: aws.String("ses"), WebIdentityToken: aws.String(f.idp.Token(t, f.idp.Claims("a", aud, time.Now())))})
		return err
	}
	must(t, assume("app"))
	wantError(t, "unknown client id", assume("new-client"), "InvalidIdentityToken", "Incorrect token audience")
	ctx := context.Background()
	p, err := f.st.Providers().Get(ctx, prov)
	must(t, err)
	p.ClientIDs = append(p.ClientIDs, "new-client")
	p.Updated = p.Updated.Add(time.Second)
	must(t, f.st.Providers().Update(ctx, p))
	f.svc.ProviderChanged(prov)
	must(t, assume("new-client"))
}
