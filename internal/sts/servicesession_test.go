package sts_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/authz/authztest"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/sts"
)

const anchorARN = "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/4a0d1f0e-5b4c-4f8e-9d6e-0a1b2c3d4e5f"

// serviceTrust is a trust policy letting service assume the role for
// actions, with an optional Condition block (JSON, "" for none).
func serviceTrust(service string, actions []string, condition string) string {
	a := `"` + strings.Join(actions, `","`) + `"`
	c := ""
	if condition != "" {
		c = `,"Condition":` + condition
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + service + `"},"Action":[` + a + `]` + c + `}]}`
}

var allSTS = []string{"sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"}

// raInput is a Roles Anywhere CreateSession's request for roleARN, as
// the service would make it for a leaf with subject CN cn.
func raInput(roleARN, cn string) *sts.ServiceSessionInput {
	return &sts.ServiceSessionInput{
		Service: sts.RolesAnywherePrincipal, RoleARN: roleARN, SessionName: "0a1b2c3d4e5f",
		Duration: time.Hour,
		Tags: []credential.Tag{
			{Key: "x509Subject/CN", Value: cn}, {Key: "x509Subject/O", Value: "Example Corp"},
			{Key: "x509Issuer/CN", Value: "Example Issuing CA"}, {Key: "x509SAN/DNS", Value: cn + ".devices.example.com"},
		},
		SourceIdentity: cn,
		Context:        map[string][]string{"aws:SourceArn": {anchorARN}, "aws:SourceAccount": {acct}},
		Facts:          authz.Facts{Now: time.Now(), SourceIP: "192.0.2.7", SecureTransport: true},
	}
}

func TestServiceSessionAuthorization(t *testing.T) {
	e := newEnv(t)
	ra := sts.RolesAnywherePrincipal
	role := func(name, trust string) string { return e.role(acct, name, trust, 0) }
	tests := []struct {
		name   string
		role   string
		adjust func(*sts.ServiceSessionInput)
		want   string // "" allowed, else the error's type: "AccessDenied", "Validation"
	}{
		{name: "allowed", role: role("ra", serviceTrust(ra, allSTS, ""))},
		{name: "no statement for the service", role: role("users-only", authztest.Trust(acct)), want: "AccessDenied"},
		{name: "trust naming another service", role: role("iot-only", serviceTrust(sts.IoTCredentialsPrincipal, allSTS, "")), want: "AccessDenied"},
		{name: "aws:SourceArn met", role: role("anchored", serviceTrust(ra, allSTS, `{"ArnEquals":{"aws:SourceArn":"`+anchorARN+`"}}`))},
		{name: "aws:SourceArn unmet", role: role("other-anchor", serviceTrust(ra, allSTS, `{"ArnEquals":{"aws:SourceArn":"`+strings.Replace(anchorARN, "4a0d", "ffff", 1)+`"}}`)), want: "AccessDenied"},
		{name: "aws:PrincipalTag/x509Subject/CN met", role: role("cn", serviceTrust(ra, allSTS, `{"StringEquals":{"aws:PrincipalTag/x509Subject/CN":"device-1"}}`))},
		{name: "aws:PrincipalTag/x509Subject/CN unmet", role: role("cn-other", serviceTrust(ra, allSTS, `{"StringEquals":{"aws:PrincipalTag/x509Subject/CN":"device-2"}}`)), want: "AccessDenied"},
		{name: "aws:RequestTag and sts:SourceIdentity", role: role("request-tag", serviceTrust(ra, allSTS, `{"StringEquals":{"aws:RequestTag/x509Subject/O":"Example Corp","sts:SourceIdentity":"device-1","sts:RoleSessionName":"0a1b2c3d4e5f"}}`))},
		{name: "aws:PrincipalServiceName", role: role("svc-name", serviceTrust(ra, allSTS, `{"StringEquals":{"aws:PrincipalServiceName":"`+ra+`","aws:PrincipalType":"Service"}}`))},
		{name: "tags without sts:TagSession", role: role("no-tag", serviceTrust(ra, []string{"sts:AssumeRole", "sts:SetSourceIdentity"}, "")), want: "AccessDenied"},
		{name: "no tags, no sts:TagSession", role: "arn:aws:iam::111122223333:role/no-tag",
			adjust: func(in *sts.ServiceSessionInput) { in.Tags = nil }},
		{name: "source identity without sts:SetSourceIdentity", role: role("no-source", serviceTrust(ra, []string{"sts:AssumeRole", "sts:TagSession"}, "")), want: "AccessDenied"},
		{name: "no source identity, no sts:SetSourceIdentity", role: "arn:aws:iam::111122223333:role/no-source",
			adjust: func(in *sts.ServiceSessionInput) { in.SourceIdentity = "" }},
		{name: "explicit deny", role: role("deny", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"`+ra+`"},"Action":"sts:*"},{"Effect":"Deny","Principal":"*","Action":"sts:TagSession","Condition":{"StringEquals":{"aws:RequestTag/x509Subject/CN":"device-1"}}}]}`), want: "AccessDenied"},
		{name: "duration over the role's maximum", role: "arn:aws:iam::111122223333:role/ra",
			adjust: func(in *sts.ServiceSessionInput) { in.Duration = 2 * time.Hour }, want: "Validation"},
		{name: "duration under 15 minutes", role: "arn:aws:iam::111122223333:role/ra",
			adjust: func(in *sts.ServiceSessionInput) { in.Duration = time.Minute }, want: "Validation"},
		{name: "missing role", role: "arn:aws:iam::111122223333:role/nobody", want: "AccessDenied"},
		{name: "role ARN of another case", role: "arn:aws:iam::111122223333:role/RA", want: "AccessDenied"},
		{name: "not a role ARN", role: "arn:aws:iam::111122223333:user/alice", want: "Validation"},
		{name: "session name too short", role: "arn:aws:iam::111122223333:role/ra",
			adjust: func(in *sts.ServiceSessionInput) { in.SessionName = "x" }, want: "Validation"},
		{name: "session name with a space", role: "arn:aws:iam::111122223333:role/ra",
			adjust: func(in *sts.ServiceSessionInput) { in.SessionName = "a b" }, want: "Validation"},
		{name: "tag key in aws:", role: "arn:aws:iam::111122223333:role/ra",
			adjust: func(in *sts.ServiceSessionInput) { in.Tags = append(in.Tags, credential.Tag{Key: "aws:x", Value: "y"}) }, want: "Validation"},
		{name: "duplicate tag keys", role: "arn:aws:iam::111122223333:role/ra",
			adjust: func(in *sts.ServiceSessionInput) {
				in.Tags = append(in.Tags, credential.Tag{Key: "X509SUBJECT/cn", Value: "y"})
			}, want: "Validation"},
		{name: "tag value with a forbidden character", role: "arn:aws:iam::111122223333:role/ra",
			adjust: func(in *sts.ServiceSessionInput) { in.Tags[0].Value = "a,b" }, want: "Validation"},
		{name: "tag value too long", role: "arn:aws:iam::111122223333:role/ra",
			adjust: func(in *sts.ServiceSessionInput) { in.Tags[0].Value = strings.Repeat("v", 257) }, want: "Validation"},
		{name: "51 tags", role: "arn:aws:iam::111122223333:role/ra",
			adjust: func(in *sts.ServiceSessionInput) {
				for i := len(in.Tags); i <= 50; i++ {
					in.Tags = append(in.Tags, credential.Tag{Key: "k" + strings.Repeat("x", i), Value: "v"})
				}
			}, want: "Validation"},
		{name: "transitive key naming no tag", role: "arn:aws:iam::111122223333:role/ra",
			adjust: func(in *sts.ServiceSessionInput) { in.TransitiveTagKeys = []string{"nope"} }, want: "Validation"},
		{name: "transitive key", role: "arn:aws:iam::111122223333:role/ra",
			adjust: func(in *sts.ServiceSessionInput) { in.TransitiveTagKeys = []string{"x509subject/cn"} }},
		{name: "source identity with a space", role: "arn:aws:iam::111122223333:role/ra",
			adjust: func(in *sts.ServiceSessionInput) { in.SourceIdentity = "device 1" }, want: "Validation"},
		{name: "invalid session policy", role: "arn:aws:iam::111122223333:role/ra",
			adjust: func(in *sts.ServiceSessionInput) { in.Policy = `{"Version":"2012-10-17"}` }, want: "Validation"},
		{name: "session policy", role: "arn:aws:iam::111122223333:role/ra",
			adjust: func(in *sts.ServiceSessionInput) { in.Policy = authztest.Allow("*", "s3:GetObject") }},
		{name: "session policy too large", role: "arn:aws:iam::111122223333:role/ra",
			adjust: func(in *sts.ServiceSessionInput) {
				in.Policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + strings.Repeat("b", 2100) + `"}]}`
			}, want: "Validation"},
		{name: "tags over the packed budget", role: "arn:aws:iam::111122223333:role/ra",
			adjust: func(in *sts.ServiceSessionInput) {
				x := uint64(1)
				for i := 0; i < 40; i++ { // values that do not compress
					var v strings.Builder
					for v.Len() < 256 {
						x = x*6364136223846793005 + 1442695040888963407
						v.WriteString(strconv.FormatUint(x>>1, 36))
					}
					in.Tags = append(in.Tags, credential.Tag{Key: "k" + strconv.Itoa(i), Value: v.String()[:256]})
				}
			}, want: "Validation"},
		{name: "unknown managed session policy", role: "arn:aws:iam::111122223333:role/ra",
			adjust: func(in *sts.ServiceSessionInput) { in.PolicyARNs = []string{"arn:aws:iam::111122223333:policy/nope"} }, want: "Validation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := raInput(tt.role, "device-1")
			if tt.adjust != nil {
				tt.adjust(in)
			}
			out, err := e.svc.ServiceSession(ctx, in)
			if got := errorKind(err); got != tt.want {
				t.Fatalf("ServiceSession: got %q (%v), want %q", got, err, tt.want)
			}
			if err != nil {
				return
			}
			if out.Credentials == nil || out.Credentials.SessionToken == "" || !strings.HasPrefix(out.Credentials.AccessKeyId, "ASIA") {
				t.Errorf("credentials = %v, want a session", out.Credentials)
			}
		})
	}
}

