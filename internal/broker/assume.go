package broker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/broker/upstream"
	"github.com/brevet-dev/brevet/internal/federation/issuer"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/sts"
)

// Upstream STS actions, as request.UpstreamSession.Action names them.
const (
	ActionAssumeRole                = "AssumeRole"
	ActionAssumeRoleWithWebIdentity = "AssumeRoleWithWebIdentity"
	ActionGetSessionToken           = "GetSessionToken"
	ActionGetFederationToken        = "GetFederationToken"
)

// Bounds of the brokered GetSessionToken and GetFederationToken (AWS's).
const (
	MinTokenDuration     = 900 * time.Second
	MaxTokenDuration     = 129600 * time.Second
	DefaultTokenDuration = 43200 * time.Second
)

// TokenLifetime is the lifetime of the OIDC mode's web identity token:
// Brevet presents it at once.
const TokenLifetime = 5 * time.Minute

// TokenAlgorithm signs the OIDC mode's tokens (AWS STS accepts RS256).
const TokenAlgorithm = "RS256"

// AssumeRole assumes in.Role upstream, once sts.AssumeRole has
// authorized the caller: with a token Brevet mints (OIDC mode) or signed
// with the upstream's key (KEY mode), or from the cache.
func (s *Service) AssumeRole(ctx context.Context, in *sts.BrokerAssumeInput, now time.Time) (*sts.BrokerSession, error) {
	idx, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	arn := in.Role.Role.ARN()
	e := idx.byARN[arn]
	if e == nil {
		return nil, notFoundRole(arn)
	}
	u := idx.byID[e.role.Upstream]
	if u == nil {
		return nil, notFoundUpstream(e.role.Upstream)
	}
	if u.Mode == ModeOIDC && in.Caller.Account != u.Account {
		return nil, &sts.AccessDeniedError{Message: msgOIDCForeignCaller(u.ID)}
	}
	tags := make([]upstream.Tag, len(in.Tags))
	for i, t := range in.Tags {
		tags[i] = upstream.Tag{Key: t.Key, Value: t.Value}
	}
	action := ActionAssumeRole
	if u.Mode == ModeOIDC {
		action = ActionAssumeRoleWithWebIdentity
	}
	call := func(c *upstream.Client) (*upstream.Session, error) {
		ar := upstream.AssumeRoleInput{RoleARN: arn, SessionName: in.SessionName, Duration: in.Duration,
			Policy: in.Policy, PolicyARNs: in.PolicyARNs}
		if u.Mode == ModeOIDC {
			tok, err := s.mint(u, in, now)
			if err != nil {
				return nil, err
			}
			return c.AssumeRoleWithWebIdentity(ctx, tok, ar)
		}
		k, err := s.openKey(u)
		if err != nil {
			return nil, err
		}
		ar.ExternalID, ar.Tags, ar.TransitiveTagKeys, ar.SourceIdentity = e.role.ExternalID, tags, in.TransitiveTagKeys, in.SourceIdentity
		return c.AssumeRole(ctx, k, ar)
	}
	key := cacheKey(in.Caller, action, arn, in.SessionName, in.Duration, in.Policy, in.PolicyARNs, tags, in.TransitiveTagKeys, in.SourceIdentity)
	sess, rec, err := s.obtain(u, key, action, arn, in.SourceIdentity, now, call)
	if err != nil {
		return nil, err
	}
	return &sts.BrokerSession{
		Credentials:   credentials(sess),
		AssumedRoleID: sess.AssumedRoleID, AssumedRoleARN: sess.ARN, SourceIdentity: rec.SourceIdentity,
		PackedPolicySize: sess.PackedPolicySize, Upstream: rec,
	}, nil
}

// msgOIDCForeignCaller refuses a caller of another Brevet account an
// OIDC-mode upstream's role. The token Brevet would mint names that
// caller (sub) and goes to the endpoint, with the audience, that the
// registering account's administrators chose: they could replay it to
// anyone else who trusts Brevet's issuer for that caller. Within one
// account this grants nothing new (its administrators already act as its
// principals); across accounts it would, so it is refused whatever the
// trust policies say.
func msgOIDCForeignCaller(upstreamID string) string {
	return "Upstream account " + upstreamID + " trusts Brevet's OIDC issuer, whose tokens Brevet mints only for principals of the Brevet account that registered it: " +
		"a token names its caller, and that account's administrators choose where it is sent. Callers of other accounts need a KEY-mode upstream."
}

