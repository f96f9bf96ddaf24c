// Package issuer makes Brevet an OpenID Connect issuer: it keeps rotating
// signing keys, serves the discovery document and JWKS, and mints the JWTs
// that GetWebIdentityToken returns, so that external services (or another
// Brevet, through package oidc) can verify a Brevet principal's identity.
//
// It owns keys and token contents; it does not decide who may mint what
// (the policy engine, through sts:GetWebIdentityToken and its condition
// keys), persist keys (the caller stores MarshalKeys' output encrypted
// under the master key), or choose when to rotate (the caller calls Rotate
// and Prune on its schedule).
package issuer

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Token lifetimes GetWebIdentityToken allows.
const (
	MinDuration     = 60 * time.Second
	MaxDuration     = 3600 * time.Second
	DefaultDuration = 300 * time.Second
	// MaxAudiences and MaxAudienceLength are the API's limits.
	MaxAudiences      = 10
	MaxAudienceLength = 1000
	// MaxPayloadBytes bounds a token's claims (tags make them grow).
	MaxPayloadBytes = 16 << 10
	// MaxClaimsDuration bounds MintClaims' tokens (the identity pools'
	// developer tokens last up to a day).
	MaxClaimsDuration = 24 * time.Hour
	// maxTokenLife is the longest life of any token the keys sign: a
	// retired key stays published that long (plus publishGrace), so
	// MintClaims' day-long tokens keep verifying after a rotation.
	maxTokenLife = max(MaxDuration, MaxClaimsDuration)
	// publishGrace keeps a retired key published a little past the last
	// expiry of its tokens, for verifiers' clock skew.
	publishGrace = 5 * time.Minute
	// ClaimNamespace is the claim under which AWS nests its own claims.
	ClaimNamespace = "https://sts.amazonaws.com/"
	// ClaimTags and ClaimSourceIdentity are the claims AWS STS reads
	// session tags and a source identity from in AssumeRoleWithWebIdentity
	// (an identity provider's claims, not AWS's own namespace): Brevet
	// writes them when it calls an upstream's AssumeRoleWithWebIdentity
	// as a broker (package broker).
	ClaimTags           = "https://aws.amazon.com/tags"
	ClaimSourceIdentity = "https://aws.amazon.com/source_identity"
)

// Config describes the issuer.
type Config struct {
	// URL is the issuer identifier, an https URL without a trailing
	// slash; tokens carry it as iss and the discovery document is served
	// under URL + "/.well-known/openid-configuration".
	URL string
	// Now is the clock the HTTP handlers use to decide which keys to
	// publish; nil means time.Now.
	Now func() time.Time
}

// Issuer signs tokens with its active keys. It is safe for concurrent use.
type Issuer struct {
	url string
	now func() time.Time

	mu   sync.RWMutex
	keys []*Key
}

