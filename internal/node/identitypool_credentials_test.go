package node

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/brevet-dev/brevet/internal/federation/fedtest"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// credsEnv is a node with an in-test OpenID provider registered in IAM
// (client id "webapp"), and Cognito Identity clients: admin signs with
// the admin key, app is an app's (unsigned).
type credsEnv struct {
	n          *Node
	idp        *fedtest.OIDCProvider
	admin      sigv4.Credentials
	adminCI    *ci.Client
	app        *ci.Client
	provider   string // the provider's name: a Logins and RoleMappings key
	providerID string // its IAM ARN
}

func startCredsEnv(t *testing.T) *credsEnv {
	t.Helper()
	idp := fedtest.NewOIDCProvider(t)
	dir := t.TempDir()
	jwks := filepath.Join(dir, "jwks.json")
	if err := os.WriteFile(jwks, idp.JWKS(), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	n, _ := startNode(t, data, Options{}, "BREVET_OIDC_JWKS="+idp.Issuer()+"="+jwks, "BREVET_LIMIT_FAILURES_PER_SOURCE=off")
	e := &credsEnv{n: n, idp: idp, admin: adminCreds(t, data), provider: oidcKey(idp.Issuer())}
	e.providerID = "arn:aws:iam::" + testAccount + ":oidc-provider/" + e.provider
	e.adminCI = ci.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(n.URL()), RetryMaxAttempts: 1,
		Credentials: awscreds.NewStaticCredentialsProvider(e.admin.AccessKeyID, e.admin.SecretAccessKey, "")})
	e.app = ci.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(n.URL()), RetryMaxAttempts: 1,
		Credentials: aws.AnonymousCredentials{}})
	e.call(t, "iam", "Action=CreateOpenIDConnectProvider&Version=2010-05-08&Url="+url.QueryEscape(idp.Issuer())+"&ClientIDList.member.1=webapp")
	return e
}

// call sends a signed Query request as the admin; it must succeed.
func (e *credsEnv) call(t *testing.T, service, body string) string {
	t.Helper()
	status, out := signedPostTo(t, http.DefaultClient, e.n.URL(), service, e.admin, body)
	if status != http.StatusOK {
		t.Fatalf("%s: %d %s", body, status, out)
	}
	return out
}

// role creates a role whose trust policy lets the pools' principal in
// with the given conditions (JSON object, "" for none).
func (e *credsEnv) role(t *testing.T, name, conditions string) string {
	t.Helper()
	stmt := map[string]any{"Effect": "Allow", "Principal": map[string]any{"Federated": "cognito-identity.amazonaws.com"},
		"Action": "sts:AssumeRoleWithWebIdentity"}
	if conditions != "" {
		var c map[string]any
		if err := json.Unmarshal([]byte(conditions), &c); err != nil {
			t.Fatal(err)
		}
		stmt["Condition"] = c
	}
	trust, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{stmt}})
	e.call(t, "iam", "Action=CreateRole&Version=2010-05-08&RoleName="+name+"&AssumeRolePolicyDocument="+url.QueryEscape(string(trust)))
	return "arn:aws:iam::" + testAccount + ":role/" + name
}

// pool creates a pool that accepts guests and the provider.
func (e *credsEnv) pool(t *testing.T, name string, classic bool) string {
	t.Helper()
	out, err := e.adminCI.CreateIdentityPool(t.Context(), &ci.CreateIdentityPoolInput{
		IdentityPoolName: aws.String(name), AllowUnauthenticatedIdentities: true, AllowClassicFlow: aws.Bool(classic),
		OpenIdConnectProviderARNs: []string{e.providerID},
	})
	if err != nil {
		t.Fatalf("CreateIdentityPool %s: %v", name, err)
	}
	return *out.IdentityPoolId
}

func (e *credsEnv) setRoles(t *testing.T, pool string, roles map[string]string, mappings map[string]citypes.RoleMapping) {
	t.Helper()
	if _, err := e.adminCI.SetIdentityPoolRoles(t.Context(), &ci.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(pool),
		Roles: roles, RoleMappings: mappings}); err != nil {
		t.Fatalf("SetIdentityPoolRoles %s: %v", pool, err)
	}
}

