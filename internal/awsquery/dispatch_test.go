package awsquery_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

type testPrincipal string

func (p testPrincipal) ARN() string { return string(p) }

// testAuthn authenticates by a header, standing in for SigV4.
type testAuthn struct{ err error }

func (a testAuthn) Authenticate(_ context.Context, r *request.AuthnRequest) (request.Principal, error) {
	if a.err != nil {
		return nil, a.err
	}
	if r.Operation.Unsigned && r.HTTP.Header.Get("X-Test-Principal") == "" {
		return testPrincipal("anonymous"), nil
	}
	return testPrincipal(r.HTTP.Header.Get("X-Test-Principal")), nil
}

type testAuthz struct {
	allow    bool
	explicit bool
	encoded  string
	got      []*request.AuthzRequest
}

func (a *testAuthz) Authorize(_ context.Context, r *request.AuthzRequest) (request.Decision, error) {
	a.got = append(a.got, r)
	if a.allow {
		return request.Decision{Allowed: true}, nil
	}
	if a.explicit {
		return request.Decision{Reason: "an explicit deny in an identity-based policy", ExplicitDeny: true, EncodedMessage: a.encoded}, nil
	}
	return request.Decision{Reason: "no identity-based policy allows the " + r.Action + " action", EncodedMessage: a.encoded}, nil
}

type testAuditor struct {
	err  error
	recs []*request.Record
}

func (a *testAuditor) Audit(_ context.Context, rec *request.Record) error {
	a.recs = append(a.recs, rec)
	return a.err
}

type fixture struct {
	d       *awsquery.Dispatcher
	authz   *testAuthz
	auditor *testAuditor
	// assumeRoleErr, when set, is what the AssumeRole handler returns.
	assumeRoleErr error
}

var fixedNow = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

func newFixture(t testing.TB, authnErr error) *fixture {
	t.Helper()
	return newLimitedFixture(t, authnErr, nil)
}

// newLimitedFixture is newFixture with a Limiter on the pipeline.
func newLimitedFixture(t testing.TB, authnErr error, lim request.Limiter) *fixture {
	t.Helper()
	f := &fixture{authz: &testAuthz{allow: true}, auditor: &testAuditor{}}
	d, err := awsquery.New(awsquery.Config{
		Pipeline:     &request.Pipeline{Authenticator: testAuthn{err: authnErr}, Authorizer: f.authz, Auditor: f.auditor, Limiter: lim},
		Clock:        func() time.Time { return fixedNow },
		MaxBodyBytes: 4096,
		NewRequestID: func() string { return goldenRequestID },
	})
	if err != nil {
		t.Fatal(err)
	}
	awsquery.Register(d, stsapi.AssumeRole, awsquery.Handler[stsapi.AssumeRoleRequest, stsapi.AssumeRoleResponse]{
		Effect: request.Writes,
		Target: func(_ context.Context, r *awsquery.Request[stsapi.AssumeRoleRequest]) (request.Target, error) {
			return request.Target{Resource: r.Input.RoleArn}, nil
		},
		Serve: func(_ context.Context, r *awsquery.Request[stsapi.AssumeRoleRequest]) (*stsapi.AssumeRoleResponse, error) {
			if f.assumeRoleErr != nil {
				return nil, f.assumeRoleErr
			}
			if r.Now != fixedNow {
				t.Errorf("Request.Now = %v, want %v", r.Now, fixedNow)
			}
			return assumeRoleResponse(), nil
		},
	})
	awsquery.Register(d, stsapi.GetCallerIdentity, awsquery.Handler[stsapi.GetCallerIdentityRequest, stsapi.GetCallerIdentityResponse]{
		Effect:            request.ReadOnly,
		SkipAuthorization: "AWS allows GetCallerIdentity to every authenticated caller",
		Serve: func(_ context.Context, r *awsquery.Request[stsapi.GetCallerIdentityRequest]) (*stsapi.GetCallerIdentityResponse, error) {
			return &stsapi.GetCallerIdentityResponse{Arn: r.Principal.ARN()}, nil
		},
	})
	awsquery.Register(d, iamapi.DeleteUser, awsquery.Handler[iamapi.DeleteUserRequest, awsquery.Empty]{
		Effect: request.Writes,
		Target: func(_ context.Context, r *awsquery.Request[iamapi.DeleteUserRequest]) (request.Target, error) {
			return request.Target{Resource: "arn:aws:iam::123456789012:user/" + r.Input.UserName}, nil
		},
		Serve: func(context.Context, *awsquery.Request[iamapi.DeleteUserRequest]) (*awsquery.Empty, error) {
			return &awsquery.Empty{}, nil
		},
	})
	f.d = d
	return f
}