// New returns an issuer for cfg with keys (typically UnmarshalKeys' result;
// it may be empty, and Rotate adds keys).
func New(cfg Config, keys []*Key) (*Issuer, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(cfg.URL, "/") {
		return nil, fmt.Errorf("issuer: URL %q must be https://host[/path] without a trailing slash", cfg.URL)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Issuer{url: cfg.URL, now: now, keys: slices.Clone(keys)}, nil
}

// URL returns the issuer identifier.
func (i *Issuer) URL() string { return i.url }

// Keys returns all keys, active and retired, for persistence.
func (i *Issuer) Keys() []*Key {
	i.mu.RLock()
	defer i.mu.RUnlock()
	return slices.Clone(i.keys)
}

// Rotate makes a new active key for alg and retires the previous one,
// which stays published until the tokens it signed have expired.
func (i *Issuer) Rotate(alg string, now time.Time) (*Key, error) {
	k, err := GenerateKey(alg, now)
	if err != nil {
		return nil, err
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	for j, old := range i.keys {
		if old.Algorithm == alg && old.Retired.IsZero() {
			// Keys handed out by Keys are never mutated: retire a copy.
			retired := *old
			retired.Retired = now
			i.keys[j] = &retired
		}
	}
	i.keys = append(i.keys, k)
	return k, nil
}

// Prune drops retired keys that can no longer verify an unexpired token,
// and reports whether any was dropped (the caller then persists Keys).
func (i *Issuer) Prune(now time.Time) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	n := len(i.keys)
	i.keys = slices.DeleteFunc(i.keys, func(k *Key) bool { return !published(k, now) })
	return len(i.keys) != n
}

// published reports whether k belongs in the JWKS at now: active, or
// retired recently enough that a token it signed may be unexpired.
func published(k *Key, now time.Time) bool {
	return k.Retired.IsZero() || now.Before(k.Retired.Add(maxTokenLife+publishGrace))
}

// active returns the newest unretired key for alg.
func (i *Issuer) active(alg string) *Key {
	i.mu.RLock()
	defer i.mu.RUnlock()
	var best *Key
	for _, k := range i.keys {
		if k.Algorithm == alg && k.Retired.IsZero() && (best == nil || k.Created.After(best.Created)) {
			best = k
		}
	}
	return best
}

// JWKS returns the public keys published at now.
func (i *Issuer) JWKS(now time.Time) jose.JSONWebKeySet {
	i.mu.RLock()
	defer i.mu.RUnlock()
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, k := range i.keys {
		if published(k, now) {
			set.Keys = append(set.Keys, k.Public())
		}
	}
	return set
}

// MintInput is what a token says, GetWebIdentityToken's request plus the
// caller's identity.
type MintInput struct {
	// Account is the caller's account id.
	Account string
	// Subject is the principal ARN: the role ARN for a role session (as
	// AWS does), the user ARN for a user.
	Subject string
	// Audience becomes aud (1 to 10 values).
	Audience []string
	// Duration is the lifetime; zero means DefaultDuration.
	Duration time.Duration
	// Algorithm is RS256 or ES384.
	Algorithm string
	// PrincipalTags are the caller's tags; RequestTags the request's
	// Tags.
	PrincipalTags, RequestTags map[string]string
	// SourceIdentity is the session's source identity, if any.
	SourceIdentity string
	// SourceRegion is the region the request was served in, if any.
	SourceRegion string
	// SessionExpiry, when set, is when the caller's session ends: a token
	// may not outlive it.
	SessionExpiry time.Time
	// SessionTags and TransitiveTagKeys, when set, become the
	// ClaimTags claim, the session tags an AWS STS that trusts Brevet
	// gives the session it makes from the token: {"principal_tags":
	// {k: [v]}, "transitive_tag_keys": [...]}.
	SessionTags       map[string]string
	TransitiveTagKeys []string
	// AWSSourceIdentity, when set, becomes the ClaimSourceIdentity claim,
	// the source identity such an STS sets on the session (it needs
	// sts:SetSourceIdentity in the upstream role's trust policy).
	AWSSourceIdentity string
}

// Token is a minted token.
type Token struct {
	Raw        string
	Expiration time.Time
	KeyID      string
	ID         string
}

// awsClaims are the claims nested under ClaimNamespace.
type awsClaims struct {
	Account        string            `json:"aws_account"`
	SourceRegion   string            `json:"source_region,omitempty"`
	PrincipalTags  map[string]string `json:"principal_tags,omitempty"`
	RequestTags    map[string]string `json:"request_tags,omitempty"`
	SourceIdentity string            `json:"source_identity,omitempty"`
}

// tagsClaim is the ClaimTags claim as AWS reads it: each value a
// one-element list.
type tagsClaim struct {
	PrincipalTags     map[string][]string `json:"principal_tags"`
	TransitiveTagKeys []string            `json:"transitive_tag_keys,omitempty"`
}

// idpClaims returns the identity-provider claims AWS STS reads from a web
// identity token (session tags and source identity) for in.
func idpClaims(in MintInput) map[string]any {
	out := map[string]any{}
	if len(in.SessionTags) > 0 || len(in.TransitiveTagKeys) > 0 {
		t := tagsClaim{PrincipalTags: make(map[string][]string, len(in.SessionTags)), TransitiveTagKeys: in.TransitiveTagKeys}
		for k, v := range in.SessionTags {
			t.PrincipalTags[k] = []string{v}
		}
		out[ClaimTags] = t
	}
	if in.AWSSourceIdentity != "" {
		out[ClaimSourceIdentity] = in.AWSSourceIdentity
	}
	return out
}

// Mint signs a token for in at now.
func (i *Issuer) Mint(in MintInput, now time.Time) (*Token, error) {
	d, err := checkInput(in, now)
	if err != nil {
		return nil, err
	}
	ns := idpClaims(in)
	ns[ClaimNamespace] = awsClaims{
		Account: in.Account, SourceRegion: in.SourceRegion, PrincipalTags: in.PrincipalTags,
		RequestTags: in.RequestTags, SourceIdentity: in.SourceIdentity,
	}
	return i.sign(in.Algorithm, in.Subject, in.Audience, now, d, ns)
}

// registeredClaims are the claims sign writes itself; MintClaims refuses
// them among its custom claims.
var registeredClaims = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti"}

// MintClaims signs a token with alg for sub and aud, valid for d from
// now, carrying claims beside the registered ones (iss, sub, aud, iat,
// exp, jti), which claims may not name. Unlike Mint it applies no
// GetWebIdentityToken limits to d, only MaxClaimsDuration: the caller has
// its own.
func (i *Issuer) MintClaims(sub string, aud []string, d time.Duration, claims map[string]any, alg string, now time.Time) (*Token, error) {
	if sub == "" || d <= 0 || d > MaxClaimsDuration {
		return nil, errors.New("issuer: MintClaims needs a subject and a duration of at most a day")
	}
	if !slices.Contains(Algorithms, alg) {
		return nil, &Error{Kind: InvalidInput, Message: "SigningAlgorithm must be RS256 or ES384"}
	}
	if len(aud) < 1 || len(aud) > MaxAudiences || slices.ContainsFunc(aud, func(a string) bool { return a == "" || len(a) > MaxAudienceLength }) {
		return nil, &Error{Kind: InvalidInput, Message: fmt.Sprintf("Audience must have between 1 and %d values of 1 to %d characters", MaxAudiences, MaxAudienceLength)}
	}
	for _, k := range registeredClaims {
		if _, ok := claims[k]; ok {
			return nil, fmt.Errorf("issuer: MintClaims: claim %q is the issuer's to set", k)
		}
	}
	if claims == nil {
		claims = map[string]any{}
	}
	return i.sign(alg, sub, aud, now, d, claims)
}

// sign signs the registered claims (iss, sub, aud, iat, exp = now + d,
// a random jti) with ns merged in, with the active key for alg.
func (i *Issuer) sign(alg, sub string, aud []string, now time.Time, d time.Duration, ns map[string]any) (*Token, error) {
	key := i.active(alg)
	if key == nil {
		return nil, &Error{Kind: NoKey, Message: "no active signing key for " + alg}
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(key.Algorithm), Key: key.signer},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), key.ID))
	if err != nil {
		return nil, err
	}
	var jti [16]byte
	rand.Read(jti[:])
	exp := now.Add(d).Truncate(time.Second)
	std := jwt.Claims{
		Issuer:   i.url,
		Subject:  sub,
		Audience: jwt.Audience(aud),
		IssuedAt: jwt.NewNumericDate(now),
		Expiry:   jwt.NewNumericDate(exp),
		ID:       hex.EncodeToString(jti[:]),
	}
	payload, err := marshalClaims(std, ns)
	if err != nil {
		return nil, err
	}
	if len(payload) > MaxPayloadBytes {
		return nil, &Error{Kind: PayloadTooLarge, Message: fmt.Sprintf("The token payload is %d bytes, more than the %d allowed", len(payload), MaxPayloadBytes)}
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return nil, err
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		return nil, err
	}
	return &Token{Raw: raw, Expiration: exp, KeyID: key.ID, ID: std.ID}, nil
}

