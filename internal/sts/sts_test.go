package sts_test

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/authz/authztest"
	"github.com/brevet-dev/brevet/internal/credential/totp"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/iamservice"
	"github.com/brevet-dev/brevet/internal/sts"
)

var ctx = context.Background()

func TestMFASeedPurposeMatchesIAM(t *testing.T) {
	if got, want := sts.MFASeedPurpose("arn:aws:iam::1:mfa/x"), iamservice.MFASeedPurpose("arn:aws:iam::1:mfa/x"); got != want {
		t.Errorf("MFASeedPurpose = %q, want %q", got, want)
	}
}

func TestGetCallerIdentityAndAccessKeyInfo(t *testing.T) {
	e := newEnv(t)
	alice := e.user(acct, "alice") // no policy at all
	out, err := e.sts(alice).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	must(t, err)
	if got, want := aws.ToString(out.Arn), iam.UserARN(acct, "/", "alice"); got != want {
		t.Errorf("Arn = %q, want %q", got, want)
	}
	if aws.ToString(out.Account) != acct || !strings.HasPrefix(aws.ToString(out.UserId), "AIDA") {
		t.Errorf("Account, UserId = %q, %q", aws.ToString(out.Account), aws.ToString(out.UserId))
	}

	bob := e.user(other, "bob", authztest.Allow("*", "sts:GetAccessKeyInfo"))
	info, err := e.sts(bob).GetAccessKeyInfo(ctx, &awssts.GetAccessKeyInfoInput{AccessKeyId: aws.String(alice.AccessKeyID)})
	must(t, err)
	if aws.ToString(info.Account) != acct {
		t.Errorf("GetAccessKeyInfo = %q, want %q", aws.ToString(info.Account), acct)
	}
	_, err = e.sts(alice).GetAccessKeyInfo(ctx, &awssts.GetAccessKeyInfoInput{AccessKeyId: aws.String(bob.AccessKeyID)})
	wantError(t, "GetAccessKeyInfo without permission", err, "AccessDenied",
		"User: arn:aws:iam::111122223333:user/alice is not authorized to perform: sts:GetAccessKeyInfo on resource: * because no identity-based policy allows the sts:GetAccessKeyInfo action. Encoded authorization failure message: ")
}

