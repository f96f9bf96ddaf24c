package audit_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/audit"
)

func TestSearch(t *testing.T) {
	dir := t.TempDir()
	a := openTest(t, dir, nil)
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(a.Audit(ctx, record(0, userPrincipal(), "GetCallerIdentity")))                       // seq 1
	must(a.Audit(ctx, assumeRoleRecord(1, "ASIAEXAMPLEISSUED001")))                           // seq 2: issues key 1
	must(a.Audit(ctx, record(2, rolePrincipal("ASIAEXAMPLEISSUED001"), "GetCallerIdentity"))) // seq 3
	chained := assumeRoleRecord(3, "ASIAEXAMPLECHAINED01")
	chained.Principal = rolePrincipal("ASIAEXAMPLEISSUED001")
	must(a.Audit(ctx, chained))                                                       // seq 4: issues key 2 with key 1
	must(a.Audit(ctx, record(4, rolePrincipal("ASIAEXAMPLECHAINED01"), "ListRoles"))) // seq 5
	denied := record(5, rolePrincipal("ASIAOTHERSESSION0001"), "CreateUser")
	denied.ErrorCode, denied.SourceIP = "AccessDenied", "198.51.100.7"
	must(a.Audit(ctx, denied)) // seq 6
	must(a.Close())

	var issuer string
	must(audit.Search(dir, audit.Filter{EventName: "AssumeRole", AccessKeyID: "ASIAEXAMPLEISSUED001"}, func(seq uint64, e *audit.Event) error {
		if seq == 2 {
			issuer = e.EventID
		}
		return nil
	}))
	tests := []struct {
		name string
		f    audit.Filter
		want []uint64
	}{
		{"all", audit.Filter{}, []uint64{1, 2, 3, 4, 5, 6}},
		{"issued by", audit.Filter{IssuedBy: issuer}, []uint64{3, 4, 5}},
		{"access key", audit.Filter{AccessKeyID: "ASIAEXAMPLEISSUED001"}, []uint64{2, 3, 4}},
		{"role ARN", audit.Filter{PrincipalARN: "arn:aws:iam::123456789012:role/deploy"}, []uint64{3, 4, 5, 6}},
		{"user ARN", audit.Filter{PrincipalARN: "arn:aws:iam::123456789012:user/alice"}, []uint64{1, 2}},
		{"error code", audit.Filter{ErrorCode: "AccessDenied"}, []uint64{6}},
		{"source IP", audit.Filter{SourceIP: "198.51.100.7"}, []uint64{6}},
		{"event name", audit.Filter{EventName: "GetCallerIdentity"}, []uint64{1, 3}},
		{"time range", audit.Filter{From: t0.Add(2 * time.Second), To: t0.Add(4 * time.Second)}, []uint64{3, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []uint64
			err := audit.Search(dir, tt.f, func(seq uint64, _ *audit.Event) error { got = append(got, seq); return nil })
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Search mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if err := audit.Search(dir, audit.Filter{IssuedBy: "no-such-event"}, func(uint64, *audit.Event) error { return nil }); err == nil {
		t.Error("Search with an unknown IssuedBy succeeded")
	}
}
