package authn_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/authn"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/revocation"
	"github.com/brevet-dev/brevet/internal/sigv4"
	"github.com/brevet-dev/brevet/internal/store"
)

const roleARN = "arn:aws:iam::123456789012:role/reader"

// withRevocations is an authenticator over f's store and keys that checks
// list.
func withRevocations(t testing.TB, f *fixture, list *revocation.List) *authn.Authenticator {
	t.Helper()
	a, err := authn.New(context.Background(), authn.Config{
		Keys: f.st.Principals(), Changes: f.st.Changes(), Secrets: f.master, Tokens: f.ring,
		Regions: []string{"eu-west-1"}, Revoked: list,
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// mintSession mints a session of roleARN made with parent's credentials:
// the long-term key f.keyID, or a session of another role whose key id
// is parent.
func mintSession(t testing.TB, f *fixture, parent string, issued time.Time) sigv4.Credentials {
	t.Helper()
	var lineage []credential.Ancestor
	if parent != f.keyID {
		lineage = []credential.Ancestor{{AccessKeyID: parent, PrincipalARN: "arn:aws:iam::123456789012:role/gateway",
			SessionARN: "arn:aws:sts::123456789012:assumed-role/gateway/s0", IssuedAt: issued.Add(-time.Minute)}}
	}
	tc, _, err := f.ring.Mint(credential.Claims{
		AccountID: account, PrincipalType: credential.AssumedRole,
		PrincipalARN: roleARN, PrincipalID: "AROAEXAMPLEROLE000001",
		SessionARN: "arn:aws:sts::123456789012:assumed-role/reader/s1", SessionName: "s1",
		IssuedAt: issued, Expires: issued.Add(time.Hour), ParentAccessKeyID: parent, RootAccessKeyID: f.keyID,
		Lineage: lineage,
	}, randReader{})
	if err != nil {
		t.Fatal(err)
	}
	return sigv4.Credentials{AccessKeyID: tc.AccessKeyID, SecretAccessKey: tc.SecretAccessKey.Reveal(), SessionToken: tc.SessionToken}
}

func authnReq(t testing.TB, creds sigv4.Credentials) *request.AuthnRequest {
	r := signed(t, creds, "sts", "eu-west-1", now, gci)
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	return &request.AuthnRequest{HTTP: r, Body: body, Operation: opOf(stsapi.GetCallerIdentity.Info()), Now: now}
}

func TestRevokedSessionsAreInvalidTokens(t *testing.T) {
	f := newFixture(t)
	creds := mintSession(t, f, "ASIAPARENTEXAMPLE001", now.Add(-time.Minute))
	later := now.Add(time.Hour)
	tests := []struct {
		name    string
		entries []store.Revocation
		wantErr bool
	}{
		{"empty list", nil, false},
		{"its own key", []store.Revocation{{Kind: store.RevokeKey, Target: creds.AccessKeyID, ExpiresAt: later}}, true},
		{"its parent", []store.Revocation{{Kind: store.RevokeKey, Target: "ASIAPARENTEXAMPLE001", ExpiresAt: later}}, true},
		{"its root key", []store.Revocation{{Kind: store.RevokeKey, Target: f.keyID, ExpiresAt: later}}, true},
		{"an expired entry", []store.Revocation{{Kind: store.RevokeKey, Target: creds.AccessKeyID, ExpiresAt: now}}, false},
		{"role, issued before", []store.Revocation{{Kind: store.RevokePrincipal, Target: roleARN, NotBefore: now, ExpiresAt: later}}, true},
		{"role, issued after", []store.Revocation{{Kind: store.RevokePrincipal, Target: roleARN, NotBefore: now.Add(-time.Hour), ExpiresAt: later}}, false},
		{"session ARN", []store.Revocation{{Kind: store.RevokePrincipal, Target: "arn:aws:sts::123456789012:assumed-role/reader/s1", NotBefore: now, ExpiresAt: later}}, true},
		{"another key", []store.Revocation{{Kind: store.RevokeKey, Target: "ASIAOTHER", ExpiresAt: later}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var list revocation.List
			list.Replace(tt.entries, now)
			a := withRevocations(t, f, &list)
			_, err := a.Authenticate(context.Background(), authnReq(t, creds))
			var se *sigv4.Error
			if got := err != nil; got != tt.wantErr {
				t.Fatalf("Authenticate error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && (!errors.As(err, &se) || se.Kind != sigv4.KindInvalidClientTokenID) {
				t.Errorf("got %v, want InvalidClientTokenId", err)
			}
		})
	}
}

// bigList is a list of n key entries and n/10 principal entries, none of
// which covers the benchmark's session.
func bigList(n int) *revocation.List {
	entries := make([]store.Revocation, 0, n+n/10)
	for i := range n {
		entries = append(entries, store.Revocation{Kind: store.RevokeKey, Target: fmt.Sprintf("ASIA%016d", i), ExpiresAt: now.Add(time.Hour)})
	}
	for i := range n / 10 {
		entries = append(entries, store.Revocation{Kind: store.RevokePrincipal, Target: fmt.Sprintf("arn:aws:iam::123456789012:role/r%d", i), NotBefore: now, ExpiresAt: now.Add(time.Hour)})
	}
	var l revocation.List
	l.Replace(entries, now)
	return &l
}

// A temporary credential is verified with 10,000 revocation entries loaded
// and the store closed: the check is in memory, no database round trip.
func TestRevocationCheckNeedsNoStore(t *testing.T) {
	f := newFixture(t)
	a := withRevocations(t, f, bigList(10000))
	creds := mintSession(t, f, f.keyID, now)
	if err := f.st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(context.Background(), authnReq(t, creds)); err != nil {
		t.Fatalf("with the store closed: %v", err)
	}
}

func BenchmarkAuthenticateTemporaryRevocations10k(b *testing.B) {
	f := newFixture(b)
	f.a = withRevocations(b, f, bigList(10000))
	benchAuthn(b, f, mintSession(b, f, f.keyID, now))
}

func BenchmarkRevokedCheck10k(b *testing.B) {
	l := bigList(10000)
	c := &credential.Claims{AccessKeyID: "ASIAEXAMPLE", ParentAccessKeyID: "AKIAEXAMPLE", RootAccessKeyID: "AKIAEXAMPLE",
		PrincipalARN: roleARN, SessionARN: roleARN + "/s", IssuedAt: now}
	b.ReportAllocs()
	for b.Loop() {
		if l.Revoked(c, now) {
			b.Fatal("revoked")
		}
	}
}

// mintChained mints a session of role made with parent's credentials (a
// long-term key when parent is nil), with the lineage STS gives it.
func mintChained(t *testing.T, f *fixture, parent *credential.Claims, role, session string, issued time.Time) (sigv4.Credentials, credential.Claims) {
	t.Helper()
	c := credential.Claims{
		AccountID: account, PrincipalType: credential.AssumedRole,
		PrincipalARN: "arn:aws:iam::123456789012:role/" + role, PrincipalID: "AROAEXAMPLEROLE000001",
		SessionARN: "arn:aws:sts::123456789012:assumed-role/" + role + "/" + session, SessionName: session,
		IssuedAt: issued, Expires: issued.Add(time.Hour), ParentAccessKeyID: f.keyID, RootAccessKeyID: f.keyID,
	}
	if parent != nil {
		var err error
		if c.Lineage, err = parent.ChildLineage(); err != nil {
			t.Fatal(err)
		}
		c.ParentAccessKeyID = parent.AccessKeyID
	}
	tc, claims, err := f.ring.Mint(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return sigv4.Credentials{AccessKeyID: tc.AccessKeyID, SecretAccessKey: tc.SecretAccessKey.Reveal(), SessionToken: tc.SessionToken}, claims
}

// Revoking the middle session of a chain of three (by its key, or its
// role's sessions issued before a time) refuses the deepest one, from its
// token alone, exactly as a revoked session is refused; the first session
// stays valid.
func TestRevokedMiddleOfChain(t *testing.T) {
	f := newFixture(t)
	first, c1 := mintChained(t, f, nil, "gateway", "one", now.Add(-30*time.Minute))
	middle, c2 := mintChained(t, f, &c1, "middle", "two", now.Add(-20*time.Minute))
	deepest, _ := mintChained(t, f, &c2, "reader", "three", now.Add(-10*time.Minute))
	later := now.Add(time.Hour)

	authenticate := func(entries []store.Revocation, creds sigv4.Credentials) error {
		var list revocation.List
		list.Replace(entries, now)
		_, err := withRevocations(t, f, &list).Authenticate(context.Background(), authnReq(t, creds))
		return err
	}
	// How a revoked session is refused: its own key on the list.
	wantErr := authenticate([]store.Revocation{{Kind: store.RevokeKey, Target: deepest.AccessKeyID, ExpiresAt: later}}, deepest)
	var se *sigv4.Error
	if !errors.As(wantErr, &se) || se.Kind != sigv4.KindInvalidClientTokenID {
		t.Fatalf("a revoked session: got %v, want InvalidClientTokenId", wantErr)
	}
	tests := []struct {
		name    string
		entries []store.Revocation
	}{
		{"the middle key", []store.Revocation{{Kind: store.RevokeKey, Target: middle.AccessKeyID, ExpiresAt: later}}},
		{"the middle role's sessions", []store.Revocation{{Kind: store.RevokePrincipal, Target: c2.PrincipalARN, NotBefore: now.Add(-15 * time.Minute), ExpiresAt: later}}},
		{"the middle session ARN", []store.Revocation{{Kind: store.RevokePrincipal, Target: c2.SessionARN, NotBefore: now.Add(-15 * time.Minute), ExpiresAt: later}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := authenticate(tt.entries, deepest)
			if err == nil || err.Error() != wantErr.Error() || !errors.As(err, &se) || se.Kind != sigv4.KindInvalidClientTokenID {
				t.Errorf("deepest session: got %v, want %v", err, wantErr)
			}
			if err := authenticate(tt.entries, first); err != nil {
				t.Errorf("first session, above the revoked one: %v", err)
			}
		})
	}
	// A cut-off before the middle session was issued spares the chain.
	if err := authenticate([]store.Revocation{{Kind: store.RevokePrincipal, Target: c2.PrincipalARN, NotBefore: now.Add(-25 * time.Minute), ExpiresAt: later}}, deepest); err != nil {
		t.Errorf("the middle role's sessions issued before it: deepest session refused: %v", err)
	}
}
