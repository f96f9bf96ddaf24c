package migrate_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/migrate"
)

// Issuance records and revocations are copied: a credential revoked
// before a migration stays revoked after it.
func TestCopySessionsAndRevocations(t *testing.T) {
	ctx := context.Background()
	src, dst := openSQLite(t, t.TempDir()), openSQLite(t, t.TempDir())
	if err := src.Accounts().Create(ctx, iam.Account{ID: "123456789012", Created: t0}); err != nil {
		t.Fatal(err)
	}
	rec := store.SessionRecord{AccessKeyID: "ASIACOPY", Account: "123456789012", PrincipalARN: "arn:aws:iam::123456789012:role/r",
		SessionARN: "arn:aws:sts::123456789012:assumed-role/r/s", Kind: "AssumeRole", SessionName: "s", SourceIP: "192.0.2.1",
		ParentAccessKeyID: "AKIAPARENT", RootAccessKeyID: "AKIAPARENT", Issued: t0, Expires: t0.Add(time.Hour)}
	rev := store.Revocation{Kind: store.RevokeKey, Account: "123456789012", Target: "ASIACOPY", ExpiresAt: t0.Add(time.Hour), Created: t0, CreatedBy: "admin"}
	if err := src.Sessions().Record(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Revocations().Add(ctx, rev); err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Copy(ctx, src, dst, migrate.Options{}); err != nil {
		t.Fatal(err)
	}
	gotRecs, err := dst.Sessions().List(ctx, store.SessionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]store.SessionRecord{rec}, gotRecs); d != "" {
		t.Errorf("sessions (-want +got):\n%s", d)
	}
	gotRevs, err := dst.Revocations().Active(ctx, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(gotRevs) != 1 {
		t.Fatalf("revocations after the copy: %d, want 1", len(gotRevs))
	}
	gotRevs[0].ID = 0
	if d := cmp.Diff(rev, gotRevs[0]); d != "" {
		t.Errorf("revocation (-want +got):\n%s", d)
	}
}
