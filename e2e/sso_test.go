package e2e

import (
	"context"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"

	"github.com/brevet-dev/brevet/internal/credential/totp"
	"github.com/brevet-dev/brevet/internal/federation/fedtest"
)

// The single sign-on tests (issue 17) drive `aws sso login` and the SDKs'
// SSO credential providers against Brevet. ssoServer is a server with SSO
// on: HTTPS with a test CA (the sign-in cookies are Secure), the AWS SSO
// host names served from tls.extra_certificates, an in-test OIDC identity
// provider "corp" beside IAM users with password and TOTP.
type ssoServer struct {
	*brevet
	ca     *e2eCA
	caFile string                // the CA's PEM, for AWS_CA_BUNDLE and the like
	idp    *fedtest.OIDCProvider // signs in whoever signInAs names
	hc     *http.Client
	roots  *x509.CertPool // the test CA's and the provider's: what browsers trust
	admin  aws.Config

	mu    sync.Mutex
	roles map[string]string // role name -> ARN, made once
	n     int               // for unique names
	idpMu sync.Mutex        // one sign-in at the provider at a time
}

// ssoIdPName is the identity provider's name in the sso settings and in
// assignments (idp:corp); ssoIdPClient is Brevet's client id there.
const (
	ssoIdPName   = "corp"
	ssoIdPClient = "brevet-e2e"
)

// suiteTB is the test that starts something the whole suite shares: its
// cleanups run with TestMain's suite cleanups, not when that test ends.
type suiteTB struct{ *testing.T }

// Cleanup defers f to the suite's end.
func (suiteTB) Cleanup(f func()) { addSuiteCleanup(func() error { f(); return nil }) }

// idpPerson is a user of the identity provider.
type idpPerson struct {
	Email  string
	Groups []string
}

// ssoRoleName is the role people are assigned; ssoOtherRole one they are
// not.
const (
	ssoRoleName  = "Dev"
	ssoOtherRole = "Ops"
)

// launchSSO starts a server with SSO in dir on listen; ssoURL is sso.url
// ("" for the server's own URL); extraConfig is appended to its
// configuration file (top-level YAML sections). stop shuts it down and
// returns what went wrong (its log problems included), keeping its trail
// for the secret scan. The identity provider lives as long as life.
func launchSSO(t *testing.T, life testing.TB, dir, listen, ssoURL string, extraConfig ...string) (s *ssoServer, stop func() []string) {
	t.Helper()
	ca := newE2ECA(t, "e2e SSO CA")
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, ca.pem, 0o600); err != nil {
		t.Fatal(err)
	}
	mainCert, mainKey := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	ca.issueNames(t, 1, mainCert, mainKey, "localhost")
	namesCert, namesKey := filepath.Join(dir, "aws-names.crt"), filepath.Join(dir, "aws-names.key")
	ca.issueNames(t, 2, namesCert, namesKey, ssoOIDCHost, ssoPortalHost)
	idp := fedtest.NewOIDCProvider(life)
	idp.SetClient(ssoIdPClient, "") // a public client: PKCE only
	idpCAFile := filepath.Join(dir, "idp-ca.pem")
	if err := os.WriteFile(idpCAFile, idp.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`tls:
  cert: %s
  key: %s
  extra_certificates:
    - cert_file: %s
      key_file: %s
sso:
  identity_providers:
    - name: %s
      display_name: Corp sign-in
      issuer: %s
      client_id: %s
      groups_claim: groups
      ca_file: %s
`, mainCert, mainKey, namesCert, namesKey, ssoIdPName, idp.Issuer(), ssoIdPClient, idpCAFile)
	if ssoURL != "" {
		cfg += "  url: " + ssoURL + "\n"
	}
	cfg += strings.Join(extraConfig, "")
	cfgFile := filepath.Join(dir, "brevet.yaml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := launchBrevet(dir, nil, "--config", cfgFile, "--listen", listen,
		"--limit-failures-per-source", "off", "--limit-failures-per-key", "off")
	if err != nil {
		t.Fatal(err)
	}
	stop = func() []string {
		problems := append(b.shutdown(), b.logProblems()...)
		if err := suiteSecrets.archive(b); err != nil {
			problems = append(problems, "copying the audit trail for the secret scan: "+err.Error())
		}
		if len(problems) > 0 {
			problems = append(problems, "server output:\n"+b.logs.String())
		}
		return problems
	}
	if err := b.waitReady(); err != nil {
		stop()
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool}}}
	admin := b.goAdmin(t)
	admin.HTTPClient = hc
	roots := ca.pool.Clone()
	roots.AppendCertsFromPEM(idp.CAPEM)
	return &ssoServer{brevet: b, ca: ca, caFile: caFile, idp: idp, hc: hc, roots: roots, admin: admin, roles: map[string]string{}}, stop
}

