package revocation_test

import (
	"crypto/rand"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/revocation"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

const (
	account = "123456789012"
	roleA   = "arn:aws:iam::123456789012:role/a"
	roleB   = "arn:aws:iam::123456789012:role/b"
)

var now = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

func TestListRevoked(t *testing.T) {
	var l revocation.List
	l.Replace([]store.Revocation{
		{Kind: store.RevokeKey, Target: "ASIAONE", ExpiresAt: now.Add(time.Hour)},
		{Kind: store.RevokeKey, Target: "ASIAGONE", ExpiresAt: now},
		{Kind: store.RevokePrincipal, Target: roleA, NotBefore: now.Add(-time.Hour), ExpiresAt: now.Add(time.Hour)},
		{Kind: store.RevokePrincipal, Target: roleA, NotBefore: now, ExpiresAt: now.Add(time.Hour)},
		{Kind: "unknown", Target: "x", ExpiresAt: now.Add(time.Hour)},
	}, now)
	if got, want := l.Len(), 3; got != want {
		t.Errorf("Len = %d, want %d (expired and unknown entries dropped)", got, want)
	}
	tests := []struct {
		name string
		c    credential.Claims
		want bool
	}{
		{"the key", credential.Claims{AccessKeyID: "ASIAONE"}, true},
		{"a child", credential.Claims{AccessKeyID: "ASIATWO", ParentAccessKeyID: "ASIAONE"}, true},
		{"rooted in it", credential.Claims{AccessKeyID: "ASIATWO", RootAccessKeyID: "ASIAONE"}, true},
		{"expired entry", credential.Claims{AccessKeyID: "ASIAGONE"}, false},
		{"role before the latest cut-off", credential.Claims{AccessKeyID: "ASIAX", PrincipalARN: roleA, IssuedAt: now.Add(-time.Minute)}, true},
		{"role after", credential.Claims{AccessKeyID: "ASIAX", PrincipalARN: roleA, IssuedAt: now}, false},
		{"other role", credential.Claims{AccessKeyID: "ASIAX", PrincipalARN: roleB, IssuedAt: now.Add(-time.Minute)}, false},
	}
	for _, tt := range tests {
		if got := l.Revoked(&tt.c, now); got != tt.want {
			t.Errorf("%s: Revoked = %v, want %v", tt.name, got, tt.want)
		}
	}
	var empty revocation.List
	if empty.Revoked(&credential.Claims{AccessKeyID: "ASIAONE"}, now) || empty.Len() != 0 {
		t.Error("the zero List revokes something")
	}
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "b.db"), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Accounts().Create(t.Context(), iam.Account{ID: account, Created: now}); err != nil {
		t.Fatal(err)
	}
	return st
}

func record(t *testing.T, st store.Store, id, principal, parent string, issued time.Time) {
	t.Helper()
	if err := st.Sessions().Record(t.Context(), store.SessionRecord{
		AccessKeyID: id, Account: account, PrincipalARN: principal, SessionARN: principal + "/s", Kind: "AssumeRole",
		ParentAccessKeyID: parent, RootAccessKeyID: "AKIAROOT", Issued: issued, Expires: issued.Add(time.Hour),
	}); err != nil {
		t.Fatal(err)
	}
}

func targets(revs []store.Revocation) []string {
	var out []string
	for _, r := range revs {
		out = append(out, r.Kind+" "+r.Target)
	}
	return out
}

// A chain AKIAROOT → ASIA1 (role a) → ASIA2 (role b) → ASIA3 (role a),
// of which only ASIA1 is in the issuance records (they are an index,
// written behind): revoking ASIA1 writes one entry, which reaches ASIA3
// and what is made from it through their lineage, and leaves a sibling
// alone.
func TestRevokeReachesChainsThroughLineage(t *testing.T) {
	st := openStore(t)
	record(t, st, "ASIA1", roleA, "AKIAROOT", now.Add(-3*time.Minute))
	svc := revocation.NewService(st)
	s1 := credential.Claims{AccessKeyID: "ASIA1", PrincipalARN: roleA, SessionARN: roleA + "/s", IssuedAt: now.Add(-3 * time.Minute),
		ParentAccessKeyID: "AKIAROOT", RootAccessKeyID: "AKIAROOT"}
	s2 := child(t, &s1, "ASIA2", roleB, now.Add(-2*time.Minute))
	s3 := child(t, &s2, "ASIA3", roleA, now.Add(-time.Minute))
	sibling := credential.Claims{AccessKeyID: "ASIAOTHER", PrincipalARN: roleB, SessionARN: roleB + "/s", IssuedAt: now.Add(-time.Minute),
		ParentAccessKeyID: "AKIAROOT", RootAccessKeyID: "AKIAROOT"}

	revs, err := svc.Revoke(t.Context(), revocation.Request{Account: account, AccessKeyID: "ASIA1", By: "admin"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"key ASIA1"}, targets(revs)); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	if got, want := revs[0].ExpiresAt, now.Add(revocation.MaxLifetime); !got.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v: what was made from the session may outlive it", got, want)
	}
	var l revocation.List
	if err := l.Load(t.Context(), st.Revocations(), now); err != nil {
		t.Fatal(err)
	}
	s4 := child(t, &s3, "ASIA4", roleB, now)
	for _, c := range []*credential.Claims{&s1, &s2, &s3, &s4} {
		if !l.Revoked(c, now.Add(2*time.Hour)) {
			t.Errorf("%s, made from the revoked session, is not revoked, after that session expired", c.AccessKeyID)
		}
	}
	if l.Revoked(&sibling, now) {
		t.Error("a sibling session is revoked")
	}

	// A principal's sessions before a time, and what was made from them
	// (ASIA3 is role a's, issued after the cut-off, made from ASIA2).
	cutoff := now.Add(-90 * time.Second)
	revs, err = svc.Revoke(t.Context(), revocation.Request{Account: account, Principal: roleB, IssuedBefore: cutoff}, now)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"principal " + roleB}, targets(revs)); d != "" {
		t.Errorf("principal entries (-want +got):\n%s", d)
	}
	if e := revs[0]; !e.NotBefore.Equal(cutoff) || !e.ExpiresAt.Equal(now.Add(revocation.MaxLifetime)) {
		t.Errorf("principal entry cut-off %v, expires %v; want %v, %v", e.NotBefore, e.ExpiresAt, cutoff, now.Add(revocation.MaxLifetime))
	}
	var byPrincipal revocation.List
	byPrincipal.Replace(revs, now)
	for _, tt := range []struct {
		c    *credential.Claims
		want bool
	}{{&s1, false}, {&s2, true}, {&s3, true}, {&s4, true}, {&sibling, false}} {
		if got := byPrincipal.Revoked(tt.c, now); got != tt.want {
			t.Errorf("after revoking %s's sessions before %v: %s revoked = %v, want %v", roleB, cutoff, tt.c.AccessKeyID, got, tt.want)
		}
	}
}

