package lookup_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit/lookup"
	"github.com/brevet-dev/brevet/internal/request"
)

// refuseAll is a request.Limiter that throttles every request.
type refuseAll struct{}

func (refuseAll) Admit(context.Context, *request.Exchange) error {
	return &request.ThrottledError{Budget: "failures_per_source", RetryAfter: 2 * time.Second}
}
func (refuseAll) Failed(_ context.Context, _ *request.Exchange, err error) error { return err }
func (refuseAll) Authenticated(context.Context, *request.Exchange) error         { return nil }

// TestLookupThrottled: CloudTrail's answer to a throttled request is
// ThrottlingException (400) with Retry-After, not an internal failure.
func TestLookupThrottled(t *testing.T) {
	p := pipeline(allowAll, &recorder{})
	p.Limiter = refuseAll{}
	h, err := lookup.NewHandler(lookup.Config{Dir: trail(t, 1), Pipeline: p})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
	r.Header.Set("X-Amz-Target", lookup.Target)
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var body struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	if w.Code != http.StatusBadRequest || body.Type != "ThrottlingException" || body.Message != "Rate exceeded" || w.Header().Get("Retry-After") != "2" {
		t.Errorf("answer %d %s, Retry-After %q; want 400 ThrottlingException, Rate exceeded, 2", w.Code, w.Body, w.Header().Get("Retry-After"))
	}
}
