package sso

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/ratelimit"
)

// TestRegisterClient: what a registration may hold, and the errors the
// model names for the rest.
func TestRegisterClient(t *testing.T) {
	e := newEnv(t)
	ok := func() *RegisterClientInput {
		return &RegisterClientInput{ClientName: "cli", ClientType: "public", Scopes: []string{ScopeAccountAccess}}
	}
	for _, tt := range []struct {
		name string
		edit func(*RegisterClientInput)
		want ErrorCode // 0: accepted
	}{
		{"minimal", func(*RegisterClientInput) {}, 0},
		{"no scopes", func(in *RegisterClientInput) { in.Scopes = nil }, 0},
		{"openid scopes", func(in *RegisterClientInput) { in.Scopes = append(in.Scopes, "openid", "offline_access") }, 0},
		{"pkce client", func(in *RegisterClientInput) {
			in.GrantTypes = []string{GrantAuthorizationCode, GrantRefreshToken}
			in.RedirectURIs = []string{"http://127.0.0.1/oauth/callback", "http://[::1]:8080/cb", "http://localhost/cb"}
		}, 0},
		{"start URL as issuer", func(in *RegisterClientInput) { in.IssuerURL = testStart + "/" }, 0},
		{"no name", func(in *RegisterClientInput) { in.ClientName = "" }, InvalidRequest},
		{"no type", func(in *RegisterClientInput) { in.ClientType = "" }, InvalidRequest},
		{"confidential", func(in *RegisterClientInput) { in.ClientType = "confidential" }, InvalidClientMetadata},
		{"long name", func(in *RegisterClientInput) { in.ClientName = strings.Repeat("n", 200) }, InvalidClientMetadata},
		{"control in name", func(in *RegisterClientInput) { in.ClientName = "a\nb" }, InvalidClientMetadata},
		{"unknown scope", func(in *RegisterClientInput) { in.Scopes = []string{"codewhisperer:completions"} }, InvalidScope},
		{"implicit grant", func(in *RegisterClientInput) { in.GrantTypes = []string{"implicit"} }, UnsupportedGrantType},
		{"redirect off loopback", func(in *RegisterClientInput) {
			in.GrantTypes, in.RedirectURIs = []string{GrantAuthorizationCode}, []string{"http://attacker.example/cb"}
		}, InvalidRedirectURI},
		{"https loopback", func(in *RegisterClientInput) {
			in.GrantTypes, in.RedirectURIs = []string{GrantAuthorizationCode}, []string{"https://127.0.0.1/cb"}
		}, InvalidRedirectURI},
		{"user info", func(in *RegisterClientInput) {
			in.GrantTypes, in.RedirectURIs = []string{GrantAuthorizationCode}, []string{"http://x@127.0.0.1/cb"}
		}, InvalidRedirectURI},
		{"fragment", func(in *RegisterClientInput) {
			in.GrantTypes, in.RedirectURIs = []string{GrantAuthorizationCode}, []string{"http://127.0.0.1/cb#x"}
		}, InvalidRedirectURI},
		{"code grant without redirect", func(in *RegisterClientInput) { in.GrantTypes = []string{GrantAuthorizationCode} }, InvalidRedirectURI},
		{"unknown issuer", func(in *RegisterClientInput) { in.IssuerURL = "https://other.example/start" }, InvalidRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := ok()
			tt.edit(in)
			out, err := e.s.RegisterClient(context.Background(), in, "192.0.2.1", e.now)
			if tt.want == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if out.ClientSecretExpiresAt-out.ClientIDIssuedAt != int64(ClientLifetime/time.Second) {
					t.Errorf("issued %d, expires %d", out.ClientIDIssuedAt, out.ClientSecretExpiresAt)
				}
				return
			}
			wantCode(t, tt.name, err, tt.want)
		})
	}
}

