package node

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssso "github.com/aws/aws-sdk-go-v2/service/sso"
	ssotypes "github.com/aws/aws-sdk-go-v2/service/sso/types"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/brevet-dev/brevet/internal/sigv4"
	"github.com/brevet-dev/brevet/internal/sso"
	"github.com/brevet-dev/brevet/internal/sso/signin"
)

// portalEnv is a node with user ann, role Dev (trusting the portal)
// assigned to her, role Ops (not assigned), and ann signed in.
type portalEnv struct {
	n      *Node
	creds  sigv4.Credentials
	cfg    aws.Config
	portal *awssso.Client
	token  string
}

const portalTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sso.amazonaws.com"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}]}`

func startPortalNode(tb testing.TB, env ...string) *portalEnv {
	tb.Helper()
	dataDir := filepath.Join(tb.TempDir(), "data")
	n, _ := startNode(tb, dataDir, Options{}, env...)
	return newPortalEnv(tb, n, adminCreds(tb, dataDir))
}

// newPortalEnv sets the users, roles and assignment up on node n, signing
// with creds, and signs ann in.
func newPortalEnv(tb testing.TB, n *Node, creds sigv4.Credentials) *portalEnv {
	tb.Helper()
	e := &portalEnv{n: n, creds: creds}
	e.cfg = aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(n.URL()), Credentials: aws.AnonymousCredentials{}}
	e.portal = awssso.NewFromConfig(e.cfg)
	for _, call := range []string{
		"Action=CreateUser&Version=2010-05-08&UserName=ann",
		"Action=CreateLoginProfile&Version=2010-05-08&UserName=ann&Password=Correct-Horse-Battery-9",
		"Action=CreateRole&Version=2010-05-08&RoleName=Dev&MaxSessionDuration=7200&AssumeRolePolicyDocument=" + url.QueryEscape(portalTrust),
		"Action=CreateRole&Version=2010-05-08&RoleName=Ops&AssumeRolePolicyDocument=" + url.QueryEscape(portalTrust),
	} {
		if code, body := signedPostTo(tb, http.DefaultClient, n.URL(), "iam", e.creds, call); code != 200 {
			tb.Fatalf("%s: %d %s", call, code, body)
		}
	}
	e.assign(tb, "CreateAccountAssignment", "Dev", 200)
	e.token = e.signIn(tb, "ann")
	return e
}

// assign calls a brevet assignment action for ann and role.
func (e *portalEnv) assign(tb testing.TB, action, role string, want int) {
	tb.Helper()
	code, body := signedPostTo(tb, http.DefaultClient, e.n.URL(), "brevet", e.creds,
		"Action="+action+"&Version=2026-11-01&RoleName="+role+"&PrincipalType=USER&PrincipalName=ann")
	if code != want {
		tb.Fatalf("%s %s: %d %s", action, role, code, body)
	}
}

var userIDPattern = regexp.MustCompile(`<UserId>([A-Z0-9]+)</UserId>`)

// signIn runs the device authorization grant with the SDK's SSO OIDC
// client, approving the device as the sign-in page would for IAM user
// name, and returns the access token.
func (e *portalEnv) signIn(tb testing.TB, name string) string {
	tb.Helper()
	_, tok := e.signInTokens(tb, name)
	return *tok.AccessToken
}

// identity is IAM user name's identity, as the sign-in page establishes
// it.
func (e *portalEnv) identity(tb testing.TB, name string) sso.Identity {
	tb.Helper()
	code, body := signedPostTo(tb, http.DefaultClient, e.n.URL(), "iam", e.creds, "Action=GetUser&Version=2010-05-08&UserName="+name)
	m := userIDPattern.FindStringSubmatch(body)
	if code != 200 || m == nil {
		tb.Fatalf("GetUser: %d %s", code, body)
	}
	return sso.Identity{Source: sso.SourceIAM, Account: testAccount, UserID: m[1], UserName: name}
}

