package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
)

// auditTrail writes a small trail where `brevet serve` keeps it, in
// DATA_DIR/audit (DATA_DIR being a fresh ./brevet-data): alice assumes a
// role (issuing ASIAISSUEDKEY0000001), the session calls
// GetCallerIdentity, and an unrelated denied call. dir is the audit
// directory.
func auditTrail(t *testing.T) (dir, issuer string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "brevet-data", "audit")
	a, err := audit.Open(audit.Options{Dir: dir, DigestInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	alice := &identity.Principal{Type: identity.IAMUser, Account: "123456789012", CallerARN: "arn:aws:iam::123456789012:user/alice",
		PrincipalID: "AIDAALICE", AccessKeyID: "AKIAALICE00000000001", UserName: "alice"}
	session := &identity.Principal{Type: identity.AssumedRole, Account: "123456789012",
		CallerARN: "arn:aws:sts::123456789012:assumed-role/deploy/ci", PrincipalID: "AROADEPLOY:ci", AccessKeyID: "ASIAISSUEDKEY0000001"}
	recs := []*request.Record{
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

// The audit commands find the trail as `brevet serve` keeps it, from
// --data-dir (./brevet-data by default), or from --dir, the audit
// directory itself; not from both.
func TestAuditDataDir(t *testing.T) {
	dir, _ := auditTrail(t)
	dataDir := filepath.Dir(dir)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"audit", "verify", "--data-dir", dataDir}, "OK: 3 events"},
		{[]string{"audit", "verify", "--dir", dir}, "OK: 3 events"},
		{[]string{"audit", "search", "--data-dir", dataDir, "--event-name", "AssumeRole"}, "AssumeRole"},
		{[]string{"audit", "search", "--dir", dir, "--event-name", "AssumeRole"}, "AssumeRole"},
		{[]string{"audit", "export-key", "--data-dir", dataDir}, "BEGIN PUBLIC KEY"},
		{[]string{"audit", "export-key", "--dir", dir}, "BEGIN PUBLIC KEY"},
	} {
		if out, code := runBrevet(t, "", tc.args...); code != 0 || !strings.Contains(out, tc.want) {
			t.Errorf("brevet %s: exit %d, want 0 and %q in\n%s", strings.Join(tc.args, " "), code, tc.want, out)
		}
	}

	// Without either flag: ./brevet-data/audit, as `brevet serve` with its
	// default data directory.
	t.Chdir(filepath.Dir(dataDir))
	for _, args := range [][]string{{"audit", "verify"}, {"audit", "search"}, {"audit", "export-key"}} {
		if out, code := runBrevet(t, "", args...); code != 0 {
			t.Errorf("brevet %s in the directory holding brevet-data: exit %d\n%s", strings.Join(args, " "), code, out)
		}
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"audit", "verify", "--data-dir", dataDir, "--dir", dir}, "--data-dir and --dir both name the trail"},
		{[]string{"audit", "verify", "--data-dir", dataDir, "--dir", dir, "--store", "postgres://db/brevet"}, "--data-dir and --dir both name the trail"},
		{[]string{"audit", "search", "--data-dir", dataDir, "--dir", dir}, "--data-dir and --dir both name the trail"},
		{[]string{"audit", "export-key", "--data-dir", dataDir, "--dir", dir}, "--data-dir and --dir both name the trail"},
		{[]string{"audit", "verify", "--dir", ""}, "--dir is empty"},
		{[]string{"audit", "verify", "--data-dir", ""}, "--data-dir is empty"},
		// An audit directory given as the data directory: the error says
		// which flag means what.
		{[]string{"audit", "verify", "--data-dir", dir}, "--dir the audit directory itself"},
	} {
		root := newRootCmd()
		root.SetOut(io.Discard)
		root.SetArgs(tc.args)
		if err := root.Execute(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("brevet %s: got error %v, want one saying %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}

// TestAuditSearchUpstream: --upstream ACCOUNT|any keeps brokered events,
// --source-identity matches the upstream session's source identity or the
// caller session's.
func TestAuditSearchUpstream(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "audit")
	a, err := audit.Open(audit.Options{Dir: dir, DigestInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	alice := &identity.Principal{Type: identity.IAMUser, Account: "123456789012", CallerARN: "arn:aws:iam::123456789012:user/alice",
		PrincipalID: "AIDAALICE", AccessKeyID: "AKIAALICE00000000001", UserName: "alice"}
	brokered := func(i int, upstream, source string) *request.Record {
		start := t0.Add(time.Duration(i) * time.Second)
		return &request.Record{Service: "STS", Action: "AssumeRole", Principal: alice, Start: start, Status: 200,
			Issued: &request.Issuance{Kind: "BrokeredAssumeRole", AccessKeyID: "ASIAUPSTREAM0000000" + string(rune('0'+i)),
				Account: upstream, Issued: start, Expires: start.Add(time.Hour),
				Upstream: &request.UpstreamSession{Account: upstream, Action: "AssumeRole", RequestID: "up-" + string(rune('0'+i)),
					SourceIdentity: source, Expires: start.Add(time.Hour)}}}
	}
	for _, r := range []*request.Record{
		brokered(1, "999988887777", "alice@123456789012"),
		brokered(2, "111100002222", "alice@123456789012"),
		{Service: "STS", Action: "GetCallerIdentity", Principal: alice, Start: t0.Add(3 * time.Second), Status: 200},
	} {
		if err := a.Audit(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want []string // upstream request ids, in order
	}{
		{[]string{"--upstream", "any"}, []string{"up-1", "up-2"}},
		{[]string{"--upstream", "111100002222"}, []string{"up-2"}},
		{[]string{"--upstream", "999988887777", "--source-identity", "alice@123456789012"}, []string{"up-1"}},
		{[]string{"--source-identity", "bob"}, nil},
	} {
		out, code := runBrevet(t, "", append([]string{"audit", "search", "--dir", dir, "-o", "json"}, tc.args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", tc.args, code, out)
		}
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if line == "" {
				continue
			}
			var e audit.Event
			if err := json.Unmarshal([]byte(line), &e); err != nil || e.AdditionalEventData == nil || e.AdditionalEventData.Upstream == nil {
				t.Fatalf("%v: line %q (%v)", tc.args, line, err)
			}
			got = append(got, e.AdditionalEventData.Upstream.RequestID)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%v: got %v, want %v", tc.args, got, tc.want)
		}
	}
	if _, err := runCLI(t, "audit", "search", "--dir", dir, "--upstream", "some"); err == nil || !strings.Contains(err.Error(), "--upstream") {
		t.Errorf("--upstream some: err %v, want a usage error", err)
	}
}
