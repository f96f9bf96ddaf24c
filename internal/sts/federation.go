package sts

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/federation/issuer"
	"github.com/brevet-dev/brevet/internal/federation/oidc"
	"github.com/brevet-dev/brevet/internal/federation/saml"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/store"
)

// Providers is what federation reads of IAM's identity providers. A
// store.Store's Providers() satisfies it.
type Providers interface {
	Get(ctx context.Context, arn string) (iam.Provider, error)
}

// TokenIssuer mints the JWTs GetWebIdentityToken returns; an
// *issuer.Issuer satisfies it. The server passes a holder whose issuer it
// swaps when the signing keys rotate.
type TokenIssuer interface {
	Mint(in issuer.MintInput, now time.Time) (*issuer.Token, error)
}

// FederationConfig configures AssumeRoleWithWebIdentity,
// AssumeRoleWithSAML and GetWebIdentityToken. Without Providers the first
// two refuse every token; without Issuer the third is disabled
// (OutboundWebIdentityFederationDisabledException), as on AWS until an
// account enables it.
type FederationConfig struct {
	Providers Providers
	// HTTPClient fetches OIDC discovery documents and key sets; it carries
	// the TLS roots the deployment trusts. nil means a client with the
	// system roots and a 10-second timeout.
	HTTPClient *http.Client
	// InlineJWKS maps an issuer URL (no trailing slash) to a key set used
	// instead of discovery, for providers Brevet cannot reach.
	InlineJWKS map[string][]byte
	// OIDC tunes the verifiers (leeway, refresh interval, ...).
	OIDC oidc.Config
	// SAMLAudiences are the Audience and Recipient values
	// AssumeRoleWithSAML accepts; empty means AWS's sign-in URL.
	SAMLAudiences []string
	// SAMLReplay remembers redeemed assertions; nil means an in-memory
	// cache, which serves one process only (a cluster-wide cache in the
	// store is future work).
	SAMLReplay saml.ReplayCache
	// Issuer mints GetWebIdentityToken's tokens.
	Issuer TokenIssuer
	// PoolTokens verifies the identity pools' tokens:
	// AssumeRoleWithWebIdentity takes a token whose iss is
	// PoolTokens.Issuer() as the federated principal PoolPrincipal (the
	// pools' basic flow). nil: no pool token is accepted.
	PoolTokens PoolTokens
}

// providerCacheTTL is how long a cached provider is trusted without
// rereading it. The server also drops entries as the change feed reports
// provider changes (ProviderChanged), so this only bounds staleness when
// no feed is followed.
const providerCacheTTL = 30 * time.Second

// federation is the Service's federation state: verifiers per provider,
// compiled trust policies per role, the SAML verifier.
type federation struct {
	cfg  FederationConfig
	saml *saml.Verifier

	mu        sync.Mutex
	providers map[string]*cachedProvider // by ARN
	trusts    map[string]*cachedTrust    // by role ARN

	// requests recycles trust-policy requests (authorizeFederated), whose
	// contexts keep their storage across uses.
	requests sync.Pool
}

type cachedProvider struct {
	p        iam.Provider
	loaded   time.Time
	oidc     *oidc.Verifier
	samlMeta *saml.Provider
	err      error // a provider whose metadata or configuration is unusable
}

type cachedTrust struct {
	doc      string
	compiled *policy.Compiled
}

func newFederation(cfg FederationConfig) *federation {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: oidc.DefaultFetchTimeout}
	}
	cfg.OIDC.HTTPClient = cfg.HTTPClient
	return &federation{
		cfg:       cfg,
		saml:      saml.NewVerifier(saml.Config{Audiences: cfg.SAMLAudiences, Replay: cfg.SAMLReplay}),
		providers: map[string]*cachedProvider{},
		trusts:    map[string]*cachedTrust{},
	}
}