func (f *fixture) post(body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	r.Header.Set("X-Test-Principal", "arn:aws:iam::123456789012:user/Alice")
	w := httptest.NewRecorder()
	f.d.ServeHTTP(w, r)
	return w
}

func wantErrorResponse(t *testing.T, w *httptest.ResponseRecorder, status int, ns, code, msg string) {
	t.Helper()
	if w.Code != status {
		t.Errorf("status = %d, want %d", w.Code, status)
	}
	want := string(awsquery.AppendError(nil, ns, &awsquery.Error{Code: &awsquery.Code{Name: code, Sender: status < 500}, Message: msg}, goldenRequestID))
	if got := w.Body.String(); got != want {
		t.Errorf("body:\n got %s\nwant %s", got, want)
	}
	checkHeaders(t, w)
}

func checkHeaders(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if got := w.Header().Get("Content-Type"); got != "text/xml" {
		t.Errorf("Content-Type = %q, want text/xml", got)
	}
	if got := w.Header().Get("x-amzn-RequestId"); got != goldenRequestID {
		t.Errorf("x-amzn-RequestId = %q, want %q", got, goldenRequestID)
	}
}

func TestDispatchAssumeRole(t *testing.T) {
	f := newFixture(t, nil)
	w := f.post(assumeRoleBody())
	if w.Code != 200 {
		t.Fatalf("status = %d, body %s", w.Code, w.Body)
	}
	checkHeaders(t, w)
	v := stsapi.AssumeRole.EncodeOutput(assumeRoleResponse())
	if got, want := w.Body.String(), string(awsquery.AppendResponse(nil, stsapi.AssumeRole.Info(), &v, goldenRequestID)); got != want {
		t.Errorf("body:\n got %s\nwant %s", got, want)
	}
	if len(f.authz.got) != 1 {
		t.Fatalf("Authorize called %d times, want 1", len(f.authz.got))
	}
	az := f.authz.got[0]
	if az.Action != "sts:AssumeRole" || az.Resource != "arn:aws:iam::123456789012:role/demo" || az.Principal.ARN() != "arn:aws:iam::123456789012:user/Alice" {
		t.Errorf("AuthzRequest = %+v", az)
	}
	if len(f.auditor.recs) != 1 {
		t.Fatalf("audit records = %d, want 1", len(f.auditor.recs))
	}
	rec := f.auditor.recs[0]
	if rec.Action != "AssumeRole" || rec.Service != "sts" || rec.Status != 200 || rec.ErrorCode != "" || rec.RequestID != goldenRequestID {
		t.Errorf("audit record = %+v", rec)
	}
	wantParams := map[string]any{
		"roleArn": "arn:aws:iam::123456789012:role/demo", "roleSessionName": "alice@example.com",
		"durationSeconds": int64(3600), "policy": assumeRolePolicy,
		"tags": []any{map[string]any{"key": "Project", "value": "Unicorn"}, map[string]any{"key": "Team", "value": "Automation"}},
	}
	if diff := cmp.Diff(wantParams, rec.RequestParameters); diff != "" {
		t.Errorf("requestParameters (-want +got):\n%s", diff)
	}
	creds := rec.ResponseElements["credentials"].(map[string]any)
	if got := creds["secretAccessKey"]; got != request.HiddenValue {
		t.Errorf("audited secretAccessKey = %v, want it hidden", got)
	}
}

