package lookup_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/audit/lookup"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
)

var t0 = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

// trail writes n events: every third an AssumeRole by alice, the others
// GetCallerIdentity, one second apart.
func trail(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	a, err := audit.Open(audit.Options{Dir: dir, DigestInterval: -1,
		Signer: audit.NewSigner(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)))})
	if err != nil {
		t.Fatal(err)
	}
	p := &identity.Principal{Type: identity.IAMUser, Account: "123456789012", CallerARN: "arn:aws:iam::123456789012:user/alice",
		PrincipalID: "AIDAALICE", AccessKeyID: "AKIAALICE00000000001", UserName: "alice"}
	for i := 0; i < n; i++ {
		rec := &request.Record{RequestID: fmt.Sprint("req-", i), Service: "STS", Action: "GetCallerIdentity",
			Effect: request.ReadOnly, Principal: p, SourceIP: "192.0.2.1", UserAgent: "test", Start: t0.Add(time.Duration(i) * time.Second), Status: 200}
		if i%3 == 0 {
			rec.Action, rec.Effect = "AssumeRole", request.IssuesCredentials
			rec.RequestParameters = map[string]any{"roleArn": "arn:aws:iam::123456789012:role/deploy", "roleSessionName": "s"}
			rec.ResponseElements = map[string]any{"credentials": map[string]any{"accessKeyId": fmt.Sprintf("ASIAISSUED%010d", i), "expiration": "2026-11-22T09:00:00Z"}}
		}
		if err := a.Audit(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// hook stands in for the server's authentication: it returns the caller,
// and an error to refuse it (with a caller: a denial by policy; without:
// an authentication failure).
type hook func(r *http.Request, body []byte) (request.Principal, error)

// pipeline is a request.Pipeline that authenticates with h, denies the
// callers h refused, and audits into aud.
func pipeline(h hook, aud request.Auditor) *request.Pipeline {
	return &request.Pipeline{Authenticator: hookAuthn(h), Authorizer: hookAuthz{}, Auditor: aud}
}

type hookAuthn hook

// refused is a caller the hook refused after authenticating it.
type refused struct{ request.Principal }

func (h hookAuthn) Authenticate(_ context.Context, req *request.AuthnRequest) (request.Principal, error) {
	p, err := h(req.HTTP, req.Body)
	switch {
	case err != nil && p == nil:
		return nil, err
	case err != nil:
		return refused{p}, nil
	}
	return p, nil
}

type hookAuthz struct{}

func (hookAuthz) Authorize(_ context.Context, req *request.AuthzRequest) (request.Decision, error) {
	_, no := req.Principal.(refused)
	return request.Decision{Allowed: !no, Reason: "no identity-based policy allows the cloudtrail:LookupEvents action"}, nil
}

// allowAll lets a caller of the trail's account in.
func allowAll(*http.Request, []byte) (request.Principal, error) {
	return &identity.Principal{Type: identity.IAMUser, Account: "123456789012", CallerARN: "arn:aws:iam::123456789012:user/auditor"}, nil
}

// TestLookupSeesOnlyTheCallersAccount: one Brevet may hold several
// accounts; a caller allowed cloudtrail:LookupEvents in another account
// sees none of this one's events, and a caller without an account is
// refused.
func TestLookupSeesOnlyTheCallersAccount(t *testing.T) {
	dir := trail(t, 3)
	for _, tt := range []struct {
		name     string
		p        request.Principal
		wantCode int
		wantBody string
	}{
		{"own account", &identity.Principal{Type: identity.IAMUser, Account: "123456789012", CallerARN: "arn:aws:iam::123456789012:user/a"}, 200, `"EventName":"GetCallerIdentity"`},
		{"other account", &identity.Principal{Type: identity.IAMUser, Account: "210987654321", CallerARN: "arn:aws:iam::210987654321:user/b"}, 200, `"Events":[]`},
		{"no account", nil, 400, "AccessDeniedException"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, err := lookup.NewHandler(lookup.Config{Dir: dir, Pipeline: pipeline(
				func(*http.Request, []byte) (request.Principal, error) { return tt.p, nil }, &recorder{})})
			if err != nil {
				t.Fatal(err)
			}
			code, b := call(t, h, `{}`)
			if code != tt.wantCode || !strings.Contains(string(b), tt.wantBody) {
				t.Errorf("got %d %s; want %d with %s", code, b, tt.wantCode, tt.wantBody)
			}
		})
	}
}

// recorder is an Auditor that keeps the records, or fails with err.
type recorder struct {
	mu   sync.Mutex
	err  error
	recs []*request.Record
}

func (a *recorder) Audit(_ context.Context, rec *request.Record) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.recs = append(a.recs, rec)
	return a.err
}

