package restjson_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/restjson"
	"github.com/google/go-cmp/cmp"
)

// exchange sends req to srv and checks the answer's status and
// x-amzn-ErrorType ("" for none); it returns the answer's header and body.
func exchange(t *testing.T, srv *httptest.Server, req *http.Request, wantStatus int, wantType string) (http.Header, []byte) {
	t.Helper()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != wantStatus {
		t.Fatalf("status = %d, want %d (%s)", resp.StatusCode, wantStatus, body)
	}
	if got := resp.Header.Get("x-amzn-ErrorType"); got != wantType {
		t.Errorf("x-amzn-ErrorType = %q, want %q (%s)", got, wantType, body)
	}
	return resp.Header, body
}

type caller string

func (c caller) ARN() string { return string(c) }

type allowAuthn struct{}

func (allowAuthn) Authenticate(context.Context, *request.AuthnRequest) (request.Principal, error) {
	return caller("arn:aws:iam::123456789012:user/ann"), nil
}

// denyPrefix denies every resource that starts with it.
type denyPrefix string

func (d denyPrefix) Authorize(_ context.Context, r *request.AuthzRequest) (request.Decision, error) {
	return request.Decision{Allowed: !strings.HasPrefix(r.Resource, string(d))}, nil
}

type records struct {
	mu   sync.Mutex
	recs []request.Record
}

func (a *records) Audit(_ context.Context, r *request.Record) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.recs = append(a.recs, *r)
	return nil
}

type thingInput struct {
	Name     string            `json:"-" path:"thingName"`
	PageSize *int32            `json:"-" query:"pageSize"`
	Verbose  bool              `json:"-" query:"verbose"`
	Thing    string            `json:"-" header:"x-amzn-iot-thingname"`
	Attrs    map[string]string `json:"attributes,omitempty"`
}

type thingOutput struct {
	ThingName string `json:"thingName"`
	PageSize  int32  `json:"pageSize,omitempty"`
	Header    string `json:"header,omitempty"`
	Attrs     int    `json:"attrs"`
}