// signInTokens is signIn returning the client registration and all the
// tokens (the refresh token too).
func (e *portalEnv) signInTokens(tb testing.TB, name string) (*ssooidc.RegisterClientOutput, *ssooidc.CreateTokenOutput) {
	tb.Helper()
	ctx := context.Background()
	id := e.identity(tb, name)
	oidc := ssooidc.NewFromConfig(e.cfg)
	reg, err := oidc.RegisterClient(ctx, &ssooidc.RegisterClientInput{ClientName: aws.String("test"), ClientType: aws.String("public"),
		Scopes: []string{"sso:account:access"}})
	if err != nil {
		tb.Fatal(err)
	}
	dev, err := oidc.StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{ClientId: reg.ClientId,
		ClientSecret: reg.ClientSecret, StartUrl: aws.String(e.n.URL() + "/start")})
	if err != nil {
		tb.Fatal(err)
	}
	if err := e.n.sso.ApproveDevice(ctx, *dev.UserCode, id, time.Now()); err != nil {
		tb.Fatal(err)
	}
	tok, err := oidc.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		GrantType: aws.String("urn:ietf:params:oauth:grant-type:device_code"), DeviceCode: dev.DeviceCode})
	if err != nil {
		tb.Fatal(err)
	}
	return reg, tok
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestSSOPortalWithSDK drives the portal with aws-sdk-go-v2's sso client
// through the real pipeline: the person's accounts and roles, a role
// session that acts as the role with the person's name, and the refusals.
func TestSSOPortalWithSDK(t *testing.T) {
	e := startPortalNode(t)
	ctx := t.Context()
	accts, err := e.portal.ListAccounts(ctx, &awssso.ListAccountsInput{AccessToken: &e.token})
	if err != nil {
		t.Fatal(err)
	}
	if len(accts.AccountList) != 1 || aws.ToString(accts.AccountList[0].AccountId) != testAccount || aws.ToString(accts.AccountList[0].AccountName) == "" {
		t.Fatalf("ListAccounts = %+v", accts.AccountList)
	}
	roles, err := e.portal.ListAccountRoles(ctx, &awssso.ListAccountRolesInput{AccessToken: &e.token, AccountId: aws.String(testAccount)})
	if err != nil || len(roles.RoleList) != 1 || aws.ToString(roles.RoleList[0].RoleName) != "Dev" {
		t.Fatalf("ListAccountRoles = %+v, %v; want Dev only", roles, err)
	}
	start := time.Now()
	rc, err := e.portal.GetRoleCredentials(ctx, &awssso.GetRoleCredentialsInput{AccessToken: &e.token, AccountId: aws.String(testAccount), RoleName: aws.String("Dev")})
	if err != nil {
		t.Fatal(err)
	}
	c := rc.RoleCredentials
	if exp := time.UnixMilli(c.Expiration); exp.Before(start.Add(59*time.Minute)) || exp.After(start.Add(61*time.Minute)) {
		t.Errorf("expiration %v, want an hour from now (the default role session)", exp)
	}
	stsc := awssts.NewFromConfig(e.cfg, func(o *awssts.Options) {
		o.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken}, nil
		})
	})
	who, err := stsc.GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != "arn:aws:sts::"+testAccount+":assumed-role/Dev/ann" {
		t.Fatalf("GetCallerIdentity = %v, %v", who, err)
	}

	trail := readTrail(t, e.n)
	for _, secret := range []string{e.token, *c.SecretAccessKey, *c.SessionToken} {
		if strings.Contains(trail, secret) {
			t.Error("the audit trail holds a secret")
		}
	}
	for _, want := range []string{`"eventName":"GetRoleCredentials"`, `"arn":"arn:aws:iam::` + testAccount + `:user/ann"`, `"eventSource":"sso.amazonaws.com"`} {
		if !strings.Contains(trail, want) {
			t.Errorf("the trail lacks %s", want)
		}
	}

	for _, tt := range []struct {
		name, token, account, role, want string
	}{
		{"role not assigned", e.token, testAccount, "Ops", "ForbiddenException"},
		{"role of another account", e.token, "444455556666", "Dev", "ForbiddenException"},
		{"forged token", "aoa" + e.token[3:], testAccount, "Dev", "UnauthorizedException"},
		{"garbage token", "x", testAccount, "Dev", "UnauthorizedException"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.portal.GetRoleCredentials(ctx, &awssso.GetRoleCredentialsInput{AccessToken: &tt.token, AccountId: &tt.account, RoleName: &tt.role})
			if errorCode(err) != tt.want {
				t.Errorf("GetRoleCredentials = %v, want %s", err, tt.want)
			}
		})
	}
	if _, err := e.portal.ListAccountRoles(ctx, &awssso.ListAccountRolesInput{AccessToken: &e.token, AccountId: aws.String(testAccount),
		NextToken: aws.String("bm90IGEgdG9rZW4")}); errorCode(err) != "InvalidRequestException" {
		t.Errorf("ListAccountRoles with a bad next token = %v", err)
	}
	var unauthorized *ssotypes.UnauthorizedException
	if _, err := e.portal.ListAccounts(ctx, &awssso.ListAccountsInput{AccessToken: aws.String("nope")}); !errors.As(err, &unauthorized) {
		t.Errorf("ListAccounts with a bad token = %v, want the SDK's UnauthorizedException", err)
	}

	// Removing the assignment refuses the very next request.
	e.assign(t, "DeleteAccountAssignment", "Dev", 200)
	if _, err := e.portal.GetRoleCredentials(ctx, &awssso.GetRoleCredentialsInput{AccessToken: &e.token, AccountId: aws.String(testAccount),
		RoleName: aws.String("Dev")}); errorCode(err) != "ForbiddenException" {
		t.Errorf("GetRoleCredentials after DeleteAccountAssignment = %v, want ForbiddenException", err)
	}
	// Logout ends the session: its token is refused from then on.
	if _, err := e.portal.Logout(ctx, &awssso.LogoutInput{AccessToken: &e.token}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.portal.ListAccounts(ctx, &awssso.ListAccountsInput{AccessToken: &e.token}); errorCode(err) != "UnauthorizedException" {
		t.Errorf("ListAccounts after Logout = %v, want UnauthorizedException", err)
	}
}

