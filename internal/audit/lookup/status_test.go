package lookup_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/audit/lookup"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
)

// TestTrailStatus: GetTrailStatus answers the verification status it is
// given, authorized and audited as its own action: the whole report to a
// caller of the installation's account, the verdict alone (no counts, no
// problem text: the trail holds every account's events) to a caller of
// another account; without a Status it is an unknown operation.
func TestTrailStatus(t *testing.T) {
	full := lookup.Verification{Intact: false, VerifiedAt: 1795334460, Events: 42, LastSeq: 42, DigestLastSeq: 40, Uncovered: 2,
		Problem: "event 17 of account 210987654321: hash mismatch"}
	given := lookup.TrailStatus{IsLogging: true, LatestDigestDeliveryTime: 1795334400, Verification: &full}
	verdict := lookup.Verdict{Intact: false, VerifiedAt: 1795334460}
	other := func(*http.Request, []byte) (request.Principal, error) {
		return &identity.Principal{Type: identity.IAMUser, Account: "210987654321", CallerARN: "arn:aws:iam::210987654321:user/auditor"}, nil
	}
	for _, tc := range []struct {
		name     string
		caller   hook
		operator string
		want     lookup.TrailStatus
	}{
		{"installation's account", allowAll, "123456789012",
			lookup.TrailStatus{IsLogging: true, LatestDigestDeliveryTime: 1795334400, Verdict: verdict, Verification: &full}},
		{"another account", other, "123456789012",
			lookup.TrailStatus{IsLogging: true, LatestDigestDeliveryTime: 1795334400, Verdict: verdict}},
		{"no operator configured", allowAll, "",
			lookup.TrailStatus{IsLogging: true, LatestDigestDeliveryTime: 1795334400, Verdict: verdict}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			h, err := lookup.NewHandler(lookup.Config{Dir: trail(t, 1), Pipeline: pipeline(tc.caller, rec), Operator: tc.operator,
				Status: func(context.Context) (*lookup.TrailStatus, error) { g := given; return &g, nil }})
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"Name":"brevet"}`))
			r.Header.Set("X-Amz-Target", lookup.StatusTarget)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			var got lookup.TrailStatus
			if err := json.Unmarshal(w.Body.Bytes(), &got); w.Code != 200 || err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("GetTrailStatus: %d %s, want %+v", w.Code, w.Body, tc.want)
			}
			if tc.want.Verification == nil {
				for _, leak := range []string{"Events", "LastSeq", "Uncovered", "Problem", "210987654321: hash"} {
					if strings.Contains(w.Body.String(), leak) {
						t.Errorf("a caller of another account reads %q: %s", leak, w.Body)
					}
				}
			}
			if len(rec.recs) != 1 || rec.recs[0].Action != "GetTrailStatus" || rec.recs[0].Service != "cloudtrail" {
				t.Errorf("audited %+v, want one cloudtrail GetTrailStatus", rec.recs)
			}
		})
	}

	h, err := lookup.NewHandler(lookup.Config{Dir: trail(t, 1), Pipeline: pipeline(allowAll, &recorder{})})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
	r.Header.Set("X-Amz-Target", lookup.StatusTarget)
	h.ServeHTTP(w, r)
	if w.Code != 400 || !strings.Contains(w.Body.String(), "UnknownOperationException") {
		t.Errorf("without a Status: %d %s", w.Code, w.Body)
	}
}