// mint makes the OIDC mode's token: sub the caller's principal ARN as
// GetWebIdentityToken names it (the role ARN for a role session), aud
// the upstream's Audience, and AWS's IdP claims for the session tags and
// the source identity.
func (s *Service) mint(u *Upstream, in *sts.BrokerAssumeInput, now time.Time) (string, error) {
	if s.issuer == nil {
		return "", &IssuerDisabledError{Account: u.ID}
	}
	p := in.Caller
	mi := issuer.MintInput{Account: p.Account, Subject: p.CallerARN, Audience: []string{u.Audience}, Duration: TokenLifetime,
		Algorithm: TokenAlgorithm, TransitiveTagKeys: in.TransitiveTagKeys, AWSSourceIdentity: in.SourceIdentity}
	if p.Session != nil && p.Session.PrincipalARN != "" {
		mi.Subject = p.Session.PrincipalARN
	}
	if len(in.Tags) > 0 {
		mi.SessionTags = make(map[string]string, len(in.Tags))
		for _, t := range in.Tags {
			mi.SessionTags[t.Key] = t.Value
		}
	}
	tok, err := s.issuer.Mint(mi, now)
	if _, off := errors.AsType[sts.OutboundDisabledError](err); off {
		return "", &IssuerDisabledError{Account: u.ID} // the node's issuer is not configured
	}
	if ie, ok := errors.AsType[*issuer.Error](err); ok && ie.Kind == issuer.PayloadTooLarge {
		return "", &TagsTooLargeError{Account: u.ID} // the caller's tags: nothing else in the token grows
	}
	if err != nil {
		// No active signing key, or a signing failure: the operator's
		// problem, not the caller's.
		s.log.Error("broker: Brevet's OIDC issuer could not sign a token for an upstream; check its keys (brevet keys rotate-oidc-key makes new ones)",
			"upstream_account", u.ID, "err", err)
		return "", &IssuerFailedError{Account: u.ID, Err: err}
	}
	return tok.Raw, nil
}

// SessionToken is the brokered GetSessionToken: the upstream's
// GetSessionToken signed with its key (KEY mode only), for d (zero:
// DefaultTokenDuration). The dispatcher has authorized the caller on
// UpstreamARN.
func (s *Service) SessionToken(ctx context.Context, caller *identity.Principal, upstreamID string, d time.Duration, now time.Time) (*upstream.Session, request.UpstreamSession, error) {
	d, err := tokenDuration(d)
	if err != nil {
		return nil, request.UpstreamSession{}, err
	}
	u, err := s.keyed(ctx, caller.Account, upstreamID)
	if err != nil {
		return nil, request.UpstreamSession{}, err
	}
	key := cacheKey(caller, ActionGetSessionToken, "", "", d, "", nil, nil, nil, "")
	return s.obtain(u, key, ActionGetSessionToken, "", "", now, func(c *upstream.Client) (*upstream.Session, error) {
		k, err := s.openKey(u)
		if err != nil {
			return nil, err
		}
		return c.GetSessionToken(ctx, k, d)
	})
}

// FederationToken is the brokered GetFederationToken (KEY mode only);
// in.Duration zero is DefaultTokenDuration.
func (s *Service) FederationToken(ctx context.Context, caller *identity.Principal, upstreamID string, in upstream.FederationInput, now time.Time) (*upstream.Session, request.UpstreamSession, error) {
	var err error
	if in.Duration, err = tokenDuration(in.Duration); err != nil {
		return nil, request.UpstreamSession{}, err
	}
	u, err := s.keyed(ctx, caller.Account, upstreamID)
	if err != nil {
		return nil, request.UpstreamSession{}, err
	}
	key := cacheKey(caller, ActionGetFederationToken, "", in.Name, in.Duration, in.Policy, in.PolicyARNs, in.Tags, nil, "")
	return s.obtain(u, key, ActionGetFederationToken, "", "", now, func(c *upstream.Client) (*upstream.Session, error) {
		k, err := s.openKey(u)
		if err != nil {
			return nil, err
		}
		return c.GetFederationToken(ctx, k, in)
	})
}

// tokenDuration is a brokered token's duration d, DefaultTokenDuration
// for zero, checked against AWS's bounds.
func tokenDuration(d time.Duration) (time.Duration, error) {
	if d == 0 {
		return DefaultTokenDuration, nil
	}
	if d < MinTokenDuration || d > MaxTokenDuration {
		return 0, invalid("DurationSeconds must be between %d and %d.", int64(MinTokenDuration/time.Second), int64(MaxTokenDuration/time.Second))
	}
	return d, nil
}

