package sso

import (
	"sync"
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

// maxPolls bounds the polling memory; entries older than a device code
// are dropped when it fills.
const maxPolls = 1 << 16

// polls remembers how each device authorization has been polled on this
// node, to answer SlowDownException to a client polling faster than the
// interval. Each has a bucket of two polls that refills one per
// interval: the AWS CLI polls twice at once before its first sleep (once
// before it shows the code, once entering its loop), which is not
// polling too fast.
type polls struct {
	mu   sync.Mutex
	last map[string]poll
}

// poll is one device authorization's bucket: its fill at the last poll.
type poll struct {
	at     time.Time
	tokens float64
}

// pollBurst is the bucket's size.
const pollBurst = 2

func newPolls() *polls { return &polls{last: make(map[string]poll)} }

// tooFast records a poll of device authorization n at now and reports
// whether it came sooner than the bucket allows. A little slack on the
// interval absorbs clock and scheduling jitter.
func (p *polls) tooFast(n string, now time.Time) bool {
	const refill = PollInterval - PollInterval/10
	p.mu.Lock()
	defer p.mu.Unlock()
	prev, seen := p.last[n]
	if !seen {
		if len(p.last) >= maxPolls {
			p.pruneLocked(now)
		}
		prev = poll{at: now, tokens: pollBurst}
	}
	tokens := min(pollBurst, prev.tokens+float64(now.Sub(prev.at))/float64(refill))
	fast := tokens < 1
	if !fast {
		tokens--
	}
	p.last[n] = poll{at: now, tokens: tokens}
	return fast
}

// forget drops n once its authorization is redeemed or refused.
func (p *polls) forget(n string) {
	p.mu.Lock()
	delete(p.last, n)
	p.mu.Unlock()
}

// prune drops the polls older than a device code's life.
func (p *polls) prune(now time.Time) {
	p.mu.Lock()
	p.pruneLocked(now)
	p.mu.Unlock()
}

func (p *polls) pruneLocked(now time.Time) {
	for k, t := range p.last {
		if now.Sub(t.at) > DeviceCodeLifetime {
			delete(p.last, k)
		}
	}
	if len(p.last) >= maxPolls { // a flood within ten minutes: start over
		clear(p.last)
	}
}
