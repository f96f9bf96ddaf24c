package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/credential/totp"
	"github.com/brevet-dev/brevet/internal/federation/fedtest"
	"github.com/brevet-dev/brevet/internal/store/postgres/pgtest"
)

// The answers of a failed MFA attempt (docs/sts.md#mfa).
const (
	mfaInvalid   = "MultiFactorAuthentication failed with invalid MFA one time pass code. "
	mfaLockedNow = mfaInvalid + "Too many invalid MFA one time pass codes: MFA is now locked out for this device and user."
	mfaLocked    = "MultiFactorAuthentication failed: too many invalid MFA one time pass codes, MFA is locked out for this device and user. Try again later."
)

// mfaUser creates IAM user name with an access key and an enabled
// virtual MFA device, through admin, and returns the key, the device's
// serial and its seed. The device is enabled with codes two and three
// steps old, so the current code is still unused.
func mfaUser(t *testing.T, b *brevet, admin aws.Config, name string) (id, secret, serial string, seed totp.Seed) {
	t.Helper()
	ctx := context.Background()
	ic := iam.NewFromConfig(admin)
	if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	key, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	serial, seed = enableVirtualMFA(t, ic, name, time.Now())
	return aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), serial, seed
}

// enableVirtualMFA creates a virtual MFA device for user name through ic
// and enables it with the codes of the steps three and two before now, so
// that the current code is still unused; it returns the device's serial
// and seed.
func enableVirtualMFA(t *testing.T, ic *iam.Client, name string, now time.Time) (serial string, seed totp.Seed) {
	t.Helper()
	ctx := context.Background()
	dev, err := ic.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	suiteSecrets.add(string(dev.VirtualMFADevice.Base32StringSeed))
	if seed, err = totp.ParseBase32(string(dev.VirtualMFADevice.Base32StringSeed)); err != nil {
		t.Fatal(err)
	}
	serial = aws.ToString(dev.VirtualMFADevice.SerialNumber)
	if _, err := ic.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String(name), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(totp.Code(seed, now.Add(-3*totp.Period))),
		AuthenticationCode2: aws.String(totp.Code(seed, now.Add(-2*totp.Period)))}); err != nil {
		t.Fatal(err)
	}
	return serial, seed
}

// wrongMFACode returns a code that matches no step near now.
func wrongMFACode(t *testing.T, seed totp.Seed) string {
	now := time.Now()
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		ok := true
		for d := -3; d <= 3; d++ {
			ok = ok && totp.Code(seed, now.Add(time.Duration(d)*totp.Period)) != c
		}
		if ok {
			return c
		}
	}
	t.Fatal("no wrong code")
	return ""
}

