package sts_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/authn"
	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/federation/issuer"
	"github.com/brevet-dev/brevet/internal/federation/oidc"
	"github.com/brevet-dev/brevet/internal/federation/saml"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identitypool"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/sts"
)

const (
	poolID     = "us-east-1:11111111-2222-4333-8444-555555555555"
	otherPool  = "us-east-1:99999999-2222-4333-8444-555555555555"
	identityID = "us-east-1:aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
)

// poolTrust is a role trust policy for identity pools: the federated
// principal cognito-identity.amazonaws.com, with cond as its Condition.
func poolTrust(cond string) string {
	return federatedTrust(sts.PoolPrincipal, "sts:AssumeRoleWithWebIdentity", cond)
}

// scopedCond is the documented trust condition: this pool, authenticated.
const scopedCond = `{"StringEquals":{"cognito-identity.amazonaws.com:aud":"` + poolID + `"},"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}`

func poolInput(roleARN string) *sts.PoolSessionInput {
	return &sts.PoolSessionInput{RoleARN: roleARN, Account: acct, PoolID: poolID, IdentityID: identityID,
		AMR: []string{"authenticated", "login.example", "login.example:" + poolID + ":alice"}, Enhanced: true,
		Facts: authz.Facts{Now: time.Now(), SourceIP: "192.0.2.7", SecureTransport: true}}
}

func sessionCreds(s *sts.ServiceSession) aws.Credentials {
	return aws.Credentials{AccessKeyID: s.Credentials.AccessKeyId, SecretAccessKey: s.Credentials.SecretAccessKey, SessionToken: s.Credentials.SessionToken}
}

// TestPoolSession: an identity's session is a web identity session named
// CognitoIdentityCredentials of the federated principal, an hour long
// (capped by the role's maximum), with the pool's keys sealed in its
// token; it acts as the assumed role.
func TestPoolSession(t *testing.T) {
	e := newEnv(t)
	roleARN := e.role(acct, "auth", poolTrust(scopedCond), 7200)
	role, err := e.st.Roles().Get(ctx, acct, "auth")
	must(t, err)
	out, err := e.svc.PoolSession(ctx, poolInput(roleARN))
	must(t, err)
	sessionARN := "arn:aws:sts::" + acct + ":assumed-role/auth/CognitoIdentityCredentials"
	if got, want := []string{out.RoleARN, out.SessionARN, out.AssumedRoleID}, []string{roleARN, sessionARN, role.ID + ":CognitoIdentityCredentials"}; !cmp.Equal(got, want) {
		t.Errorf("names: %s", cmp.Diff(want, got))
	}
	c := out.Claims
	if c.PrincipalType != credential.WebIdentity || c.Provider != sts.PoolPrincipal || c.Subject != identityID ||
		c.SessionName != sts.PoolSessionName || c.Expires.Sub(c.IssuedAt).Round(time.Second) != time.Hour {
		t.Errorf("claims = %+v", c)
	}
	want := []credential.ContextKey{
		{Key: "cognito-identity.amazonaws.com:amr", Value: "authenticated"},
		{Key: "cognito-identity.amazonaws.com:aud", Value: poolID},
		{Key: "cognito-identity.amazonaws.com:sub", Value: identityID},
	}
	opened, err := e.ring.Open(out.Credentials.SessionToken, out.Credentials.AccessKeyId, time.Now())
	must(t, err)
	if d := cmp.Diff(want, opened.RequestContext); d != "" {
		t.Errorf("token's request context (-want +got):\n%s", d)
	}
	who, err := e.sts(sessionCreds(out)).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	must(t, err)
	if aws.ToString(who.Arn) != sessionARN {
		t.Errorf("GetCallerIdentity = %s", aws.ToString(who.Arn))
	}

	// The role's maximum caps a longer request.
	short := e.role(acct, "short", poolTrust(scopedCond), 3600)
	in := poolInput(short)
	in.Duration = 2 * time.Hour
	out, err = e.svc.PoolSession(ctx, in)
	must(t, err)
	if d := out.Claims.Expires.Sub(out.Claims.IssuedAt).Round(time.Second); d != time.Hour {
		t.Errorf("capped duration = %s", d)
	}
	in.Duration = time.Minute
	if _, err := e.svc.PoolSession(ctx, in); errorKind(err) != "Validation" {
		t.Errorf("a minute: %v, want a ValidationError", err)
	}
}