// child is a session of principal made with parent's credentials.
func child(t *testing.T, parent *credential.Claims, id, principal string, issued time.Time) credential.Claims {
	t.Helper()
	lineage, err := parent.ChildLineage()
	if err != nil {
		t.Fatal(err)
	}
	return credential.Claims{AccessKeyID: id, PrincipalARN: principal, SessionARN: principal + "/s", IssuedAt: issued,
		ParentAccessKeyID: parent.AccessKeyID, RootAccessKeyID: parent.RootAccessKeyID, Lineage: lineage}
}

// Two sessions may share an access key id (store.Sessions): revoking the
// id writes one entry, which covers both.
func TestRevokeSharedKeyID(t *testing.T) {
	st := openStore(t)
	record(t, st, "ASIADUP", roleA, "AKIAROOT", now.Add(-50*time.Minute))
	record(t, st, "ASIADUP", roleB, "AKIAOTHER", now.Add(-10*time.Minute))
	svc := revocation.NewService(st)

	revs, err := svc.Revoke(t.Context(), revocation.Request{Account: account, AccessKeyID: "ASIADUP", By: "admin"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"key ASIADUP"}, targets(revs)); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
}

func TestRevokeErrors(t *testing.T) {
	st := openStore(t)
	svc := revocation.NewService(st)
	tests := []struct {
		name string
		req  revocation.Request
		want any
	}{
		{"nothing", revocation.Request{Account: account}, &revocation.InvalidError{}},
		{"both", revocation.Request{Account: account, AccessKeyID: "ASIA1", Principal: roleA}, &revocation.InvalidError{}},
		{"unknown session", revocation.Request{Account: account, AccessKeyID: "ASIANOPE"}, &revocation.NotFoundError{}},
		{"unknown key", revocation.Request{Account: account, AccessKeyID: "AKIANOPE"}, &revocation.NotFoundError{}},
		{"other account", revocation.Request{Account: account, Principal: "arn:aws:iam::999999999999:role/x"}, &revocation.InvalidError{}},
		{"not an ARN", revocation.Request{Account: account, Principal: "role/x"}, &revocation.InvalidError{}},
	}
	for _, tt := range tests {
		_, err := svc.Revoke(t.Context(), tt.req, now)
		switch tt.want.(type) {
		case *revocation.InvalidError:
			var e *revocation.InvalidError
			if !errors.As(err, &e) {
				t.Errorf("%s: got %v, want InvalidError", tt.name, err)
			}
		case *revocation.NotFoundError:
			var e *revocation.NotFoundError
			if !errors.As(err, &e) {
				t.Errorf("%s: got %v, want NotFoundError", tt.name, err)
			}
		}
	}
}

// A revocation by principal kills exactly the sessions issued before its
// cut-off, also within the cut-off's second: the token carries its issue
// time in microseconds and the store keeps the cut-off in microseconds
// (the issue found sessions issued up to a second after the cut-off
// killed). Tokens are minted and opened as the server does, and the list
// is loaded from the store.
func TestRevokeByPrincipalCutsAtTheMicrosecond(t *testing.T) {
	st := openStore(t)
	ring, err := credential.NewTokenKeyRing(rand.Reader, now)
	if err != nil {
		t.Fatal(err)
	}
	cutoff := now.Add(500*time.Millisecond + 123*time.Microsecond)
	session := func(issued time.Time) credential.Claims {
		creds, _, err := ring.Mint(credential.Claims{
			AccountID: account, PrincipalType: credential.AssumedRole, PrincipalARN: roleA, SessionARN: roleA + "/s",
			IssuedAt: issued, Expires: issued.Add(time.Hour), ParentAccessKeyID: "AKIAROOT", RootAccessKeyID: "AKIAROOT",
		}, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		c, err := ring.Open(creds.SessionToken, creds.AccessKeyID, now)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	svc := revocation.NewService(st)
	if _, err := svc.Revoke(t.Context(), revocation.Request{Account: account, Principal: roleA, IssuedBefore: cutoff}, now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	var l revocation.List
	if err := l.Load(t.Context(), st.Revocations(), now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		issued time.Duration // from the cut-off
		want   bool
	}{
		{-400 * time.Millisecond, true},
		{-time.Microsecond, true},
		{0, false},
		{time.Microsecond, false},
		{300 * time.Millisecond, false},
	} {
		c := session(cutoff.Add(tt.issued))
		if got := l.Revoked(&c, now.Add(time.Second)); got != tt.want {
			t.Errorf("session issued %v from the cut-off: revoked = %v, want %v", tt.issued, got, tt.want)
		}
	}
}