// token is an ID token of the provider for the app's client id.
func (e *credsEnv) token(t *testing.T, sub string, extra map[string]any) string {
	t.Helper()
	claims := e.idp.Claims(sub, "webapp", time.Now())
	for k, v := range extra {
		claims[k] = v
	}
	return e.idp.Token(t, claims)
}

// identity is GetId's identity for the logins (nil: a guest).
func (e *credsEnv) identity(t *testing.T, pool string, logins map[string]string) string {
	t.Helper()
	out, err := e.app.GetId(t.Context(), &ci.GetIdInput{IdentityPoolId: aws.String(pool), Logins: logins})
	if err != nil {
		t.Fatalf("GetId: %v", err)
	}
	return *out.IdentityId
}

// callerARN is GetCallerIdentity's ARN with the credentials.
func (e *credsEnv) callerARN(t *testing.T, c *citypes.Credentials) string {
	t.Helper()
	client := awssts.New(awssts.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.n.URL()), RetryMaxAttempts: 1,
		Credentials: awscreds.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretKey, *c.SessionToken)})
	out, err := client.GetCallerIdentity(t.Context(), &awssts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with the pool's credentials: %v", err)
	}
	return *out.Arn
}

func poolSessionARN(role string) string {
	return "arn:aws:sts::" + testAccount + ":assumed-role/" + role + "/CognitoIdentityCredentials"
}

// TestIdentityPoolCredentials: the enhanced flow end to end, with
// aws-sdk-go-v2's Cognito Identity client and a real OpenID provider:
// a guest's credentials act as the unauthenticated role for an hour; a
// signed-in person gets the role a Rules mapping gives their groups, or
// the authenticated role; the issuance is in ListSessions and in the
// trail, which names the identity and holds no token or secret.
func TestIdentityPoolCredentials(t *testing.T) {
	e := startCredsEnv(t)
	ctx := t.Context()
	pool := e.pool(t, "web", false)
	scoped := `{"StringEquals":{"cognito-identity.amazonaws.com:aud":"` + pool + `"},` +
		`"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"%s"}}`
	unauth := e.role(t, "WebGuest", strings.Replace(scoped, "%s", "unauthenticated", 1))
	auth := e.role(t, "WebUser", strings.Replace(scoped, "%s", "authenticated", 1))
	editor := e.role(t, "WebEditor", strings.Replace(scoped, "%s", "authenticated", 1))
	e.setRoles(t, pool, map[string]string{"authenticated": auth, "unauthenticated": unauth}, map[string]citypes.RoleMapping{
		e.provider: {Type: citypes.RoleMappingTypeRules, AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeAuthenticatedRole,
			RulesConfiguration: &citypes.RulesConfigurationType{Rules: []citypes.MappingRule{
				{Claim: aws.String("groups"), MatchType: citypes.MappingRuleMatchTypeContains, Value: aws.String("editors"), RoleARN: aws.String(editor)},
			}}},
	})

	t.Run("guest", func(t *testing.T) {
		id := e.identity(t, pool, nil)
		start := time.Now()
		out, err := e.app.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(id)})
		if err != nil {
			t.Fatalf("GetCredentialsForIdentity: %v", err)
		}
		if *out.IdentityId != id {
			t.Errorf("IdentityId: got %q, want %q", *out.IdentityId, id)
		}
		if got, want := e.callerARN(t, out.Credentials), poolSessionARN("WebGuest"); got != want {
			t.Errorf("guest caller: got %s, want %s", got, want)
		}
		if d := out.Credentials.Expiration.Sub(start); d < 59*time.Minute || d > 61*time.Minute {
			t.Errorf("guest credentials expire in %v, want about an hour", d)
		}
	})

	t.Run("signed in, mapped by rules", func(t *testing.T) {
		logins := map[string]string{e.provider: e.token(t, "ed-1", map[string]any{"groups": []string{"staff", "editors"}})}
		id := e.identity(t, pool, logins)
		out, err := e.app.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(id), Logins: logins})
		if err != nil {
			t.Fatalf("GetCredentialsForIdentity: %v", err)
		}
		if got, want := e.callerARN(t, out.Credentials), poolSessionARN("WebEditor"); got != want {
			t.Errorf("editor caller: got %s, want %s", got, want)
		}
	})

	t.Run("signed in, no rule matches", func(t *testing.T) {
		logins := map[string]string{e.provider: e.token(t, "user-1", map[string]any{"groups": []string{"staff"}})}
		id := e.identity(t, pool, logins)
		out, err := e.app.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(id), Logins: logins})
		if err != nil {
			t.Fatalf("GetCredentialsForIdentity: %v", err)
		}
		if got, want := e.callerARN(t, out.Credentials), poolSessionARN("WebUser"); got != want {
			t.Errorf("user caller: got %s, want %s", got, want)
		}
	})

	t.Run("signed-in identity without its login", func(t *testing.T) {
		logins := map[string]string{e.provider: e.token(t, "user-2", nil)}
		id := e.identity(t, pool, logins)
		_, err := e.app.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(id)})
		if got := errorCode(err); got != "NotAuthorizedException" {
			t.Errorf("without logins: got %s, want NotAuthorizedException", got)
		}
	})

	t.Run("malformed identity id", func(t *testing.T) {
		_, err := e.app.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String("not an id")})
		if got := errorCode(err); got != "InvalidParameterException" {
			t.Errorf("got %s, want InvalidParameterException", got)
		}
	})

	t.Run("issuance recorded", func(t *testing.T) {
		id := e.identity(t, pool, nil)
		out, err := e.app.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(id)})
		if err != nil {
			t.Fatalf("GetCredentialsForIdentity: %v", err)
		}
		sessions := e.call(t, "brevet", "Action=ListSessions&Version=2026-11-01&PrincipalArn="+url.QueryEscape(unauth))
		if !strings.Contains(sessions, "<Kind>GetCredentialsForIdentity</Kind>") || !strings.Contains(sessions, *out.Credentials.AccessKeyId) {
			t.Errorf("ListSessions does not show the guest's session: %s", sessions)
		}
		signedIn := e.token(t, "user-3", nil)
		logins := map[string]string{e.provider: signedIn}
		sid := e.identity(t, pool, logins)
		sout, err := e.app.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(sid), Logins: logins})
		if err != nil {
			t.Fatalf("GetCredentialsForIdentity signed in: %v", err)
		}
		var found bool
		for ev := range credsTrailEvents(t, e.n, "GetCredentialsForIdentity") {
			params, _ := ev["requestParameters"].(map[string]any)
			if params["IdentityId"] == id || params["IdentityId"] == sid {
				found = true
			}
		}
		if !found {
			t.Errorf("no GetCredentialsForIdentity event names the identity")
		}
		trail := readTrail(t, e.n)
		for what, secret := range map[string]string{"login token": signedIn, "secret key": *out.Credentials.SecretKey,
			"session token": *out.Credentials.SessionToken, "signed-in secret key": *sout.Credentials.SecretKey} {
			if strings.Contains(trail, secret) {
				t.Errorf("the trail holds the %s", what)
			}
		}
	})
}

