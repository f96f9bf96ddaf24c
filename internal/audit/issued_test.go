package audit_test

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/request"
)

func issuance(key string, i int) *request.Issuance {
	return &request.Issuance{Kind: "AssumeRole", AccessKeyID: key, Account: "123456789012",
		PrincipalARN: "arn:aws:iam::123456789012:role/deploy", SessionARN: "arn:aws:sts::123456789012:assumed-role/deploy/ci",
		SessionName: "ci", ParentAccessKeyID: "ASIAPARENT", RootAccessKeyID: "AKIAROOT", SourceIP: "192.0.2.10",
		Issued: t0.Add(time.Duration(i)*time.Second + 123456789), Expires: t0.Add(time.Hour)}
}

// TestEventCarriesTheIssuance: an event whose request issued temporary
// credentials names them, fully, in additionalEventData, and they read
// back as they were issued (to the microsecond); long-term keys and
// requests that issued nothing add nothing.
func TestEventCarriesTheIssuance(t *testing.T) {
	rec := record(1, userPrincipal(), "AssumeRole")
	rec.Issued = issuance("ASIACHILD", 1)
	e := audit.Converter{NewID: func() string { return "e" }}.Convert(rec, nil)
	got, ok := e.Issuance()
	want := *rec.Issued
	want.Issued = want.Issued.Truncate(time.Microsecond)
	if !ok || !cmp.Equal(want, got) {
		t.Errorf("issuance read back: ok %v, diff (-want +got):\n%s", ok, cmp.Diff(want, got))
	}
	b, err := e.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	if iss, ok, err := audit.IssuanceOf(b); err != nil || !ok || iss.AccessKeyID != "ASIACHILD" {
		t.Errorf("IssuanceOf the stored event: %+v, %v, %v", iss, ok, err)
	}
	for name, issued := range map[string]*request.Issuance{
		"nothing issued": nil,
		"long-term key":  {Kind: "AccessKey", AccessKeyID: "AKIANEW", Issued: t0},
	} {
		rec := record(2, userPrincipal(), "CreateAccessKey")
		rec.Issued = issued
		e := audit.Converter{}.Convert(rec, nil)
		if e.AdditionalEventData != nil {
			t.Errorf("%s: additionalEventData %+v, want none", name, e.AdditionalEventData)
		}
		b, _ := e.AppendJSON(nil)
		if _, ok, err := audit.IssuanceOf(b); ok || err != nil {
			t.Errorf("%s: IssuanceOf found one (%v)", name, err)
		}
	}
}

// TestTrailHandsIssuancesOn: the Committed hook sees every durable batch
// in order, with the issuances of its events, and WalkIssuances reads the
// same from the files after any position.
func TestTrailHandsIssuancesOn(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	var seen []uint64
	issued := map[uint64]string{}
	a, err := audit.Open(audit.Options{Dir: dir, DigestInterval: -1, Committed: func(batch []audit.Record) {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range batch {
			seen = append(seen, r.Seq)
			if r.Issued != nil {
				issued[r.Seq] = r.Issued.AccessKeyID
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"", "ASIAONE", "", "ASIATWO", "ASIATHREE"}
	for i, k := range keys {
		rec := record(i, userPrincipal(), "GetCallerIdentity")
		if k != "" {
			rec.Action, rec.Issued = "AssumeRole", issuance(k, i)
		}
		if err := a.Audit(t.Context(), rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if want := []uint64{1, 2, 3, 4, 5}; !cmp.Equal(seen, want) {
		t.Errorf("Committed saw %v, want %v", seen, want)
	}
	if want := map[uint64]string{2: "ASIAONE", 4: "ASIATWO", 5: "ASIATHREE"}; !cmp.Equal(issued, want) {
		t.Errorf("Committed issuances %v, want %v", issued, want)
	}
	for _, tc := range []struct {
		after, upTo, last uint64
		want              []string
	}{
		{0, 0, 5, []string{"ASIAONE", "ASIATWO", "ASIATHREE"}},
		{2, 0, 5, []string{"ASIATWO", "ASIATHREE"}},
		{5, 0, 5, nil},
		{9, 0, 9, nil},
		{0, 4, 4, []string{"ASIAONE", "ASIATWO"}},
		{1, 3, 3, []string{"ASIAONE"}},
		{0, 9, 5, []string{"ASIAONE", "ASIATWO", "ASIATHREE"}},
	} {
		var got []string
		last, err := audit.WalkIssuances(dir, tc.after, tc.upTo, func(_ uint64, iss request.Issuance) error {
			got = append(got, iss.AccessKeyID)
			return nil
		})
		if err != nil || !cmp.Equal(got, tc.want) || last != tc.last {
			t.Errorf("WalkIssuances after %d up to %d: %v, last %d, %v; want %v, last %d", tc.after, tc.upTo, got, last, err, tc.want, tc.last)
		}
	}
}
