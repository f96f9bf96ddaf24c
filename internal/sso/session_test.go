package sso

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
)

// TestRefresh: a refresh token rotates, the old one presented again
// revokes the session (its access tokens stop working), a token of
// another client is refused, a disabled user's refresh is refused and
// ends the session, and the session does not outlive its duration.
func TestRefresh(t *testing.T) {
	ctx := context.Background()
	t.Run("rotation and reuse", func(t *testing.T) {
		e := newEnv(t)
		c := e.register(t)
		first := e.signIn(t, c)
		e.now = e.now.Add(30 * time.Minute)
		second, err := e.token(c, GrantRefreshToken, func(in *CreateTokenInput) { in.RefreshToken = first.RefreshToken })
		if err != nil {
			t.Fatal(err)
		}
		if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
			t.Fatal("refresh did not rotate the tokens")
		}
		if _, err := e.s.Authenticate(ctx, second.AccessToken, e.now); err != nil {
			t.Fatalf("new access token: %v", err)
		}
		e.now = e.now.Add(refreshGrace)
		_, err = e.token(c, GrantRefreshToken, func(in *CreateTokenInput) { in.RefreshToken = first.RefreshToken })
		wantCode(t, "old refresh token after the grace", err, InvalidGrant)
		if _, err := e.s.Authenticate(ctx, second.AccessToken, e.now); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("access token after reuse: %v, want ErrUnauthorized (session revoked)", err)
		}
		_, err = e.token(c, GrantRefreshToken, func(in *CreateTokenInput) { in.RefreshToken = second.RefreshToken })
		wantCode(t, "newest refresh token after reuse", err, InvalidGrant)
	})
	t.Run("another client's token", func(t *testing.T) {
		e := newEnv(t)
		c, other := e.register(t), e.register(t)
		tok := e.signIn(t, c)
		_, err := e.token(other, GrantRefreshToken, func(in *CreateTokenInput) { in.RefreshToken = tok.RefreshToken })
		wantCode(t, "refresh token of another client", err, InvalidGrant)
		if _, err := e.token(c, GrantRefreshToken, func(in *CreateTokenInput) { in.RefreshToken = tok.RefreshToken }); err != nil {
			t.Errorf("its own client: %v", err)
		}
	})
	t.Run("disabled user", func(t *testing.T) {
		e := newEnv(t)
		c := e.register(t)
		tok := e.signIn(t, c)
		e.users.set(ann.UserID, nil, false)
		_, err := e.token(c, GrantRefreshToken, func(in *CreateTokenInput) { in.RefreshToken = tok.RefreshToken })
		wantCode(t, "disabled user's refresh", err, InvalidGrant)
		if _, err := e.st.Objects().List(ctx, testAccount, KindSession, "", 0); err != nil {
			t.Fatal(err)
		}
		e.users.set(ann.UserID, nil, true)
		_, err = e.token(c, GrantRefreshToken, func(in *CreateTokenInput) { in.RefreshToken = tok.RefreshToken })
		wantCode(t, "re-enabled user: the session stays revoked", err, InvalidGrant)
	})
	t.Run("fresh groups", func(t *testing.T) {
		e := newEnv(t)
		c := e.register(t)
		tok := e.signIn(t, c)
		e.users.set(ann.UserID, []string{"AGPAGROUP2"}, true)
		out, err := e.token(c, GrantRefreshToken, func(in *CreateTokenInput) { in.RefreshToken = tok.RefreshToken })
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.s.Authenticate(ctx, out.AccessToken, e.now)
		if err != nil || len(got.Identity.Groups) != 1 || got.Identity.Groups[0] != "AGPAGROUP2" {
			t.Errorf("identity after refresh = %+v, %v", got.Identity, err)
		}
	})
	t.Run("session end", func(t *testing.T) {
		e := newEnv(t)
		c := e.register(t)
		tok := e.signIn(t, c)
		e.now = e.now.Add(DefaultSessionDuration - 10*time.Minute)
		out, err := e.token(c, GrantRefreshToken, func(in *CreateTokenInput) { in.RefreshToken = tok.RefreshToken })
		if err != nil {
			t.Fatal(err)
		}
		if out.ExpiresIn != int32((10 * time.Minute).Seconds()) {
			t.Errorf("expiresIn near the session's end = %d, want 600", out.ExpiresIn)
		}
		e.now = e.now.Add(10 * time.Minute)
		_, err = e.token(c, GrantRefreshToken, func(in *CreateTokenInput) { in.RefreshToken = out.RefreshToken })
		wantCode(t, "refresh after the session's end", err, InvalidGrant)
		if _, err := e.s.Authenticate(ctx, out.AccessToken, e.now); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("access token after the session's end: %v", err)
		}
	})
}

