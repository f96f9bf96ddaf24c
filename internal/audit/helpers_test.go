package audit_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
)

// testKey is a fixed signing key so that failures are reproducible.
func testKey() *audit.Signer {
	seed := make([]byte, ed25519.SeedSize)
	copy(seed, "brevet audit test signing key!!!")
	return audit.NewSigner(ed25519.NewKeyFromSeed(seed))
}

var t0 = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

// openTest opens an Auditor in a fresh directory with the test key and
// no digest ticker.
func openTest(t testing.TB, dir string, mod func(*audit.Options)) *audit.Auditor {
	t.Helper()
	opts := audit.Options{Dir: dir, Signer: testKey(), DigestInterval: -1}
	if mod != nil {
		mod(&opts)
	}
	a, err := audit.Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return a
}

func userPrincipal() *identity.Principal {
	return &identity.Principal{
		Type: identity.IAMUser, Account: "123456789012",
		CallerARN: "arn:aws:iam::123456789012:user/alice", PrincipalID: "AIDAEXAMPLEALICE",
		AccessKeyID: "AKIAEXAMPLEALICE0001", UserName: "alice", UserID: "AIDAEXAMPLEALICE",
	}
}

func rolePrincipal(key string) *identity.Principal {
	return &identity.Principal{
		Type: identity.AssumedRole, Account: "123456789012",
		CallerARN:   "arn:aws:sts::123456789012:assumed-role/deploy/ci",
		PrincipalID: "AROAEXAMPLEDEPLOY:ci", AccessKeyID: key,
		Session: &credential.Claims{
			AccountID: "123456789012", AccessKeyID: key, PrincipalType: credential.AssumedRole,
			PrincipalARN: "arn:aws:iam::123456789012:role/deploy", PrincipalID: "AROAEXAMPLEDEPLOY",
			SessionARN: "arn:aws:sts::123456789012:assumed-role/deploy/ci", SessionName: "ci",
			IssuedAt: t0, Expires: t0.Add(time.Hour), SourceIdentity: "alice", MFAAuthenticated: true,
		},
	}
}

// record makes a dispatcher record for action by p at t0+i seconds.
func record(i int, p request.Principal, action string) *request.Record {
	return &request.Record{
		RequestID: fmt.Sprintf("req-%04d", i), Service: "STS", Action: action, Version: "2011-06-15",
		Principal: p, SourceIP: "192.0.2.10", UserAgent: "aws-cli/2.0",
		Start: t0.Add(time.Duration(i) * time.Second), Duration: 3 * time.Millisecond,
		Status: 200, RequestParameters: map[string]any{"durationSeconds": int64(900)},
	}
}

// assumeRoleRecord issues key to alice.
func assumeRoleRecord(i int, key string) *request.Record {
	r := record(i, userPrincipal(), "AssumeRole")
	r.RequestParameters = map[string]any{"roleArn": "arn:aws:iam::123456789012:role/deploy", "roleSessionName": "ci"}
	r.ResponseElements = map[string]any{
		"credentials": map[string]any{
			"accessKeyId": key, "secretAccessKey": request.HiddenValue,
			"sessionToken": request.HiddenValue, "expiration": "2026-11-22T09:00:00Z",
		},
		"assumedRoleUser": map[string]any{"arn": "arn:aws:sts::123456789012:assumed-role/deploy/ci", "assumedRoleId": "AROAEXAMPLEDEPLOY:ci"},
	}
	return r
}

// fill appends n events to a.
func fill(t testing.TB, a *audit.Auditor, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if err := a.Audit(context.Background(), record(i, userPrincipal(), "GetCallerIdentity")); err != nil {
			t.Fatalf("Audit %d: %v", i, err)
		}
	}
}