// TestPoolSessionRefusals: the trust policy alone decides, with the
// pool's keys; a missing role is refused as one that does not trust.
func TestPoolSessionRefusals(t *testing.T) {
	e := newEnv(t)
	roleARN := e.role(acct, "auth", poolTrust(scopedCond), 3600)
	noTag := e.role(acct, "notag", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"`+poolID+`"}}}]}`, 3600)
	oidcRole := e.role(acct, "oidc", federatedTrust("arn:aws:iam::"+acct+":oidc-provider/login.example", "sts:AssumeRoleWithWebIdentity", ""), 3600)
	for name, mod := range map[string]func(*sts.PoolSessionInput){
		"other pool":        func(in *sts.PoolSessionInput) { in.PoolID = otherPool },
		"guest":             func(in *sts.PoolSessionInput) { in.AMR = []string{"unauthenticated"} },
		"no such role":      func(in *sts.PoolSessionInput) { in.RoleARN = "arn:aws:iam::" + acct + ":role/nope" },
		"tags, no tagging":  func(in *sts.PoolSessionInput) { in.RoleARN = noTag; in.Tags = []credential.Tag{{Key: "k", Value: "v"}} },
		"another principal": func(in *sts.PoolSessionInput) { in.RoleARN = oidcRole; in.Enhanced = false },
	} {
		in := poolInput(roleARN)
		mod(in)
		if _, err := e.svc.PoolSession(ctx, in); errorKind(err) != "AccessDenied" {
			t.Errorf("%s: %v, want AccessDenied", name, err)
		}
	}
	in := poolInput(roleARN)
	in.Tags = []credential.Tag{{Key: "aws:x", Value: "v"}}
	if _, err := e.svc.PoolSession(ctx, in); errorKind(err) != "Validation" {
		t.Errorf("aws: tag: %v, want a ValidationError", err)
	}
	in = poolInput(roleARN)
	in.AMR = nil
	if _, err := e.svc.PoolSession(ctx, in); errorKind(err) != "untyped" {
		t.Errorf("no amr: %v, want an untyped error", err)
	}
}

// TestPoolSessionEnhancedScope: the enhanced flow refuses a role whose
// trust policy lets any pool in, judged by the policy's outcome.
func TestPoolSessionEnhancedScope(t *testing.T) {
	e := newEnv(t)
	allow := func(cond string) string {
		c := ""
		if cond != "" {
			c = `,"Condition":` + cond
		}
		return `{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"` + c + `}`
	}
	doc := func(stmts ...string) string {
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
	}
	aud := `{"StringEquals":{"cognito-identity.amazonaws.com:aud":"` + poolID + `"}}`
	for i, c := range []struct {
		name  string
		trust string
		want  error // nil: allowed; else the refusal
	}{
		{"no condition", doc(allow("")), sts.ErrPoolTrustUnscoped},
		{"aud condition", doc(allow(aud)), nil},
		{"aud and amr", doc(allow(scopedCond)), nil},
		{"aud StringLike *", doc(allow(`{"StringLike":{"cognito-identity.amazonaws.com:aud":"*"}}`)), sts.ErrPoolTrustUnscoped},
		{"aud StringLike region prefix", doc(allow(`{"StringLike":{"cognito-identity.amazonaws.com:aud":"us-east-1:*"}}`)), sts.ErrPoolTrustUnscoped},
		{"amr only", doc(allow(`{"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}`)), sts.ErrPoolTrustUnscoped},
		{"aud only in a Deny", doc(allow(""), `{"Effect":"Deny","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"`+otherPool+`"}}}`), sts.ErrPoolTrustUnscoped},
		{"deny every other pool", doc(allow(""), `{"Effect":"Deny","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringNotEquals":{"cognito-identity.amazonaws.com:aud":"`+poolID+`"}}}`), nil},
		{"aud StringNotEquals another", doc(allow(`{"StringNotEquals":{"cognito-identity.amazonaws.com:aud":"` + otherPool + `"}}`)), sts.ErrPoolTrustUnscoped},
		{"aud IfExists", doc(allow(`{"StringEqualsIfExists":{"cognito-identity.amazonaws.com:aud":"` + poolID + `"}}`)), nil},
		{"sub only", doc(allow(`{"StringEquals":{"cognito-identity.amazonaws.com:sub":"` + identityID + `"}}`)), sts.ErrPoolTrustUnscoped},
	} {
		roleARN := e.role(acct, "r"+string(rune('a'+i)), c.trust, 3600)
		_, err := e.svc.PoolSession(ctx, poolInput(roleARN))
		if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		// The basic flow's AssumeRoleWithWebIdentity has no such rule.
		in := poolInput(roleARN)
		in.Enhanced = false
		if _, err := e.svc.PoolSession(ctx, in); err != nil {
			t.Errorf("%s, not enhanced: %v", c.name, err)
		}
	}
}

