package identitypool

import (
	"time"

	"github.com/brevet-dev/brevet/internal/ratelimit"
)

// guestKeys bounds how many (pool, source) buckets the guest limit keeps:
// a flood of distinct sources costs fixed memory (ratelimit.Buckets drops
// the least recently used).
const guestKeys = 65536

// guestLimit bounds how fast guest identities are created per pool and
// source address (an IPv6 source by its /64): each guest GetId makes a
// new identity, so without it one client could fill the store.
//
// The source is the connection's peer (request.SourceIP): a client's
// X-Forwarded-For is not believed, so it cannot pick its bucket (behind
// a proxy every client shares the proxy's). The pool is the stored
// pool's id, not the request's spelling of it. A /64 is one bucket
// because one host commonly holds a whole /64; a client with a larger
// prefix (a /48 is 65,536 /64s) gets a burst per /64, and the LRU bound
// (guestKeys) caps the memory, not that.
type guestLimit struct {
	buckets *ratelimit.Buckets // nil: no bound
}

func (g *guestLimit) init(perSecond float64, burst int) {
	g.buckets = ratelimit.NewBuckets(ratelimit.Rate{PerSecond: perSecond, Burst: burst}, guestKeys)
}

// take spends one guest creation of pool from source at now; a
// TooManyRequestsException when its bucket is empty.
func (g *guestLimit) take(pool, source string, now time.Time) error {
	if ok, wait := g.buckets.Take(pool+" "+ratelimit.SourceKey(source), now); !ok {
		return &Error{Code: CodeTooManyRequests, Message: "Too many unauthenticated identities were created from this address; try again later.",
			Reason: "guest rate of the pool exceeded for the source; retry after " + wait.Round(time.Millisecond).String()}
	}
	return nil
}
