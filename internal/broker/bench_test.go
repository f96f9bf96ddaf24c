package broker

import (
	"context"
	"crypto/rand"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/authz/authztest"
	"github.com/brevet-dev/brevet/internal/awsquery/brevetapi"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/broker/upstream"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
	"github.com/brevet-dev/brevet/internal/sts"
)

// BenchmarkBrokeredAssumeRoleCached is a brokered AssumeRole through
// sts.Service answered from the broker's cache: the caller's checks, the
// Brevet-side trust policy and the caller's identity policy (across
// accounts), the derived source identity, the cache key and lookup. No
// upstream is called (its endpoint does not answer): the entry is put in
// the cache first, as an earlier call would have.
func BenchmarkBrokeredAssumeRoleCached(b *testing.B) {
	c := newCachedSetup(b)
	serve := func() {
		out, sess, err := c.svc.BrokeredAssumeRole(context.Background(), c.p, c.in, c.f)
		if err != nil || !sess.Upstream.Cached || out.Credentials.AccessKeyId != cachedKeyID {
			b.Fatalf("BrokeredAssumeRole = %+v, %v; want the cached credentials", sess, err)
		}
	}
	serve() // warm the authorizer's caches
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		serve()
	}
}

// TestAuthorizedBeforeCache: cached credentials go only to a caller whom
// Brevet authorizes now, for a role still registered. Once ann's identity
// policy no longer allows the upstream role, or the role is removed, her
// next call is AccessDenied, although the cache holds credentials for
// exactly that call.
func TestAuthorizedBeforeCache(t *testing.T) {
	c := newCachedSetup(t)
	ctx := context.Background()
	if _, sess, err := c.svc.BrokeredAssumeRole(ctx, c.p, c.in, c.f); err != nil || !sess.Upstream.Cached {
		t.Fatalf("BrokeredAssumeRole = %+v, %v; want the cached credentials", sess, err)
	}
	must(t, c.st.InlinePolicies().Delete(ctx, authztest.UserOwner(acctA, "ann"), "up"))
	must(t, c.az.Sync(ctx))
	_, _, err := c.svc.BrokeredAssumeRole(ctx, c.p, c.in, c.f)
	if _, denied := errors.AsType[*request.AccessDeniedError](err); !denied {
		t.Fatalf("BrokeredAssumeRole without the identity policy = %v, want AccessDenied", err)
	}

	// A role removed is not served from the cache either.
	c = newCachedSetup(t)
	must(t, c.bs.DeleteRole(ctx, acctA, c.in.RoleArn))
	_, _, err = c.svc.BrokeredAssumeRole(ctx, c.p, c.in, c.f)
	if _, denied := errors.AsType[*request.AccessDeniedError](err); !denied {
		t.Fatalf("BrokeredAssumeRole of a removed role = %v, want AccessDenied", err)
	}
}

// cachedKeyID is the access key id of the credentials newCachedSetup
// puts in the cache.
const cachedKeyID = "ASIAUPSTREAM00000001"

// cachedSetup is a Brevet (SQLite store, authorizer, STS with the broker)
// with a KEY-mode upstream that caches, a brokered role trusting ann (whose
// identity policy allows it), and the cache holding the credentials of
// ann's call c.in, as an earlier call would have left them. The upstream's
// endpoint does not answer: a call that is not answered from the cache
// fails.
type cachedSetup struct {
	st  *sqlite.Store
	az  *authz.Authorizer
	bs  *Service
	svc *sts.Service
	p   *identity.Principal
	in  *stsapi.AssumeRoleRequest
	f   authz.Facts
}

