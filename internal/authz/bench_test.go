package authz_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/authz/authztest"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/postgres"
	"github.com/brevet-dev/brevet/internal/store/postgres/pgtest"
)

// BenchmarkAuthorize measures a decision for a cached principal, with the
// cache holding 10 or 1,000 users: the cost must not depend on how many.
func BenchmarkAuthorize(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			f := newFixture(b)
			arn, err := f.w.Managed(acct, "common", authztest.Allow("*", "iam:Get*", "iam:List*", "sts:GetCallerIdentity"))
			must(b, err)
			var principals []*identity.Principal
			for i := range n {
				u, err := f.w.User(acct, fmt.Sprintf("user%04d", i))
				must(b, err)
				must(b, f.w.Attach(authztest.UserOwner(acct, u.Name), arn))
				must(b, f.w.Inline(authztest.UserOwner(acct, u.Name), "own", authztest.Allow(u.ARN(), "iam:*AccessKey*")))
				principals = append(principals, userPrincipal(u))
			}
			for _, p := range principals {
				f.authorize(b, p, "iam:GetUser", "*", nil) // warm the cache
			}
			p := principals[n/2]
			req := &request.AuthzRequest{Principal: p, Action: "iam:ListAccessKeys", Resource: p.CallerARN,
				Now: now, SourceIP: "192.0.2.10", UserAgent: "bench", SecureTransport: true}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				d, err := f.a.Authorize(ctx, req)
				if err != nil || !d.Allowed {
					b.Fatal(d, err)
				}
			}
		})
	}
}

// BenchmarkAuthorizeRoleSession is the same for a role session with an
// inline session policy (the session's compiled set is cached by session
// id), with 10 or 10,000 live sessions cached.
func BenchmarkAuthorizeRoleSession(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("sessions=%d", n), func(b *testing.B) {
			f := newFixture(b)
			r, err := f.w.Role(acct, "app", authztest.Trust(acct), 0)
			must(b, err)
			must(b, f.w.Inline(authztest.RoleOwner(acct, "app"), "p", authztest.Allow("*", "iam:Get*", "iam:List*")))
			var p *identity.Principal
			for i := range n {
				p = roleSession(r, fmt.Sprintf("s%05d", i), credential.Claims{Policy: authztest.Allow("*", "iam:List*")})
				f.authorize(b, p, "iam:ListRoles", "*", nil) // warm the cache
			}
			req := &request.AuthzRequest{Principal: p, Action: "iam:ListRoles", Resource: "*", Now: now}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				d, err := f.a.Authorize(ctx, req)
				if err != nil || !d.Allowed {
					b.Fatal(d, err)
				}
			}
		})
	}
}

// BenchmarkAuthorizeDenied is a denial: the decision plus sealing its
// encoded authorization message (compressed JSON, AES-GCM).
func BenchmarkAuthorizeDenied(b *testing.B) {
	f := newFixture(b)
	u, err := f.w.User(acct, "alice")
	must(b, err)
	must(b, f.w.Inline(authztest.UserOwner(acct, "alice"), "p", authztest.Allow("*", "iam:Get*")))
	req := &request.AuthzRequest{Principal: userPrincipal(u), Action: "iam:DeleteUser", Resource: u.ARN(), Now: now, SourceIP: "192.0.2.1"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		d, err := f.a.Authorize(ctx, req)
		if err != nil || d.Allowed {
			b.Fatal(d, err)
		}
	}
}

// BenchmarkColdRoleBurst measures what 64 concurrent requests for one role
// cost right after a change to it invalidated the cached copy (as after an
// IAM write under load): one op is the whole burst, from reading the change
// feed to the last of the 64 having its role. On PostgreSQL a load is
// several round trips, long enough for every request of the burst to miss.
func BenchmarkColdRoleBurst(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		coldRoleBurst(b, openSQLite(b))
	})
	b.Run("postgres", func(b *testing.B) {
		s, err := postgres.Open(context.Background(), pgtest.DSN(b), postgres.Options{Now: func() time.Time { return now }})
		must(b, err)
		b.Cleanup(func() { s.Close() })
		coldRoleBurst(b, s)
	})
}

func coldRoleBurst(b *testing.B, s store.Store) {
	ctx := context.Background()
	w := &authztest.World{Store: s, Now: now}
	must(b, w.Account(acct))
	a, err := authz.New(ctx, authz.Config{Store: s, MessageKey: make([]byte, 32), PollInterval: time.Hour})
	must(b, err)
	r, err := w.Role(acct, "hot", authztest.Trust(acct), 3600)
	must(b, err)
	for i := range 5 {
		must(b, w.Inline(authztest.RoleOwner(acct, "hot"), fmt.Sprintf("p%d", i), authztest.Allow("*", "s3:Get*", "s3:List*")))
	}
	const burst = 64
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		r.MaxSessionDuration = 3600 + 60*(r.MaxSessionDuration%7)
		must(b, w.Store.Roles().Update(ctx, r))
		b.StartTimer()
		must(b, a.Sync(ctx))
		var wg sync.WaitGroup
		for range burst {
			wg.Go(func() {
				if _, err := a.LoadRole(ctx, acct, "hot"); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
	}
}

// BenchmarkAuthorizeAssumeRoleTrust measures the trust-policy decision of
// AssumeRole for a cached role whose trust policy names 10 users and a
// role, saved unbound (matched by ARN) or bound to unique ids (matched
// by id), for a user and for a role session: binding happens when the
// policy is saved, so a decision reads nothing more.
func BenchmarkAuthorizeAssumeRoleTrust(b *testing.B) {
	for _, bound := range []bool{false, true} {
		b.Run(fmt.Sprintf("bound=%v", bound), func(b *testing.B) {
			f := newFixture(b)
			ctx := context.Background()
			var arns []string
			var users []*identity.Principal
			for i := range 10 {
				u, err := f.w.User(acct, fmt.Sprintf("user%02d", i))
				must(b, err)
				arns = append(arns, u.ARN())
				users = append(users, userPrincipal(u))
			}
			dev, err := f.w.Role(acct, "dev", authztest.Trust(acct), 0)
			must(b, err)
			_, err = f.w.Role(acct, "target", authztest.Trust(append(arns, dev.ARN())...), 0)
			must(b, err)
			if bound {
				must(b, f.w.BindTrust(acct, "target"))
			}
			role, err := f.a.LoadRole(ctx, acct, "target")
			must(b, err)
			for _, tc := range []struct {
				name   string
				caller *identity.Principal
			}{{"user", users[9]}, {"role-session", roleSession(dev, "s", credential.Claims{})}} {
				b.Run(tc.name, func(b *testing.B) {
					actions := []string{"sts:AssumeRole"}
					b.ReportAllocs()
					for b.Loop() {
						d, err := f.a.AuthorizeAssumeRole(ctx, tc.caller, role, actions, nil, authz.Facts{Now: now})
						if err != nil || !d.Allowed {
							b.Fatal(d, err)
						}
					}
				})
			}
		})
	}
}
