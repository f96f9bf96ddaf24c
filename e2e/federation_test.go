package e2e

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/brevet-dev/brevet/internal/federation/fedtest"
	"github.com/brevet-dev/brevet/internal/federation/oidc"
)

// trustFederated is a trust policy for a Federated provider principal.
func trustFederated(provider, action, condition string) string {
	c := ""
	if condition != "" {
		c = `,"Condition":` + condition
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + provider +
		`"},"Action":["` + action + `","sts:TagSession"]` + c + `}]}`
}

// trustCA makes brevet serve processes started from now on in this test
// trust pemCA (Go reads SSL_CERT_FILE for its system roots).
func trustCA(t *testing.T, pemCA []byte) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(f, pemCA, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSL_CERT_FILE", f)
}

// TestWebIdentityFederation: an in-test OpenID provider over HTTPS (its
// CA trusted by the server through SSL_CERT_FILE) is registered with the
// AWS CLI; its tokens buy role sessions through the CLI, boto3 and the
// SDKs' own AWS_WEB_IDENTITY_TOKEN_FILE flow; every forged or unfit token
// is refused with AWS's error code.
func TestWebIdentityFederation(t *testing.T) {
	need(t, "the AWS CLI", have("aws"))
	idp := fedtest.NewOIDCProvider(t)
	trustCA(t, idp.CAPEM)
	b := startBrevet(t)
	c := newClient(t, b)
	var prov struct{ OpenIDConnectProviderArn string }
	c.json(&prov, "iam", "create-open-id-connect-provider", "--url", idp.Issuer(), "--client-id-list", "sts.amazonaws.com")
	key := oidc.KeyOf(idp.Issuer())
	trust := trustFederated(prov.OpenIDConnectProviderArn, "sts:AssumeRoleWithWebIdentity",
		`{"StringEquals":{"`+key+`:aud":"sts.amazonaws.com","`+key+`:sub":"repo:brevet"}}`)
	var role struct{ Role struct{ Arn string } }
	c.json(&role, "iam", "create-role", "--role-name", "ci", "--assume-role-policy-document", trust)
	roleARN := role.Role.Arn
	other := "arn:aws:iam::" + b.Account + ":role/untrusting"
	c.aws("iam", "create-role", "--role-name", "untrusting", "--assume-role-policy-document", trustPolicy(`{"AWS":"arn:aws:iam::`+b.Account+`:root"}`, ""))
	now := time.Now()
	good := func() map[string]any { return idp.Claims("repo:brevet", "sts.amazonaws.com", now) }
	token := idp.Token(t, good())
	want := "arn:aws:sts::" + b.Account + ":assumed-role/ci/"

	t.Run("cli", func(t *testing.T) {
		var out struct {
			AssumedRoleUser             struct{ Arn string }
			SubjectFromWebIdentityToken string
			Audience, Provider          string
			Credentials                 stsCredentials
		}
		c.json(&out, "sts", "assume-role-with-web-identity", "--role-arn", roleARN, "--role-session-name", "cli",
			"--web-identity-token", token, "--duration-seconds", "3600")
		if out.AssumedRoleUser.Arn != want+"cli" || out.SubjectFromWebIdentityToken != "repo:brevet" ||
			out.Audience != "sts.amazonaws.com" || out.Provider != prov.OpenIDConnectProviderArn {
			t.Errorf("assume-role-with-web-identity: %+v", out)
		}
		if got := c.as(out.Credentials).callerARN(); got != want+"cli" {
			t.Errorf("the session calls as %s, want %s", got, want+"cli")
		}
	})

	t.Run("rejections", func(t *testing.T) {
		stranger, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		with := func(k string, v any) map[string]any { m := good(); m[k] = v; return m }
		parts := strings.Split(token, ".")
		tests := []struct{ name, role, token, code string }{
			{"bad signature", roleARN, parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2])), "InvalidIdentityToken"},
			{"wrong key", roleARN, fedtest.SignRS256(t, stranger, "k1", good()), "InvalidIdentityToken"},
			{"alg none", roleARN, fedtest.SignRaw(t, stranger, map[string]any{"alg": "none"}, good()), "InvalidIdentityToken"},
			{"alg HS256", roleARN, fedtest.SignRaw(t, stranger, map[string]any{"alg": "HS256", "kid": "k1"}, good()), "InvalidIdentityToken"},
			{"wrong issuer", roleARN, idp.Token(t, with("iss", "https://accounts.evil.example")), "InvalidIdentityToken"},
			{"wrong audience", roleARN, idp.Token(t, with("aud", "someone-else")), "InvalidIdentityToken"},
			{"expired", roleARN, idp.Token(t, with("exp", now.Add(-10*time.Minute).Unix())), "ExpiredTokenException"},
			{"not yet valid", roleARN, idp.Token(t, with("nbf", now.Add(10*time.Minute).Unix())), "InvalidIdentityToken"},
			{"condition on sub not met", roleARN, idp.Token(t, with("sub", "repo:fork")), "AccessDenied"},
			{"role not trusting the provider", other, token, "AccessDenied"},
		}
		for _, tt := range tests {
			msg := c.awsErr("sts", "assume-role-with-web-identity", "--role-arn", tt.role, "--role-session-name", "x1",
				"--web-identity-token", tt.token)
			if !strings.Contains(msg, "("+tt.code+")") {
				t.Errorf("%s: %s, want %s", tt.name, msg, tt.code)
			}
		}
	})

	t.Run("boto3", func(t *testing.T) {
		need(t, "python3 with boto3", haveBoto3())
		out, err := c.with("TOKEN="+token, "ROLE="+roleARN).exec("python3", "-c", `
import boto3, os
r = boto3.client("sts").assume_role_with_web_identity(RoleArn=os.environ["ROLE"], RoleSessionName="boto3",
    WebIdentityToken=os.environ["TOKEN"])
print(r["AssumedRoleUser"]["Arn"])
`)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(out); got != want+"boto3" {
			t.Errorf("got %s, want %s", got, want+"boto3")
		}
	})

	// The SDKs' own flow: a token file and a role ARN in the environment,
	// no credentials at all.
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	flow := c.with("AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(t.TempDir(), "none"),
		"AWS_WEB_IDENTITY_TOKEN_FILE="+tokenFile, "AWS_ROLE_ARN="+roleARN, "AWS_ROLE_SESSION_NAME=sdkflow")
	t.Run("cli token file", func(t *testing.T) {
		if got := flow.callerARN(); got != want+"sdkflow" {
			t.Errorf("got %s, want %s", got, want+"sdkflow")
		}
	})
	t.Run("boto3 token file", func(t *testing.T) {
		need(t, "python3 with boto3", haveBoto3())
		out, err := flow.exec("python3", "-c", `import boto3; print(boto3.client("sts").get_caller_identity()["Arn"])`)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(out); got != want+"sdkflow" {
			t.Errorf("got %s, want %s", got, want+"sdkflow")
		}
	})
	t.Run("aws-sdk-go-v2 token file", func(t *testing.T) {
		for _, kv := range []string{"AWS_WEB_IDENTITY_TOKEN_FILE=" + tokenFile, "AWS_ROLE_ARN=" + roleARN,
			// aws-sdk-go-v2 builds the web identity provider's STS client
			// before it resolves the global AWS_ENDPOINT_URL; the
			// service-specific variable reaches that client.
			"AWS_ROLE_SESSION_NAME=gosdk", "AWS_ENDPOINT_URL=" + b.URL, "AWS_ENDPOINT_URL_STS=" + b.URL, "AWS_REGION=us-east-1",
			"AWS_CONFIG_FILE=" + filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(t.TempDir(), "none"),
			"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_PROFILE="} {
			k, v, _ := strings.Cut(kv, "=")
			t.Setenv(k, v)
		}
		cfg, err := config.LoadDefaultConfig(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(out.Arn); got != want+"gosdk" {
			t.Errorf("got %s, want %s", got, want+"gosdk")
		}
	})

	// Rotation: the provider signs with a new key. Brevet refetches the
	// JWKS on the unknown key id, at most once per 30 seconds per
	// provider, so the test waits out the window of the last fetch.
	t.Run("jwks rotation", func(t *testing.T) {
		if testing.Short() {
			t.Skip("waits 31 s for the refresh window")
		}
		idp.Rotate(t)
		idp.DropOld()
		time.Sleep(31 * time.Second)
		var out struct{ AssumedRoleUser struct{ Arn string } }
		c.json(&out, "sts", "assume-role-with-web-identity", "--role-arn", roleARN, "--role-session-name", "rotated",
			"--web-identity-token", idp.Token(t, idp.Claims("repo:brevet", "sts.amazonaws.com", time.Now())))
		if out.AssumedRoleUser.Arn != want+"rotated" {
			t.Errorf("after rotation: %+v", out)
		}
		msg := c.awsErr("sts", "assume-role-with-web-identity", "--role-arn", roleARN, "--role-session-name", "old",
			"--web-identity-token", token)
		if !strings.Contains(msg, "(InvalidIdentityToken)") {
			t.Errorf("a token of the dropped key: %s", msg)
		}
	})
}

