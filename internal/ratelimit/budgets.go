package ratelimit

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/brevet-dev/brevet/internal/request"
)

// The budgets, as they are named in errors, logs and the
// brevet_throttled_total metric.
const (
	BudgetFailuresPerSource = "failures_per_source"
	BudgetFailuresPerKey    = "failures_per_key"
	BudgetRequestsPerCaller = "requests_per_caller"
)

// Config sets the budgets. A Rate that is Off disables its budget.
type Config struct {
	// FailuresPerSource is the budget of failed requests per source
	// address (as SourceKey counts it: an IPv6 address by its /64):
	// requests that failed authentication, and authenticated requests
	// refused with HTTP 403 (AccessDenied, a wrong MFA code, a
	// deleted principal) or for a wrong secret (ChangePassword's old
	// password, request.ErrWrongSecret). A source with an empty bucket is answered
	// Throttling before its signature is verified.
	FailuresPerSource Rate
	// FailuresPerKey is the budget of failed authentications per access
	// key id presented, from any source. Over it, a request presenting the
	// key whose authentication fails is answered Throttling instead of
	// its authentication error; a request whose signature verifies is
	// never refused by it, so that knowing a key id (which is not secret)
	// is not enough to lock its owner out.
	FailuresPerKey Rate
	// RequestsPerCaller is the budget of authenticated requests per access
	// key id (per source address, as SourceKey counts it, for unsigned
	// requests such as AssumeRoleWithWebIdentity and SSO OIDC's).
	RequestsPerCaller Rate
	// MaxKeys bounds the keys each budget tracks; DefaultMaxKeys when
	// zero.
	MaxKeys int
}

// DefaultMaxKeys is how many keys each budget tracks when Config.MaxKeys
// is zero: some 200 bytes each, so about 13 MiB per budget when full.
const DefaultMaxKeys = 65536

// Budgets is the pipeline's Limiter (request.Limiter), and an Observer
// (request.Observer) that counts failures once each request is finished.
type Budgets struct {
	failSource, failKey, callers *Buckets
	throttled                    *prometheus.CounterVec
}

// New returns the budgets of cfg, or nil when every budget is off.
func New(cfg Config) *Budgets {
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = DefaultMaxKeys
	}
	b := &Budgets{
		failSource: NewBuckets(cfg.FailuresPerSource, cfg.MaxKeys),
		failKey:    NewBuckets(cfg.FailuresPerKey, cfg.MaxKeys),
		callers:    NewBuckets(cfg.RequestsPerCaller, cfg.MaxKeys),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "brevet_throttled_total",
			Help: "API requests answered Throttling, by the budget they exceeded.",
		}, []string{"budget"}),
	}
	if b.failSource == nil && b.failKey == nil && b.callers == nil {
		return nil
	}
	for _, name := range []string{BudgetFailuresPerSource, BudgetFailuresPerKey, BudgetRequestsPerCaller} {
		b.throttled.WithLabelValues(name) // present at 0 from the start
	}
	return b
}

// Collector is the brevet_throttled_total counter, for /metrics.
func (b *Budgets) Collector() prometheus.Collector { return b.throttled }

func (b *Budgets) refuse(budget string, wait time.Duration) error {
	b.throttled.WithLabelValues(budget).Inc()
	return &request.ThrottledError{Budget: budget, RetryAfter: wait}
}

// Admit refuses a source whose failure bucket is empty, before anything
// else is done with its request, and notes the access key id the request
// presents (request.Limiter).
func (b *Budgets) Admit(_ context.Context, x *request.Exchange) error {
	x.KeyID = PresentedKeyID(x.HTTP)
	if over, wait := b.failSource.Over(SourceKey(x.SourceIP), x.Start); over {
		return b.refuse(BudgetFailuresPerSource, wait)
	}
	return nil
}

// Failed takes a token from the failure bucket of the key the request
// presented, and answers Throttling instead of err when there is none
// (request.Limiter).
func (b *Budgets) Failed(_ context.Context, x *request.Exchange, err error) error {
	if x.KeyID == "" {
		return err
	}
	if ok, wait := b.failKey.Take(x.KeyID, x.Start); !ok {
		return b.refuse(BudgetFailuresPerKey, wait)
	}
	return err
}

// KeyedPrincipal is a principal that the access key id its request
// presents did not authenticate (a person, by an SSO bearer token): its
// caller budget is kept under BudgetKey, whatever Authorization header
// the request also carries, so that naming another caller's key id spends
// nothing of theirs, and naming a new one each time escapes nothing.
type KeyedPrincipal interface {
	request.Principal
	BudgetKey() string
}

// Authenticated takes a token from the caller's bucket (request.Limiter):
// a KeyedPrincipal's own, else the access key id's that verified, else
// the source address's (unsigned calls).
func (b *Budgets) Authenticated(_ context.Context, x *request.Exchange) error {
	key := x.KeyID
	if k, ok := x.Principal.(KeyedPrincipal); ok {
		key = k.BudgetKey()
	} else if key == "" {
		key = "ip:" + SourceKey(x.SourceIP)
	}
	if ok, wait := b.callers.Take(key, x.Start); !ok {
		return b.refuse(BudgetRequestsPerCaller, wait)
	}
	return nil
}

// Observe counts a finished request against its source's failure budget
// when it failed (request.Observer): it failed before its caller was
// authenticated (any 4xx answer), or its authenticated caller was refused
// with 403 or for a wrong secret (request.ErrWrongSecret). Throttled
// requests, a protocol's pending answers (request.PendingError) and
// server-side failures (5xx) do not count: the first would keep a source locked out for as long as it keeps
// trying, the second are not the client's doing.
func (b *Budgets) Observe(_ context.Context, rec *request.Record) {
	if !Failure(rec) {
		return
	}
	b.failSource.Take(SourceKey(rec.SourceIP), rec.Start.Add(rec.Duration))
}

// Failure reports whether rec counts against its source's failure budget.
func Failure(rec *request.Record) bool {
	if rec.Status < 400 || rec.Status >= 500 {
		return false
	}
	if _, ok := errors.AsType[*request.ThrottledError](rec.Err); ok {
		return false
	}
	if p, ok := errors.AsType[request.PendingError](rec.Err); ok && p.Pending() {
		return false
	}
	authenticated := rec.Principal != nil && rec.Principal.ARN() != ""
	return !authenticated || rec.Status == http.StatusForbidden || errors.Is(rec.Err, request.ErrWrongSecret)
}

// PresentedKeyID is the access key id r presents, unverified: the first
// part of the Credential in its SigV4 Authorization header, or of its
// X-Amz-Credential query parameter (a presigned request); "" when none.
// It is bounded to 128 bytes, as access key ids are.
func PresentedKeyID(r *http.Request) string {
	var cred string
	if h := r.Header.Get("Authorization"); h != "" {
		_, rest, ok := strings.Cut(h, "Credential=")
		if !ok {
			return ""
		}
		cred = rest
	} else if strings.Contains(r.URL.RawQuery, "X-Amz-Credential=") {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	id, _, _ := strings.Cut(cred, "/")
	if id == "" || len(id) > 128 || strings.ContainsAny(id, ", ") {
		return ""
	}
	return id
}
