package oidc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Defaults for Config's zero fields.
const (
	DefaultLeeway           = 60 * time.Second
	DefaultRefreshInterval  = 30 * time.Second
	DefaultMaxKeyAge        = 24 * time.Hour
	DefaultFetchTimeout     = 10 * time.Second
	DefaultMaxResponseBytes = 1 << 20
	// MaxTokenBytes bounds the token text before any parsing. STS's
	// WebIdentityToken is limited to 20,000 characters; this leaves room.
	MaxTokenBytes = 32 << 10
)

// Config tunes a Verifier; the zero value is usable with defaults except
// for HTTPClient, which discovery needs (inline-JWKS providers need none).
type Config struct {
	// HTTPClient fetches discovery documents and key sets. Inject one
	// with the TLS roots (and proxy) the deployment trusts; tests inject
	// one that trusts a test CA. Its Timeout, if any, also applies.
	HTTPClient *http.Client
	// Leeway is the clock skew allowed on exp, nbf and iat.
	Leeway time.Duration
	// RefreshInterval is the least time between two fetches of a
	// provider's keys, however many unknown key ids arrive.
	RefreshInterval time.Duration
	// MaxKeyAge is how long fetched keys are used before a refresh is
	// attempted on the next token (stale keys stay in use if it fails).
	MaxKeyAge time.Duration
	// FetchTimeout bounds one refresh (discovery and JWKS together).
	FetchTimeout time.Duration
	// MaxResponseBytes bounds each fetched document.
	MaxResponseBytes int64
}

func (c Config) withDefaults() Config {
	if c.Leeway == 0 {
		c.Leeway = DefaultLeeway
	}
	if c.RefreshInterval == 0 {
		c.RefreshInterval = DefaultRefreshInterval
	}
	if c.MaxKeyAge == 0 {
		c.MaxKeyAge = DefaultMaxKeyAge
	}
	if c.FetchTimeout == 0 {
		c.FetchTimeout = DefaultFetchTimeout
	}
	if c.MaxResponseBytes == 0 {
		c.MaxResponseBytes = DefaultMaxResponseBytes
	}
	return c
}

// Verifier verifies web identity tokens of one provider. It is safe for
// concurrent use; build one per provider and keep it while the provider's
// configuration is unchanged, so that its key cache is reused.
type Verifier struct {
	provider Provider
	issuer   string
	key      string
	algs     []jose.SignatureAlgorithm
	cfg      Config
	keys     *keySource
}

// NewVerifier checks p and returns its verifier.
func NewVerifier(p Provider, cfg Config) (*Verifier, error) {
	algs, err := p.validate()
	if err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	v := &Verifier{provider: p, issuer: normalizeIssuer(p.URL), key: p.Key(), algs: algs, cfg: cfg}
	if len(p.JWKS) > 0 {
		v.keys, err = newInlineSource(v.issuer, p.JWKS)
		if err != nil {
			return nil, err
		}
	} else {
		if cfg.HTTPClient == nil {
			return nil, errors.New("oidc: a provider without inline JWKS needs Config.HTTPClient")
		}
		v.keys = &keySource{issuer: v.issuer, client: cfg.HTTPClient, cfg: &v.cfg}
		if len(p.Thumbprints) > 0 {
			v.keys.pinned = pinnedClient(cfg.HTTPClient, p.Thumbprints)
		}
	}
	return v, nil
}

// Provider returns the provider the verifier was built for.
func (v *Verifier) Provider() Provider { return v.provider }

// Fetches reports how many key refreshes the verifier has started.
func (v *Verifier) Fetches() int {
	v.keys.mu.Lock()
	defer v.keys.mu.Unlock()
	return v.keys.fetches
}

// UnverifiedIssuer returns the iss claim of a token without verifying
// anything. AWS finds the provider by the token's issuer; the caller uses
// this to look the provider up, then verifies with that provider's
// Verifier, which checks iss again.
func UnverifiedIssuer(raw string) (string, error) {
	if len(raw) > MaxTokenBytes {
		return "", invalid(msgMalformed, errors.New("token too large"))
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{
		jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512, jose.ES256, jose.ES384, jose.ES512,
	})
	if err != nil {
		return "", invalid(msgMalformed, err)
	}
	var c struct {
		Issuer string `json:"iss"`
	}
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		return "", invalid(msgMalformed, err)
	}
	if c.Issuer == "" {
		return "", missingClaim("iss")
	}
	return c.Issuer, nil
}

// claims are the registered and AWS-relevant claims of a token.
type claims struct {
	jwt.Claims
	AZP  string          `json:"azp"`
	AMR  stringOrList    `json:"amr"`
	Tags json.RawMessage `json:"https://aws.amazon.com/tags"`
	// SourceIdentity stays raw so that a claim of the wrong type is a
	// rejected claim, like session tags in the wrong shape.
	SourceIdentity json.RawMessage `json:"https://aws.amazon.com/source_identity"`
}

