package sts_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/brevet-dev/brevet/internal/authn"
	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/authz/authztest"
	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/credential/totp"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/iamservice"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
	"github.com/brevet-dev/brevet/internal/sts"
)

const (
	acct  = "111122223333"
	other = "444455556666"
)

// env is a Brevet on 127.0.0.1: a real SQLite store, the production
// authenticator, authorizer, STS and IAM services on one dispatcher. The
// AWS SDK signs with the real clock, so the server runs on it too.
type env struct {
	t    testing.TB
	w    *authztest.World
	st   *sqlite.Store
	mk   *masterkey.Keyring
	ring *credential.TokenKeyRing
	az   *authz.Authorizer
	an   *authn.Authenticator
	svc  *sts.Service
	d    *awsquery.Dispatcher
	url  string
	// audit holds the records of the requests the env served.
	audit *recordAuditor
}

type nopAuditor struct{}

func (nopAuditor) Audit(context.Context, *request.Record) error { return nil }

// recordAuditor keeps every record it is given.
type recordAuditor struct {
	mu      sync.Mutex
	records []*request.Record
}

func (a *recordAuditor) Audit(_ context.Context, r *request.Record) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.records = append(a.records, r)
	return nil
}

// last returns the last record of a request for action.
func (a *recordAuditor) last(action string) *request.Record {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := len(a.records) - 1; i >= 0; i-- {
		if a.records[i].Action == action {
			return a.records[i]
		}
	}
	return nil
}

// newEnv starts the env; opts adjust the STS service's config.
func newEnv(t testing.TB, opts ...func(*sts.Config)) *env {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "b.db"), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, st: st, w: &authztest.World{Store: st, Now: now}, audit: &recordAuditor{}}
	must(t, e.w.Account(acct))
	must(t, e.w.Account(other))
	if e.mk, err = masterkey.Generate(rand.Reader, now); err != nil {
		t.Fatal(err)
	}
	if e.ring, err = credential.NewTokenKeyRing(rand.Reader, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if e.az, err = authz.New(ctx, authz.Config{Store: st, MessageKey: make([]byte, 32)}); err != nil {
		t.Fatal(err)
	}
	if e.an, err = authn.New(ctx, authn.Config{Keys: st.Principals(), Changes: st.Changes(), Secrets: e.mk, Tokens: e.ring}); err != nil {
		t.Fatal(err)
	}
	cfg := sts.Config{Store: st, TokenKeys: e.ring, Authz: e.az, Secrets: e.mk}
	for _, o := range opts {
		o(&cfg)
	}
	svc, err := sts.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	iamSvc, err := iamservice.New(iamservice.Config{Store: st, MasterKey: e.mk})
	if err != nil {
		t.Fatal(err)
	}
	d, err := awsquery.New(awsquery.Config{Pipeline: &request.Pipeline{Authenticator: e.an, Principals: e.az, Authorizer: e.az, Auditor: e.audit},
		ErrorMappers: []awsquery.ErrorMapper{sts.WireError, iamservice.WireError}})
	if err != nil {
		t.Fatal(err)
	}
	e.svc, e.d = svc, d
	sts.Register(d, svc)
	iamservice.Register(d, iamSvc)
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// sync makes the store's changes visible to the authorizer at once.
func (e *env) sync() {
	e.t.Helper()
	must(e.t, e.az.Sync(context.Background()))
}

// user creates a user with an access key and the given inline policies.
func (e *env) user(account, name string, policies ...string) aws.Credentials {
	e.t.Helper()
	_, err := e.w.User(account, name)
	must(e.t, err)
	for i, p := range policies {
		must(e.t, e.w.Inline(authztest.UserOwner(account, name), "p"+string(rune('0'+i)), p))
	}
	id, err := credential.NewAccessKeyID(credential.PrefixAccessKey, account, rand.Reader)
	must(e.t, err)
	secret, err := credential.NewSecretAccessKey(rand.Reader)
	must(e.t, err)
	sealed, err := e.mk.Seal([]byte(secret.Reveal()), authn.AccessKeyPurpose(id))
	must(e.t, err)
	must(e.t, e.st.AccessKeys().Create(context.Background(), iam.AccessKey{Account: account, UserName: name, ID: id,
		Status: iam.AccessKeyActive, Created: e.w.Now, SecretCiphertext: sealed}))
	e.sync()
	return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret.Reveal()}
}

// role creates a role with a trust policy and inline permissions.
func (e *env) role(account, name, trust string, maxSession int, policies ...string) string {
	e.t.Helper()
	r, err := e.w.Role(account, name, trust, maxSession)
	must(e.t, err)
	for i, p := range policies {
		must(e.t, e.w.Inline(authztest.RoleOwner(account, name), "p"+string(rune('0'+i)), p))
	}
	e.sync()
	return r.ARN()
}

// mfa gives the user a virtual MFA device and returns its serial and seed.
func (e *env) mfa(account, user string) (string, totp.Seed) {
	e.t.Helper()
	ctx := context.Background()
	seed, err := totp.NewSeed(rand.Reader)
	must(e.t, err)
	serial := iam.MFASerial(account, "/", user+"-mfa")
	for n := 2; ; n++ { // a user's further devices
		if _, err := e.st.MFADevices().Get(ctx, serial); err != nil {
			break
		}
		serial = iam.MFASerial(account, "/", fmt.Sprintf("%s-mfa%d", user, n))
	}
	sealed, err := e.mk.Seal(seed.Bytes(), sts.MFASeedPurpose(serial))
	must(e.t, err)
	must(e.t, e.st.MFADevices().Create(ctx, iam.VirtualMFADevice{Account: account, SerialNumber: serial, Path: "/",
		Name: strings.TrimPrefix(serial, "arn:aws:iam::"+account+":mfa/"), SeedCiphertext: sealed, Created: e.w.Now}))
	must(e.t, e.st.MFADevices().Assign(ctx, serial, user, e.w.Now, totp.Step(time.Now())-10))
	return serial, seed
}

func (e *env) sts(c aws.Credentials) *awssts.Client {
	return awssts.New(awssts.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.url), Retryer: aws.NopRetryer{},
		Credentials: credentials.StaticCredentialsProvider{Value: c}})
}

func (e *env) iam(c aws.Credentials) *awsiam.Client {
	return awsiam.New(awsiam.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.url), Retryer: aws.NopRetryer{},
		Credentials: credentials.StaticCredentialsProvider{Value: c}})
}

// temp converts STS credentials for the SDK.
func temp(t testing.TB, c *ststypes.Credentials) aws.Credentials {
	t.Helper()
	if c == nil {
		t.Fatal("no credentials")
	}
	return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)}
}

// apiError returns the wire code and message of a failed call ("", "" on
// success).
func apiError(err error) (string, string) {
	if err == nil {
		return "", ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), ae.ErrorMessage()
	}
	return "transport", err.Error()
}

// wantError checks a failure's code and that its message starts with
// prefix.
func wantError(t testing.TB, name string, err error, code, prefix string) {
	t.Helper()
	gotCode, msg := apiError(err)
	if gotCode != code || !strings.HasPrefix(msg, prefix) {
		t.Errorf("%s: got %s %q, want %s %q...", name, gotCode, msg, code, prefix)
	}
}

// wire maps a service error as the dispatcher would, so service-level
// tests can check the client's view.
func wire(err error) error {
	if err == nil {
		return nil
	}
	w, _ := awsquery.ToWire(err, sts.WireError)
	return &smithy.GenericAPIError{Code: w.Code.Name, Message: w.Message}
}
