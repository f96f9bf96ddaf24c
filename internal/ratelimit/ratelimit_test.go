package ratelimit

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/request"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestBuckets(t *testing.T) {
	type step struct {
		op        string // "take" or "over"
		key       string
		at        time.Duration
		wantOK    bool // take: admitted; over: over the budget
		wantRetry time.Duration
	}
	tests := []struct {
		name  string
		rate  Rate
		steps []step
	}{
		{
			name: "burst then refill",
			rate: Rate{PerSecond: 2, Burst: 3},
			steps: []step{
				{op: "take", key: "a", wantOK: true},
				{op: "take", key: "a", wantOK: true},
				{op: "take", key: "a", wantOK: true},
				{op: "take", key: "a", wantOK: false, wantRetry: 500 * time.Millisecond},
				{op: "over", key: "a", wantOK: true, wantRetry: 500 * time.Millisecond},
				{op: "take", key: "b", wantOK: true}, // another key has its own bucket
				{op: "over", key: "a", at: 250 * time.Millisecond, wantOK: true, wantRetry: 250 * time.Millisecond},
				{op: "over", key: "a", at: 500 * time.Millisecond, wantOK: false},
				{op: "take", key: "a", at: 500 * time.Millisecond, wantOK: true},
				{op: "take", key: "a", at: 500 * time.Millisecond, wantOK: false, wantRetry: 500 * time.Millisecond},
			},
		},
		{
			name: "over never adds a key",
			rate: Rate{PerSecond: 1, Burst: 1},
			steps: []step{
				{op: "over", key: "new", wantOK: false},
				{op: "take", key: "new", wantOK: true},
				{op: "over", key: "new", wantOK: true, wantRetry: time.Second},
			},
		},
		{
			name: "off admits everything",
			rate: Rate{},
			steps: []step{
				{op: "take", key: "a", wantOK: true}, {op: "take", key: "a", wantOK: true}, {op: "over", key: "a", wantOK: false},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBuckets(tt.rate, 1000)
			for i, s := range tt.steps {
				var ok bool
				var retry time.Duration
				if s.op == "take" {
					ok, retry = b.Take(s.key, t0.Add(s.at))
				} else {
					ok, retry = b.Over(s.key, t0.Add(s.at))
				}
				if ok != s.wantOK || retry != s.wantRetry {
					t.Errorf("step %d: %s(%q) at +%v = %v, %v; want %v, %v", i, s.op, s.key, s.at, ok, retry, s.wantOK, s.wantRetry)
				}
			}
		})
	}
}

// TestBucketsBounded floods the buckets with distinct keys: the map keeps
// at most its bound, forgetting the least recently used.
func TestBucketsBounded(t *testing.T) {
	const bound = 64 * shards
	b := NewBuckets(Rate{PerSecond: 1, Burst: 1}, bound)
	b.Take("kept", t0)
	for i := range 100_000 {
		b.Take(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), t0)
		if i%1000 == 0 {
			b.Take("kept", t0) // recently used: survives
		}
	}
	if got := b.Len(); got > bound {
		t.Errorf("Len = %d after 100,000 distinct keys; want at most %d", got, bound)
	}
	if over, _ := b.Over("kept", t0); !over {
		t.Errorf("Over(kept) = false; a key in use must not be evicted")
	}
	if over, _ := b.Over("10.0.0.0", t0); over {
		t.Errorf("Over(10.0.0.0) = true; the oldest key should have been forgotten")
	}
}

func TestPresentedKeyID(t *testing.T) {
	tests := []struct {
		name, authz, query, want string
	}{
		{name: "header", authz: "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260102/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=ab", want: "AKIAEXAMPLE"},
		{name: "presigned", query: "Action=GetCallerIdentity&X-Amz-Credential=ASIAEXAMPLE%2F20260102%2Fus-east-1%2Fsts%2Faws4_request", want: "ASIAEXAMPLE"},
		{name: "none", query: "Action=GetCallerIdentity", want: ""},
		{name: "no credential", authz: "Bearer x", want: ""},
		{name: "empty id", authz: "AWS4-HMAC-SHA256 Credential=/2026/us-east-1/sts/aws4_request", want: ""},
		{name: "garbage", authz: "AWS4-HMAC-SHA256 Credential=a, b", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/?"+tt.query, nil)
			if tt.authz != "" {
				r.Header.Set("Authorization", tt.authz)
			}
			if got := PresentedKeyID(r); got != tt.want {
				t.Errorf("PresentedKeyID = %q; want %q", got, tt.want)
			}
		})
	}
}

