package signin_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/authz/authztest"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/credential/password"
	"github.com/brevet-dev/brevet/internal/credential/totp"
	"github.com/brevet-dev/brevet/internal/federation/fedtest"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/iamservice"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/ratelimit"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/sso"
	"github.com/brevet-dev/brevet/internal/sso/signin"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
	"github.com/brevet-dev/brevet/internal/sts"
)

const (
	acct     = "111122223333"
	alias    = "example-corp"
	pass     = "Correct-Horse-9-battery"
	clientID = "brevet-rp"
	secret   = "rp-secret-value"
)

var ctx = context.Background()

// env is a sign-in page over TLS on the real store, IAM and STS services,
// with an in-test OpenID provider and SSO flows (testFlows).
type env struct {
	t     *testing.T
	st    *sqlite.Store
	mk    *masterkey.Keyring
	w     *authztest.World
	iam   *iamservice.Service
	sts   *sts.Service
	az    *authz.Authorizer
	flows *sso.Service
	// client is a registered public client (device and authorization
	// code grants); userCode and deviceCode its pending device
	// authorization.
	client               *sso.RegisterClientOutput
	userCode, deviceCode string
	idp                  *fedtest.OIDCProvider
	audit                *recorder
	srv                  *httptest.Server
	pool                 *x509.CertPool
}

func newEnv(t *testing.T, opts ...func(*signin.Config)) *env {
	t.Helper()
	now := time.Now()
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "b.db"), Now: time.Now})
	must(t, err)
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, st: st, w: &authztest.World{Store: st, Now: now}, audit: &recorder{}}
	must(t, e.w.Account(acct))
	must(t, st.Accounts().SetAlias(ctx, acct, alias))
	e.mk, err = masterkey.Generate(rand.Reader, now)
	must(t, err)
	ring, err := credential.NewTokenKeyRing(rand.Reader, now.Add(-time.Hour))
	must(t, err)
	az, err := authz.New(ctx, authz.Config{Store: st, MessageKey: make([]byte, 32)})
	must(t, err)
	e.az = az
	e.sts, err = sts.New(sts.Config{Store: st, TokenKeys: ring, Authz: az, Secrets: e.mk, MFA: sts.MFALimits{MaxFailures: 5}})
	must(t, err)
	pw, err := password.NewHasher(password.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 2, rand.Reader)
	must(t, err)
	e.iam, err = iamservice.New(iamservice.Config{Store: st, MasterKey: e.mk, Passwords: pw})
	must(t, err)

	e.idp = fedtest.NewOIDCProvider(t)
	e.idp.SetClient(clientID, secret)
	e.srv = httptest.NewUnstartedServer(nil)
	e.srv.StartTLS()
	t.Cleanup(e.srv.Close)
	e.flows, err = sso.New(sso.Config{Objects: st.Objects(), InstanceAccount: acct, Sealer: e.mk, Opener: e.mk, Users: allUsers{},
		URL: e.srv.URL})
	must(t, err)
	e.client, err = e.flows.RegisterClient(ctx, &sso.RegisterClientInput{ClientName: "botocore-client-aws-cli", ClientType: "public",
		Scopes: []string{sso.ScopeAccountAccess}, GrantTypes: []string{sso.GrantDeviceCode, sso.GrantRefreshToken, sso.GrantAuthorizationCode},
		RedirectURIs: []string{redirectURI}}, "127.0.0.1", now)
	must(t, err)
	e.newDevice()
	e.pool = x509.NewCertPool()
	e.pool.AddCert(e.srv.Certificate())
	e.pool.AppendCertsFromPEM(e.idp.CAPEM)
	cfg := signin.Config{
		Flows: e.flows, Passwords: e.iam, MFA: e.sts, Users: signin.StoreUsers{Repos: st}, IAMUsers: true,
		Sealer: e.mk, Opener: e.mk, URL: e.srv.URL, Auditor: e.audit, Authorizer: az, HTTPClient: e.idp.Client,
		IdPs: []config.SSOIdentityProvider{{Name: "corp", DisplayName: "Corp SSO", Issuer: e.idp.Issuer(), ClientID: clientID,
			Scopes: config.DefaultSSOScopes, UsernameClaim: "email", GroupsClaim: "groups"}},
		Secrets: map[string]string{"corp": secret},
		// Generous limits; TestSignInRateLimits sets tight ones.
		Limits: signin.Limits{SignInPerUser: ratelimit.Rate{PerSecond: 100, Burst: 100}, SignInPerSource: ratelimit.Rate{PerSecond: 100, Burst: 100},
			UserCodesPerSource: ratelimit.Rate{PerSecond: 100, Burst: 100}},
	}
	for _, o := range opts {
		o(&cfg)
	}
	h, err := signin.New(cfg)
	must(t, err)
	e.srv.Config.Handler = h
	return e
}

// user creates an IAM user with a password, in groups; mfa gives it a
// virtual MFA device and returns its seed.
func (e *env) user(name string, mfa bool, groups ...string) totp.Seed {
	e.t.Helper()
	_, err := e.w.User(acct, name)
	must(e.t, err)
	for _, g := range groups {
		if _, err := e.st.Groups().Get(ctx, acct, g); err != nil {
			must(e.t, e.w.Group(acct, g))
		}
		must(e.t, e.st.Groups().AddUser(ctx, acct, g, name))
	}
	_, err = e.iam.CreateLoginProfile(ctx, &identity.Principal{Account: acct}, &iamapi.CreateLoginProfileRequest{UserName: name, Password: pass}, time.Now())
	must(e.t, err)
	if !mfa {
		return totp.Seed{}
	}
	seed, err := totp.NewSeed(rand.Reader)
	must(e.t, err)
	serial := iam.MFASerial(acct, "/", name+"-mfa")
	sealed, err := e.mk.Seal(seed.Bytes(), sts.MFASeedPurpose(serial))
	must(e.t, err)
	must(e.t, e.st.MFADevices().Create(ctx, iam.VirtualMFADevice{Account: acct, SerialNumber: serial, Path: "/", Name: name + "-mfa",
		SeedCiphertext: sealed, Created: time.Now()}))
	must(e.t, e.st.MFADevices().Assign(ctx, serial, name, time.Now(), totp.Step(time.Now())-10))
	return seed
}

