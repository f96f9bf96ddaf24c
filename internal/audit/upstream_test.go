package audit_test

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/request"
)

// brokeredRecord is a brokered AssumeRole by alice of a role in upstream,
// with the upstream session's source identity.
func brokeredRecord(i int, upstream, key, source string) *request.Record {
	r := record(i, userPrincipal(), "AssumeRole")
	role := "arn:aws:iam::" + upstream + ":role/Deploy"
	session := "arn:aws:sts::" + upstream + ":assumed-role/Deploy/ci"
	r.Issued = &request.Issuance{Kind: "BrokeredAssumeRole", AccessKeyID: key, Account: upstream, PrincipalARN: role,
		SessionARN: session, SessionName: "ci", ParentAccessKeyID: "AKIAEXAMPLEALICE0001", RootAccessKeyID: "AKIAEXAMPLEALICE0001",
		Issued: t0, Expires: t0.Add(time.Hour),
		Upstream: &request.UpstreamSession{Account: upstream, Action: "AssumeRoleWithWebIdentity", RequestID: "up-req",
			RoleARN: role, SessionARN: session, SourceIdentity: source, AccessKeyID: key, Expires: t0.Add(time.Hour + 123456789)}}
	return r
}

// TestUpstreamEvent: a brokered issuance becomes additionalEventData.upstream,
// with no issuedCredential, and the trail does not hand it to the
// issuance index (Brevet can neither verify nor revoke it).
func TestUpstreamEvent(t *testing.T) {
	rec := brokeredRecord(1, "999988887777", "ASIAUPSTREAM00000001", "alice@123456789012")
	e := audit.Converter{NewID: func() string { return "e" }}.Convert(rec, nil)
	want := &audit.AdditionalEventData{Upstream: &audit.Upstream{AccountID: "999988887777", Action: "AssumeRoleWithWebIdentity",
		RequestID: "up-req", RoleARN: "arn:aws:iam::999988887777:role/Deploy",
		SessionARN: "arn:aws:sts::999988887777:assumed-role/Deploy/ci", SourceIdentity: "alice@123456789012",
		AccessKeyID: "ASIAUPSTREAM00000001", Expiration: "2026-11-22T09:00:00.123456Z"}}
	if diff := cmp.Diff(want, e.AdditionalEventData); diff != "" {
		t.Errorf("additionalEventData (-want +got):\n%s", diff)
	}
	b, err := e.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := audit.IssuanceOf(b); ok || err != nil {
		t.Errorf("IssuanceOf a brokered event: ok %v, err %v; want nothing to index", ok, err)
	}

	var mu sync.Mutex
	var indexed []string
	a := openTest(t, t.TempDir(), func(o *audit.Options) {
		o.Committed = func(batch []audit.Record) {
			mu.Lock()
			defer mu.Unlock()
			for _, r := range batch {
				if r.Issued != nil {
					indexed = append(indexed, r.Issued.AccessKeyID)
				}
			}
		}
	})
	if err := a.Audit(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	if err := a.Audit(t.Context(), assumeRoleWithIssuance(2, "ASIABREVET0000000001")); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"ASIABREVET0000000001"}; !cmp.Equal(indexed, want) {
		t.Errorf("indexed %v, want %v (not the upstream key)", indexed, want)
	}
}

// assumeRoleWithIssuance is a Brevet AssumeRole that issued key.
func assumeRoleWithIssuance(i int, key string) *request.Record {
	r := assumeRoleRecord(i, key)
	r.Issued = issuance(key, i)
	return r
}

func TestSearchUpstream(t *testing.T) {
	dir := t.TempDir()
	a := openTest(t, dir, nil)
	ctx := t.Context()
	for _, rec := range []*request.Record{
		brokeredRecord(0, "999988887777", "ASIAUPSTREAM00000001", "alice@123456789012"), // seq 1
		brokeredRecord(1, "111100002222", "ASIAUPSTREAM00000002", "bob@123456789012"),   // seq 2
		record(2, rolePrincipal("ASIAEXAMPLEISSUED001"), "GetCallerIdentity"),           // seq 3: session source identity "alice"
		brokeredRecord(3, "999988887777", "ASIAUPSTREAM00000003", "alice"),              // seq 4
		assumeRoleWithIssuance(4, "ASIABREVET0000000001"),                               // seq 5
	} {
		if err := a.Audit(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    audit.Filter
		want []uint64
	}{
		{"any upstream", audit.Filter{Upstream: audit.UpstreamAny}, []uint64{1, 2, 4}},
		{"one upstream", audit.Filter{Upstream: "999988887777"}, []uint64{1, 4}},
		{"unknown upstream", audit.Filter{Upstream: "000000000000"}, nil},
		{"upstream source identity", audit.Filter{SourceIdentity: "bob@123456789012"}, []uint64{2}},
		{"upstream or session source identity", audit.Filter{SourceIdentity: "alice"}, []uint64{3, 4}},
		{"both", audit.Filter{Upstream: audit.UpstreamAny, SourceIdentity: "alice"}, []uint64{4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []uint64
			if err := audit.Search(dir, tt.f, func(seq uint64, _ *audit.Event) error { got = append(got, seq); return nil }); err != nil {
				t.Fatal(err)
			}
			if !cmp.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
