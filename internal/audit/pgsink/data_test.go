package pgsink_test

import (
	"context"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store/postgres/pgtest"
)

// TestDataEventsInPostgres: data events are stored, chained and verified
// like any event, and a search follows an issuance to them.
func TestDataEventsInPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	a, _ := open(t, dsn, "node-data", signer(3))
	t0 := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	alice := &identity.Principal{Type: identity.IAMUser, Account: "123456789012", CallerARN: "arn:aws:iam::123456789012:user/alice", AccessKeyID: "AKIAALICE"}
	session := &identity.Principal{Type: identity.AssumedRole, Account: "123456789012", CallerARN: "arn:aws:sts::123456789012:assumed-role/r/s", AccessKeyID: "ASIAPGSESSION"}
	recs := []*request.Record{
		{Service: "sts", Action: "AssumeRole", Principal: alice, Start: t0, Status: 200,
			ResponseElements: map[string]any{"credentials": map[string]any{"accessKeyId": "ASIAPGSESSION"}}},
		{Service: "s3", Action: "GetObject", Effect: request.ReadOnly, Category: request.CategoryData, Principal: session, Start: t0.Add(time.Second), Status: 200,
			Resources: []request.Resource{{Type: audit.S3ObjectType, ARN: "arn:aws:s3:::b/k"}}, BytesOut: 9},
		{Service: "s3", Action: "PutObject", Effect: request.Writes, Category: request.CategoryData, Principal: session, Start: t0.Add(2 * time.Second),
			Status: 403, ErrorCode: "AccessDenied", Resources: []request.Resource{{Type: audit.S3ObjectType, ARN: "arn:aws:s3:::b/x"}}},
	}
	for _, rec := range recs {
		if err := a.Audit(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	r := reader(t, dsn)
	if rep, err := r.Verify(ctx, "node-data", signer(3).Public()); err != nil || rep.Events != 3 {
		t.Fatalf("verify: %+v, %v", rep, err)
	}
	var issuer string
	if err := r.Search(ctx, "node-data", audit.Filter{EventName: "AssumeRole"}, func(_ uint64, e *audit.Event) error { issuer = e.EventID; return nil }); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := r.Search(ctx, "node-data", audit.Filter{IssuedBy: issuer, Category: "Data"}, func(_ uint64, e *audit.Event) error {
		if e.AdditionalEventData == nil || e.AdditionalEventData.BytesTransferredOut == nil {
			t.Errorf("%s: no bytesTransferredOut", e.EventName)
		}
		got = append(got, e.EventName)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "GetObject" || got[1] != "PutObject" {
		t.Errorf("data events issued by the AssumeRole = %q, want GetObject and PutObject", got)
	}
}
