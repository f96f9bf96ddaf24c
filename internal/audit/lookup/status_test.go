package lookup_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/audit/lookup"
)

// TestTrailStatus: GetTrailStatus answers the verification status it is
// given, authorized and audited as its own action; without a Status it is
// an unknown operation.
func TestTrailStatus(t *testing.T) {
	want := lookup.TrailStatus{IsLogging: true, LatestDigestDeliveryTime: 1795334400,
		Verification: lookup.Verification{Intact: true, VerifiedAt: 1795334460, Events: 42, LastSeq: 42, DigestLastSeq: 40, Uncovered: 2}}
	rec := &recorder{}
	h, err := lookup.NewHandler(lookup.Config{Dir: trail(t, 1), Pipeline: pipeline(allowAll, rec),
		Status: func(context.Context) (*lookup.TrailStatus, error) { return &want, nil }})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"Name":"brevet"}`))
	r.Header.Set("X-Amz-Target", lookup.StatusTarget)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var got lookup.TrailStatus
	if err := json.Unmarshal(w.Body.Bytes(), &got); w.Code != 200 || err != nil || got != want {
		t.Fatalf("GetTrailStatus: %d %s, want %+v", w.Code, w.Body, want)
	}
	if len(rec.recs) != 1 || rec.recs[0].Action != "GetTrailStatus" || rec.recs[0].Service != "cloudtrail" {
		t.Errorf("audited %+v, want one cloudtrail GetTrailStatus", rec.recs)
	}

	h, err = lookup.NewHandler(lookup.Config{Dir: trail(t, 1), Pipeline: pipeline(allowAll, &recorder{})})
	if err != nil {
		t.Fatal(err)
	}
	w = httptest.NewRecorder()
	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
	r.Header.Set("X-Amz-Target", lookup.StatusTarget)
	h.ServeHTTP(w, r)
	if w.Code != 400 || !strings.Contains(w.Body.String(), "UnknownOperationException") {
		t.Errorf("without a Status: %d %s", w.Code, w.Body)
	}
}
