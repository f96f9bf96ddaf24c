package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/brevet-dev/brevet/internal/federation/oidc"
)

// Roles of the upstream Brevet trusting the broker's issuer.
var (
	deployARN  = "arn:aws:iam::" + upOIDCAccount + ":role/deploy"             // alice and carol in Brevet's trust
	ceilingARN = "arn:aws:iam::" + upOIDCAccount + ":role/ceiling"            // registered with a session policy ceiling
	noSIARN    = "arn:aws:iam::" + upOIDCAccount + ":role/no-source-identity" // its upstream trust lacks sts:SetSourceIdentity
	longARN    = "arn:aws:iam::" + upOIDCAccount + ":role/long"               // MaxSessionDuration 7200 on both sides
	// chainARN is a role of the broker's account that alice may assume and
	// whose sessions may obtain deployARN and longARN.
	chainARN = "arn:aws:iam::" + brokerAccount + ":role/chain"
)

// ceilingPolicy is the ceiling registered with ceilingARN.
const ceilingPolicy = `{"Version":"2012-10-17","Statement":[` +
	`{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::reports","arn:aws:s3:::reports/*"]},` +
	`{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/secret/*"}]}`

// brokerPeople are the broker account's users the tests act as.
type brokerPeople struct {
	alice *brokerUser // may obtain every upstream role registered for her, and the KEY upstream's tokens
	bob   *brokerUser // identity policy allows the upstream roles; no Brevet-side trust names him
	carol *brokerUser // named in deploy's Brevet-side trust; no identity policy
}

// TestBroker: issue 18's credential broker end to end. A person of the
// broker's account obtains upstream roles with an ordinary AssumeRole,
// through the Go SDK, the AWS CLI and boto3, then uses them against the
// upstream; with OIDC trust (the upstream verifies the broker's tokens)
// and with a sealed key (rotated, revoked upstream and replaced); moto
// behind fault-injecting proxies shows timeouts, resets and throttling
// answered as they should be; everything that must be refused is.
func TestBroker(t *testing.T) {
	t.Parallel()
	r := startBrokerRig(t)
	people := brokerPeopleSetup(t, r)
	setupOIDCUpstream(t, r)

	t.Run("oidc", func(t *testing.T) { t.Parallel(); brokerOIDC(t, r, people) })
	t.Run("clients", func(t *testing.T) { t.Parallel(); brokerClients(t, r, people) })
	t.Run("must reject", func(t *testing.T) { t.Parallel(); brokerMustReject(t, r, people) })
	t.Run("key", func(t *testing.T) { t.Parallel(); brokerKey(t, r, people) })
	t.Run("faults", func(t *testing.T) { t.Parallel(); brokerFaults(t, r, people) })
	t.Run("no issuer", func(t *testing.T) { t.Parallel(); brokerNoIssuer(t) })
}

// brokerNoIssuer: a Brevet served over plain HTTP without
// federation.issuer_url has no OIDC issuer; its OIDC upstream's roles
// are answered ServiceUnavailable with what to set, without a call.
func brokerNoIssuer(t *testing.T) {
	const id = "100000000007"
	b := startBrevet(t, "--account-id", "222233334444")
	b.Account = "222233334444"
	roleARN := "arn:aws:iam::" + id + ":role/app"
	for _, params := range []url.Values{
		{"Action": {"CreateUpstreamAccount"}, "UpstreamAccountId": {id}, "Mode": {"OIDC"}, "StsEndpoint": {"http://127.0.0.1:9"}},
		{"Action": {"CreateBrokeredRole"}, "RoleArn": {roleARN}, "AssumeRolePolicyDocument": {
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + b.Account + `:user/admin"},"Action":"sts:AssumeRole"}]}`}},
	} {
		if code, body := brevetQuery(t, b, true, params); code != 200 {
			t.Fatalf("%s: %d %s", params.Get("Action"), code, body)
		}
	}
	_, err := sts.NewFromConfig(noRetries(b.goAdmin(t))).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("no-issuer")})
	wantCode(t, "an OIDC upstream's role on a Brevet without an issuer", err, "ServiceUnavailable",
		"Brevet's OIDC issuer is not enabled (set federation.issuer_url or serve HTTPS); upstream account "+id+" trusts it.")
}

func brokerPeopleSetup(t *testing.T, r *brokerRig) *brokerPeople {
	t.Helper()
	assume := `{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Resource":[` +
		`"arn:aws:iam::` + upOIDCAccount + `:role/*","arn:aws:iam::` + upKeyAccount + `:role/*","arn:aws:iam::10000000000?:role/*"]}`
	tokens := `{"Effect":"Allow","Action":["brevet:GetUpstreamSessionToken","brevet:GetUpstreamFederationToken"],` +
		`"Resource":"arn:aws:brevet::` + brokerAccount + `:upstream/` + upKeyAccount + `",` +
		`"Condition":{"NumericLessThanEquals":{"sts:DurationSeconds":"7200"}}}`
	chain := `{"Effect":"Allow","Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Resource":"` + chainARN + `"}`
	people := &brokerPeople{
		alice: r.user(t, "alice", `{"Version":"2012-10-17","Statement":[`+assume+`,`+tokens+`,`+chain+`]}`),
		bob:   r.user(t, "bob", `{"Version":"2012-10-17","Statement":[`+assume+`]}`),
		carol: r.user(t, "carol", ""),
	}
	ic := iam.NewFromConfig(r.admin(t))
	ctx := context.Background()
	if _, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("chain"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + people.alice.arn + `"},` +
			`"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("chain"), PolicyName: aws.String("upstream"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[` + assume + `]}`)}); err != nil {
		t.Fatal(err)
	}
	return people
}