func TestDispatchErrors(t *testing.T) {
	const sts = "https://sts.amazonaws.com/doc/2011-06-15/"
	const iam = "https://iam.amazonaws.com/doc/2010-05-08/"
	tests := []struct {
		name      string
		authnErr  error
		deny      bool
		explicit  bool
		encoded   string
		handleErr error
		body      string
		status    int
		ns        string
		code, msg string
	}{
		{name: "unknown action", body: "Action=Frobnicate&Version=2011-06-15",
			status: 400, ns: sts, code: "InvalidAction", msg: "Could not find operation Frobnicate for version 2011-06-15"},
		{name: "action of another version", body: "Action=DeleteUser&Version=2011-06-15",
			status: 400, ns: sts, code: "InvalidAction", msg: "Could not find operation DeleteUser for version 2011-06-15"},
		{name: "missing version", body: "Action=AssumeRole",
			status: 400, ns: sts, code: "InvalidAction", msg: "Could not find operation AssumeRole for version NO_VERSION_SPECIFIED"},
		{name: "missing action", body: "Version=2010-05-08",
			status: 400, ns: iam, code: "MissingAction", msg: "Missing Action"},
		{name: "bad signature", authnErr: &sigv4.Error{Kind: sigv4.KindSignatureDoesNotMatch, Message: "The request signature we calculated does not match the signature you provided."},
			body: "Action=GetCallerIdentity&Version=2011-06-15", status: 403, ns: sts, code: "SignatureDoesNotMatch",
			msg: "The request signature we calculated does not match the signature you provided."},
		{name: "expired token", authnErr: &sigv4.Error{Kind: sigv4.KindExpiredToken, Message: "The security token included in the request is expired"},
			body: "Action=DeleteUser&Version=2010-05-08&UserName=bob", status: 403, ns: iam, code: "ExpiredToken",
			msg: "The security token included in the request is expired"},
		{name: "validation", body: "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s1",
			status: 400, ns: sts, code: "ValidationError", msg: "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null"},
		{name: "denied", deny: true, body: "Action=DeleteUser&Version=2010-05-08&UserName=bob",
			status: 403, ns: iam, code: "AccessDenied",
			msg: "User: arn:aws:iam::123456789012:user/Alice is not authorized to perform: iam:DeleteUser on resource: arn:aws:iam::123456789012:user/bob because no identity-based policy allows the iam:DeleteUser action"},
		{name: "denied with encoded message", deny: true, encoded: "c2VhbGVk", body: "Action=DeleteUser&Version=2010-05-08&UserName=bob",
			status: 403, ns: iam, code: "AccessDenied",
			msg: "User: arn:aws:iam::123456789012:user/Alice is not authorized to perform: iam:DeleteUser on resource: arn:aws:iam::123456789012:user/bob because no identity-based policy allows the iam:DeleteUser action. Encoded authorization failure message: c2VhbGVk"},
		{name: "explicit deny", deny: true, explicit: true, encoded: "c2VhbGVk", body: "Action=DeleteUser&Version=2010-05-08&UserName=bob",
			status: 403, ns: iam, code: "AccessDenied",
			msg: "User: arn:aws:iam::123456789012:user/Alice is not authorized to perform: iam:DeleteUser on resource: arn:aws:iam::123456789012:user/bob with an explicit deny in an identity-based policy. Encoded authorization failure message: c2VhbGVk"},
		{name: "domain error", handleErr: errors.Join(errors.New("context"), &policy.MalformedError{Message: "Syntax errors in policy."}),
			body: assumeRoleBody(), status: 400, ns: sts, code: "MalformedPolicyDocument", msg: "Syntax errors in policy."},
		{name: "unmapped error", handleErr: errors.New("database is on fire at 10.0.0.7"),
			body: assumeRoleBody(), status: 500, ns: sts, code: "InternalFailure", msg: "An internal error occurred. Please try again."},
		{name: "body too large", body: "Action=GetCallerIdentity&Version=2011-06-15&Pad=" + strings.Repeat("x", 5000),
			status: 413, ns: sts, code: "RequestEntityTooLarge", msg: "The request body exceeds the limit of 4096 bytes."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.authnErr)
			f.authz.allow = !tt.deny
			f.authz.encoded = tt.encoded
			f.authz.explicit = tt.explicit
			f.assumeRoleErr = tt.handleErr
			w := f.post(tt.body)
			wantErrorResponse(t, w, tt.status, tt.ns, tt.code, tt.msg)
			if len(f.auditor.recs) != 1 {
				t.Fatalf("audit records = %d, want 1", len(f.auditor.recs))
			}
			if rec := f.auditor.recs[0]; rec.ErrorCode != tt.code || rec.Status != tt.status {
				t.Errorf("audited %s/%d, want %s/%d", rec.ErrorCode, rec.Status, tt.code, tt.status)
			}
		})
	}
}

