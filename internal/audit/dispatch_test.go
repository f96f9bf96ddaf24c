package audit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
)

// The secrets the STS handlers below hand out or receive; none may reach
// the trail.
const (
	issuedSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzISSUEDSECRET"
	issuedToken  = "FQoGZXIvYXdzEHAaDIssuedSessionTokenForTheAuditTest+/="
	webToken     = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhdWRpdC10ZXN0In0.c2lnbmF0dXJl"
	issuedKey    = "ASIAAUDITTESTISSUED1"
)

// headerAuthn stands in for SigV4: X-Test-Key names the access key, and
// the issued key authenticates as the assumed-role session.
type headerAuthn struct{}

func (headerAuthn) Authenticate(_ context.Context, r *request.AuthnRequest) (request.Principal, error) {
	switch r.HTTP.Header.Get("X-Test-Key") {
	case issuedKey:
		return rolePrincipal(issuedKey), nil
	case "":
		return &identity.Principal{Type: identity.Unknown}, nil
	}
	return userPrincipal(), nil
}

type allowAll struct{}

func (allowAll) Authorize(context.Context, *request.AuthzRequest) (request.Decision, error) {
	return request.Decision{Allowed: true}, nil
}

func stsDispatcher(t *testing.T, aud request.Auditor) http.Handler {
	t.Helper()
	d, err := awsquery.New(awsquery.Config{Pipeline: &request.Pipeline{Authenticator: headerAuthn{}, Authorizer: allowAll{}, Auditor: aud}})
	if err != nil {
		t.Fatal(err)
	}
	creds := func() *stsapi.Credentials {
		return &stsapi.Credentials{AccessKeyId: issuedKey, SecretAccessKey: issuedSecret, SessionToken: issuedToken, Expiration: t0.Add(time.Hour)}
	}
	awsquery.Register(d, stsapi.AssumeRole, awsquery.Handler[stsapi.AssumeRoleRequest, stsapi.AssumeRoleResponse]{
		Effect: request.Writes,
		Target: func(_ context.Context, r *awsquery.Request[stsapi.AssumeRoleRequest]) (request.Target, error) {
			return request.Target{Resource: r.Input.RoleArn}, nil
		},
		Serve: func(context.Context, *awsquery.Request[stsapi.AssumeRoleRequest]) (*stsapi.AssumeRoleResponse, error) {
			return &stsapi.AssumeRoleResponse{Credentials: creds()}, nil
		},
	})
	awsquery.Register(d, stsapi.AssumeRoleWithWebIdentity, awsquery.Handler[stsapi.AssumeRoleWithWebIdentityRequest, stsapi.AssumeRoleWithWebIdentityResponse]{
		Effect:            request.Writes,
		SkipAuthorization: "the role's trust policy decides, inside the action",
		Serve: func(context.Context, *awsquery.Request[stsapi.AssumeRoleWithWebIdentityRequest]) (*stsapi.AssumeRoleWithWebIdentityResponse, error) {
			return &stsapi.AssumeRoleWithWebIdentityResponse{Credentials: creds()}, nil
		},
	})
	awsquery.Register(d, stsapi.GetCallerIdentity, awsquery.Handler[stsapi.GetCallerIdentityRequest, stsapi.GetCallerIdentityResponse]{
		Effect:            request.ReadOnly,
		SkipAuthorization: "always allowed",
		Serve: func(_ context.Context, r *awsquery.Request[stsapi.GetCallerIdentityRequest]) (*stsapi.GetCallerIdentityResponse, error) {
			return &stsapi.GetCallerIdentityResponse{Arn: r.Principal.ARN()}, nil
		},
	})
	return d
}

func post(t *testing.T, h http.Handler, key string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	form.Set("Version", "2011-06-15")
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if key != "" {
		r.Header.Set("X-Test-Key", key)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestThroughTheDispatcher audits real dispatcher records: one event per
// request, none carrying a secret, issuance linked to use, and a failing
// trail failing the request.
func TestThroughTheDispatcher(t *testing.T) {
	dir := t.TempDir()
	fs := &faults{}
	a := openTest(t, dir, func(o *audit.Options) { o.OpenFile = fs.open })
	h := stsDispatcher(t, a)

	w := post(t, h, "AKIAEXAMPLEALICE0001", url.Values{"Action": {"AssumeRole"},
		"RoleArn": {"arn:aws:iam::123456789012:role/deploy"}, "RoleSessionName": {"ci"}})
	if w.Code != 200 || !strings.Contains(w.Body.String(), issuedSecret) {
		t.Fatalf("AssumeRole: %d %s", w.Code, w.Body)
	}
	post(t, h, issuedKey, url.Values{"Action": {"GetCallerIdentity"}})
	if w := post(t, h, "", url.Values{"Action": {"AssumeRoleWithWebIdentity"},
		"RoleArn": {"arn:aws:iam::123456789012:role/web"}, "RoleSessionName": {"web"}, "WebIdentityToken": {webToken}}); w.Code != 200 {
		t.Errorf("AssumeRoleWithWebIdentity: %d %s", w.Code, w.Body)
	}
	post(t, h, "AKIAEXAMPLEALICE0001", url.Values{"Action": {"AssumeRole"}}) // invalid: audited too

	fs.sync.Store(true)
	if w := post(t, h, "AKIAEXAMPLEALICE0001", url.Values{"Action": {"GetCallerIdentity"}}); w.Code != http.StatusServiceUnavailable {
		t.Errorf("request with a failing trail: %d, want 503", w.Code)
	}
	fs.sync.Store(false)
	waitReady(t, a)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	if err := audit.ScanForSecrets(dir, []string{issuedSecret, issuedToken, webToken}); err != nil {
		t.Error(err)
	}
	var names []string
	var issuer string
	err := audit.WalkEvents(dir, func(_ uint64, e *audit.Event) error {
		names = append(names, e.EventName+"/"+e.ErrorCode)
		if e.EventName == "AssumeRole" && e.ErrorCode == "" {
			issuer = e.EventID
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(names, " "), "AssumeRole/ GetCallerIdentity/ AssumeRoleWithWebIdentity/ AssumeRole/ValidationError"; got != want {
		t.Errorf("events = %s\nwant     %s", got, want)
	}
	var used []string
	err = audit.Search(dir, audit.Filter{IssuedBy: issuer}, func(_ uint64, e *audit.Event) error {
		used = append(used, e.EventName)
		return nil
	})
	if err != nil || strings.Join(used, " ") != "GetCallerIdentity" {
		t.Errorf("issued-by: %v, %v; want the GetCallerIdentity made with the issued key", used, err)
	}
	if _, err := audit.Verify(dir, audit.VerifyOptions{PublicKey: testKey().Public()}); err != nil {
		t.Error(err)
	}
}