// errorKind names the type of a ServiceSession error.
func errorKind(err error) string {
	var ad *sts.AccessDeniedError
	var ve *sts.ValidationError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ad):
		return "AccessDenied"
	case errors.As(err, &ve):
		return "Validation"
	}
	return "untyped"
}

// TestServiceSessionBoundTrust: a trust policy saved by IAM is bound to
// the unique ids of the AWS principals it names; a Service principal is
// not an IAM entity and still matches by name.
func TestServiceSessionBoundTrust(t *testing.T) {
	e := newEnv(t)
	e.user(acct, "alice")
	doc := `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Principal":{"Service":"` + sts.IoTCredentialsPrincipal + `"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"credentials-iot:ThingName":"pump-7"}}},` +
		`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"sts:AssumeRole"}]}`
	roleARN := e.role(acct, "device", doc, 0)
	must(t, e.w.BindTrust(acct, "device"))
	e.sync()
	for _, tt := range []struct {
		thing string
		want  string
	}{{"pump-7", ""}, {"pump-8", "AccessDenied"}} {
		in := &sts.ServiceSessionInput{Service: sts.IoTCredentialsPrincipal, RoleARN: roleARN, SessionName: "c0ffee",
			Context: map[string][]string{"credentials-iot:ThingName": {tt.thing}}, Facts: authz.Facts{Now: time.Now()}}
		_, err := e.svc.ServiceSession(ctx, in)
		if got := errorKind(err); got != tt.want {
			t.Errorf("thing %s: got %q (%v), want %q", tt.thing, got, err, tt.want)
		}
	}
}

