package sso

import (
	"context"
	"net/url"
	"testing"
)

// FuzzOpen feeds arbitrary strings to every parser of client input: the
// sealed values (client id and secret, device and authorization codes,
// access and refresh tokens), user codes, authorization requests, PKCE
// verifiers and redirect URIs. None may panic, and nothing but a value
// this service sealed may open.
func FuzzOpen(f *testing.F) {
	e := newEnv(f)
	c := e.register(f)
	tok := e.signIn(f, c)
	for _, seed := range []string{"", "A", "BCDF-GHJK", c.ClientID, c.ClientSecret, tok.AccessToken, tok.RefreshToken,
		"response_type=code&client_id=" + url.QueryEscape(c.ClientID) + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcb",
		"http://[::1]:80/x", "http://127.0.0.1:99999/", "%zz", "\x00\xff"} {
		f.Add(seed)
	}
	purposes := []string{purposeClientID, purposeClientSecret, purposeDeviceCode, purposeAuthCode, purposeAccessToken, purposeRefreshToken}
	sealed := map[string]bool{c.ClientID: true, c.ClientSecret: true, tok.AccessToken: true, tok.RefreshToken: true}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range purposes {
			var v map[string]any
			if err := e.s.open(p, s, &v); err == nil && !sealed[s] {
				t.Fatalf("%q opened as %s", s, p)
			}
		}
		if _, err := e.s.Authenticate(context.Background(), s, e.now); err == nil && s != tok.AccessToken {
			t.Fatalf("%q authenticated", s)
		}
		NormalizeUserCode(s)
		pkceMatches(s, s)
		loopback(s)
		if q, err := url.ParseQuery(s); err == nil {
			if _, err := e.s.CheckAuthorize(q, e.now); err == nil {
				t.Logf("accepted authorization request %q", s)
			}
		}
	})
}
