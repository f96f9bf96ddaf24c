package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// ssoSDKHome is a HOME for an SDK: ~/.aws/config with the sso-session
// profile "dev" (and "ops-brevet" for a role not assigned), and the token
// cache of a sign-in whose access token has expired, so the SDK must renew
// it with the refresh token. It returns HOME, the cache file and the
// environment. With docs set, the config file is docs/sso.md's, as
// pasted, with its services section pointing the SDK at the server;
// otherwise the environment does (AWS_ENDPOINT_URL_SSO_OIDC, _SSO, _STS).
func (s *ssoServer) ssoSDKHome(t *testing.T, tk ssoTokens, docs bool) (home, cache string, env []string) {
	t.Helper()
	home = t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := strings.ReplaceAll(ssoCLIConfig(s.startURL(), "brevet"), "[profile dev-brevet]", "[profile dev]")
	if docs {
		cfg = s.docsClientConfig(t)
	}
	if err := os.WriteFile(filepath.Join(home, ".aws", "config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cache = ssoCacheFile(home, "brevet")
	writeSSOCache(t, cache, s.startURL(), tk, time.Now().Add(-time.Minute))
	env = append(envWithHome(home), "AWS_CONFIG_FILE="+filepath.Join(home, ".aws", "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, ".aws", "credentials"),
		"AWS_CA_BUNDLE="+s.caFile, "NODE_EXTRA_CA_CERTS="+s.caFile, "AWS_EC2_METADATA_DISABLED=true")
	if !docs {
		env = append(env, "AWS_ENDPOINT_URL_SSO_OIDC="+s.URL, "AWS_ENDPOINT_URL_SSO="+s.URL, "AWS_ENDPOINT_URL_STS="+s.URL)
	}
	return home, cache, env
}

// docsClientConfig is the client configuration of docs/sso.md ("##
// Clients"), for this server, account and role, with a profile for the
// role nobody is assigned added.
func (s *ssoServer) docsClientConfig(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile("../docs/sso.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## Clients.*?```ini\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/sso.md has no ```ini block under ## Clients")
	}
	cfg := string(m[1])
	for _, want := range []string{"https://brevet.example.com", "111122223333", "Developer", "[profile dev]", "[sso-session brevet]", "services = brevet"} {
		if !strings.Contains(cfg, want) {
			t.Fatalf("docs/sso.md's client configuration has no %q:\n%s", want, cfg)
		}
	}
	cfg = strings.NewReplacer("https://brevet.example.com", s.URL, "111122223333", testAccount, "Developer", ssoRoleName).Replace(cfg)
	return cfg + fmt.Sprintf("\n[profile ops-brevet]\nsso_session = brevet\nsso_account_id = %s\nsso_role_name = %s\nregion = us-east-1\nservices = brevet\n",
		testAccount, ssoOtherRole)
}

// checkRenewed checks that the SDK renewed the cached token: a new access
// token expiring in the future, and a new refresh token.
func checkRenewed(t *testing.T, cache string, tk ssoTokens) {
	t.Helper()
	c := readSSOCache(t, cache)
	exp, err := time.Parse(time.RFC3339, c.ExpiresAt)
	if err != nil || !exp.After(time.Now()) || c.AccessToken == tk.accessToken || c.RefreshToken == tk.refreshToken || c.RefreshToken == "" {
		t.Errorf("token cache after the SDK ran: expires %q (%v), new access token %v, new refresh token %v; want a renewed token",
			c.ExpiresAt, err, c.AccessToken != tk.accessToken, c.RefreshToken != tk.refreshToken && c.RefreshToken != "")
	}
}

// TestSSOBoto3: boto3 with docs/sso.md's sso_session profile as pasted
// (its endpoints in the config file's services section) renews the
// expired access token from the shared cache and gets the assigned
// role's credentials; a profile for a role not assigned is refused.
func TestSSOBoto3(t *testing.T) {
	t.Parallel()
	need(t, "python3 with boto3", haveBoto3())
	s := sharedSSO(t)
	p := s.newIAMPerson(t, "boto")
	s.assign(t, ssoRoleName, "USER", p.name, false)
	s.role(t, ssoOtherRole)
	tk := s.deviceLogin(t, p)
	home, cache, env := s.ssoSDKHome(t, tk, true)
	c := &client{t: t, home: home, env: env}
	out, err := c.exec("python3", "-c", `
import boto3, botocore.exceptions, json
out = {"arn": boto3.Session(profile_name="dev").client("sts").get_caller_identity()["Arn"]}
try:
    boto3.Session(profile_name="ops-brevet").client("sts").get_caller_identity()
    out["ops"] = "served"
except botocore.exceptions.ClientError as e:
    out["ops"] = e.operation_name + ": " + e.response["Error"]["Code"]
print(json.dumps(out))
`)
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Arn, Ops string }
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	if want := "arn:aws:sts::" + testAccount + ":assumed-role/" + ssoRoleName + "/" + p.name; got.Arn != want {
		t.Errorf("boto3 caller %s; want %s", got.Arn, want)
	}
	if !strings.HasPrefix(got.Ops, "GetRoleCredentials: ") {
		t.Errorf("boto3 with the role not assigned: %q; want GetRoleCredentials refused", got.Ops)
	}
	checkRenewed(t, cache, tk)
}

// TestSSOGoSDK: aws-sdk-go-v2's ssocreds with NewSSOTokenProvider renews
// the expired access token of a person signed in through the identity
// provider (assigned by group) and gets the role's credentials; then the
// replaced refresh token is refused and, as a reuse, ends the session;
// a sign-in the person denies gives the client no token.
func TestSSOGoSDK(t *testing.T) {
	t.Parallel()
	s := sharedSSO(t)
	ctx := context.Background()
	group := s.unique("go-team-")
	p := s.newIdPPerson("gopher", group)
	s.assign(t, ssoRoleName, "GROUP", group, true)
	tk := s.deviceLogin(t, p)
	_, cache, _ := s.ssoSDKHome(t, tk, false)

	cfg := aws.Config{Region: "us-east-1", HTTPClient: s.hc}
	oidc := ssooidc.NewFromConfig(cfg, func(o *ssooidc.Options) { o.BaseEndpoint = aws.String(s.URL) })
	portal := sso.NewFromConfig(cfg, func(o *sso.Options) { o.BaseEndpoint = aws.String(s.URL) })
	provider := ssocreds.New(portal, testAccount, ssoRoleName, s.startURL(), func(o *ssocreds.Options) {
		o.SSOTokenProvider = ssocreds.NewSSOTokenProvider(oidc, cache)
	})
	creds, err := provider.Retrieve(ctx)
	if err != nil {
		t.Fatalf("ssocreds Retrieve: %v", err)
	}
	suiteSecrets.add(creds.SecretAccessKey, creds.SessionToken)
	cfg.Credentials = aws.NewCredentialsCache(provider)
	id, err := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(s.URL) }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sts::" + testAccount + ":assumed-role/" + ssoRoleName + "/"; !strings.HasPrefix(aws.ToString(id.Arn), want) {
		t.Errorf("Go SDK caller %s; want %s...", aws.ToString(id.Arn), want)
	}
	checkRenewed(t, cache, tk)

	// One more rotation makes the refresh token the SDK replaced two
	// generations old (the previous one is honoured for 30 s, for
	// clients refreshing from two processes at once); used again it is
	// refused, and the session ends (the renewed tokens go with it).
	renewed := readSSOCache(t, cache)
	newest, err := oidc.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: aws.String(tk.clientID), ClientSecret: aws.String(tk.clientSecret),
		GrantType: aws.String("refresh_token"), RefreshToken: aws.String(renewed.RefreshToken)})
	if err != nil {
		t.Fatalf("CreateToken with the renewed refresh token: %v", err)
	}
	suiteSecrets.add(aws.ToString(newest.AccessToken), aws.ToString(newest.RefreshToken))
	_, err = oidc.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: aws.String(tk.clientID), ClientSecret: aws.String(tk.clientSecret),
		GrantType: aws.String("refresh_token"), RefreshToken: aws.String(tk.refreshToken)})
	if code := errCode(err); code != "InvalidGrantException" {
		t.Errorf("CreateToken with the replaced refresh token: %v; want InvalidGrantException", err)
	}
	_, err = portal.ListAccounts(ctx, &sso.ListAccountsInput{AccessToken: newest.AccessToken})
	if !isUnauthorized(err) {
		t.Errorf("ListAccounts after the refresh token's reuse: %v; want UnauthorizedException", err)
	}

	// Denied at the device page: CreateToken answers AccessDeniedException.
	denier := s.newIAMPerson(t, "denier")
	reg, da := s.startDevice(t)
	if _, err := s.signInAs(aws.ToString(da.VerificationUriComplete), denier, false); err != nil {
		t.Fatal(err)
	}
	_, err = oidc.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		GrantType: aws.String("urn:ietf:params:oauth:grant-type:device_code"), DeviceCode: da.DeviceCode})
	if code := errCode(err); code != "AccessDeniedException" {
		t.Errorf("CreateToken after the person denied: %v; want AccessDeniedException", err)
	}
}