// TestDispatchClientGone: an action that fails because its client hung
// up (the request's context ended) is not an internal failure: it answers
// ServiceUnavailable, audited as such, while the same error from a
// context of the action's own (the client still there) stays a 500.
func TestDispatchClientGone(t *testing.T) {
	for _, tt := range []struct {
		name     string
		gone     bool
		status   int
		code     string
		errField error
	}{
		{name: "client hung up", gone: true, status: 503, code: "ServiceUnavailable", errField: fmt.Errorf("hosts: %w", context.Canceled)},
		{name: "client deadline", gone: true, status: 503, code: "ServiceUnavailable", errField: fmt.Errorf("hosts: %w", context.DeadlineExceeded)},
		{name: "action's own deadline", gone: false, status: 500, code: "InternalFailure", errField: fmt.Errorf("hosts: %w", context.DeadlineExceeded)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.assumeRoleErr = tt.errField
			ctx, cancel := context.WithCancel(context.Background())
			if tt.gone {
				cancel()
			}
			defer cancel()
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(assumeRoleBody())).WithContext(ctx)
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			r.Header.Set("X-Test-Principal", "arn:aws:iam::123456789012:user/Alice")
			w := httptest.NewRecorder()
			f.d.ServeHTTP(w, r)
			if w.Code != tt.status || !strings.Contains(w.Body.String(), "<Code>"+tt.code+"</Code>") {
				t.Fatalf("answer = %d %s, want %d %s", w.Code, w.Body, tt.status, tt.code)
			}
			if len(f.auditor.recs) != 1 || f.auditor.recs[0].ErrorCode != tt.code {
				t.Fatalf("audited %+v, want one record with %s", f.auditor.recs, tt.code)
			}
		})
	}
}

func TestDispatchAuditFailureFailsClosed(t *testing.T) {
	f := newFixture(t, nil)
	f.auditor.err = errors.New("disk full")
	w := f.post("Action=GetCallerIdentity&Version=2011-06-15")
	wantErrorResponse(t, w, 503, stsapi.Service.Namespace, "ServiceUnavailable", "Service is unavailable. Please try again later.")
}

func TestDispatchGetWithQueryString(t *testing.T) {
	f := newFixture(t, nil)
	r := httptest.NewRequest(http.MethodGet, "/?Action=GetCallerIdentity&Version=2011-06-15", nil)
	r.Header.Set("X-Test-Principal", "arn:aws:iam::123456789012:user/Alice")
	w := httptest.NewRecorder()
	f.d.ServeHTTP(w, r)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "<Arn>arn:aws:iam::123456789012:user/Alice</Arn>") {
		t.Errorf("GET GetCallerIdentity = %d %s", w.Code, w.Body)
	}
}

func TestDispatchNoOutputAction(t *testing.T) {
	f := newFixture(t, nil)
	w := f.post("Action=DeleteUser&Version=2010-05-08&UserName=bob")
	want := `<DeleteUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata><RequestId>` + goldenRequestID + `</RequestId></ResponseMetadata></DeleteUserResponse>`
	if w.Code != 200 || w.Body.String() != want {
		t.Errorf("DeleteUser = %d %s, want 200 %s", w.Code, w.Body, want)
	}
}

