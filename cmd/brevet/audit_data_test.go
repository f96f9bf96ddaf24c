package main

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
)

// TestAuditSearchDataEvents: --issued-by follows an AssumeRole to the S3
// objects its credentials read, and --category keeps one kind of event.
func TestAuditSearchDataEvents(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "audit")
	a, err := audit.Open(audit.Options{Dir: dir, DigestInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	alice := &identity.Principal{Type: identity.IAMUser, Account: "123456789012", CallerARN: "arn:aws:iam::123456789012:user/alice",
		PrincipalID: "AIDAALICE", AccessKeyID: "AKIAALICE00000000001", UserName: "alice"}
	session := &identity.Principal{Type: identity.AssumedRole, Account: "123456789012",
		CallerARN: "arn:aws:sts::123456789012:assumed-role/deploy/ci", PrincipalID: "AROADEPLOY:ci", AccessKeyID: "ASIAISSUEDKEY0000001"}
	get := func(i int, key string) *request.Record {
		return &request.Record{Service: "s3", Action: "GetObject", Effect: request.ReadOnly, Category: request.CategoryData,
			Principal: session, Start: t0.Add(time.Duration(i) * time.Second), SourceIP: "192.0.2.1", Status: 200,
			RequestParameters: map[string]any{"bucketName": "b", "key": key},
			Resources:         []request.Resource{{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::b/" + key}, {Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::b"}},
			BytesOut:          5}
	}
	recs := []*request.Record{
		{Service: "STS", Action: "AssumeRole", Principal: alice, Start: t0, SourceIP: "192.0.2.1", Status: 200,
			RequestParameters: map[string]any{"roleArn": "arn:aws:iam::123456789012:role/deploy"},
			ResponseElements:  map[string]any{"credentials": map[string]any{"accessKeyId": "ASIAISSUEDKEY0000001", "expiration": "2026-11-22T09:00:00Z"}}},
		get(1, "one"),
		{Service: "STS", Action: "GetCallerIdentity", Principal: session, Start: t0.Add(2 * time.Second), SourceIP: "192.0.2.1", Status: 200},
		get(3, "two"),
	}
	for _, r := range recs {
		if err := a.Audit(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	var issuer string
	if err := audit.Search(dir, audit.Filter{EventName: "AssumeRole"}, func(_ uint64, e *audit.Event) error { issuer = e.EventID; return nil }); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		category string
		want     []string
	}{
		{"", []string{"GetObject arn:aws:s3:::b/one", "GetCallerIdentity", "GetObject arn:aws:s3:::b/two"}},
		{"Data", []string{"GetObject arn:aws:s3:::b/one", "GetObject arn:aws:s3:::b/two"}},
		{"management", []string{"GetCallerIdentity"}},
	} {
		out, code := runBrevet(t, "", "audit", "search", "--dir", dir, "--issued-by", issuer, "--category", tc.category, "-o", "json")
		if code != 0 {
			t.Fatalf("search --category %q: exit %d\n%s", tc.category, code, out)
		}
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var e audit.Event
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				t.Fatalf("%v: %s", err, line)
			}
			s := e.EventName
			if e.EventCategory == "Data" && len(e.Resources) > 0 {
				s += " " + e.Resources[0].ARN
			}
			got = append(got, s)
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("search --issued-by --category %q = %q, want %q", tc.category, got, tc.want)
		}
	}
	cmd := newRootCmd()
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SetArgs([]string{"audit", "search", "--dir", dir, "--category", "Insight"})
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "want Management or Data") {
		t.Errorf("search --category Insight: %v", err)
	}
}