// TestSSOJSSDK: the JavaScript SDK v3's fromSSO, its endpoints set with
// AWS_ENDPOINT_URL_SSO_OIDC and AWS_ENDPOINT_URL_SSO, renews the expired
// access token from the shared cache and gets the role's credentials.
func TestSSOJSSDK(t *testing.T) {
	t.Parallel()
	_, statErr := os.Stat(jsSSO)
	need(t, "node with e2e/js/node_modules holding @aws-sdk/credential-providers (npm ci --prefix e2e/js)", have("node") && statErr == nil)
	s := sharedSSO(t)
	p := s.newIAMPerson(t, "js")
	s.assign(t, ssoRoleName, "USER", p.name, false)
	tk := s.deviceLogin(t, p)
	home, cache, env := s.ssoSDKHome(t, tk, false)
	wd, _ := os.Getwd()
	c := &client{t: t, home: home, env: env}
	out, err := c.exec("node", wd+"/js/sso_fromsso.mjs")
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sts::" + testAccount + ":assumed-role/" + ssoRoleName + "/" + p.name; strings.TrimSpace(out) != want {
		t.Errorf("JS SDK caller %q; want %s", strings.TrimSpace(out), want)
	}
	checkRenewed(t, cache, tk)
}

// TestSSOSignInRefusals: through the sign-in pages, as a browser sends
// them, a wrong password, a wrong TOTP code and a code already used (a
// replay in the same step) never reach the device's approval, and the
// client polling for its token still waits.
func TestSSOSignInRefusals(t *testing.T) {
	t.Parallel()
	s := sharedSSO(t)
	ctx := context.Background()
	// Two people: each stays within the pages' sign-in budget per user.
	p, q := s.newIAMPerson(t, "refused"), s.newIAMPerson(t, "replayer")
	pending := func(what string, reg *ssooidc.RegisterClientOutput, da *ssooidc.StartDeviceAuthorizationOutput) {
		t.Helper()
		_, err := s.oidcClient().CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
			GrantType: aws.String("urn:ietf:params:oauth:grant-type:device_code"), DeviceCode: da.DeviceCode})
		if code := errCode(err); code != "AuthorizationPendingException" {
			t.Errorf("%s: CreateToken %v; want AuthorizationPendingException", what, err)
		}
	}
	notApproved := func(what string, pg *page, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if pg.formWith(nil, "action=allow") != nil {
			t.Errorf("%s: the page offers to approve the device:\n%s", what, pg.text())
		}
	}
	open := func() (*formBrowser, *ssooidc.RegisterClientOutput, *ssooidc.StartDeviceAuthorizationOutput) {
		t.Helper()
		reg, da := s.startDevice(t)
		b := newFormBrowser(s.roots)
		if _, err := b.open(aws.ToString(da.VerificationUriComplete)); err != nil {
			t.Fatal(err)
		}
		return b, reg, da
	}
	signInForm := func(p *ssoPerson, password string) map[string]string {
		return map[string]string{"account": testAccount, "username": p.name, "password": password}
	}

	b, reg, da := open()
	pg, err := b.submit(signInForm(p, "Wrong-Password-9"), "")
	notApproved("wrong password", pg, err)
	if pg.hasField("code") {
		t.Errorf("wrong password: the page asks for the MFA code")
	}
	pending("wrong password", reg, da)

	b, reg, da = open()
	if _, err := b.submit(signInForm(p, p.password), ""); err != nil {
		t.Fatal(err)
	}
	pg, err = b.submit(map[string]string{"code": wrongMFACode(t, p.seed)}, "")
	notApproved("wrong TOTP code", pg, err)
	pending("wrong TOTP code", reg, da)

	// A code signs in once; the same code again is a replay.
	code := q.code()
	b, _, _ = open()
	if _, err := b.submit(signInForm(q, q.password), ""); err != nil {
		t.Fatal(err)
	}
	if pg, err = b.submit(map[string]string{"code": code}, ""); err != nil || pg.formWith(nil, "action=allow") == nil {
		t.Fatalf("the right code: %v; want the approval page:\n%s", err, pg.text())
	}
	b, reg, da = open()
	if _, err := b.submit(signInForm(q, q.password), ""); err != nil {
		t.Fatal(err)
	}
	pg, err = b.submit(map[string]string{"code": code}, "")
	notApproved("replayed TOTP code", pg, err)
	pending("replayed TOTP code", reg, da)
}