// TestClientAuthentication: forged or tampered client ids and secrets, a
// secret of another client, an expired registration, a client without
// the grant, an unknown start URL.
func TestClientAuthentication(t *testing.T) {
	e := newEnv(t)
	c, other := e.register(t), e.register(t)
	codeOnly := e.register(t, GrantAuthorizationCode)
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	for _, tt := range []struct {
		name             string
		id, secret, from string
		want             ErrorCode
	}{
		{"tampered id", flip(c.ClientID, len(c.ClientID)/2), c.ClientSecret, testStart, InvalidClient},
		{"tampered secret", c.ClientID, flip(c.ClientSecret, len(c.ClientSecret)-5), testStart, InvalidClient},
		{"forged id", "Zm9yZ2Vk", c.ClientSecret, testStart, InvalidClient},
		{"secret as id", c.ClientSecret, c.ClientSecret, testStart, InvalidClient},
		{"id as secret", c.ClientID, c.ClientID, testStart, InvalidClient},
		{"another client's secret", c.ClientID, other.ClientSecret, testStart, InvalidClient},
		{"empty secret", c.ClientID, "", testStart, InvalidClient},
		{"huge id", strings.Repeat("A", 100000), c.ClientSecret, testStart, InvalidClient},
		{"unknown start URL", c.ClientID, c.ClientSecret, "https://other.example/start", InvalidRequest},
		{"no start URL", c.ClientID, c.ClientSecret, "", InvalidRequest},
		{"client without the device grant", codeOnly.ClientID, codeOnly.ClientSecret, testStart, UnauthorizedClient},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.s.StartDeviceAuthorization(context.Background(), &StartDeviceAuthorizationInput{ClientID: tt.id, ClientSecret: tt.secret, StartURL: tt.from}, "192.0.2.2", e.now)
			wantCode(t, tt.name, err, tt.want)
		})
	}
	t.Run("expired registration", func(t *testing.T) {
		e.now = e.now.Add(ClientLifetime)
		_, err := e.s.StartDeviceAuthorization(context.Background(), &StartDeviceAuthorizationInput{ClientID: c.ClientID, ClientSecret: c.ClientSecret, StartURL: testStart}, "192.0.2.2", e.now)
		wantCode(t, "expired", err, InvalidClient)
	})
}

// TestGrants: CreateToken's request-level refusals.
func TestGrants(t *testing.T) {
	e := newEnv(t)
	c := e.register(t)
	codeOnly := e.register(t, GrantAuthorizationCode)
	for _, tt := range []struct {
		name  string
		c     *RegisterClientOutput
		grant string
		edit  func(*CreateTokenInput)
		want  ErrorCode
	}{
		{"no grant type", c, "", nil, InvalidRequest},
		{"client credentials", c, "client_credentials", nil, UnsupportedGrantType},
		{"no device code", c, GrantDeviceCode, nil, InvalidRequest},
		{"no refresh token", c, GrantRefreshToken, nil, InvalidRequest},
		{"no code", c, GrantAuthorizationCode, nil, InvalidRequest},
		{"code grant not registered", c, GrantAuthorizationCode, func(in *CreateTokenInput) {
			in.Code, in.RedirectURI, in.CodeVerifier = "x", "http://127.0.0.1:1/cb", strings.Repeat("v", 43)
		}, UnauthorizedClient},
		{"device grant not registered", codeOnly, GrantDeviceCode, func(in *CreateTokenInput) { in.DeviceCode = "x" }, UnauthorizedClient},
		{"unknown scope", c, GrantDeviceCode, func(in *CreateTokenInput) { in.DeviceCode, in.Scope = "x", []string{"admin"} }, InvalidScope},
		{"garbage device code", c, GrantDeviceCode, func(in *CreateTokenInput) { in.DeviceCode = "not-a-code" }, InvalidGrant},
		{"client secret as device code", c, GrantDeviceCode, func(in *CreateTokenInput) { in.DeviceCode = c.ClientSecret }, InvalidGrant},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.token(tt.c, tt.grant, tt.edit)
			wantCode(t, tt.name, err, tt.want)
		})
	}
}

// TestRateLimits: RegisterClient and StartDeviceAuthorization per source
// address, CreateToken failures per client and per source; a stranger's
// failures do not slow another source's client down.
func TestRateLimits(t *testing.T) {
	e := newEnv(t)
	cfg := e.s.cfg
	cfg.Limits = Limits{PerSource: ratelimit.Rate{PerSecond: 0.001, Burst: 3}, FailuresPerClient: ratelimit.Rate{PerSecond: 0.001, Burst: 3}}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	in := &RegisterClientInput{ClientName: "cli", ClientType: "public"}
	var c *RegisterClientOutput
	for i := range 3 {
		if c, err = s.RegisterClient(ctx, in, "198.51.100.1", e.now); err != nil {
			t.Fatalf("registration %d: %v", i, err)
		}
	}
	_, err = s.RegisterClient(ctx, in, "198.51.100.1", e.now)
	wantCode(t, "fourth registration from one source", err, SlowDown)
	_, err = s.StartDeviceAuthorization(ctx, &StartDeviceAuthorizationInput{ClientID: c.ClientID, ClientSecret: c.ClientSecret, StartURL: testStart}, "198.51.100.1", e.now)
	wantCode(t, "device authorization from the same source", err, SlowDown)
	if _, err := s.RegisterClient(ctx, in, "198.51.100.2", e.now); err != nil {
		t.Errorf("another source: %v", err)
	}

	bad := &CreateTokenInput{ClientID: c.ClientID, ClientSecret: c.ClientSecret, GrantType: GrantRefreshToken, RefreshToken: "guess"}
	for range 3 {
		_, err := s.CreateToken(ctx, bad, "198.51.100.3", e.now)
		wantCode(t, "failure", err, InvalidGrant)
	}
	_, err = s.CreateToken(ctx, bad, "198.51.100.4", e.now)
	wantCode(t, "the client's fourth failure, from another source", err, SlowDown)
	_, err = s.CreateToken(ctx, &CreateTokenInput{ClientID: "forged", ClientSecret: "x", GrantType: GrantRefreshToken, RefreshToken: "x"}, "198.51.100.3", e.now)
	wantCode(t, "the source's fourth failure", err, SlowDown)
}

