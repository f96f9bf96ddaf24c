package upstream

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/brevet-dev/brevet/internal/mototest"
)

// The key Brevet signs with: moto accepts any.
var testKey = Key{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSecretKey"}

const (
	testAccount = "123456789012"
	testToken   = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlLXNlY3JldA"
)

// endpoint is an Endpoint on base (STS and IAM) whose retries do not wait.
func endpoint(base string) Endpoint {
	return Endpoint{AccountID: testAccount, STSEndpoint: base, IAMEndpoint: base, Region: "us-east-1",
		Timeout: 5 * time.Second, MaxAttempts: 3, MaxBackoff: time.Millisecond}
}

func mustNew(t testing.TB, e Endpoint) *Client {
	t.Helper()
	c, err := New(e)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func TestMotoCalls(t *testing.T) {
	t.Parallel()
	p := newProxy(t, moto.Addr(t), always(action{kind: forward}))
	c := mustNew(t, endpoint(p.URL))
	ctx := context.Background()
	roleARN := "arn:aws:iam::" + testAccount + ":role/brokered"

	t.Run("AssumeRole", func(t *testing.T) {
		s, err := c.AssumeRole(ctx, testKey, AssumeRoleInput{RoleARN: roleARN, SessionName: "alice", Duration: time.Hour,
			Policy:     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`,
			PolicyARNs: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}, ExternalID: "ext",
			Tags: []Tag{{"team", "blue"}}, TransitiveTagKeys: []string{"team"}, SourceIdentity: "alice@111111111111"})
		if err != nil {
			t.Fatalf("AssumeRole: %v", err)
		}
		checkSession(t, s, "arn:aws:sts::"+testAccount+":assumed-role/brokered/alice")
		if !strings.HasPrefix(p.auth(), "AWS4-HMAC-SHA256 Credential="+testKey.AccessKeyID+"/") {
			t.Errorf("AssumeRole's Authorization = %q, want signed with the key", p.auth())
		}
	})
	t.Run("AssumeRoleWithWebIdentity", func(t *testing.T) {
		s, err := c.AssumeRoleWithWebIdentity(ctx, testToken, AssumeRoleInput{RoleARN: roleARN, SessionName: "bob", Duration: 15 * time.Minute})
		if err != nil {
			t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
		}
		checkSession(t, s, "arn:aws:sts::"+testAccount+":assumed-role/brokered/bob")
		if got := p.auth(); got != "" {
			t.Errorf("AssumeRoleWithWebIdentity was signed: Authorization = %q", got)
		}
	})
	t.Run("GetSessionToken", func(t *testing.T) {
		s, err := c.GetSessionToken(ctx, testKey, 2*time.Hour)
		if err != nil {
			t.Fatalf("GetSessionToken: %v", err)
		}
		checkSession(t, s, "")
	})
	t.Run("GetFederationToken", func(t *testing.T) {
		s, err := c.GetFederationToken(ctx, testKey, FederationInput{Name: "carol", Duration: time.Hour,
			Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`})
		if err != nil {
			t.Fatalf("GetFederationToken: %v", err)
		}
		checkSession(t, s, "arn:aws:sts::"+testAccount+":federated-user/carol")
	})
	t.Run("rotation", func(t *testing.T) {
		user := "brevet-rotation-" + strconv.FormatInt(time.Now().UnixNano(), 36) // unique on the shared moto, -count=N
		direct := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://" + moto.Addr(t)),
			Credentials: credentials.NewStaticCredentialsProvider(testKey.AccessKeyID, testKey.SecretAccessKey, "")})
		if _, err := direct.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		k, err := c.CreateAccessKey(ctx, testKey, user)
		if err != nil {
			t.Fatalf("CreateAccessKey: %v", err)
		}
		if k.AccessKeyID == "" || k.SecretAccessKey == "" || k == testKey {
			t.Fatalf("CreateAccessKey = %v, want a new key", k)
		}
		arn, err := c.CallerIdentity(ctx, k)
		if want := "arn:aws:iam::" + testAccount + ":user/" + user; err != nil || arn != want {
			t.Errorf("CallerIdentity(new key) = %q, %v, want %q", arn, err, want)
		}
		if err := c.DeleteAccessKey(ctx, k, user, k.AccessKeyID); err != nil {
			t.Fatalf("DeleteAccessKey: %v", err)
		}
		err = c.DeleteAccessKey(ctx, k, user, k.AccessKeyID)
		var ue *Error
		if !errors.As(err, &ue) || ue.Kind != Invalid || ue.Code != "NoSuchEntity" || ue.Status != 404 || ue.Op != "DeleteAccessKey" {
			t.Errorf("DeleteAccessKey of a deleted key = %#v, want Invalid NoSuchEntity 404", err)
		}
		if s := contains(err.Error(), k.SecretAccessKey, testKey.SecretAccessKey); s != "" {
			t.Errorf("the error shows a secret: %s", err)
		}
	})
}

