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

type poolInput struct {
	IdentityPoolId string `json:"IdentityPoolId"`
	MaxResults     int    `json:"MaxResults"`
}

type poolOutput struct {
	IdentityPoolId string `json:"IdentityPoolId"`
}

// newJSON11Server is newServer's dispatcher (the REST-JSON action
// CreateThing at POST /things/{thingName}) with a JSON 1.1 service
// beside it, its actions DescribeIdentityPool and DeleteIdentityPool
// under X-Amz-Target AWSCognitoIdentityService.
func newJSON11Server(t *testing.T) (*httptest.Server, *records) {
	t.Helper()
	srv, d, aud := newServer(t)
	svc := d.Service(restjson.ServiceConfig{Name: "cognito-identity", Version: "2014-06-30", TargetPrefix: "AWSCognitoIdentityService",
		Errors: restjson.Errors{AccessDenied: "AccessDeniedException", Validation: "InvalidParameterException", Throttling: "TooManyRequestsException",
			Internal: "InternalErrorException", Unavailable: "ServiceUnavailableException"}})
	for _, name := range []string{"DescribeIdentityPool", "DeleteIdentityPool"} {
		restjson.RegisterTarget(svc, name, restjson.Handler[poolInput, poolOutput]{
			Effect: request.Writes,
			Target: func(_ context.Context, r *restjson.Request[poolInput]) (request.Target, error) {
				return request.Target{Resource: "arn:aws:cognito-identity:us-east-1:123456789012:identitypool/" + r.Input.IdentityPoolId}, nil
			},
			Serve: func(_ context.Context, r *restjson.Request[poolInput]) (*poolOutput, error) {
				return &poolOutput{IdentityPoolId: r.Input.IdentityPoolId}, nil
			},
		})
	}
	return srv, aud
}

type json11Case struct {
	name, method, path, target, body string
	header                           map[string]string
	wantStatus                       int
	wantType                         string // x-amzn-ErrorType and __type; "" for a success
}

func (tt json11Case) run(t *testing.T, srv *httptest.Server) {
	t.Helper()
	method := tt.method
	if method == "" {
		method = http.MethodPost
	}
	path := tt.path
	if path == "" {
		path = "/"
	}
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(tt.body))
	if tt.target != "" {
		req.Header.Set("X-Amz-Target", tt.target)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	for k, v := range tt.header {
		req.Header.Set(k, v)
	}
	header, body := exchange(t, srv, req, tt.wantStatus, tt.wantType)
	if tt.wantType == "" || tt.wantStatus == http.StatusTeapot {
		return
	}
	if ct := header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		t.Errorf("Content-Type = %q, want application/x-amz-json-1.1", ct)
	}
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Type != tt.wantType || e.Message == "" {
		t.Errorf("body = %s, want __type %s and a message", body, tt.wantType)
	}
}

// TestJSON11TargetMustBeSigned: the X-Amz-Target header names a JSON 1.1
// action, so a signature that leaves it out does not say which action
// it allows: whoever holds such a request could replay its body under
// another action (a DescribeIdentityPool's as a DeleteIdentityPool).
// Every AWS SDK signs it; a request that does not is refused before
// anything runs.
func TestJSON11TargetMustBeSigned(t *testing.T) {
	srv, aud := newJSON11Server(t)
	const cred = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/cognito-identity/aws4_request, "
	const sig = ", Signature=" + "0000000000000000000000000000000000000000000000000000000000000000"
	body := `{"IdentityPoolId":"us-east-1:1"}`
	for _, tt := range []json11Case{
		{name: "target signed", target: "AWSCognitoIdentityService.DeleteIdentityPool", body: body,
			header: map[string]string{"Authorization": cred + "SignedHeaders=content-type;host;x-amz-date;x-amz-target" + sig}, wantStatus: 200},
		{name: "target signed, upper case", target: "AWSCognitoIdentityService.DeleteIdentityPool", body: body,
			header: map[string]string{"Authorization": cred + "SignedHeaders=host;X-Amz-Target" + sig}, wantStatus: 200},
		{name: "target not signed", target: "AWSCognitoIdentityService.DeleteIdentityPool", body: body,
			header: map[string]string{"Authorization": cred + "SignedHeaders=content-type;host;x-amz-date" + sig}, wantStatus: 400, wantType: "IncompleteSignatureException"},
		{name: "presigned without the target", target: "AWSCognitoIdentityService.DeleteIdentityPool", body: body,
			path:       "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20260101%2Fus-east-1%2Fcognito-identity%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=0000000000000000000000000000000000000000000000000000000000000000",
			wantStatus: 400, wantType: "IncompleteSignatureException"},
		{name: "unsigned", target: "AWSCognitoIdentityService.DeleteIdentityPool", body: body, wantStatus: 200},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, srv) })
	}
	aud.mu.Lock()
	defer aud.mu.Unlock()
	for _, r := range aud.recs {
		if r.ErrorCode == "IncompleteSignatureException" && r.Action != "DeleteIdentityPool" {
			t.Errorf("refusal audited as %q, want DeleteIdentityPool", r.Action)
		}
	}
}

