package identitypool

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/federation/oidc"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/teststores"
	"github.com/brevet-dev/brevet/internal/sts"
)

// tokenSessions verifies made-up login tokens: "sub:NAME" is NAME's
// token, "expired" an expired one; anything else is not a token.
type tokenSessions struct{}

func (tokenSessions) PoolSession(context.Context, *sts.PoolSessionInput) (*sts.ServiceSession, error) {
	return nil, errors.New("not in these tests")
}

func (tokenSessions) VerifyOIDCLogin(_ context.Context, _, _, token string, now time.Time) (*sts.VerifiedLogin, error) {
	if sub, ok := strings.CutPrefix(token, "sub:"); ok {
		return &sts.VerifiedLogin{Subject: sub, Audience: []string{"app"}, Claims: map[string]any{"sub": sub}}, nil
	}
	if token == "expired" {
		return nil, &oidc.Error{Kind: oidc.Expired, Message: "Token expired: current date/time 2 must be before the expiration date/time 1"}
	}
	return nil, &oidc.Error{Kind: oidc.InvalidToken, Message: "The ID Token provided is not a valid JWT."}
}

func (tokenSessions) VerifySAMLLogin(context.Context, string, string, time.Time) (*sts.VerifiedLogin, error) {
	return nil, errors.New("not in these tests")
}

const (
	idpA = "idp-a.example"
	idpB = "idp-b.example"
)

// flowService is a Service on st with a pool allowing guests whose
// logins are idpA and idpB, verified by tokenSessions.
func flowService(t testing.TB, st store.Store) (*Service, string) {
	t.Helper()
	s, err := New(Config{Objects: st.Objects(), Sessions: tokenSessions{}, Tokens: NewTokens(nil)})
	if err != nil {
		t.Fatal(err)
	}
	arn := func(n string) string { return "arn:aws:iam::" + testAccount + ":oidc-provider/" + n }
	allow := true
	p, err := s.CreateIdentityPool(context.Background(), testAccount, &CreateIdentityPoolInput{IdentityPoolName: "flows",
		AllowUnauthenticatedIdentities: &allow, OpenIdConnectProviderARNs: []string{arn(idpA), arn(idpB)}})
	if err != nil {
		t.Fatal(err)
	}
	return s, p.IdentityPoolId
}

func exchange(now time.Time) *request.Exchange {
	return &request.Exchange{Start: now, SourceIP: "192.0.2.1"}
}

// TestAuthenticate: a guest stays a guest without logins and becomes
// authenticated with one; an identity with logins is refused without
// one of them, and links the new ones presented with one.
func TestAuthenticate(t *testing.T) {
	st := teststores.SQLite(t, time.Now)
	identityService(t, st) // makes the account
	s, pool := flowService(t, st)
	ctx, now := t.Context(), time.Now()
	g, err := s.GetId(ctx, &GetIdInput{IdentityPoolId: pool}, exchange(now))
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.authenticate(ctx, g.IdentityId, nil, exchange(now))
	if err != nil || !a.Guest() || a.Account != testAccount {
		t.Fatalf("guest: %+v (%v)", a, err)
	}
	a, err = s.authenticate(ctx, g.IdentityId, map[string]string{idpA: "sub:ann"}, exchange(now))
	if err != nil || a.Guest() || a.Identity.IdentityId != g.IdentityId || !a.Identity.hasLogin(lg(idpA, "ann")) {
		t.Fatalf("guest signing in: %+v (%v)", a, err)
	}
	if id, err := s.GetId(ctx, &GetIdInput{IdentityPoolId: pool, Logins: map[string]string{idpA: "sub:ann"}}, exchange(now)); err != nil || id.IdentityId != g.IdentityId {
		t.Errorf("GetId of the guest's new login: %v (%v), want %s", id, err, g.IdentityId)
	}
	_, err = s.authenticate(ctx, g.IdentityId, nil, exchange(now))
	wantCode(t, "no logins for a signed-in identity", err, CodeNotAuthorized, msgLoginsDontMatch)
	_, err = s.authenticate(ctx, g.IdentityId, map[string]string{idpB: "sub:ann"}, exchange(now))
	wantCode(t, "only a login not linked", err, CodeNotAuthorized, msgLoginsDontMatch)
	a, err = s.authenticate(ctx, g.IdentityId, map[string]string{idpA: "sub:ann", idpB: "sub:ann"}, exchange(now))
	if err != nil || len(a.Identity.Logins) != 2 || len(a.Logins) != 2 || a.Logins[0].Provider != idpA {
		t.Fatalf("a linked login with a new one: %+v (%v)", a, err)
	}
	_, err = s.authenticate(ctx, g.IdentityId, map[string]string{idpA: "expired"}, exchange(now))
	wantCode(t, "expired token", err, CodeNotAuthorized, "Invalid login token. Token expired: ")
	_, err = s.authenticate(ctx, g.IdentityId, map[string]string{"idp-c.example": "sub:ann"}, exchange(now))
	wantCode(t, "a provider the pool does not list", err, CodeNotAuthorized, msgUnsupportedProvider)
	_, err = s.authenticate(ctx, "us-east-1:00000000-0000-4000-8000-000000000000", nil, exchange(now))
	wantCode(t, "unknown identity", err, CodeNotFound, "Identity 'us-east-1:00000000-0000-4000-8000-000000000000' not found.")
	_, err = s.authenticate(ctx, "nope", nil, exchange(now))
	wantCode(t, "malformed identity id", err, CodeInvalidParameter, "")
}

