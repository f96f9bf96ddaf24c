package node

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc/types"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/sso"
)

// TestSSOOIDCWithTheSDK drives SSO OIDC through the real pipeline with
// aws-sdk-go-v2's ssooidc client: RegisterClient, StartDeviceAuthorization,
// polling (authorization_pending), the approval the sign-in page would
// make, CreateToken and refresh; then a disabled IAM user's refresh is
// refused, and no secret reaches the audit trail.
func TestSSOOIDCWithTheSDK(t *testing.T) {
	ctx := context.Background()
	dataDir := filepath.Join(t.TempDir(), "data")
	n, _ := startNode(t, dataDir, Options{})
	admin := adminCreds(t, dataDir)
	iamCall := func(body string) string {
		t.Helper()
		code, out := signedPostTo(t, http.DefaultClient, n.URL(), "iam", admin, body)
		if code != 200 {
			t.Fatalf("%s: %d %s", body, code, out)
		}
		return out
	}
	out := iamCall("Action=CreateUser&Version=2010-05-08&UserName=ann")
	userID := xmlValue(out, "UserId")
	iamCall("Action=CreateLoginProfile&Version=2010-05-08&UserName=ann&Password=" + url.QueryEscape("Corr3ct-Horse-Battery!"))
	ann := sso.Identity{Source: sso.SourceIAM, Account: testAccount, UserID: userID, UserName: "ann"}

	client := ssooidc.New(ssooidc.Options{Region: "us-east-1", BaseEndpoint: aws.String(n.URL())})
	reg, err := client.RegisterClient(ctx, &ssooidc.RegisterClientInput{ClientName: aws.String("botocore-client-test"), ClientType: aws.String("public"),
		Scopes: []string{"sso:account:access"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		StartUrl: aws.String("https://elsewhere.example/start")})
	if _, ok := errors.AsType[*types.InvalidRequestException](err); !ok {
		t.Errorf("unknown start URL: %v, want InvalidRequestException", err)
	}
	dev, err := client.StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		StartUrl: aws.String(n.URL() + "/start")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(aws.ToString(dev.VerificationUriComplete), n.URL()+"/sso/device?user_code=") || dev.Interval != 5 || dev.ExpiresIn != 600 {
		t.Errorf("device authorization = %+v", dev)
	}
	poll := &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		GrantType: aws.String(sso.GrantDeviceCode), DeviceCode: dev.DeviceCode}
	_, err = client.CreateToken(ctx, poll)
	var pending *types.AuthorizationPendingException
	if !errors.As(err, &pending) || aws.ToString(pending.Error_) != "authorization_pending" {
		t.Fatalf("poll before approval: %v, want AuthorizationPendingException with error authorization_pending", err)
	}
	_, err = client.CreateToken(ctx, poll)
	if _, ok := errors.AsType[*types.AuthorizationPendingException](err); !ok {
		t.Errorf("second poll at once (as the CLI does): %v, want AuthorizationPendingException", err)
	}
	_, err = client.CreateToken(ctx, poll)
	if _, ok := errors.AsType[*types.SlowDownException](err); !ok {
		t.Errorf("third poll at once: %v, want SlowDownException", err)
	}
	if err := n.sso.ApproveDevice(ctx, aws.ToString(dev.UserCode), ann, time.Now()); err != nil {
		t.Fatal(err)
	}
	tok, err := client.CreateToken(ctx, poll)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(tok.TokenType) != "Bearer" || tok.ExpiresIn != 3600 || aws.ToString(tok.RefreshToken) == "" {
		t.Errorf("token = %+v", tok)
	}
	_, err = client.CreateToken(ctx, poll)
	if _, ok := errors.AsType[*types.InvalidGrantException](err); !ok {
		t.Errorf("device code used twice: %v, want InvalidGrantException", err)
	}
	got, err := n.sso.Authenticate(ctx, aws.ToString(tok.AccessToken), time.Now())
	if err != nil || got.Identity.UserID != userID {
		t.Fatalf("Authenticate = %+v, %v", got, err)
	}
	refreshed, err := client.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		GrantType: aws.String("refresh_token"), RefreshToken: tok.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		GrantType: aws.String("refresh_token"), RefreshToken: aws.String(aws.ToString(reg.ClientSecret))})
	if _, ok := errors.AsType[*types.InvalidGrantException](err); !ok {
		t.Errorf("a client secret as refresh token: %v, want InvalidGrantException", err)
	}
	_, err = client.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: aws.String("forged"),
		GrantType: aws.String("refresh_token"), RefreshToken: refreshed.RefreshToken})
	if _, ok := errors.AsType[*types.InvalidClientException](err); !ok {
		t.Errorf("forged client secret: %v, want InvalidClientException", err)
	}

	// Disabling the user (no login profile) ends its sessions at once.
	iamCall("Action=DeleteLoginProfile&Version=2010-05-08&UserName=ann")
	if _, err := n.sso.Authenticate(ctx, aws.ToString(refreshed.AccessToken), time.Now()); !errors.Is(err, sso.ErrUnauthorized) {
		t.Errorf("access token of a disabled user: %v, want ErrUnauthorized", err)
	}
	_, err = client.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		GrantType: aws.String("refresh_token"), RefreshToken: refreshed.RefreshToken})
	if _, ok := errors.AsType[*types.InvalidGrantException](err); !ok {
		t.Errorf("disabled user's refresh: %v, want InvalidGrantException", err)
	}

	if err := n.flushIndex(ctx); err != nil {
		t.Fatal(err)
	}
	trail := readTrail(t, n)
	if !strings.Contains(trail, `"eventName":"CreateToken"`) {
		t.Fatalf("no CreateToken event in the trail")
	}
	for name, secret := range map[string]string{
		"client secret": aws.ToString(reg.ClientSecret), "device code": aws.ToString(dev.DeviceCode),
		"access token": aws.ToString(tok.AccessToken), "refresh token": aws.ToString(tok.RefreshToken),
		"second refresh token": aws.ToString(refreshed.RefreshToken),
	} {
		if strings.Contains(trail, secret) {
			t.Errorf("the audit trail holds the %s", name)
		}
	}
}

