package identitypool

// Attacks on the unsigned app-facing actions (review of the identity
// side): each test is one way in that must stay shut.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/restjson"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/teststores"
	"github.com/brevet-dev/brevet/internal/sts"
)

// TestGuestPoolTokenIsNotALogin: a guest's own pool token (GetOpenIdToken
// of an identity without logins, amr "unauthenticated") presented back as
// the cognito-identity.amazonaws.com login must not make the guest
// authenticated (and so give it the pool's authenticated role).
func TestGuestPoolTokenIsNotALogin(t *testing.T) {
	st := teststores.SQLite(t, time.Now)
	identityService(t, st)
	s, pool := flowService(t, st)
	tk, _ := testTokens(t)
	s.tokens = tk
	ctx, now := t.Context(), tokT0
	g, err := s.GetId(ctx, &GetIdInput{IdentityPoolId: pool}, exchange(now))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := tk.MintPoolToken(&sts.PoolToken{Account: testAccount, PoolID: pool, IdentityID: g.IdentityId, AMR: amr(nil)}, DefaultTokenDuration, now)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.authenticate(ctx, g.IdentityId, map[string]string{DeveloperLogin: raw}, exchange(now))
	if err == nil && !a.Guest() {
		t.Fatalf("a guest's pool token authenticated the guest: %+v", a.Logins)
	}
	if err != nil {
		wantCode(t, "guest pool token", err, CodeNotAuthorized, msgInvalidToken)
	}
	// An authenticated identity's token still proves it.
	raw, err = tk.MintPoolToken(&sts.PoolToken{Account: testAccount, PoolID: pool, IdentityID: g.IdentityId, AMR: []string{amrAuthenticated, "dev.example"}}, DefaultTokenDuration, now)
	if err != nil {
		t.Fatal(err)
	}
	if a, err := s.authenticate(ctx, g.IdentityId, map[string]string{DeveloperLogin: raw}, exchange(now)); err != nil || a.Guest() {
		t.Fatalf("authenticated pool token: %+v (%v)", a, err)
	}
}

type signedIn struct{}

func (signedIn) Authenticate(context.Context, *request.AuthnRequest) (request.Principal, error) {
	return &identity.Principal{Type: identity.IAMUser, Account: testAccount, CallerARN: "arn:aws:iam::" + testAccount + ":user/backend"}, nil
}

// TestDeveloperUserIDsNotAudited: a developer user identifier (the
// back end's name for its user) never reaches an error message, the
// audit record's requestParameters or its responseElements.
func TestDeveloperUserIDsNotAudited(t *testing.T) {
	st := teststores.SQLite(t, time.Now)
	s := identityService(t, st)
	tk, _ := testTokens(t)
	s.tokens = tk
	ctx := t.Context()
	p, err := s.CreateIdentityPool(ctx, testAccount, &CreateIdentityPoolInput{IdentityPoolName: "dev", AllowUnauthenticatedIdentities: new(bool), DeveloperProviderName: "login.example.app"})
	if err != nil {
		t.Fatal(err)
	}
	aud := &auditLog{}
	d, err := restjson.New(restjson.Config{Pipeline: &request.Pipeline{Authenticator: signedIn{}, Authorizer: allowAll{}, Auditor: aud}})
	if err != nil {
		t.Fatal(err)
	}
	Register(d, s)
	call := func(action, body string) string {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-amz-json-1.1")
		r.Header.Set("X-Amz-Target", "AWSCognitoIdentityService."+action)
		w := httptest.NewRecorder()
		d.ServeHTTP(w, r)
		return w.Body.String()
	}
	pool := p.IdentityPoolId
	out := call("GetOpenIdTokenForDeveloperIdentity", `{"IdentityPoolId":"`+pool+`","Logins":{"login.example.app":"SECRET-ann"}}`)
	var tok OpenIdTokenOutput
	if err := json.Unmarshal([]byte(out), &tok); err != nil || tok.IdentityId == "" {
		t.Fatalf("GetOpenIdTokenForDeveloperIdentity: %s", out)
	}
	call("GetOpenIdTokenForDeveloperIdentity", `{"IdentityPoolId":"`+pool+`","Logins":{"login.example.app":"SECRET-bob"}}`)
	for _, c := range []struct{ action, body string }{
		{"LookupDeveloperIdentity", `{"IdentityPoolId":"` + pool + `","DeveloperUserIdentifier":"SECRET-ann","MaxResults":10}`},
		{"LookupDeveloperIdentity", `{"IdentityPoolId":"` + pool + `","IdentityId":"` + tok.IdentityId + `","MaxResults":10}`},
		{"LookupDeveloperIdentity", `{"IdentityPoolId":"` + pool + `","DeveloperUserIdentifier":"SECRET-nobody"}`},
		{"UnlinkDeveloperIdentity", `{"IdentityPoolId":"` + pool + `","IdentityId":"` + tok.IdentityId + `","DeveloperProviderName":"login.example.app","DeveloperUserIdentifier":"SECRET-nobody"}`},
		{"MergeDeveloperIdentities", `{"IdentityPoolId":"` + pool + `","DeveloperProviderName":"login.example.app","SourceUserIdentifier":"SECRET-bob","DestinationUserIdentifier":"SECRET-ann"}`},
		{"MergeDeveloperIdentities", `{"IdentityPoolId":"` + pool + `","DeveloperProviderName":"login.example.app","SourceUserIdentifier":"SECRET-x","DestinationUserIdentifier":"SECRET-y"}`},
		{"UnlinkDeveloperIdentity", `{"IdentityPoolId":"` + pool + `","IdentityId":"` + tok.IdentityId + `","DeveloperProviderName":"login.example.app","DeveloperUserIdentifier":"SECRET-ann"}`},
	} {
		if out := call(c.action, c.body); strings.Contains(out, "SECRET") && !strings.Contains(out, "DeveloperUserIdentifierList") {
			t.Errorf("%s %s: a developer user id in the answer: %s", c.action, c.body, out)
		}
	}
	for _, rec := range aud.take() {
		b, _ := json.Marshal(rec)
		if strings.Contains(string(b), "SECRET") {
			t.Errorf("a developer user id in the audit record: %s", b)
		}
	}
}