// credsTrailEvents yields the trail's events named name (each line of the
// trail wraps one in its hash chain's record).
func credsTrailEvents(t *testing.T, n *Node, name string) func(func(map[string]any) bool) {
	t.Helper()
	trail := readTrail(t, n)
	return func(yield func(map[string]any) bool) {
		for line := range strings.SplitSeq(trail, "\n") {
			if !strings.Contains(line, `"`+name+`"`) {
				continue
			}
			var rec struct{ Event map[string]any }
			if json.Unmarshal([]byte(line), &rec) != nil || rec.Event["eventName"] != name {
				continue
			}
			if !yield(rec.Event) {
				return
			}
		}
	}
}

// TestIdentityPoolCredentialsDenyResolution (must-reject): a Rules
// mapping that resolves ambiguity by Deny refuses a person no rule
// matches, whatever the pool's authenticated role.
func TestIdentityPoolCredentialsDenyResolution(t *testing.T) {
	e := startCredsEnv(t)
	pool := e.pool(t, "strict", false)
	cond := `{"StringEquals":{"cognito-identity.amazonaws.com:aud":"` + pool + `"}}`
	auth, editor := e.role(t, "StrictUser", cond), e.role(t, "StrictEditor", cond)
	e.setRoles(t, pool, map[string]string{"authenticated": auth}, map[string]citypes.RoleMapping{
		e.provider: {Type: citypes.RoleMappingTypeRules, AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeDeny,
			RulesConfiguration: &citypes.RulesConfigurationType{Rules: []citypes.MappingRule{
				{Claim: aws.String("groups"), MatchType: citypes.MappingRuleMatchTypeEquals, Value: aws.String("editors"), RoleARN: aws.String(editor)},
			}}},
	})
	for _, tt := range []struct {
		name, sub string
		groups    any
		want      string
	}{
		{"matching rule", "ed", []string{"editors"}, ""},
		{"no rule matches", "outsider", []string{"staff"}, "NotAuthorizedException"},
		{"no claim", "bare", nil, "NotAuthorizedException"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			extra := map[string]any{}
			if tt.groups != nil {
				extra["groups"] = tt.groups
			}
			logins := map[string]string{e.provider: e.token(t, tt.sub, extra)}
			id := e.identity(t, pool, logins)
			out, err := e.app.GetCredentialsForIdentity(t.Context(), &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(id), Logins: logins})
			if got := errorCode(err); got != tt.want {
				t.Fatalf("GetCredentialsForIdentity: got %q, want %q", got, tt.want)
			}
			if err == nil && e.callerARN(t, out.Credentials) != poolSessionARN("StrictEditor") {
				t.Errorf("matching rule: not the editor role")
			}
		})
	}
}