func newCachedSetup(tb testing.TB) *cachedSetup {
	tb.Helper()
	ctx := context.Background()
	t0 := time.Now()
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(tb.TempDir(), "b.db"), Now: time.Now})
	must(tb, err)
	tb.Cleanup(func() { st.Close() })
	w := &authztest.World{Store: st, Now: t0}
	must(tb, w.Account(acctA))
	ann, err := w.User(acctA, "ann")
	must(tb, err)
	arn := "arn:aws:iam::" + upA + ":role/Deploy"
	must(tb, w.Inline(authztest.UserOwner(acctA, "ann"), "up", authztest.Allow(arn, "sts:AssumeRole", "sts:SetSourceIdentity")))
	keys, err := masterkey.Generate(rand.Reader, t0)
	must(tb, err)
	ring, err := credential.NewTokenKeyRing(rand.Reader, t0.Add(-time.Hour))
	must(tb, err)
	az, err := authz.New(ctx, authz.Config{Store: st, MessageKey: make([]byte, 32)})
	must(tb, err)
	bs, err := New(Config{Store: st, Keys: keys, Dial: upstream.New})
	must(tb, err)
	svc, err := sts.New(sts.Config{Store: st, TokenKeys: ring, Authz: az, Secrets: keys, Broker: bs})
	must(tb, err)
	admin := &identity.Principal{Type: identity.IAMUser, Account: acctA, CallerARN: iam.UserARN(acctA, "/", "admin"), AccessKeyID: "AKIAADMINADMINADMIN1", UserName: "admin"}
	req := keyReq(upA)
	req.CacheCredentials = ptr(true)
	_, err = bs.CreateUpstream(ctx, admin, req, t0)
	must(tb, err)
	_, err = bs.CreateRole(ctx, admin, &brevetapi.BrokeredRoleRequest{RoleArn: arn, AssumeRolePolicyDocument: ptr(trustOf(ann.ARN()))}, t0)
	must(tb, err)
	must(tb, az.Sync(ctx))

	p := &identity.Principal{Type: identity.IAMUser, Account: acctA, CallerARN: ann.ARN(), PrincipalID: ann.ID,
		AccessKeyID: "AKIAANNANNANNANNANN1", UserName: ann.Name, UserID: ann.ID}
	idx, err := bs.current(ctx)
	must(tb, err)
	exp := t0.Add(time.Hour).UTC().Truncate(time.Second)
	sessionARN := "arn:aws:sts::" + upA + ":assumed-role/Deploy/bench"
	bs.cache.put(cacheKey(p, ActionAssumeRole, arn, "bench", time.Hour, "", nil, nil, nil, SourceIdentity(p)), upA, keyID(idx.byID[upA]), t0,
		&upstream.Session{AccessKeyID: cachedKeyID, SecretAccessKey: "s", SessionToken: "t", Expiration: exp, ARN: sessionARN,
			AssumedRoleID: "AROAUPSTREAM:bench", RequestID: "r"},
		request.UpstreamSession{Account: upA, Action: ActionAssumeRole, RoleARN: arn, SessionARN: sessionARN, AccessKeyID: cachedKeyID, Expires: exp})
	return &cachedSetup{st: st, az: az, bs: bs, svc: svc, p: p, in: &stsapi.AssumeRoleRequest{RoleArn: arn, RoleSessionName: "bench"}, f: authz.Facts{Now: t0}}
}

// BenchmarkNarrow is the broker's check of a caller's session policy
// under a role's ceiling, as an administrator would write them: a
// ceiling of four statements (S3 on two buckets, DynamoDB tables of one
// account and region, read-only EC2 in two regions, a Deny on a secrets
// prefix) and a caller's policy of three statements within it. Narrow
// parses both, proves containment and prints what is passed upstream
// (the caller's statements plus the ceiling's Deny).
func BenchmarkNarrow(b *testing.B) {
	ceiling := doc(
		allow(`["s3:Get*","s3:List*","s3:PutObject"]`, `["arn:aws:s3:::app-data","arn:aws:s3:::app-data/*","arn:aws:s3:::app-logs","arn:aws:s3:::app-logs/*"]`),
		allow(`["dynamodb:GetItem","dynamodb:Query","dynamodb:Scan","dynamodb:PutItem"]`, `"arn:aws:dynamodb:eu-west-1:210987654321:table/app-*"`),
		allow(`"ec2:Describe*"`, `"*"`, `"Condition":{"StringEquals":{"aws:RequestedRegion":["eu-west-1","eu-west-3"]}}`),
		`{"Sid":"NoSecrets","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::app-data/secrets/*"}`,
	)
	pol := doc(
		allow(`["s3:GetObject","s3:ListBucket"]`, `["arn:aws:s3:::app-data","arn:aws:s3:::app-data/reports/${aws:username}/*"]`),
		allow(`"dynamodb:Query"`, `"arn:aws:dynamodb:eu-west-1:210987654321:table/app-orders"`),
		allow(`"ec2:DescribeInstances"`, `"*"`, `"Condition":{"StringEquals":{"aws:RequestedRegion":["eu-west-3","eu-west-1"]},"Bool":{"aws:SecureTransport":"true"}}`),
	)
	if _, err := Narrow(pol, ceiling); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Narrow(pol, ceiling); err != nil {
			b.Fatal(err)
		}
	}
}
