package e2e

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
)

type cliLookup struct {
	Events []struct {
		EventId, EventName, EventSource, AccessKeyId, ReadOnly, CloudTrailEvent string
	}
}

// `aws cloudtrail lookup-events` against Brevet finds everything done with
// an assumed-role credential; a user without cloudtrail:LookupEvents gets
// AccessDeniedException; each lookup is itself in the trail.
func TestLookupEventsWithAWSCLI(t *testing.T) {
	t.Parallel()
	need(t, "the AWS CLI", have("aws"))
	b := startBrevet(t)
	c := newClient(t, b)
	var role struct{ Role struct{ Arn string } }
	c.json(&role, "iam", "create-role", "--role-name", "lookup_role",
		"--assume-role-policy-document", trustPolicy(`{"AWS":"arn:aws:iam::`+b.Account+`:root"}`, ""))
	cr := c.assumeRole("--role-arn", role.Role.Arn, "--role-session-name", "looked-up")
	if !strings.HasPrefix(cr.AccessKeyId, "ASIA") {
		t.Fatalf("assumed-role key %q", cr.AccessKeyId)
	}
	as := c.as(cr)
	as.callerARN()
	as.callerARN()
	if msg := as.awsErr("iam", "list-users"); !strings.Contains(msg, "AccessDenied") {
		t.Fatalf("list-users with a role that has no policy: %s", msg)
	}

	var got cliLookup
	c.json(&got, "cloudtrail", "lookup-events", "--endpoint-url", b.URL,
		"--lookup-attributes", "AttributeKey=AccessKeyId,AttributeValue="+cr.AccessKeyId)
	names := map[string]int{}
	for _, e := range got.Events {
		if e.AccessKeyId != cr.AccessKeyId || !strings.Contains(e.CloudTrailEvent, `"accessKeyId":"`+cr.AccessKeyId+`"`) {
			t.Errorf("event %s %s: AccessKeyId %q, want %q", e.EventId, e.EventName, e.AccessKeyId, cr.AccessKeyId)
		}
		names[e.EventName]++
	}
	if names["GetCallerIdentity"] != 2 || names["ListUsers"] != 1 || len(got.Events) != 3 {
		t.Errorf("events done with %s: %v, want GetCallerIdentity ×2 and ListUsers", cr.AccessKeyId, names)
	}

	// The issuing event names the key it issued.
	var issued cliLookup
	c.json(&issued, "cloudtrail", "lookup-events", "--endpoint-url", b.URL,
		"--lookup-attributes", "AttributeKey=EventName,AttributeValue=AssumeRole")
	if len(issued.Events) != 1 || !strings.Contains(issued.Events[0].CloudTrailEvent, `"accessKeyId":"`+cr.AccessKeyId+`"`) {
		t.Errorf("AssumeRole events: %+v; want one naming %s", issued.Events, cr.AccessKeyId)
	}

	// A user without the permission is refused, and the refusal and the
	// lookups are audited as cloudtrail.amazonaws.com read-only events.
	c.newUserProfile("nolookup")
	msg := c.awsErr("cloudtrail", "lookup-events", "--endpoint-url", b.URL, "--profile", "nolookup")
	if !strings.Contains(msg, "AccessDeniedException") || !strings.Contains(msg, "cloudtrail:LookupEvents") {
		t.Errorf("lookup-events without permission: %s", msg)
	}
	var own cliLookup
	c.json(&own, "cloudtrail", "lookup-events", "--endpoint-url", b.URL,
		"--lookup-attributes", "AttributeKey=EventSource,AttributeValue=cloudtrail.amazonaws.com")
	var denied, ok int
	for _, e := range own.Events {
		if e.EventName != "LookupEvents" || e.ReadOnly != "true" {
			t.Errorf("cloudtrail event %s readOnly %s", e.EventName, e.ReadOnly)
		}
		switch {
		case strings.Contains(e.CloudTrailEvent, `"errorCode":"AccessDeniedException"`):
			denied++
		default:
			ok++
		}
	}
	if denied != 1 || ok != 2 {
		t.Errorf("LookupEvents events: %d denied, %d allowed; want 1 and 2", denied, ok)
	}
}

