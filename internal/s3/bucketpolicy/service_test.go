package bucketpolicy_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/authz/authztest"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/s3/bucketpolicy"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

const (
	acct  = "123456789012" // the gateway's account
	other = "210987654321" // another account Brevet holds
)

var now = time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)

type env struct {
	st  *sqlite.Store
	w   *authztest.World
	svc *bucketpolicy.Service
}

func newEnv(t testing.TB, cacheSize int) *env {
	t.Helper()
	st, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "b.db"), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := &authztest.World{Store: st, Now: now}
	must(t, w.Account(acct))
	must(t, w.Account(other))
	svc, err := bucketpolicy.New(bucketpolicy.Config{Store: st, Account: acct, Resolver: st, CacheSize: cacheSize})
	must(t, err)
	return &env{st: st, w: w, svc: svc}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// stmt is one statement's JSON; pol wraps statements into a policy.
func stmt(effect, principal, action, resource string, extra ...string) string {
	s := `{"Effect":"` + effect + `","Principal":` + principal + `,"Action":` + action + `,"Resource":` + resource
	for _, e := range extra {
		s += "," + e
	}
	return s + "}"
}

func pol(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

func q(s string) string { return `"` + s + `"` }

func TestNewConfig(t *testing.T) {
	e := newEnv(t, 0)
	for _, tt := range []struct {
		name string
		cfg  bucketpolicy.Config
	}{
		{"no store", bucketpolicy.Config{Account: acct, Resolver: e.st}},
		{"no resolver", bucketpolicy.Config{Store: e.st, Account: acct}},
		{"bad account", bucketpolicy.Config{Store: e.st, Resolver: e.st, Account: "12345"}},
		{"negative cache", bucketpolicy.Config{Store: e.st, Resolver: e.st, Account: acct, CacheSize: -1}},
	} {
		if _, err := bucketpolicy.New(tt.cfg); err == nil {
			t.Errorf("%s: New succeeded, want an error", tt.name)
		}
	}
}

// TestValidation: Put refuses what S3 refuses, with S3's message, and
// accepts the rest.
func TestValidation(t *testing.T) {
	e := newEnv(t, 0)
	ann, err := e.w.User(acct, "ann")
	must(t, err)
	dev, err := e.w.Role(other, "dev", authztest.Trust(other), 0)
	must(t, err)
	const b = "logs"
	obj := q("arn:aws:s3:::logs/*")
	get := q("s3:GetObject")
	star := q("*")
	big := pol(stmt("Allow", star, get, obj, `"Sid":"`+strings.Repeat("x", bucketpolicy.MaxSize)+`"`))
	tests := []struct {
		name, bucket, doc string
		want              string // "" accepted, else the MalformedPolicy message
	}{
		{"public read", b, pol(stmt("Allow", star, get, obj)), ""},
		{"AWS star", b, pol(stmt("Allow", `{"AWS":"*"}`, get, obj)), ""},
		{"user and cross-account role", b, pol(stmt("Allow", `{"AWS":["`+ann.ARN()+`","`+dev.ARN()+`"]}`, get, obj)), ""},
		{"role session", b, pol(stmt("Allow", `{"AWS":"`+iam.AssumedRoleARN(other, "dev", "s")+`"}`, get, obj)), ""},
		{"accounts, held or not", b, pol(stmt("Allow", `{"AWS":["111122223333","arn:aws:iam::111122223333:root","`+acct+`"]}`, get, obj)), ""},
		{"service principal", b, pol(stmt("Allow", `{"Service":"logging.s3.amazonaws.com"}`, q("s3:PutObject"), obj)), ""},
		{"every action", b, pol(stmt("Allow", star, star, obj)), ""},
		{"s3 wildcard, any case", b, pol(stmt("Allow", star, `["s3:*","S3:Get*"]`, obj)), ""},
		{"bucket and objects", b, pol(stmt("Allow", star, `["s3:ListBucket","s3:GetObject"]`, `["arn:aws:s3:::logs","arn:aws:s3:::logs/a/*"]`)), ""},
		{"null principal", b, pol(stmt("Deny", "null", q("s3:*"), obj)), "Syntax errors in policy."},
		{"deny to all but one", b, `{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"` + ann.ARN() + `"},"Action":"s3:*","Resource":` + obj + `}]}`, ""},
		{"version 2008, leading space", b, " \n" + `{"Version":"2008-10-17","Statement":[` + stmt("Allow", star, get, obj) + `]}`, ""},
		{"NotResource of the bucket", b, `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","NotResource":"arn:aws:s3:::logs/public/*"}]}`, ""},

		{"too large", b, big, "Policy exceeds the maximum allowed document size."},
		{"empty", b, "", "Policies must be valid JSON and the first byte must be '{'"},
		{"array", b, "[" + pol(stmt("Allow", star, get, obj)) + "]", "Policies must be valid JSON and the first byte must be '{'"},
		{"not JSON", b, `{"Statement":`, "Syntax errors in policy."},
		{"no principal", b, `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":` + obj + `}]}`, "Missing required field Principal"},
		{"no resource", b, `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}`, "Policy statement must contain resources."},
		{"another bucket", b, pol(stmt("Allow", star, get, q("arn:aws:s3:::other/*"))), "Policy has invalid resource"},
		{"a bucket with the name as prefix", b, pol(stmt("Allow", star, get, q("arn:aws:s3:::logs-archive/*"))), "Policy has invalid resource"},
		{"wildcard bucket", b, pol(stmt("Allow", star, get, q("arn:aws:s3:::logs*"))), "Policy has invalid resource"},
		{"every resource", b, pol(stmt("Allow", star, get, star)), "Policy has invalid resource"},
		{"other case", b, pol(stmt("Allow", star, get, q("arn:aws:s3:::LOGS/*"))), "Policy has invalid resource"},
		{"not an S3 resource", b, pol(stmt("Allow", star, get, q("arn:aws:sqs:us-east-1:123456789012:logs"))), "Policy has invalid resource"},
		{"NotResource of another bucket", b, `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","NotResource":"arn:aws:s3:::x/*"}]}`, "Policy has invalid resource"},
		{"IAM action", b, pol(stmt("Allow", star, `["s3:GetObject","iam:CreateUser"]`, obj)), "Policy has invalid action"},
		{"NotAction of another service", b, `{"Statement":[{"Effect":"Deny","Principal":"*","NotAction":"sqs:*","Resource":` + obj + `}]}`, "Policy has invalid action"},
		{"user that does not exist", b, pol(stmt("Allow", `{"AWS":"arn:aws:iam::`+acct+`:user/nobody"}`, get, obj)),
			`Invalid principal in policy: "AWS":"arn:aws:iam::` + acct + `:user/nobody"`},
		{"user of an account not held", b, pol(stmt("Allow", `{"AWS":"arn:aws:iam::111122223333:user/ann"}`, get, obj)),
			`Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:user/ann"`},
		{"role on another path", b, pol(stmt("Allow", `{"AWS":"arn:aws:iam::`+other+`:role/x/dev"}`, get, obj)),
			`Invalid principal in policy: "AWS":"arn:aws:iam::` + other + `:role/x/dev"`},
		{"principal not an ARN", b, pol(stmt("Allow", `{"AWS":"ann"}`, get, obj)), `Invalid principal in policy: "AWS":"ann"`},
		{"bad address", b, pol(stmt("Allow", star, get, obj, `"Condition":{"IpAddress":{"aws:SourceIp":"nope"}}`)),
			`Policy has an invalid condition: condition IpAddress "aws:SourceIp": "nope" is not an IP address or CIDR block`},
		{"bad effect", b, pol(stmt("allow", star, get, obj)), "The policy failed legacy parsing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.svc.Put(context.Background(), tt.bucket, tt.doc, now)
			var got string
			var me *bucketpolicy.MalformedPolicyError
			switch {
			case err == nil:
			case errors.As(err, &me):
				got = me.Message
			default:
				t.Fatalf("Put: %v, want nil or a *MalformedPolicyError", err)
			}
			if got != tt.want {
				t.Errorf("Put: got message %q, want %q", got, tt.want)
			}
			if _, gerr := e.svc.Get(context.Background(), tt.bucket); tt.want != "" && !errors.Is(gerr, bucketpolicy.ErrNoSuchBucketPolicy) {
				t.Errorf("Get after a refused Put: %v, want ErrNoSuchBucketPolicy", gerr)
			}
			must(t, e.svc.Delete(context.Background(), tt.bucket))
		})
	}
	for _, name := range []string{"", "a/b", "a b", strings.Repeat("a", 256), "bucket\x00"} {
		if err := e.svc.Put(context.Background(), name, pol(stmt("Allow", star, get, q("arn:aws:s3:::"+name+"/*"))), now); !errors.Is(err, bucketpolicy.ErrInvalidBucketName) {
			t.Errorf("Put to bucket %q: %v, want ErrInvalidBucketName", name, err)
		}
	}
}

