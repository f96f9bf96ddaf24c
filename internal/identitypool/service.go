package identitypool

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/sts"
)

// Sessions mints the pools' role sessions and verifies their logins; an
// *sts.Service is one.
type Sessions interface {
	PoolSession(ctx context.Context, in *sts.PoolSessionInput) (*sts.ServiceSession, error)
	VerifyOIDCLogin(ctx context.Context, account, provider, token string, now time.Time) (*sts.VerifiedLogin, error)
	VerifySAMLLogin(ctx context.Context, providerARN, response string, now time.Time) (*sts.VerifiedLogin, error)
}

// TokenSigner signs and verifies the pools' OpenID tokens (tokens.go's
// Tokens is one).
type TokenSigner interface {
	sts.PoolTokens
	// MintPoolToken signs a token for t, valid for d from now.
	MintPoolToken(t *sts.PoolToken, d time.Duration, now time.Time) (string, error)
}

// Config configures a Service.
type Config struct {
	// Objects keeps pools and identities; required.
	Objects store.Objects
	// Region is the region of pool and identity ids and ARNs
	// ("us-east-1" when empty).
	Region string
	// Rand is the source of ids; crypto/rand when nil.
	Rand io.Reader
	// Sessions mints credentials and verifies logins; required.
	Sessions Sessions
	// Tokens signs GetOpenIdToken's tokens; required.
	Tokens TokenSigner
	// GuestRate and GuestBurst bound how fast guest identities are
	// created per pool and source address (tokens a second, bucket);
	// GuestRate 0 is no bound.
	GuestRate  float64
	GuestBurst int
}

// Service implements the identity pools.
type Service struct {
	objects  store.Objects
	region   string
	rnd      io.Reader
	sessions Sessions
	tokens   TokenSigner
	cache    poolCache    // cache.go
	logins   loginCache   // logincache.go: verified OIDC and SAML logins
	objs     *objectCache // objcache.go: identities and logins; objects is it
	guests   guestLimit   // guests.go
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Objects == nil || cfg.Sessions == nil || cfg.Tokens == nil {
		return nil, errors.New("identitypool: Objects, Sessions and Tokens are required")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	s := &Service{region: cfg.Region, rnd: cfg.Rand, sessions: cfg.Sessions, tokens: cfg.Tokens}
	s.objs = &objectCache{Objects: cfg.Objects}
	s.objects = s.objs
	s.cache.init()
	s.guests.init(cfg.GuestRate, cfg.GuestBurst)
	return s, nil
}

// PoolARN is the ARN of the pool id in account.
func (s *Service) PoolARN(account, id string) string {
	return "arn:" + iam.Partition + ":cognito-identity:" + s.region + ":" + account + ":identitypool/" + id
}