// With --tls-cert/--tls-key, events carry tlsDetails.
func TestAuditTLSDetails(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	b := startBrevet(t, "--tls-cert", certFile, "--tls-key", keyFile)
	cfg := b.goAdmin(t)
	cfg.HTTPClient = &http.Client{Transport: recordingTransport{next: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}}
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	b.stop(t)
	u, _ := url.Parse(b.URL)
	var found *audit.TLSDetails
	err := audit.WalkEvents(filepath.Join(b.DataDir, "audit"), func(_ uint64, e *audit.Event) error {
		if e.EventName == "GetCallerIdentity" {
			found = e.TLSDetails
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found == nil || found.TLSVersion != "TLSv1.3" || found.CipherSuite == "" || found.ClientProvidedHostHeader != u.Host {
		t.Errorf("tlsDetails = %+v; want TLSv1.3, a cipher suite and host %s", found, u.Host)
	}
}

// The suite-wide secret scan works: the registry sees the secrets the
// server hands out, and a planted secret is found.
func TestSecretRegistrySeesAndFindsSecrets(t *testing.T) {
	t.Parallel()
	b := startBrevet(t)
	roleARN := sdkRole(t, b)
	out, err := sts.NewFromConfig(b.goAdmin(t)).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("registry")})
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{
		"secret key": aws.ToString(out.Credentials.SecretAccessKey), "session token": aws.ToString(out.Credentials.SessionToken),
	} {
		if !suiteSecrets.has(s) {
			t.Errorf("the registry did not see the %s AssumeRole returned", name)
		}
	}
	suiteSecrets.scanExec([]string{"sts", "get-session-token", "--token-code", "314159"}, nil, "")
	if !suiteSecrets.has(`"314159"`) {
		t.Error("the registry did not see an MFA code passed to the CLI")
	}
	// An MFA code sent by the Go SDK (refused: admin has no MFA device)
	// is seen in the request body.
	_, _ = sts.NewFromConfig(b.goAdmin(t)).GetSessionToken(context.Background(), &sts.GetSessionTokenInput{
		SerialNumber: aws.String("arn:aws:iam::" + testAccount + ":mfa/none"), TokenCode: aws.String("271828")})
	if !suiteSecrets.has(`"271828"`) {
		t.Error("the registry did not see an MFA code the Go SDK sent")
	}

	// Plant: an event and a log line holding a secret are caught; the same
	// copy without them is clean.
	const planted = "PLANTEDsecretVALUE0123456789abcdef"
	for _, plant := range []bool{false, true} {
		dir := t.TempDir()
		a, err := audit.Open(audit.Options{Dir: filepath.Join(dir, "audit"), DigestInterval: -1,
			Signer: audit.NewSigner(ed25519.NewKeyFromSeed(make([]byte, 32)))})
		if err != nil {
			t.Fatal(err)
		}
		ua := "aws-cli/2.0"
		if plant {
			ua = planted
		}
		p := &identity.Principal{Type: identity.IAMUser, Account: testAccount, CallerARN: "arn:aws:iam::" + testAccount + ":user/x"}
		if err := a.Audit(context.Background(), &request.Record{Service: "sts", Action: "GetCallerIdentity", Principal: p, UserAgent: ua, Status: 200}); err != nil {
			t.Fatal(err)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "log"), []byte(`{"msg":"ok","code":"314159"}`), 0o600); err != nil {
			t.Fatal(err)
		}
		err = scanServerCopy(dir, []string{planted, `"271828"`})
		if got := err != nil; got != plant {
			t.Errorf("planted=%v: scan error %v", plant, err)
		}
		if err := scanServerCopy(dir, []string{`"314159"`}); err == nil {
			t.Error("an MFA code in the log was not found")
		}
	}
	if len(suiteSecrets.list()) == 0 {
		t.Error("the registry is empty")
	}
}