func checkSession(t *testing.T, s *Session, wantARN string) {
	t.Helper()
	if s.AccessKeyID == "" || s.SecretAccessKey == "" || s.SessionToken == "" || s.Expiration.IsZero() {
		t.Errorf("session = %+v, want credentials", s)
	}
	if s.ARN != wantARN {
		t.Errorf("session ARN = %q, want %q", s.ARN, wantARN)
	}
	if s.RequestID == "" {
		t.Errorf("session has no upstream request id")
	}
}

// TestFaults drives the client through the fault proxy: what the caller
// gets, and how many attempts reached the proxy.
func TestFaults(t *testing.T) {
	t.Parallel()
	target := moto.Addr(t)
	tests := []struct {
		name       string
		plan       func(int) action
		timeout    time.Duration
		wantKind   Kind // 0: success
		wantCode   string
		wantReason string
		attempts   int
	}{
		{"hang", always(action{kind: hang}), 400 * time.Millisecond, Unavailable, "", "timeout", 1},
		{"reset mid-answer", always(action{kind: reset}), 0, Unavailable, "", "connection reset", 3},
		{"reset once", first(1, action{kind: reset}), 0, 0, "", "", 2},
		{"throttled twice", first(2, throttling), 0, 0, "", "", 3},
		{"always throttled", always(throttling), 0, Throttled, "Throttling", "throttled", 3},
		{"503 once", first(1, action{kind: answer, status: 503, code: "ServiceUnavailable", message: "try later"}), 0, 0, "", "", 2},
		{"always 503", always(action{kind: answer, status: 503, code: "ServiceUnavailable", message: "try later"}), 0, Unavailable, "ServiceUnavailable", "HTTP 503", 3},
		{"500 without a code", always(action{kind: answer, status: 500, code: "InternalFailure", message: "oops"}), 0, Unavailable, "InternalFailure", "HTTP 500", 3},
		{"AccessDenied", always(action{kind: answer, status: 403, code: "AccessDenied", message: "not authorized"}), 0, Refused, "AccessDenied", "", 1},
		{"MalformedPolicyDocument", always(action{kind: answer, status: 400, code: "MalformedPolicyDocument", message: "bad"}), 0, Invalid, "MalformedPolicyDocument", "", 1},
		{"PackedPolicyTooLarge", always(action{kind: answer, status: 400, code: "PackedPolicyTooLarge", message: "big"}), 0, Invalid, "PackedPolicyTooLarge", "", 1},
		{"unknown 400 code", always(action{kind: answer, status: 400, code: "SomethingNew", message: "?"}), 0, Invalid, "SomethingNew", "", 1},
		{"InvalidClientTokenId", always(action{kind: answer, status: 403, code: "InvalidClientTokenId", message: "unknown key"}), 0, Credentials, "InvalidClientTokenId", "", 1},
		{"SignatureDoesNotMatch", always(action{kind: answer, status: 403, code: "SignatureDoesNotMatch", message: "bad signature"}), 0, Credentials, "SignatureDoesNotMatch", "", 1},
		{"ExpiredToken", always(action{kind: answer, status: 400, code: "ExpiredToken", message: "expired"}), 0, Credentials, "ExpiredToken", "", 1},
		{"RegionDisabledException", always(action{kind: answer, status: 403, code: "RegionDisabledException", message: "off"}), 0, Credentials, "RegionDisabledException", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newProxy(t, target, tt.plan)
			e := endpoint(p.URL)
			if tt.timeout > 0 {
				e.Timeout = tt.timeout
			}
			c := mustNew(t, e)
			start := time.Now()
			s, err := c.GetSessionToken(context.Background(), testKey, time.Hour)
			took := time.Since(start)
			if got := p.attempts(); got != tt.attempts {
				t.Errorf("attempts = %d, want %d", got, tt.attempts)
			}
			if tt.wantKind == 0 {
				if err != nil || s.AccessKeyID == "" {
					t.Fatalf("GetSessionToken = %v, %v, want success", s, err)
				}
				return
			}
			var ue *Error
			if !errors.As(err, &ue) {
				t.Fatalf("GetSessionToken = %v, %v, want an *Error", s, err)
			}
			if ue.Kind != tt.wantKind || ue.Code != tt.wantCode || ue.Reason != tt.wantReason || ue.Account != testAccount || ue.Op != "GetSessionToken" {
				t.Errorf("error = %s %q %q (%s), want %s %q %q", ue.Kind, ue.Code, ue.Reason, err, tt.wantKind, tt.wantCode, tt.wantReason)
			}
			if tt.wantCode != "" && ue.RequestID == "" {
				t.Errorf("error %s has no request id", err)
			}
			if tt.timeout > 0 && took > tt.timeout+time.Second {
				t.Errorf("the call took %v, want within its Timeout %v", took, tt.timeout)
			}
			if s := contains(err.Error(), testKey.SecretAccessKey, "http://", "127.0.0.1"); s != "" {
				t.Errorf("Error() = %q shows %q", err, s)
			}
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := mustNew(t, endpoint("http://"+addr))
	_, err = c.CallerIdentity(context.Background(), testKey)
	var ue *Error
	if !errors.As(err, &ue) || ue.Kind != Unavailable || ue.Reason != "connection refused" {
		t.Fatalf("CallerIdentity = %v, want Unavailable (connection refused)", err)
	}
	if want := "upstream 123456789012 GetCallerIdentity (connection refused)"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
}

// TestLimiter: beyond the burst, a call that would wait more than
// MaxLimiterWait fails as Limited without reaching the upstream.
func TestLimiter(t *testing.T) {
	t.Parallel()
	p := newProxy(t, moto.Addr(t), always(action{kind: forward}))
	e := endpoint(p.URL)
	e.Rate, e.Burst = 0.001, 2
	c := mustNew(t, e)
	for i := 0; i < 2; i++ {
		if _, err := c.CallerIdentity(context.Background(), testKey); err != nil {
			t.Fatalf("call %d within the burst: %v", i+1, err)
		}
	}
	start := time.Now()
	_, err := c.CallerIdentity(context.Background(), testKey)
	var ue *Error
	if !errors.As(err, &ue) || ue.Kind != Limited {
		t.Fatalf("call beyond the burst = %v, want Limited", err)
	}
	if took := time.Since(start); took > MaxLimiterWait {
		t.Errorf("the limited call took %v, want at most %v", took, MaxLimiterWait)
	}
	if got := p.attempts(); got != 2 {
		t.Errorf("the upstream saw %d requests, want 2", got)
	}
	// A short wait is waited for.
	e.Rate, e.Burst = 20, 1
	c = mustNew(t, e)
	for i := 0; i < 3; i++ {
		if _, err := c.CallerIdentity(context.Background(), testKey); err != nil {
			t.Fatalf("call %d at 20/s: %v", i+1, err)
		}
	}
}

func TestNewEndpoints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url string
		ok  bool
	}{
		{"", true},
		{"https://sts.eu-west-1.amazonaws.com", true},
		{"https://brevet.example.com:8443/", true},
		{"http://127.0.0.1:5000", true},
		{"http://127.9.8.7", true},
		{"http://[::1]:5000", true},
		{"http://localhost:5000", true},
		{"HTTP://LOCALHOST", true},
		{"http://10.0.0.1:5000", false},
		{"http://sts.amazonaws.com", false},
		{"http://localhost.example.com", false},
		{"http://[::ffff:10.0.0.1]", false},
		{"ftp://127.0.0.1", false},
		{"https://AKIA:secret@sts.amazonaws.com", false},
		{"https://sts.amazonaws.com/?X-Amz-Credential=x", false},
		{"sts.amazonaws.com", false},
		{"https://", false},
		{"://", false},
	}
	for _, tt := range tests {
		for _, e := range []Endpoint{{STSEndpoint: tt.url}, {IAMEndpoint: tt.url}} {
			_, err := New(e)
			if got := err == nil; got != tt.ok {
				t.Errorf("New(%+v) = %v, want ok %v", e, err, tt.ok)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("New's error %q shows the URL's secret", err)
			}
		}
	}
	if _, err := New(Endpoint{CABundle: []byte("not PEM")}); err == nil {
		t.Errorf("New with a CA bundle without a certificate succeeded")
	}
}