type lookupEvent struct {
	EventId, EventName, ReadOnly, AccessKeyId, EventSource, Username string
	EventTime                                                        float64
	Resources                                                        []struct{ ResourceType, ResourceName string }
	CloudTrailEvent                                                  string
}

type lookupResponse struct {
	Events    []lookupEvent
	NextToken string
}

func call(t *testing.T, h http.Handler, body string) (int, []byte) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("X-Amz-Target", lookup.Target)
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.Bytes()
}

func TestLookupPaginatesNewestFirst(t *testing.T) {
	h, err := lookup.NewHandler(lookup.Config{Dir: trail(t, 7), Pipeline: pipeline(allowAll, &recorder{})})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	token := ""
	for page := 0; page < 10; page++ {
		body := `{"MaxResults":3}`
		if token != "" {
			body = fmt.Sprintf(`{"MaxResults":3,"NextToken":%q}`, token)
		}
		code, b := call(t, h, body)
		if code != 200 {
			t.Fatalf("status %d: %s", code, b)
		}
		var resp lookupResponse
		if err := json.Unmarshal(b, &resp); err != nil {
			t.Fatal(err)
		}
		for _, e := range resp.Events {
			var ct audit.Event
			if err := json.Unmarshal([]byte(e.CloudTrailEvent), &ct); err != nil || ct.EventID != e.EventId {
				t.Fatalf("CloudTrailEvent %q does not decode to event %s: %v", e.CloudTrailEvent, e.EventId, err)
			}
			got = append(got, ct.RequestID)
		}
		if token = resp.NextToken; token == "" {
			break
		}
	}
	want := []string{"req-6", "req-5", "req-4", "req-3", "req-2", "req-1", "req-0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
}

func TestLookupFiltersAndErrors(t *testing.T) {
	h, _ := lookup.NewHandler(lookup.Config{Dir: trail(t, 7), Pipeline: pipeline(allowAll, &recorder{})})
	tests := []struct {
		body     string
		wantCode int
		wantType string // error __type, or the count of events as "n=K"
	}{
		{`{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"AssumeRole"}]}`, 200, "n=3"},
		{`{"LookupAttributes":[{"AttributeKey":"ReadOnly","AttributeValue":"true"}]}`, 200, "n=4"},
		{`{"LookupAttributes":[{"AttributeKey":"Username","AttributeValue":"alice"}]}`, 200, "n=7"},
		{`{"LookupAttributes":[{"AttributeKey":"AccessKeyId","AttributeValue":"AKIAALICE00000000001"}]}`, 200, "n=7"},
		{`{"LookupAttributes":[{"AttributeKey":"EventSource","AttributeValue":"iam.amazonaws.com"}]}`, 200, "n=0"},
		{`{"LookupAttributes":[{"AttributeKey":"ResourceType","AttributeValue":"AWS::IAM::AccessKey"}]}`, 200, "n=3"},
		{`{"LookupAttributes":[{"AttributeKey":"ResourceName","AttributeValue":"ASIAISSUED0000000003"}]}`, 200, "n=1"},
		{fmt.Sprintf(`{"StartTime":%d,"EndTime":%d}`, t0.Add(2*time.Second).Unix(), t0.Add(4*time.Second).Unix()), 200, "n=3"},
		{`{"EventCategory":"insight"}`, 200, "n=0"},
		{`{"LookupAttributes":[{"AttributeKey":"Colour","AttributeValue":"x"}]}`, 400, "InvalidLookupAttributesException"},
		{`{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"a"},{"AttributeKey":"EventName","AttributeValue":"b"}]}`, 400, "InvalidLookupAttributesException"},
		{`{"StartTime":200,"EndTime":100}`, 400, "InvalidTimeRangeException"},
		{`{"MaxResults":51}`, 400, "InvalidMaxResultsException"},
		{`{"NextToken":"bm9wZQ"}`, 400, "InvalidNextTokenException"},
		{`{"EventCategory":"data"}`, 400, "InvalidEventCategoryException"},
		{`{not json`, 400, "SerializationException"},
	}
	for _, tt := range tests {
		code, b := call(t, h, tt.body)
		var resp struct {
			Type   string `json:"__type"`
			Events []json.RawMessage
		}
		_ = json.Unmarshal(b, &resp)
		got := resp.Type
		if code == 200 {
			got = fmt.Sprintf("n=%d", len(resp.Events))
		}
		if code != tt.wantCode || got != tt.wantType {
			t.Errorf("%s: got %d %s, want %d %s", tt.body, code, got, tt.wantCode, tt.wantType)
		}
	}
}

func TestLookupCallsTheHook(t *testing.T) {
	deny := func(r *http.Request, body []byte) (request.Principal, error) {
		p, _ := allowAll(r, body)
		return p, errors.New("denied")
	}
	h, _ := lookup.NewHandler(lookup.Config{Dir: trail(t, 1), Pipeline: pipeline(deny, &recorder{})})
	want := "User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: cloudtrail:LookupEvents because no identity-based policy allows the cloudtrail:LookupEvents action"
	if code, b := call(t, h, `{}`); code != 400 || !strings.Contains(string(b), `"__type":"AccessDeniedException"`) || !strings.Contains(string(b), want) {
		t.Errorf("denied: got %d %s, want 400 AccessDeniedException %q", code, b, want)
	}
	if _, err := lookup.NewHandler(lookup.Config{Dir: "x"}); err == nil {
		t.Error("NewHandler without a Pipeline succeeded")
	}
	h, _ = lookup.NewHandler(lookup.Config{Dir: "x", Pipeline: pipeline(allowAll, &recorder{})})
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
	r.Header.Set("X-Amz-Target", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DeleteTrail")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 400 || !strings.Contains(w.Body.String(), "UnknownOperationException") {
		t.Errorf("other target: got %d %s", w.Code, w.Body)
	}
}

// TestAWSCLI drives the handler with the real AWS CLI: it must parse the
// events and follow NextToken across pages.
func TestAWSCLI(t *testing.T) {
	aws, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the aws CLI is required in CI")
		}
		t.Skip("aws CLI not installed")
	}
	var sawSigned atomic.Bool
	h, _ := lookup.NewHandler(lookup.Config{Dir: trail(t, 7), Pipeline: pipeline(func(r *http.Request, _ []byte) (request.Principal, error) {
		sawSigned.Store(strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "))
		// The server's hook verifies SigV4; this test accepts anything as
		// a caller of the trail's account.
		return allowAll(r, nil)
	}, &recorder{})})
	srv := httptest.NewServer(h)
	defer srv.Close()
	run := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(aws, append([]string{"cloudtrail", "lookup-events", "--endpoint-url", srv.URL, "--region", "us-east-1", "--output", "json"}, args...)...)
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "AWS_") {
				env = append(env, kv)
			}
		}
		cmd.Env = append(env, "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	var all struct{ Events []lookupEvent }
	if err := json.Unmarshal(run("--page-size", "2"), &all); err != nil {
		t.Fatal(err)
	}
	if len(all.Events) != 7 {
		t.Fatalf("the CLI collected %d events over pages of 2, want 7", len(all.Events))
	}
	if !sawSigned.Load() {
		t.Error("the hook did not see a SigV4-signed request")
	}
	first := all.Events[0]
	if first.EventName != "AssumeRole" || first.Username != "alice" || first.ReadOnly != "false" || first.EventTime != float64(t0.Add(6*time.Second).Unix()) {
		t.Errorf("newest event = %+v", first)
	}
	var filtered struct{ Events []lookupEvent }
	out := run("--lookup-attributes", "AttributeKey=EventName,AttributeValue=AssumeRole", "--start-time", t0.Add(time.Second).Format(time.RFC3339))
	if err := json.Unmarshal(out, &filtered); err != nil {
		t.Fatal(err)
	}
	if len(filtered.Events) != 2 {
		t.Errorf("filtered: %d events, want 2 (AssumeRole at +3s and +6s)", len(filtered.Events))
	}
}