// TestIdentityPoolCredentialsUnscopedTrust (must-reject): the enhanced
// flow refuses a role whose trust policy lets the pools' principal in
// without restricting :aud to the pool, as AWS does; and a role that
// does not trust the pool at all. Both are the pool's configuration.
func TestIdentityPoolCredentialsUnscopedTrust(t *testing.T) {
	e := startCredsEnv(t)
	open := e.pool(t, "open", false)
	e.setRoles(t, open, map[string]string{"unauthenticated": e.role(t, "AnyPool", `{"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"unauthenticated"}}`)}, nil)
	other := e.pool(t, "other", false)
	e.setRoles(t, other, map[string]string{"unauthenticated": e.role(t, "NotThisPool", `{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:00000000-0000-4000-8000-000000000000"}}`)}, nil)
	for name, pool := range map[string]string{"trust without aud": open, "trust of another pool": other} {
		t.Run(name, func(t *testing.T) {
			id := e.identity(t, pool, nil)
			_, err := e.app.GetCredentialsForIdentity(t.Context(), &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(id)})
			if got := errorCode(err); got != "InvalidIdentityPoolConfigurationException" {
				t.Errorf("got %s, want InvalidIdentityPoolConfigurationException", got)
			}
		})
	}
}

// TestIdentityPoolBasicFlow: GetOpenIdToken's token, given to STS's
// AssumeRoleWithWebIdentity, is a session of a role that trusts the
// pool; a pool without the classic flow gives no token (must-reject).
func TestIdentityPoolBasicFlow(t *testing.T) {
	e := startCredsEnv(t)
	ctx := t.Context()
	classic, enhanced := e.pool(t, "classic", true), e.pool(t, "enhanced-only", false)
	role := e.role(t, "Classic", `{"StringEquals":{"cognito-identity.amazonaws.com:aud":"`+classic+`"},`+
		`"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}`)
	for _, p := range []string{classic, enhanced} {
		e.setRoles(t, p, map[string]string{"authenticated": role}, nil)
	}
	logins := map[string]string{e.provider: e.token(t, "basic-1", nil)}
	id := e.identity(t, classic, logins)
	tok, err := e.app.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: aws.String(id), Logins: logins})
	if err != nil {
		t.Fatalf("GetOpenIdToken: %v", err)
	}
	if *tok.IdentityId != id || *tok.Token == "" {
		t.Fatalf("GetOpenIdToken: %+v", tok)
	}
	stsc := awssts.New(awssts.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.n.URL()), RetryMaxAttempts: 1, Credentials: aws.AnonymousCredentials{}})
	out, err := stsc.AssumeRoleWithWebIdentity(ctx, &awssts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(role),
		RoleSessionName: aws.String("app"), WebIdentityToken: tok.Token})
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity with the pool's token: %v", err)
	}
	if got, want := *out.AssumedRoleUser.Arn, "arn:aws:sts::"+testAccount+":assumed-role/Classic/app"; got != want {
		t.Errorf("assumed role: got %s, want %s", got, want)
	}
	if got := aws.ToString(out.SubjectFromWebIdentityToken); got != id {
		t.Errorf("SubjectFromWebIdentityToken: got %q, want the identity %q", got, id)
	}
	if strings.Contains(readTrail(t, e.n), *tok.Token) {
		t.Errorf("the trail holds GetOpenIdToken's token")
	}

	t.Run("classic flow off", func(t *testing.T) {
		logins := map[string]string{e.provider: e.token(t, "basic-2", nil)}
		id := e.identity(t, enhanced, logins)
		_, err := e.app.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: aws.String(id), Logins: logins})
		if got := errorCode(err); got != "InvalidParameterException" || !strings.Contains(err.Error(), "Basic (classic) flow is not enabled") {
			t.Errorf("GetOpenIdToken on a pool without the classic flow: got %v, want InvalidParameterException", err)
		}
	})
}

