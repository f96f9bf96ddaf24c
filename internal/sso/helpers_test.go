package sso

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

const (
	testAccount = "123456789012"
	testURL     = "https://sso.example.test"
	testStart   = testURL + "/start"
	testSource  = "192.0.2.10"
)

// users is the UserChecker of the tests: the IAM users that are enabled,
// by unique id, with their current groups.
type users struct {
	mu      sync.Mutex
	enabled map[string][]string
	checks  int
}

func (u *users) Check(_ context.Context, id Identity) (Identity, bool, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.checks++
	groups, ok := u.enabled[id.UserID]
	id.Groups = groups
	return id, ok, nil
}

func (u *users) set(id string, groups []string, enabled bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if enabled {
		u.enabled[id] = groups
	} else {
		delete(u.enabled, id)
	}
}

// env is a service on a real SQLite store and a generated master key,
// with a clock the test moves.
type env struct {
	s     *Service
	st    store.Store
	users *users
	now   time.Time
}

func newEnv(t testing.TB) *env {
	t.Helper()
	st, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "b.db"), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	return newEnvOn(t, st)
}

// newEnvOn is newEnv on the store st, which it closes at the end.
func newEnvOn(t testing.TB, st store.Store) *env {
	t.Helper()
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	if err := st.Accounts().Create(context.Background(), iam.Account{ID: testAccount, Created: now}); err != nil {
		t.Fatal(err)
	}
	kr, err := masterkey.Generate(rand.Reader, now)
	if err != nil {
		t.Fatal(err)
	}
	u := &users{enabled: map[string][]string{ann.UserID: {"AGPAGROUP1"}}}
	s, err := New(Config{Objects: st.Objects(), InstanceAccount: testAccount, Sealer: kr, Opener: kr, Users: u,
		URL: testURL})
	if err != nil {
		t.Fatal(err)
	}
	return &env{s: s, st: st, users: u, now: now}
}

// ann is an IAM user who signs in.
var ann = Identity{Source: SourceIAM, Account: testAccount, UserID: "AIDAANN", UserName: "ann", Groups: []string{"AGPAGROUP1"}}

// register registers a client for the grants (the device grant and
// refresh by default).
func (e *env) register(t testing.TB, grants ...string) *RegisterClientOutput {
	t.Helper()
	in := &RegisterClientInput{ClientName: "botocore-client-test", ClientType: "public", Scopes: []string{ScopeAccountAccess}, GrantTypes: grants}
	if len(grants) > 0 && grants[0] == GrantAuthorizationCode {
		in.RedirectURIs = []string{"http://127.0.0.1/oauth/callback"}
	}
	out, err := e.s.RegisterClient(context.Background(), in, testSource, e.now)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// device starts a device authorization for client.
func (e *env) device(t testing.TB, c *RegisterClientOutput) *StartDeviceAuthorizationOutput {
	t.Helper()
	out, err := e.s.StartDeviceAuthorization(context.Background(),
		&StartDeviceAuthorizationInput{ClientID: c.ClientID, ClientSecret: c.ClientSecret, StartURL: testStart}, testSource, e.now)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// signIn runs the device grant to its tokens for ann.
func (e *env) signIn(t testing.TB, c *RegisterClientOutput) *CreateTokenOutput {
	t.Helper()
	d := e.device(t, c)
	if err := e.s.ApproveDevice(context.Background(), d.UserCode, ann, e.now); err != nil {
		t.Fatal(err)
	}
	out, err := e.token(c, GrantDeviceCode, func(in *CreateTokenInput) { in.DeviceCode = d.DeviceCode })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// token calls CreateToken for client with grant, edited by fn.
func (e *env) token(c *RegisterClientOutput, grant string, fn func(*CreateTokenInput)) (*CreateTokenOutput, error) {
	in := &CreateTokenInput{ClientID: c.ClientID, ClientSecret: c.ClientSecret, GrantType: grant}
	if fn != nil {
		fn(in)
	}
	return e.s.CreateToken(context.Background(), in, testSource, e.now)
}

// wantCode fails unless err is an *Error with code want.
func wantCode(t testing.TB, what string, err error, want ErrorCode) {
	t.Helper()
	if got := errorCodeOf(err); got != want {
		t.Errorf("%s: error %v (code %s), want %s", what, err, got.OAuth(), want.OAuth())
	}
}

// pkce returns a verifier and its S256 challenge.
func pkce(seed string) (verifier, challenge string) {
	verifier = base64.RawURLEncoding.EncodeToString([]byte(seed + "-0123456789abcdef0123456789abcdef"))
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}