// ProviderChanged drops the cached provider arn: the server calls it for
// each provider change in the store's change feed.
func (s *Service) ProviderChanged(arn string) {
	s.fed.mu.Lock()
	delete(s.fed.providers, arn)
	s.fed.mu.Unlock()
}

// errNoProvider is returned by provider when the account has no such
// provider.
var errNoProvider = errors.New("sts: no such identity provider")

// provider returns the cached provider arn, loading it (and building its
// verifier) when absent, stale or changed. A verifier survives a reload
// when the provider's Updated is unchanged, so its key cache is kept.
func (f *federation) provider(ctx context.Context, arn string, now time.Time) (*cachedProvider, error) {
	f.mu.Lock()
	c := f.providers[arn]
	f.mu.Unlock()
	if c != nil && now.Sub(c.loaded) < providerCacheTTL && now.After(c.loaded.Add(-time.Second)) {
		return c, c.err
	}
	if f.cfg.Providers == nil {
		return nil, errNoProvider
	}
	p, err := f.cfg.Providers.Get(ctx, arn)
	if errors.Is(err, store.ErrNotFound) {
		f.mu.Lock()
		delete(f.providers, arn)
		f.mu.Unlock()
		return nil, errNoProvider
	}
	if err != nil {
		return nil, err
	}
	if c != nil && c.p.Updated.Equal(p.Updated) {
		n := *c
		n.loaded = now
		c = &n
	} else {
		c = f.build(p)
		c.loaded = now
	}
	f.mu.Lock()
	f.providers[arn] = c
	f.mu.Unlock()
	return c, c.err
}

func (f *federation) build(p iam.Provider) *cachedProvider {
	c := &cachedProvider{p: p}
	switch p.Kind {
	case iam.ProviderOIDC:
		c.oidc, c.err = oidc.NewVerifier(oidc.Provider{URL: p.URL, ClientIDs: p.ClientIDs, Thumbprints: p.Thumbprints,
			JWKS: f.cfg.InlineJWKS[strings.TrimSuffix(p.URL, "/")]}, f.cfg.OIDC)
	case iam.ProviderSAML:
		c.samlMeta, c.err = saml.ParseMetadata([]byte(p.Metadata))
	}
	return c
}

// trust returns role's compiled trust policy, compiled once per document.
func (f *federation) trust(role *authz.Role) (*policy.Compiled, error) {
	arn := role.ARN()
	f.mu.Lock()
	c := f.trusts[arn]
	f.mu.Unlock()
	if c != nil && c.doc == role.TrustPolicy {
		return c.compiled, nil
	}
	doc, err := policy.Parse([]byte(role.TrustPolicy))
	if err != nil {
		return nil, err
	}
	compiled, err := policy.Compile(doc, policy.TypeTrust, "trustPolicy")
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.trusts[arn] = &cachedTrust{doc: role.TrustPolicy, compiled: compiled}
	f.mu.Unlock()
	return compiled, nil
}

// federatedRequest is one trust-policy question for a caller without
// identity-based policies: a federated identity or a service principal.
type federatedRequest struct {
	kind     policy.PrincipalKind // policy.WebIdentity, policy.SAMLUser or policy.Service
	provider string               // the provider ARN, as trust policies name it (federated callers)
	service  string               // the service principal's name (policy.Service)
	role     *authz.Role
	keys     func(add func(key string, values ...string))
	tags     []credential.Tag
	// principalTags makes tags visible as aws:PrincipalTag/K too, as
	// they are when a service assumes a role with the attributes of the
	// caller it authenticated as session tags (servicesession.go).
	principalTags bool
	trans         []string
	source        string
	session       string
	facts         authz.Facts
}

