package awsquery_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
)

// TestInvoke: an in-process request takes the same pipeline as one from
// the network (authorized, audited once) and returns the typed output,
// or the wire error a client would get; a request that names another
// action than the caller expects returns no output.
func TestInvoke(t *testing.T) {
	req := func(body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		r.Header.Set("X-Test-Principal", "arn:aws:iam::123456789012:user/Alice")
		return r
	}
	tests := []struct {
		name     string
		body     string
		allow    bool
		wantCode string
		wantARN  string
	}{
		{name: "allowed", body: "Action=GetCallerIdentity&Version=2011-06-15", allow: true, wantARN: "arn:aws:iam::123456789012:user/Alice"},
		{name: "another action", body: "Action=DeleteUser&Version=2010-05-08&UserName=bob", allow: true, wantCode: "InvalidAction"},
		{name: "invalid input", body: "Action=GetCallerIdentity&Version=2011-06-15&Junk=1", allow: true, wantCode: "InvalidQueryParameter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.authz.allow = tc.allow
			out, id, werr := awsquery.Invoke(f.d, req(tc.body), stsapi.GetCallerIdentity)
			if id == "" {
				t.Error("no request id")
			}
			if len(f.auditor.recs) != 1 {
				t.Fatalf("audit records = %d, want 1", len(f.auditor.recs))
			}
			switch {
			case tc.wantCode != "":
				if werr == nil || werr.Code.Name != tc.wantCode || out != nil {
					t.Fatalf("Invoke = %v, %v; want %s", out, werr, tc.wantCode)
				}
			case werr != nil:
				t.Fatalf("Invoke: %v", werr)
			case out.Arn != tc.wantARN:
				t.Errorf("Arn = %q, want %q", out.Arn, tc.wantARN)
			}
		})
	}
	t.Run("denied", func(t *testing.T) {
		f := newFixture(t, nil)
		f.authz.allow = false
		out, _, werr := awsquery.Invoke(f.d, req("Action=DeleteUser&Version=2010-05-08&UserName=bob"), iamapi.DeleteUser)
		if werr == nil || werr.Code.Name != "AccessDenied" || out != nil {
			t.Fatalf("Invoke = %v, %v; want AccessDenied", out, werr)
		}
		if rec := f.auditor.recs[0]; rec.ErrorCode != "AccessDenied" || rec.Action != "DeleteUser" {
			t.Errorf("audit record = %+v", rec)
		}
	})
}
