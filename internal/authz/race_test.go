package authz_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/authz/authztest"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

// hookedStore is the real store with a hook that runs after each policy
// version read: it lets a test land a change between the cache's read and
// its write.
type hookedStore struct {
	store.Store
	afterGetVersion func()
}

func (s hookedStore) Policies() store.Policies {
	return hookedPolicies{s.Store.Policies(), s.afterGetVersion}
}

type hookedPolicies struct {
	store.Policies
	after func()
}

func (p hookedPolicies) GetVersion(ctx context.Context, arn, id string) (iam.PolicyVersion, error) {
	v, err := p.Policies.GetVersion(ctx, arn, id)
	p.after()
	return v, err
}

// A managed session policy read while a new default version is being
// applied must not stay cached: the next request sees the new version.
func TestManagedSessionPolicyChangeDuringRead(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	w := &authztest.World{Store: s, Now: now}
	must(t, w.Account(acct))
	r, err := w.Role(acct, "app", authztest.Trust(acct), 0)
	must(t, err)
	must(t, w.Inline(authztest.RoleOwner(acct, "app"), "p", authztest.Allow("*", "iam:*")))
	arn, err := w.Managed(acct, "session", authztest.Allow("*", "iam:ListUsers"))
	must(t, err)

	var (
		a    *authz.Authorizer
		once sync.Once
	)
	hooked := hookedStore{Store: s, afterGetVersion: func() {
		// The first read has returned v1; now v2 (allowing nothing of
		// iam:ListUsers) becomes the default and the change is applied.
		once.Do(func() {
			_, err := s.Policies().CreateVersion(ctx, arn, authztest.Allow("*", "iam:GetUser"), now, true)
			must(t, err)
			must(t, a.Sync(ctx))
		})
	}}
	a, err = authz.New(ctx, authz.Config{Store: hooked, MessageKey: make([]byte, 32), PollInterval: time.Hour})
	must(t, err)
	f := &fixture{a: a}

	p := roleSession(r, "s", credential.Claims{PolicyARNs: []string{arn}})
	// The in-flight request may use the version it read.
	_ = f.authorize(t, p, "iam:ListUsers", "*", nil)
	if d := f.authorize(t, p, "iam:ListUsers", "*", nil); d.Allowed {
		t.Error("after the session policy's new default version, iam:ListUsers is still allowed: a stale version stayed cached")
	}
	if d := f.authorize(t, p, "iam:GetUser", "*", nil); !d.Allowed {
		t.Error("iam:GetUser denied; the new default version allows it")
	}
}