// TestAuthenticate: bad and expired tokens are refused alike; Logout
// revokes; a change to the session, the user or its login profile drops
// the cached session so the next use re-checks.
func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	c := e.register(t)
	tok := e.signIn(t, c)
	for _, bad := range []string{"", "x", tok.RefreshToken, tok.AccessToken[:len(tok.AccessToken)-2], tok.AccessToken + "AA", c.ClientSecret} {
		if _, err := e.s.Authenticate(ctx, bad, e.now); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("Authenticate(%.12q…) = %v, want ErrUnauthorized", bad, err)
		}
	}
	if _, err := e.s.Authenticate(ctx, tok.AccessToken, e.now.Add(time.Hour)); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("expired access token: %v", err)
	}
	checks := e.users.checks
	for range 3 {
		if _, err := e.s.Authenticate(ctx, tok.AccessToken, e.now); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.users.checks - checks; got != 1 {
		t.Errorf("user checked %d times for three uses, want 1 (then cached)", got)
	}
	// A disabled user: the change feed's login-profile change drops the
	// cached session.
	e.users.set(ann.UserID, nil, false)
	if _, err := e.s.Authenticate(ctx, tok.AccessToken, e.now); err != nil {
		t.Errorf("before the change arrives, the cache answers: %v", err)
	}
	e.s.Apply([]store.Change{{Account: testAccount, Kind: store.ChangeLoginProfile, Key: "ANN"}})
	if _, err := e.s.Authenticate(ctx, tok.AccessToken, e.now); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("after the login profile went: %v, want ErrUnauthorized", err)
	}
	e.users.set(ann.UserID, []string{"AGPAGROUP1"}, true)
	if _, err := e.s.Authenticate(ctx, tok.AccessToken, e.now); err != nil {
		t.Errorf("re-enabled: %v", err)
	}
	if err := e.s.Logout(ctx, tok.AccessToken, e.now); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Authenticate(ctx, tok.AccessToken, e.now); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("after Logout: %v", err)
	}
	_, err := e.token(c, GrantRefreshToken, func(in *CreateTokenInput) { in.RefreshToken = tok.RefreshToken })
	wantCode(t, "refresh after Logout", err, InvalidGrant)
	if err := e.s.Logout(ctx, tok.AccessToken, e.now); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("second Logout: %v", err)
	}
}

// TestApplyOtherNode: a node that cached a session learns from the change
// feed that another node revoked it.
func TestApplyOtherNode(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	other, err := New(e.s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := e.register(t)
	tok := e.signIn(t, c)
	if _, err := other.Authenticate(ctx, tok.AccessToken, e.now); err != nil {
		t.Fatal(err)
	}
	before, _ := e.st.Changes().Latest(ctx)
	if err := e.s.Logout(ctx, tok.AccessToken, e.now); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Authenticate(ctx, tok.AccessToken, e.now); err != nil {
		t.Errorf("before the change feed: %v (cached)", err)
	}
	changes, err := e.st.Changes().Since(ctx, before, 0)
	if err != nil {
		t.Fatal(err)
	}
	other.Apply(changes)
	if _, err := other.Authenticate(ctx, tok.AccessToken, e.now); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("after the change feed: %v, want ErrUnauthorized", err)
	}
}

