package authn_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/brevet-dev/brevet/internal/authn"
	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/sigv4"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

const (
	account = "123456789012"
	userID  = "AIDAEXAMPLEUSER000001"
)

var now = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

// fixture is a real embedded store with one user and one active key.
type fixture struct {
	st     *sqlite.Store
	master *masterkey.Keyring
	ring   *credential.TokenKeyRing
	a      *authn.Authenticator
	keyID  string
	secret string
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "brevet.db"), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	master, err := masterkey.Generate(rand.Reader, now)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := credential.NewTokenKeyRing(rand.Reader, now)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, master: master, ring: ring}
	if err := st.Accounts().Create(ctx, iam.Account{ID: account, Created: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.Users().Create(ctx, iam.User{Account: account, ID: userID, Name: "alice", Path: "/", Created: now}); err != nil {
		t.Fatal(err)
	}
	f.keyID, f.secret = f.addKey(t, "alice")
	f.a, err = authn.New(ctx, authn.Config{
		Keys: st.Principals(), Changes: st.Changes(), Secrets: master, Tokens: ring, Regions: []string{"eu-west-1"},
		Uses: st.AccessKeys(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) addKey(t testing.TB, user string) (string, string) {
	t.Helper()
	id, err := credential.NewAccessKeyID(credential.PrefixAccessKey, account, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := credential.NewSecretAccessKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := f.master.Seal([]byte(secret.Reveal()), authn.AccessKeyPurpose(id))
	if err != nil {
		t.Fatal(err)
	}
	k := iam.AccessKey{Account: account, UserName: user, ID: id, Status: iam.AccessKeyActive, Created: now, SecretCiphertext: ct}
	if err := f.st.AccessKeys().Create(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	return id, secret.Reveal()
}

// signed builds the server-side view of a request signed with creds.
func signed(t testing.TB, creds sigv4.Credentials, service, region string, at time.Time, body string) *http.Request {
	t.Helper()
	req := sigv4.Request{Method: "POST", Path: "/", Host: "brevet.test", Body: []byte(body),
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}}
	if creds.AccessKeyID != "" {
		s := &sigv4.Signer{Credentials: creds}
		if err := s.Sign(&req, sigv4.SignOptions{Region: region, Service: service, Time: at}); err != nil {
			t.Fatal(err)
		}
	}
	r := httptest.NewRequest("POST", "/", bytes.NewReader(req.Body))
	r.Host = req.Host
	for k, v := range req.Header {
		r.Header[k] = v
	}
	return r
}

func authenticate(a *authn.Authenticator, r *http.Request, op *request.Operation, at time.Time) (*identity.Principal, error) {
	body := []byte{}
	if r.Body != nil {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(r.Body)
		body = buf.Bytes()
	}
	p, err := a.Authenticate(context.Background(), &request.AuthnRequest{HTTP: r, Body: body, Operation: op, Now: at})
	if err != nil {
		return nil, err
	}
	return p.(*identity.Principal), nil
}

// code is the AWS wire code an error maps to ("" for nil).
func code(err error) string {
	if err == nil {
		return ""
	}
	we, _ := awsquery.ToWire(err)
	return we.Code.Name + ": " + we.Message
}

const gci = "Action=GetCallerIdentity&Version=2011-06-15"

func (f *fixture) mint(t *testing.T, c credential.Claims) credential.TemporaryCredentials {
	t.Helper()
	tc, _, err := f.ring.Mint(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return tc
}

func TestLongTermKey(t *testing.T) {
	f := newFixture(t)
	good := sigv4.Credentials{AccessKeyID: f.keyID, SecretAccessKey: f.secret}
	want := &identity.Principal{Type: identity.IAMUser, Account: account, CallerARN: "arn:aws:iam::123456789012:user/alice",
		PrincipalID: userID, AccessKeyID: f.keyID, UserName: "alice", UserID: userID}
	for _, tc := range []struct {
		name    string
		r       *http.Request
		op      *request.Operation
		want    *identity.Principal
		wantErr string
	}{
		{"sts", signed(t, good, "sts", "eu-west-1", now, gci), opOf(stsapi.GetCallerIdentity.Info()), want, ""},
		{"iam us-east-1", signed(t, good, "iam", "us-east-1", now, "Action=ListUsers&Version=2010-05-08"), opOf(iamapi.ListUsers.Info()), want, ""},
		{"wrong secret", signed(t, sigv4.Credentials{AccessKeyID: f.keyID, SecretAccessKey: "x"}, "sts", "eu-west-1", now, gci),
			opOf(stsapi.GetCallerIdentity.Info()), nil, "SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."},
		{"unknown key", signed(t, sigv4.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "x"}, "sts", "eu-west-1", now, gci),
			opOf(stsapi.GetCallerIdentity.Info()), nil, "InvalidClientTokenId: The security token included in the request is invalid."},
		{"token with long-term key", signed(t, sigv4.Credentials{AccessKeyID: f.keyID, SecretAccessKey: f.secret, SessionToken: "abc"}, "sts", "eu-west-1", now, gci),
			opOf(stsapi.GetCallerIdentity.Info()), nil, "InvalidClientTokenId: The security token included in the request is invalid."},
		{"sts scope on iam", signed(t, good, "sts", "us-east-1", now, "Action=ListUsers&Version=2010-05-08"), opOf(iamapi.ListUsers.Info()),
			nil, "SignatureDoesNotMatch: Credential should be scoped to correct service: 'iam'. "},
		{"unknown region", signed(t, good, "sts", "ap-south-1", now, gci), opOf(stsapi.GetCallerIdentity.Info()),
			nil, "SignatureDoesNotMatch: Credential should be scoped to a valid region. "},
		{"unsigned", signed(t, sigv4.Credentials{}, "sts", "eu-west-1", now, gci), opOf(stsapi.GetCallerIdentity.Info()),
			nil, "MissingAuthenticationToken: Request is missing Authentication Token"},
		{"unsigned web identity", signed(t, sigv4.Credentials{}, "sts", "eu-west-1", now, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15"),
			opOf(stsapi.AssumeRoleWithWebIdentity.Info()), &identity.Principal{Type: identity.Unknown}, ""},
		{"skewed", signed(t, good, "sts", "eu-west-1", now.Add(-20*time.Minute), gci), opOf(stsapi.GetCallerIdentity.Info()),
			nil, "SignatureDoesNotMatch: Signature expired: 20261122T074000Z is now earlier than 20261122T074500Z (20261122T080000Z - 15 min.)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := authenticate(f.a, tc.r, tc.op, now)
			if gotErr := code(err); gotErr != tc.wantErr {
				t.Fatalf("error: got %q, want %q", gotErr, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("principal (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeyChangesTakeEffectAfterSync(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		change func(f *fixture) error
	}{
		{"deactivated", func(f *fixture) error { return f.st.AccessKeys().SetStatus(ctx, f.keyID, iam.AccessKeyInactive) }},
		{"deleted", func(f *fixture) error { return f.st.AccessKeys().Delete(ctx, f.keyID) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			creds := sigv4.Credentials{AccessKeyID: f.keyID, SecretAccessKey: f.secret}
			if _, err := authenticate(f.a, signed(t, creds, "sts", "eu-west-1", now, gci), opOf(stsapi.GetCallerIdentity.Info()), now); err != nil {
				t.Fatal(err)
			}
			if got := f.a.Cached(); got != 1 {
				t.Fatalf("cached keys: got %d, want 1", got)
			}
			if err := tc.change(f); err != nil {
				t.Fatal(err)
			}
			if _, err := f.a.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			_, err := authenticate(f.a, signed(t, creds, "sts", "eu-west-1", now, gci), opOf(stsapi.GetCallerIdentity.Info()), now)
			if got, want := code(err), "InvalidClientTokenId: The security token included in the request is invalid."; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestUserRenameEvictsItsKeys(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	creds := sigv4.Credentials{AccessKeyID: f.keyID, SecretAccessKey: f.secret}
	if _, err := authenticate(f.a, signed(t, creds, "sts", "eu-west-1", now, gci), opOf(stsapi.GetCallerIdentity.Info()), now); err != nil {
		t.Fatal(err)
	}
	u, err := f.st.Users().Get(ctx, account, "alice")
	if err != nil {
		t.Fatal(err)
	}
	u.Name = "alicia"
	if err := f.st.Users().Update(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := f.a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := authenticate(f.a, signed(t, creds, "sts", "eu-west-1", now, gci), opOf(stsapi.GetCallerIdentity.Info()), now)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.CallerARN, "arn:aws:iam::123456789012:user/alicia"; got != want {
		t.Errorf("ARN after rename: got %q, want %q", got, want)
	}
}

// A key read before a change the cache has already applied is used for
// that request but not cached, so the change is never undone.
func TestStaleReadIsNotCached(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	other, _ := f.addKey(t, "alice") // a change the authenticator has not seen
	if _, err := f.a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	creds := sigv4.Credentials{AccessKeyID: f.keyID, SecretAccessKey: f.secret}
	if _, err := authenticate(f.a, signed(t, creds, "sts", "eu-west-1", now, gci), opOf(stsapi.GetCallerIdentity.Info()), now); err != nil {
		t.Fatal(err)
	}
	if got := f.a.Cached(); got != 1 {
		t.Errorf("cached keys: got %d, want 1", got)
	}
	_ = other
}

func TestTemporaryCredentials(t *testing.T) {
	f := newFixture(t)
	role := credential.Claims{
		AccountID: account, PrincipalType: credential.AssumedRole,
		PrincipalARN: "arn:aws:iam::123456789012:role/reader", PrincipalID: "AROAEXAMPLEROLE000001",
		SessionARN: "arn:aws:sts::123456789012:assumed-role/reader/s1", SessionName: "s1",
		IssuedAt: now, Expires: now.Add(time.Hour),
	}
	tc := f.mint(t, role)
	creds := sigv4.Credentials{AccessKeyID: tc.AccessKeyID, SecretAccessKey: tc.SecretAccessKey.Reveal(), SessionToken: tc.SessionToken}

	session := role
	session.PrincipalType = credential.SessionUser
	session.PrincipalARN, session.PrincipalID = "arn:aws:iam::123456789012:user/alice", userID
	session.SessionARN, session.SessionName = "arn:aws:iam::123456789012:user/alice", ""
	st := f.mint(t, session)

	fed := role
	fed.PrincipalType = credential.FederatedUser
	fed.PrincipalARN, fed.PrincipalID = "arn:aws:sts::123456789012:federated-user/bob", userID
	fed.SessionARN, fed.SessionName = "arn:aws:sts::123456789012:federated-user/bob", "bob"
	ft := f.mint(t, fed)

	tampered := []byte(tc.SessionToken)
	tampered[40] ^= 'A' ^ 'B'
	for _, c := range []struct {
		name    string
		creds   sigv4.Credentials
		at      time.Time
		want    *identity.Principal
		wantErr string
	}{
		{"assumed role", creds, now, &identity.Principal{Type: identity.AssumedRole, Account: account,
			CallerARN: "arn:aws:sts::123456789012:assumed-role/reader/s1", PrincipalID: "AROAEXAMPLEROLE000001:s1", AccessKeyID: tc.AccessKeyID}, ""},
		{"session token", sigv4.Credentials{AccessKeyID: st.AccessKeyID, SecretAccessKey: st.SecretAccessKey.Reveal(), SessionToken: st.SessionToken}, now,
			&identity.Principal{Type: identity.IAMUser, Account: account, CallerARN: "arn:aws:iam::123456789012:user/alice", PrincipalID: userID,
				AccessKeyID: st.AccessKeyID, UserName: "alice", UserID: userID}, ""},
		{"federation token", sigv4.Credentials{AccessKeyID: ft.AccessKeyID, SecretAccessKey: ft.SecretAccessKey.Reveal(), SessionToken: ft.SessionToken}, now,
			&identity.Principal{Type: identity.FederatedUser, Account: account, CallerARN: "arn:aws:sts::123456789012:federated-user/bob",
				PrincipalID: "123456789012:bob", AccessKeyID: ft.AccessKeyID, UserID: userID}, ""},
		{"no token", sigv4.Credentials{AccessKeyID: tc.AccessKeyID, SecretAccessKey: tc.SecretAccessKey.Reveal()}, now, nil,
			"InvalidClientTokenId: The security token included in the request is invalid."},
		{"tampered token", sigv4.Credentials{AccessKeyID: tc.AccessKeyID, SecretAccessKey: tc.SecretAccessKey.Reveal(), SessionToken: string(tampered)}, now, nil,
			"InvalidClientTokenId: The security token included in the request is invalid."},
		{"token of another key", sigv4.Credentials{AccessKeyID: st.AccessKeyID, SecretAccessKey: st.SecretAccessKey.Reveal(), SessionToken: tc.SessionToken}, now, nil,
			"InvalidClientTokenId: The security token included in the request is invalid."},
		{"expired", creds, now.Add(time.Hour), nil, "ExpiredToken: The security token included in the request is expired"},
		{"wrong secret", sigv4.Credentials{AccessKeyID: tc.AccessKeyID, SecretAccessKey: "wrong", SessionToken: tc.SessionToken}, now, nil,
			"SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := authenticate(f.a, signed(t, c.creds, "sts", "eu-west-1", c.at, gci), opOf(stsapi.GetCallerIdentity.Info()), c.at)
			if gotErr := code(err); gotErr != c.wantErr {
				t.Fatalf("error: got %q, want %q", gotErr, c.wantErr)
			}
			if diff := cmp.Diff(c.want, got, cmpopts.IgnoreFields(identity.Principal{}, "Session")); diff != "" {
				t.Errorf("principal (-want +got):\n%s", diff)
			}
			if got != nil && (got.Session == nil || got.Session.SessionID == "") {
				t.Errorf("principal has no session claims")
			}
		})
	}
}

// GetFederationToken sessions never call IAM, GetSessionToken sessions
// only with MFA; role sessions may.
func TestTemporaryCredentialsAndIAM(t *testing.T) {
	f := newFixture(t)
	base := credential.Claims{AccountID: account, IssuedAt: now, Expires: now.Add(time.Hour),
		PrincipalARN: "arn:aws:iam::123456789012:user/alice", PrincipalID: userID, SessionARN: "arn:aws:iam::123456789012:user/alice"}
	role := base
	role.PrincipalType, role.PrincipalARN, role.PrincipalID = credential.AssumedRole, "arn:aws:iam::123456789012:role/r", "AROAEXAMPLEROLE000001"
	role.SessionARN, role.SessionName = "arn:aws:sts::123456789012:assumed-role/r/s", "s"
	fed := base
	fed.PrincipalType, fed.SessionARN, fed.SessionName = credential.FederatedUser, "arn:aws:sts::123456789012:federated-user/bob", "bob"
	session := base
	session.PrincipalType = credential.SessionUser
	mfa := session
	mfa.MFAAuthenticated, mfa.MFAAuthTime = true, now
	const listUsers = "Action=ListUsers&Version=2010-05-08"
	for _, tc := range []struct {
		name    string
		claims  credential.Claims
		wantErr string
	}{
		{"role session", role, ""},
		{"federation token", fed, "InvalidClientTokenId: The security token included in the request is invalid."},
		{"session token without MFA", session, "InvalidClientTokenId: The security token included in the request is invalid."},
		{"session token with MFA", mfa, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc2 := f.mint(t, tc.claims)
			creds := sigv4.Credentials{AccessKeyID: tc2.AccessKeyID, SecretAccessKey: tc2.SecretAccessKey.Reveal(), SessionToken: tc2.SessionToken}
			_, err := authenticate(f.a, signed(t, creds, "iam", "us-east-1", now, listUsers), opOf(iamapi.ListUsers.Info()), now)
			if got := code(err); got != tc.wantErr {
				t.Errorf("IAM: got %q, want %q", got, tc.wantErr)
			}
			if _, err := authenticate(f.a, signed(t, creds, "sts", "us-east-1", now, gci), opOf(stsapi.GetCallerIdentity.Info()), now); err != nil {
				t.Errorf("STS GetCallerIdentity: %v", err)
			}
		})
	}
}

// A key's last use reaches the store when FlushUses runs, once a minute
// at most.
func TestLastUsed(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	creds := sigv4.Credentials{AccessKeyID: f.keyID, SecretAccessKey: f.secret}
	for _, at := range []time.Time{now, now.Add(10 * time.Second)} {
		if _, err := authenticate(f.a, signed(t, creds, "sts", "eu-west-1", at, gci), opOf(stsapi.GetCallerIdentity.Info()), at); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.a.FlushUses(ctx); err != nil {
		t.Fatal(err)
	}
	k, err := f.st.AccessKeys().Get(ctx, f.keyID)
	if err != nil {
		t.Fatal(err)
	}
	want := iam.AccessKeyLastUsed{Date: now, Service: "sts", Region: "eu-west-1"}
	if diff := cmp.Diff(want, k.LastUsed); diff != "" {
		t.Errorf("last used (-want +got):\n%s", diff)
	}
	// A key deleted before the flush is no error.
	if _, err := authenticate(f.a, signed(t, creds, "iam", "us-east-1", now.Add(2*time.Minute), "Action=ListUsers&Version=2010-05-08"), opOf(iamapi.ListUsers.Info()), now.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := f.st.AccessKeys().Delete(ctx, f.keyID); err != nil {
		t.Fatal(err)
	}
	if err := f.a.FlushUses(ctx); err != nil {
		t.Errorf("flush after delete: %v", err)
	}
}

// A store that cannot be read is a server error, never an authentication
// failure that would hide it.
func TestStoreErrorIsNotInvalidToken(t *testing.T) {
	f := newFixture(t)
	if err := f.st.Close(); err != nil {
		t.Fatal(err)
	}
	creds := sigv4.Credentials{AccessKeyID: f.keyID, SecretAccessKey: f.secret}
	_, err := authenticate(f.a, signed(t, creds, "sts", "eu-west-1", now, gci), opOf(stsapi.GetCallerIdentity.Info()), now)
	var se *sigv4.Error
	if err == nil || errors.As(err, &se) || errors.Is(err, store.ErrNotFound) {
		t.Fatalf("got %v, want a store error", err)
	}
}

// opOf is the pipeline's description of a Query action, as the dispatcher
// makes it when the action is registered.
func opOf(info *awsquery.OperationInfo) *request.Operation {
	return &request.Operation{Service: info.Service.Name, Version: info.Service.Version, Name: info.Name,
		Action: info.Service.Name + ":" + info.Name, Unsigned: info.Unsigned, Effect: request.ReadOnly}
}

// TestStreamedBody: an S3 request whose body is left unread is verified
// as S3 verifies it (S3's verifier, its path rules, a declared payload
// hash) and the body comes back as a reader that fails at EOF when the
// bytes are not the ones signed.
func TestStreamedBody(t *testing.T) {
	f := newFixture(t)
	s3op := &request.Operation{Service: "s3", Name: "PutObject", Action: "s3:PutObject", Unsigned: true, Effect: request.Writes}
	creds := sigv4.Credentials{AccessKeyID: f.keyID, SecretAccessKey: f.secret}
	sign := func(t *testing.T, service, body string) *http.Request {
		t.Helper()
		req := sigv4.Request{Method: "PUT", Path: "/bucket/a//b", Host: "s3.brevet.test", Body: []byte(body), Header: http.Header{}}
		s := &sigv4.Signer{Credentials: creds}
		if err := s.Sign(&req, sigv4.SignOptions{Region: "eu-west-1", Service: service, Time: now, S3PathRules: true, ContentSHA256Header: true}); err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("PUT", "/bucket/a//b", nil)
		r.Host = req.Host
		for k, v := range req.Header {
			r.Header[k] = v
		}
		return r
	}
	tests := []struct {
		name, service, signed, sent string
		wantAuth, wantRead          string
	}{
		{name: "as signed", service: "s3", signed: "hello", sent: "hello"},
		{name: "body changed", service: "s3", signed: "hello", sent: "jello", wantRead: "ContentSHA256Mismatch"},
		{name: "signed for sts", service: "sts", signed: "hello", sent: "hello", wantAuth: "InvalidScope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sign(t, tt.service, tt.signed)
			req := &request.AuthnRequest{HTTP: r, Stream: strings.NewReader(tt.sent), Operation: s3op, Now: now}
			p, err := f.a.Authenticate(context.Background(), req)
			if got := kindOf(err); got != tt.wantAuth {
				t.Fatalf("Authenticate: %v, want %s", err, tt.wantAuth)
			}
			if err != nil {
				return
			}
			if p.ARN() != "arn:aws:iam::123456789012:user/alice" {
				t.Errorf("principal = %s", p.ARN())
			}
			b, err := io.ReadAll(req.Stream)
			if got := kindOf(err); got != tt.wantRead {
				t.Fatalf("reading the body: %v, want %s", err, tt.wantRead)
			}
			if err == nil && string(b) != tt.sent {
				t.Errorf("body = %q", b)
			}
		})
	}
}

// kindOf names a sigv4 error's kind, "" for nil.
func kindOf(err error) string {
	var se *sigv4.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &se):
		return se.Kind.String()
	}
	return err.Error()
}