func TestGetSessionToken(t *testing.T) {
	e := newEnv(t)
	alice := e.user(acct, "alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListRoles","sts:AssumeRole"],"Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`)
	roleARN := e.role(acct, "admin", authztest.Trust(acct), 0) // the account delegates: identity policies decide
	serial, seed := e.mfa(acct, "alice")
	c := e.sts(alice)
	assume := &awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("mfa")}

	start := time.Now()
	out, err := c.GetSessionToken(ctx, &awssts.GetSessionTokenInput{})
	must(t, err)
	if exp := out.Credentials.Expiration.Sub(start); exp < 12*time.Hour-time.Minute || exp > 12*time.Hour+time.Minute {
		t.Errorf("default duration = %v, want 12h", exp)
	}
	if id := aws.ToString(out.Credentials.AccessKeyId); !strings.HasPrefix(id, "ASIA") {
		t.Errorf("AccessKeyId = %q", id)
	}
	noMFA := temp(t, out.Credentials)
	_, err = e.sts(noMFA).AssumeRole(ctx, assume)
	wantError(t, "AssumeRole without MFA", err, "AccessDenied", "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: sts:AssumeRole on resource: "+roleARN+" because no identity-based policy allows")
	id, err := e.sts(noMFA).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	must(t, err)
	if aws.ToString(id.Arn) != iam.UserARN(acct, "/", "alice") {
		t.Errorf("session caller = %q", aws.ToString(id.Arn))
	}

	code := totp.Code(seed, time.Now())
	out, err = c.GetSessionToken(ctx, &awssts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(code), DurationSeconds: aws.Int32(900)})
	must(t, err)
	withMFA := temp(t, out.Credentials)
	ar, err := e.sts(withMFA).AssumeRole(ctx, assume)
	if err != nil {
		t.Fatalf("AssumeRole with MFA: %v", err)
	}
	if _, err := e.iam(withMFA).ListRoles(ctx, &awsiam.ListRolesInput{}); err != nil {
		t.Errorf("IAM call with MFA: %v", err)
	}
	// Assuming a role from GetSessionToken credentials is not chaining: the
	// role's limits apply, and the MFA carries over.
	if d := time.Until(*ar.Credentials.Expiration); d > time.Hour+time.Minute {
		t.Errorf("duration %v", d)
	}

	wrong := "000000"
	if wrong == code {
		wrong = "111111"
	}
	tests := []struct {
		name       string
		client     *awssts.Client
		in         *awssts.GetSessionTokenInput
		code, text string
	}{
		{"session credentials", e.sts(noMFA), &awssts.GetSessionTokenInput{}, "AccessDenied", "Cannot call GetSessionToken with session credentials"},
		{"role session credentials", e.sts(temp(t, ar.Credentials)), &awssts.GetSessionTokenInput{}, "AccessDenied", "Cannot call GetSessionToken with session credentials"},
		{"too short", c, &awssts.GetSessionTokenInput{DurationSeconds: aws.Int32(899)}, "ValidationError", "1 validation error detected: Value '899' at 'durationSeconds'"},
		{"too long", c, &awssts.GetSessionTokenInput{DurationSeconds: aws.Int32(129601)}, "ValidationError", "1 validation error detected: Value '129601' at 'durationSeconds'"},
		{"wrong code", c, &awssts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(wrong)}, "AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code."},
		{"replayed code", c, &awssts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(code)}, "AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code."},
		{"unknown device", c, &awssts.GetSessionTokenInput{SerialNumber: aws.String(iam.MFASerial(acct, "/", "nope")), TokenCode: aws.String(code)}, "AccessDenied", "MultiFactorAuthentication failed, unable to validate MFA code."},
	}
	for _, tt := range tests {
		_, err := tt.client.GetSessionToken(ctx, tt.in)
		wantError(t, tt.name, err, tt.code, tt.text)
	}
	_, err = e.sts(noMFA).GetAccessKeyInfo(ctx, &awssts.GetAccessKeyInfoInput{AccessKeyId: aws.String(alice.AccessKeyID)})
	wantError(t, "GetAccessKeyInfo with GetSessionToken credentials", err, "AccessDenied", "Cannot call GetAccessKeyInfo with session credentials")
}

const listRolesOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`

func TestAssumeRole(t *testing.T) {
	e := newEnv(t)
	alice := e.user(acct, "alice", authztest.Allow("*", "sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"))
	nobody := e.user(acct, "nobody")
	aliceARN := iam.UserARN(acct, "/", "alice")
	roleARN := e.role(acct, "app", authztest.Trust(aliceARN), 7200, authztest.Allow("*", "iam:Get*", "iam:List*"))
	noTags := e.role(acct, "notags", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+aliceARN+`"},"Action":"sts:AssumeRole"}]}`, 0)
	external := e.role(acct, "external", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+aliceARN+`"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x-123"}}}]}`, 0)
	mfaRole := e.role(acct, "mfa", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+aliceARN+`"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`, 0)
	ipTrust := func(cidr string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + aliceARN + `"},"Action":"sts:AssumeRole","Condition":{"IpAddress":{"aws:SourceIp":"` + cidr + `"}}}]}`
	}
	local := e.role(acct, "local", ipTrust("127.0.0.0/8"), 0)
	remote := e.role(acct, "remote", ipTrust("10.0.0.0/8"), 0)
	managed, err := e.w.Managed(acct, "ListOnly", listRolesOnly)
	must(t, err)
	otherPolicy, err := e.w.Managed(other, "Elsewhere", listRolesOnly)
	must(t, err)
	serial, seed := e.mfa(acct, "alice")
	c := e.sts(alice)

	start := time.Now()
	out, err := c.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1")})
	must(t, err)
	if got, want := aws.ToString(out.AssumedRoleUser.Arn), "arn:aws:sts::111122223333:assumed-role/app/s1"; got != want {
		t.Errorf("AssumedRoleUser.Arn = %q, want %q", got, want)
	}
	if id := aws.ToString(out.AssumedRoleUser.AssumedRoleId); !strings.HasPrefix(id, "AROA") || !strings.HasSuffix(id, ":s1") {
		t.Errorf("AssumedRoleId = %q", id)
	}
	if d := out.Credentials.Expiration.Sub(start); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("default duration = %v", d)
	}
	if p := packedAssume(out); p != nil {
		t.Errorf("PackedPolicySize = %d without session policies", *p)
	}
	// RoleLastUsed is written off the request path, within a moment.
	var r iam.Role
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var err error
		r, err = e.st.Roles().Get(ctx, acct, "app")
		must(t, err)
		if !r.LastUsed.Date.IsZero() || time.Now().After(deadline) {
			break
		}
	}
	if r.LastUsed.Date.IsZero() || r.LastUsed.Region != "us-east-1" {
		t.Errorf("RoleLastUsed = %+v", r.LastUsed)
	}
	sess := temp(t, out.Credentials)
	who, err := e.sts(sess).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	must(t, err)
	if aws.ToString(who.Arn) != aws.ToString(out.AssumedRoleUser.Arn) || aws.ToString(who.UserId) != aws.ToString(out.AssumedRoleUser.AssumedRoleId) {
		t.Errorf("GetCallerIdentity = %q %q", aws.ToString(who.Arn), aws.ToString(who.UserId))
	}

	out, err = c.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s2"), DurationSeconds: aws.Int32(7200),
		Policy: aws.String(listRolesOnly), Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})
	must(t, err)
	if p := packedAssume(out); p == nil || *p <= 0 || *p > 100 {
		t.Errorf("PackedPolicySize = %v", p)
	}

	if _, err := c.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(external), RoleSessionName: aws.String("xx"), ExternalId: aws.String("x-123")}); err != nil {
		t.Errorf("external id: %v", err)
	}
	_, err = c.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(mfaRole), RoleSessionName: aws.String("mm"),
		SerialNumber: aws.String(serial), TokenCode: aws.String(totp.Code(seed, time.Now()))})
	if err != nil {
		t.Errorf("MFA: %v", err)
	}

	if _, err := c.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(local), RoleSessionName: aws.String("ip")}); err != nil {
		t.Errorf("trust policy on aws:SourceIp 127.0.0.0/8: %v", err)
	}

	const denied = "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: sts:AssumeRole on resource: "
	manyARNs := make([]ststypes.PolicyDescriptorType, 11)
	for i := range manyARNs {
		manyARNs[i].Arn = aws.String(managed)
	}
	tags := func(kv ...string) []ststypes.Tag {
		var out []ststypes.Tag
		for i := 0; i < len(kv); i += 2 {
			out = append(out, ststypes.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
		}
		return out
	}
	tests := []struct {
		name       string
		client     *awssts.Client
		in         awssts.AssumeRoleInput
		code, text string
	}{
		{"caller not in trust", e.sts(nobody), awssts.AssumeRoleInput{RoleArn: aws.String(roleARN)}, "AccessDenied",
			"User: arn:aws:iam::111122223333:user/nobody is not authorized to perform: sts:AssumeRole on resource: " + roleARN + ". Encoded authorization failure message: "},
		{"role does not exist", c, awssts.AssumeRoleInput{RoleArn: aws.String(iam.RoleARN(acct, "/", "ghost"))}, "AccessDenied", denied + iam.RoleARN(acct, "/", "ghost") + ". Encoded authorization failure message: "},
		{"wrong case", c, awssts.AssumeRoleInput{RoleArn: aws.String(iam.RoleARN(acct, "/", "APP"))}, "AccessDenied", denied},
		{"not a role ARN", c, awssts.AssumeRoleInput{RoleArn: aws.String(iam.UserARN(acct, "/", "alice"))}, "AccessDenied", denied + iam.UserARN(acct, "/", "alice")},
		{"not an ARN", c, awssts.AssumeRoleInput{RoleArn: aws.String("nothing-valid-in-here")}, "ValidationError", "nothing-valid-in-here is invalid"},
		{"an ARN without a resource", c, awssts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111122223333:")}, "ValidationError", "arn:aws:iam::111122223333: is invalid"},
		{"over MaxSessionDuration", c, awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), DurationSeconds: aws.Int32(7201)}, "ValidationError",
			"The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
		{"under 900", c, awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), DurationSeconds: aws.Int32(899)}, "ValidationError", "1 validation error detected: Value '899' at 'durationSeconds'"},
		{"bad session name", c, awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("no spaces")}, "ValidationError", "1 validation error detected: Value 'no spaces' at 'roleSessionName'"},
		{"short session name", c, awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("a")}, "ValidationError", "1 validation error detected: Value 'a' at 'roleSessionName'"},
		{"malformed policy", c, awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), Policy: aws.String(`{"Statement":`)}, "MalformedPolicyDocument", ""},
		{"policy with principal", c, awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`)}, "MalformedPolicyDocument", ""},
		{"policy over 2048", c, awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"` + strings.Repeat("a", 2048) + `","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)}, "ValidationError",
			"1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048"},
		{"unknown policy ARN", c, awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String(iam.PolicyARN(acct, "/", "nope"))}}}, "ValidationError", "Policy arn:aws:iam::111122223333:policy/nope does not exist"},
		{"policy ARN of another account", c, awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String(otherPolicy)}}}, "ValidationError", "Policy " + otherPolicy + " does not exist or is not attachable."},
		{"eleven policy ARNs", c, awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), PolicyArns: manyARNs}, "ValidationError", "1 validation error detected: Value at 'policyArns'"},
		{"tags without sts:TagSession in trust", c, awssts.AssumeRoleInput{RoleArn: aws.String(noTags), Tags: tags("a", "b")}, "AccessDenied",
			"User: arn:aws:iam::111122223333:user/alice is not authorized to perform: sts:TagSession on resource: " + noTags},
		{"duplicate tag keys", c, awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), Tags: tags("a", "b", "A", "c")}, "InvalidParameterValue", "Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{"transitive key not in tags", c, awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), Tags: tags("a", "b"), TransitiveTagKeys: []string{"c"}}, "InvalidParameterValue", "The specified transitive tag key must be included in the requested tags."},
		{"51 tags", c, awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), Tags: manyTags(51, 1, 1)}, "ValidationError", "1 validation error detected: Value"},
		{"packed policy too large", c, awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), Tags: manyTags(50, 128, 256)}, "PackedPolicyTooLarge", "Packed size of session tags consumes"},
		{"wrong external id", c, awssts.AssumeRoleInput{RoleArn: aws.String(external), ExternalId: aws.String("x-999")}, "AccessDenied", denied + external},
		{"missing external id", c, awssts.AssumeRoleInput{RoleArn: aws.String(external)}, "AccessDenied", denied + external},
		{"source IP outside the trust condition", c, awssts.AssumeRoleInput{RoleArn: aws.String(remote)}, "AccessDenied", denied + remote},
		{"MFA required", c, awssts.AssumeRoleInput{RoleArn: aws.String(mfaRole)}, "AccessDenied", denied + mfaRole},
		{"MFA wrong code", c, awssts.AssumeRoleInput{RoleArn: aws.String(mfaRole), SerialNumber: aws.String(serial), TokenCode: aws.String("12345x")}, "ValidationError", "1 validation error detected: Value '12345x' at 'tokenCode'"},
		{"source identity pattern", c, awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), SourceIdentity: aws.String("aws:me")}, "ValidationError", "1 validation error detected: Value 'aws:me' at 'sourceIdentity'"},
	}
	for _, tt := range tests {
		in := tt.in
		if in.RoleSessionName == nil {
			in.RoleSessionName = aws.String("test")
		}
		_, err := tt.client.AssumeRole(ctx, &in)
		wantError(t, tt.name, err, tt.code, tt.text)
	}
}

// manyTags returns n tags with random keys and values of the given sizes
// (random, so that packing cannot compress them).
func manyTags(n, keyLen, valueLen int) []ststypes.Tag {
	rnd := func(l int) string {
		b := make([]byte, l)
		_, _ = rand.Read(b)
		return base32.StdEncoding.EncodeToString(b)[:l]
	}
	out := make([]ststypes.Tag, n)
	for i := range out {
		out[i] = ststypes.Tag{Key: aws.String(rnd(keyLen)), Value: aws.String(rnd(valueLen))}
	}
	return out
}

func TestRoleChaining(t *testing.T) {
	e := newEnv(t)
	aliceARN := iam.UserARN(acct, "/", "alice")
	alice := e.user(acct, "alice", authztest.Allow("*", "sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"))
	firstARN := e.role(acct, "first", authztest.Trust(aliceARN), 0, authztest.Allow("*", "sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"))
	secondARN := e.role(acct, "second", authztest.Trust(firstARN), 43200,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/project":"apollo"}}}]}`)

	out, err := e.sts(alice).AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(firstARN), RoleSessionName: aws.String("one"),
		SourceIdentity:    aws.String("alice"),
		Tags:              []ststypes.Tag{{Key: aws.String("project"), Value: aws.String("apollo")}, {Key: aws.String("temp"), Value: aws.String("x")}},
		TransitiveTagKeys: []string{"project"}})
	must(t, err)
	if aws.ToString(out.SourceIdentity) != "alice" {
		t.Errorf("SourceIdentity = %q", aws.ToString(out.SourceIdentity))
	}
	first := e.sts(temp(t, out.Credentials))

	tests := []struct {
		name       string
		in         awssts.AssumeRoleInput
		code, text string
	}{
		{"over one hour", awssts.AssumeRoleInput{DurationSeconds: aws.Int32(3601)}, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."},
		{"override transitive tag", awssts.AssumeRoleInput{Tags: []ststypes.Tag{{Key: aws.String("Project"), Value: aws.String("gemini")}}}, "InvalidParameterValue", "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session."},
		{"override transitive tag in another case", awssts.AssumeRoleInput{Tags: []ststypes.Tag{{Key: aws.String("project"), Value: aws.String("gemini")}}}, "InvalidParameterValue", "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session."},
		{"change source identity", awssts.AssumeRoleInput{SourceIdentity: aws.String("mallory")}, "AccessDenied", "Cannot change the source identity of a role session"},
	}
	for _, tt := range tests {
		in := tt.in
		in.RoleArn, in.RoleSessionName = aws.String(secondARN), aws.String("two")
		_, err := first.AssumeRole(ctx, &in)
		wantError(t, tt.name, err, tt.code, tt.text)
	}

	out, err = first.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(secondARN), RoleSessionName: aws.String("two"),
		SourceIdentity: aws.String("alice")})
	must(t, err)
	if aws.ToString(out.SourceIdentity) != "alice" {
		t.Errorf("chained SourceIdentity = %q, want the inherited one", aws.ToString(out.SourceIdentity))
	}
	second := temp(t, out.Credentials)
	// The transitive tag reached the second session: its policy requires it.
	if _, err := e.iam(second).ListRoles(ctx, &awsiam.ListRolesInput{}); err != nil {
		t.Errorf("ListRoles with the inherited transitive tag: %v", err)
	}
	// Chaining again (second trusts first only) is refused.
	_, err = e.sts(second).AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(secondARN), RoleSessionName: aws.String("three")})
	wantError(t, "second cannot assume itself", err, "AccessDenied", "User: arn:aws:sts::111122223333:assumed-role/second/two is not authorized to perform: sts:AssumeRole")
}