// TestLifecycle: Put, Get (as sent), Status, Delete (twice: nil both
// times), then Get and Status answer ErrNoSuchBucketPolicy.
func TestLifecycle(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	doc := "{ \"Statement\" : [" + stmt("Allow", `"*"`, `"s3:GetObject"`, `"arn:aws:s3:::site/*"`) + "] }"
	if _, err := e.svc.Get(ctx, "site"); !errors.Is(err, bucketpolicy.ErrNoSuchBucketPolicy) {
		t.Fatalf("Get before Put: %v, want ErrNoSuchBucketPolicy", err)
	}
	must(t, e.svc.Put(ctx, "site", doc, now))
	got, err := e.svc.Get(ctx, "site")
	must(t, err)
	if got != doc {
		t.Errorf("Get = %q, want the document as sent %q", got, doc)
	}
	stored, err := e.st.BucketPolicies().Get(ctx, acct, "site")
	must(t, err)
	if !stored.Updated.Equal(now) || stored.Bindings == nil || len(stored.Bindings) != 0 {
		t.Errorf("stored: updated %v, bindings %#v; want %v and bound to no one", stored.Updated, stored.Bindings, now)
	}
	public, err := e.svc.Status(ctx, "site")
	must(t, err)
	if !public {
		t.Errorf("Status of a public-read policy = false")
	}
	must(t, e.svc.Delete(ctx, "site"))
	must(t, e.svc.Delete(ctx, "site"))
	if _, err := e.svc.Get(ctx, "site"); !errors.Is(err, bucketpolicy.ErrNoSuchBucketPolicy) {
		t.Errorf("Get after Delete: %v, want ErrNoSuchBucketPolicy", err)
	}
	if _, err := e.svc.Status(ctx, "site"); !errors.Is(err, bucketpolicy.ErrNoSuchBucketPolicy) {
		t.Errorf("Status after Delete: %v, want ErrNoSuchBucketPolicy", err)
	}
	if pc, err := e.svc.Compiled(ctx, "site"); pc != nil || err != nil {
		t.Errorf("Compiled after Delete = %v, %v; want nil, nil", pc, err)
	}
}