// authorizeFederated evaluates the role's trust policy for action, plus
// sts:TagSession when the assertion carries session tags and
// sts:SetSourceIdentity when it carries a source identity: a federated
// caller (or a service principal) has no identity-based policies, so the
// trust policy alone decides (IAM User Guide, id_roles_providers_oidc and
// id_session-tags: the trust policy must allow sts:TagSession).
func (f *federation) authorizeFederated(r *federatedRequest, action string) error {
	compiled, err := f.trust(r.role)
	if err != nil {
		return err
	}
	actions := []string{action}
	if len(r.tags) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if r.source != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	caller := policy.Caller{Kind: r.kind, Provider: r.provider}
	if r.kind == policy.Service {
		caller = policy.Caller{Kind: policy.Service, ARN: r.service}
	}
	req, _ := f.requests.Get().(*policy.Request)
	if req == nil {
		req = new(policy.Request)
	}
	defer f.requests.Put(req)
	req.Context.Reset()
	req.Caller, req.Resource, req.ResourceAccount = caller, r.role.ARN(), r.role.Account
	// The context is the same for every action: built once.
	r.keys(req.Context.Add)
	if r.provider != "" {
		req.Context.Add("aws:FederatedProvider", r.provider)
	}
	req.Context.Add("sts:RoleSessionName", r.session)
	addFacts(&req.Context, r.facts)
	if len(r.tags) > 0 {
		names := make([]string, 0, len(r.tags))
		for _, t := range r.tags {
			req.Context.Add("aws:RequestTag/"+t.Key, t.Value)
			if r.principalTags {
				req.Context.Add("aws:PrincipalTag/"+t.Key, t.Value)
			}
			names = append(names, t.Key)
		}
		req.Context.Add("aws:TagKeys", names...)
	}
	if len(r.trans) > 0 {
		req.Context.Add("sts:TransitiveTagKeys", r.trans...)
	}
	if r.source != "" {
		req.Context.Add("sts:SourceIdentity", r.source)
	}
	var dec policy.Decision
	for _, a := range actions {
		req.Action = a
		(*policy.Set)(nil).EvaluateInto(&dec, req, compiled)
		if dec.Outcome != policy.Allowed {
			return &AccessDeniedError{Message: "Not authorized to perform " + action}
		}
	}
	return nil
}

// addFacts adds the request's global condition keys.
func addFacts(c *policy.Context, f authz.Facts) {
	c.Add("aws:CurrentTime", f.Now.UTC().Truncate(time.Second).Format(time.RFC3339))
	c.Add("aws:EpochTime", strconv.FormatInt(f.Now.Unix(), 10))
	if f.SourceIP != "" {
		c.Add("aws:SourceIp", f.SourceIP)
	}
	if f.UserAgent != "" {
		c.Add("aws:UserAgent", f.UserAgent)
	}
	c.Add("aws:SecureTransport", strconv.FormatBool(f.SecureTransport))
}

// federatedTags turns an assertion's session tags into the token's form,
// ordered by key, with STS's limits: at most 50, no "aws:" prefix, and
// transitive keys that name a tag.
func federatedTags(tags map[string]string, transitive []string) ([]credential.Tag, error) {
	if len(tags) > maxSessionTags {
		return nil, &ValidationError{Message: "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to " + strconv.Itoa(maxSessionTags)}
	}
	out := make([]credential.Tag, 0, len(tags))
	for k, v := range tags {
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, &ValidationError{Message: "Session tag keys cannot start with 'aws:'."}
		}
		out = append(out, credential.Tag{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	for _, k := range transitive {
		if _, ok := tags[k]; !ok {
			return nil, &ValidationError{Message: msgTransitiveKey, InvalidValue: true}
		}
	}
	// The bounds every session's tags meet (servicesession.go): a claim
	// may carry any length, and keys differing only by case.
	if err := checkTags(out, nil); err != nil {
		return nil, err
	}
	return out, nil
}

// federatedDuration is DurationSeconds checked against the role: the
// session's length does not depend on the assertion's own expiry.
func federatedDuration(in *int32, role *authz.Role) (time.Duration, error) {
	d := duration(in, defaultRoleSession)
	if d > time.Duration(role.MaxSessionDuration)*time.Second {
		return 0, &ValidationError{Message: msgExceedsMax}
	}
	return d, nil
}
