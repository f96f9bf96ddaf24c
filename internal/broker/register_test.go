package broker

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/brevetapi"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
)

// The pipeline's authenticator, authorizer and auditor, in-test: the
// caller is fixed, every request allowed and recorded.
type fixedAuthn struct{ p *identity.Principal }

func (a fixedAuthn) Authenticate(context.Context, *request.AuthnRequest) (request.Principal, error) {
	return a.p, nil
}

type recordingAuthz struct{ got []*request.AuthzRequest }

func (a *recordingAuthz) Authorize(_ context.Context, r *request.AuthzRequest) (request.Decision, error) {
	a.got = append(a.got, r)
	return request.Decision{Allowed: true}, nil
}

type recordingAuditor struct{ recs []*request.Record }

func (a *recordingAuditor) Audit(_ context.Context, rec *request.Record) error {
	a.recs = append(a.recs, rec)
	return nil
}

type apiFixture struct {
	*fixture
	d       *awsquery.Dispatcher
	authz   *recordingAuthz
	auditor *recordingAuditor
}

func newAPIFixture(t *testing.T) *apiFixture {
	f := &apiFixture{fixture: newFixture(t), authz: &recordingAuthz{}, auditor: &recordingAuditor{}}
	d, err := awsquery.New(awsquery.Config{
		Pipeline:     &request.Pipeline{Authenticator: fixedAuthn{f.admin}, Authorizer: f.authz, Auditor: f.auditor},
		MaxBodyBytes: 1 << 20, ErrorMappers: []awsquery.ErrorMapper{WireError},
	})
	if err != nil {
		t.Fatal(err)
	}
	Register(d, f.s)
	f.d = d
	return f
}