func wantCode(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	e, ok := errors.AsType[*Error](err)
	if !ok || e.Code != code || !strings.HasPrefix(e.Message, msg) {
		t.Errorf("%s: %v, want %s %q", what, err, code, msg)
	}
}

// BenchmarkReturningIdentity is the store work of a returning signed-in
// app: GetId with its login, then authenticate (GetCredentialsForIdentity's
// check) with it, on the embedded store.
func BenchmarkReturningIdentity(b *testing.B) {
	st := teststores.SQLite(b, time.Now)
	identityService(b, st) // makes the account
	s, pool := flowService(b, st)
	logins := map[string]string{idpA: "sub:ben"}
	ctx, x := context.Background(), exchange(time.Now())
	if _, err := s.GetId(ctx, &GetIdInput{IdentityPoolId: pool, Logins: logins}, x); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id, err := s.GetId(ctx, &GetIdInput{IdentityPoolId: pool, Logins: logins}, x)
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := s.authenticate(ctx, id.IdentityId, logins, x); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// TestSupportedLoginProviders: a social provider's token must name the
// configured app id in aud; OAuth-only providers are refused.
func TestSupportedLoginProviders(t *testing.T) {
	st := teststores.SQLite(t, time.Now)
	identityService(t, st) // makes the account
	s, err := New(Config{Objects: st.Objects(), Sessions: tokenSessions{}, Tokens: NewTokens(nil)})
	if err != nil {
		t.Fatal(err)
	}
	no := false
	p, err := s.CreateIdentityPool(t.Context(), testAccount, &CreateIdentityPoolInput{IdentityPoolName: "social", AllowUnauthenticatedIdentities: &no,
		SupportedLoginProviders: map[string]string{"accounts.google.com": "other-app;app", "appleid.apple.com": "not-app", "graph.facebook.com": "123"}})
	if err != nil {
		t.Fatal(err)
	}
	getID := func(logins map[string]string) error {
		_, err := s.GetId(t.Context(), &GetIdInput{IdentityPoolId: p.IdentityPoolId, Logins: logins}, exchange(time.Now()))
		return err
	}
	if err := getID(map[string]string{"accounts.google.com": "sub:kim"}); err != nil {
		t.Errorf("Google with one of the app ids: %v", err)
	}
	wantCode(t, "Apple for another app", getID(map[string]string{"appleid.apple.com": "sub:kim"}), CodeNotAuthorized, msgAudience)
	wantCode(t, "Facebook", getID(map[string]string{"graph.facebook.com": "sub:kim"}), CodeNotAuthorized, "Logins from graph.facebook.com are not supported")
	many := map[string]string{}
	for i := range MaxLogins + 1 {
		many[fmt.Sprintf("p%d", i)] = "sub:kim"
	}
	wantCode(t, "eleven logins", getID(many), CodeInvalidParameter, "")
	wantCode(t, "an empty token", getID(map[string]string{"accounts.google.com": ""}), CodeInvalidParameter, "")
}