func userPrincipal(u iam.User) *identity.Principal {
	return &identity.Principal{Type: identity.IAMUser, Account: u.Account, CallerARN: u.ARN(), PrincipalID: u.ID,
		AccessKeyID: "AKIAEXAMPLE", UserName: u.Name, UserID: u.ID}
}

// TestBoundToUniqueID: a user named in a bucket policy is bound to its
// unique id when the policy is saved. Deleted and made again under its
// name, the new user is not granted what the old one was, and GetBucket
// Policy shows the old unique id, until the policy is saved again.
func TestBoundToUniqueID(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	a, err := authz.New(ctx, authz.Config{Store: e.st, MessageKey: make([]byte, 32), PollInterval: time.Hour})
	must(t, err)
	ann, err := e.w.User(acct, "ann")
	must(t, err)
	doc := pol(stmt("Allow", `{"AWS":"`+ann.ARN()+`"}`, `"s3:GetObject"`, `"arn:aws:s3:::logs/*"`))
	must(t, e.svc.Put(ctx, "logs", doc, now))

	allowed := func(u iam.User) bool {
		t.Helper()
		bp, err := e.svc.Compiled(ctx, "logs")
		must(t, err)
		must(t, a.Sync(ctx))
		d, err := a.Authorize(ctx, &request.AuthzRequest{Principal: userPrincipal(u), Action: "s3:GetObject",
			Resource: "arn:aws:s3:::logs/k", ResourceAccount: acct, ResourcePolicy: bp, Now: now, SourceIP: "192.0.2.1"})
		must(t, err)
		return d.Allowed
	}
	if !allowed(ann) {
		t.Fatalf("the user the policy was saved for: denied")
	}
	must(t, e.st.Users().Delete(ctx, acct, "ann"))
	ann2, err := e.w.User(acct, "ann")
	must(t, err)
	if allowed(ann2) {
		t.Errorf("a new user of the same name: allowed, want denied until the policy is saved again")
	}
	shown, err := e.svc.Get(ctx, "logs")
	must(t, err)
	if want := strings.Replace(doc, ann.ARN(), ann.ID, 1); shown != want {
		t.Errorf("Get after the user was deleted = %s, want %s", shown, want)
	}
	must(t, e.svc.Put(ctx, "logs", doc, now))
	if !allowed(ann2) {
		t.Errorf("the new user once the policy is saved again: denied")
	}
	if allowed(ann) {
		t.Errorf("the old user's id once the policy is saved again: allowed")
	}
}

