// Package storetest is the conformance suite for store backends: every
// backend runs Run from its own tests, so all backends behave alike for
// every method, for case-insensitive uniqueness, ErrNotFound and
// ErrConflict, for transactions that roll back, and for concurrent writers.
//
// It is test support only; production code never imports it.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/google/go-cmp/cmp"
)

// Opener returns a new, empty store for one subtest; the backend arranges to
// close it (t.Cleanup). Its change-feed clock must return Now.
type Opener func(t *testing.T) store.Store

// Now is the fixed time the suite stamps entities with. Backends keep
// microseconds, so it has no finer digits.
var Now = time.Date(2026, 3, 14, 15, 9, 26, 535897000, time.UTC)

// Account is the account the suite creates in every fresh store.
const Account = "123456789012"

// Run runs the whole suite.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Accounts", testAccounts},
		{"AccountCounts", testAccountCounts}, // entities.go
		{"Users", testUsers},
		{"UsersList", testUsersList},
		{"Groups", testGroups},
		{"Roles", testRoles},
		{"Policies", testPolicies},
		{"PolicyVersions", testPolicyVersions},
		{"PolicyPutVersion", testPolicyPutVersion},
		{"InlinePolicies", testInlinePolicies},
		{"Attachments", testAttachments},
		{"AccessKeys", testAccessKeys},
		{"MFADevices", testMFADevices},
		{"KeyMaterial", testKeyMaterial},
		{"Providers", testProviders},
		{"BucketPolicies", testBucketPolicies},
		{"Objects", testObjects},
		{"InstanceProfiles", testInstanceProfiles},
		{"LoginProfiles", testLoginProfiles},
		{"PasswordPolicies", testPasswordPolicies},
		{"DeleteConflicts", testDeleteConflicts},
		{"Changes", testChanges},
		{"TxCommit", testTxCommit},
		{"TxRollback", testTxRollback},
		{"TxPanic", testTxPanic},
		{"ConcurrentWriters", testConcurrentWriters},
		{"ConcurrentQuota", testConcurrentQuota},
		{"LoadUser", testLoadUser},
		{"LoadRole", testLoadRole},
		{"LoadAccessKey", testLoadAccessKey},
		{"Sessions", testSessions}, {"Revocations", testRevocations},
		{"EventIndex", testEventIndex},                                                                             // events.go
		{"MFAAttempts", testMFAAttempts}, {"MFAStepRace", testMFAStepRace}, {"SAMLAssertions", testSAMLAssertions}, // ephemeral.go
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			mustDo(t, s.Accounts().Create(ctx(t), iam.Account{ID: Account, Created: Now}))
			tt.fn(t, s)
		})
	}
}

func ctx(t *testing.T) context.Context { return t.Context() }

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

// wantErr checks that err wraps target (store.ErrNotFound or ErrConflict).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

func diff(t *testing.T, what string, got, want any) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

func newUser(name string) iam.User {
	return iam.User{Account: Account, ID: "AIDA" + pad(name), Name: name, Path: "/", Created: Now}
}

func newGroup(name string) iam.Group {
	return iam.Group{Account: Account, ID: "AGPA" + pad(name), Name: name, Path: "/", Created: Now}
}

func newRole(name string) iam.Role {
	return iam.Role{
		Account: Account, ID: "AROA" + pad(name), Name: name, Path: "/", Created: Now,
		TrustPolicy:        `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		MaxSessionDuration: 3600,
	}
}

func newPolicy(name string) iam.ManagedPolicy {
	return iam.ManagedPolicy{Account: Account, ID: "ANPA" + pad(name), Name: name, Path: "/", Created: Now}
}

// pad makes a deterministic 17-character id suffix from a name; names that
// differ only in case get different ids, so uniqueness tests hit the name.
func pad(name string) string {
	s := []byte("XXXXXXXXXXXXXXXXX")
	for i := 0; i < len(name) && i < len(s); i++ {
		s[i] = name[i]
	}
	return string(s)
}

func doc(action string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"*"}]}`
}

func userOwner(name string) iam.Owner {
	return iam.Owner{Kind: iam.PrincipalUser, Account: Account, Name: name}
}
func groupOwner(name string) iam.Owner {
	return iam.Owner{Kind: iam.PrincipalGroup, Account: Account, Name: name}
}
func roleOwner(name string) iam.Owner {
	return iam.Owner{Kind: iam.PrincipalRole, Account: Account, Name: name}
}
