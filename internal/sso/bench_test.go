package sso

import (
	"context"
	"testing"
)

// BenchmarkCreateTokenRefresh is the refresh grant end to end on SQLite:
// client authentication, the refresh token, the session read, the user
// check, the generation swap and two new sealed tokens.
func BenchmarkCreateTokenRefresh(b *testing.B) {
	e := newEnv(b)
	c := e.register(b)
	tok := e.signIn(b, c)
	in := &CreateTokenInput{ClientID: c.ClientID, ClientSecret: c.ClientSecret, GrantType: GrantRefreshToken, RefreshToken: tok.RefreshToken}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		out, err := e.s.CreateToken(ctx, in, testSource, e.now)
		if err != nil {
			b.Fatal(err)
		}
		in.RefreshToken = out.RefreshToken
	}
}

// BenchmarkAuthenticate is the portal's bearer check on a session-cache
// hit: open the sealed token, find the session in memory. No I/O.
func BenchmarkAuthenticate(b *testing.B) {
	e := newEnv(b)
	c := e.register(b)
	tok := e.signIn(b, c)
	ctx := context.Background()
	if _, err := e.s.Authenticate(ctx, tok.AccessToken, e.now); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.s.Authenticate(ctx, tok.AccessToken, e.now); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