// TestServiceSessionReservedContext: a calling service may not set the
// keys STS derives itself; that is the service's bug, an untyped error.
func TestServiceSessionReservedContext(t *testing.T) {
	e := newEnv(t)
	roleARN := e.role(acct, "ra", serviceTrust(sts.RolesAnywherePrincipal, allSTS, ""), 0)
	for _, k := range []string{"aws:PrincipalTag/x509Subject/CN", "sts:SourceIdentity", "aws:CurrentTime", "AWS:RequestTag/a", "aws:TagKeys"} {
		in := raInput(roleARN, "device-1")
		in.Context[k] = []string{"v"}
		if _, err := e.svc.ServiceSession(ctx, in); errorKind(err) != "untyped" {
			t.Errorf("context key %s: got %v, want an untyped error", k, err)
		}
	}
	if _, err := e.svc.ServiceSession(ctx, &sts.ServiceSessionInput{RoleARN: roleARN, SessionName: "abc"}); errorKind(err) != "untyped" {
		t.Errorf("no service: got %v, want an untyped error", err)
	}
}

func TestServiceSessionMessages(t *testing.T) {
	e := newEnv(t)
	roleARN := e.role(acct, "ra", serviceTrust(sts.RolesAnywherePrincipal, allSTS, ""), 0)
	tests := []struct {
		name   string
		adjust func(*sts.ServiceSessionInput)
		want   string
	}{
		{"duration", func(in *sts.ServiceSessionInput) { in.Duration = 2 * time.Hour },
			"The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
		{"session name", func(in *sts.ServiceSessionInput) { in.SessionName = "a b" },
			`1 validation error detected: Value 'a b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{"missing role", func(in *sts.ServiceSessionInput) { in.RoleARN = "arn:aws:iam::111122223333:role/nobody" },
			"Not authorized to perform sts:AssumeRole"},
	}
	for _, tt := range tests {
		in := raInput(roleARN, "device-1")
		tt.adjust(in)
		_, err := e.svc.ServiceSession(ctx, in)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestServiceSessionCredentials: the minted session authenticates as the
// assumed role, carries its tags as principal tags and its source
// identity (identity policies conditioned on them decide), and its claims
// are those of a role session.
func TestServiceSessionCredentials(t *testing.T) {
	e := newEnv(t)
	roleARN := e.role(acct, "ra", serviceTrust(sts.RolesAnywherePrincipal, allSTS, ""), 3*3600,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/x509Subject/CN":"device-1","aws:SourceIdentity":"device-1"}}}]}`)
	role, err := e.st.Roles().Get(ctx, acct, "ra")
	must(t, err)

	in := raInput(roleARN, "device-1")
	in.Duration = 2 * time.Hour
	out, err := e.svc.ServiceSession(ctx, in)
	must(t, err)
	sessionARN := iam.AssumedRoleARN(acct, "ra", "0a1b2c3d4e5f")
	if got, want := []string{out.RoleARN, out.SessionARN, out.AssumedRoleID}, []string{roleARN, sessionARN, role.ID + ":0a1b2c3d4e5f"}; !cmp.Equal(got, want) {
		t.Errorf("names: %s", cmp.Diff(want, got))
	}
	if out.PackedPolicySize == nil {
		t.Error("PackedPolicySize = nil, want a size (tags were passed)")
	}
	c := out.Claims
	if c.PrincipalType != credential.AssumedRole || c.PrincipalID != role.ID || c.SourceIdentity != "device-1" ||
		!cmp.Equal(c.Tags, in.Tags) || c.AccessKeyID != out.Credentials.AccessKeyId || c.Expires.Sub(c.IssuedAt).Round(time.Second) != 2*time.Hour {
		t.Errorf("claims = %+v (tags %v, source %q)", c, c.Tags, c.SourceIdentity)
	}
	iss := out.Issuance("CreateSession", "192.0.2.7")
	if iss.AccessKeyID != c.AccessKeyID || iss.SessionARN != sessionARN || iss.PrincipalARN != roleARN || iss.Account != acct || !iss.Temporary() {
		t.Errorf("issuance = %+v", iss)
	}

	creds := aws.Credentials{AccessKeyID: out.Credentials.AccessKeyId, SecretAccessKey: out.Credentials.SecretAccessKey, SessionToken: out.Credentials.SessionToken}
	who, err := e.sts(creds).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	must(t, err)
	if got := aws.ToString(who.Arn); got != sessionARN {
		t.Errorf("GetCallerIdentity Arn = %q, want %q", got, sessionARN)
	}
	if _, err := e.iam(creds).GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("ra")}); err != nil {
		t.Errorf("GetRole with CN device-1: %v", err)
	}

	// Another device's session: the trust policy lets it in, the role's
	// identity policy does not.
	out2, err := e.svc.ServiceSession(ctx, raInput(roleARN, "device-2"))
	must(t, err)
	creds2 := aws.Credentials{AccessKeyID: out2.Credentials.AccessKeyId, SecretAccessKey: out2.Credentials.SecretAccessKey, SessionToken: out2.Credentials.SessionToken}
	_, err = e.iam(creds2).GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("ra")})
	wantError(t, "GetRole with CN device-2", err, "AccessDenied", "User: "+iam.AssumedRoleARN(acct, "ra", "0a1b2c3d4e5f")+" is not authorized to perform: iam:GetRole")
}

