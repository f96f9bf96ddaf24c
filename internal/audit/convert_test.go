package audit_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
)

func TestConvertAssumedRoleSession(t *testing.T) {
	rec := assumeRoleRecord(1, "ASIAEXAMPLEISSUED001")
	rec.Principal = rolePrincipal("ASIAEXAMPLECALLER001")
	conv := audit.Converter{Region: "eu-west-1", NewID: func() string { return "evt-1" }}
	got := conv.Convert(rec, &audit.TLSDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ClientProvidedHostHeader: "sts.example.test"})
	want := &audit.Event{
		EventVersion: "1.11",
		UserIdentity: audit.UserIdentity{
			Type: "AssumedRole", PrincipalID: "AROAEXAMPLEDEPLOY:ci",
			ARN: "arn:aws:sts::123456789012:assumed-role/deploy/ci", AccountID: "123456789012",
			AccessKeyID: "ASIAEXAMPLECALLER001",
			SessionContext: &audit.SessionContext{
				SessionIssuer: &audit.SessionIssuer{Type: "Role", PrincipalID: "AROAEXAMPLEDEPLOY",
					ARN: "arn:aws:iam::123456789012:role/deploy", AccountID: "123456789012", UserName: "deploy"},
				Attributes:     audit.SessionAttributes{CreationDate: "2026-11-22T08:00:00Z", MFAAuthenticated: "true"},
				SourceIdentity: "alice",
			},
		},
		EventTime: "2026-11-22T08:00:01Z", EventSource: "sts.amazonaws.com", EventName: "AssumeRole",
		AWSRegion: "eu-west-1", SourceIPAddress: "192.0.2.10", UserAgent: "aws-cli/2.0",
		RequestParameters: rec.RequestParameters, ResponseElements: rec.ResponseElements,
		RequestID: "req-0001", EventID: "evt-1", ReadOnly: false,
		Resources: []audit.Resource{
			{ARN: "arn:aws:iam::123456789012:role/deploy", AccountID: "123456789012", Type: "AWS::IAM::Role"},
			{ARN: "ASIAEXAMPLEISSUED001", AccountID: "123456789012", Type: "AWS::IAM::AccessKey"},
		},
		EventType: "AwsApiCall", ManagementEvent: true, RecipientAccountID: "123456789012",
		EventCategory: "Management",
		TLSDetails:    &audit.TLSDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ClientProvidedHostHeader: "sts.example.test"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Convert mismatch (-want +got):\n%s", diff)
	}
	if got.IssuedAccessKeyID() != "ASIAEXAMPLEISSUED001" {
		t.Errorf("IssuedAccessKeyID = %q", got.IssuedAccessKeyID())
	}
}

func TestConvertUnauthenticated(t *testing.T) {
	rec := record(2, nil, "AssumeRoleWithWebIdentity")
	rec.Status, rec.ErrorCode, rec.ErrorMessage = 400, "InvalidIdentityToken", "token expired"
	got := audit.Converter{NewID: func() string { return "e" }}.Convert(rec, nil)
	if got.UserIdentity.Type != "Unknown" || got.ErrorCode != "InvalidIdentityToken" || got.RecipientAccountID != "" || got.AWSRegion != "us-east-1" {
		t.Errorf("got identity %+v, error %q, account %q, region %q", got.UserIdentity, got.ErrorCode, got.RecipientAccountID, got.AWSRegion)
	}
	// One that issued credentials is received by the role's account, as
	// in CloudTrail, so that account's LookupEvents finds it.
	ok := record(4, nil, "AssumeRoleWithWebIdentity")
	ok.Issued = &request.Issuance{Kind: "AssumeRoleWithWebIdentity", AccessKeyID: "ASIAEXAMPLEWEBID0001", Account: "444455556666"}
	if got := (audit.Converter{}).Convert(ok, nil); got.RecipientAccountID != "444455556666" || got.UserIdentity.AccountID != "" {
		t.Errorf("an unsigned issuance: recipientAccountId %q, userIdentity.accountId %q; want 444455556666 and none",
			got.RecipientAccountID, got.UserIdentity.AccountID)
	}
	web := &identity.Principal{Type: identity.WebIdentityUser, PrincipalID: "accounts.example:sub", UserName: "sub"}
	if got := (audit.Converter{}).Convert(record(3, web, "AssumeRoleWithWebIdentity"), nil); got.UserIdentity.UserName != "sub" {
		t.Errorf("web identity userName = %q, want sub", got.UserIdentity.UserName)
	}
}