func newServer(t *testing.T) (*httptest.Server, *restjson.Dispatcher, *records) {
	t.Helper()
	aud := &records{}
	d, err := restjson.New(restjson.Config{
		Pipeline:     &request.Pipeline{Authenticator: allowAuthn{}, Authorizer: denyPrefix("arn:aws:iot:us-east-1:123456789012:thing/secret"), Auditor: aud},
		MaxBodyBytes: 1024,
	})
	if err != nil {
		t.Fatal(err)
	}
	svc := d.Service(restjson.ServiceConfig{Name: "iot", Version: "2015-05-28", Errors: restjson.Errors{
		AccessDenied: "AccessDeniedException", Validation: "InvalidRequestException", Throttling: "ThrottlingException",
		Internal: "InternalFailureException", Unavailable: "ServiceUnavailableException",
	}})
	restjson.Register(svc, "POST", "/things/{thingName}", "CreateThing", restjson.Handler[thingInput, thingOutput]{
		Effect: request.Writes,
		Target: func(_ context.Context, r *restjson.Request[thingInput]) (request.Target, error) {
			return request.Target{Resource: "arn:aws:iot:us-east-1:123456789012:thing/" + r.Input.Name}, nil
		},
		Serve: func(_ context.Context, r *restjson.Request[thingInput]) (*thingOutput, error) {
			out := &thingOutput{ThingName: r.Input.Name, Header: r.Input.Thing, Attrs: len(r.Input.Attrs)}
			if r.Input.PageSize != nil {
				out.PageSize = *r.Input.PageSize
			}
			return out, nil
		},
		AuditResponse: true,
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !d.Handles(r) {
			http.Error(w, "next codec", http.StatusTeapot)
			return
		}
		d.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, d, aud
}

func TestDispatch(t *testing.T) {
	srv, _, aud := newServer(t)
	tests := []struct {
		name, method, path, body string
		header                   map[string]string
		wantStatus               int
		wantType, wantBody       string
	}{
		{name: "ok", method: "POST", path: "/things/lamp?pageSize=7", body: `{"attributes":{"a":"1","b":"2"}}`,
			header: map[string]string{"x-amzn-iot-thingname": "lamp"}, wantStatus: 200,
			wantBody: `{"thingName":"lamp","pageSize":7,"header":"lamp","attrs":2}`},
		{name: "no body", method: "POST", path: "/things/lamp", wantStatus: 200, wantBody: `{"thingName":"lamp","attrs":0}`},
		{name: "denied", method: "POST", path: "/things/secret", wantStatus: 403, wantType: "AccessDeniedException"},
		{name: "bad json", method: "POST", path: "/things/lamp", body: `{"attributes":`, wantStatus: 400, wantType: "InvalidRequestException"},
		{name: "wrong type", method: "POST", path: "/things/lamp", body: `{"attributes":[1]}`, wantStatus: 400, wantType: "InvalidRequestException",
			wantBody: `{"message":"Value at 'attributes' failed to satisfy constraint: Member must be of type map."}`},
		{name: "wrong member type", method: "POST", path: "/things/lamp", body: `{"attributes":{"a":1}}`, wantStatus: 400, wantType: "InvalidRequestException",
			wantBody: `{"message":"Value at 'attributes' failed to satisfy constraint: Member must be of type string."}`},
		{name: "bad query number", method: "POST", path: "/things/lamp?pageSize=x", wantStatus: 400, wantType: "InvalidRequestException"},
		{name: "repeated query", method: "POST", path: "/things/lamp?pageSize=1&pageSize=2", wantStatus: 400, wantType: "InvalidRequestException"},
		{name: "too large", method: "POST", path: "/things/lamp", body: `{"attributes":{"a":"` + strings.Repeat("x", 2000) + `"}}`, wantStatus: 400, wantType: "InvalidRequestException"},
		{name: "unknown path goes on", method: "POST", path: "/nothing", wantStatus: http.StatusTeapot},
		{name: "unclean path goes on", method: "POST", path: "/things/../things/lamp", wantStatus: http.StatusTeapot},
		{name: "other method goes on", method: "GET", path: "/things/lamp", wantStatus: http.StatusTeapot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			_, body := exchange(t, srv, req, tt.wantStatus, tt.wantType)
			if tt.wantBody != "" && string(body) != tt.wantBody {
				t.Errorf("body = %s, want %s", body, tt.wantBody)
			}
			if tt.wantType != "" && !strings.HasPrefix(string(body), `{"message":`) {
				t.Errorf("error body = %s, want a message", body)
			}
		})
	}
	aud.mu.Lock()
	defer aud.mu.Unlock()
	if len(aud.recs) != 9 {
		t.Fatalf("audited %d requests, want 9 (every request the codec served)", len(aud.recs))
	}
	first := aud.recs[0]
	if first.Service != "iot" || first.Action != "CreateThing" || first.Status != 200 {
		t.Errorf("record = %s %s %d", first.Service, first.Action, first.Status)
	}
	want := map[string]any{"attributes": map[string]any{"a": "1", "b": "2"}, "thingName": "lamp", "pageSize": int32(7), "x-amzn-iot-thingname": "lamp"}
	if d := cmp.Diff(want, first.RequestParameters); d != "" {
		t.Errorf("requestParameters (-want +got):\n%s", d)
	}
	if first.ResponseElements["thingName"] != "lamp" {
		t.Errorf("responseElements = %v", first.ResponseElements)
	}
	if r := aud.recs[2]; r.ErrorCode != "AccessDeniedException" || r.Status != 403 {
		t.Errorf("denied record = %s %d", r.ErrorCode, r.Status)
	}
}

type aliasInput struct {
	Name    string `json:"-" path:"name"`
	RoleArn string `json:"roleArn"`
}

// TestTargets checks that every target of an action is authorized: its
// Target and the further Targets (iam:PassRole on a role it passes).
func TestTargets(t *testing.T) {
	srv, d, _ := newServer(t)
	svc := d.Service(restjson.ServiceConfig{Name: "iot", Version: "2015-05-28", Errors: restjson.Errors{
		AccessDenied: "AccessDeniedException", Validation: "InvalidRequestException", Throttling: "ThrottlingException",
		Internal: "InternalFailureException", Unavailable: "ServiceUnavailableException",
	}})
	var passed []string
	restjson.Register(svc, "POST", "/aliases/{name}", "CreateRoleAlias", restjson.Handler[aliasInput, thingOutput]{
		Effect: request.Writes,
		Target: func(_ context.Context, r *restjson.Request[aliasInput]) (request.Target, error) {
			return request.Target{Resource: "arn:aws:iot:us-east-1:123456789012:rolealias/" + r.Input.Name}, nil
		},
		Targets: func(_ context.Context, r *restjson.Request[aliasInput]) ([]request.Target, error) {
			passed = append(passed, r.Input.RoleArn)
			return []request.Target{{Action: "iam:PassRole", Resource: r.Input.RoleArn}}, nil
		},
		Serve: func(context.Context, *restjson.Request[aliasInput]) (*thingOutput, error) { return &thingOutput{}, nil },
	})
	for _, tt := range []struct {
		name, path, role string
		want             int
	}{
		{"both allowed", "/aliases/a", "arn:aws:iam::123456789012:role/r", 200},
		{"the passed role denied", "/aliases/a", "arn:aws:iot:us-east-1:123456789012:thing/secret", 403},
	} {
		resp, err := srv.Client().Post(srv.URL+tt.path, "application/json", strings.NewReader(`{"roleArn":"`+tt.role+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: status = %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
	if len(passed) != 2 {
		t.Errorf("Targets called %d times, want 2", len(passed))
	}
}

type tokenInput struct {
	ClientID string `json:"clientId"`
	Secret   string `json:"clientSecret"`
}

// TestErrorBodyAndSensitive checks an error with its own body members
// (SSO OIDC's OAuth errors) and that Sensitive members are hidden in the
// audit record.
func TestErrorBodyAndSensitive(t *testing.T) {
	srv, d, aud := newServer(t)
	svc := d.Service(restjson.ServiceConfig{Name: "sso-oauth", Version: "2019-06-10", Errors: restjson.Errors{
		AccessDenied: "AccessDeniedException", Validation: "InvalidRequestException", Throttling: "SlowDownException",
		Internal: "InternalServerException", Unavailable: "InternalServerException",
	}})
	restjson.Register(svc, "POST", "/token", "CreateToken", restjson.Handler[tokenInput, thingOutput]{
		Effect: request.Writes, SkipAuthorization: "test", Sensitive: []string{"clientSecret"},
		Serve: func(context.Context, *restjson.Request[tokenInput]) (*thingOutput, error) {
			return nil, &restjson.Error{Code: "AuthorizationPendingException", Status: 400, Message: "pending",
				Body: map[string]string{"error": "authorization_pending", "error_description": "pending"}}
		},
	})
	resp, err := srv.Client().Post(srv.URL+"/token", "application/json", strings.NewReader(`{"clientId":"c","clientSecret":"s3cr3t"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got, want := string(body), `{"error":"authorization_pending","error_description":"pending"}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	if got := resp.Header.Get("x-amzn-ErrorType"); got != "AuthorizationPendingException" {
		t.Errorf("x-amzn-ErrorType = %q", got)
	}
	aud.mu.Lock()
	defer aud.mu.Unlock()
	want := map[string]any{"clientId": "c", "clientSecret": request.HiddenValue}
	if d := cmp.Diff(want, aud.recs[len(aud.recs)-1].RequestParameters); d != "" {
		t.Errorf("requestParameters (-want +got):\n%s", d)
	}
}
