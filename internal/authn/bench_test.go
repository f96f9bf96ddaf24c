package authn_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// benchAuthn authenticates the same signed GetCallerIdentity request b.N
// times: the hot path once the key is cached (or, for temporary keys, with
// no cache at all).
func benchAuthn(b *testing.B, f *fixture, creds sigv4.Credentials) {
	r := signed(b, creds, "sts", "eu-west-1", now, gci)
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	req := &request.AuthnRequest{HTTP: r, Body: body, Operation: opOf(stsapi.GetCallerIdentity.Info()), Now: now}
	ctx := context.Background()
	if _, err := f.a.Authenticate(ctx, req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.a.Authenticate(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuthenticateLongTermCached(b *testing.B) {
	f := newFixture(b)
	benchAuthn(b, f, sigv4.Credentials{AccessKeyID: f.keyID, SecretAccessKey: f.secret})
}

func BenchmarkAuthenticateTemporary(b *testing.B) {
	f := newFixture(b)
	tc, _, err := f.ring.Mint(credential.Claims{
		AccountID: account, PrincipalType: credential.AssumedRole,
		PrincipalARN: "arn:aws:iam::123456789012:role/reader", PrincipalID: "AROAEXAMPLEROLE000001",
		SessionARN: "arn:aws:sts::123456789012:assumed-role/reader/s1", SessionName: "s1",
		IssuedAt: now, Expires: now.Add(time.Hour),
	}, randReader{})
	if err != nil {
		b.Fatal(err)
	}
	benchAuthn(b, f, sigv4.Credentials{AccessKeyID: tc.AccessKeyID, SecretAccessKey: tc.SecretAccessKey.Reveal(), SessionToken: tc.SessionToken})
}

func BenchmarkAuthenticateLongTermParallel(b *testing.B) {
	f := newFixture(b)
	creds := sigv4.Credentials{AccessKeyID: f.keyID, SecretAccessKey: f.secret}
	r := signed(b, creds, "sts", "eu-west-1", now, gci)
	body, _ := io.ReadAll(r.Body)
	ctx := context.Background()
	req := &request.AuthnRequest{HTTP: r, Body: body, Operation: opOf(stsapi.GetCallerIdentity.Info()), Now: now}
	if _, err := f.a.Authenticate(ctx, req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := f.a.Authenticate(ctx, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// randReader is crypto/rand without the import cycle of names in tests.
type randReader struct{}

func (randReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i * 7)
	}
	return len(p), nil
}