// TestIdentityPoolCredentialsTokenMapping: a Token mapping gives the
// token's cognito:preferred_role, or the CustomRoleArn the app asks for
// among its cognito:roles; a CustomRoleArn the token does not list is
// refused under Deny (must-reject). The pool's default attribute map
// makes the token's aud and sub the session's principal tags
// (client, username), which the role's policy conditions on.
func TestIdentityPoolCredentialsTokenMapping(t *testing.T) {
	e := startCredsEnv(t)
	ctx := t.Context()
	pool := e.pool(t, "groups", false)
	trust := func(name string) string {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},` +
			`"Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession"],"Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"` + pool + `"}}}]}`
		e.call(t, "iam", "Action=CreateRole&Version=2010-05-08&RoleName="+name+"&AssumeRolePolicyDocument="+url.QueryEscape(doc))
		return "arn:aws:iam::" + testAccount + ":role/" + name
	}
	auth, admins, readers, other := trust("GroupsUser"), trust("GroupsAdmin"), trust("GroupsReader"), trust("GroupsOther")
	// Readers may list roles only as the person and app the tags name.
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*",` +
		`"Condition":{"StringEquals":{"aws:PrincipalTag/username":"tagged-1","aws:PrincipalTag/client":"webapp"}}}]}`
	e.call(t, "iam", "Action=PutRolePolicy&Version=2010-05-08&RoleName=GroupsReader&PolicyName=tags&PolicyDocument="+url.QueryEscape(policy))
	e.setRoles(t, pool, map[string]string{"authenticated": auth}, map[string]citypes.RoleMapping{
		e.provider: {Type: citypes.RoleMappingTypeToken, AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeDeny},
	})
	if _, err := e.adminCI.SetPrincipalTagAttributeMap(ctx, &ci.SetPrincipalTagAttributeMapInput{IdentityPoolId: aws.String(pool),
		IdentityProviderName: aws.String(e.provider), UseDefaults: aws.Bool(true)}); err != nil {
		t.Fatalf("SetPrincipalTagAttributeMap: %v", err)
	}
	groups := map[string]any{"cognito:roles": []string{admins, readers}, "cognito:preferred_role": readers}
	for _, tt := range []struct {
		name, sub, custom string
		claims            map[string]any
		wantRole, wantErr string
	}{
		{name: "preferred role", sub: "tagged-1", claims: groups, wantRole: "GroupsReader"},
		{name: "custom role among the token's", sub: "tagged-2", claims: groups, custom: admins, wantRole: "GroupsAdmin"},
		{name: "custom role the token lacks", sub: "tagged-3", claims: groups, custom: other, wantErr: "NotAuthorizedException"},
		{name: "several roles, none preferred", sub: "tagged-4", claims: map[string]any{"cognito:roles": []string{admins, readers}},
			wantErr: "NotAuthorizedException"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			logins := map[string]string{e.provider: e.token(t, tt.sub, tt.claims)}
			id := e.identity(t, pool, logins)
			in := &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(id), Logins: logins}
			if tt.custom != "" {
				in.CustomRoleArn = aws.String(tt.custom)
			}
			out, err := e.app.GetCredentialsForIdentity(ctx, in)
			if got := errorCode(err); got != tt.wantErr {
				t.Fatalf("GetCredentialsForIdentity: got %q (%v), want %q", got, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got, want := e.callerARN(t, out.Credentials), poolSessionARN(tt.wantRole); got != want {
				t.Errorf("caller: got %s, want %s", got, want)
			}
		})
	}

	t.Run("principal tags", func(t *testing.T) {
		for sub, want := range map[string]int{"tagged-1": http.StatusOK, "someone-else": http.StatusForbidden} {
			logins := map[string]string{e.provider: e.token(t, sub, groups)}
			id := e.identity(t, pool, logins)
			out, err := e.app.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(id), Logins: logins})
			if err != nil {
				t.Fatalf("GetCredentialsForIdentity: %v", err)
			}
			c := sigv4.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretKey, SessionToken: *out.Credentials.SessionToken}
			if status, body := signedPostTo(t, http.DefaultClient, e.n.URL(), "iam", c, "Action=ListRoles&Version=2010-05-08"); status != want {
				t.Errorf("ListRoles as %s (tags from the token): %d %s, want %d", sub, status, body, want)
			}
		}
	})
}

