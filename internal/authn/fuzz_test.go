package authn_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// FuzzAuthenticate throws arbitrary Authorization headers and session
// tokens at the authenticator: it must never panic, and every failure must
// be an authentication error with an AWS code, never an internal one.
func FuzzAuthenticate(f *testing.F) {
	fx := newFixture(f)
	f.Add("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261122/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=00", "")
	f.Add("AWS4-HMAC-SHA256 Credential=ASIAIOSFODNN7EXAMPLE/20261122/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=00", "AQp0a0ZMNERUN0pLcgTd")
	f.Add("AWS4-HMAC-SHA256 Credential="+fx.keyID+"/20261122/eu-west-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature="+strings.Repeat("a", 64), "")
	f.Add("AWS4-ECDSA-P256-SHA256 Credential="+fx.keyID+"/20261122/sts/aws4_request, SignedHeaders=host;x-amz-date;x-amz-region-set, Signature=3045", "")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, authorization, token string) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(gci))
		r.Host = "brevet.test"
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("X-Amz-Date", "20261122T080000Z")
		r.Header.Set("X-Amz-Region-Set", "eu-west-1")
		if authorization != "" {
			r.Header["Authorization"] = []string{authorization}
		}
		if token != "" {
			r.Header["X-Amz-Security-Token"] = []string{token}
		}
		_, err := fx.a.Authenticate(context.Background(), &request.AuthnRequest{
			HTTP: r, Body: []byte(gci), Operation: opOf(stsapi.GetCallerIdentity.Info()), Now: now})
		if err == nil {
			return
		}
		var se *sigv4.Error
		if !errors.As(err, &se) {
			t.Fatalf("not an authentication error: %v", err)
		}
		if we, unmapped := awsquery.ToWire(err); unmapped || we.Code.Name == "InternalFailure" {
			t.Fatalf("maps to %v", we)
		}
	})
}