// TestPoolSessionPolicyVariable: the role's policies resolve
// ${cognito-identity.amazonaws.com:sub} and the pool's condition keys
// from the session in later requests, and no request can override them.
func TestPoolSessionPolicyVariable(t *testing.T) {
	e := newEnv(t)
	const perms = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*","Condition":{
		"StringEquals":{"aws:PrincipalTag/owner":"${cognito-identity.amazonaws.com:sub}","cognito-identity.amazonaws.com:aud":"` + poolID + `"}}}]}`
	roleARN := e.role(acct, "auth", poolTrust(scopedCond), 3600, perms)
	in := poolInput(roleARN)
	in.Tags = []credential.Tag{{Key: "owner", Value: identityID}}
	mine, err := e.svc.PoolSession(ctx, in)
	must(t, err)
	if _, err := e.iam(sessionCreds(mine)).GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("auth")}); err != nil {
		t.Errorf("GetRole as the tag's identity: %v", err)
	}
	// Another identity's session carrying the same tag: the variable
	// resolves to its own id, and the policy does not match.
	in.IdentityID = "us-east-1:bbbbbbbb-bbbb-4ccc-8ddd-eeeeeeeeeeee"
	theirs, err := e.svc.PoolSession(ctx, in)
	must(t, err)
	_, err = e.iam(sessionCreds(theirs)).GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("auth")})
	wantError(t, "GetRole as another identity", err, "AccessDenied", "User: ")
}

func poolTokens(t *testing.T) (*identitypool.Tokens, *issuer.Issuer) {
	t.Helper()
	key, err := issuer.GenerateKey(issuer.RS256, time.Now().Add(-time.Minute))
	must(t, err)
	iss, err := issuer.New(issuer.Config{URL: "https://cognito-identity.amazonaws.com"}, []*issuer.Key{key})
	must(t, err)
	return identitypool.NewTokens(func() *issuer.Issuer { return iss }), iss
}

// TestAssumeRoleWithPoolToken: the basic flow. A pool token is verified
// by the pools' issuer, not an IAM OIDC provider, and authorized as the
// federated principal with the pool's keys.
func TestAssumeRoleWithPoolToken(t *testing.T) {
	tokens, _ := poolTokens(t)
	f := newFedEnv(t, func(fc *sts.FederationConfig) { fc.PoolTokens = tokens })
	const perms = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:sub":"` + identityID + `"}}}]}`
	roleARN := f.role(acct, "basic", poolTrust(scopedCond), 3600, perms)
	now := time.Now()
	mint := func(pool string, amr []string, d time.Duration, at time.Time) string {
		raw, err := tokens.MintPoolToken(&sts.PoolToken{Account: acct, PoolID: pool, IdentityID: identityID, AMR: amr}, d, at)
		must(t, err)
		return raw
	}
	auth := []string{"authenticated", "login.example"}
	c := anonymous(f.url)
	out, err := c.AssumeRoleWithWebIdentity(ctx, &awssts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN),
		RoleSessionName: aws.String("app"), WebIdentityToken: aws.String(mint(poolID, auth, 10*time.Minute, now))})
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	got := []string{aws.ToString(out.SubjectFromWebIdentityToken), aws.ToString(out.Audience), aws.ToString(out.Provider), aws.ToString(out.AssumedRoleUser.Arn)}
	want := []string{identityID, poolID, sts.PoolPrincipal, "arn:aws:sts::" + acct + ":assumed-role/basic/app"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("response (-want +got):\n%s", d)
	}
	creds := temp(t, out.Credentials)
	if _, err := f.iam(creds).GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("basic")}); err != nil {
		t.Errorf("GetRole with the session's :sub: %v", err)
	}
	for _, tt := range []struct{ name, token, code string }{
		{"other pool", mint(otherPool, auth, 10*time.Minute, now), "AccessDenied"},
		{"guest", mint(poolID, []string{"unauthenticated"}, 10*time.Minute, now), "AccessDenied"},
		{"expired", mint(poolID, auth, time.Second, now.Add(-time.Hour)), "ExpiredTokenException"},
	} {
		_, err := c.AssumeRoleWithWebIdentity(ctx, &awssts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN),
			RoleSessionName: aws.String("app"), WebIdentityToken: aws.String(tt.token)})
		if got, _ := apiError(err); got != tt.code {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
		}
	}
	// A token of another key under the same iss is refused, not sent to
	// an OIDC provider.
	forged, _ := poolTokens(t)
	_, err = c.AssumeRoleWithWebIdentity(ctx, &awssts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN),
		RoleSessionName: aws.String("app"), WebIdentityToken: aws.String(func() string {
			raw, err := forged.MintPoolToken(&sts.PoolToken{Account: acct, PoolID: poolID, IdentityID: identityID, AMR: auth}, time.Minute, now)
			must(t, err)
			return raw
		}())})
	if got, _ := apiError(err); got != "InvalidIdentityToken" {
		t.Errorf("forged: %v, want InvalidIdentityToken", err)
	}
}