// TestSAMLFederation: an in-test SAML IdP's metadata is registered with
// the AWS CLI, and its signed responses buy role sessions through the CLI
// and boto3; replays, wrapped signatures, unsigned responses and missing
// role attributes are refused.
func TestSAMLFederation(t *testing.T) {
	t.Parallel()
	need(t, "the AWS CLI", have("aws"))
	idp := fedtest.NewSAMLIdP(t, "https://idp.corp.example/saml")
	b := startBrevet(t)
	c := newClient(t, b)
	meta := filepath.Join(t.TempDir(), "metadata.xml")
	if err := os.WriteFile(meta, []byte(idp.Metadata()), 0o600); err != nil {
		t.Fatal(err)
	}
	var prov struct{ SAMLProviderArn string }
	c.json(&prov, "iam", "create-saml-provider", "--name", "Corp", "--saml-metadata-document", "file://"+meta)
	trust := trustFederated(prov.SAMLProviderArn, "sts:AssumeRoleWithSAML", `{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}`)
	var role struct{ Role struct{ Arn string } }
	c.json(&role, "iam", "create-role", "--role-name", "eng", "--assume-role-policy-document", trust)
	roleARN := role.Role.Arn
	want := "arn:aws:sts::" + b.Account + ":assumed-role/eng/alice"
	assertion := func() fedtest.Assertion {
		return idp.NewAssertion("alice@corp.example", roleARN, prov.SAMLProviderArn, "alice", time.Now())
	}
	resp := idp.Response(t, assertion())
	var out struct {
		AssumedRoleUser                             struct{ Arn string }
		Subject, SubjectType, Issuer, NameQualifier string
	}
	c.json(&out, "sts", "assume-role-with-saml", "--role-arn", roleARN, "--principal-arn", prov.SAMLProviderArn, "--saml-assertion", resp)
	if out.AssumedRoleUser.Arn != want || out.Subject != "alice@corp.example" || out.SubjectType != "persistent" ||
		out.Issuer != idp.EntityID || out.NameQualifier == "" {
		t.Errorf("assume-role-with-saml: %+v", out)
	}
	noRole := assertion()
	delete(noRole.Attributes, "https://aws.amazon.com/SAML/Attributes/Role")
	tests := []struct{ name, resp, code string }{
		{"replayed", resp, "InvalidIdentityToken"},
		{"wrapped signature", idp.Wrapped(t, assertion(), "admin@corp.example"), "InvalidIdentityToken"},
		{"unsigned", idp.Unsigned(t, assertion()), "InvalidIdentityToken"},
		{"missing role attribute", idp.Response(t, noRole), "InvalidIdentityToken"},
	}
	for _, tt := range tests {
		msg := c.awsErr("sts", "assume-role-with-saml", "--role-arn", roleARN, "--principal-arn", prov.SAMLProviderArn, "--saml-assertion", tt.resp)
		if !strings.Contains(msg, "("+tt.code+")") {
			t.Errorf("%s: %s, want %s", tt.name, msg, tt.code)
		}
	}
	t.Run("boto3", func(t *testing.T) {
		need(t, "python3 with boto3", haveBoto3())
		out, err := c.with("SAML="+idp.Response(t, assertion()), "ROLE="+roleARN, "PROV="+prov.SAMLProviderArn).exec("python3", "-c", `
import boto3, os
r = boto3.client("sts").assume_role_with_saml(RoleArn=os.environ["ROLE"], PrincipalArn=os.environ["PROV"],
    SAMLAssertion=os.environ["SAML"])
print(r["AssumedRoleUser"]["Arn"])
`)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(out); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
}

// TestTwoBrevetTrust: Brevet A, served over HTTPS, is an OIDC issuer;
// Brevet B registers A as its OIDC provider and a role that trusts A's
// admin; a token from A's GetWebIdentityToken buys a session on B. No
// secret is shared between the two.
func TestTwoBrevetTrust(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	a := startBrevet(t, "--tls-cert", certFile, "--tls-key", keyFile)
	cert, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	trustCA(t, cert)
	bSrv := startBrevet(t)
	ctx := context.Background()

	acfg := a.goAdmin(t)
	acfg.HTTPClient = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	tok, err := sts.NewFromConfig(acfg).GetWebIdentityToken(ctx, &sts.GetWebIdentityTokenInput{
		Audience: []string{"brevet-b"}, SigningAlgorithm: aws.String("ES384")})
	if err != nil {
		t.Fatalf("GetWebIdentityToken on A: %v", err)
	}

	c := newClient(t, bSrv)
	need(t, "the AWS CLI", have("aws"))
	var prov struct{ OpenIDConnectProviderArn string }
	c.json(&prov, "iam", "create-open-id-connect-provider", "--url", a.URL, "--client-id-list", "brevet-b")
	key := oidc.KeyOf(a.URL)
	c.aws("iam", "create-role", "--role-name", "from-a", "--assume-role-policy-document",
		trustFederated(prov.OpenIDConnectProviderArn, "sts:AssumeRoleWithWebIdentity",
			`{"StringEquals":{"`+key+`:sub":"arn:aws:iam::`+a.Account+`:user/admin"}}`))
	out, err := sts.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(bSrv.URL)}).AssumeRoleWithWebIdentity(ctx,
		&sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String("arn:aws:iam::" + bSrv.Account + ":role/from-a"),
			RoleSessionName: aws.String("a-admin"), WebIdentityToken: tok.WebIdentityToken})
	if err != nil {
		t.Fatalf("B's AssumeRoleWithWebIdentity with A's token: %v", err)
	}
	if got, want := aws.ToString(out.SubjectFromWebIdentityToken), "arn:aws:iam::"+a.Account+":user/admin"; got != want {
		t.Errorf("subject %s, want %s", got, want)
	}
	suiteSecrets.add(aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))

	// brevet keys rotate-oidc-key while A serves: A picks the new keys up,
	// publishes old and new, and B accepts tokens signed with either.
	bsts := sts.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(bSrv.URL)})
	assumeOnB := func(tok *string) error {
		out, err := bsts.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String("arn:aws:iam::" + bSrv.Account + ":role/from-a"), RoleSessionName: aws.String("a-admin"), WebIdentityToken: tok})
		if err == nil {
			suiteSecrets.add(aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
		}
		return err
	}
	oldKid := jwtKid(t, aws.ToString(tok.WebIdentityToken))
	a.brevetCmd(t, "keys", "rotate-oidc-key")
	var fresh *sts.GetWebIdentityTokenOutput
	until(t, "A signs with the rotated key", 10*time.Second, func() (bool, error) {
		var err error
		fresh, err = sts.NewFromConfig(acfg).GetWebIdentityToken(ctx, &sts.GetWebIdentityTokenInput{
			Audience: []string{"brevet-b"}, SigningAlgorithm: aws.String("ES384")})
		return err == nil && jwtKid(t, aws.ToString(fresh.WebIdentityToken)) != oldKid, err
	})
	jwks, err := acfg.HTTPClient.(*http.Client).Get(a.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	var set struct{ Keys []struct{ Kid string } }
	if err := json.NewDecoder(jwks.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	jwks.Body.Close()
	published := map[string]bool{}
	for _, k := range set.Keys {
		published[k.Kid] = true
	}
	if newKid := jwtKid(t, aws.ToString(fresh.WebIdentityToken)); !published[oldKid] || !published[newKid] {
		t.Errorf("A's JWKS after rotation publishes %v; want the old key %s and the new key %s", published, oldKid, newKid)
	}
	if err := assumeOnB(tok.WebIdentityToken); err != nil {
		t.Errorf("a token of the retired key: %v", err)
	}
	if testing.Short() {
		return
	}
	time.Sleep(31 * time.Second) // B refetches A's keys at most once per 30 s
	if err := assumeOnB(fresh.WebIdentityToken); err != nil {
		t.Errorf("a token of the new key: %v", err)
	}
}

// jwtKid is the kid in a compact JWS's header.
func jwtKid(t *testing.T, raw string) string {
	t.Helper()
	h, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	var hdr struct{ Kid string }
	if err := json.Unmarshal(b, &hdr); err != nil {
		t.Fatal(err)
	}
	return hdr.Kid
}