// TestRateLimitsIPv6: the per-source budgets count an IPv6 source by its
// /64 (a host picks any address in it) and an IPv4-mapped address as the
// IPv4 one, so neither multiplies a stranger's budget.
func TestRateLimitsIPv6(t *testing.T) {
	e := newEnv(t)
	cfg := e.s.cfg
	cfg.Limits = Limits{PerSource: ratelimit.Rate{PerSecond: 0.001, Burst: 2}, FailuresPerClient: ratelimit.Rate{PerSecond: 0.001, Burst: 2}}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	in := &RegisterClientInput{ClientName: "cli", ClientType: "public"}
	for _, tc := range []struct{ name, first, second, other string }{
		{"IPv6 /64", "2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:3::1"},
		{"IPv4-mapped", "192.0.2.77", "::ffff:192.0.2.77", "192.0.2.78"},
	} {
		for _, src := range []string{tc.first, tc.first} {
			if _, err := s.RegisterClient(ctx, in, src, e.now); err != nil {
				t.Fatalf("%s: registration from %s: %v", tc.name, src, err)
			}
		}
		_, err := s.RegisterClient(ctx, in, tc.second, e.now)
		wantCode(t, tc.name+": registration from the same source's other address", err, SlowDown)
		if _, err := s.RegisterClient(ctx, in, tc.other, e.now); err != nil {
			t.Errorf("%s: another source: %v", tc.name, err)
		}
		bad := &CreateTokenInput{ClientID: "forged", ClientSecret: "x", GrantType: GrantRefreshToken, RefreshToken: "x"}
		for _, src := range []string{tc.first, tc.first} {
			_, err := s.CreateToken(ctx, bad, src, e.now)
			wantCode(t, tc.name+": failure", err, InvalidClient)
		}
		_, err = s.CreateToken(ctx, bad, tc.second, e.now)
		wantCode(t, tc.name+": failure from the same source's other address", err, SlowDown)
	}
}

// TestRegisterClientLarge: a registration is either refused or gives a
// client id that opens again, however large its members get once
// escaped into the sealed JSON (a name of '<', redirect URIs of '&').
func TestRegisterClientLarge(t *testing.T) {
	e := newEnv(t)
	uri := func(i int, fill string) string {
		u := fmt.Sprintf("http://127.0.0.1/cb%d?", i)
		return u + strings.Repeat(fill, maxRedirectURI-len(u))
	}
	for _, tt := range []struct {
		name  string
		in    RegisterClientInput
		large bool // must be refused
	}{
		{"largest plain", RegisterClientInput{ClientName: strings.Repeat("n", maxClientName),
			RedirectURIs: []string{uri(0, "a"), uri(1, "a"), uri(2, "a"), uri(3, "a"), uri(4, "a")}}, false},
		{"escaped", RegisterClientInput{ClientName: strings.Repeat("<", maxClientName),
			RedirectURIs: []string{uri(0, "&"), uri(1, "&"), uri(2, "&"), uri(3, "&"), uri(4, "&")}}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.ClientType, in.GrantTypes = "public", []string{GrantAuthorizationCode, GrantRefreshToken}
			out, err := e.s.RegisterClient(context.Background(), &in, "192.0.2.1", e.now)
			if tt.large {
				wantCode(t, "registration", err, InvalidClientMetadata)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.s.authClient(out.ClientID, out.ClientSecret, e.now); err != nil {
				t.Errorf("client id of %d bytes: %v", len(out.ClientID), err)
			}
		})
	}
}