// TestVerifyOIDCLogin: a pool login is verified as
// AssumeRoleWithWebIdentity verifies tokens, with the account's provider.
func TestVerifyOIDCLogin(t *testing.T) {
	f := newFedEnv(t)
	prov := f.oidcProvider(acct)
	name := oidc.KeyOf(f.idp.Issuer())
	now := time.Now()
	claims := f.idp.Claims("alice", "app", now)
	claims["email"] = "alice@example.com"
	got, err := f.svc.VerifyOIDCLogin(ctx, acct, name, f.idp.Token(t, claims), now)
	must(t, err)
	if got.ProviderARN != prov || got.Subject != "alice" || !cmp.Equal(got.Audience, []string{"app"}) || got.Claims["email"] != "alice@example.com" || got.Expires.IsZero() {
		t.Errorf("login = %+v", got)
	}
	kind := func(err error) oidc.Kind {
		var oe *oidc.Error
		if errors.As(err, &oe) {
			return oe.Kind
		}
		return 0
	}
	for _, tt := range []struct {
		name, account, provider, token string
		want                           oidc.Kind
	}{
		{"other account", other, name, f.idp.Token(t, f.idp.Claims("alice", "app", now)), oidc.InvalidToken},
		{"no such provider", acct, "nope.example", f.idp.Token(t, f.idp.Claims("alice", "app", now)), oidc.InvalidToken},
		{"wrong audience", acct, name, f.idp.Token(t, f.idp.Claims("alice", "other-app", now)), oidc.InvalidToken},
		{"expired", acct, name, f.idp.Token(t, f.idp.Claims("alice", "app", now.Add(-3*time.Hour))), oidc.Expired},
		{"garbage", acct, name, "x.y.z", oidc.InvalidToken},
	} {
		if _, err := f.svc.VerifyOIDCLogin(ctx, tt.account, tt.provider, tt.token, now); kind(err) != tt.want {
			t.Errorf("%s: %v, want kind %v", tt.name, err, tt.want)
		}
	}
}