func TestCrossAccount(t *testing.T) {
	e := newEnv(t)
	roleARN := e.role(acct, "shared", authztest.Trust(other), 0, authztest.Allow("*", "iam:ListRoles"))
	carol := e.user(other, "carol", authztest.Allow(roleARN, "sts:AssumeRole"))
	dave := e.user(other, "dave")

	out, err := e.sts(carol).AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("carol")})
	must(t, err)
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::111122223333:assumed-role/shared/carol" {
		t.Errorf("Arn = %q", got)
	}
	who, err := e.sts(temp(t, out.Credentials)).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	must(t, err)
	if aws.ToString(who.Account) != acct {
		t.Errorf("session account = %q, want the role's", aws.ToString(who.Account))
	}
	_, err = e.sts(dave).AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("dave")})
	wantError(t, "trust only", err, "AccessDenied", "User: arn:aws:iam::444455556666:user/dave is not authorized to perform: sts:AssumeRole on resource: "+roleARN+" because no identity-based policy allows the sts:AssumeRole action")
}

func TestSessionPolicyIntersectionAndDecode(t *testing.T) {
	e := newEnv(t)
	aliceARN := iam.UserARN(acct, "/", "alice")
	alice := e.user(acct, "alice")
	auditor := e.user(acct, "auditor", authztest.Allow("*", "sts:DecodeAuthorizationMessage"))
	roleARN := e.role(acct, "app", authztest.Trust(aliceARN), 0, authztest.Allow("*", "iam:GetRole", "iam:ListRoles"))

	out, err := e.sts(alice).AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("narrow"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListRoles","iam:DeleteRole"],"Resource":"*"}]}`)})
	must(t, err)
	sess := e.iam(temp(t, out.Credentials))
	if _, err := sess.ListRoles(ctx, &awsiam.ListRolesInput{}); err != nil {
		t.Errorf("ListRoles (role ∩ session allow): %v", err)
	}
	_, err = sess.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("app")})
	wantError(t, "GetRole (role only)", err, "AccessDenied", "User: arn:aws:sts::111122223333:assumed-role/app/narrow is not authorized to perform: iam:GetRole on resource: "+roleARN+" because no session policy allows the iam:GetRole action. Encoded authorization failure message: ")
	_, err = sess.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("app")})
	wantError(t, "DeleteRole (session only)", err, "AccessDenied", "User: arn:aws:sts::111122223333:assumed-role/app/narrow is not authorized to perform: iam:DeleteRole")

	_, msg := apiError(err)
	encoded := msg[strings.LastIndex(msg, " ")+1:]
	dec, err := e.sts(auditor).DecodeAuthorizationMessage(ctx, &awssts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(encoded)})
	must(t, err)
	var m struct {
		Allowed bool `json:"allowed"`
		Context struct {
			Principal struct{ ARN string } `json:"principal"`
			Action    string               `json:"action"`
			Resource  string               `json:"resource"`
		} `json:"context"`
	}
	must(t, json.Unmarshal([]byte(aws.ToString(dec.DecodedMessage)), &m))
	if m.Allowed || m.Context.Action != "iam:DeleteRole" || m.Context.Resource != roleARN || m.Context.Principal.ARN != "arn:aws:sts::111122223333:assumed-role/app/narrow" {
		t.Errorf("decoded = %+v", m)
	}
	_, err = e.sts(alice).DecodeAuthorizationMessage(ctx, &awssts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(encoded)})
	wantError(t, "decode without permission", err, "AccessDenied", "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: sts:DecodeAuthorizationMessage")
	_, err = e.sts(auditor).DecodeAuthorizationMessage(ctx, &awssts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String("bm90LWEtbWVzc2FnZQ")})
	wantError(t, "invalid message", err, "InvalidAuthorizationMessageException", "The error message could not be decoded.")
}