// TestSecretsScrubbed: an upstream that echoes the secret or the token in
// its message does not get it into an error.
func TestSecretsScrubbed(t *testing.T) {
	t.Parallel()
	echo := action{kind: answer, status: 403, code: "AccessDenied",
		message: "no for " + testKey.SecretAccessKey + " and " + testToken}
	p := newProxy(t, moto.Addr(t), always(echo))
	c := mustNew(t, endpoint(p.URL))
	ctx := context.Background()
	in := AssumeRoleInput{RoleARN: "arn:aws:iam::" + testAccount + ":role/r", SessionName: "s"}
	calls := []struct {
		secret string // the one the call holds
		call   func() error
	}{
		{testKey.SecretAccessKey, func() error { _, err := c.AssumeRole(ctx, testKey, in); return err }},
		{testToken, func() error { _, err := c.AssumeRoleWithWebIdentity(ctx, testToken, in); return err }},
		{testKey.SecretAccessKey, func() error { _, err := c.CreateAccessKey(ctx, testKey, "u"); return err }},
		{testKey.SecretAccessKey, func() error { return c.DeleteAccessKey(ctx, testKey, "u", "AKIA") }},
	}
	for _, call := range calls {
		err := call.call()
		var ue *Error
		if !errors.As(err, &ue) || ue.Kind != Refused {
			t.Errorf("error = %v, want Refused", err)
			continue
		}
		if strings.Contains(err.Error()+ue.Message, call.secret) {
			t.Errorf("Error() = %q shows the call's secret", err)
		}
	}
	if s := testKey.String(); strings.Contains(s, testKey.SecretAccessKey) {
		t.Errorf("Key.String() = %q shows the secret", s)
	}
}