// hookObjects runs onCreate once, before the first Create of a login
// object: another request interleaved at that point.
type hookObjects struct {
	store.Objects
	fired    atomic.Bool
	onCreate func()
}

func (h *hookObjects) Create(ctx context.Context, o store.Object) error {
	if o.Kind == KindLogin && h.onCreate != nil && h.fired.CompareAndSwap(false, true) {
		h.onCreate()
	}
	return h.Objects.Create(ctx, o)
}

// TestGuestLinkRaceOnePerson: two people who both hold a guest's id sign
// in with it at once (each with a login of a different provider). Both
// find a guest; only one may make it theirs. The other is refused, and
// its login is left free (not pointing to the guest), so its owner's
// GetId makes them their own identity.
func TestGuestLinkRaceOnePerson(t *testing.T) {
	st := teststores.SQLite(t, time.Now)
	identityService(t, st)
	s, pool := flowService(t, st)
	ctx, now := t.Context(), time.Now()
	g, err := s.GetId(ctx, &GetIdInput{IdentityPoolId: pool}, exchange(now))
	if err != nil {
		t.Fatal(err)
	}
	var annErr error
	s.objects = &hookObjects{Objects: s.objects, onCreate: func() {
		_, annErr = s.authenticate(ctx, g.IdentityId, map[string]string{idpA: "sub:ann"}, exchange(now))
	}}
	_, bobErr := s.authenticate(ctx, g.IdentityId, map[string]string{idpB: "sub:bob"}, exchange(now))
	if annErr != nil {
		t.Fatalf("ann, first: %v", annErr)
	}
	if bobErr == nil {
		t.Errorf("bob signed in to ann's identity")
	}
	si, err := s.getIdentity(ctx, testAccount, g.IdentityId)
	if err != nil || si == nil {
		t.Fatal(si, err)
	}
	if !si.hasLogin(lg(idpA, "ann")) || si.hasLogin(lg(idpB, "bob")) {
		t.Errorf("the guest's logins: %v, want ann's only", si.Logins)
	}
	if owner, _, err := s.loginOwner(ctx, testAccount, pool, lg(idpB, "bob")); err != nil || owner == g.IdentityId {
		t.Errorf("bob's login points to ann's identity (%v)", err)
	}
	b, err := s.GetId(ctx, &GetIdInput{IdentityPoolId: pool, Logins: map[string]string{idpB: "sub:bob"}}, exchange(now))
	if err != nil || b.IdentityId == g.IdentityId {
		t.Errorf("bob's GetId: %v (%v), want an identity of his own", b, err)
	}
}

// TestDeveloperNameIsNotALoginProvider: a pool whose developer provider
// name is also one of its OIDC providers' (a configuration the pool's
// validation lets through) must not let an unsigned caller's OIDC token
// for subject S pass as the back end's developer user S: the developer
// provider's logins come only from the signed
// GetOpenIdTokenForDeveloperIdentity.
func TestDeveloperNameIsNotALoginProvider(t *testing.T) {
	s, q := flowPoolCopy(t)
	q.DeveloperProviderName = idpA
	ctx, now := t.Context(), time.Now()
	_, err := s.verifyLogins(ctx, testAccount, &q, map[string]string{idpA: "sub:ann"}, now)
	wantCode(t, "an OIDC token under the developer provider's name", err, CodeNotAuthorized, msgUnsupportedProvider)
}

// deleteHook runs onDelete once, before the first Delete of a login
// object.
type deleteHook struct {
	store.Objects
	fired    atomic.Bool
	onDelete func()
}

func (h *deleteHook) Delete(ctx context.Context, account, kind, id string) error {
	if kind == KindLogin && h.fired.CompareAndSwap(false, true) {
		h.onDelete()
	}
	return h.Objects.Delete(ctx, account, kind, id)
}

