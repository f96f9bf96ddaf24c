package identitypool

// The pools' OpenID tokens (GetOpenIdToken's and
// GetOpenIdTokenForDeveloperIdentity's): JWTs the pool token issuer signs
// with RS256, which AssumeRoleWithWebIdentity accepts as the federated
// principal cognito-identity.amazonaws.com (the basic flow) and a pool
// accepts back as a developer login.

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/federation/issuer"
	"github.com/brevet-dev/brevet/internal/federation/oidc"
	"github.com/brevet-dev/brevet/internal/sts"
)

// MinTokenDuration is the shortest pool token signed (MaxTokenDuration,
// model.go, the longest).
const MinTokenDuration = time.Second

// The pool token's claims beyond the registered ones.
const (
	claimAMR  = "amr"
	claimTags = issuer.ClaimTags // {"principal_tags": {k: [v]}}
	// claimAccount is the pool's account (Brevet's own claim, AWS's
	// tokens have none): STS holds a role of another account to AWS's
	// cross-account rules for the basic flow.
	claimAccount = "brevet:account"
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

// errNoIssuer: the node has no pool token issuer (a configuration fault).
var errNoIssuer = errors.New("identitypool: no pool token issuer is configured")

// MintPoolToken signs a token for p valid for d from now: iss the
// issuer's URL, sub the identity, aud the pool, amr, the principal tags
// under https://aws.amazon.com/tags when any, the pool's account
// (claimAccount), iat and exp. d is 1s to
// 24h.
func (t *Tokens) MintPoolToken(p *sts.PoolToken, d time.Duration, now time.Time) (string, error) {
	i := t.current()
	if i == nil {
		return "", errNoIssuer
	}
	if d < MinTokenDuration || d > MaxTokenDuration {
		return "", fmt.Errorf("identitypool: pool token duration %s out of 1s..24h", d)
	}
	if p.Account == "" || p.PoolID == "" || p.IdentityID == "" || len(p.AMR) == 0 {
		return "", errors.New("identitypool: a pool token needs an account, a pool, an identity and amr")
	}
	claims := map[string]any{claimAMR: p.AMR, claimAccount: p.Account}
	if len(p.Tags) > 0 {
		tags := make(map[string][]string, len(p.Tags))
		for _, tg := range p.Tags {
			tags[tg.Key] = []string{tg.Value}
		}
		claims[claimTags] = map[string]any{"principal_tags": tags}
	}
	tok, err := i.MintClaims(p.IdentityID, []string{p.PoolID}, d, claims, issuer.RS256, now)
	if err != nil {
		return "", err
	}
	return tok.Raw, nil
}

// VerifyPoolToken verifies a pool token's signature (with the keys the
// issuer publishes), iss and expiry, and reads its claims. Refusals are
// *oidc.Error values (Expired for exp, InvalidToken otherwise, their
// messages free of the token), as a web identity token's are.
func (t *Tokens) VerifyPoolToken(raw string, now time.Time) (*sts.PoolToken, error) {
	i := t.current()
	if i == nil {
		return nil, &oidc.Error{Kind: oidc.InvalidToken, Message: "Identity pool tokens are not accepted here", Err: errNoIssuer}
	}
	claims, err := i.Verify(raw, now)
	if err != nil {
		kind := oidc.InvalidToken
		if ie, ok := errors.AsType[*issuer.Error](err); ok && ie.Kind == issuer.Expired {
			kind = oidc.Expired
		}
		msg := err.Error()
		if ie, ok := errors.AsType[*issuer.Error](err); ok {
			msg = ie.Message
		}
		return nil, &oidc.Error{Kind: kind, Message: msg, Err: err}
	}
	bad := func(what string) error {
		return &oidc.Error{Kind: oidc.InvalidToken, Message: "Not a valid identity pool token: " + what}
	}
	p := &sts.PoolToken{}
	if p.IdentityID, _ = claims["sub"].(string); p.IdentityID == "" {
		return nil, bad("no sub")
	}
	switch aud := claims["aud"].(type) {
	case string:
		p.PoolID = aud
	case []any:
		if len(aud) == 1 {
			p.PoolID, _ = aud[0].(string)
		}
	}
	if p.PoolID == "" {
		return nil, bad("aud must name one pool")
	}
	if p.Account, _ = claims[claimAccount].(string); p.Account == "" {
		return nil, bad("no account")
	}
	if p.AMR, err = poolTokenStrings(claims[claimAMR]); err != nil || len(p.AMR) == 0 {
		return nil, bad("amr must be a list of strings")
	}
	if p.Tags, err = tokenTags(claims[claimTags]); err != nil {
		return nil, bad("principal tags are not in the form AWS defines")
	}
	exp, _ := claims["exp"].(float64)
	p.Expires = time.Unix(int64(exp), 0).UTC()
	return p, nil
}

func poolTokenStrings(v any) ([]string, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, errors.New("not a list")
	}
	out := make([]string, 0, len(l))
	for _, e := range l {
		s, ok := e.(string)
		if !ok {
			return nil, errors.New("not a string")
		}
		out = append(out, s)
	}
	return out, nil
}

// tokenTags reads {"principal_tags": {k: [v]}}, sorted by key.
func tokenTags(v any) ([]credential.Tag, error) {
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not an object")
	}
	pt, ok := m["principal_tags"].(map[string]any)
	if !ok {
		return nil, errors.New("no principal_tags")
	}
	out := make([]credential.Tag, 0, len(pt))
	for k, vs := range pt {
		l, err := poolTokenStrings(vs)
		if err != nil || len(l) != 1 || k == "" {
			return nil, errors.New("a tag is not one string")
		}
		out = append(out, credential.Tag{Key: k, Value: l[0]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return slices.Clip(out), nil
}