// TestSSOPortalThrottlesBadTokens: a source that keeps presenting bad
// tokens is answered TooManyRequestsException before its tokens are
// looked at.
func TestSSOPortalThrottlesBadTokens(t *testing.T) {
	e := startPortalNode(t, "BREVET_LIMIT_FAILURES_PER_SOURCE=1/s:3")
	var codes []string
	for range 6 {
		req, _ := http.NewRequest("GET", e.n.URL()+"/assignment/accounts", nil)
		req.Header.Set("x-amz-sso_bearer_token", "bad")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes = append(codes, resp.Header.Get("x-amzn-ErrorType"))
	}
	if codes[0] != "UnauthorizedException" || codes[5] != "TooManyRequestsException" {
		t.Errorf("answers = %v, want UnauthorizedException first and TooManyRequestsException at last", codes)
	}
}

// TestSSOPortalAcrossNodes: two nodes on one PostgreSQL store. A person
// signed in through one obtains credentials through the other; deleting
// the assignment or logging out through the first is refused by the
// second as soon as the change feed reaches it. Deleting the person's
// login profile through the first makes the second refuse their refresh
// token at once (it reads the store) and their access token, which it
// had cached, as soon as the change feed reaches it.
func TestSSOPortalAcrossNodes(t *testing.T) {
	n1, n2, dir1 := startTwoNodes(t)
	e := newPortalEnv(t, n1, adminCreds(t, dir1))
	other := awssso.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(n2.URL()), Credentials: aws.AnonymousCredentials{}})
	ctx := t.Context()
	get := func() error {
		_, err := other.GetRoleCredentials(ctx, &awssso.GetRoleCredentialsInput{AccessToken: &e.token, AccountId: aws.String(testAccount), RoleName: aws.String("Dev")})
		return err
	}
	// The other node may not have read the assignment's change yet.
	until := func(what, want string) time.Duration {
		t.Helper()
		start := time.Now()
		for {
			err := get()
			if errorCode(err) == want {
				return time.Since(start)
			}
			if time.Since(start) > 5*time.Second {
				t.Fatalf("%s: GetRoleCredentials on the other node = %v after 5 s, want %q", what, err, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	until("assigned", "")
	e.assign(t, "DeleteAccountAssignment", "Dev", 200)
	t.Logf("assignment deleted: refused on the other node after %v", until("unassigned", "ForbiddenException"))
	e.assign(t, "CreateAccountAssignment", "Dev", 200)
	until("assigned again", "")
	if _, err := e.portal.Logout(ctx, &awssso.LogoutInput{AccessToken: &e.token}); err != nil {
		t.Fatal(err)
	}
	t.Logf("logged out: refused on the other node after %v", until("logged out", "UnauthorizedException"))

	// Two sessions of ann, both in use on the other node (cached there):
	// one to refresh, one to use its access token.
	reg, refreshed := e.signInTokens(t, "ann")
	_, used := e.signInTokens(t, "ann")
	list := func(token *string) error {
		_, err := other.ListAccounts(ctx, &awssso.ListAccountsInput{AccessToken: token})
		return err
	}
	for _, token := range []*string{refreshed.AccessToken, used.AccessToken} {
		if err := list(token); err != nil {
			t.Fatalf("ListAccounts on the other node before the login profile's deletion: %v", err)
		}
	}
	if code, body := signedPostTo(t, http.DefaultClient, n1.URL(), "iam", e.creds, "Action=DeleteLoginProfile&Version=2010-05-08&UserName=ann"); code != 200 {
		t.Fatalf("DeleteLoginProfile: %d %s", code, body)
	}
	otherOIDC := ssooidc.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(n2.URL()), Credentials: aws.AnonymousCredentials{}})
	_, err := otherOIDC.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		GrantType: aws.String("refresh_token"), RefreshToken: refreshed.RefreshToken})
	if errorCode(err) != "InvalidGrantException" {
		t.Errorf("CreateToken (refresh) on the other node right after DeleteLoginProfile = %v, want InvalidGrantException", err)
	}
	start := time.Now()
	for err := list(used.AccessToken); errorCode(err) != "UnauthorizedException"; err = list(used.AccessToken) {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("ListAccounts on the other node 5 s after DeleteLoginProfile = %v, want UnauthorizedException", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("login profile deleted: access token refused on the other node after %v", time.Since(start))
}

// TestSSOPortalCallerBudgetIsThePersons: a portal request is
// authenticated by its bearer token, so an Authorization header it also
// carries names nobody. A person must not spend another caller's
// requests_per_caller budget by naming their access key id there, nor
// escape their own by naming a new made-up one each time.
func TestSSOPortalCallerBudgetIsThePersons(t *testing.T) {
	e := startPortalNode(t, "BREVET_LIMIT_REQUESTS_PER_CALLER=0.1/s:15")
	list := func(keyID string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", e.n.URL()+"/assignment/accounts", nil)
		req.Header.Set("x-amz-sso_bearer_token", e.token)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+keyID+"/20261206/us-east-1/sso/aws4_request, SignedHeaders=host, Signature=00")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("x-amzn-ErrorType")
	}
	for range 20 {
		list(e.creds.AccessKeyID)
	}
	if code, body := signedPostTo(t, http.DefaultClient, e.n.URL(), "iam", e.creds, "Action=GetUser&Version=2010-05-08&UserName=ann"); code != 200 {
		t.Errorf("the administrator's GetUser after a person's portal requests naming the administrator's key = %d %s, want 200", code, body)
	}
	throttled := 0
	for i := range 20 {
		if list(fmt.Sprintf("AKIAMADEUP%010d", i)) == "TooManyRequestsException" {
			throttled++
		}
	}
	if throttled == 0 {
		t.Error("a person naming a new key id in each request was never throttled: the budget is the person's")
	}
}

