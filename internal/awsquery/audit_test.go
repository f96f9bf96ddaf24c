package awsquery_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/request"
)

// TestAuditHashesAssertions: a web identity token or SAML assertion
// reaches the audit record as "sha256:" and its hex digest, never as
// itself and not merely hidden, so an event can be matched to a token.
func TestAuditHashesAssertions(t *testing.T) {
	const token, assertion = "eyJhbGciOiJSUzI1NiJ9.secret-token.sig", "PHNhbWxwOlJlc3BvbnNlPg=="
	f := newFixture(t, nil)
	awsquery.Register(f.d, stsapi.AssumeRoleWithWebIdentity, awsquery.Handler[stsapi.AssumeRoleWithWebIdentityRequest, stsapi.AssumeRoleWithWebIdentityResponse]{
		Effect:            request.Writes,
		SkipAuthorization: "test: the trust policy is checked inside",
		Serve: func(context.Context, *awsquery.Request[stsapi.AssumeRoleWithWebIdentityRequest]) (*stsapi.AssumeRoleWithWebIdentityResponse, error) {
			return &stsapi.AssumeRoleWithWebIdentityResponse{}, nil
		},
	})
	awsquery.Register(f.d, stsapi.AssumeRoleWithSAML, awsquery.Handler[stsapi.AssumeRoleWithSAMLRequest, stsapi.AssumeRoleWithSAMLResponse]{
		Effect:            request.Writes,
		SkipAuthorization: "test: the trust policy is checked inside",
		Serve: func(context.Context, *awsquery.Request[stsapi.AssumeRoleWithSAMLRequest]) (*stsapi.AssumeRoleWithSAMLResponse, error) {
			return &stsapi.AssumeRoleWithSAMLResponse{}, nil
		},
	})
	tests := []struct {
		name, body, key, secret string
	}{
		{"web identity", url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"},
			"RoleArn": {"arn:aws:iam::123456789012:role/demo"}, "RoleSessionName": {"session"}, "WebIdentityToken": {token}}.Encode(),
			"webIdentityToken", token},
		{"saml", url.Values{"Action": {"AssumeRoleWithSAML"}, "Version": {"2011-06-15"},
			"RoleArn": {"arn:aws:iam::123456789012:role/demo"}, "PrincipalArn": {"arn:aws:iam::123456789012:saml-provider/idp"}, "SAMLAssertion": {assertion}}.Encode(),
			"sAMLAssertion", assertion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.auditor.recs = nil
			if w := f.post(tt.body); w.Code != http.StatusOK {
				t.Fatalf("status = %d, body %s", w.Code, w.Body)
			}
			rec := f.auditor.recs[0]
			sum := sha256.Sum256([]byte(tt.secret))
			want := "sha256:" + hex.EncodeToString(sum[:])
			got, ok := rec.RequestParameters[tt.key]
			if !ok {
				t.Fatalf("requestParameters has no %q: %v", tt.key, rec.RequestParameters)
			}
			if got != want {
				t.Errorf("requestParameters[%q] = %v, want %s", tt.key, got, want)
			}
			if got != awsquery.HashAssertion(tt.secret) {
				t.Errorf("HashAssertion disagrees with %v", got)
			}
		})
	}
}

// TestAuditRecordCarriesConnection: the record names the Host header and
// the TLS connection state, for the event's tlsDetails.
func TestAuditRecordCarriesConnection(t *testing.T) {
	f := newFixture(t, nil)
	for _, withTLS := range []bool{false, true} {
		f.auditor.recs = nil
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("X-Test-Principal", "arn:aws:iam::123456789012:user/Alice")
		r.Host = "sts.example.internal"
		var cs *tls.ConnectionState
		if withTLS {
			cs = &tls.ConnectionState{Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256}
		}
		r.TLS = cs
		f.d.ServeHTTP(httptest.NewRecorder(), r)
		rec := f.auditor.recs[0]
		if rec.Host != "sts.example.internal" || rec.TLS != cs {
			t.Errorf("tls=%v: record Host = %q, TLS = %v; want sts.example.internal, %v", withTLS, rec.Host, rec.TLS, cs)
		}
	}
}