// TestUnlinkRaceWithGetId: a GetId with the login being unlinked, in
// the middle of UnlinkIdentity, must not leave the login listed on the
// identity (still proving it) with no login object (so the next GetId
// makes another identity for it).
func TestUnlinkRaceWithGetId(t *testing.T) {
	st := teststores.SQLite(t, time.Now)
	identityService(t, st)
	s, pool := flowService(t, st)
	ctx, now := t.Context(), time.Now()
	both := map[string]string{idpA: "sub:ann", idpB: "sub:ann"}
	id, err := s.GetId(ctx, &GetIdInput{IdentityPoolId: pool, Logins: both}, exchange(now))
	if err != nil {
		t.Fatal(err)
	}
	s.objects = &deleteHook{Objects: s.objects, onDelete: func() {
		if _, err := s.GetId(ctx, &GetIdInput{IdentityPoolId: pool, Logins: map[string]string{idpB: "sub:ann"}}, exchange(now)); err != nil {
			t.Errorf("GetId meanwhile: %v", err)
		}
	}}
	err = s.UnlinkIdentity(ctx, &UnlinkIdentityInput{IdentityId: id.IdentityId, Logins: map[string]string{idpA: "sub:ann"}, LoginsToRemove: []string{idpB}}, exchange(now))
	if err != nil {
		t.Fatal(err)
	}
	si, err := s.getIdentity(ctx, testAccount, id.IdentityId)
	if err != nil || si == nil {
		t.Fatal(si, err)
	}
	owner, _, err := s.loginOwner(ctx, testAccount, pool, lg(idpB, "ann"))
	if err != nil {
		t.Fatal(err)
	}
	if listed := si.hasLogin(lg(idpB, "ann")); listed != (owner == id.IdentityId) {
		t.Errorf("after the unlink: listed on the identity %v, its login object names %q", listed, owner)
	}
}

// TestUnlinkDeveloperRace: UnlinkDeveloperIdentity with the back end
// vouching for the same user in between leaves the user listed on the
// identity only if its login object names it.
func TestUnlinkDeveloperRace(t *testing.T) {
	st := teststores.SQLite(t, time.Now)
	s := identityService(t, st)
	tk, _ := testTokens(t)
	s.tokens = tk
	ctx, now := t.Context(), time.Now()
	p, err := s.CreateIdentityPool(ctx, testAccount, &CreateIdentityPoolInput{IdentityPoolName: "dev", AllowUnauthenticatedIdentities: new(bool), DeveloperProviderName: "login.example.app"})
	if err != nil {
		t.Fatal(err)
	}
	vouch := func(user string) string {
		out, err := s.GetOpenIdTokenForDeveloperIdentity(ctx, testAccount, &GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: p.IdentityPoolId,
			Logins: map[string]string{"login.example.app": user}}, now)
		if err != nil {
			t.Fatal(err)
		}
		return out.IdentityId
	}
	id := vouch("ann")
	s.objects = &deleteHook{Objects: s.objects, onDelete: func() { vouch("ann") }}
	if err := s.UnlinkDeveloperIdentity(ctx, testAccount, &UnlinkDeveloperIdentityInput{IdentityPoolId: p.IdentityPoolId, IdentityId: id,
		DeveloperProviderName: "login.example.app", DeveloperUserIdentifier: "ann"}); err != nil {
		t.Fatal(err)
	}
	si, err := s.getIdentity(ctx, testAccount, id)
	if err != nil || si == nil {
		t.Fatal(si, err)
	}
	owner, _, err := s.loginOwner(ctx, testAccount, p.IdentityPoolId, lg("login.example.app", "ann"))
	if err != nil {
		t.Fatal(err)
	}
	if listed := si.hasLogin(lg("login.example.app", "ann")); listed != (owner == id) {
		t.Errorf("after the unlink: listed on the identity %v, its login object names %q", listed, owner)
	}
}

// TestSupportedAppIDsBindOIDCProvider: a provider listed both as an OIDC
// provider ARN and in SupportedLoginProviders keeps the app id the
// latter names: a token of the IAM provider's other client ids (another
// app of the account) is not a login of this pool.
func TestSupportedAppIDsBindOIDCProvider(t *testing.T) {
	s, q := flowPoolCopy(t)
	q.SupportedLoginProviders = map[string]string{idpA: "other-app"}
	ctx, now := t.Context(), time.Now()
	_, err := s.verifyLogins(ctx, testAccount, &q, map[string]string{idpA: "sub:ann"}, now)
	wantCode(t, "a token of another client id", err, CodeNotAuthorized, msgAudience)
	q.SupportedLoginProviders = map[string]string{idpA: "app"}
	if _, err := s.verifyLogins(ctx, testAccount, &q, map[string]string{idpA: "sub:ann"}, now); err != nil {
		t.Errorf("a token of the app id: %v", err)
	}
}

// flowPoolCopy is the flow service (flowService, on a new SQLite store)
// and a copy of its pool for a test to change and pass to the service's
// functions: the pool itself is the cache's, not to be changed.
func flowPoolCopy(t *testing.T) (*Service, Pool) {
	t.Helper()
	st := teststores.SQLite(t, time.Now)
	identityService(t, st)
	s, pool := flowService(t, st)
	p, err := s.pool(t.Context(), testAccount, pool)
	if err != nil {
		t.Fatal(err)
	}
	return s, *p
}
