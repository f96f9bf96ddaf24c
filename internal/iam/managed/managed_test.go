package managed_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/managed"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

func TestPoliciesValidate(t *testing.T) {
	for _, p := range managed.Policies() {
		t.Run(p.Name, func(t *testing.T) {
			for _, typ := range []policy.Type{policy.TypeIdentity, policy.TypeBoundary} {
				if _, err := policy.ParseAndValidate([]byte(p.Document), typ); err != nil {
					t.Errorf("ParseAndValidate(%v) = %v", typ, err)
				}
			}
			if err := iam.ValidateManagedPolicy(iam.ManagedPolicy{Name: p.Name, Path: p.Path, Description: p.Description}, p.Document); err != nil {
				t.Errorf("ValidateManagedPolicy = %v", err)
			}
		})
	}
}

func TestSeedIsIdempotent(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "brevet.db"), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i := 0; i < 2; i++ {
		if err := managed.Seed(ctx, st, now); err != nil {
			t.Fatalf("Seed #%d: %v", i+1, err)
		}
	}
	got, err := st.Policies().List(ctx, iam.AWSAccount, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(managed.Policies()); len(got) != want {
		t.Fatalf("got %d AWS managed policies, want %d", len(got), want)
	}
	for _, p := range managed.Policies() {
		v, err := st.Policies().GetVersion(ctx, p.ARN(), "v1")
		if err != nil {
			t.Fatalf("GetVersion(%s): %v", p.ARN(), err)
		}
		if v.Document != p.Document || !v.IsDefault {
			t.Errorf("%s: got document %q default %v, want %q default", p.Name, v.Document, v.IsDefault, p.Document)
		}
	}
}
