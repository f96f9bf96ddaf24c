package sts_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/authz/authztest"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/sigv4"
	"github.com/brevet-dev/brevet/internal/sts"
)

// BenchmarkAssumeRoleDispatch is AssumeRole end to end through the
// dispatcher (no network): form parsing, SigV4 verification with a cached
// key, the trust and identity evaluation for a cached principal, minting
// and sealing the token, and the XML response. One signed request is
// replayed (SigV4 has no replay protection within its 15-minute window).
func BenchmarkAssumeRoleDispatch(b *testing.B) {
	e := newEnv(b)
	alice := e.user(acct, "alice", authztest.Allow("*", "sts:AssumeRole"))
	roleARN := e.role(acct, "app", authztest.Trust(acct), 0, authztest.Allow("*", "iam:Get*"))
	form := url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {roleARN}, "RoleSessionName": {"bench"}}
	serve := e.signedServe(b, sigv4.Credentials{AccessKeyID: alice.AccessKeyID, SecretAccessKey: alice.SecretAccessKey}, form)
	serve() // warm the key, principal and role caches
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		serve()
	}
}

// signedServe signs one request with creds and returns a function that
// replays it through the dispatcher and fails b unless it succeeds.
func (e *env) signedServe(b *testing.B, creds sigv4.Credentials, form url.Values) func() {
	body := []byte(form.Encode())
	sreq := sigv4.Request{Method: http.MethodPost, Path: "/", Host: "example.com", Body: body,
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}}
	signer := &sigv4.Signer{Credentials: creds}
	must(b, signer.Sign(&sreq, sigv4.SignOptions{Region: "us-east-1", Service: "sts", Time: time.Now()}))
	return func() {
		r := httptest.NewRequest(http.MethodPost, "http://example.com/", bytes.NewReader(body))
		r.Header = sreq.Header
		w := httptest.NewRecorder()
		e.d.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkGetCallerIdentityDispatch is GetCallerIdentity end to end
// through the dispatcher (no network), signed with a user's long-term key
// (cached) and with temporary credentials (a session token opened on every
// request): the cheapest signed call, so mostly the protocol's and
// SigV4's share of a request.
func BenchmarkGetCallerIdentityDispatch(b *testing.B) {
	e := newEnv(b)
	alice := e.user(acct, "alice", authztest.Allow("*", "sts:AssumeRole"))
	roleARN := e.role(acct, "app", authztest.Trust(acct), 0)
	out, err := e.sts(alice).AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("bench")})
	must(b, err)
	session := sigv4.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretAccessKey, SessionToken: *out.Credentials.SessionToken}
	form := url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}
	for _, tt := range []struct {
		name  string
		creds sigv4.Credentials
	}{
		{"long-term", sigv4.Credentials{AccessKeyID: alice.AccessKeyID, SecretAccessKey: alice.SecretAccessKey}},
		{"session", session},
	} {
		b.Run(tt.name, func(b *testing.B) {
			serve := e.signedServe(b, tt.creds, form)
			serve() // warm the key cache
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				serve()
			}
		})
	}
}

// BenchmarkAssumeRoleService is the action alone: validation, the trust
// and identity evaluation, minting and sealing.
func BenchmarkAssumeRoleService(b *testing.B) {
	e := newEnv(b)
	e.user(acct, "alice", authztest.Allow("*", "sts:AssumeRole"))
	roleARN := e.role(acct, "app", authztest.Trust(acct), 0)
	u, err := e.st.Users().Get(ctx, acct, "alice")
	must(b, err)
	p := &identity.Principal{Type: identity.IAMUser, Account: acct, CallerARN: u.ARN(), PrincipalID: u.ID,
		AccessKeyID: "AKIAEXAMPLE", UserName: u.Name, UserID: u.ID}
	in := &stsapi.AssumeRoleRequest{RoleArn: roleARN, RoleSessionName: "bench"}
	f := authz.Facts{Now: time.Now(), SourceIP: "192.0.2.1"}
	if _, err := e.svc.AssumeRole(ctx, p, in, f); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.svc.AssumeRole(ctx, p, in, f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetSessionTokenService is minting alone: GetSessionToken does
// no policy evaluation, so this is the cost of a new access key id, secret
// and sealed token.
func BenchmarkGetSessionTokenService(b *testing.B) {
	e := newEnv(b)
	e.user(acct, "alice")
	u, err := e.st.Users().Get(ctx, acct, "alice")
	must(b, err)
	p := &identity.Principal{Type: identity.IAMUser, Account: acct, CallerARN: iam.UserARN(acct, "/", "alice"), PrincipalID: u.ID,
		AccessKeyID: "AKIAEXAMPLE", UserName: u.Name, UserID: u.ID}
	in := &stsapi.GetSessionTokenRequest{}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.svc.GetSessionToken(ctx, p, in, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkServiceSession is a Roles Anywhere CreateSession's share in
// STS: validating the input against AssumeRole's model, the trust policy
// (cached compiled) for sts:AssumeRole, sts:TagSession and
// sts:SetSourceIdentity with conditions on aws:SourceArn and
// aws:PrincipalTag/x509Subject/CN, and minting a session with four tags
// and a source identity.
func BenchmarkServiceSession(b *testing.B) {
	e := newEnv(b)
	roleARN := e.role(acct, "ra", serviceTrust(sts.RolesAnywherePrincipal, allSTS,
		`{"StringLike":{"aws:PrincipalTag/x509Subject/CN":"device-*"},"ArnEquals":{"aws:SourceArn":"`+anchorARN+`"}}`), 0)
	in := raInput(roleARN, "device-1")
	if _, err := e.svc.ServiceSession(ctx, in); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.svc.ServiceSession(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}