// TestApply: a policy saved or deleted on another node (written to the
// store directly) is seen once the change feed is applied; before, the
// cache answers; changes of other accounts drop nothing.
func TestApply(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	feed := int64(0)
	apply := func() {
		t.Helper()
		changes, err := e.st.Changes().Since(ctx, feed, 0)
		must(t, err)
		if len(changes) > 0 {
			feed = changes[len(changes)-1].Seq
		}
		e.svc.Apply(changes)
	}
	apply()
	put := func(account, bucket, action string) {
		t.Helper()
		must(t, e.st.BucketPolicies().Put(ctx, store.BucketPolicy{Account: account, Bucket: bucket, Updated: now,
			Document: pol(stmt("Allow", `"*"`, `"`+action+`"`, `"arn:aws:s3:::`+bucket+`/*"`)), Bindings: []iam.PrincipalBinding{}}))
	}
	grants := func(bucket, action string) bool {
		t.Helper()
		pc, err := e.svc.Compiled(ctx, bucket)
		must(t, err)
		if pc == nil {
			return false
		}
		var d policy.Decision
		(*policy.Set)(nil).EvaluateInto(&d, &policy.Request{Caller: policy.Caller{Kind: policy.Anonymous}, Action: action,
			Resource: "arn:aws:s3:::" + bucket + "/k", ResourceAccount: acct}, pc)
		return d.Outcome == policy.Allowed
	}

	steps := []struct {
		name   string
		write  func()
		apply  bool
		bucket string
		action string
		want   bool
	}{
		{"no policy (cached as none)", nil, false, "b", "s3:GetObject", false},
		{"saved elsewhere, not yet applied", func() { put(acct, "b", "s3:GetObject") }, false, "b", "s3:GetObject", false},
		{"applied", nil, true, "b", "s3:GetObject", true},
		{"replaced elsewhere, not yet applied", func() { put(acct, "b", "s3:PutObject") }, false, "b", "s3:GetObject", true},
		{"replacement applied", nil, true, "b", "s3:GetObject", false},
		{"replacement grants", nil, false, "b", "s3:PutObject", true},
		{"another account's change drops nothing", func() {
			put(acct, "b", "s3:GetObject")
			e.svc.Apply([]store.Change{{Account: other, Kind: store.ChangeBucketPolicy, Key: "b"}, {Account: other, Kind: store.ChangeAccount, Key: other}})
		}, false, "b", "s3:PutObject", true},
		{"own change applied", nil, true, "b", "s3:GetObject", true},
		{"deleted elsewhere, not yet applied", func() { must(t, e.st.BucketPolicies().Delete(ctx, acct, "b")) }, false, "b", "s3:GetObject", true},
		{"deletion applied", nil, true, "b", "s3:GetObject", false},
		{"saved here: seen at once", func() {
			must(t, e.svc.Put(ctx, "b", pol(stmt("Allow", `"*"`, `"s3:GetObject"`, `"arn:aws:s3:::b/*"`)), now))
		}, false, "b", "s3:GetObject", true},
		{"deleted here: seen at once", func() { must(t, e.svc.Delete(ctx, "b")) }, false, "b", "s3:GetObject", false},
	}
	for _, st := range steps {
		if st.write != nil {
			st.write()
		}
		if st.apply {
			apply()
		}
		if got := grants(st.bucket, st.action); got != st.want {
			t.Errorf("%s: %s granted = %v, want %v", st.name, st.action, got, st.want)
		}
	}
	// Flush forgets everything.
	put(acct, "c", "s3:GetObject")
	if grants("c", "s3:GetObject") != true {
		t.Errorf("c: not granted")
	}
	put(acct, "c", "s3:PutObject")
	e.svc.Flush()
	if grants("c", "s3:GetObject") {
		t.Errorf("after Flush: the stale policy still answers")
	}
}