// setupOIDCUpstream: the upstream Brevet trusts the broker's issuer
// (docs/broker.md, "In the upstream AWS account") and has three roles;
// the broker registers it and them through `brevet upstream`.
func setupOIDCUpstream(t *testing.T, r *brokerRig) {
	t.Helper()
	ctx := context.Background()
	ic := iam.NewFromConfig(r.upOIDC.goAdmin(t))
	prov, err := ic.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String(r.down.URL), ClientIDList: []string{"sts.amazonaws.com"}})
	if err != nil {
		t.Fatalf("the upstream's CreateOpenIDConnectProvider for the broker's issuer: %v", err)
	}
	key := oidc.KeyOf(r.down.URL)
	trust := func(sourceIdentity bool) string {
		actions := `"sts:AssumeRoleWithWebIdentity","sts:TagSession"`
		if sourceIdentity {
			actions += `,"sts:SetSourceIdentity"`
		}
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` +
			aws.ToString(prov.OpenIDConnectProviderArn) + `"},"Action":[` + actions + `],"Condition":{` +
			`"StringEquals":{"` + key + `:aud":"sts.amazonaws.com"},"StringLike":{"` + key + `:sub":"arn:aws:iam::` + brokerAccount + `:*"}}}]}`
	}
	for name, si := range map[string]bool{"deploy": true, "ceiling": true, "no-source-identity": false, "long": true} {
		max := int32(3600)
		if name == "long" {
			max = 7200
		}
		if _, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust(si)),
			MaxSessionDuration: aws.Int32(max)}); err != nil {
			t.Fatal(err)
		}
	}
	// The caller's session tags reach the upstream session (the token's
	// https://aws.amazon.com/tags claim): deploy may read roles only with
	// team=payments.
	if _, err := ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("deploy"), PolicyName: aws.String("by-tag"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*",` +
			`"Condition":{"StringEquals":{"aws:PrincipalTag/team":"payments"}}}]}`)}); err != nil {
		t.Fatal(err)
	}
	r.upstreamCLI(t, "add", upOIDCAccount, "--mode", "oidc", "--sts-endpoint", r.upOIDC.URL, "--iam-endpoint", r.upOIDC.URL,
		"--description", "e2e upstream Brevet, OIDC trust")
	aliceARN, carolARN := "arn:aws:iam::"+brokerAccount+":user/alice", "arn:aws:iam::"+brokerAccount+":user/carol"
	r.addRole(t, deployARN, []string{aliceARN, carolARN, chainARN}, "--max-session-duration", "3600")
	r.addRole(t, longARN, []string{aliceARN, chainARN}, "--max-session-duration", "7200")
	r.addRole(t, ceilingARN, []string{aliceARN}, "--session-policy", ceilingPolicy)
	r.addRole(t, noSIARN, []string{aliceARN})
}

// wantCode fails the test unless err is the API error code with a
// message containing msg.
func wantCode(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if err == nil {
		t.Errorf("%s: succeeded, want %s %q", what, code, msg)
		return
	}
	if !asAPIError(err, &ae) || ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msg) {
		t.Errorf("%s: %v\nwant %s containing %q", what, err, code, msg)
	}
}

func asAPIError(err error, ae *smithy.APIError) bool {
	for e := err; e != nil; {
		if a, ok := e.(smithy.APIError); ok {
			*ae = a
			return true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		e = u.Unwrap()
	}
	return false
}

// callerOn returns the caller ARN the upstream at endpoint sees for c.
func callerOn(t *testing.T, endpoint string, c *ststypes.Credentials) string {
	t.Helper()
	out, err := sts.NewFromConfig(upstreamCreds(endpoint, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey),
		aws.ToString(c.SessionToken))).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity on the upstream with the brokered credentials: %v", err)
	}
	return aws.ToString(out.Arn)
}

// brokerOIDC: alice's AssumeRole of the upstream role through the broker
// gives the upstream's own session, with her as its source identity; the
// trails of both sides name the same upstream request.
func brokerOIDC(t *testing.T, r *brokerRig, p *brokerPeople) {
	ctx := context.Background()
	out, err := sts.NewFromConfig(noRetries(p.alice.cfg)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(deployARN),
		RoleSessionName: aws.String("alice-go"), DurationSeconds: aws.Int32(900),
		Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("payments")}}})
	if err != nil {
		t.Fatalf("brokered AssumeRole: %v", err)
	}
	want := "arn:aws:sts::" + upOIDCAccount + ":assumed-role/deploy/alice-go"
	si := "alice@" + brokerAccount
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != want {
		t.Errorf("AssumedRoleUser %s, want %s", got, want)
	}
	if got := aws.ToString(out.SourceIdentity); got != si {
		t.Errorf("SourceIdentity %q, want %q", got, si)
	}
	if exp := aws.ToTime(out.Credentials.Expiration); exp.Before(time.Now().Add(10*time.Minute)) || exp.After(time.Now().Add(16*time.Minute)) {
		t.Errorf("the upstream credentials expire at %v, want in 15 minutes", exp)
	}
	if got := callerOn(t, r.upOIDC.URL, out.Credentials); got != want {
		t.Errorf("the upstream sees %s, want %s", got, want)
	}
	keyID := aws.ToString(out.Credentials.AccessKeyId)

	t.Run("session tags upstream", func(t *testing.T) {
		getRole := func(c *ststypes.Credentials) error {
			_, err := iam.NewFromConfig(upstreamCreds(r.upOIDC.URL, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey),
				aws.ToString(c.SessionToken))).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("deploy")})
			return err
		}
		if err := getRole(out.Credentials); err != nil {
			t.Errorf("the tagged session (team=payments) on the upstream: %v", err)
		}
		untagged, err := sts.NewFromConfig(noRetries(p.alice.cfg)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(deployARN),
			RoleSessionName: aws.String("alice-untagged")})
		if err != nil {
			t.Fatal(err)
		}
		suiteSecrets.add(aws.ToString(untagged.Credentials.SecretAccessKey), aws.ToString(untagged.Credentials.SessionToken))
		var ae smithy.APIError
		if err := getRole(untagged.Credentials); !asAPIError(err, &ae) || ae.ErrorCode() != "AccessDenied" {
			t.Errorf("an untagged session on the upstream: %v, want AccessDenied (the policy wants aws:PrincipalTag/team)", err)
		}
	})

	t.Run("the broker's trail", func(t *testing.T) {
		var ev map[string]any
		for _, e := range auditEvents(t, r.down, "--upstream", upOIDCAccount, "--event-name", "AssumeRole") {
			if str(e, "additionalEventData.upstream.accessKeyId") == keyID {
				ev = e
			}
		}
		if ev == nil {
			t.Fatalf("brevet audit search --upstream %s: no event with upstream.accessKeyId %s", upOIDCAccount, keyID)
		}
		for path, want := range map[string]string{
			"userIdentity.arn":                            p.alice.arn,
			"additionalEventData.upstream.accountId":      upOIDCAccount,
			"additionalEventData.upstream.action":         "AssumeRoleWithWebIdentity",
			"additionalEventData.upstream.roleArn":        deployARN,
			"additionalEventData.upstream.sessionArn":     want,
			"additionalEventData.upstream.sourceIdentity": si,
		} {
			if got := str(ev, path); got != want {
				t.Errorf("the broker's event: %s = %q, want %q", path, got, want)
			}
		}
		if c, _ := eventField(ev, "additionalEventData.upstream.cached").(bool); c {
			t.Error("the broker's event says cached; the upstream was called")
		}
		if eventField(ev, "additionalEventData.issuedCredential") != nil {
			t.Error("the broker's event has an issuedCredential: the upstream's credentials are not Brevet's")
		}
		requestID := str(ev, "additionalEventData.upstream.requestId")
		if requestID == "" {
			t.Fatal("the broker's event has no upstream requestId")
		}
		for _, filter := range [][]string{{"--upstream", "any"}, {"--source-identity", si}} {
			found := false
			for _, e := range auditEvents(t, r.down, filter...) {
				found = found || str(e, "additionalEventData.upstream.accessKeyId") == keyID
			}
			if !found {
				t.Errorf("brevet audit search %s does not find the brokered call", strings.Join(filter, " "))
			}
		}
		// The upstream's side (CloudTrail's, with real AWS): the same
		// request id, and the source identity on the session's calls.
		var up map[string]any
		for _, e := range auditEvents(t, r.upOIDC, "--event-name", "AssumeRoleWithWebIdentity") {
			if str(e, "requestID") == requestID {
				up = e
			}
		}
		if up == nil {
			t.Fatalf("the upstream's trail has no AssumeRoleWithWebIdentity with requestID %s", requestID)
		}
		if raw, _ := json.Marshal(up); !strings.Contains(string(raw), `"`+si+`"`) {
			t.Errorf("the upstream's AssumeRoleWithWebIdentity event does not show the source identity %s:\n%s", si, raw)
		}
		calls := auditEvents(t, r.upOIDC, "--access-key", keyID, "--event-name", "GetCallerIdentity")
		if len(calls) == 0 || str(calls[0], "userIdentity.sessionContext.sourceIdentity") != si {
			t.Errorf("the upstream's events of the session's calls: %v; want sessionContext.sourceIdentity %s", calls, si)
		}
	})

	t.Run("not in the issuance index", func(t *testing.T) {
		// A Brevet session of alice's, issued after the brokered one, shows
		// that the index has caught up; the upstream's credentials are not
		// Brevet's to list or revoke.
		st, err := sts.NewFromConfig(p.alice.cfg).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
		if err != nil {
			t.Fatal(err)
		}
		suiteSecrets.add(aws.ToString(st.Credentials.SecretAccessKey), aws.ToString(st.Credentials.SessionToken))
		var listed string
		until(t, "alice's Brevet session in brevet sessions list", 10*time.Second, func() (bool, error) {
			_, body := r.query(t, url.Values{"Action": {"ListSessions"}, "MaxItems": {"1000"}})
			listed = string(body)
			return strings.Contains(listed, aws.ToString(st.Credentials.AccessKeyId)), nil
		})
		if strings.Contains(listed, keyID) {
			t.Errorf("ListSessions lists the upstream's credentials %s", keyID)
		}
	})

	t.Run("from a role session", func(t *testing.T) {
		brokerFromRoleSession(t, r, p)
	})

	t.Run("upstream trust without sts:SetSourceIdentity", func(t *testing.T) {
		_, err := sts.NewFromConfig(noRetries(p.alice.cfg)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(noSIARN),
			RoleSessionName: aws.String("alice-nosi")})
		wantCode(t, "a role whose upstream trust policy refuses the source identity", err, "AccessDenied",
			"Upstream account "+upOIDCAccount+" refused: ")
	})
}

