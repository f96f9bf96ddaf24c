package signin

import (
	"net/http"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/ratelimit"
	"github.com/brevet-dev/brevet/internal/request"
)

// Limits are the pages' rate limits, per node, as token buckets.
type Limits struct {
	// SignInPerUser bounds sign-in attempts (passwords and MFA codes)
	// per account and user name, from anywhere.
	SignInPerUser ratelimit.Rate
	// SignInPerSource bounds sign-in attempts (passwords, MFA codes,
	// provider round trips: the start and the callback) per source
	// address.
	SignInPerSource ratelimit.Rate
	// UserCodesPerSource bounds user codes looked up or decided per
	// source address: eight letters of twenty are too many to guess
	// within a device code's ten minutes at this rate.
	UserCodesPerSource ratelimit.Rate
	// MaxKeys bounds the keys each limit tracks.
	MaxKeys int
}

// DefaultLimits: 5 attempts per user then one every 12 s; 20 per source
// then one every 6 s; 10 user codes per source then one every 6 s.
var DefaultLimits = Limits{
	SignInPerUser:      ratelimit.Rate{PerSecond: 1.0 / 12, Burst: 5},
	SignInPerSource:    ratelimit.Rate{PerSecond: 1.0 / 6, Burst: 20},
	UserCodesPerSource: ratelimit.Rate{PerSecond: 1.0 / 6, Burst: 10},
	MaxKeys:            65536,
}

// limiters are the pages' token buckets: per account and user, per
// source, and user codes per source.
type limiters struct {
	users, sources, codes *ratelimit.Buckets
}

// newLimiters builds the buckets of l, DefaultLimits' for its zero
// fields.
func newLimiters(l Limits) limiters {
	d := DefaultLimits
	if l.SignInPerUser.PerSecond == 0 && l.SignInPerUser.Burst == 0 {
		l.SignInPerUser = d.SignInPerUser
	}
	if l.SignInPerSource.PerSecond == 0 && l.SignInPerSource.Burst == 0 {
		l.SignInPerSource = d.SignInPerSource
	}
	if l.UserCodesPerSource.PerSecond == 0 && l.UserCodesPerSource.Burst == 0 {
		l.UserCodesPerSource = d.UserCodesPerSource
	}
	if l.MaxKeys <= 0 {
		l.MaxKeys = d.MaxKeys
	}
	return limiters{users: ratelimit.NewBuckets(l.SignInPerUser, l.MaxKeys),
		sources: ratelimit.NewBuckets(l.SignInPerSource, l.MaxKeys), codes: ratelimit.NewBuckets(l.UserCodesPerSource, l.MaxKeys)}
}

// source takes a sign-in attempt from the source's budget: false when
// it is spent.
func (l limiters) source(r *http.Request, now time.Time) bool {
	ok, _ := l.sources.Take(sourceKey(r), now)
	return ok
}

// user takes a sign-in attempt from the budget of the user name in the
// account (its id once resolved, so that the id and the alias share one
// budget): false when it is spent.
func (l limiters) user(account, user string, now time.Time) bool {
	ok, _ := l.users.Take(strings.ToLower(strings.TrimSpace(account))+"\x00"+iam.NameKey(user), now)
	return ok
}

// userCode takes a user-code entry from the source's budget.
func (l limiters) userCode(r *http.Request, now time.Time) bool {
	ok, _ := l.codes.Take(sourceKey(r), now)
	return ok
}

// sourceKey is the budget key of the request's source address
// (ratelimit.SourceKey: an IPv6 address counts by its /64).
func sourceKey(r *http.Request) string { return ratelimit.SourceKey(request.SourceIP(r)) }
