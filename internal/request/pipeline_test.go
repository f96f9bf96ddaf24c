package request_test

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/request"
)

type caller string

func (c caller) ARN() string { return string(c) }

// steps records the order in which the pipeline ran its steps, and fails
// the one named in fail.
type steps struct {
	ran    []string
	fail   string
	allow  bool
	target bool // the call names a target
	issue  bool // the action reports an issuance
	panics bool
}

func (s *steps) step(name string) error {
	s.ran = append(s.ran, name)
	if s.fail == name {
		return errors.New(name + " failed")
	}
	return nil
}

func (s *steps) Authenticate(_ context.Context, req *request.AuthnRequest) (request.Principal, error) {
	if req.Operation == nil || string(req.Body) != "body" {
		return nil, errors.New("the authenticator did not get the routed operation and the body")
	}
	return caller("arn:aws:iam::123456789012:user/alice"), s.step("authenticate")
}

func (s *steps) Authorize(_ context.Context, req *request.AuthzRequest) (request.Decision, error) {
	if req.Action != "sts:AssumeRole" || req.Resource != "arn:aws:iam::123456789012:role/r" || req.SourceIP != "192.0.2.1" {
		return request.Decision{}, errors.New("the authorizer got the wrong request")
	}
	return request.Decision{Allowed: s.allow, Reason: "no identity-based policy allows the sts:AssumeRole action"}, s.step("authorize")
}

func (s *steps) CheckPrincipal(_ context.Context, p request.Principal, _ time.Time) error {
	if p == nil || p.ARN() != "arn:aws:iam::123456789012:user/alice" {
		return errors.New("the principal check did not get the authenticated principal")
	}
	return s.step("check")
}

func (s *steps) Commit(context.Context, *request.Exchange) error { return s.step("commit") }

func (s *steps) Audit(_ context.Context, rec *request.Record) error { return s.step("audit") }

func (s *steps) Observe(_ context.Context, rec *request.Record) {
	s.ran = append(s.ran, "observe "+rec.ErrorCode)
}

// call is a codec's part.
type call struct{ s *steps }

var op = &request.Operation{Service: "sts", Version: "2011-06-15", Name: "AssumeRole", Action: "sts:AssumeRole", Effect: request.IssuesCredentials}

func (c call) Route(_ context.Context, x *request.Exchange) error {
	x.Op, x.Body = op, []byte("body")
	return c.s.step("route")
}

func (c call) Decode(context.Context, *request.Exchange) error { return c.s.step("decode") }

func (c call) Target(context.Context, *request.Exchange) (request.Target, bool, error) {
	return request.Target{Resource: "arn:aws:iam::123456789012:role/r"}, c.s.target, c.s.step("target")
}

func (c call) Act(_ context.Context, x *request.Exchange) error {
	if c.s.panics {
		panic("boom")
	}
	if c.s.issue {
		x.Issue(request.Issuance{Kind: "AssumeRole", AccessKeyID: "ASIANEW", Expires: time.Now().Add(time.Hour)})
	}
	return c.s.step("act")
}

func run(s *steps) (*request.Exchange, error, error) {
	p := &request.Pipeline{Authenticator: s, Principals: s, Authorizer: s, Committers: []request.Committer{s}, Auditor: s,
		Observers: []request.Observer{s}}
	x := &request.Exchange{}
	r := httptest.NewRequest("POST", "/", nil)
	r.RemoteAddr = "192.0.2.1:4242"
	x.Begin(r, "rid", time.Now())
	err := p.Run(context.Background(), x, call{s})
	var rec request.Record
	code := ""
	if err != nil {
		code = "Failed"
	}
	x.Record(&rec, time.Now(), err, 200, code, "")
	return x, err, p.Finish(context.Background(), &rec)
}

