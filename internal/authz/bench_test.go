package authz_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/brevet-dev/brevet/internal/authz/authztest"
	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/identity"
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
			req := &awsquery.AuthzRequest{Principal: p, Action: "iam:ListAccessKeys", Resource: p.CallerARN,
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
			req := &awsquery.AuthzRequest{Principal: p, Action: "iam:ListRoles", Resource: "*", Now: now}
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
	req := &awsquery.AuthzRequest{Principal: userPrincipal(u), Action: "iam:DeleteUser", Resource: u.ARN(), Now: now, SourceIP: "192.0.2.1"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		d, err := f.a.Authorize(ctx, req)
		if err != nil || d.Allowed {
			b.Fatal(d, err)
		}
	}
}