func TestGetFederationToken(t *testing.T) {
	e := newEnv(t)
	// Federated users may call no IAM action and no STS action but
	// GetCallerIdentity (AWS's restriction), so what their session policy
	// intersects is tested in package authz.
	alice := e.user(acct, "alice", authztest.Allow("*", "sts:GetFederationToken", "sts:GetAccessKeyInfo", "sts:AssumeRole"))
	bob := e.user(acct, "bob")
	c := e.sts(alice)
	keyInfo := &awssts.GetAccessKeyInfoInput{AccessKeyId: aws.String(bob.AccessKeyID)}
	roleARN := e.role(acct, "app", authztest.Trust(acct), 0)

	out, err := c.GetFederationToken(ctx, &awssts.GetFederationTokenInput{Name: aws.String("fed-1"),
		Policy: aws.String(authztest.Allow("*", "sts:GetAccessKeyInfo", "sts:GetSessionToken"))})
	must(t, err)
	if got := aws.ToString(out.FederatedUser.Arn); got != "arn:aws:sts::111122223333:federated-user/fed-1" {
		t.Errorf("Arn = %q", got)
	}
	if got := aws.ToString(out.FederatedUser.FederatedUserId); got != acct+":fed-1" {
		t.Errorf("FederatedUserId = %q", got)
	}
	if packedFederation(out) == nil {
		t.Error("PackedPolicySize missing")
	}
	fed := temp(t, out.Credentials)
	who, err := e.sts(fed).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	must(t, err)
	if aws.ToString(who.Arn) != "arn:aws:sts::111122223333:federated-user/fed-1" || aws.ToString(who.UserId) != acct+":fed-1" {
		t.Errorf("GetCallerIdentity = %q %q", aws.ToString(who.Arn), aws.ToString(who.UserId))
	}
	_, err = e.sts(fed).GetAccessKeyInfo(ctx, keyInfo)
	wantError(t, "federated GetAccessKeyInfo", err, "AccessDenied", "Cannot call GetAccessKeyInfo with session credentials")
	_, err = e.sts(fed).AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("fed")})
	wantError(t, "federated AssumeRole", err, "AccessDenied", "Cannot call AssumeRole with session credentials")

	tests := []struct {
		name       string
		client     *awssts.Client
		in         awssts.GetFederationTokenInput
		code, text string
	}{
		{"session credentials", e.sts(fed), awssts.GetFederationTokenInput{Name: aws.String("x1")}, "AccessDenied", "Cannot call GetFederationToken with session credentials"},
		{"not allowed", e.sts(bob), awssts.GetFederationTokenInput{Name: aws.String("x1")}, "AccessDenied", "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: sts:GetFederationToken on resource: arn:aws:sts::111122223333:federated-user/x1"},
		{"short name", c, awssts.GetFederationTokenInput{Name: aws.String("x")}, "ValidationError", "1 validation error detected: Value 'x' at 'name'"},
		{"too long", c, awssts.GetFederationTokenInput{Name: aws.String("x1"), DurationSeconds: aws.Int32(129601)}, "ValidationError", "1 validation error detected: Value '129601' at 'durationSeconds'"},
		{"malformed policy", c, awssts.GetFederationTokenInput{Name: aws.String("x1"), Policy: aws.String(`[]`)}, "MalformedPolicyDocument", ""},
		{"tags need sts:TagSession", c, awssts.GetFederationTokenInput{Name: aws.String("x1"), Tags: []ststypes.Tag{{Key: aws.String("a"), Value: aws.String("b")}}}, "AccessDenied", "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: sts:TagSession"},
	}
	for _, tt := range tests {
		_, err := tt.client.GetFederationToken(ctx, &tt.in)
		wantError(t, tt.name, err, tt.code, tt.text)
	}
}