// keyed is an upstream of account in KEY mode, from the index.
func (s *Service) keyed(ctx context.Context, account, id string) (*Upstream, error) {
	idx, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	u := idx.byID[id]
	if u == nil || u.Account != account {
		return nil, notFoundUpstream(id)
	}
	if u.Mode != ModeKey {
		return nil, &KeylessError{Account: id}
	}
	return u, nil
}

// obtain returns the cached credentials of key when the upstream caches
// and an entry is still good, else calls the upstream.
func (s *Service) obtain(u *Upstream, key [32]byte, action, roleARN, sourceIdentity string, now time.Time,
	call func(*upstream.Client) (*upstream.Session, error)) (*upstream.Session, request.UpstreamSession, error) {
	if u.Cache {
		if sess, rec, ok := s.cache.get(key, keyID(u), now); ok {
			return sess, rec, nil
		}
	}
	c, err := s.client(u)
	if err != nil {
		return nil, request.UpstreamSession{}, err
	}
	sess, err := call(c)
	if err != nil {
		return nil, request.UpstreamSession{}, err
	}
	rec := request.UpstreamSession{Account: u.ID, Action: action, RequestID: sess.RequestID, RoleARN: roleARN,
		SessionARN: sess.ARN, SourceIdentity: sess.SourceIdentity, AccessKeyID: sess.AccessKeyID, Expires: sess.Expiration}
	if rec.SourceIdentity == "" {
		rec.SourceIdentity = sourceIdentity
	}
	if u.Cache {
		s.cache.put(key, u.ID, keyID(u), now, sess, rec)
	}
	return sess, rec, nil
}

// client is the upstream's client, built on first use and again when its
// endpoint changed (forget drops it; a client built for u's endpoint
// only is returned, should a request that read the registry before the
// change have built one since).
func (s *Service) client(u *Upstream) (*upstream.Client, error) {
	key := endpointKey(u)
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	if d := s.clients[u.ID]; d != nil && d.key == key {
		return d.client, nil
	}
	c, err := s.dial(endpoint(u))
	if err != nil {
		return nil, fmt.Errorf("broker: upstream %s: %w", u.ID, err)
	}
	s.clients[u.ID] = &dialed{key: key, client: c}
	return c, nil
}

// openKey opens the upstream's sealed key. The secret lives in the
// returned Key only (whose String hides it).
func (s *Service) openKey(u *Upstream) (upstream.Key, error) {
	if u.Key == nil {
		return upstream.Key{}, &KeylessError{Account: u.ID}
	}
	secret, err := s.keys.Open(u.Key.Secret, KeyPurpose(u.Account, u.ID))
	if err != nil {
		s.log.Error("broker: the master key cannot open an upstream's sealed key (sealed under a master key this node does not hold, or damaged); "+
			"restore the key file that sealed it, or give the upstream a new key with brevet upstream update", "upstream_account", u.ID, "err", err)
		return upstream.Key{}, &SealedKeyError{Account: u.ID, Err: err}
	}
	return upstream.Key{AccessKeyID: u.Key.AccessKeyID, SecretAccessKey: string(secret)}, nil
}

// MaxSourceIdentity is AWS's bound on SourceIdentity.
const MaxSourceIdentity = 64

// SourceIdentity is the source identity the broker sets upstream for a
// caller that has none: NAME@ACCOUNT for a user, ROLE.SESSION for a role
// session, federated.NAME for a federated user (root@ACCOUNT for root),
// characters outside [\w+=,.@-] replaced by '-', at most 64 characters.
//
// Only the user (and root) form keeps '@': a role session's or a
// federated user's name is the caller's choice, and with an '@' it could
// take the shape of a user's (role admin, session bob@ACCOUNT would be
// user admin.bob's admin.bob@ACCOUNT), so there '@' becomes '-' too.
func SourceIdentity(p *identity.Principal) string {
	var s string
	at := false // whether '@' is kept
	ref, err := iam.ParseEntityARN(p.CallerARN)
	switch {
	case err != nil:
		s = p.CallerARN
	case ref.Type == iam.ResourceAssumedRole:
		s = ref.Name + "." + ref.Session
	case ref.Type == iam.ResourceFederatedUser:
		s = "federated." + ref.Name
	case ref.Type == iam.ResourceRoot:
		s, at = "root@"+p.Account, true
	default:
		name := p.UserName
		if name == "" {
			name = ref.Name
		}
		s, at = name+"@"+p.Account, true
	}
	s = strings.Map(func(r rune) rune {
		if r == '_' || r == '+' || r == '=' || r == ',' || r == '.' || (r == '@' && at) || r == '-' ||
			('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') {
			return r
		}
		return '-'
	}, s)
	if len(s) > MaxSourceIdentity {
		s = s[:MaxSourceIdentity]
	}
	return s
}
