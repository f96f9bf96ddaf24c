package node

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
)

// TestAuditDataEventSelectors: the node's trail applies audit.data_events
// and records data events with its account as their recipient.
func TestAuditDataEventSelectors(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	n, stop := startNode(t, dataDir, Options{}, `BREVET_AUDIT_DATA_EVENTS=[{"resources":["arn:aws:s3:::logs/"]}]`)
	p := &identity.Principal{Type: identity.IAMUser, Account: testAccount, CallerARN: "arn:aws:iam::" + testAccount + ":user/u", AccessKeyID: "AKIAUSER"}
	s3get := func(bucket string) *request.Record {
		return &request.Record{Service: "s3", Action: "GetObject", Effect: request.ReadOnly, Category: request.CategoryData,
			Principal: p, Start: time.Now(), Status: 200,
			Resources: []request.Resource{{Type: audit.S3ObjectType, ARN: "arn:aws:s3:::" + bucket + "/k"}, {Type: audit.S3BucketType, ARN: "arn:aws:s3:::" + bucket}}}
	}
	denied := s3get("private")
	denied.Status, denied.ErrorCode = 403, "AccessDenied"
	for _, rec := range []*request.Record{s3get("logs"), s3get("private"), denied} {
		if err := n.auditor.Audit(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	_, metrics := get(t, n.URL()+"/metrics")
	if !strings.Contains(metrics, "brevet_audit_data_events_skipped_total 1") {
		t.Errorf("/metrics lacks brevet_audit_data_events_skipped_total 1")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := audit.Search(filepath.Join(dataDir, "audit"), audit.Filter{Category: audit.CategoryData}, func(_ uint64, e *audit.Event) error {
		got = append(got, e.Resources[0].ARN+" "+e.ErrorCode+" "+e.RecipientAccountID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "arn:aws:s3:::logs/k  " + testAccount + "|arn:aws:s3:::private/k AccessDenied " + testAccount
	if strings.Join(got, "|") != want {
		t.Errorf("data events = %q, want %q", got, want)
	}
}

func TestDataEventSelectorFromConfig(t *testing.T) {
	for _, tt := range []struct {
		a       config.Audit
		wantNil bool
		wantErr bool
	}{
		{config.Audit{}, true, false},
		{config.Audit{DataEventsSelected: true}, false, false},
		{config.Audit{DataEventsSelected: true, DataEvents: []config.DataEventSelector{{ReadWriteType: "ReadOnly", Resources: []string{"arn:aws:s3:::b"}}}}, false, false},
		{config.Audit{DataEventsSelected: true, DataEvents: []config.DataEventSelector{{ReadWriteType: "Sometimes"}}}, true, true},
	} {
		sel, err := dataEventSelector(tt.a)
		if (err != nil) != tt.wantErr || (sel == nil) != tt.wantNil {
			t.Errorf("%+v: selector %v, error %v; want nil %v, error %v", tt.a, sel, err, tt.wantNil, tt.wantErr)
		}
	}
}