// TestServiceSessionContext: the service's session condition keys are
// sealed in the session's token, sorted, and present in the requests it
// makes; keys outside a service's namespaces are the calling service's
// bug; a session chained from it (AssumeRole with its credentials) does
// not carry them, as AWS's do not.
func TestServiceSessionContext(t *testing.T) {
	e := newEnv(t)
	const thingOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*","Condition":{"StringEquals":{"credentials-iot:ThingName":"pump-7"}}}]}`
	nextARN := e.role(acct, "next", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acct+`:role/device"},"Action":"sts:AssumeRole"}]}`, 0, thingOnly)
	roleARN := e.role(acct, "device", serviceTrust(sts.IoTCredentialsPrincipal, []string{"sts:AssumeRole"}, ""), 0, thingOnly,
		authztest.Allow(nextARN, "sts:AssumeRole"))
	input := func(keys map[string]string) *sts.ServiceSessionInput {
		return &sts.ServiceSessionInput{
			Service: sts.IoTCredentialsPrincipal, RoleARN: roleARN, SessionName: "c0ffee",
			Context:        map[string][]string{"credentials-iot:ThingName": {"pump-7"}},
			SessionContext: keys,
			Facts:          authz.Facts{Now: time.Now(), SourceIP: "192.0.2.7", SecureTransport: true},
		}
	}

	out, err := e.svc.ServiceSession(ctx, input(map[string]string{"credentials-iot:ThingName": "pump-7", "credentials-iot:AwsCertificateId": "c0ffee"}))
	must(t, err)
	want := []credential.ContextKey{{Key: "credentials-iot:AwsCertificateId", Value: "c0ffee"}, {Key: "credentials-iot:ThingName", Value: "pump-7"}}
	if diff := cmp.Diff(want, out.Claims.RequestContext); diff != "" {
		t.Errorf("claims' request context (-want +got):\n%s", diff)
	}
	opened, err := e.ring.Open(out.Credentials.SessionToken, out.Credentials.AccessKeyId, time.Now())
	must(t, err)
	if diff := cmp.Diff(want, opened.RequestContext); diff != "" {
		t.Errorf("token's request context (-want +got):\n%s", diff)
	}
	creds := aws.Credentials{AccessKeyID: out.Credentials.AccessKeyId, SecretAccessKey: out.Credentials.SecretAccessKey, SessionToken: out.Credentials.SessionToken}
	if _, err := e.iam(creds).GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("device")}); err != nil {
		t.Errorf("GetRole by pump-7's session: %v", err)
	}

	// Without the key in the session, the same role's policy denies.
	bare, err := e.svc.ServiceSession(ctx, input(nil))
	must(t, err)
	if bare.Claims.RequestContext != nil {
		t.Errorf("session without keys carries %v", bare.Claims.RequestContext)
	}
	bareCreds := aws.Credentials{AccessKeyID: bare.Credentials.AccessKeyId, SecretAccessKey: bare.Credentials.SecretAccessKey, SessionToken: bare.Credentials.SessionToken}
	_, err = e.iam(bareCreds).GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("device")})
	wantError(t, "GetRole by a session without the key", err, "AccessDenied", "User: ")

	// Role chaining does not carry them.
	chained, err := e.sts(creds).AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(nextARN), RoleSessionName: aws.String("chained")})
	must(t, err)
	cc := temp(t, chained.Credentials)
	got, err := e.ring.Open(cc.SessionToken, cc.AccessKeyID, time.Now())
	must(t, err)
	if got.RequestContext != nil || got.ChainDepth() != 1 {
		t.Errorf("chained session: request context %v, depth %d; want none, 1", got.RequestContext, got.ChainDepth())
	}
	_, err = e.iam(cc).GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("next")})
	wantError(t, "GetRole by the chained session", err, "AccessDenied", "User: ")

	for _, keys := range []map[string]string{
		{"aws:SourceArn": "x"},
		{"sts:SourceIdentity": "x"},
		{"iam:PassedToService": "x"},
		{"aws:PrincipalTag/x": "x"},
		{"s3:prefix": "x"},
		{"ec2:": "x"},
		{"credentials-iot": "x"},
		{"ec2:SourceInstanceARN": strings.Repeat("v", credential.MaxContextValueLen+1)},
		{"credentials-iot:ThingAttributes/" + strings.Repeat("k", credential.MaxContextKeyLen): "x"},
		{"credentials-iot:ThingName": "a", "Credentials-IoT:thingname": "b"},
		// Only the console's sessions carry its marker.
		{"brevet:ViaConsole": "true"},
		{"BREVET:viaconsole": "true"},
		{"brevet:Other": "x"},
	} {
		if _, err := e.svc.ServiceSession(ctx, input(keys)); errorKind(err) != "untyped" {
			t.Errorf("session context %v: got %v, want an untyped error", keys, err)
		}
	}
	many := map[string]string{}
	for i := range credential.MaxRequestContextKeys + 1 {
		many["ec2:k"+strconv.Itoa(i)] = "v"
	}
	if _, err := e.svc.ServiceSession(ctx, input(many)); errorKind(err) != "untyped" {
		t.Errorf("%d session context keys: got %v, want an untyped error", len(many), err)
	}
	// Case does not matter to the namespace.
	if _, err := e.svc.ServiceSession(ctx, input(map[string]string{"EC2:SourceInstanceARN": "arn:aws:ec2:us-east-1:" + acct + ":instance/i-1"})); err != nil {
		t.Errorf("EC2: key: %v", err)
	}
}