// metric reads one unlabelled counter from b's /metrics.
func metric(t *testing.T, b *brevet, name string) string {
	t.Helper()
	resp, err := http.Get(b.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return "(absent)"
}

// TestMFALockoutWithBoto3: boto3 sends wrong MFA codes until the user is
// locked out; then even the right code is refused, until the lockout
// (two seconds here) has passed, when it works once. The lockout is in
// the audit trail and the metrics.
func TestMFALockoutWithBoto3(t *testing.T) {
	t.Parallel()
	need(t, "python3 with boto3", haveBoto3())
	need(t, "the AWS CLI", have("aws"))
	b := startBrevet(t, "--mfa-max-failures", "3", "--mfa-lockout", "2s")
	id, secret, serial, seed := mfaUser(t, b, b.goAdmin(t), "mfa-alice")
	suiteSecrets.add(secret)
	c := newClient(t, b)
	out, err := c.with("AWS_ACCESS_KEY_ID="+id, "AWS_SECRET_ACCESS_KEY="+secret, "SERIAL="+serial,
		"SEED="+seed.Base32(), "WRONG="+wrongMFACode(t, seed)).exec("python3", "-c", `
import base64, hashlib, hmac, json, os, struct, time
import boto3, botocore

def totp(t):
    s = os.environ["SEED"]
    key = base64.b32decode(s + "=" * (-len(s) % 8))
    h = hmac.new(key, struct.pack(">Q", int(t) // 30), hashlib.sha1).digest()
    o = h[-1] & 15
    return "%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7fffffff) % 1000000)

sts = boto3.client("sts")
def gst(code):
    try:
        sts.get_session_token(SerialNumber=os.environ["SERIAL"], TokenCode=code, DurationSeconds=900)
        return "ok"
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"] + ": " + e.response["Error"]["Message"]

out = [gst(os.environ["WRONG"]) for _ in range(3)]
locked = time.time()
out.append(gst(totp(time.time())))
time.sleep(max(0, locked + 2.2 - time.time()))
code = totp(time.time())
out += [gst(code), gst(code)]
print(json.dumps(out))
`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := []string{
		"AccessDenied: " + mfaInvalid, "AccessDenied: " + mfaInvalid, "AccessDenied: " + mfaLockedNow, // three wrong codes
		"AccessDenied: " + mfaLocked,  // the right code, during the lockout
		"ok",                          // the right code after it
		"AccessDenied: " + mfaInvalid, // that code again
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("GetSessionToken answers (-want +got):\n%s", d)
	}
	for name, want := range map[string]string{"brevet_mfa_failures_total": "4", "brevet_mfa_refused_total": "1", "brevet_mfa_lockouts_total": "1"} {
		if got := metric(t, b, name); got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
	var events cliLookup
	c.json(&events, "cloudtrail", "lookup-events", "--endpoint-url", b.URL,
		"--lookup-attributes", "AttributeKey=EventName,AttributeValue=GetSessionToken")
	locked := 0
	for _, e := range events.Events {
		if strings.Contains(e.CloudTrailEvent, `"errorCode":"AccessDenied"`) && strings.Contains(e.CloudTrailEvent, "locked out") {
			locked++
		}
	}
	if locked != 2 {
		t.Errorf("GetSessionToken events saying locked out: %d, want 2 (the lockout's start and the refused attempt)", locked)
	}
}

// TestSAMLReplayAfterRestart: an assertion redeemed before a restart is
// refused after it, as the same server would have refused it.
func TestSAMLReplayAfterRestart(t *testing.T) {
	t.Parallel()
	need(t, "the AWS CLI", have("aws"))
	idp := fedtest.NewSAMLIdP(t, "https://idp.restart.example/saml")
	dir := t.TempDir()
	b := startBrevetIn(t, dir)
	c := newClient(t, b)
	meta := filepath.Join(t.TempDir(), "metadata.xml")
	if err := os.WriteFile(meta, []byte(idp.Metadata()), 0o600); err != nil {
		t.Fatal(err)
	}
	var prov struct{ SAMLProviderArn string }
	c.json(&prov, "iam", "create-saml-provider", "--name", "Corp", "--saml-metadata-document", "file://"+meta)
	var role struct{ Role struct{ Arn string } }
	c.json(&role, "iam", "create-role", "--role-name", "eng", "--assume-role-policy-document",
		trustFederated(prov.SAMLProviderArn, "sts:AssumeRoleWithSAML", `{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}`))
	resp := idp.Response(t, idp.NewAssertion("alice@corp.example", role.Role.Arn, prov.SAMLProviderArn, "alice", time.Now()))
	redeem := []string{"sts", "assume-role-with-saml", "--role-arn", role.Role.Arn, "--principal-arn", prov.SAMLProviderArn, "--saml-assertion", resp}
	c.aws(redeem...)
	b.stop(t)

	b2 := startBrevetIn(t, dir)
	msg := newClient(t, b2).awsErr(redeem...)
	if !strings.Contains(msg, "(InvalidIdentityToken)") || !strings.Contains(msg, "The SAML assertion has already been used") {
		t.Errorf("replay after a restart: %s", msg)
	}
}

// TestClusterMFAAndSAMLReplay: two nodes on one PostgreSQL share the MFA
// lockout, the single use of a code (one code sent to both at once wins
// once) and the redeemed SAML assertions.
func TestClusterMFAAndSAMLReplay(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	keyFile := sharedMasterKey(t)
	nodes := startClusterWith(t, dsn, keyFile, 2, "--mfa-max-failures", "2")
	n1, n2 := nodes[0], nodes[1]
	ctx := context.Background()
	type user struct {
		id, secret, serial string
		seed               totp.Seed
	}
	var bob, carol user
	bob.id, bob.secret, bob.serial, bob.seed = mfaUser(t, n1, adminOn(t, n1, n1), "mfa-bob")
	carol.id, carol.secret, carol.serial, carol.seed = mfaUser(t, n1, adminOn(t, n1, n1), "mfa-carol")
	gst := func(b *brevet, u user, code string) string {
		_, err := sts.NewFromConfig(b.goConfig(u.id, u.secret, "")).GetSessionToken(ctx,
			&sts.GetSessionTokenInput{SerialNumber: aws.String(u.serial), TokenCode: aws.String(code)})
		if err != nil {
			return errCode(err) + ": " + errMessage(err)
		}
		return "ok"
	}

	// One code, eight requests at once, half to each node: one wins. (The
	// others count as failures, and lock bob out.)
	code := totp.Code(bob.seed, time.Now())
	var wins atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if gst(nodes[i%2], bob, code) == "ok" {
				wins.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if got := wins.Load(); got != 1 {
		t.Errorf("one code sent to two nodes at once: %d won, want 1", got)
	}

	// Failures on n1 lock the user out on n2.
	wrong := wrongMFACode(t, carol.seed)
	got := []string{gst(n1, carol, wrong), gst(n1, carol, wrong), gst(n2, carol, totp.Code(carol.seed, time.Now()))}
	want := []string{"AccessDenied: " + mfaInvalid, "AccessDenied: " + mfaLockedNow, "AccessDenied: " + mfaLocked}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("lockout across nodes (-want +got):\n%s", d)
	}

	// A SAML assertion redeemed on n1 is refused on n2.
	idp := fedtest.NewSAMLIdP(t, "https://idp.cluster.example/saml")
	ic := iam.NewFromConfig(adminOn(t, n1, n1))
	prov, err := ic.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("Corp"), SAMLMetadataDocument: aws.String(idp.Metadata())})
	if err != nil {
		t.Fatal(err)
	}
	provARN := aws.ToString(prov.SAMLProviderArn)
	role, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("eng"), AssumeRolePolicyDocument: aws.String(
		trustFederated(provARN, "sts:AssumeRoleWithSAML", `{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}`))})
	if err != nil {
		t.Fatal(err)
	}
	roleARN := aws.ToString(role.Role.Arn)
	resp := idp.Response(t, idp.NewAssertion("alice@corp.example", roleARN, provARN, "alice", time.Now()))
	in := &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(roleARN), PrincipalArn: aws.String(provARN), SAMLAssertion: aws.String(resp)}
	anon := func(b *brevet) *sts.Client {
		return sts.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(b.URL), Credentials: aws.AnonymousCredentials{}})
	}
	if _, err := anon(n1).AssumeRoleWithSAML(ctx, in); err != nil {
		t.Fatalf("AssumeRoleWithSAML on n1: %v", err)
	}
	_, err = anon(n2).AssumeRoleWithSAML(ctx, in)
	if errCode(err) != "InvalidIdentityToken" || errMessage(err) != "The SAML assertion has already been used" {
		t.Errorf("replay on n2: %v", err)
	}
}

// startClusterWith is startCluster with extra flags for every node.
func startClusterWith(t *testing.T, dsn, keyFile string, n int, extra ...string) []*brevet {
	t.Helper()
	nodes := make([]*brevet, n)
	for i := range nodes {
		nodes[i] = startBrevet(t, append([]string{"--store", dsn, "--master-key-file", keyFile}, extra...)...)
	}
	return nodes
}

func errMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}