// sharedSSOServer is the SSO server the tests in this process share.
var sharedSSOServer struct {
	once sync.Once
	s    *ssoServer
}

// sharedSSO returns the shared SSO server, started on first use and
// stopped by TestMain's suite cleanups.
func sharedSSO(t *testing.T) *ssoServer {
	t.Helper()
	sharedSSOServer.once.Do(func() {
		dir, err := os.MkdirTemp("", "brevet-e2e-sso-")
		if err != nil {
			t.Fatal(err)
		}
		s, stop := launchSSO(t, suiteTB{t}, dir, "127.0.0.1:0", "")
		addSuiteCleanup(func() error {
			problems := stop()
			_ = os.RemoveAll(dir)
			if len(problems) > 0 {
				return fmt.Errorf("the shared SSO server:\n%s", strings.Join(problems, "\n"))
			}
			return nil
		})
		sharedSSOServer.s = s
	})
	if sharedSSOServer.s == nil {
		t.Fatal("the shared SSO server did not start (see the first test that used it)")
	}
	return sharedSSOServer.s
}

// unique returns prefix with a number no other call on this server got.
func (s *ssoServer) unique(prefix string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return fmt.Sprintf("%s%d", prefix, s.n)
}

// ssoPerson is someone who signs in: an IAM user with a password and a
// virtual MFA device, or a user of the identity provider.
type ssoPerson struct {
	name     string // IAM user name, or the provider's email
	password string
	seed     totp.Seed
	idp      *idpPerson // set for the provider's users

	mu       sync.Mutex
	lastStep int64 // the last TOTP step a code was made for
}

// newIAMPerson creates an IAM user with a login profile and an enabled
// virtual MFA device, enabled with codes of steps already past.
func (s *ssoServer) newIAMPerson(t *testing.T, prefix string) *ssoPerson {
	t.Helper()
	name := s.unique(prefix)
	ctx := context.Background()
	ic := iam.NewFromConfig(s.admin)
	if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	p := &ssoPerson{name: name, password: "Sso-Password-" + name + "-1"}
	suiteSecrets.add(p.password)
	if _, err := ic.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String(name), Password: aws.String(p.password)}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	_, p.seed = enableVirtualMFA(t, ic, name, now) // mfa_test.go
	p.lastStep = now.Unix()/int64(totp.Period/time.Second) - 2
	return p
}

// newIdPPerson is a user of the identity provider, in groups.
func (s *ssoServer) newIdPPerson(prefix string, groups ...string) *ssoPerson {
	email := s.unique(prefix) + "@corp.example.com"
	return &ssoPerson{name: email, idp: &idpPerson{Email: email, Groups: groups}}
}

// code returns a TOTP code for a step the server has not seen used: the
// current step, or the next when it is used, waiting for the step after
// when both are. Not the previous step: a code for it would be refused a
// moment later, when the server's window moves on.
func (p *ssoPerson) code() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	period := int64(totp.Period / time.Second)
	for {
		cur := time.Now().Unix() / period
		step := max(cur, p.lastStep+1)
		if step <= cur+1 {
			p.lastStep = step
			c := totp.Code(p.seed, time.Unix(step*period, 0))
			suiteSecrets.add(c)
			return c
		}
		time.Sleep(time.Until(time.Unix((cur+1)*period, 0)))
	}
}