// TestReadOnly: CloudTrail's readOnly comes from the action's declared
// effect, never from its name.
func TestReadOnly(t *testing.T) {
	for _, tc := range []struct {
		action string
		effect request.Effect
		want   bool
	}{
		{"GetCallerIdentity", request.ReadOnly, true},
		{"ListUsers", request.ReadOnly, true},
		{"GetSessionToken", request.IssuesCredentials, false},
		{"AssumeRole", request.IssuesCredentials, false},
		{"DeleteRole", request.Writes, false},
		{"GetSomethingThatWrites", request.Writes, false},
		{"", 0, false},
	} {
		rec := record(1, nil, tc.action)
		rec.Effect = tc.effect
		if got := (audit.Converter{}).Convert(rec, nil).ReadOnly; got != tc.want {
			t.Errorf("readOnly of %s (%v) = %v, want %v", tc.action, tc.effect, got, tc.want)
		}
	}
}

func TestRedactNeverLetsSecretsThrough(t *testing.T) {
	in := map[string]any{
		"roleArn":             "arn:aws:iam::123456789012:role/r",
		"webIdentityToken":    "eyJhbGciOiJSUzI1NiJ9.payload.sig",
		"SAMLAssertion":       request.HiddenValue,
		"tokenCode":           "123456",
		"authenticationCode1": "488632",
		"authenticationCode2": "912345",
		"policy":              `{"Version":"2012-10-17"}`,
		"nested": []any{map[string]any{
			"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
			"sessionToken":    "FwoGZXIvYXdzEXAMPLETOKEN",
			"newPassword":     "hunter2",
		}},
	}
	got := audit.Redact(in)
	want := map[string]any{
		"roleArn":             "arn:aws:iam::123456789012:role/r",
		"webIdentityToken":    audit.HashOf("eyJhbGciOiJSUzI1NiJ9.payload.sig"),
		"SAMLAssertion":       request.HiddenValue,
		"tokenCode":           request.HiddenValue,
		"authenticationCode1": request.HiddenValue,
		"authenticationCode2": request.HiddenValue,
		"policy":              `{"Version":"2012-10-17"}`,
		"nested": []any{map[string]any{
			"SecretAccessKey": request.HiddenValue,
			"sessionToken":    request.HiddenValue,
			"newPassword":     request.HiddenValue,
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Redact mismatch (-want +got):\n%s", diff)
	}
	if in["tokenCode"] != "123456" {
		t.Error("Redact modified its input")
	}
	b, _ := json.Marshal(got)
	for _, s := range []string{"wJalrXUtnFEMI", "FwoGZXIvYXdz", "hunter2", "123456\"", "payload.sig"} {
		if strings.Contains(string(b), s) {
			t.Errorf("redacted output contains %q", s)
		}
	}
}

func TestScanForSecrets(t *testing.T) {
	dir := t.TempDir()
	a := openTest(t, dir, func(o *audit.Options) { o.MaxFileBytes = 2048 })
	leak := record(1, userPrincipal(), "GetCallerIdentity")
	leak.UserAgent = "agent-with-LEAKEDVALUE/1" // a field no redaction covers
	for i := 0; i < 20; i++ {
		fill(t, a, 1)
	}
	if err := a.Audit(t.Context(), leak); err != nil {
		t.Fatal(err)
	}
	rec := assumeRoleRecord(2, "ASIAEXAMPLEISSUED001")
	rec.ResponseElements["credentials"].(map[string]any)["secretAccessKey"] = "REALSECRETKEYVALUE"
	if err := a.Audit(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	fill(t, a, 20) // rotate the leak into a compressed file
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := audit.ScanForSecrets(dir, []string{"REALSECRETKEYVALUE", "neverwritten"}); err != nil {
		t.Errorf("ScanForSecrets found a redacted secret: %v", err)
	}
	err := audit.ScanForSecrets(dir, []string{"LEAKEDVALUE"})
	if err == nil || !strings.Contains(err.Error(), ".jsonl.gz") {
		t.Errorf("ScanForSecrets = %v, want the leak found in a compressed file", err)
	}
}

func TestConvertFederatedUserAndSessionUser(t *testing.T) {
	fed := &identity.Principal{
		Type: identity.FederatedUser, Account: "123456789012", CallerARN: "arn:aws:sts::123456789012:federated-user/bob",
		PrincipalID: "123456789012:bob", AccessKeyID: "ASIAFEDERATED0000001", UserName: "alice", UserID: "AIDAALICE",
		Session: &credential.Claims{AccountID: "123456789012", PrincipalType: credential.FederatedUser,
			PrincipalARN: "arn:aws:sts::123456789012:federated-user/bob", IssuedAt: t0},
	}
	got := (audit.Converter{}).Convert(record(1, fed, "GetCallerIdentity"), nil).UserIdentity.SessionContext
	want := &audit.SessionContext{
		SessionIssuer: &audit.SessionIssuer{Type: "IAMUser", PrincipalID: "AIDAALICE", ARN: "arn:aws:iam::123456789012:user/alice",
			AccountID: "123456789012", UserName: "alice"},
		Attributes: audit.SessionAttributes{CreationDate: "2026-11-22T08:00:00Z", MFAAuthenticated: "false"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("federated user sessionContext (-want +got):\n%s", diff)
	}
	su := userPrincipal()
	su.Session = &credential.Claims{AccountID: "123456789012", PrincipalType: credential.SessionUser, IssuedAt: t0, MFAAuthenticated: true}
	ui := (audit.Converter{}).Convert(record(2, su, "ListUsers"), nil).UserIdentity
	if ui.Type != "IAMUser" || ui.UserName != "alice" || ui.SessionContext.SessionIssuer != nil || ui.SessionContext.Attributes.MFAAuthenticated != "true" {
		t.Errorf("GetSessionToken session identity = %+v, context %+v", ui, ui.SessionContext)
	}
}

type arnPrincipal string

func (p arnPrincipal) ARN() string { return string(p) }

type accountPrincipal struct{ arn, account string }

func (p accountPrincipal) ARN() string       { return p.arn }
func (p accountPrincipal) AccountID() string { return p.account }

type recipientPrincipal struct{ arn, account, recipient string }

func (p recipientPrincipal) ARN() string                { return p.arn }
func (p recipientPrincipal) AccountID() string          { return p.account }
func (p recipientPrincipal) RecipientAccountID() string { return p.recipient }

// TestConvertRecipientPrincipal: a principal whose event concerns another
// account (a person's GetRoleCredentials, the role's account) keeps its
// own account in userIdentity and sends the event to the other one, so
// that both accounts' searches find it.
func TestConvertRecipientPrincipal(t *testing.T) {
	const ann = "arn:aws:iam::111122223333:user/ann"
	for _, tc := range []struct {
		name               string
		p                  request.Principal
		account, recipient string
	}{
		{"another account", recipientPrincipal{ann, "111122223333", "444455556666"}, "111122223333", "444455556666"},
		{"its own", recipientPrincipal{ann, "111122223333", ""}, "111122223333", "111122223333"},
		{"a provider's user", recipientPrincipal{"arn:aws:sso:::user/idp:okta/carol", "", "444455556666"}, "", "444455556666"},
	} {
		got := audit.Converter{NewID: func() string { return "e" }}.Convert(record(1, tc.p, "GetRoleCredentials"), nil)
		if got.UserIdentity.AccountID != tc.account || got.RecipientAccountID != tc.recipient {
			t.Errorf("%s: userIdentity.accountId %q, recipientAccountId %q; want %q, %q", tc.name,
				got.UserIdentity.AccountID, got.RecipientAccountID, tc.account, tc.recipient)
		}
	}
}

// TestConvertNonIAMPrincipal: a principal that is not an IAM identity
// (a Roles Anywhere certificate holder, an IoT device) is "Unknown" with
// its ARN; one that names its account (AccountPrincipal) puts it in
// userIdentity and recipientAccountId, where an account's search looks.
func TestConvertNonIAMPrincipal(t *testing.T) {
	const device = "arn:aws:iot:us-east-1:123456789012:cert/0123abcd"
	for _, tc := range []struct {
		name string
		p    request.Principal
		want audit.UserIdentity
	}{
		{"account", accountPrincipal{device, "123456789012"}, audit.UserIdentity{Type: "Unknown", ARN: device, AccountID: "123456789012"}},
		{"no account", arnPrincipal(device), audit.UserIdentity{Type: "Unknown", ARN: device}},
		{"no ARN", arnPrincipal(""), audit.UserIdentity{Type: "Unknown"}},
	} {
		got := audit.Converter{NewID: func() string { return "e" }}.Convert(record(1, tc.p, "CreateSession"), nil)
		if d := cmp.Diff(tc.want, got.UserIdentity); d != "" {
			t.Errorf("%s: userIdentity (-want +got):\n%s", tc.name, d)
		}
		if got.RecipientAccountID != tc.want.AccountID {
			t.Errorf("%s: recipientAccountId = %q, want %q", tc.name, got.RecipientAccountID, tc.want.AccountID)
		}
	}
}