// TestConcurrent runs readers, writers and Apply at once, for the race
// detector, and checks that the last write wins once applied.
func TestConcurrent(t *testing.T) {
	e := newEnv(t, 4)
	ctx := context.Background()
	var wg sync.WaitGroup
	buckets := []string{"a", "b", "c", "d", "e", "f"}
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				b := buckets[(i+j)%len(buckets)]
				if _, err := e.svc.Compiled(ctx, b); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for j := range 20 {
			b := buckets[j%len(buckets)]
			doc := pol(stmt("Allow", `"*"`, `"s3:GetObject"`, `"arn:aws:s3:::`+b+`/*"`))
			if err := e.svc.Put(ctx, b, doc, now); err != nil {
				t.Error(err)
				return
			}
			e.svc.Apply([]store.Change{{Account: acct, Kind: store.ChangeBucketPolicy, Key: buckets[(j+1)%len(buckets)]}})
		}
	}()
	wg.Wait()
	for _, b := range buckets {
		pc, err := e.svc.Compiled(ctx, b)
		must(t, err)
		if pc == nil {
			t.Errorf("bucket %s: no policy after the writers finished", b)
		}
	}
}

// TestCompiledHitDoesNotAllocate: Compiled is on every gateway request's
// path.
func TestCompiledHitDoesNotAllocate(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	must(t, e.svc.Put(ctx, "logs", pol(stmt("Allow", `"*"`, `"s3:GetObject"`, `"arn:aws:s3:::logs/*"`)), now))
	for _, b := range []string{"logs", "none"} {
		if _, err := e.svc.Compiled(ctx, b); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { _, _ = e.svc.Compiled(ctx, b) }); n != 0 {
			t.Errorf("Compiled(%s) on a hit: %v allocations, want 0", b, n)
		}
	}
}

// BenchmarkCompiledHit measures the gateway's per-request look-up.
//
//	go test -run '^$' -bench BenchmarkCompiledHit -benchmem ./internal/s3/bucketpolicy/
func BenchmarkCompiledHit(b *testing.B) {
	e := newEnv(b, 0)
	ctx := context.Background()
	must(b, e.svc.Put(ctx, "logs", pol(stmt("Allow", `"*"`, `"s3:GetObject"`, `"arn:aws:s3:::logs/*"`)), now))
	if _, err := e.svc.Compiled(ctx, "logs"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if pc, _ := e.svc.Compiled(ctx, "logs"); pc == nil {
				b.Fatal("miss")
			}
		}
	})
}

// TestStoredPolicyFailsClosed: a stored policy that no longer compiles is
// an error for the request, never "no policy" (its Deny statements would
// be lost), and is not cached.
func TestStoredPolicyFailsClosed(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	must(t, e.st.BucketPolicies().Put(ctx, store.BucketPolicy{Account: acct, Bucket: "b", Updated: now, Document: `{"Statement":`}))
	for range 2 {
		if pc, err := e.svc.Compiled(ctx, "b"); pc != nil || err == nil {
			t.Errorf("Compiled = %v, %v; want an error", pc, err)
		}
	}
	if _, err := e.svc.Status(ctx, "b"); err == nil || errors.Is(err, bucketpolicy.ErrNoSuchBucketPolicy) {
		t.Errorf("Status: %v, want an error other than ErrNoSuchBucketPolicy", err)
	}
}
