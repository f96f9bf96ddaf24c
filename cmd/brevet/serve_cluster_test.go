package main

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/brevetapi"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/store"
)

func TestIssuanceRecord(t *testing.T) {
	start := time.Date(2026, 11, 22, 8, 0, 0, 123456789, time.UTC)
	chained := &identity.Principal{Account: "123456789012", CallerARN: "arn:aws:sts::123456789012:assumed-role/a/s",
		AccessKeyID: "ASIAPARENT", Session: &credential.Claims{RootAccessKeyID: "AKIAROOT"}}
	rec := &awsquery.AuditRecord{
		Service: "sts", Action: "AssumeRole", Principal: chained, SourceIP: "192.0.2.7", Start: start,
		RequestParameters: map[string]any{"roleArn": "arn:aws:iam::123456789012:role/b", "roleSessionName": "s2"},
		ResponseElements: map[string]any{
			"credentials":     map[string]any{"accessKeyId": "ASIACHILD", "expiration": "2026-11-22T09:00:00Z", "secretAccessKey": awsquery.HiddenValue},
			"assumedRoleUser": map[string]any{"arn": "arn:aws:sts::123456789012:assumed-role/b/s2"},
		},
	}
	got, ok := issuanceRecord(rec)
	if !ok {
		t.Fatal("no record")
	}
	want := store.SessionRecord{
		AccessKeyID: "ASIACHILD", Account: "123456789012", PrincipalARN: "arn:aws:iam::123456789012:role/b",
		SessionARN: "arn:aws:sts::123456789012:assumed-role/b/s2", Kind: "AssumeRole", SessionName: "s2", SourceIP: "192.0.2.7",
		ParentAccessKeyID: "ASIAPARENT", RootAccessKeyID: "AKIAROOT",
		Issued: start.Truncate(time.Microsecond), Expires: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC),
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("record (-want +got):\n%s", d)
	}
	if _, ok := issuanceRecord(&awsquery.AuditRecord{Service: "sts", Action: "AssumeRole"}); ok {
		t.Error("a record without credentials")
	}
}

func TestNeedsWrite(t *testing.T) {
	tests := []struct {
		op   *awsquery.OperationInfo
		want bool
	}{
		{stsapi.GetCallerIdentity.Info(), false},
		{stsapi.AssumeRole.Info(), true},
		{stsapi.GetSessionToken.Info(), true},
		{iamapi.GetUser.Info(), false},
		{iamapi.CreateUser.Info(), true},
		{brevetapi.ListSessions.Info(), false},
		{brevetapi.RevokeSessions.Info(), true},
	}
	for _, tt := range tests {
		if got := needsWrite(tt.op); got != tt.want {
			t.Errorf("needsWrite(%s) = %v, want %v", tt.op.Name, got, tt.want)
		}
	}
}

func TestStoreUnreachable(t *testing.T) {
	if e := storeUnreachable(errors.New("policy is malformed")); e != nil {
		t.Errorf("a domain error mapped to %v", e)
	}
	e := storeUnreachable(&timeoutErr{})
	if e == nil || e.Code != awsquery.CodeServiceUnavailable {
		t.Errorf("a network timeout: got %v, want ServiceUnavailable", e)
	}
}

type timeoutErr struct{}

func (*timeoutErr) Error() string   { return "i/o timeout" }
func (*timeoutErr) Timeout() bool   { return true }
func (*timeoutErr) Temporary() bool { return true }
