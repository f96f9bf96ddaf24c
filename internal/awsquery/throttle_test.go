package awsquery

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/request"
)

// TestThrottledError: a request over a rate budget is answered as AWS
// answers throttling, Throttling with HTTP 400 and "Rate exceeded", and
// says when to retry.
func TestThrottledError(t *testing.T) {
	err := fmt.Errorf("admit: %w", &request.ThrottledError{Budget: "failures_per_source", RetryAfter: 1500 * time.Millisecond})
	wire, unmapped := ToWire(err)
	if unmapped || wire.Code != CodeThrottling || wire.Message != "Rate exceeded" {
		t.Fatalf("ToWire = %v, unmapped %v; want Throttling: Rate exceeded", wire, unmapped)
	}
	w := httptest.NewRecorder()
	WriteError(w, nil, wire, "rid")
	if w.Code != http.StatusBadRequest || w.Header().Get("Retry-After") != "2" {
		t.Errorf("status %d, Retry-After %q; want 400, 2", w.Code, w.Header().Get("Retry-After"))
	}
	if body := w.Body.String(); !strings.Contains(body, "<Code>Throttling</Code>") || !strings.Contains(body, "<Type>Sender</Type>") {
		t.Errorf("body %s; want a Sender fault with code Throttling", body)
	}
	// Other errors carry no Retry-After.
	w = httptest.NewRecorder()
	WriteError(w, nil, CodeAccessDenied.New("no"), "rid")
	if got := w.Header().Get("Retry-After"); got != "" {
		t.Errorf("AccessDenied carries Retry-After %q; want none", got)
	}
}
