package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
)

func TestSessionRecordOf(t *testing.T) {
	issued := time.Date(2026, 11, 22, 8, 0, 0, 123456789, time.FixedZone("x", 3600))
	got := store.SessionRecordOf(&request.Issuance{
		Kind: "AssumeRole", AccessKeyID: "ASIACHILD", Expires: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), Issued: issued,
		Account: "123456789012", PrincipalARN: "arn:aws:iam::123456789012:role/b", SessionARN: "arn:aws:sts::123456789012:assumed-role/b/s2",
		SessionName: "s2", ParentAccessKeyID: "ASIAPARENT", RootAccessKeyID: "AKIAROOT", SourceIP: "192.0.2.7",
	})
	want := store.SessionRecord{
		AccessKeyID: "ASIACHILD", Account: "123456789012", PrincipalARN: "arn:aws:iam::123456789012:role/b",
		SessionARN: "arn:aws:sts::123456789012:assumed-role/b/s2", Kind: "AssumeRole", SessionName: "s2", SourceIP: "192.0.2.7",
		ParentAccessKeyID: "ASIAPARENT", RootAccessKeyID: "AKIAROOT",
		Issued: time.Date(2026, 11, 22, 7, 0, 0, 123456000, time.UTC), Expires: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC),
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("record (-want +got):\n%s", d)
	}
}