func TestKindString(t *testing.T) {
	want := map[Kind]string{Limited: "limited", Refused: "refused", Invalid: "invalid", Credentials: "credentials",
		Throttled: "throttled", Unavailable: "unavailable", 0: "unknown"}
	for k, w := range want {
		if got := k.String(); got != w {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, w)
		}
	}
}

// TestMotoChecksKeys runs against a moto_server of its own that checks
// keys and IAM policies (after its first three requests): an unknown key,
// an action the key's user may not do, and the key revoked mid-use. (This
// moto does not check the Go SDK's signatures: a wrong secret passes.)
// Through the proxy, which gives moto's errors AWS's shape.
func TestMotoChecksKeys(t *testing.T) {
	t.Parallel()
	s := &mototest.Server{Env: []string{"INITIAL_NO_AUTH_ACTION_COUNT=3"}}
	target := s.Addr(t)
	t.Cleanup(s.Stop)
	base := newProxy(t, target, always(action{kind: forward})).URL
	ctx := context.Background()
	direct := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(base),
		Credentials: credentials.NewStaticCredentialsProvider(testKey.AccessKeyID, testKey.SecretAccessKey, "")})
	user := "brevet-broker"
	if _, err := direct.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if _, err := direct.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("rotate"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:DeleteAccessKey","sts:GetCallerIdentity"],"Resource":"*"}]}`)}); err != nil {
		t.Fatalf("PutUserPolicy: %v", err)
	}
	c := mustNew(t, endpoint(base))
	k, err := c.CreateAccessKey(ctx, testKey, user) // the third unchecked request
	if err != nil {
		t.Fatalf("CreateAccessKey: %v", err)
	}
	if arn, err := c.CallerIdentity(ctx, k); err != nil || arn != "arn:aws:iam::"+testAccount+":user/"+user {
		t.Fatalf("CallerIdentity = %q, %v", arn, err)
	}
	unknown := Key{AccessKeyID: "AKIAUNKNOWNUNKNOWN00", SecretAccessKey: k.SecretAccessKey}
	tests := []struct {
		name     string
		call     func() error
		wantKind Kind
		wantCode string
	}{
		{"unknown key", func() error { _, err := c.GetSessionToken(ctx, unknown, time.Hour); return err }, Credentials, "InvalidClientTokenId"},
		{"not allowed", func() error { _, err := c.CreateAccessKey(ctx, k, user); return err }, Refused, "AccessDenied"},
		{"revoked mid-use", func() error {
			if err := c.DeleteAccessKey(ctx, k, user, k.AccessKeyID); err != nil {
				t.Fatalf("DeleteAccessKey signed by the key itself: %v", err)
			}
			_, err := c.CallerIdentity(ctx, k)
			return err
		}, Credentials, "InvalidClientTokenId"},
	}
	for _, tt := range tests { // in order: the last revokes the key
		err := tt.call()
		var ue *Error
		if !errors.As(err, &ue) || ue.Kind != tt.wantKind || ue.Code != tt.wantCode || ue.RequestID == "" {
			t.Errorf("%s: %v, want %s %s with a request id", tt.name, err, tt.wantKind, tt.wantCode)
			continue
		}
		if strings.Contains(err.Error(), k.SecretAccessKey) {
			t.Errorf("%s: Error() = %q shows the secret", tt.name, err)
		}
	}
}