// marshalClaims merges the registered claims and the namespaced ones into
// one JSON object.
func marshalClaims(std jwt.Claims, ns map[string]any) ([]byte, error) {
	a, err := json.Marshal(std)
	if err != nil {
		return nil, err
	}
	if len(ns) == 0 {
		return a, nil
	}
	b, err := json.Marshal(ns)
	if err != nil {
		return nil, err
	}
	out := append(a[:len(a)-1:len(a)-1], ',')
	return append(out, b[1:]...), nil
}

func checkInput(in MintInput, now time.Time) (time.Duration, error) {
	bad := func(msg string) error { return &Error{Kind: InvalidInput, Message: msg} }
	if in.Subject == "" || in.Account == "" {
		return 0, errors.New("issuer: MintInput needs Subject and Account")
	}
	if !slices.Contains(Algorithms, in.Algorithm) {
		return 0, bad("SigningAlgorithm must be RS256 or ES384")
	}
	if len(in.Audience) < 1 || len(in.Audience) > MaxAudiences {
		return 0, bad(fmt.Sprintf("Audience must have between 1 and %d values", MaxAudiences))
	}
	for _, a := range in.Audience {
		if a == "" || len(a) > MaxAudienceLength {
			return 0, bad(fmt.Sprintf("Each Audience value must be 1 to %d characters", MaxAudienceLength))
		}
	}
	for _, k := range in.TransitiveTagKeys {
		if _, ok := in.SessionTags[k]; !ok {
			return 0, bad("Transitive tag key " + k + " is not a session tag")
		}
	}
	d := in.Duration
	if d == 0 {
		d = DefaultDuration
	}
	if d < MinDuration || d > MaxDuration {
		return 0, bad("DurationSeconds must be between 60 and 3600")
	}
	if !in.SessionExpiry.IsZero() && now.Add(d).After(in.SessionExpiry) {
		return 0, &Error{Kind: SessionDurationEscalation,
			Message: "The requested token duration would extend the session beyond its original expiration time"}
	}
	return d, nil
}