// role creates the role (once) that sso.amazonaws.com may assume and set
// the source identity of, as docs/sso.md asks, and returns its ARN.
func (s *ssoServer) role(t *testing.T, name string) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if arn, ok := s.roles[name]; ok {
		return arn
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sso.amazonaws.com"},` +
		`"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}]}`
	out, err := iam.NewFromConfig(s.admin).CreateRole(context.Background(), &iam.CreateRoleInput{
		RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	s.roles[name] = aws.ToString(out.Role.Arn)
	return s.roles[name]
}

// assign assigns role to a person (USER) or group (GROUP) through
// Brevet's API: IAM ones, or the provider's when idp is set.
func (s *ssoServer) assign(t *testing.T, role, principalType, name string, idp bool) {
	t.Helper()
	s.role(t, role)
	params := url.Values{"Action": {"CreateAccountAssignment"}, "RoleName": {role}, "PrincipalType": {principalType}, "PrincipalName": {name}}
	if idp {
		params.Set("PrincipalSource", "idp:"+ssoIdPName)
	}
	if code, body := s.query(t, params); code != http.StatusOK {
		t.Fatalf("CreateAccountAssignment %v: %d %s", params, code, body)
	}
}

// query calls an action of Brevet's own API signed with the admin key.
func (s *ssoServer) query(t *testing.T, params url.Values) (int, []byte) {
	t.Helper()
	return brevetQueryVia(t, s.hc, s.brevet, true, params)
}

// startURL is the sso_start_url clients are configured with.
func (s *ssoServer) startURL() string { return s.URL + "/start" }

// signIn completes the device sign-in the verification URL (with the user
// code) starts, as the person, in the browser, and presses allow (or deny
// when allow is false). It returns the last page shown.
func signIn(b *formBrowser, verification string, p *ssoPerson, allow bool) (*page, error) {
	pg, err := b.open(verification)
	if err != nil {
		return nil, err
	}
	action := "action=allow"
	if !allow {
		action = "action=deny"
	}
	for step := 0; step < 8; step++ {
		switch {
		case pg.status >= 400:
			return pg, fmt.Errorf("sign-in step %d: %s", step, pg.text())
		case pg.hasField("password") && p.idp != nil:
			pg, err = b.follow("/sso/idp/" + ssoIdPName + "/start")
		case pg.hasField("password"):
			pg, err = b.submit(map[string]string{"account": testAccount, "username": p.name, "password": p.password}, "")
		case pg.hasField("code"):
			pg, err = b.submit(map[string]string{"code": p.code()}, "")
		case pg.formWith(nil, action) != nil:
			return b.submit(nil, action)
		default:
			return pg, fmt.Errorf("sign-in step %d: a page with nothing to do:\n%s", step, pg.text())
		}
		if err != nil {
			return pg, err
		}
	}
	return pg, errors.New("sign-in took more than 8 pages")
}

// ssoTokens is what CreateToken answered a client.
type ssoTokens struct {
	clientID, clientSecret string
	clientExpires          time.Time
	accessToken            string
	refreshToken           string
	expires                time.Time
}

// oidcClient is an SSO OIDC client of aws-sdk-go-v2 for the server.
func (s *ssoServer) oidcClient() *ssooidc.Client {
	return ssooidc.New(ssooidc.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.URL), HTTPClient: s.hc})
}

// startDevice registers a public client and starts a device
// authorization for the server's start URL, as `aws sso login` does.
func (s *ssoServer) startDevice(t *testing.T) (*ssooidc.RegisterClientOutput, *ssooidc.StartDeviceAuthorizationOutput) {
	t.Helper()
	ctx := context.Background()
	oc := s.oidcClient()
	reg, err := oc.RegisterClient(ctx, &ssooidc.RegisterClientInput{ClientName: aws.String("brevet-e2e"), ClientType: aws.String("public"),
		Scopes: []string{"sso:account:access"}})
	if err != nil {
		t.Fatalf("RegisterClient: %v", err)
	}
	suiteSecrets.add(aws.ToString(reg.ClientSecret))
	da, err := oc.StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{ClientId: reg.ClientId,
		ClientSecret: reg.ClientSecret, StartUrl: aws.String(s.startURL())})
	if err != nil {
		t.Fatalf("StartDeviceAuthorization: %v", err)
	}
	return reg, da
}