// Verify checks raw, a compact JWS, against the provider and returns the
// verified identity. now is the time the request arrived.
//
// Checks, in order: size and syntax; the header's alg is one of the
// provider's asymmetric algorithms (so "none" and HS256 fail before any key
// is touched); a key that fits kid, alg and key type verifies the
// signature; iss equals the provider URL; aud contains a client id, or azp
// is one; sub is present; exp (required), nbf and iat hold within the
// leeway; session tags and the source identity have AWS's shape.
func (v *Verifier) Verify(ctx context.Context, raw string, now time.Time) (*Identity, error) {
	if len(raw) > MaxTokenBytes {
		return nil, invalid(msgMalformed, errors.New("token too large"))
	}
	if err := v.checkAlgorithm(raw); err != nil {
		return nil, err
	}
	jws, err := jose.ParseSignedCompact(raw, v.algs)
	if err != nil {
		return nil, invalid(msgMalformed, err)
	}
	if len(jws.Signatures) != 1 {
		return nil, invalid(msgMalformed, errors.New("want exactly one signature"))
	}
	h := jws.Signatures[0].Protected
	if _, jku := h.ExtraHeaders[jose.HeaderKey("jku")]; h.JSONWebKey != nil || jku {
		// Keys come from the provider's configuration only, never from
		// the token itself.
		return nil, invalid(msgSignature, errors.New("token carries its own key"))
	}
	keys, err := v.keys.lookup(ctx, h.KeyID, jose.SignatureAlgorithm(h.Algorithm), now)
	if err != nil {
		return nil, err
	}
	var payload []byte
	for i := range keys {
		if payload, err = jws.Verify(keys[i].Key); err == nil {
			break
		}
	}
	if err != nil {
		return nil, invalid(msgSignature, err)
	}
	// Signed, so the claims are the provider's; a claim of the wrong
	// type is a malformed token, not a bad signature.
	var c claims
	var all map[string]any
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, invalid(msgMalformed, err)
	}
	if err := json.Unmarshal(payload, &all); err != nil {
		return nil, invalid(msgMalformed, err)
	}
	return v.check(&c, all, now)
}

// checkAlgorithm reads the protected header's alg before anything else, so
// that a token naming "none", an HMAC algorithm or any algorithm the
// provider does not allow is refused with that reason.
func (v *Verifier) checkAlgorithm(raw string) error {
	seg, _, ok := strings.Cut(raw, ".")
	if !ok {
		return invalid(msgMalformed, errors.New("no JWS header"))
	}
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return invalid(msgMalformed, err)
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return invalid(msgMalformed, err)
	}
	if !slices.Contains(v.algs, jose.SignatureAlgorithm(h.Alg)) {
		return invalid(msgAlgorithm, fmt.Errorf("alg %q", h.Alg))
	}
	return nil
}

func (v *Verifier) check(c *claims, all map[string]any, now time.Time) (*Identity, error) {
	if c.Issuer == "" {
		return nil, missingClaim("iss")
	}
	if normalizeIssuer(c.Issuer) != v.issuer {
		return nil, invalid(msgIssuer, fmt.Errorf("iss %q, provider %q", c.Issuer, v.issuer))
	}
	if len(c.Audience) == 0 {
		return nil, missingClaim("aud")
	}
	matched, ok := v.matchAudience(c.Audience, c.AZP)
	if !ok {
		return nil, invalid(msgAudience, fmt.Errorf("aud %q azp %q", []string(c.Audience), c.AZP))
	}
	if c.Subject == "" {
		return nil, missingClaim("sub")
	}
	if c.Expiry == nil {
		return nil, missingClaim("exp")
	}
	exp := c.Expiry.Time()
	if !now.Before(exp.Add(v.cfg.Leeway)) {
		return nil, expired(now, exp)
	}
	var nbf, iat time.Time
	if c.NotBefore != nil {
		nbf = c.NotBefore.Time()
		if now.Add(v.cfg.Leeway).Before(nbf) {
			return nil, invalid(msgNotYetValid, fmt.Errorf("nbf %d, now %d", nbf.Unix(), now.Unix()))
		}
	}
	if c.IssuedAt != nil {
		iat = c.IssuedAt.Time()
		if now.Add(v.cfg.Leeway).Before(iat) {
			return nil, invalid(msgIssuedFuture, fmt.Errorf("iat %d, now %d", iat.Unix(), now.Unix()))
		}
	}
	tags, transitive, err := parseTags(c.Tags)
	if err != nil {
		return nil, err
	}
	source, err := parseSourceIdentity(c.SourceIdentity)
	if err != nil {
		return nil, err
	}
	return &Identity{
		Issuer:            c.Issuer,
		ProviderKey:       v.key,
		Subject:           c.Subject,
		Audience:          slices.Clone([]string(c.Audience)),
		ClientID:          matched,
		AuthorizedParty:   c.AZP,
		AMR:               []string(c.AMR),
		ID:                c.ID,
		IssuedAt:          iat,
		NotBefore:         nbf,
		Expiry:            exp,
		Claims:            all,
		PrincipalTags:     tags,
		TransitiveTagKeys: transitive,
		SourceIdentity:    source,
	}, nil
}

// matchAudience applies AWS's audience rule: the token is for one of the
// provider's client ids if aud contains one; failing that, if azp (the
// party the token was issued to, set when aud names several parties) is
// one. It returns the client id that matched.
func (v *Verifier) matchAudience(aud jwt.Audience, azp string) (string, bool) {
	for _, a := range aud {
		if slices.Contains(v.provider.ClientIDs, a) {
			return a, true
		}
	}
	if azp != "" && slices.Contains(v.provider.ClientIDs, azp) {
		return azp, true
	}
	return "", false
}

// stringOrList is a claim that may be a string or an array of strings.
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}