// TestRefreshRace: the same refresh token presented several times at
// once (CLI commands started together, each refreshing) rotates the
// session once and gives every caller the new generation's tokens; the
// session lives on. Within the grace the previous token is honoured
// without rotating; after it, it revokes the session, and so does a
// token two generations old at once.
func TestRefreshRace(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	c := e.register(t)
	tok := e.signIn(t, c)
	const racers = 4
	type result struct {
		out *CreateTokenOutput
		err error
	}
	results := make(chan result, racers)
	for range racers {
		go func() {
			out, err := e.token(c, GrantRefreshToken, func(in *CreateTokenInput) { in.RefreshToken = tok.RefreshToken })
			results <- result{out, err}
		}()
	}
	var outs []*CreateTokenOutput
	for range racers {
		r := <-results
		if r.err != nil {
			t.Errorf("a racer: %v", r.err)
			continue
		}
		outs = append(outs, r.out)
	}
	objs, err := e.st.Objects().List(ctx, testAccount, KindSession, "", 0)
	if err != nil || len(objs) != 1 {
		t.Fatalf("sessions after the race: %d, %v; want the one", len(objs), err)
	}
	var doc sessionDoc
	if err := json.Unmarshal(objs[0].Body, &doc); err != nil || doc.Gen != 1 {
		t.Fatalf("session after the race: generation %d (%v), want 1", doc.Gen, err)
	}
	for i, out := range outs {
		if _, err := e.s.Authenticate(ctx, out.AccessToken, e.now); err != nil {
			t.Errorf("racer %d's access token: %v", i, err)
		}
	}

	// The newest token rotates on; the one before it is still in its
	// grace, the first one is two generations old.
	e.now = e.now.Add(time.Second)
	if _, err := e.token(c, GrantRefreshToken, func(in *CreateTokenInput) { in.RefreshToken = outs[0].RefreshToken }); err != nil {
		t.Fatal(err)
	}
	_, err = e.token(c, GrantRefreshToken, func(in *CreateTokenInput) { in.RefreshToken = tok.RefreshToken })
	wantCode(t, "a token two generations old", err, InvalidGrant)
	if _, err := e.s.Authenticate(ctx, outs[0].AccessToken, e.now); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("access token after the reuse: %v, want ErrUnauthorized", err)
	}
}

// TestRefreshGrace: the previous generation's token within the grace
// gets the current generation's tokens without rotating; at the grace's
// end it revokes the session.
func TestRefreshGrace(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	c := e.register(t)
	first := e.signIn(t, c)
	second, err := e.token(c, GrantRefreshToken, func(in *CreateTokenInput) { in.RefreshToken = first.RefreshToken })
	if err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(refreshGrace - time.Second)
	again, err := e.token(c, GrantRefreshToken, func(in *CreateTokenInput) { in.RefreshToken = first.RefreshToken })
	if err != nil {
		t.Fatalf("previous token within the grace: %v", err)
	}
	var a, b refreshClaims
	if e.s.open(purposeRefreshToken, second.RefreshToken, &a) != nil || e.s.open(purposeRefreshToken, again.RefreshToken, &b) != nil || a.Gen != b.Gen {
		t.Errorf("within the grace: generation %d, want the current %d", b.Gen, a.Gen)
	}
	e.now = e.now.Add(time.Second)
	_, err = e.token(c, GrantRefreshToken, func(in *CreateTokenInput) { in.RefreshToken = first.RefreshToken })
	wantCode(t, "previous token at the grace's end", err, InvalidGrant)
	if _, err := e.s.Authenticate(ctx, again.AccessToken, e.now); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("access token after the reuse: %v, want ErrUnauthorized", err)
	}
}

// TestNoRefreshGrant: a client registered without the refresh_token
// grant gets no refresh token (it could never use one), as the model
// allows ("if present").
func TestNoRefreshGrant(t *testing.T) {
	e := newEnv(t)
	c := e.register(t, GrantDeviceCode)
	out := e.signIn(t, c)
	if out.AccessToken == "" || out.RefreshToken != "" {
		t.Errorf("tokens of a client without the refresh grant: access %t, refresh %t", out.AccessToken != "", out.RefreshToken != "")
	}
	if with := e.signIn(t, e.register(t)); with.RefreshToken == "" {
		t.Error("no refresh token for a client with the refresh grant")
	}
}
