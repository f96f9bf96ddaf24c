package identitypool

// Owned by the helper "sts-pool": the pools' OpenID tokens. Stubs until
// it lands.

import (
	"time"

	"github.com/brevet-dev/brevet/internal/federation/issuer"
	"github.com/brevet-dev/brevet/internal/sts"
)

// Tokens signs and verifies the pools' OpenID tokens with the issuer
// current() returns (its URL is the tokens' iss; nil: none can be
// signed). It implements TokenSigner and sts.PoolTokens.
type Tokens struct {
	current func() *issuer.Issuer
}

// NewTokens returns the pools' token signer.
func NewTokens(current func() *issuer.Issuer) *Tokens { return &Tokens{current: current} }

// Issuer is the tokens' iss.
func (t *Tokens) Issuer() string {
	if i := t.current(); i != nil {
		return i.URL()
	}
	return ""
}

// MintPoolToken signs a token for p valid for d from now.
func (t *Tokens) MintPoolToken(p *sts.PoolToken, d time.Duration, now time.Time) (string, error) {
	return "", errTODO
}

// VerifyPoolToken verifies a pool token's signature, iss and expiry.
func (t *Tokens) VerifyPoolToken(raw string, now time.Time) (*sts.PoolToken, error) {
	return nil, errTODO
}