// brokerFromRoleSession: a role session of the broker's account obtains
// the upstream role: its derived source identity is ROLE.SESSION, one it
// carries is passed on (sticky), the upstream's token subject is the role
// ARN, and the one-hour role chaining limit holds as for a Brevet role.
func brokerFromRoleSession(t *testing.T, r *brokerRig, p *brokerPeople) {
	ctx := context.Background()
	session := func(in *sts.AssumeRoleInput) *sts.Client {
		t.Helper()
		in.RoleArn = aws.String(chainARN)
		out, err := sts.NewFromConfig(p.alice.cfg).AssumeRole(ctx, in)
		if err != nil {
			t.Fatalf("alice's AssumeRole of %s: %v", chainARN, err)
		}
		c := out.Credentials
		return sts.NewFromConfig(noRetries(r.cfg(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))))
	}
	for _, tt := range []struct {
		name, carried, want string
	}{
		{"derived", "", "chain.alice-chain"},
		{"carried", "alice.corp", "alice.corp"},
	} {
		in := &sts.AssumeRoleInput{RoleSessionName: aws.String("alice-chain")}
		if tt.carried != "" {
			in.SourceIdentity = aws.String(tt.carried)
		}
		out, err := session(in).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(deployARN), RoleSessionName: aws.String("from-" + tt.name)})
		if err != nil {
			t.Fatalf("%s: brokered AssumeRole from a role session: %v", tt.name, err)
		}
		suiteSecrets.add(aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
		if got := aws.ToString(out.SourceIdentity); got != tt.want {
			t.Errorf("%s: SourceIdentity %q, want %q", tt.name, got, tt.want)
		}
		if got, want := callerOn(t, r.upOIDC.URL, out.Credentials), "arn:aws:sts::"+upOIDCAccount+":assumed-role/deploy/from-"+tt.name; got != want {
			t.Errorf("%s: the upstream sees %s, want %s", tt.name, got, want)
		}
	}
	var sub bool
	for _, e := range auditEvents(t, r.upOIDC, "--event-name", "AssumeRoleWithWebIdentity") {
		raw, _ := json.Marshal(e)
		sub = sub || strings.Contains(string(raw), "assumed-role/deploy/from-derived") && strings.Contains(string(raw), `"`+chainARN+`"`)
	}
	if !sub {
		t.Errorf("the upstream's AssumeRoleWithWebIdentity event of a role session does not name the role %s as the token's subject", chainARN)
	}

	chained := session(&sts.AssumeRoleInput{RoleSessionName: aws.String("alice-long")})
	_, err := chained.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(longARN), RoleSessionName: aws.String("long"),
		DurationSeconds: aws.Int32(7200)})
	wantCode(t, "two hours from a role session", err, "ValidationError",
		"The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	out, err := sts.NewFromConfig(noRetries(p.alice.cfg)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(longARN),
		RoleSessionName: aws.String("long"), DurationSeconds: aws.Int32(7200)})
	if err != nil {
		t.Fatalf("two hours of a role whose maximum is two hours, for a user: %v", err)
	}
	suiteSecrets.add(aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
}