// TestSSOCreateTokenWithIAMRefused: CreateTokenWithIAM (POST
// /token?aws_iam=t) is answered as an unsupported grant.
func TestSSOCreateTokenWithIAMRefused(t *testing.T) {
	n, _ := startNode(t, filepath.Join(t.TempDir(), "data"), Options{})
	resp, err := http.Post(n.URL()+"/token?aws_iam=t", "application/json",
		strings.NewReader(`{"clientId":"arn:aws:sso::123456789012:application/x","grantType":"urn:ietf:params:oauth:grant-type:jwt-bearer","assertion":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("x-amzn-ErrorType"); resp.StatusCode != 400 || got != "UnsupportedGrantTypeException" {
		t.Errorf("CreateTokenWithIAM: %d %s, want 400 UnsupportedGrantTypeException", resp.StatusCode, got)
	}
}

// TestSSOUserChecker: an IAM identity holds while the user of that name
// has the same unique id and a login profile; its groups are read afresh;
// a provider's identity is not the store's business.
func TestSSOUserChecker(t *testing.T) {
	ctx := context.Background()
	n, _ := startNode(t, filepath.Join(t.TempDir(), "data"), Options{})
	now := time.Now()
	mustDo := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	mustDo(n.st.Users().Create(ctx, iam.User{Account: testAccount, ID: "AIDABOBBOBBOBBOBBOB1", Name: "Bob", Path: "/", Created: now}))
	mustDo(n.st.Groups().Create(ctx, iam.Group{Account: testAccount, ID: "AGPADEVSDEVSDEVSDEV1", Name: "devs", Path: "/", Created: now}))
	mustDo(n.st.Groups().AddUser(ctx, testAccount, "devs", "Bob"))
	u := storeUsers{st: n.st}
	bob := sso.Identity{Source: sso.SourceIAM, Account: testAccount, UserID: "AIDABOBBOBBOBBOBBOB1", UserName: "bob"}
	check := func(what string, id sso.Identity, wantOK bool) sso.Identity {
		t.Helper()
		fresh, ok, err := u.Check(ctx, id)
		if err != nil || ok != wantOK {
			t.Errorf("%s: ok=%v err=%v, want ok=%v", what, ok, err, wantOK)
		}
		return fresh
	}
	check("no login profile", bob, false)
	mustDo(n.st.LoginProfiles().Create(ctx, iam.LoginProfile{Account: testAccount, UserName: "Bob", PasswordHash: "x", Created: now, PasswordChanged: now}))
	fresh := check("enabled", bob, true)
	if fresh.UserName != "Bob" || len(fresh.Groups) != 1 || fresh.Groups[0] != "AGPADEVSDEVSDEVSDEV1" {
		t.Errorf("fresh identity = %+v", fresh)
	}
	other := bob
	other.UserID = "AIDAOTHEROTHEROTHER1"
	check("re-created user (another id)", other, false)
	elsewhere := bob
	elsewhere.Account = "999999999999"
	check("another account", elsewhere, false)
	check("provider identity", sso.Identity{Source: "idp:corp", UserID: "sub", UserName: "bob@example.com"}, true)
}

// TestSSOPollingIsNoFailure: devices polling for a sign-in not yet made
// (AuthorizationPendingException) spend nothing of their source's failure
// budget, so people running aws sso login behind one address do not lock
// it out; a real failure from that source still counts.
func TestSSOPollingIsNoFailure(t *testing.T) {
	ctx := context.Background()
	n, _ := startNode(t, t.TempDir(), Options{}, "BREVET_LIMIT_FAILURES_PER_SOURCE=1/m:3", "BREVET_LIMIT_FAILURES_PER_KEY=off")
	client := ssooidc.New(ssooidc.Options{Region: "us-east-1", BaseEndpoint: aws.String(n.URL()), RetryMaxAttempts: 1})
	reg, err := client.RegisterClient(ctx, &ssooidc.RegisterClientInput{ClientName: aws.String("poller"), ClientType: aws.String("public")})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 { // 8 pending answers from one source, against a budget of 3
		dev, err := client.StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
			StartUrl: aws.String(n.URL() + "/start")})
		if err != nil {
			t.Fatal(err)
		}
		poll := &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
			GrantType: aws.String(sso.GrantDeviceCode), DeviceCode: dev.DeviceCode}
		for j := range 2 {
			if _, err := client.CreateToken(ctx, poll); !isType[*types.AuthorizationPendingException](err) {
				t.Fatalf("device %d, poll %d: %v; want AuthorizationPendingException", i, j, err)
			}
		}
	}
	bad := &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		GrantType: aws.String(sso.GrantDeviceCode), DeviceCode: aws.String("not-a-device-code")}
	for i := range 3 {
		if _, err := client.CreateToken(ctx, bad); !isType[*types.InvalidGrantException](err) {
			t.Fatalf("forged device code %d: %v; want InvalidGrantException (the budget untouched by polling)", i, err)
		}
	}
	if _, err := client.CreateToken(ctx, bad); !isType[*types.SlowDownException](err) {
		t.Errorf("fourth forged device code: %v; want the source throttled (SlowDownException)", err)
	}
}

// isType reports whether err is, or wraps, an E.
func isType[E error](err error) bool {
	_, ok := errors.AsType[E](err)
	return ok
}
