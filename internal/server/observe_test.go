package server

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/request"
)

type testPrincipal struct{}

func (testPrincipal) ARN() string { return "arn:aws:iam::123456789012:user/alice" }

type allowAll struct{}

func (allowAll) Authenticate(context.Context, *request.AuthnRequest) (request.Principal, error) {
	return testPrincipal{}, nil
}

func (allowAll) Authorize(context.Context, *request.AuthzRequest) (request.Decision, error) {
	return request.Decision{Allowed: true}, nil
}

type auditLog struct {
	mu   sync.Mutex
	recs []*request.Record
}

func (a *auditLog) Audit(_ context.Context, rec *request.Record) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.recs = append(a.recs, rec)
	return nil
}

// TestWithDispatcher runs the real awsquery dispatcher behind the server:
// one request id everywhere, and the action and error code reach the
// metrics and the access log through Observe.
func TestWithDispatcher(t *testing.T) {
	audit := &auditLog{}
	d, err := awsquery.New(awsquery.Config{Pipeline: &request.Pipeline{Authenticator: allowAll{}, Authorizer: allowAll{}, Auditor: audit, Observers: []request.Observer{request.ObserveFunc(Observe)}}})
	if err != nil {
		t.Fatal(err)
	}
	awsquery.Register(d, stsapi.GetCallerIdentity, awsquery.Handler[stsapi.GetCallerIdentityRequest, stsapi.GetCallerIdentityResponse]{
		Effect:            request.ReadOnly,
		SkipAuthorization: "GetCallerIdentity is always allowed",
		Serve: func(ctx context.Context, r *awsquery.Request[stsapi.GetCallerIdentityRequest]) (*stsapi.GetCallerIdentityResponse, error) {
			return &stsapi.GetCallerIdentityResponse{UserId: "AIDAEXAMPLE", Account: "123456789012", Arn: r.Principal.ARN()}, nil
		},
	})
	r := start(t, Config{}, d)

	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	resp, body := r.do(t, http.MethodPost, "/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"), form)
	id := resp.Header.Get(HeaderRequestID)
	if resp.StatusCode != 200 || !strings.Contains(body, "<RequestId>"+id+"</RequestId>") {
		t.Fatalf("GetCallerIdentity = %d, want 200 with RequestId %s:\n%s", resp.StatusCode, id, body)
	}
	resp, body = r.do(t, http.MethodPost, "/", strings.NewReader("Action=NoSuchAction&Version=2011-06-15"), form)
	if e := parseError(t, body); resp.StatusCode != 400 || e.Code != "InvalidAction" || e.RequestID != resp.Header.Get(HeaderRequestID) {
		t.Fatalf("NoSuchAction = %d %+v; want 400 InvalidAction with the header's request id", resp.StatusCode, e)
	}

	audit.mu.Lock()
	gotIDs := []string{audit.recs[0].RequestID, audit.recs[1].RequestID}
	audit.mu.Unlock()
	if diff := cmp.Diff([]string{id, resp.Header.Get(HeaderRequestID)}, gotIDs); diff != "" {
		t.Errorf("audited request ids (-want +got):\n%s", diff)
	}
	for _, c := range []struct {
		labels map[string]string
		want   float64
	}{
		{map[string]string{"action": "GetCallerIdentity", "outcome": "success"}, 1},
		{map[string]string{"action": "unknown", "outcome": "InvalidAction"}, 1},
	} {
		if got := metricValue(t, r.reg, "brevet_api_requests_total", c.labels); got != c.want {
			t.Errorf("brevet_api_requests_total%v = %v; want %v", c.labels, got, c.want)
		}
	}
	lines := r.logs.lines(t, "request")
	if len(lines) != 2 || lines[0]["action"] != "GetCallerIdentity" || lines[1]["error_code"] != "InvalidAction" {
		t.Errorf("access log lines = %v; want the action on the first and InvalidAction on the second", lines)
	}
}
