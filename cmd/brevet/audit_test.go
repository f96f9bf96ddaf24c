package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/identity"
)

// auditTrail writes a small trail: alice assumes a role (issuing
// ASIAISSUEDKEY0000001), the session calls GetCallerIdentity, and an
// unrelated denied call.
func auditTrail(t *testing.T) (dir, issuer string) {
	t.Helper()
	dir = t.TempDir()
	a, err := audit.Open(audit.Options{Dir: dir, DigestInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	alice := &identity.Principal{Type: identity.IAMUser, Account: "123456789012", CallerARN: "arn:aws:iam::123456789012:user/alice",
		PrincipalID: "AIDAALICE", AccessKeyID: "AKIAALICE00000000001", UserName: "alice"}
	session := &identity.Principal{Type: identity.AssumedRole, Account: "123456789012",
		CallerARN: "arn:aws:sts::123456789012:assumed-role/deploy/ci", PrincipalID: "AROADEPLOY:ci", AccessKeyID: "ASIAISSUEDKEY0000001"}
	recs := []*awsquery.AuditRecord{
		{Service: "STS", Action: "AssumeRole", Principal: alice, Start: t0, SourceIP: "192.0.2.1", Status: 200,
			RequestParameters: map[string]any{"roleArn": "arn:aws:iam::123456789012:role/deploy"},
			ResponseElements:  map[string]any{"credentials": map[string]any{"accessKeyId": "ASIAISSUEDKEY0000001", "expiration": "2026-11-22T09:00:00Z"}}},
		{Service: "STS", Action: "GetCallerIdentity", Principal: session, Start: t0.Add(time.Second), SourceIP: "192.0.2.1", Status: 200},
		{Service: "IAM", Action: "CreateUser", Principal: alice, Start: t0.Add(2 * time.Second), SourceIP: "198.51.100.9", Status: 403, ErrorCode: "AccessDenied"},
	}
	for _, r := range recs {
		if err := a.Audit(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	err = audit.Search(dir, audit.Filter{EventName: "AssumeRole"}, func(_ uint64, e *audit.Event) error { issuer = e.EventID; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return dir, issuer
}

func TestAuditVerifyAndExportKey(t *testing.T) {
	dir, _ := auditTrail(t)
	out, code := runBrevet(t, "", "audit", "verify", "--dir", dir)
	if code != 0 || !strings.HasPrefix(out, "OK: 3 events (seq 1..3)") {
		t.Fatalf("verify: exit %d\n%s", code, out)
	}
	keyFile := filepath.Join(t.TempDir(), "audit.pub")
	if out, code := runBrevet(t, "", "audit", "export-key", "--dir", dir, "--out", keyFile); code != 0 {
		t.Fatalf("export-key: exit %d\n%s", code, out)
	}
	// Tamper with the second event; verify with only the exported key.
	path := filepath.Join(dir, "trail-00000000000000000001.jsonl")
	b, _ := os.ReadFile(path)
	b = bytes.Replace(b, []byte("GetCallerIdentity"), []byte("GetCallerIdentitX"), 1)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, audit.KeyFile)); err != nil {
		t.Fatal(err)
	}
	out, code = runBrevet(t, "", "audit", "verify", "--dir", dir, "--public-key", keyFile)
	if code != 1 || !strings.Contains(out, "FAIL: edited at trail-00000000000000000001.jsonl:2 (seq 2)") {
		t.Errorf("verify after tampering: exit %d\n%s", code, out)
	}
}

func TestAuditSearch(t *testing.T) {
	dir, issuer := auditTrail(t)
	out, code := runBrevet(t, "", "audit", "search", "--dir", dir, "--issued-by", issuer, "-o", "json")
	if code != 0 {
		t.Fatalf("search: exit %d\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var e audit.Event
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &e) != nil || e.EventName != "GetCallerIdentity" {
		t.Errorf("search --issued-by: got\n%s\nwant the one GetCallerIdentity made with the issued key", out)
	}
	out, code = runBrevet(t, "", "audit", "search", "--dir", dir, "--error-code", "AccessDenied", "--from", "2026-11-22")
	if code != 0 || !strings.Contains(out, "CreateUser") || strings.Contains(out, "AssumeRole") || !strings.HasPrefix(out, "SEQ") {
		t.Errorf("search --error-code table: exit %d\n%s", code, out)
	}
	if e.EventSource != "sts.amazonaws.com" {
		t.Errorf("eventSource = %q", e.EventSource)
	}
}
