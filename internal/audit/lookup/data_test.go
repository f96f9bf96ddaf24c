package lookup_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/audit/lookup"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
)

// TestLookupReturnsManagementEventsOnly: CloudTrail's LookupEvents never
// returns data events, whatever the filter; neither does Brevet's.
func TestLookupReturnsManagementEventsOnly(t *testing.T) {
	dir := t.TempDir()
	a, err := audit.Open(audit.Options{Dir: dir, DigestInterval: -1,
		Signer: audit.NewSigner(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)))})
	if err != nil {
		t.Fatal(err)
	}
	p := &identity.Principal{Type: identity.IAMUser, Account: "123456789012", CallerARN: "arn:aws:iam::123456789012:user/alice",
		PrincipalID: "AIDAALICE", AccessKeyID: "AKIAALICE00000000001", UserName: "alice"}
	for i, rec := range []*request.Record{
		{Service: "STS", Action: "GetCallerIdentity", Effect: request.ReadOnly},
		{Service: "s3", Action: "GetObject", Effect: request.ReadOnly, Category: request.CategoryData,
			Resources: []request.Resource{{Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::b"}}},
		{Service: "s3", Action: "PutObject", Effect: request.Writes, Category: request.CategoryData, ErrorCode: "AccessDenied", Status: 403},
	} {
		rec.Principal, rec.SourceIP, rec.Start = p, "192.0.2.1", t0.Add(time.Duration(i)*time.Second)
		if err := a.Audit(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	h, err := lookup.NewHandler(lookup.Config{Dir: dir, Pipeline: pipeline(allowAll, &recorder{})})
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{
		`{}`,
		`{"LookupAttributes":[{"AttributeKey":"EventSource","AttributeValue":"s3.amazonaws.com"}]}`,
		`{"LookupAttributes":[{"AttributeKey":"ResourceName","AttributeValue":"arn:aws:s3:::b"}]}`,
		`{"LookupAttributes":[{"AttributeKey":"AccessKeyId","AttributeValue":"AKIAALICE00000000001"}]}`,
	} {
		code, b := call(t, h, body)
		var resp struct{ Events []struct{ EventName string } }
		if err := json.Unmarshal(b, &resp); code != 200 || err != nil {
			t.Fatalf("%s: %d %s", body, code, b)
		}
		for _, e := range resp.Events {
			if e.EventName != "GetCallerIdentity" {
				t.Errorf("%s returned the data event %s", body, e.EventName)
			}
		}
	}
}