// TestPipelineSteps: the steps run in order, each once (the principal
// check right after authentication, also for an action that authorizes
// itself); the first failure
// stops the request before the action, except that the audit and the
// observers always run; a commit step's failure fails the request closed.
func TestPipelineSteps(t *testing.T) {
	all := []string{"route", "authenticate", "check", "decode", "target", "authorize", "act", "commit", "audit", "observe "}
	for _, tc := range []struct {
		name    string
		s       steps
		want    []string
		wantErr string
	}{
		{"allowed", steps{allow: true, target: true, issue: true}, all, ""},
		{"no target: the action authorizes itself", steps{target: false, issue: true},
			[]string{"route", "authenticate", "check", "decode", "target", "act", "commit", "audit", "observe "}, ""},
		{"denied", steps{allow: false, target: true, issue: true},
			[]string{"route", "authenticate", "check", "decode", "target", "authorize", "audit", "observe Failed"},
			"User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/r because no identity-based policy allows the sts:AssumeRole action"},
		{"authentication fails", steps{fail: "authenticate", allow: true, target: true},
			[]string{"route", "authenticate", "audit", "observe Failed"}, "authenticate failed"},
		{"the caller's principal is gone", steps{fail: "check", allow: true, target: true},
			[]string{"route", "authenticate", "check", "audit", "observe Failed"}, "check failed"},
		{"routing fails", steps{fail: "route"}, []string{"route", "audit", "observe Failed"}, "route failed"},
		{"decoding fails", steps{fail: "decode", allow: true, target: true},
			[]string{"route", "authenticate", "check", "decode", "audit", "observe Failed"}, "decode failed"},
		{"commit fails closed", steps{fail: "commit", allow: true, target: true, issue: true},
			[]string{"route", "authenticate", "check", "decode", "target", "authorize", "act", "commit", "audit", "observe Failed"}, "commit failed"},
		{"an issuing action that reports nothing fails closed", steps{allow: true, target: true, issue: false},
			[]string{"route", "authenticate", "check", "decode", "target", "authorize", "act", "audit", "observe Failed"}, "recorded no issuance"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			x, err, ferr := run(&s)
			if diff := cmp.Diff(tc.want, s.ran); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
			if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
			if ferr != nil {
				t.Errorf("Finish: %v", ferr)
			}
			if x.Succeeded != (tc.wantErr == "") {
				t.Errorf("Succeeded = %v with error %v", x.Succeeded, err)
			}
		})
	}
}

// A failed audit is the request's failure: Finish returns it, and the
// observers see ServiceUnavailable, what the client is sent.
func TestPipelineAuditFailsClosed(t *testing.T) {
	s := steps{fail: "audit", allow: true, target: true, issue: true}
	_, err, ferr := run(&s)
	if err != nil || ferr == nil {
		t.Fatalf("Run %v, Finish %v; want the audit's failure from Finish", err, ferr)
	}
	if got := s.ran[len(s.ran)-1]; got != "observe "+request.CodeServiceUnavailable {
		t.Errorf("the observer saw %q, want ServiceUnavailable", got)
	}
}

// TestFinishOutlivesTheClient: a client that hung up after its request
// changed state still gets its event on the trail; the auditor sees a
// live context that keeps the request's values.
func TestFinishOutlivesTheClient(t *testing.T) {
	ctx, cancel := context.WithCancel(request.WithRequestID(t.Context(), "rid-1"))
	cancel()
	var aud ctxAuditor
	p := &request.Pipeline{Authenticator: &steps{}, Authorizer: &steps{}, Auditor: &aud}
	if err := p.Finish(ctx, &request.Record{RequestID: "rid-1"}); err != nil {
		t.Fatalf("Finish after the client went: %v", err)
	}
	if aud.err != nil || aud.id != "rid-1" || !aud.deadline {
		t.Errorf("auditor saw ctx err %v, request id %q, deadline %v; want a live context with the request's id and a deadline", aud.err, aud.id, aud.deadline)
	}
}

type ctxAuditor struct {
	err      error
	id       string
	deadline bool
}

func (a *ctxAuditor) Audit(ctx context.Context, _ *request.Record) error {
	a.err, a.id = ctx.Err(), request.IDFromContext(ctx)
	_, a.deadline = ctx.Deadline()
	return ctx.Err()
}

// A panic in a step is the request's error, not the process's end.
func TestPipelinePanicIsAnError(t *testing.T) {
	s := steps{panics: true, allow: true, target: true}
	_, err, _ := run(&s)
	if err == nil || !strings.Contains(err.Error(), "panic: boom") {
		t.Errorf("error %v, want the panic", err)
	}
}

// The record carries the issuance only when the request succeeded.
func TestRecordCarriesTheIssuance(t *testing.T) {
	s := steps{allow: true, target: true, issue: true}
	x, _, _ := run(&s)
	var rec request.Record
	x.Record(&rec, time.Now(), nil, 200, "", "")
	if rec.Issued == nil || rec.Issued.AccessKeyID != "ASIANEW" || rec.Effect != request.IssuesCredentials || rec.Action != "AssumeRole" {
		t.Errorf("record %+v", rec)
	}
	s = steps{fail: "commit", allow: true, target: true, issue: true}
	x, _, _ = run(&s)
	x.Record(&rec, time.Now(), errors.New("x"), 503, "ServiceUnavailable", "")
	if rec.Issued != nil {
		t.Error("a failed request's record names an issuance")
	}
}

func TestPipelineCheck(t *testing.T) {
	if err := (&request.Pipeline{}).Check(); err == nil {
		t.Error("an empty pipeline passed Check")
	}
	var nilPipeline *request.Pipeline
	if err := nilPipeline.Check(); err == nil {
		t.Error("a nil pipeline passed Check")
	}
}