// TestVerifySAMLLogin: a SAML login is verified as AssumeRoleWithSAML
// verifies responses (replay included); NameID is the subject and the
// attributes the claims.
func TestVerifySAMLLogin(t *testing.T) {
	f := newFedEnv(t)
	prov := f.samlProvider(acct, "Corp")
	a := f.saml.NewAssertion("alice@corp.example", "arn:aws:iam::"+acct+":role/any", prov, "alice", time.Now())
	resp := f.saml.Response(t, a)
	got, err := f.svc.VerifySAMLLogin(ctx, prov, resp, time.Now())
	must(t, err)
	if got.ProviderARN != prov || got.Subject != "alice@corp.example" || got.Expires.IsZero() {
		t.Errorf("login = %+v", got)
	}
	if l, _ := got.Claims["https://aws.amazon.com/SAML/Attributes/RoleSessionName"].([]any); len(l) != 1 || l[0] != "alice" {
		t.Errorf("claims = %v", got.Claims)
	}
	var se *saml.Error
	if _, err := f.svc.VerifySAMLLogin(ctx, prov, resp, time.Now()); !errors.As(err, &se) {
		t.Errorf("replayed: %v, want a *saml.Error", err)
	}
	for _, p := range []string{iam.OIDCProviderARN(acct, "x.example"), "arn:aws:iam::" + acct + ":saml-provider/Nope", "nonsense"} {
		if _, err := f.svc.VerifySAMLLogin(ctx, p, f.saml.Response(t, f.saml.NewAssertion("a", "r", prov, "a", time.Now())), time.Now()); !errors.As(err, &se) {
			t.Errorf("provider %s: %v, want a *saml.Error", p, err)
		}
	}
}

// TestPoolContextKeysArePools: no other service may seal the pools'
// condition keys in its sessions.
func TestPoolContextKeysArePools(t *testing.T) {
	e := newEnv(t)
	roleARN := e.role(acct, "device", serviceTrust(sts.IoTCredentialsPrincipal, []string{"sts:AssumeRole"}, ""), 0)
	for _, k := range []string{"cognito-identity.amazonaws.com:sub", "Cognito-Identity.amazonaws.com:aud", "cognito-identity.amazonaws.com:other"} {
		_, err := e.svc.ServiceSession(ctx, &sts.ServiceSessionInput{Service: sts.IoTCredentialsPrincipal, RoleARN: roleARN, SessionName: "c0ffee",
			SessionContext: map[string]string{k: identityID}, Facts: authz.Facts{Now: time.Now()}})
		if errorKind(err) != "untyped" {
			t.Errorf("%s set by IoT: %v, want an untyped error", k, err)
		}
	}
}

// TestPoolSessionS3Prefix: the documented per-user S3 prefix, the
// variable in a Resource: each identity's session may read only under its
// own id.
func TestPoolSessionS3Prefix(t *testing.T) {
	e := newEnv(t)
	const perms = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",
		"Resource":"arn:aws:s3:::photos/${cognito-identity.amazonaws.com:sub}/*"}]}`
	roleARN := e.role(acct, "auth", poolTrust(scopedCond), 3600, perms)
	out, err := e.svc.PoolSession(ctx, poolInput(roleARN))
	must(t, err)
	p := authn.SessionPrincipal(&out.Claims)
	for _, c := range []struct {
		key  string
		want bool
	}{
		{identityID + "/cat.jpg", true},
		{"us-east-1:bbbbbbbb-bbbb-4ccc-8ddd-eeeeeeeeeeee/cat.jpg", false},
		{"cat.jpg", false},
	} {
		dec, err := e.az.Authorize(ctx, &request.AuthzRequest{Principal: p, Action: "s3:GetObject",
			Resource: "arn:aws:s3:::photos/" + c.key, Now: time.Now()})
		must(t, err)
		if dec.Allowed != c.want {
			t.Errorf("s3:GetObject photos/%s: allowed %v, want %v", c.key, dec.Allowed, c.want)
		}
	}
}
