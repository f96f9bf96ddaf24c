package restjson_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/restjson"
)

// fuzzInput has the shapes of Cognito Identity's inputs: strings, a
// number, a pointer to a bool, lists, maps of strings and of structures.
type fuzzInput struct {
	IdentityPoolId string            `json:"IdentityPoolId"`
	MaxResults     int               `json:"MaxResults"`
	Allow          *bool             `json:"AllowUnauthenticatedIdentities"`
	Providers      []string          `json:"OpenIdConnectProviderARNs"`
	Logins         map[string]string `json:"Logins"`
	RoleMappings   map[string]struct {
		Type               string `json:"Type"`
		RulesConfiguration *struct {
			Rules []struct {
				Claim, MatchType, Value, RoleARN string
			} `json:"Rules"`
		} `json:"RulesConfiguration"`
	} `json:"RoleMappings"`
}

// FuzzJSON11Decode drives RegisterTarget's path (routing by X-Amz-Target,
// the bounded body, the JSON decoding, the audit record of the input, the
// output's encoding) with arbitrary targets and bodies: never a 500 nor
// a panic, and every refusal a JSON 1.1 error whose __type is its
// x-amzn-ErrorType.
func FuzzJSON11Decode(f *testing.F) {
	d, err := restjson.New(restjson.Config{
		Pipeline:     &request.Pipeline{Authenticator: allowAuthn{}, Authorizer: denyPrefix("arn:aws:cognito-identity:us-east-1:123456789012:identitypool/deny"), Auditor: &discardAudit{}},
		MaxBodyBytes: 4096,
	})
	if err != nil {
		f.Fatal(err)
	}
	svc := d.Service(restjson.ServiceConfig{Name: "cognito-identity", Version: "2014-06-30", TargetPrefix: "AWSCognitoIdentityService",
		Errors: restjson.Errors{AccessDenied: "AccessDeniedException", Validation: "InvalidParameterException", Throttling: "TooManyRequestsException",
			Internal: "InternalErrorException", Unavailable: "ServiceUnavailableException"}})
	restjson.RegisterTarget(svc, "Echo", restjson.Handler[fuzzInput, fuzzInput]{
		Effect: request.Writes, Sensitive: []string{"Logins"}, AuditResponse: true,
		Target: func(_ context.Context, r *restjson.Request[fuzzInput]) (request.Target, error) {
			return request.Target{Resource: "arn:aws:cognito-identity:us-east-1:123456789012:identitypool/" + r.Input.IdentityPoolId}, nil
		},
		Serve: func(_ context.Context, r *restjson.Request[fuzzInput]) (*fuzzInput, error) { return r.Input, nil },
	})
	for _, seed := range []struct{ target, body string }{
		{"AWSCognitoIdentityService.Echo", `{"IdentityPoolId":"us-east-1:1","MaxResults":3,"AllowUnauthenticatedIdentities":true}`},
		{"AWSCognitoIdentityService.Echo", `{"Logins":{"accounts.google.com":"eyJ"},"RoleMappings":{"p":{"Type":"Rules","RulesConfiguration":{"Rules":[{"Claim":"c"}]}}}}`},
		{"AWSCognitoIdentityService.Echo", `{"IdentityPoolId":"deny"}`},
		{"AWSCognitoIdentityService.Echo", `{"MaxResults":"1","Logins":null,"OpenIdConnectProviderARNs":[1]}`},
		{"AWSCognitoIdentityService.Echo", ``},
		{"AWSCognitoIdentityService.Nope", `{}`},
		{"AWSCognitoIdentityService", `[[[`},
		{"AWSCognitoIdentityService.Echo", `{"IdentityPoolId":"\ud800"}`},
	} {
		f.Add(seed.target, seed.body)
	}
	f.Fuzz(func(t *testing.T, target, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", target)
		if !d.Handles(req) {
			return
		}
		w := httptest.NewRecorder()
		d.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("status %d for %q %q: %s", w.Code, target, body, w.Body)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("body is not JSON for %q %q: %s", target, body, w.Body)
		}
		if w.Code == http.StatusOK {
			return
		}
		var e struct {
			Type string `json:"__type"`
		}
		_ = json.Unmarshal(w.Body.Bytes(), &e)
		if e.Type == "" || e.Type != w.Header().Get("x-amzn-ErrorType") || w.Header().Get("Content-Type") != "application/x-amz-json-1.1" {
			t.Fatalf("error %d for %q %q: %s %q %s, want a JSON 1.1 error", w.Code, target, body,
				w.Header().Get("x-amzn-ErrorType"), w.Header().Get("Content-Type"), w.Body)
		}
	})
}

type discardAudit struct{}

func (discardAudit) Audit(context.Context, *request.Record) error { return nil }
