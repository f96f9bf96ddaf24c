package revocation_test

import (
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

// A chain AKIAROOT → ASIA1 (role a) → ASIA2 (role b) → ASIA3 (role a):
// revoking ASIA1 writes entries down the whole chain, so ASIA3 (whose
// parent is ASIA2, whose root is the long-term key) dies too.
func TestRevokeFollowsChains(t *testing.T) {
	st := openStore(t)
	record(t, st, "ASIA1", roleA, "AKIAROOT", now.Add(-3*time.Minute))
	record(t, st, "ASIA2", roleB, "ASIA1", now.Add(-2*time.Minute))
	record(t, st, "ASIA3", roleA, "ASIA2", now.Add(-time.Minute))
	record(t, st, "ASIAOTHER", roleB, "AKIAROOT", now.Add(-time.Minute))
	svc := revocation.NewService(st)

	revs, err := svc.Revoke(t.Context(), revocation.Request{Account: account, AccessKeyID: "ASIA1", By: "admin"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"key ASIA1", "key ASIA2", "key ASIA3"}, targets(revs)); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	if !revs[0].ExpiresAt.Equal(now.Add(-3 * time.Minute).Add(time.Hour)) {
		t.Errorf("ExpiresAt = %v, want the session's expiry", revs[0].ExpiresAt)
	}
	var l revocation.List
	if err := l.Load(t.Context(), st.Revocations(), now); err != nil {
		t.Fatal(err)
	}
	if !l.Revoked(&credential.Claims{AccessKeyID: "ASIA4", ParentAccessKeyID: "ASIA3", RootAccessKeyID: "AKIAROOT"}, now) {
		t.Error("a fourth link made after the revocation, from ASIA3, is not revoked")
	}
	if l.Revoked(&credential.Claims{AccessKeyID: "ASIAOTHER", ParentAccessKeyID: "AKIAROOT", RootAccessKeyID: "AKIAROOT"}, now) {
		t.Error("a sibling session is revoked")
	}

	// A principal's sessions before a time, and what was made from them.
	revs, err = svc.Revoke(t.Context(), revocation.Request{Account: account, Principal: roleB, IssuedBefore: now}, now)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"principal " + roleB, "key ASIA3"}, targets(revs)); d != "" {
		t.Errorf("principal entries (-want +got):\n%s", d)
	}
}

// Two sessions may share an access key id (store.Sessions). Revoking the
// id covers both, until the later one expires, and what was made from
// either; a descendant id borne twice gets one entry, until its later
// expiry.
func TestRevokeSharedKeyID(t *testing.T) {
	st := openStore(t)
	record(t, st, "ASIADUP", roleA, "AKIAROOT", now.Add(-50*time.Minute))
	record(t, st, "ASIADUP", roleB, "AKIAOTHER", now.Add(-10*time.Minute))
	record(t, st, "ASIAKID", roleA, "ASIADUP", now.Add(-40*time.Minute))
	record(t, st, "ASIAKID", roleB, "ASIADUP", now.Add(-5*time.Minute))
	record(t, st, "ASIAGRANDKID", roleB, "ASIAKID", now.Add(-time.Minute))
	svc := revocation.NewService(st)

	revs, err := svc.Revoke(t.Context(), revocation.Request{Account: account, AccessKeyID: "ASIADUP", By: "admin"}, now)
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		Target    string
		ExpiresAt time.Time
	}
	var got []entry
	for _, r := range revs {
		got = append(got, entry{r.Target, r.ExpiresAt})
	}
	want := []entry{
		{"ASIADUP", now.Add(50 * time.Minute)},
		{"ASIAKID", now.Add(55 * time.Minute)},
		{"ASIAGRANDKID", now.Add(59 * time.Minute)},
	}
	if d := cmp.Diff(want, got); d != "" {
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
