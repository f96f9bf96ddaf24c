package request_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/request"
)

// limiter records when the pipeline asks it, and refuses at the step
// named in refuse.
type limiter struct {
	s      *steps
	refuse string
}

func (l *limiter) answer(name string) error {
	l.s.ran = append(l.s.ran, name)
	if l.refuse == name {
		return &request.ThrottledError{Budget: name, RetryAfter: time.Second}
	}
	return nil
}

func (l *limiter) Admit(_ context.Context, x *request.Exchange) error {
	x.KeyID = "AKIDPRESENTED"
	return l.answer("admit")
}

func (l *limiter) Failed(_ context.Context, _ *request.Exchange, err error) error {
	if e := l.answer("failed"); e != nil {
		return e
	}
	return err
}

func (l *limiter) Authenticated(context.Context, *request.Exchange) error {
	return l.answer("authenticated")
}

// TestPipelineLimiter: the Limiter is asked before anything else, told of
// a failed authentication (and may answer it instead), and asked once the
// caller is authenticated and its principal checked; its refusal stops
// the request, which is still audited, with the presented key id.
func TestPipelineLimiter(t *testing.T) {
	for _, tc := range []struct {
		name       string
		s          steps
		refuse     string
		want       []string
		wantBudget string
	}{
		{"admitted", steps{allow: true, target: true, issue: true}, "",
			[]string{"admit", "route", "authenticate", "check", "authenticated", "decode", "target", "authorize", "act", "commit", "audit"}, ""},
		{"refused before authentication", steps{allow: true, target: true}, "admit", []string{"admit", "audit"}, "admit"},
		{"authentication fails", steps{fail: "authenticate"}, "",
			[]string{"admit", "route", "authenticate", "failed", "audit"}, ""},
		{"the principal check fails, throttled", steps{fail: "check"}, "failed",
			[]string{"admit", "route", "authenticate", "check", "failed", "audit"}, "failed"},
		{"refused after authentication", steps{allow: true, target: true}, "authenticated",
			[]string{"admit", "route", "authenticate", "check", "authenticated", "audit"}, "authenticated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			lim := &limiter{s: &s, refuse: tc.refuse}
			p := &request.Pipeline{Authenticator: &s, Principals: &s, Authorizer: &s, Committers: []request.Committer{&s}, Auditor: &s, Limiter: lim}
			x := &request.Exchange{}
			x.Begin(httptest.NewRequest("POST", "/", nil), "rid", time.Now())
			err := p.Run(context.Background(), x, call{&s})
			var rec request.Record
			x.Record(&rec, time.Now(), err, 400, "", "")
			_ = p.Finish(context.Background(), &rec)
			if diff := cmp.Diff(tc.want, s.ran); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
			got := ""
			if te, ok := err.(*request.ThrottledError); ok {
				got = te.Budget
			}
			if got != tc.wantBudget {
				t.Errorf("throttled by %q (error %v); want %q", got, err, tc.wantBudget)
			}
			if rec.PresentedKeyID != "AKIDPRESENTED" {
				t.Errorf("record's PresentedKeyID = %q; want the one Admit noted", rec.PresentedKeyID)
			}
		})
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{{0, "1"}, {time.Millisecond, "1"}, {time.Second, "1"}, {1001 * time.Millisecond, "2"}, {time.Minute, "60"}} {
		if got := request.RetryAfterSeconds(tc.d); got != tc.want {
			t.Errorf("RetryAfterSeconds(%v) = %q; want %q", tc.d, got, tc.want)
		}
	}
}
