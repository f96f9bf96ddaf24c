package sso

import (
	"time"

	"github.com/brevet-dev/brevet/internal/ratelimit"
)

// limitSource takes a token from source's RegisterClient and
// StartDeviceAuthorization budget; SlowDownException when it is empty.
// Sources are counted as ratelimit.SourceKey says (an IPv6 address by
// its /64).
func (s *Service) limitSource(source string, now time.Time) error {
	if ok, _ := s.perSource.Take("src:"+ratelimit.SourceKey(source), now); !ok {
		return oauthErr(SlowDown, "Too many requests; slow down", "per-source budget")
	}
	return nil
}

// failureKeys are the budgets a CreateToken failure is counted against:
// the client's (when its id opened) and the source address's.
func failureKeys(clientKey, source string) []string {
	keys := []string{"src:" + ratelimit.SourceKey(source)}
	if clientKey != "" {
		keys = append(keys, "client:"+clientKey)
	}
	return keys
}

// overFailures refuses a CreateToken whose client or source has failed
// too often, before any work.
func (s *Service) overFailures(keys []string, now time.Time) error {
	for _, k := range keys {
		if over, _ := s.failures.Over(k, now); over {
			return oauthErr(SlowDown, "Too many failed requests; slow down", "failure budget of "+k[:3])
		}
	}
	return nil
}

// countFailure takes a token from each budget when err is a failure a
// guesser learns from (a bad client, grant or code), not the device
// grant's normal answers (pending, slow down).
func (s *Service) countFailure(keys []string, err error, now time.Time) {
	switch errorCodeOf(err) {
	case InvalidClient, InvalidGrant, InvalidRequest, ExpiredToken, UnauthorizedClient, InvalidScope:
		for _, k := range keys {
			s.failures.Take(k, now)
		}
	}
}

// maxPolls bounds the device authorizations whose polling a node
// remembers; past it the least recently polled is forgotten (its next
// poll finds a full bucket).
const maxPolls = 1 << 16

// pollRate is each device authorization's polling budget, kept per node
// to answer SlowDownException to a client polling faster than the
// interval: a bucket of two polls that refills one per interval, less a
// tenth of slack for clock and scheduling jitter. The AWS CLI polls twice
// at once before its first sleep (once before it shows the code, once
// entering its loop), which is not polling too fast.
var pollRate = ratelimit.Rate{PerSecond: 1 / (PollInterval - PollInterval/10).Seconds(), Burst: 2}

// tooFast records a poll of the device authorization of nonce n at now
// and reports whether it came sooner than its bucket allows.
func (s *Service) tooFast(n string, now time.Time) bool {
	ok, _ := s.polls.Take(n, now)
	return !ok
}