// TestAssignmentActionsAuthorizeFirst: a caller without
// brevet:CreateAccountAssignment is refused alike whether the role exists
// or not, so the action tells nobody which roles exist.
func TestAssignmentActionsAuthorizeFirst(t *testing.T) {
	e := startPortalNode(t)
	for _, call := range []string{"Action=CreateUser&Version=2010-05-08&UserName=nobody", "Action=CreateAccessKey&Version=2010-05-08&UserName=nobody"} {
		code, body := signedPostTo(t, http.DefaultClient, e.n.URL(), "iam", e.creds, call)
		if code != 200 {
			t.Fatalf("%s: %d %s", call, code, body)
		}
		if strings.Contains(call, "CreateAccessKey") {
			e.creds = sigv4.Credentials{AccessKeyID: xmlValue(body, "AccessKeyId"), SecretAccessKey: xmlValue(body, "SecretAccessKey")}
		}
	}
	for _, role := range []string{"Dev", "NoSuchRole"} {
		for _, action := range []string{"CreateAccountAssignment", "DeleteAccountAssignment"} {
			code, body := signedPostTo(t, http.DefaultClient, e.n.URL(), "brevet", e.creds,
				"Action="+action+"&Version=2026-11-01&RoleName="+role+"&PrincipalType=USER&PrincipalName=ann")
			if code != 403 || !strings.Contains(body, "<Code>AccessDenied</Code>") {
				t.Errorf("%s of %s without permission: %d %s, want 403 AccessDenied", action, role, code, body)
			}
		}
	}
}

