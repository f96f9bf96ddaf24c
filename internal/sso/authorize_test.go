package sso

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
)

// authorizeQuery is the CLI's authorization request for client.
func authorizeQuery(clientID, redirect, challenge string) url.Values {
	return url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirect},
		"state": {"st-123"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}, "scopes": {ScopeAccountAccess}}
}

// TestAuthorizationCode: the code grant with PKCE, and its must-reject
// cases.
func TestAuthorizationCode(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	c := e.register(t, GrantAuthorizationCode, GrantRefreshToken)
	verifier, challenge := pkce("one")
	const redirect = "http://127.0.0.1:43123/oauth/callback"
	issue := func(t *testing.T) string {
		t.Helper()
		a, err := e.s.CheckAuthorize(authorizeQuery(c.ClientID, redirect, challenge), e.now)
		if err != nil {
			t.Fatal(err)
		}
		loc, err := e.s.IssueCode(ctx, a, ann, e.now)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(loc)
		if !strings.HasPrefix(loc, redirect+"?") || u.Query().Get("state") != "st-123" {
			t.Fatalf("redirect = %s", loc)
		}
		return u.Query().Get("code")
	}
	redeem := func(code string, fn func(*CreateTokenInput)) (*CreateTokenOutput, error) {
		return e.token(c, GrantAuthorizationCode, func(in *CreateTokenInput) {
			in.Code, in.RedirectURI, in.CodeVerifier = code, redirect, verifier
			if fn != nil {
				fn(in)
			}
		})
	}
	code := issue(t)
	out, err := redeem(code, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Authenticate(ctx, out.AccessToken, e.now); err != nil {
		t.Fatal(err)
	}
	_, err = redeem(code, nil)
	wantCode(t, "code used twice", err, InvalidGrant)

	otherVerifier, _ := pkce("two")
	other := e.register(t, GrantAuthorizationCode)
	for _, tt := range []struct {
		name string
		fn   func(*CreateTokenInput)
		want ErrorCode
	}{
		{"verifier mismatch", func(in *CreateTokenInput) { in.CodeVerifier = otherVerifier }, InvalidGrant},
		{"short verifier", func(in *CreateTokenInput) { in.CodeVerifier = "abc" }, InvalidGrant},
		{"redirect mismatch", func(in *CreateTokenInput) { in.RedirectURI = "http://127.0.0.1:43124/oauth/callback" }, InvalidGrant},
		{"another client", func(in *CreateTokenInput) { in.ClientID, in.ClientSecret = other.ClientID, other.ClientSecret }, InvalidGrant},
		{"tampered code", func(in *CreateTokenInput) { in.Code = in.Code[:len(in.Code)-3] + "AAA" }, InvalidGrant},
		{"no verifier", func(in *CreateTokenInput) { in.CodeVerifier = "" }, InvalidRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := redeem(issue(t), tt.fn)
			wantCode(t, tt.name, err, tt.want)
		})
	}
	t.Run("expired", func(t *testing.T) {
		code := issue(t)
		e.now = e.now.Add(CodeLifetime)
		_, err := redeem(code, nil)
		wantCode(t, "expired code", err, InvalidGrant)
	})
	t.Run("spent by a failure", func(t *testing.T) {
		code := issue(t)
		_, err := redeem(code, func(in *CreateTokenInput) { in.CodeVerifier = otherVerifier })
		wantCode(t, "wrong verifier", err, InvalidGrant)
		_, err = redeem(code, nil)
		wantCode(t, "right verifier after a wrong one", err, InvalidGrant)
	})
}

// TestCheckAuthorize: a bad client or redirect URI is shown on the page;
// other errors go back to the client's redirect URI with the state.
func TestCheckAuthorize(t *testing.T) {
	e := newEnv(t)
	c := e.register(t, GrantAuthorizationCode, GrantRefreshToken)
	deviceOnly := e.register(t)
	_, challenge := pkce("x")
	const redirect = "http://127.0.0.1:5555/oauth/callback"
	for _, tt := range []struct {
		name         string
		edit         func(q url.Values)
		wantRedirect bool
		wantCode     string
	}{
		{"forged client", func(q url.Values) { q.Set("client_id", c.ClientID[:len(c.ClientID)-4]+"AAAA") }, false, "invalid_client"},
		{"no client", func(q url.Values) { q.Del("client_id") }, false, "invalid_request"},
		{"redirect off loopback", func(q url.Values) { q.Set("redirect_uri", "http://evil.example/oauth/callback") }, false, "invalid_request"},
		{"https redirect", func(q url.Values) { q.Set("redirect_uri", "https://127.0.0.1:5555/oauth/callback") }, false, "invalid_request"},
		{"other path", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:5555/other") }, false, "invalid_request"},
		{"no port", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1/oauth/callback") }, false, "invalid_request"},
		{"repeated redirect", func(q url.Values) { q.Add("redirect_uri", redirect) }, false, "invalid_request"},
		{"token response", func(q url.Values) { q.Set("response_type", "token") }, true, "unsupported_response_type"},
		{"no PKCE", func(q url.Values) { q.Del("code_challenge") }, true, "invalid_request"},
		{"plain PKCE", func(q url.Values) { q.Set("code_challenge_method", "plain") }, true, "invalid_request"},
		{"unknown scope", func(q url.Values) { q.Set("scopes", "codewhisperer:completions") }, true, "invalid_scope"},
		{"device-only client", func(q url.Values) { q.Set("client_id", deviceOnly.ClientID); q.Set("redirect_uri", redirect) }, false, "invalid_request"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q := authorizeQuery(c.ClientID, redirect, challenge)
			tt.edit(q)
			_, err := e.s.CheckAuthorize(q, e.now)
			var ae *AuthorizeError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *AuthorizeError", err)
			}
			if ae.Redirect != tt.wantRedirect || ae.Code != tt.wantCode {
				t.Errorf("got redirect=%v code=%s, want %v %s", ae.Redirect, ae.Code, tt.wantRedirect, tt.wantCode)
			}
			if ae.Redirect && (!strings.HasPrefix(ae.Location, redirect+"?") || !strings.Contains(ae.Location, "state=st-123")) {
				t.Errorf("location = %s", ae.Location)
			}
			if !ae.Redirect && ae.Location != "" {
				t.Errorf("location %q on an error shown on the page", ae.Location)
			}
		})
	}
	a, err := e.s.CheckAuthorize(authorizeQuery(c.ClientID, "http://localhost:7777/oauth/callback", challenge), e.now)
	if err == nil {
		t.Errorf("localhost when 127.0.0.1 was registered: %+v", a)
	}
	a, err = e.s.CheckAuthorize(authorizeQuery(c.ClientID, redirect, challenge), e.now)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.s.DenyAuthorize(a); got != redirect+"?error=access_denied&state=st-123" {
		t.Errorf("DenyAuthorize = %s", got)
	}
}