type principal string

func (p principal) ARN() string { return string(p) }

func TestFailure(t *testing.T) {
	user := principal("arn:aws:iam::123456789012:user/alice")
	tests := []struct {
		name string
		rec  request.Record
		want bool
	}{
		{name: "success", rec: request.Record{Status: 200, Principal: user}, want: false},
		{name: "bad signature", rec: request.Record{Status: 403, ErrorCode: "SignatureDoesNotMatch"}, want: true},
		{name: "unauthenticated malformed", rec: request.Record{Status: 400, ErrorCode: "MissingAction"}, want: true},
		{name: "anonymous bad token", rec: request.Record{Status: 400, ErrorCode: "InvalidIdentityToken", Principal: principal("")}, want: true},
		{name: "authenticated denied", rec: request.Record{Status: 403, ErrorCode: "AccessDenied", Principal: user}, want: true},
		{name: "authenticated validation error", rec: request.Record{Status: 400, ErrorCode: "ValidationError", Principal: user}, want: false},
		{name: "authenticated wrong secret", rec: request.Record{Status: 400, ErrorCode: "InvalidUserType", Principal: user,
			Err: fmt.Errorf("change password: %w", request.ErrWrongSecret)}, want: true},
		{name: "pending", rec: request.Record{Status: 400, ErrorCode: "AuthorizationPendingException", Err: pending(true)}, want: false},
		{name: "pending-shaped error that is not pending", rec: request.Record{Status: 400, ErrorCode: "SlowDownException", Err: pending(false)}, want: true},
		{name: "throttled", rec: request.Record{Status: 400, ErrorCode: "Throttling", Err: &request.ThrottledError{}}, want: false},
		{name: "server side", rec: request.Record{Status: 503, ErrorCode: "ServiceUnavailable"}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Failure(&tt.rec); got != tt.want {
				t.Errorf("Failure = %v; want %v", got, tt.want)
			}
		})
	}
}

// pending is a request.PendingError of the given verdict.
type pending bool

func (p pending) Error() string { return "pending" }
func (p pending) Pending() bool { return bool(p) }

// TestBudgets walks requests through the budgets as the pipeline does.
func TestBudgets(t *testing.T) {
	ctx := context.Background()
	b := New(Config{FailuresPerSource: Rate{PerSecond: 1, Burst: 2}, FailuresPerKey: Rate{PerSecond: 1, Burst: 3},
		RequestsPerCaller: Rate{PerSecond: 1, Burst: 2}})
	exchange := func(ip, key string) *request.Exchange {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.RemoteAddr = ip + ":1234"
		if key != "" {
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+key+"/20260102/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00")
		}
		x := &request.Exchange{}
		x.Begin(r, "id", t0)
		return x
	}
	budget := func(err error) string {
		if te, ok := err.(*request.ThrottledError); ok {
			return te.Budget
		}
		if err != nil {
			return "error"
		}
		return ""
	}
	authFail := fmt.Errorf("SignatureDoesNotMatch")
	// One source fails twice: its third request is refused before
	// authentication; another source is not.
	var got []string
	for range 3 {
		x := exchange("192.0.2.1", "AKIDBAD")
		err := b.Admit(ctx, x)
		if err == nil {
			err = b.Failed(ctx, x, authFail)
			rec := request.Record{}
			x.Record(&rec, t0, err, 403, "SignatureDoesNotMatch", "")
			b.Observe(ctx, &rec)
		}
		got = append(got, budget(err))
	}
	x := exchange("192.0.2.2", "AKIDGOOD")
	got = append(got, budget(b.Admit(ctx, x)))
	got = append(got, budget(b.Authenticated(ctx, x)), budget(b.Authenticated(ctx, x)), budget(b.Authenticated(ctx, x)))
	// The key AKIDBAD failed twice already; from a third source its next
	// failed authentication still answers the error, the one after is
	// throttled, and one that authenticates is not.
	y := exchange("192.0.2.3", "AKIDBAD")
	_ = b.Admit(ctx, y) // notes the key id
	got = append(got, budget(b.Failed(ctx, y, authFail)), budget(b.Failed(ctx, y, authFail)), budget(b.Authenticated(ctx, y)))
	// Unsigned requests share a bucket per source.
	z := exchange("192.0.2.4", "")
	_ = b.Admit(ctx, z)
	got = append(got, budget(b.Authenticated(ctx, z)), budget(b.Authenticated(ctx, z)), budget(b.Authenticated(ctx, z)))
	want := []string{"error", "error", BudgetFailuresPerSource,
		"", "", "", BudgetRequestsPerCaller,
		"error", BudgetFailuresPerKey, "",
		"", "", BudgetRequestsPerCaller}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("budgets answered (-want +got):\n%s", diff)
	}
	if te, ok := b.Admit(ctx, exchange("192.0.2.1", "")).(*request.ThrottledError); !ok || te.RetryAfter != time.Second {
		t.Errorf("Admit over budget = %v; want a ThrottledError with RetryAfter 1s", te)
	}
}

