package iamservice_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/credential/password"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/iamservice"
	"github.com/brevet-dev/brevet/internal/iam/managed"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

const (
	testAccount = "123456789012"
	adminKeyID  = "AKIAADMINTESTKEY0001"
	adminSecret = "adminsecretadminsecretadminsecretadminse"
	adminName   = "admin"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// keyAuthn maps the one test access key to an admin IAM user; any other key
// is refused. It reads the key id from the Authorization header without
// verifying the signature: signatures are package sigv4's business.
type keyAuthn struct{}

func (keyAuthn) Authenticate(_ context.Context, r *request.AuthnRequest) (request.Principal, error) {
	h := r.HTTP.Header.Get("Authorization")
	if !strings.Contains(h, "Credential="+adminKeyID+"/") {
		return nil, awsquery.CodeInvalidClientTokenID.New("The security token included in the request is invalid.")
	}
	return &identity.Principal{Type: identity.IAMUser, Account: testAccount, CallerARN: iam.UserARN(testAccount, "/", adminName),
		PrincipalID: "AIDAADMIN", AccessKeyID: adminKeyID, UserName: adminName, UserID: "AIDAADMIN"}, nil
}

// allowAll allows every request and records what was asked.
type allowAll struct {
	mu  sync.Mutex
	got []*request.AuthzRequest
}

func (a *allowAll) Authorize(_ context.Context, r *request.AuthzRequest) (request.Decision, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.got = append(a.got, r)
	return request.Decision{Allowed: true}, nil
}

func (a *allowAll) last() *request.AuthzRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.got) == 0 {
		return nil
	}
	return a.got[len(a.got)-1]
}

type nopAudit struct{}

func (nopAudit) Audit(context.Context, *request.Record) error { return nil }

// recordAudit keeps every audit record, for tests of what it carries.
type recordAudit struct {
	mu   sync.Mutex
	recs []request.Record
}

func (a *recordAudit) Audit(_ context.Context, rec *request.Record) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.recs = append(a.recs, *rec)
	return nil
}

// last returns the latest record of action.
func (a *recordAudit) last(action string) *request.Record {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := len(a.recs) - 1; i >= 0; i-- {
		if a.recs[i].Action == action {
			rec := a.recs[i]
			return &rec
		}
	}
	return nil
}

// env is a running IAM endpoint on a real SQLite store.
type env struct {
	st     *sqlite.Store
	mk     *masterkey.Keyring
	pw     *password.Hasher
	svc    *iamservice.Service
	authz  *allowAll
	audit  *recordAudit
	srv    *httptest.Server
	client *awsiam.Client
	now    time.Time
	mu     sync.Mutex
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{authz: &allowAll{}, audit: &recordAudit{}, now: testNow}
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "brevet.db"), Now: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	if err := st.Accounts().Create(ctx, iam.Account{ID: testAccount, Created: testNow}); err != nil {
		t.Fatal(err)
	}
	if err := st.Users().Create(ctx, iam.User{Account: testAccount, ID: "AIDAADMIN", Name: adminName, Path: "/", Created: testNow}); err != nil {
		t.Fatal(err)
	}
	if err := managed.Seed(ctx, st, testNow); err != nil {
		t.Fatal(err)
	}
	e.mk, err = masterkey.Generate(rand.Reader, testNow)
	if err != nil {
		t.Fatal(err)
	}
	// Cheap argon2id parameters: the format and logic are the same.
	pw, err := password.NewHasher(password.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 2, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e.pw = pw
	svc, err := iamservice.New(iamservice.Config{Store: st, MasterKey: e.mk, Passwords: pw})
	if err != nil {
		t.Fatal(err)
	}
	d, err := awsquery.New(awsquery.Config{Pipeline: &request.Pipeline{Authenticator: keyAuthn{}, Authorizer: e.authz, Auditor: e.audit},
		Clock: e.clock, ErrorMappers: []awsquery.ErrorMapper{iamservice.WireError}})
	if err != nil {
		t.Fatal(err)
	}
	iamservice.Register(d, svc)
	e.svc = svc
	e.srv = httptest.NewServer(d)
	t.Cleanup(e.srv.Close)
	e.client = awsiam.New(awsiam.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(e.srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider(adminKeyID, adminSecret, ""),
		RetryMaxAttempts: 1,
	})
	return e
}

// apiError returns the code and message of an SDK error, or fails.
func apiError(t testing.TB, err error) (string, string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got error %v, want an API error", err)
	}
	return ae.ErrorCode(), ae.ErrorMessage()
}

// must(f())(t) returns f's value, failing t if f failed.
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