// browser is a client with a cookie jar that trusts the page and the
// provider, and follows no redirect by itself.
type browser struct {
	e      *env
	c      *http.Client
	origin string // sent as Origin on POSTs; "" sends none
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	must(e.t, err)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: e.pool, MinVersion: tls.VersionTLS12}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	e.t.Cleanup(c.CloseIdleConnections)
	return &browser{e: e, c: c, origin: e.srv.URL}
}

// resp is a response read whole.
type resp struct {
	*http.Response
	body string
}

func (b *browser) get(u string) resp {
	b.e.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.e.srv.URL + u
	}
	r, err := b.c.Get(u)
	must(b.e.t, err)
	return read(b.e.t, r)
}

func (b *browser) post(path string, form url.Values) resp {
	b.e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	must(b.e.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if b.origin != "" {
		req.Header.Set("Origin", b.origin)
	}
	r, err := b.c.Do(req)
	must(b.e.t, err)
	return read(b.e.t, r)
}

// follow GETs Location until a response that is not a redirect.
func (b *browser) follow(r resp) resp {
	b.e.t.Helper()
	for i := 0; i < 10 && r.StatusCode >= 300 && r.StatusCode < 400; i++ {
		loc, err := r.Location()
		must(b.e.t, err)
		r = b.get(loc.String())
	}
	return r
}

func read(t *testing.T, r *http.Response) resp {
	t.Helper()
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	must(t, err)
	return resp{Response: r, body: string(b)}
}

var hiddenRE = regexp.MustCompile(`name="(csrf|request|next)" value="([^"]*)"`)

// field is a hidden field of the page's form.
func (r resp) field(name string) string {
	for _, m := range hiddenRE.FindAllStringSubmatch(r.body, -1) {
		if m[1] == name {
			return strings.ReplaceAll(m[2], "&amp;", "&")
		}
	}
	return ""
}

// signIn signs in name with the password (and the TOTP code of seed when
// it has one), from the device page, and returns the confirmation page.
func (b *browser) signIn(account, name string, seed *totp.Seed) resp {
	b.e.t.Helper()
	r := b.follow(b.get("/sso/device?user_code=" + b.e.userCode))
	r = b.post("/sso/signin", url.Values{"csrf": {r.field("csrf")}, "next": {r.field("next")}, "account": {account}, "username": {name}, "password": {pass}})
	if seed != nil {
		r = b.post("/sso/signin/mfa", url.Values{"csrf": {r.field("csrf")}, "next": {r.field("next")}, "code": {totp.Code(*seed, time.Now())}})
	}
	return b.follow(r)
}

// newDevice starts a device authorization of the client.
func (e *env) newDevice() {
	e.t.Helper()
	out, err := e.flows.StartDeviceAuthorization(ctx, &sso.StartDeviceAuthorizationInput{ClientID: e.client.ClientID,
		ClientSecret: e.client.ClientSecret, StartURL: e.srv.URL + "/start"}, "127.0.0.1", time.Now())
	must(e.t, err)
	e.userCode, e.deviceCode = out.UserCode, out.DeviceCode
}

// approval redeems the device code as the CLI would and returns the
// identity its access token carries; false when the device grant is
// refused (pending, denied).
func (e *env) approval() (sso.Identity, bool) {
	e.t.Helper()
	out, err := e.flows.CreateToken(ctx, &sso.CreateTokenInput{ClientID: e.client.ClientID, ClientSecret: e.client.ClientSecret,
		GrantType: sso.GrantDeviceCode, DeviceCode: e.deviceCode}, "127.0.0.1", time.Now())
	if err != nil {
		return sso.Identity{}, false
	}
	tok, err := e.flows.Authenticate(ctx, out.AccessToken, time.Now())
	must(e.t, err)
	return tok.Identity, true
}

// allUsers keeps every identity as it is: the re-check at refresh is
// package sso's and the node's business, not the pages'.
type allUsers struct{}

func (allUsers) Check(_ context.Context, id sso.Identity) (sso.Identity, bool, error) {
	return id, true, nil
}

const redirectURI = "http://127.0.0.1:43210/oauth/callback"

// recorder keeps the audit records.
type recorder struct {
	mu   sync.Mutex
	recs []request.Record
}

func (a *recorder) Audit(_ context.Context, rec *request.Record) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.recs = append(a.recs, *rec)
	return nil
}

// events lists the records as ACTION:RESULT-or-ERROR.
func (a *recorder) events() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, r := range a.recs {
		res := r.ErrorCode
		if res == "" {
			res, _ = r.ResponseElements["result"].(string)
		}
		out = append(out, r.Action+":"+res)
	}
	return out
}

// text is every record as JSON, to look for secrets in.
func (a *recorder) text() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var b strings.Builder
	for _, r := range a.recs {
		j, _ := json.Marshal([]any{r.RequestParameters, r.ResponseElements, r.ErrorMessage})
		b.Write(j)
	}
	return b.String()
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