func TestNewAllOff(t *testing.T) {
	if b := New(Config{}); b != nil {
		t.Errorf("New with every budget off = %v; want nil", b)
	}
}

// BenchmarkTake is one admitted request's cost on a budget holding many
// keys, from parallel goroutines.
func BenchmarkTake(b *testing.B) {
	bk := NewBuckets(Rate{PerSecond: 1e9, Burst: 1 << 20}, DefaultMaxKeys)
	keys := make([]string, 4096)
	for i := range keys {
		keys[i] = fmt.Sprintf("AKIA%016d", i)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			bk.Take(keys[i%len(keys)], t0)
			i++
		}
	})
}

// BenchmarkTakeDistinct is the flood of new keys: every Take evicts.
func BenchmarkTakeDistinct(b *testing.B) {
	bk := NewBuckets(Rate{PerSecond: 10, Burst: 20}, 1024)
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		bk.Take(keys[i%len(keys)], t0)
	}
}

// BenchmarkAdmit is the pre-authentication check of a request from a
// source that has not failed.
func BenchmarkAdmit(b *testing.B) {
	bs := New(Config{FailuresPerSource: Rate{PerSecond: 10, Burst: 20}, FailuresPerKey: Rate{PerSecond: 10, Burst: 20}, RequestsPerCaller: Rate{PerSecond: 1e9, Burst: 1 << 20}})
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260102/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		x := request.Exchange{}
		x.Begin(r, "id", t0)
		_ = bs.Admit(ctx, &x)
		_ = bs.Authenticated(ctx, &x)
	}
}

// TestBudgetsIPv6: the per-source budgets count an IPv6 source by its
// /64, so the addresses of one host's prefix share the failure budget
// and unsigned requests' budget; another /64 has its own.
func TestBudgetsIPv6(t *testing.T) {
	ctx := context.Background()
	b := New(Config{FailuresPerSource: Rate{PerSecond: 1, Burst: 2}, RequestsPerCaller: Rate{PerSecond: 1, Burst: 2}})
	exchange := func(ip string) *request.Exchange {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.RemoteAddr = "[" + ip + "]:1234"
		x := &request.Exchange{}
		x.Begin(r, "id", t0)
		return x
	}
	for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2"} {
		x := exchange(ip)
		if err := b.Admit(ctx, x); err != nil {
			t.Fatalf("Admit %s: %v", ip, err)
		}
		rec := request.Record{}
		x.Record(&rec, t0, fmt.Errorf("InvalidGrant"), 400, "InvalidGrantException", "")
		b.Observe(ctx, &rec)
	}
	if _, ok := b.Admit(ctx, exchange("2001:db8:1:2::3")).(*request.ThrottledError); !ok {
		t.Error("a third address of the /64 after two failures: admitted, want throttled")
	}
	if err := b.Admit(ctx, exchange("2001:db8:1:3::1")); err != nil {
		t.Errorf("another /64: %v", err)
	}
	for i, ip := range []string{"2001:db8:9:9::1", "2001:db8:9:9::2", "2001:db8:9:9::3"} {
		err := b.Authenticated(ctx, exchange(ip))
		if _, throttled := err.(*request.ThrottledError); throttled != (i == 2) {
			t.Errorf("unsigned request %d from the /64: %v", i, err)
		}
	}
}
