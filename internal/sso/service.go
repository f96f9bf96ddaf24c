package sso

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/ratelimit"
	"github.com/brevet-dev/brevet/internal/store"
)

// Lifetimes and limits of the OIDC flow.
const (
	// DeviceCodeLifetime is how long a device authorization waits for the
	// person to approve it.
	DeviceCodeLifetime = 10 * time.Minute
	// PollInterval is the device grant's polling interval; polling faster
	// is answered with SlowDownException.
	PollInterval = 5 * time.Second
	// CodeLifetime is how long an authorization code may be redeemed.
	CodeLifetime = 5 * time.Minute
	// ClientLifetime is how long a client registration (its secret) is
	// valid, as on AWS.
	ClientLifetime = 90 * 24 * time.Hour
	// DefaultSessionDuration and MaxSessionDuration bound a sign-in
	// session; DefaultAccessTokenDuration (also the maximum) an access
	// token.
	DefaultSessionDuration     = 8 * time.Hour
	MaxSessionDuration         = 7 * 24 * time.Hour
	DefaultAccessTokenDuration = time.Hour
)

// Config configures a Service.
type Config struct {
	// Objects holds device authorizations, authorization codes and
	// sessions, in account InstanceAccount.
	Objects         store.Objects
	InstanceAccount string
	// Sealer and Opener are the master keyring: every client secret,
	// code and token is sealed under it, each for a purpose of its own.
	Sealer credential.Sealer
	Opener credential.Opener
	// Users re-checks IAM identities at refresh and at a session's first
	// use on a node.
	Users UserChecker
	// URL is the base URL of the sign-in pages (the verification URI hangs
	// off it); StartURLs the sso_start_url values clients may name
	// (default URL + "/start"). The node sets both with SetURL when the
	// configuration names no URL and its listener is bound.
	URL       string
	StartURLs []string
	// SessionDuration is a sign-in session's length (default 8h, at most
	// 7 days); AccessTokenDuration an access token's (default and at most
	// 1h).
	SessionDuration, AccessTokenDuration time.Duration
	// Rand is the randomness for ids and codes; crypto/rand when nil.
	Rand io.Reader
	// Limits are the rate budgets; zero fields take the defaults.
	Limits Limits
}

// Limits are the OIDC API's rate budgets, kept in each node's memory.
type Limits struct {
	// PerSource bounds RegisterClient and StartDeviceAuthorization per
	// source address: default 1/s, burst 20.
	PerSource ratelimit.Rate
	// FailuresPerClient bounds CreateToken failures (a wrong secret, a
	// bad code or token) per client and, separately, per source address:
	// default 1/s, burst 20.
	FailuresPerClient ratelimit.Rate
}

// UserChecker re-reads an IAM identity at refresh and at the first use of
// a session on a node: ok=false when the user is gone, was re-created
// (other id) or has no login profile ("disabled"). fresh carries the
// current group ids.
type UserChecker interface {
	Check(ctx context.Context, id Identity) (fresh Identity, ok bool, err error)
}

// Service is the SSO OIDC API and the sign-in sessions behind its tokens.
// It is safe for concurrent use.
type Service struct {
	cfg   Config
	urls  atomic.Pointer[urls]
	cache *sessionCache

	perSource, failures, polls *ratelimit.Buckets
}

// urls are the URLs the service hands out and accepts.
type urls struct {
	base  string
	start []string
}

// New checks cfg and returns the service.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Objects == nil || cfg.InstanceAccount == "":
		return nil, errors.New("sso: Objects and InstanceAccount are required")
	case cfg.Sealer == nil || cfg.Opener == nil:
		return nil, errors.New("sso: Sealer and Opener are required")
	case cfg.Users == nil:
		return nil, errors.New("sso: Users is required")
	case cfg.SessionDuration < 0 || cfg.SessionDuration > MaxSessionDuration:
		return nil, errors.New("sso: SessionDuration must be at most 7 days")
	case cfg.AccessTokenDuration < 0 || cfg.AccessTokenDuration > DefaultAccessTokenDuration:
		return nil, errors.New("sso: AccessTokenDuration must be at most 1h")
	}
	if cfg.SessionDuration == 0 {
		cfg.SessionDuration = DefaultSessionDuration
	}
	if cfg.AccessTokenDuration == 0 {
		cfg.AccessTokenDuration = DefaultAccessTokenDuration
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Limits.PerSource == (ratelimit.Rate{}) {
		cfg.Limits.PerSource = ratelimit.Rate{PerSecond: 1, Burst: 20}
	}
	if cfg.Limits.FailuresPerClient == (ratelimit.Rate{}) {
		cfg.Limits.FailuresPerClient = ratelimit.Rate{PerSecond: 1, Burst: 20}
	}
	s := &Service{
		cfg:       cfg,
		cache:     newSessionCache(maxCachedSessions),
		polls:     ratelimit.NewBuckets(pollRate, maxPolls),
		perSource: ratelimit.NewBuckets(cfg.Limits.PerSource, 1<<16),
		failures:  ratelimit.NewBuckets(cfg.Limits.FailuresPerClient, 1<<16),
	}
	s.SetURL(cfg.URL, cfg.StartURLs)
	return s, nil
}

// SetURL sets the sign-in pages' base URL and the accepted start URLs
// (URL + "/start" when none): the node calls it once its listener is
// bound when the configuration names no URL. Until a URL is set, device
// authorizations are refused.
func (s *Service) SetURL(url string, startURLs []string) {
	url = strings.TrimSuffix(url, "/")
	u := &urls{base: url}
	for _, su := range startURLs {
		u.start = append(u.start, strings.TrimSuffix(su, "/"))
	}
	if len(u.start) == 0 && url != "" {
		u.start = []string{url + "/start"}
	}
	s.urls.Store(u)
}

// URL is the sign-in pages' base URL ("" until set).
func (s *Service) URL() string { return s.urls.Load().base }

// startURL reports whether u is one of the accepted start URLs (a
// trailing slash aside).
func (s *Service) startURL(u string) bool {
	u = strings.TrimSuffix(u, "/")
	for _, su := range s.urls.Load().start {
		if u == su {
			return true
		}
	}
	return false
}