// multiCall is a call whose request needs several authorizations.
type multiCall struct {
	call
	targets []request.Target
}

func (c multiCall) Targets(context.Context, *request.Exchange) ([]request.Target, error) {
	return c.targets, c.s.step("targets")
}

// recordingAuthz allows every action but the one named in deny, and
// records the questions it was asked.
type recordingAuthz struct {
	deny  string
	asked []string
}

func (a *recordingAuthz) Authorize(_ context.Context, req *request.AuthzRequest) (request.Decision, error) {
	a.asked = append(a.asked, req.Action+" "+req.Resource+" "+req.ResourceAccount)
	return request.Decision{Allowed: req.Action != a.deny}, nil
}

// TestPipelineMultiTarget: a MultiTarget call has every target authorized,
// each with its own action (the operation's when unset) and resource
// account, and the first denial stops the request with that action named.
func TestPipelineMultiTarget(t *testing.T) {
	targets := []request.Target{
		{Action: "s3:GetObject", Resource: "arn:aws:s3:::src/a", ResourceAccount: "111111111111"},
		{Resource: "arn:aws:s3:::dst/b"},
		{Action: "s3:PutObjectTagging", Resource: "arn:aws:s3:::dst/b"},
	}
	tests := []struct {
		deny      string
		wantAsked int
		wantErr   string
	}{
		{deny: "", wantAsked: 3},
		{deny: "s3:GetObject", wantAsked: 1, wantErr: "s3:GetObject"},
		{deny: "sts:AssumeRole", wantAsked: 2, wantErr: "sts:AssumeRole"},
	}
	for _, tt := range tests {
		s := &steps{issue: true}
		az := &recordingAuthz{deny: tt.deny}
		p := &request.Pipeline{Authenticator: s, Authorizer: az, Auditor: s}
		x := &request.Exchange{}
		r := httptest.NewRequest("PUT", "/", nil)
		x.Begin(r, "rid", time.Now())
		err := p.Run(context.Background(), x, multiCall{call{s}, targets})
		if len(az.asked) != tt.wantAsked {
			t.Errorf("deny %q: asked %q, want %d questions", tt.deny, az.asked, tt.wantAsked)
		}
		if len(az.asked) > 0 && az.asked[0] != "s3:GetObject arn:aws:s3:::src/a 111111111111" {
			t.Errorf("first question = %q", az.asked[0])
		}
		var denied *request.AccessDeniedError
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("deny %q: err = %v", tt.deny, err)
		case tt.wantErr != "" && (!errors.As(err, &denied) || denied.Action != tt.wantErr):
			t.Errorf("deny %q: err = %v, want AccessDenied for %s", tt.deny, err, tt.wantErr)
		case tt.wantErr != "" && slices.Contains(s.ran, "act"):
			t.Errorf("deny %q: the action ran after a denial", tt.deny)
		}
	}
}

// streamAuthn replaces the stream with a verifying reader, as authn does.
type streamAuthn struct{ steps }

func (a *streamAuthn) Authenticate(_ context.Context, req *request.AuthnRequest) (request.Principal, error) {
	if req.Stream == nil {
		return nil, errors.New("no stream")
	}
	req.Stream = io.MultiReader(strings.NewReader("verified:"), req.Stream)
	return caller("arn:aws:iam::123456789012:user/alice"), nil
}

// streamCall leaves the body unread and reads it in Act.
type streamCall struct {
	call
	got *string
}

func (c streamCall) Route(_ context.Context, x *request.Exchange) error {
	x.Op, x.Stream = op, strings.NewReader("data")
	return nil
}

func (c streamCall) Act(_ context.Context, x *request.Exchange) error {
	b, err := io.ReadAll(x.Stream)
	*c.got = string(b)
	x.Issue(request.Issuance{Kind: "AssumeRole", AccessKeyID: "ASIANEW", Expires: time.Now().Add(time.Hour)})
	return err
}

// TestPipelineStream: the action reads a streamed body through the
// Authenticator's verifying reader, never around it.
func TestPipelineStream(t *testing.T) {
	a := &streamAuthn{}
	p := &request.Pipeline{Authenticator: a, Authorizer: &a.steps, Auditor: &a.steps}
	x := &request.Exchange{}
	x.Begin(httptest.NewRequest("PUT", "/", nil), "rid", time.Now())
	var got string
	if err := p.Run(context.Background(), x, streamCall{call{&a.steps}, &got}); err != nil {
		t.Fatal(err)
	}
	if got != "verified:data" {
		t.Errorf("the action read %q, want %q", got, "verified:data")
	}
}