// TestJSON11Routing: what reaches a JSON 1.1 action, what goes on to the
// next codec, and that every refusal of a JSON 1.1 request is a JSON 1.1
// error (__type, its content type), never a 500.
func TestJSON11Routing(t *testing.T) {
	srv, _ := newJSON11Server(t)
	const describe = "AWSCognitoIdentityService.DescribeIdentityPool"
	for _, tt := range []json11Case{
		{name: "ok", target: describe, body: `{"IdentityPoolId":"us-east-1:1"}`, wantStatus: 200},
		{name: "empty body", target: describe, wantStatus: 200},
		{name: "null body", target: describe, body: `null`, wantStatus: 200},
		{name: "null member", target: describe, body: `{"IdentityPoolId":null}`, wantStatus: 200},
		{name: "unknown member", target: describe, body: `{"IdentityPoolId":"x","Nope":{"a":[1,2]}}`, wantStatus: 200},
		{name: "number for a string", target: describe, body: `{"IdentityPoolId":5}`, wantStatus: 400, wantType: "InvalidParameterException"},
		{name: "string for a number", target: describe, body: `{"MaxResults":"5"}`, wantStatus: 400, wantType: "InvalidParameterException"},
		{name: "huge number", target: describe, body: `{"MaxResults":1e999}`, wantStatus: 400, wantType: "InvalidParameterException"},
		{name: "a list body", target: describe, body: `[]`, wantStatus: 400, wantType: "InvalidParameterException"},
		{name: "deeply nested", target: describe, body: `{"Nope":` + strings.Repeat("[", 500) + strings.Repeat("]", 500) + `}`, wantStatus: 200},
		{name: "unbalanced nesting", target: describe, body: strings.Repeat("[", 1000), wantStatus: 400, wantType: "InvalidParameterException"},
		{name: "a Query body", target: describe, body: `Action=AssumeRole&Version=2011-06-15`, wantStatus: 400, wantType: "InvalidParameterException"},
		{name: "too large", target: describe, body: `{"IdentityPoolId":"` + strings.Repeat("x", 2000) + `"}`, wantStatus: 400, wantType: "InvalidParameterException"},
		{name: "unknown action", target: "AWSCognitoIdentityService.Nope", wantStatus: 400, wantType: "UnknownOperationException"},
		{name: "the prefix alone", target: "AWSCognitoIdentityService", wantStatus: 400, wantType: "UnknownOperationException"},
		{name: "another path", path: "/things/lamp", target: describe, wantStatus: 400, wantType: "UnknownOperationException"},
		{name: "GET", method: "GET", target: describe, wantStatus: 400, wantType: "InvalidAction"},
		{name: "unknown prefix goes on", target: "DynamoDB_20120810.ListTables", body: `{}`, wantStatus: http.StatusTeapot},
		{name: "CloudTrail's prefix goes on", target: "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents", body: `{}`, wantStatus: http.StatusTeapot},
		// A REST-JSON action is named by its method and path: a stray
		// X-Amz-Target of no JSON 1.1 service here changes nothing.
		{name: "REST-JSON path, unknown target", path: "/things/lamp", target: "DynamoDB_20120810.ListTables", body: `{}`, wantStatus: 200},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, srv) })
	}
}