// TestCABundle: an https upstream is trusted through the CA bundle, and
// without it the call fails as Unavailable, saying why.
func TestCABundle(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/tls</Arn>`+
			`</GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	defer srv.Close()
	bundle := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	e := endpoint(srv.URL)
	e.CABundle = bundle
	if arn, err := mustNew(t, e).CallerIdentity(context.Background(), testKey); err != nil || arn != "arn:aws:iam::123456789012:user/tls" {
		t.Errorf("with the CA bundle: %q, %v", arn, err)
	}
	_, err := mustNew(t, endpoint(srv.URL)).CallerIdentity(context.Background(), testKey)
	var ue *Error
	if !errors.As(err, &ue) || ue.Kind != Unavailable || ue.Reason != "TLS certificate not trusted" {
		t.Errorf("without the CA bundle: %v, want Unavailable (TLS certificate not trusted)", err)
	}
}

// TestCanceled: a caller that gives up gets Unavailable (canceled) at
// once, through a hanging upstream.
func TestCanceled(t *testing.T) {
	t.Parallel()
	p := newProxy(t, moto.Addr(t), always(action{kind: hang}))
	c := mustNew(t, endpoint(p.URL))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.AssumeRole(ctx, testKey, AssumeRoleInput{RoleARN: "arn:aws:iam::" + testAccount + ":role/r", SessionName: "s"})
	var ue *Error
	if !errors.As(err, &ue) || ue.Kind != Unavailable || ue.Reason != "canceled" || !errors.Is(err, context.Canceled) {
		t.Errorf("canceled call = %v, want Unavailable (canceled)", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the canceled call took %v", took)
	}
}

// TestNoCredentials: a call without its key or token fails as
// Credentials without being made.
func TestNoCredentials(t *testing.T) {
	t.Parallel()
	p := newProxy(t, moto.Addr(t), always(action{kind: forward}))
	c := mustNew(t, endpoint(p.URL))
	ctx := context.Background()
	in := AssumeRoleInput{RoleARN: "arn:aws:iam::" + testAccount + ":role/r", SessionName: "s"}
	errs := []error{}
	_, err := c.AssumeRole(ctx, Key{AccessKeyID: "AKIA"}, in)
	errs = append(errs, err)
	_, err = c.AssumeRoleWithWebIdentity(ctx, "", in)
	errs = append(errs, err)
	_, err = c.CreateAccessKey(ctx, Key{}, "u")
	errs = append(errs, err)
	for _, err := range errs {
		var ue *Error
		if !errors.As(err, &ue) || ue.Kind != Credentials || ue.Reason != "no credentials" {
			t.Errorf("error = %v, want Credentials (no credentials)", err)
		}
	}
	if n := p.attempts(); n != 0 {
		t.Errorf("the upstream saw %d requests, want none", n)
	}
}