// brokerClients: the AWS CLI v1 and boto3, with a profile whose role_arn
// is the upstream role and whose STS endpoint is the broker, call the
// upstream with what the broker obtained (docs/broker.md, "Using it").
func brokerClients(t *testing.T, r *brokerRig, p *brokerPeople) {
	need(t, "the AWS CLI", have("aws"))
	home := t.TempDir()
	config := fmt.Sprintf(`[profile alice]
region = us-east-1

[profile deploy]
role_arn = %[1]s
source_profile = alice
role_session_name = alice-cli
region = us-east-1

[profile deploy-boto3]
role_arn = %[1]s
source_profile = alice
role_session_name = alice-boto3
region = us-east-1
services = brevet-sts

[services brevet-sts]
sts =
  endpoint_url = %[2]s
`, deployARN, r.down.URL)
	creds := "[alice]\naws_access_key_id = " + p.alice.keyID + "\naws_secret_access_key = " + p.alice.secret + "\n"
	for name, data := range map[string]string{"config": config, "credentials": creds} {
		if err := os.WriteFile(filepath.Join(home, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c := &client{t: t, home: home, env: append(envWithHome(home),
		"AWS_CONFIG_FILE="+filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "credentials"),
		"AWS_CA_BUNDLE="+r.caFile, "AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true")}
	want := "arn:aws:sts::" + upOIDCAccount + ":assumed-role/deploy/"

	t.Run("cli", func(t *testing.T) {
		cli := c.with("AWS_ENDPOINT_URL_STS=" + r.down.URL)
		cli.t = t
		if got := cli.callerARN("--profile", "deploy", "--endpoint-url", r.upOIDC.URL); got != want+"alice-cli" {
			t.Errorf("the CLI's profile calls the upstream as %s, want %s", got, want+"alice-cli")
		}
	})
	t.Run("boto3", func(t *testing.T) {
		need(t, "python3 with boto3", haveBoto3())
		b := c.with("UPSTREAM=" + r.upOIDC.URL)
		b.t = t
		out, err := b.exec("python3", "-c", `
import boto3, os
s = boto3.Session(profile_name="deploy-boto3")
print(s.client("sts", endpoint_url=os.environ["UPSTREAM"]).get_caller_identity()["Arn"])
`)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(out); got != want+"alice-boto3" {
			t.Errorf("boto3's profile (services section) calls the upstream as %s, want %s", got, want+"alice-boto3")
		}
	})
}

// brokerMustReject: what Brevet's own policies do not allow is refused
// before any upstream call, as a Brevet role's AssumeRole would be.
func brokerMustReject(t *testing.T, r *brokerRig, p *brokerPeople) {
	ctx := context.Background()
	assume := func(u *brokerUser, in *sts.AssumeRoleInput) error {
		if in.RoleSessionName == nil {
			in.RoleSessionName = aws.String("reject")
		}
		out, err := sts.NewFromConfig(noRetries(u.cfg)).AssumeRole(ctx, in)
		if err == nil {
			suiteSecrets.add(aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
		}
		return err
	}
	notAuthorized := func(u *brokerUser) string {
		return "User: " + u.arn + " is not authorized to perform: sts:AssumeRole on resource: " + deployARN
	}
	wantCode(t, "bob: not in the Brevet-side trust policy", assume(p.bob, &sts.AssumeRoleInput{RoleArn: aws.String(deployARN)}),
		"AccessDenied", notAuthorized(p.bob))
	wantCode(t, "carol: no identity policy allows the upstream role", assume(p.carol, &sts.AssumeRoleInput{RoleArn: aws.String(deployARN)}),
		"AccessDenied", notAuthorized(p.carol))
	wantCode(t, "a duration beyond MaxSessionDuration", assume(p.alice, &sts.AssumeRoleInput{RoleArn: aws.String(deployARN),
		DurationSeconds: aws.Int32(7200)}),
		"ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")

	t.Run("role not registered", func(t *testing.T) {
		err := assume(p.alice, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + upOIDCAccount + ":role/unregistered")})
		wantCode(t, "an upstream role not registered", err, "AccessDenied", "Encoded authorization failure message: ")
		var ae smithy.APIError
		if !asAPIError(err, &ae) {
			return
		}
		_, enc, _ := strings.Cut(ae.ErrorMessage(), "Encoded authorization failure message: ")
		dec, derr := sts.NewFromConfig(r.admin(t)).DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{
			EncodedMessage: aws.String(strings.TrimSpace(enc))})
		if derr != nil {
			t.Fatalf("DecodeAuthorizationMessage: %v", derr)
		}
		if msg := aws.ToString(dec.DecodedMessage); !strings.Contains(msg, "the upstream role is not registered with Brevet") {
			t.Errorf("the decoded message does not say why: %s", msg)
		}
	})

	t.Run("session policy and the ceiling", func(t *testing.T) {
		wider := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
		wantCode(t, "a session policy wider than the ceiling", assume(p.alice, &sts.AssumeRoleInput{RoleArn: aws.String(ceilingARN),
			Policy: aws.String(wider)}), "AccessDenied", "The session policy grants more than the brokered role allows: ")
		wantCode(t, "policy ARNs with a ceiling", assume(p.alice, &sts.AssumeRoleInput{RoleArn: aws.String(ceilingARN),
			PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}}}), "AccessDenied", "")
		narrower := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/2026/*"}]}`
		if err := assume(p.alice, &sts.AssumeRoleInput{RoleArn: aws.String(ceilingARN), Policy: aws.String(narrower)}); err != nil {
			t.Errorf("a session policy within the ceiling: %v", err)
		}
		if err := assume(p.alice, &sts.AssumeRoleInput{RoleArn: aws.String(ceilingARN)}); err != nil {
			t.Errorf("no session policy (the ceiling is passed): %v", err)
		}
	})

	t.Run("brokered session token of an OIDC upstream", func(t *testing.T) {
		code, body := r.query(t, url.Values{"Action": {"GetUpstreamSessionToken"}, "UpstreamAccountId": {upOIDCAccount}})
		gotCode, msg := queryError(body)
		want := "Upstream account " + upOIDCAccount + " trusts Brevet's OIDC issuer and holds no key: only its roles can be brokered."
		if code != 400 || gotCode != "ValidationError" || msg != want {
			t.Errorf("GetUpstreamSessionToken of an OIDC upstream: %d %s %q, want 400 ValidationError %q", code, gotCode, msg, want)
		}
	})

	t.Run("registrations", func(t *testing.T) {
		tests := []struct {
			name   string
			params url.Values
			status int
			code   string
		}{
			{"the broker's own account", url.Values{"Action": {"CreateUpstreamAccount"}, "UpstreamAccountId": {brokerAccount}, "Mode": {"OIDC"}},
				409, "EntityAlreadyExists"},
			{"an upstream registered already", url.Values{"Action": {"CreateUpstreamAccount"}, "UpstreamAccountId": {upOIDCAccount}, "Mode": {"OIDC"}},
				409, "EntityAlreadyExists"},
			{"plain http off loopback", url.Values{"Action": {"CreateUpstreamAccount"}, "UpstreamAccountId": {"100000000090"}, "Mode": {"OIDC"},
				"StsEndpoint": {"http://sts.example.com"}}, 400, ""},
			{"KEY mode without a key", url.Values{"Action": {"CreateUpstreamAccount"}, "UpstreamAccountId": {"100000000091"}, "Mode": {"KEY"}},
				400, ""},
			{"OIDC mode with a key", url.Values{"Action": {"CreateUpstreamAccount"}, "UpstreamAccountId": {"100000000092"}, "Mode": {"OIDC"},
				"AccessKeyId": {"AKIAE2EOIDCWITHKEY01"}, "SecretAccessKey": {"e2eOidcModeSecretNeverShown0123456789abcd"}}, 400, ""},
			{"a role of an account not registered", url.Values{"Action": {"CreateBrokeredRole"}, "RoleArn": {"arn:aws:iam::999999999999:role/x"},
				"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + brokerAccount + `:root"},"Action":"sts:AssumeRole"}]}`}},
				400, ""},
			{"an upstream with roles", url.Values{"Action": {"DeleteUpstreamAccount"}, "UpstreamAccountId": {upOIDCAccount}}, 409, "DeleteConflict"},
			{"an unknown upstream", url.Values{"Action": {"GetUpstreamAccount"}, "UpstreamAccountId": {"100000000093"}}, 404, "NoSuchEntity"},
			{"an unknown role", url.Values{"Action": {"GetBrokeredRole"}, "RoleArn": {"arn:aws:iam::" + upOIDCAccount + ":role/unregistered"}}, 404, "NoSuchEntity"},
		}
		suiteSecrets.add("e2eOidcModeSecretNeverShown0123456789abcd")
		for _, tt := range tests {
			status, body := r.query(t, tt.params)
			code, msg := queryError(body)
			if status != tt.status || (tt.code != "" && code != tt.code) {
				t.Errorf("%s: %d %s %q, want %d %s", tt.name, status, code, msg, tt.status, tt.code)
			}
			if strings.Contains(string(body), "e2eOidcModeSecretNeverShown") {
				t.Errorf("%s: the answer shows the secret given: %s", tt.name, body)
			}
		}
	})
}

// accessKeyIDIn finds the AccessKeyId an upstream account's JSON or XML
// shows.
var accessKeyIDIn = regexp.MustCompile(`"?AccessKeyId"?\s*[:>]\s*"?([A-Z0-9]{16,128})`)

// brokerKey: the KEY mode against an upstream Brevet: AssumeRole, the
// brokered GetSessionToken (also as a credential_process) and
// GetFederationToken, a rotation, the key deleted upstream mid-use and
// replaced, and the secret shown by nothing.
func brokerKey(t *testing.T, r *brokerRig, p *brokerPeople) {
	ctx := context.Background()
	uic := iam.NewFromConfig(r.upKey.goAdmin(t))
	const broker = "brevet-broker"
	brokerUserARN := "arn:aws:iam::" + upKeyAccount + ":user/" + broker
	if _, err := uic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(broker)}); err != nil {
		t.Fatal(err)
	}
	// docs/broker.md's policy for the user.
	if _, err := uic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(broker), PolicyName: aws.String("brevet-broker"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["iam:CreateAccessKey","iam:DeleteAccessKey","iam:ListAccessKeys"],"Resource":"` + brokerUserARN + `"},
 {"Effect":"Allow","Action":["sts:AssumeRole","sts:SetSourceIdentity","sts:TagSession"],"Resource":"arn:aws:iam::` + upKeyAccount + `:role/*"},
 {"Effect":"Allow","Action":"sts:GetFederationToken","Resource":"arn:aws:sts::` + upKeyAccount + `:federated-user/*"},
 {"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	newKey := func() (string, string) {
		t.Helper()
		k, err := uic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(broker)})
		if err != nil {
			t.Fatal(err)
		}
		suiteSecrets.add(aws.ToString(k.AccessKey.SecretAccessKey))
		return aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)
	}
	upstreamKeys := func() []string {
		t.Helper()
		out, err := uic.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(broker)})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, k := range out.AccessKeyMetadata {
			ids = append(ids, aws.ToString(k.AccessKeyId))
		}
		return ids
	}
	if _, err := uic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + brokerUserARN + `"},` +
			`"Action":["sts:AssumeRole","sts:SetSourceIdentity","sts:TagSession"],"Condition":{"StringEquals":{"sts:ExternalId":"e2e-external-id"}}}]}`)}); err != nil {
		t.Fatal(err)
	}
	// short's maximum upstream is an hour; Brevet is told two.
	if _, err := uic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("short"), MaxSessionDuration: aws.Int32(3600),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + brokerUserARN + `"},` +
			`"Action":["sts:AssumeRole","sts:SetSourceIdentity","sts:TagSession"]}]}`)}); err != nil {
		t.Fatal(err)
	}
	k1, s1 := newKey()
	secrets := []string{s1}
	// Through a proxy that sees what the upstream answers the broker: the
	// keys rotations create, the sessions' secrets.
	seen := newFaultProxy(t, r.upKey.URL)
	r.addKeyUpstream(t, upKeyAccount, seen.URL, k1, s1, "--user-name", broker, "--description", "e2e upstream Brevet, KEY trust")
	appARN := "arn:aws:iam::" + upKeyAccount + ":role/app"
	r.addRole(t, appARN, []string{p.alice.arn}, "--external-id", "e2e-external-id")
	shortARN := "arn:aws:iam::" + upKeyAccount + ":role/short"
	r.addRole(t, shortARN, []string{p.alice.arn}, "--max-session-duration", "7200")
	alice := sts.NewFromConfig(noRetries(p.alice.cfg))
	assumeApp := func(name string) (*sts.AssumeRoleOutput, error) {
		out, err := alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(appARN), RoleSessionName: aws.String(name)})
		if err == nil {
			suiteSecrets.add(aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
		}
		return out, err
	}
	wantApp := "arn:aws:sts::" + upKeyAccount + ":assumed-role/app/"

	t.Run("assume role", func(t *testing.T) {
		out, err := assumeApp("alice-key")
		if err != nil {
			t.Fatalf("brokered AssumeRole with the sealed key: %v", err)
		}
		if got := callerOn(t, r.upKey.URL, out.Credentials); got != wantApp+"alice-key" {
			t.Errorf("the upstream sees %s, want %s", got, wantApp+"alice-key")
		}
		var signed bool
		for _, e := range auditEvents(t, r.upKey, "--event-name", "AssumeRole", "--access-key", k1) {
			signed = signed || str(e, "responseElements.assumedRoleUser.arn") == wantApp+"alice-key" &&
				strings.Contains(fmt.Sprint(e["requestParameters"]), "alice@"+brokerAccount)
		}
		if !signed {
			t.Errorf("the upstream's trail has no AssumeRole signed with %s whose source identity is alice's", k1)
		}
	})

	t.Run("the upstream's own refusals", func(t *testing.T) {
		_, err := alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(shortARN), RoleSessionName: aws.String("too-long"),
			DurationSeconds: aws.Int32(7200)})
		wantCode(t, "a duration Brevet allows and the upstream role does not", err, "ValidationError",
			"Upstream account "+upKeyAccount+": The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
		// A session policy is passed on.
		out, err := alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(appARN), RoleSessionName: aws.String("with-policy"),
			Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})
		if err != nil {
			t.Fatalf("a session policy passed upstream: %v", err)
		}
		suiteSecrets.add(aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
	})

	t.Run("session and federation tokens", func(t *testing.T) {
		var cp struct {
			Version                                                int
			AccessKeyId, SecretAccessKey, SessionToken, Expiration string
		}
		out, err := r.brevetCLI(t, p.alice.credFile, "", "upstream", "session-token", upKeyAccount, "--duration", "2h")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(out), &cp); err != nil || cp.Version != 1 || cp.SessionToken == "" {
			t.Fatalf("brevet upstream session-token: %v\n%s", err, out)
		}
		suiteSecrets.add(cp.SecretAccessKey, cp.SessionToken)
		if exp, err := time.Parse(time.RFC3339, cp.Expiration); err != nil || time.Until(exp) < 115*time.Minute || time.Until(exp) > 121*time.Minute {
			t.Errorf("session-token --duration 2h expires at %s (%v)", cp.Expiration, err)
		}
		if got := callerOn(t, r.upKey.URL, &ststypes.Credentials{AccessKeyId: &cp.AccessKeyId, SecretAccessKey: &cp.SecretAccessKey,
			SessionToken: &cp.SessionToken}); got != brokerUserARN {
			t.Errorf("the brokered session token calls the upstream as %s, want %s", got, brokerUserARN)
		}
		if _, err := r.brevetCLI(t, p.alice.credFile, "", "upstream", "session-token", upKeyAccount, "--duration", "3h"); err == nil ||
			!strings.Contains(err.Error(), "AccessDenied") {
			t.Errorf("a duration alice's policy does not allow (sts:DurationSeconds): %v, want AccessDenied", err)
		}
		if _, err := r.brevetCLI(t, p.bob.credFile, "", "upstream", "session-token", upKeyAccount); err == nil ||
			!strings.Contains(err.Error(), "AccessDenied") {
			t.Errorf("bob, without brevet:GetUpstreamSessionToken: %v, want AccessDenied", err)
		}

		policy := filepath.Join(t.TempDir(), "ci-job.json")
		if err := os.WriteFile(policy, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::builds/*"}]}`), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err = r.brevetCLI(t, p.alice.credFile, "", "upstream", "federation-token", upKeyAccount, "--name", "ci-job",
			"--policy", "file://"+policy, "--duration", "1h")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(out), &cp); err != nil || cp.SessionToken == "" {
			t.Fatalf("brevet upstream federation-token: %v\n%s", err, out)
		}
		suiteSecrets.add(cp.SecretAccessKey, cp.SessionToken)
		if got, want := callerOn(t, r.upKey.URL, &ststypes.Credentials{AccessKeyId: &cp.AccessKeyId, SecretAccessKey: &cp.SecretAccessKey,
			SessionToken: &cp.SessionToken}), "arn:aws:sts::"+upKeyAccount+":federated-user/ci-job"; got != want {
			t.Errorf("the brokered federation token calls the upstream as %s, want %s", got, want)
		}

		// As a credential_process of the AWS CLI (docs/broker.md).
		if !have("aws") {
			return
		}
		home := t.TempDir()
		conf := fmt.Sprintf("[profile upstream-session]\nregion = us-east-1\ncredential_process = %s upstream session-token %s --duration 2h --endpoint %s --credentials %s\n",
			brevetBin, upKeyAccount, r.down.URL, p.alice.credFile)
		if err := os.WriteFile(filepath.Join(home, "config"), []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		c := &client{t: t, home: home, env: append(envWithHome(home), "AWS_CONFIG_FILE="+filepath.Join(home, "config"),
			"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "none"), "SSL_CERT_FILE="+r.caFile, "AWS_EC2_METADATA_DISABLED=true")}
		if got := c.callerARN("--profile", "upstream-session", "--endpoint-url", r.upKey.URL); got != brokerUserARN {
			t.Errorf("credential_process = brevet upstream session-token: the CLI calls the upstream as %s, want %s", got, brokerUserARN)
		}
	})

	t.Run("rotation", func(t *testing.T) {
		r.upstreamCLI(t, "rotate", upKeyAccount)
		m := accessKeyIDIn.FindStringSubmatch(r.upstreamCLI(t, "show", upKeyAccount, "-o", "json"))
		if m == nil {
			t.Fatal("brevet upstream show -o json shows no AccessKeyId")
		}
		k2 := m[1]
		if k2 == k1 {
			t.Fatalf("after the rotation the broker still holds %s", k1)
		}
		if got := upstreamKeys(); len(got) != 1 || got[0] != k2 {
			t.Errorf("the upstream user's keys after the rotation: %v, want [%s] (the old key deleted)", got, k2)
		}
		_, err := sts.NewFromConfig(noRetries(upstreamCreds(r.upKey.URL, k1, s1, ""))).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		wantCode(t, "the old key upstream", err, "InvalidClientTokenId", "")
		if _, err := assumeApp("after-rotation"); err != nil {
			t.Errorf("brokered AssumeRole with the rotated key: %v", err)
		}
		if v, ok := r.metric(t, "brevet_broker_key_rotation_failing", `upstream_account="`+upKeyAccount+`"`); ok && v != "0" {
			t.Errorf("brevet_broker_key_rotation_failing after a successful rotation: %s, want 0", v)
		}
	})

	t.Run("revoked upstream mid-use", func(t *testing.T) {
		for _, id := range upstreamKeys() {
			if _, err := uic.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(broker), AccessKeyId: aws.String(id)}); err != nil {
				t.Fatal(err)
			}
		}
		_, err := assumeApp("revoked")
		wantCode(t, "the broker's key deleted upstream", err, "ServiceUnavailable", "Upstream account "+upKeyAccount+
			" refused Brevet's own credentials (InvalidClientTokenId); an administrator must check its registration (docs/broker.md).")
		if v, ok := r.metric(t, "brevet_broker_upstream_calls_total", `upstream_account="`+upKeyAccount+`"`, `outcome="credentials"`); !ok || v == "0" {
			t.Errorf("brevet_broker_upstream_calls_total{outcome=\"credentials\"} for %s: %q %v, want counted", upKeyAccount, v, ok)
		}
		if out, err := r.brevetCLI(t, "", "", "upstream", "rotate", upKeyAccount); err == nil {
			t.Errorf("a rotation with a revoked key succeeded:\n%s", out)
		}
		if v, _ := r.metric(t, "brevet_broker_key_rotation_failing", `upstream_account="`+upKeyAccount+`"`); v != "1" {
			t.Errorf("brevet_broker_key_rotation_failing after a failed rotation: %q, want 1", v)
		}
		if show := r.upstreamCLI(t, "show", upKeyAccount, "-o", "json"); !strings.Contains(show, "LastRotationError") {
			t.Errorf("brevet upstream show after a failed rotation does not show the error:\n%s", show)
		}

		// The administrator gives the broker a new key, on standard input.
		k3, s3 := newKey()
		secrets = append(secrets, s3)
		if _, err := r.brevetCLI(t, "", s3, "upstream", "update", upKeyAccount, "--access-key-id", k3, "--secret-access-key-file", "-"); err != nil {
			t.Fatal(err)
		}
		if _, err := assumeApp("replaced"); err != nil {
			t.Errorf("brokered AssumeRole after the key was replaced: %v", err)
		}
		r.upstreamCLI(t, "rotate", upKeyAccount)
		if v, _ := r.metric(t, "brevet_broker_key_rotation_failing", `upstream_account="`+upKeyAccount+`"`); v != "0" && v != "" {
			t.Errorf("brevet_broker_key_rotation_failing after a successful rotation: %q, want 0", v)
		}
	})

	t.Run("the secret shows nowhere", func(t *testing.T) {
		outputs := map[string]string{}
		for _, args := range [][]string{{"show", upKeyAccount}, {"show", upKeyAccount, "-o", "json"}, {"list"}, {"list", "-o", "json"}} {
			outputs["brevet upstream "+strings.Join(args, " ")] = r.upstreamCLI(t, args...)
		}
		for _, params := range []url.Values{
			{"Action": {"GetUpstreamAccount"}, "UpstreamAccountId": {upKeyAccount}},
			{"Action": {"ListUpstreamAccounts"}},
			{"Action": {"UpdateUpstreamAccount"}, "UpstreamAccountId": {upKeyAccount}, "Description": {"updated"}},
			// Half a key pair is refused, and the refusal does not echo it.
			{"Action": {"UpdateUpstreamAccount"}, "UpstreamAccountId": {upKeyAccount}, "SecretAccessKey": {s1}},
		} {
			_, body := r.query(t, params)
			outputs["Query "+params.Get("Action")] = string(body)
		}
		if show := outputs["brevet upstream show "+upKeyAccount+" -o json"]; !strings.Contains(show, "AccessKeyId") {
			t.Errorf("brevet upstream show -o json does not show the key id:\n%s", show)
		}
		for _, e := range auditEvents(t, r.down) {
			raw, _ := json.Marshal(e)
			outputs["the broker's trail"] += string(raw) + "\n"
		}
		outputs["the broker's log"] = r.down.logs.String()
		answered := seen.answered()
		if len(answered) < 10 { // two rotations' keys, four sessions' secrets and tokens
			t.Errorf("the proxy saw %d secrets in the upstream's answers, want the rotations' keys and the sessions'", len(answered))
		}
		for what, out := range outputs {
			for _, s := range append(append([]string(nil), secrets...), answered...) {
				if strings.Contains(out, s) {
					t.Errorf("%s shows an upstream secret key (%.4s…)", what, s)
				}
			}
		}
	})
}

// Upstream ids of moto behind the fault proxy, one per fault.
const (
	motoHang     = "100000000001"
	motoReset    = "100000000002"
	motoThrottle = "100000000003"
	motoCache    = "100000000004"
	motoRate     = "100000000005"
	motoRefused  = "100000000006"
	motoRemoved  = "100000000008"
)

// brokerFaults: moto_server as the upstream, behind proxies that hang,
// reset connections and answer Throttling: every failure is a
// ServiceUnavailable with a clear message within the 10 s deadline, and
// throttling is retried with backoff; the cache and the rate limit.
func brokerFaults(t *testing.T, r *brokerRig, p *brokerPeople) {
	motoURL := sharedMoto(t)
	const motoSecret = "e2eMotoUpstreamSecret/0123456789abcdefABCD"
	proxies := map[string]*faultProxy{}
	for i, id := range []string{motoHang, motoReset, motoThrottle, motoCache, motoRate, motoRefused, motoRemoved} {
		endpoint := ""
		switch id {
		case motoRefused:
			port, err := unusedPort()
			if err != nil {
				t.Fatal(err)
			}
			endpoint = "http://127.0.0.1:" + port
		default:
			proxies[id] = newFaultProxy(t, motoURL)
			endpoint = proxies[id].URL
		}
		var extra []string
		switch id {
		case motoCache:
			extra = []string{"--cache"}
		case motoRate:
			extra = []string{"--rate", "1", "--burst", "1"}
		}
		r.addKeyUpstream(t, id, endpoint, fmt.Sprintf("AKIAE2EMOTOKEY%06d", i), motoSecret, extra...)
		r.addRole(t, "arn:aws:iam::"+id+":role/app", []string{p.alice.arn})
	}
	alice := sts.NewFromConfig(noRetries(p.alice.cfg))
	assume := func(id, name string) (*sts.AssumeRoleOutput, error) {
		out, err := alice.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + id + ":role/app"),
			RoleSessionName: aws.String(name)})
		if err == nil {
			suiteSecrets.add(aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
		}
		return out, err
	}
	counted := func(t *testing.T, id, outcome string) {
		t.Helper()
		if v, ok := r.metric(t, "brevet_broker_upstream_calls_total", `upstream_account="`+id+`"`, `outcome="`+outcome+`"`); !ok || v == "0" {
			t.Errorf("brevet_broker_upstream_calls_total{upstream_account=%q,outcome=%q}: %q %v, want counted", id, outcome, v, ok)
		}
	}
	unavailable := func(id, reason string) string {
		return "Upstream account " + id + " did not answer (" + reason + "); try again later."
	}

	t.Run("hang", func(t *testing.T) {
		t.Parallel()
		proxies[motoHang].set(hang, 0)
		start := time.Now()
		_, err := assume(motoHang, "hang")
		took := time.Since(start)
		wantCode(t, "an upstream that never answers", err, "ServiceUnavailable", unavailable(motoHang, "timeout"))
		if took > 15*time.Second {
			t.Errorf("the broker answered after %v; want within the 10 s deadline", took)
		}
		counted(t, motoHang, "unavailable")
	})
	t.Run("reset", func(t *testing.T) {
		t.Parallel()
		proxies[motoReset].set(reset, 0)
		_, err := assume(motoReset, "reset")
		wantCode(t, "an upstream that resets the connection", err, "ServiceUnavailable", unavailable(motoReset, "connection reset"))
		if n := proxies[motoReset].attempts.Load(); n < 2 {
			t.Errorf("the upstream saw %d attempts, want the reset retried", n)
		}
	})
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		_, err := assume(motoRefused, "refused")
		wantCode(t, "an upstream refusing connections", err, "ServiceUnavailable", unavailable(motoRefused, "connection refused"))
	})
	t.Run("throttling", func(t *testing.T) {
		t.Parallel()
		px := proxies[motoThrottle]
		px.set(throttle, 2)
		out, err := assume(motoThrottle, "throttled-twice")
		if err != nil {
			t.Fatalf("two Throttling answers, then moto: %v", err)
		}
		if got, want := aws.ToString(out.AssumedRoleUser.Arn), "arn:aws:sts::"+motoThrottle+":assumed-role/app/throttled-twice"; got != want {
			t.Errorf("AssumedRoleUser %s, want %s", got, want)
		}
		if n := px.attempts.Load(); n != 3 {
			t.Errorf("the upstream saw %d attempts, want 3 (two throttled, retried with backoff)", n)
		}
		px.set(throttleAll, 0)
		_, err = assume(motoThrottle, "throttled-always")
		wantCode(t, "an upstream that keeps throttling", err, "ServiceUnavailable",
			"Upstream account "+motoThrottle+" kept throttling Brevet's requests; try again later.")
		if n := px.attempts.Load(); n != 4 {
			t.Errorf("the upstream saw %d attempts, want 4 (the SDK's standard retryer)", n)
		}
		counted(t, motoThrottle, "throttled")
	})
	t.Run("cache", func(t *testing.T) {
		t.Parallel()
		px := proxies[motoCache]
		px.set(forward, 0)
		first, err := assume(motoCache, "cached")
		if err != nil {
			t.Fatal(err)
		}
		again, err := assume(motoCache, "cached")
		if err != nil {
			t.Fatal(err)
		}
		if a, b := aws.ToString(first.Credentials.AccessKeyId), aws.ToString(again.Credentials.AccessKeyId); a != b {
			t.Errorf("the same request twice: %s then %s, want the cached credentials", a, b)
		}
		if n := px.attempts.Load(); n != 1 {
			t.Errorf("the upstream saw %d calls for two identical requests, want 1", n)
		}
		if _, err := assume(motoCache, "other-session"); err != nil {
			t.Fatal(err)
		}
		if n := px.attempts.Load(); n != 2 {
			t.Errorf("another session name: the upstream saw %d calls in all, want 2", n)
		}
		var cached bool
		for _, e := range auditEvents(t, r.down, "--upstream", motoCache) {
			cached = cached || eventField(e, "additionalEventData.upstream.cached") == true
		}
		if !cached {
			t.Error("no event of the broker says upstream.cached for the second request")
		}
		counted(t, motoCache, "cached")
	})
	t.Run("removed", func(t *testing.T) {
		t.Parallel()
		roleARN := "arn:aws:iam::" + motoRemoved + ":role/app"
		if _, err := assume(motoRemoved, "before"); err != nil {
			t.Fatalf("a registered upstream role: %v", err)
		}
		r.upstreamCLI(t, "role", "remove", roleARN)
		_, err := assume(motoRemoved, "role-removed")
		wantCode(t, "a brokered role removed", err, "AccessDenied", "Encoded authorization failure message")
		r.upstreamCLI(t, "remove", motoRemoved)
		_, err = assume(motoRemoved, "upstream-removed")
		wantCode(t, "an upstream account removed", err, "AccessDenied", "")
		if out := r.upstreamCLI(t, "list"); strings.Contains(out, motoRemoved) {
			t.Errorf("brevet upstream list after remove:\n%s", out)
		}
		before := proxies[motoRemoved].attempts.Load()
		r.addKeyUpstream(t, motoRemoved, proxies[motoRemoved].URL, "AKIAE2EMOTOKEYAGAIN1", motoSecret)
		r.addRole(t, roleARN, []string{p.alice.arn})
		if _, err := assume(motoRemoved, "again"); err != nil {
			t.Errorf("registered again: %v", err)
		}
		if n := proxies[motoRemoved].attempts.Load() - before; n != 1 {
			t.Errorf("the upstream saw %d calls while it was removed and registered again, want 1", n)
		}
	})
	t.Run("rate limit", func(t *testing.T) {
		t.Parallel()
		proxies[motoRate].set(forward, 0)
		var wg sync.WaitGroup
		errs := make([]error, 10)
		for i := range errs {
			wg.Add(1)
			go func() { defer wg.Done(); _, errs[i] = assume(motoRate, fmt.Sprintf("rate-%d", i)) }()
		}
		wg.Wait()
		var ok, limited int
		for _, err := range errs {
			var ae smithy.APIError
			switch {
			case err == nil:
				ok++
			case asAPIError(err, &ae) && ae.ErrorCode() == "Throttling" && ae.ErrorMessage() == "Rate exceeded for upstream account "+motoRate+".":
				limited++
			default:
				t.Errorf("10 calls at once to an upstream limited to 1/s: %v", err)
			}
		}
		if ok == 0 || limited == 0 {
			t.Errorf("10 calls at once to an upstream limited to 1/s, burst 1: %d served, %d Throttling; want both", ok, limited)
		}
		counted(t, motoRate, "limited")
	})
}
