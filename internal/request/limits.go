package request

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// Limiter is the pipeline's rate-limiting step (package ratelimit
// implements it). The Pipeline asks it twice: Admit before anything else,
// before the signature is verified, so that a source over its failure
// budget costs next to nothing; Authenticated once the caller is
// authenticated and its principal checked. Between them, Failed sees an
// authentication failure and may replace it. A refusal is a
// *ThrottledError. Which requests count as failures is the Limiter's
// business (it usually also observes the finished records).
type Limiter interface {
	// Admit runs before the request is routed or authenticated. It may set
	// x.KeyID, the access key id the request presents.
	Admit(ctx context.Context, x *Exchange) error
	// Failed is told that authentication failed with err, and returns the
	// error to answer: err, or a *ThrottledError.
	Failed(ctx context.Context, x *Exchange, err error) error
	// Authenticated runs once the caller is authenticated.
	Authenticated(ctx context.Context, x *Exchange) error
}

// ThrottledError refuses a request over one of the Limiter's budgets.
// Codecs answer it with their protocol's throttling error (the Query
// protocol's Throttling, HTTP 400, "Rate exceeded") and a Retry-After
// header.
type ThrottledError struct {
	// Budget names the budget that was exceeded ("failures_per_source").
	Budget string
	// RetryAfter is how long until the budget admits a request again.
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return "request: rate exceeded (budget " + e.Budget + ")"
}

// ErrWrongSecret marks an authenticated request refused because a secret
// in its parameters was wrong, such as ChangePassword's old password: an
// action's error wraps it (errors.Is) whatever its wire status. The
// Limiter counts such a request against its source's failure budget as it
// does an AccessDenied, so that the action is no cheaper an oracle for
// guessing the secret than authentication is.
var ErrWrongSecret = errors.New("request: wrong secret")

// PendingError is implemented by errors that are a step of a protocol's
// normal exchange rather than a client's failure: OAuth's
// authorization_pending, which a device polling for a sign-in not yet
// made is answered until the person approves. They are answered as
// errors but count against no failure budget, so that people polling
// from behind one address do not lock it out.
type PendingError interface {
	error
	Pending() bool
}

// RetryAfterSeconds is d as the value of a Retry-After header: whole
// seconds, rounded up, at least 1.
func RetryAfterSeconds(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(max(s, 1), 10)
}