// TestIdentityPoolCredentialsDeveloperLogin: a developer token
// (GetOpenIdTokenForDeveloperIdentity) given as the login
// cognito-identity.amazonaws.com gets the enhanced flow's credentials; the
// session's :amr holds the developer provider, which the trust policy
// requires, and the principal tags the back end set.
func TestIdentityPoolCredentialsDeveloperLogin(t *testing.T) {
	e := startCredsEnv(t)
	ctx := t.Context()
	out, err := e.adminCI.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("dev"),
		AllowUnauthenticatedIdentities: false, DeveloperProviderName: aws.String("login.devapp")})
	if err != nil {
		t.Fatalf("CreateIdentityPool: %v", err)
	}
	pool := *out.IdentityPoolId
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},` +
		`"Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession"],"Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"` + pool + `"},` +
		`"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"login.devapp"}}}]}`
	e.call(t, "iam", "Action=CreateRole&Version=2010-05-08&RoleName=DevUser&AssumeRolePolicyDocument="+url.QueryEscape(doc))
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*",` +
		`"Condition":{"StringEquals":{"aws:PrincipalTag/plan":"pro"}}}]}`
	e.call(t, "iam", "Action=PutRolePolicy&Version=2010-05-08&RoleName=DevUser&PolicyName=plan&PolicyDocument="+url.QueryEscape(policy))
	e.setRoles(t, pool, map[string]string{"authenticated": "arn:aws:iam::" + testAccount + ":role/DevUser"}, nil)
	dev, err := e.adminCI.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: aws.String(pool),
		Logins: map[string]string{"login.devapp": "user-42"}, PrincipalTags: map[string]string{"plan": "pro"}})
	if err != nil {
		t.Fatalf("GetOpenIdTokenForDeveloperIdentity: %v", err)
	}
	creds, err := e.app.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: dev.IdentityId,
		Logins: map[string]string{"cognito-identity.amazonaws.com": *dev.Token}})
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity with the developer token: %v", err)
	}
	if got, want := e.callerARN(t, creds.Credentials), poolSessionARN("DevUser"); got != want {
		t.Errorf("caller: got %s, want %s", got, want)
	}
	c := sigv4.Credentials{AccessKeyID: *creds.Credentials.AccessKeyId, SecretAccessKey: *creds.Credentials.SecretKey, SessionToken: *creds.Credentials.SessionToken}
	if status, body := signedPostTo(t, http.DefaultClient, e.n.URL(), "iam", c, "Action=ListRoles&Version=2010-05-08"); status != http.StatusOK {
		t.Errorf("ListRoles with the developer's principal tag: %d %s", status, body)
	}
	// The token is for its identity only.
	other, err := e.adminCI.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: aws.String(pool),
		Logins: map[string]string{"login.devapp": "user-43"}})
	if err != nil {
		t.Fatalf("GetOpenIdTokenForDeveloperIdentity: %v", err)
	}
	_, err = e.app.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: other.IdentityId,
		Logins: map[string]string{"cognito-identity.amazonaws.com": *dev.Token}})
	if got := errorCode(err); got != "NotAuthorizedException" {
		t.Errorf("another identity's developer token: got %s, want NotAuthorizedException", got)
	}
}