// PackedPolicySize is what the STS model Brevet implements returns; newer
// SDKs mark it deprecated in favour of SessionTokenUtilization.
func packedAssume(out *awssts.AssumeRoleOutput) *int32 {
	return out.PackedPolicySize //lint:ignore SA1019 the model Brevet implements returns it
}

func packedFederation(out *awssts.GetFederationTokenOutput) *int32 {
	return out.PackedPolicySize //lint:ignore SA1019 the model Brevet implements returns it
}

// TestCrossAccountAssumeDenialsAlike: the caller's own account decodes an
// AssumeRole denial's message, so for a role of another account the
// message must not tell a role that does not exist (or an ARN naming no
// role) from one whose trust policy refuses the caller, nor show that
// trust policy's statements: AWS does not tell callers which roles exist,
// and another account's trust policy is not the caller's to read.
func TestCrossAccountAssumeDenialsAlike(t *testing.T) {
	e := newEnv(t)
	mallory := e.user(acct, "mallory", authztest.Allow("*", "sts:AssumeRole", "sts:DecodeAuthorizationMessage"))
	denyTrust := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"OnlyOurs","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + other + `:root"},"Action":"sts:AssumeRole"},` +
		`{"Sid":"NeverMallory","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::` + acct + `:user/mallory"},"Action":"sts:AssumeRole"}]}`
	e.role(other, "exists", authztest.Trust(other), 0)
	e.role(other, "guarded", denyTrust, 0)
	decoded := func(arn string) map[string]any {
		t.Helper()
		_, err := e.sts(mallory).AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("probe")})
		code, msg := apiError(err)
		if code != "AccessDenied" {
			t.Fatalf("AssumeRole %s: %s %s", arn, code, msg)
		}
		if want := "User: arn:aws:iam::" + acct + ":user/mallory is not authorized to perform: sts:AssumeRole on resource: " + arn + ". Encoded authorization failure message: "; !strings.HasPrefix(msg, want) {
			t.Errorf("AssumeRole %s: %q, want the prefix %q", arn, msg, want)
		}
		dec, err := e.sts(mallory).DecodeAuthorizationMessage(ctx, &awssts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(msg[strings.LastIndex(msg, " ")+1:])})
		must(t, err)
		var m map[string]any
		must(t, json.Unmarshal([]byte(aws.ToString(dec.DecodedMessage)), &m))
		// The resource differs by design, the time keys' values by the
		// clock: the keys themselves are compared.
		c := m["context"].(map[string]any)
		delete(c, "resource")
		var keys []any
		for _, kv := range c["conditions"].(map[string]any)["items"].([]any) {
			keys = append(keys, kv.(map[string]any)["key"])
		}
		c["conditions"] = keys
		return m
	}
	want := decoded(iam.RoleARN(other, "/", "exists"))
	for _, arn := range []string{iam.RoleARN(other, "/", "ghost"), iam.RoleARN(other, "/", "guarded"), iam.UserARN(other, "/", "someone")} {
		if d := cmp.Diff(want, decoded(arn)); d != "" {
			t.Errorf("decoded denial of %s differs from a refusing role's (-refused +this):\n%s", arn, d)
		}
	}
	if s := fmt.Sprint(want); strings.Contains(s, "OnlyOurs") || strings.Contains(s, "NeverMallory") {
		t.Errorf("decoded denial shows the other account's trust statements: %s", s)
	}

	// A caller denying itself the other account's roles gets that deny's
	// AccessDenied whether the role exists or not: its own policy, not
	// the role, decides.
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:*","Resource":"*"},` +
		`{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"arn:aws:iam::` + other + `:role/*"}]}`
	self := e.user(acct, "selfdenied", deny)
	for _, name := range []string{"exists", "guarded", "ghost"} {
		arn := iam.RoleARN(other, "/", name)
		_, err := e.sts(self).AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("probe")})
		wantError(t, "self-denied "+name, err, "AccessDenied", "User: arn:aws:iam::"+acct+":user/selfdenied is not authorized to perform: sts:AssumeRole on resource: "+arn+
			" with an explicit deny in an identity-based policy. Encoded authorization failure message: ")
	}
}
