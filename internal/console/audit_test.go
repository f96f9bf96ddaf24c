package console

import (
	"bytes"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/audit/lookup"
)

// TestAuditPageTrailStatus: the audit page shows the verification as
// GetTrailStatus gives it: counts and the problem found when the caller
// is of the installation's account, the verdict alone otherwise.
func TestAuditPageTrailStatus(t *testing.T) {
	full := &lookup.Verification{Intact: false, VerifiedAt: 1795334460, Events: 4242, LastSeq: 4242, DigestLastSeq: 4240, Uncovered: 2,
		Problem: "event 17: hash mismatch"}
	verdict := lookup.Verdict{Intact: false, VerifiedAt: 1795334460}
	for _, tc := range []struct {
		name          string
		st            lookup.TrailStatus
		want, notWant []string
	}{
		{"installation's account", lookup.TrailStatus{IsLogging: true, LatestDigestDeliveryTime: 1795334400, Verdict: verdict, Verification: full},
			[]string{"Broken", "Events verified", "4242", "4240", "Not yet signed", `role="alert">event 17: hash mismatch<`, "Last signed digest"},
			[]string{"shown to the installation"}},
		{"another account", lookup.TrailStatus{IsLogging: true, LatestDigestDeliveryTime: 1795334400, Verdict: verdict},
			[]string{"Broken", "Verified", "Last signed digest", "shown to the installation's account only"},
			[]string{"Events verified", "4242", "Not yet signed", "hash mismatch"}},
		{"pending", lookup.TrailStatus{IsLogging: true, Verdict: lookup.Verdict{Pending: true}},
			[]string{"being verified"}, []string{"Broken", "Intact"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			v := &view{Title: "Audit trail", Nav: "audit", Data: auditListView{Status: &tc.st, Rows: []auditRow{}}}
			if err := pages["audit"].ExecuteTemplate(&b, "layout", v); err != nil {
				t.Fatal(err)
			}
			body := b.String()
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("no %q", w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(body, w) {
					t.Errorf("%q should not be there", w)
				}
			}
		})
	}
}