// Register refuses a handler that leaves its authorization or its effect
// undeclared: no action can skip either by omission.
func TestRegisterRequiresDeclarations(t *testing.T) {
	serve := func(context.Context, *awsquery.Request[stsapi.GetSessionTokenRequest]) (*stsapi.GetSessionTokenResponse, error) {
		return nil, nil
	}
	target := func(context.Context, *awsquery.Request[stsapi.GetSessionTokenRequest]) (request.Target, error) {
		return request.Target{Resource: "*"}, nil
	}
	for name, h := range map[string]awsquery.Handler[stsapi.GetSessionTokenRequest, stsapi.GetSessionTokenResponse]{
		"neither Target nor SkipAuthorization": {Effect: request.ReadOnly, Serve: serve},
		"both Target and SkipAuthorization":    {Effect: request.ReadOnly, Serve: serve, Target: target, SkipAuthorization: "x"},
		"no Effect":                            {Serve: serve, Target: target},
		"no Serve":                             {Effect: request.ReadOnly, Target: target},
	} {
		d, err := awsquery.New(awsquery.Config{Pipeline: &request.Pipeline{Authenticator: testAuthn{}, Authorizer: &testAuthz{}, Auditor: &testAuditor{}}})
		if err != nil {
			t.Fatal(err)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register with %s did not panic", name)
				}
			}()
			awsquery.Register(d, stsapi.GetSessionToken, h)
		}()
	}
}

func TestNewRequiresInterfaces(t *testing.T) {
	if _, err := awsquery.New(awsquery.Config{}); err == nil {
		t.Error("New with no Authenticator, Authorizer or Auditor succeeded")
	}
}

func TestToWireSigV4Kinds(t *testing.T) {
	tests := []struct {
		kind sigv4.Kind
		code *awsquery.Code
	}{
		{sigv4.KindIncompleteSignature, awsquery.CodeIncompleteSignature},
		{sigv4.KindSignatureDoesNotMatch, awsquery.CodeSignatureDoesNotMatch},
		{sigv4.KindInvalidClientTokenID, awsquery.CodeInvalidClientTokenID},
		{sigv4.KindExpiredToken, awsquery.CodeExpiredToken},
		{sigv4.KindMissingAuthenticationToken, awsquery.CodeMissingAuthenticationToken},
		{sigv4.KindAccessDenied, awsquery.CodeAccessDenied},
		{sigv4.KindRequestExpired, awsquery.CodeSignatureDoesNotMatch},
		{sigv4.KindInvalidScope, awsquery.CodeSignatureDoesNotMatch},
		{sigv4.KindContentSHA256Mismatch, awsquery.CodeSignatureDoesNotMatch},
		{sigv4.KindIncompleteBody, awsquery.CodeSignatureDoesNotMatch},
		{sigv4.KindBadDigest, awsquery.CodeSignatureDoesNotMatch},
	}
	for _, tt := range tests {
		got, unmapped := awsquery.ToWire(&sigv4.Error{Kind: tt.kind, Message: "m"})
		if unmapped || got.Code != tt.code || got.Message != "m" {
			t.Errorf("ToWire(%v) = %v (unmapped %v), want %s", tt.kind, got, unmapped, tt.code.Name)
		}
	}
	got, _ := awsquery.ToWire(&policy.LimitError{Quota: policy.QuotaManagedPolicy, Message: "Cannot exceed quota for PolicySize: 6144"})
	if got.Code != awsquery.CodeLimitExceeded || got.Code.Status != 409 {
		t.Errorf("policy.LimitError → %v, want LimitExceeded 409", got)
	}
	mapper := func(err error) *awsquery.Error {
		if errors.Is(err, errTestNotFound) {
			return awsquery.CodeNoSuchEntity.New("not found")
		}
		return nil
	}
	if got, _ := awsquery.ToWire(errTestNotFound, mapper); got.Code != awsquery.CodeNoSuchEntity {
		t.Errorf("mapped = %v, want NoSuchEntity", got)
	}
}

var errTestNotFound = errors.New("not found")