// TestSSOPortalNamesUserWithPath: the trail names an IAM person by the
// user's own ARN, its path included, so that a search for the user's ARN
// finds their portal requests too.
func TestSSOPortalNamesUserWithPath(t *testing.T) {
	e := startPortalNode(t)
	for _, call := range []string{
		"Action=CreateUser&Version=2010-05-08&UserName=bea&Path=/eng/",
		"Action=CreateLoginProfile&Version=2010-05-08&UserName=bea&Password=Correct-Horse-Battery-9",
	} {
		if code, body := signedPostTo(t, http.DefaultClient, e.n.URL(), "iam", e.creds, call); code != 200 {
			t.Fatalf("%s: %d %s", call, code, body)
		}
	}
	ctx := t.Context()
	id, _, err := signin.StoreUsers{Repos: e.n.st}.Identity(ctx, testAccount, "bea") // as the sign-in page establishes it
	if err != nil {
		t.Fatal(err)
	}
	oidc := ssooidc.NewFromConfig(e.cfg)
	reg, err := oidc.RegisterClient(ctx, &ssooidc.RegisterClientInput{ClientName: aws.String("test"), ClientType: aws.String("public")})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := oidc.StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		StartUrl: aws.String(e.n.URL() + "/start")})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.n.sso.ApproveDevice(ctx, *dev.UserCode, id, time.Now()); err != nil {
		t.Fatal(err)
	}
	tok, err := oidc.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		GrantType: aws.String("urn:ietf:params:oauth:grant-type:device_code"), DeviceCode: dev.DeviceCode})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.portal.ListAccounts(ctx, &awssso.ListAccountsInput{AccessToken: tok.AccessToken}); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, line := range strings.Split(readTrail(t, e.n), "\n") {
		if strings.Contains(line, `"eventName":"ListAccounts"`) {
			found = true
			if !strings.Contains(line, `"arn":"arn:aws:iam::`+testAccount+`:user/eng/bea"`) {
				t.Errorf("ListAccounts' event does not name bea by her ARN arn:aws:iam::%s:user/eng/bea:\n%s", testAccount, line)
			}
		}
	}
	if !found {
		t.Error("no ListAccounts event in the trail")
	}
}