// signInAs completes a sign-in as p in a new form browser; for a user of
// the identity provider, the provider signs p in meanwhile.
func (s *ssoServer) signInAs(verification string, p *ssoPerson, allow bool) (*page, error) {
	if p.idp != nil {
		s.idpMu.Lock()
		defer s.idpMu.Unlock()
		s.signInAtIdP(p)
	}
	return signIn(newFormBrowser(s.roots), verification, p, allow)
}

// signInAtIdP makes the provider sign p in from now on; the caller holds
// idpMu until p's sign-in is through.
func (s *ssoServer) signInAtIdP(p *ssoPerson) {
	s.idp.SignIn("sub-"+p.idp.Email, map[string]any{"email": p.idp.Email, "email_verified": true, "groups": p.idp.Groups})
}

// deviceLogin runs the device authorization flow as `aws sso login` does,
// signing the person in with a form browser, and returns the tokens.
func (s *ssoServer) deviceLogin(t *testing.T, p *ssoPerson) ssoTokens {
	t.Helper()
	reg, da := s.startDevice(t)
	if _, err := s.signInAs(aws.ToString(da.VerificationUriComplete), p, true); err != nil {
		t.Fatal(err)
	}
	tok, err := s.oidcClient().CreateToken(context.Background(), &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		GrantType: aws.String("urn:ietf:params:oauth:grant-type:device_code"), DeviceCode: da.DeviceCode})
	if err != nil {
		t.Fatalf("CreateToken after the sign-in: %v", err)
	}
	suiteSecrets.add(aws.ToString(tok.AccessToken), aws.ToString(tok.RefreshToken))
	return ssoTokens{clientID: aws.ToString(reg.ClientId), clientSecret: aws.ToString(reg.ClientSecret),
		clientExpires: time.Unix(reg.ClientSecretExpiresAt, 0), accessToken: aws.ToString(tok.AccessToken),
		refreshToken: aws.ToString(tok.RefreshToken), expires: time.Now().Add(time.Duration(tok.ExpiresIn) * time.Second)}
}

// ssoCacheFile is the token cache the CLI and botocore keep for an
// sso-session: ~/.aws/sso/cache/SHA1(session name).json.
func ssoCacheFile(home, session string) string {
	return filepath.Join(home, ".aws", "sso", "cache", sha1Hex(session)+".json")
}

func sha1Hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// ssoCache is a token cache file as the CLI v2 writes it.
type ssoCache struct {
	StartURL              string `json:"startUrl"`
	Region                string `json:"region"`
	AccessToken           string `json:"accessToken"`
	ExpiresAt             string `json:"expiresAt"`
	ClientID              string `json:"clientId"`
	ClientSecret          string `json:"clientSecret"`
	RegistrationExpiresAt string `json:"registrationExpiresAt"`
	RefreshToken          string `json:"refreshToken"`
}

// writeSSOCache writes the tokens as the CLI does after `aws sso login`,
// with the access token's expiry at expires.
func writeSSOCache(t *testing.T, file, startURL string, tk ssoTokens, expires time.Time) {
	t.Helper()
	c := ssoCache{StartURL: startURL, Region: "us-east-1", AccessToken: tk.accessToken, ExpiresAt: expires.UTC().Format(time.RFC3339),
		ClientID: tk.clientID, ClientSecret: tk.clientSecret, RegistrationExpiresAt: tk.clientExpires.UTC().Format(time.RFC3339),
		RefreshToken: tk.refreshToken}
	data, _ := json.Marshal(c)
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// readSSOCache reads a token cache file.
func readSSOCache(t *testing.T, file string) ssoCache {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var c ssoCache
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	suiteSecrets.add(c.AccessToken, c.RefreshToken, c.ClientSecret)
	return c
}

// expireSSOCache rewrites the access token's expiry in a cache file to the
// past, as a client finds it an hour after the sign-in.
func expireSSOCache(t *testing.T, file string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	m["expiresAt"] = time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	data, _ = json.Marshal(m)
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