// TestLookupIsAudited: every call, allowed or refused, is one audit record
// of cloudtrail LookupEvents naming the caller; a failing Auditor fails
// the call with ServiceUnavailable (auditing fails closed).
func TestLookupIsAudited(t *testing.T) {
	caller := &identity.Principal{Type: identity.IAMUser, Account: "123456789012", CallerARN: "arn:aws:iam::123456789012:user/bob"}
	denied := false
	rec := &recorder{}
	h, err := lookup.NewHandler(lookup.Config{Dir: trail(t, 3), Pipeline: pipeline(
		func(*http.Request, []byte) (request.Principal, error) {
			if denied {
				return caller, errors.New("denied")
			}
			return caller, nil
		}, rec)})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"AssumeRole"}],"MaxResults":5}`
	if code, b := call(t, h, body); code != 200 {
		t.Fatalf("allowed: %d %s", code, b)
	}
	denied = true
	if code, _ := call(t, h, `{}`); code != 400 {
		t.Fatalf("denied: %d", code)
	}
	if len(rec.recs) != 2 {
		t.Fatalf("%d audit records, want 2", len(rec.recs))
	}
	type summary struct {
		Service, Action, Caller, ErrorCode string
		Status                             int
	}
	var got []summary
	for _, r := range rec.recs {
		got = append(got, summary{r.Service, r.Action, r.Principal.ARN(), r.ErrorCode, r.Status})
		if r.Effect != request.ReadOnly {
			t.Errorf("record effect %v, want ReadOnly", r.Effect)
		}
	}
	want := []summary{
		{"cloudtrail", "LookupEvents", caller.CallerARN, "", 200},
		{"cloudtrail", "LookupEvents", caller.CallerARN, "AccessDeniedException", 400},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantParams := map[string]any{"lookupAttributes": []any{map[string]any{"attributeKey": "EventName", "attributeValue": "AssumeRole"}}, "maxResults": float64(5)}
	if diff := cmp.Diff(wantParams, rec.recs[0].RequestParameters); diff != "" {
		t.Errorf("requestParameters (-want +got):\n%s", diff)
	}
	e := audit.Converter{}.Convert(rec.recs[0], nil)
	if e.EventSource != "cloudtrail.amazonaws.com" || !e.ReadOnly || e.EventName != "LookupEvents" {
		t.Errorf("event: source %q, name %q, readOnly %v", e.EventSource, e.EventName, e.ReadOnly)
	}

	denied = false
	rec.err = errors.New("disk full")
	if code, b := call(t, h, `{}`); code != 503 || !strings.Contains(string(b), "ServiceUnavailable") {
		t.Errorf("audit failing: got %d %s, want 503 ServiceUnavailable", code, b)
	}
	if _, err := lookup.NewHandler(lookup.Config{Dir: "x", Pipeline: &request.Pipeline{Authenticator: hookAuthn(allowAll), Authorizer: hookAuthz{}}}); err == nil {
		t.Error("NewHandler without an Auditor succeeded")
	}
}