// call posts a Brevet action and returns the response.
func (f *apiFixture) call(action string, params url.Values) *httptest.ResponseRecorder {
	params.Set("Action", action)
	params.Set("Version", brevetapi.Version)
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(params.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	w := httptest.NewRecorder()
	f.d.ServeHTTP(w, r)
	return w
}

func (f *apiFixture) lastAuthz(t *testing.T) *request.AuthzRequest {
	t.Helper()
	if len(f.authz.got) == 0 {
		t.Fatal("nothing was authorized")
	}
	return f.authz.got[len(f.authz.got)-1]
}

func (f *apiFixture) lastRecord(t *testing.T) *request.Record {
	t.Helper()
	if len(f.auditor.recs) == 0 {
		t.Fatal("nothing was audited")
	}
	return f.auditor.recs[len(f.auditor.recs)-1]
}

func TestRegisterUpstreamActions(t *testing.T) {
	base := moto.URL(t)
	f := newAPIFixture(t)
	user := uniqueName("brevet-api-")
	k := motoUser(t, base, user)
	w := f.call("CreateUpstreamAccount", url.Values{"UpstreamAccountId": {motoAccount}, "Mode": {"KEY"}, "StsEndpoint": {base},
		"IamEndpoint": {base}, "AccessKeyId": {k.AccessKeyID}, "SecretAccessKey": {k.SecretAccessKey}, "UserName": {user}})
	if w.Code != 200 || !strings.Contains(w.Body.String(), "<AccessKeyId>"+k.AccessKeyID+"</AccessKeyId>") {
		t.Fatalf("CreateUpstreamAccount = %d %s", w.Code, w.Body)
	}
	if a := f.lastAuthz(t); a.Action != "brevet:CreateUpstreamAccount" || a.Resource != UpstreamARN(acctA, motoAccount) {
		t.Fatalf("authorized %s on %s", a.Action, a.Resource)
	}
	checkNoSecret(t, f, w, k.SecretAccessKey)
	if rec := f.lastRecord(t); rec.Effect != request.Writes {
		t.Fatalf("CreateUpstreamAccount's effect = %v, want Writes", rec.Effect)
	}
	for _, c := range []struct {
		action string
		params url.Values
	}{
		{"GetUpstreamAccount", url.Values{"UpstreamAccountId": {motoAccount}}},
		{"UpdateUpstreamAccount", url.Values{"UpstreamAccountId": {motoAccount}, "Description": {"prod"}, "CacheCredentials": {"true"}}},
	} {
		w = f.call(c.action, c.params)
		if w.Code != 200 {
			t.Fatalf("%s = %d %s", c.action, w.Code, w.Body)
		}
		checkNoSecret(t, f, w, k.SecretAccessKey)
	}
	w = f.call("ListUpstreamAccounts", url.Values{})
	if a := f.lastAuthz(t); w.Code != 200 || a.Resource != "*" || !strings.Contains(w.Body.String(), motoAccount) {
		t.Fatalf("ListUpstreamAccounts = %d %s on %s", w.Code, w.Body, a.Resource)
	}
	checkNoSecret(t, f, w, k.SecretAccessKey)

	w = f.call("GetUpstreamSessionToken", url.Values{"UpstreamAccountId": {motoAccount}, "DurationSeconds": {"7200"}})
	if w.Code != 200 || !strings.Contains(w.Body.String(), "<SessionToken>") {
		t.Fatalf("GetUpstreamSessionToken = %d %s", w.Code, w.Body)
	}
	if a := f.lastAuthz(t); a.Action != "brevet:GetUpstreamSessionToken" || a.Resource != UpstreamARN(acctA, motoAccount) ||
		fmt.Sprint(a.Context["sts:DurationSeconds"]) != "[7200]" {
		t.Fatalf("authorized %s on %s with %v", a.Action, a.Resource, a.Context)
	}
	rec := f.lastRecord(t)
	if rec.Issued == nil || rec.Issued.Kind != KindSessionToken || rec.Issued.Upstream == nil || rec.Issued.Upstream.Account != motoAccount ||
		rec.Issued.Upstream.Action != ActionGetSessionToken || rec.Issued.Account != motoAccount {
		t.Fatalf("issued = %+v", rec.Issued)
	}
	w = f.call("GetUpstreamFederationToken", url.Values{"UpstreamAccountId": {motoAccount}, "Name": {"carol"},
		"PolicyArns.member.1.arn": {"arn:aws:iam::aws:policy/ReadOnlyAccess"}, "Tags.member.1.Key": {"team"}, "Tags.member.1.Value": {"blue"}})
	if w.Code != 200 || !strings.Contains(w.Body.String(), "federated-user/carol") {
		t.Fatalf("GetUpstreamFederationToken = %d %s", w.Code, w.Body)
	}
	if a := f.lastAuthz(t); fmt.Sprint(a.Context["sts:DurationSeconds"]) != "[43200]" {
		t.Fatalf("the default duration's condition key = %v", a.Context)
	}
	if rec := f.lastRecord(t); rec.Issued == nil || rec.Issued.Kind != KindFederationToken || rec.Issued.SessionName != "carol" {
		t.Fatalf("issued = %+v", rec.Issued)
	}

	arn := "arn:aws:iam::" + motoAccount + ":role/Deploy"
	trust := trustOf(f.ann.ARN())
	w = f.call("CreateBrokeredRole", url.Values{"RoleArn": {arn}, "AssumeRolePolicyDocument": {trust}, "MaxSessionDuration": {"7200"}})
	if w.Code != 200 || !strings.Contains(w.Body.String(), "<AssumeRolePolicyDocument>"+strings.ReplaceAll(url.QueryEscape(trust), "+", "%20")) {
		t.Fatalf("CreateBrokeredRole = %d %s", w.Code, w.Body)
	}
	if a := f.lastAuthz(t); a.Action != "brevet:CreateBrokeredRole" || a.Resource != arn || a.ResourceAccount != acctA {
		t.Fatalf("authorized %s on %s", a.Action, a.Resource)
	}
	if w = f.call("DeleteUpstreamAccount", url.Values{"UpstreamAccountId": {motoAccount}}); w.Code != 409 || !strings.Contains(w.Body.String(), "DeleteConflict") {
		t.Fatalf("DeleteUpstreamAccount with a role = %d %s", w.Code, w.Body)
	}
	if w = f.call("ListBrokeredRoles", url.Values{"UpstreamAccountId": {motoAccount}}); w.Code != 200 || !strings.Contains(w.Body.String(), arn) {
		t.Fatalf("ListBrokeredRoles = %d %s", w.Code, w.Body)
	}
	if w = f.call("RotateUpstreamKey", url.Values{"UpstreamAccountId": {motoAccount}}); w.Code != 200 || strings.Contains(w.Body.String(), k.AccessKeyID) {
		t.Fatalf("RotateUpstreamKey = %d %s", w.Code, w.Body)
	}
	checkNoSecret(t, f, w, k.SecretAccessKey)
	for _, step := range []struct{ action, param, value string }{
		{"DeleteBrokeredRole", "RoleArn", arn}, {"DeleteUpstreamAccount", "UpstreamAccountId", motoAccount},
	} {
		if w = f.call(step.action, url.Values{step.param: {step.value}}); w.Code != 200 {
			t.Fatalf("%s = %d %s", step.action, w.Code, w.Body)
		}
	}
	if w = f.call("GetUpstreamAccount", url.Values{"UpstreamAccountId": {motoAccount}}); w.Code != 404 || !strings.Contains(w.Body.String(), "NoSuchEntity") {
		t.Fatalf("GetUpstreamAccount after the delete = %d %s", w.Code, w.Body)
	}
	w = f.call("CreateUpstreamAccount", url.Values{"UpstreamAccountId": {motoAccount}, "Mode": {"OIDC"}, "AccessKeyId": {k.AccessKeyID}, "SecretAccessKey": {k.SecretAccessKey}})
	if w.Code != 400 || !strings.Contains(w.Body.String(), "ValidationError") {
		t.Fatalf("CreateUpstreamAccount in OIDC mode with a key = %d %s", w.Code, w.Body)
	}
	checkNoSecret(t, f, w, k.SecretAccessKey)
}

// checkNoSecret fails when the response or any audit record shows secret.
func checkNoSecret(t *testing.T, f *apiFixture, w *httptest.ResponseRecorder, secret string) {
	t.Helper()
	if strings.Contains(w.Body.String(), secret) {
		t.Fatalf("the response shows the secret: %s", w.Body)
	}
	for _, rec := range f.auditor.recs {
		b, err := json.Marshal(struct {
			Req, Resp map[string]any
			Msg       string
		}{rec.RequestParameters, rec.ResponseElements, rec.ErrorMessage})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), secret) || (rec.Err != nil && strings.Contains(rec.Err.Error(), secret)) {
			t.Fatalf("the audit record of %s shows the secret: %s", rec.Action, b)
		}
	}
}
