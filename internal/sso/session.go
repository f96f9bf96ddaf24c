package sso

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
)

// sessionDoc is a sign-in session, stored as a KindSession object under
// its id. Gen counts the refresh-token rotations: only the refresh token
// of the current generation is good, and presenting an older one revokes
// the session.
type sessionDoc struct {
	Client   string   `json:"c"`
	Scopes   []string `json:"s"`
	Identity Identity `json:"id"`
	Created  int64    `json:"t"`
	Expires  int64    `json:"e"`
	Gen      uint64   `json:"g"`
	// Rotated is when Gen last moved on (Unix seconds), which starts the
	// previous generation's grace.
	Rotated int64 `json:"r,omitempty"`
}

// accessClaims are sealed into an access token: any node verifies it
// without I/O, and finds the session it belongs to in its cache.
type accessClaims struct {
	Session string `json:"s"`
	Client  string `json:"c"`
	Expires int64  `json:"e"`
}

// refreshClaims are sealed into a refresh token.
type refreshClaims struct {
	Session string `json:"s"`
	Client  string `json:"c"`
	Gen     uint64 `json:"g"`
}

// Token is a verified access token.
type Token struct {
	SessionID, ClientID string
	// Identity is the session's person, as last checked.
	Identity Identity
	// Expires is the access token's end; SessionExpires the session's.
	Expires, SessionExpires time.Time
}

// startSession opens a sign-in session for the person id and returns its
// first tokens.
func (s *Service) startSession(ctx context.Context, c *client, scopes []string, id Identity, now time.Time) (*CreateTokenOutput, error) {
	sid, err := randomHex(s.cfg.Rand, 16)
	if err != nil {
		return nil, err
	}
	doc := sessionDoc{Client: c.Key, Scopes: scopes, Identity: id, Created: now.Unix(), Expires: now.Add(s.cfg.SessionDuration).Unix()}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	o := store.Object{Account: s.cfg.InstanceAccount, Kind: KindSession, ID: sid, Body: body, Created: now, Updated: now}
	if err := s.cfg.Objects.Create(ctx, o); err != nil {
		return nil, err
	}
	return s.tokens(c, sid, &doc, now)
}

// tokens seals an access token and, for a client registered for the
// refresh_token grant, the refresh token of doc's generation.
func (s *Service) tokens(c *client, sid string, doc *sessionDoc, now time.Time) (*CreateTokenOutput, error) {
	exp := min(now.Add(s.cfg.AccessTokenDuration).Unix(), doc.Expires)
	access, err := s.seal(purposeAccessToken, accessClaims{Session: sid, Client: doc.Client, Expires: exp})
	if err != nil {
		return nil, err
	}
	out := &CreateTokenOutput{AccessToken: access, TokenType: "Bearer", ExpiresIn: int32(max(exp-now.Unix(), 0))}
	if c.grants(GrantRefreshToken) {
		if out.RefreshToken, err = s.seal(purposeRefreshToken, refreshClaims{Session: sid, Client: doc.Client, Gen: doc.Gen}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// loadSession reads session sid; ErrNotFound when it is gone.
func (s *Service) loadSession(ctx context.Context, sid string) (sessionDoc, store.Object, error) {
	var doc sessionDoc
	o, err := s.cfg.Objects.Get(ctx, s.cfg.InstanceAccount, KindSession, sid)
	if err != nil {
		return doc, o, err
	}
	if err := json.Unmarshal(o.Body, &doc); err != nil {
		return doc, o, errors.Join(store.ErrNotFound, err)
	}
	return doc, o, nil
}

// refreshGrace is how long after a rotation the previous generation's
// refresh token is still honoured (answered with the current
// generation's tokens, without rotating again) instead of being taken
// for a stolen copy: botocore and the Go SDK refresh from every process
// without a lock, so two CLI commands started together in the refresh
// window present the same token. Later than that, or any older
// generation, revokes the session.
const refreshGrace = 30 * time.Second

// refreshGrant rotates a refresh token: the session's generation moves on
// by a compare-and-swap, so a token is good once; the previous
// generation's token is honoured for refreshGrace after the rotation,
// and any other older generation's token revokes the session (someone
// holds a copy). The IAM user is checked again and the session carries
// its fresh groups.
func (s *Service) refreshGrant(ctx context.Context, c *client, in *CreateTokenInput, now time.Time) (*CreateTokenOutput, error) {
	if !c.grants(GrantRefreshToken) {
		return nil, oauthErr(UnauthorizedClient, "The client is not registered for the refresh_token grant", "")
	}
	var rc refreshClaims
	if err := s.open(purposeRefreshToken, in.RefreshToken, &rc); err != nil {
		return nil, oauthErr(InvalidGrant, "Invalid refresh token", "refresh token does not open")
	}
	if subtle.ConstantTimeCompare([]byte(rc.Client), []byte(c.Key)) != 1 {
		return nil, oauthErr(InvalidGrant, "Invalid refresh token", "refresh token of another client")
	}
	// A lost swap is read again once: the winner's rotation makes this
	// token the previous generation's, within the grace.
	for attempt := 0; ; attempt++ {
		doc, o, err := s.loadSession(ctx, rc.Session)
		if errors.Is(err, store.ErrNotFound) {
			return nil, oauthErr(InvalidGrant, "Invalid refresh token", "session revoked or ended")
		}
		if err != nil {
			return nil, err
		}
		graced := doc.Gen == rc.Gen+1 && now.Unix() < doc.Rotated+int64(refreshGrace/time.Second)
		switch {
		case now.Unix() >= doc.Expires:
			return nil, oauthErr(InvalidGrant, "The sign-in session has ended", "session expired")
		case doc.Gen != rc.Gen && !graced:
			s.revoke(ctx, rc.Session)
			return nil, oauthErr(InvalidGrant, "Invalid refresh token", "refresh token reused: session revoked")
		case len(in.Scope) > 0 && !subsetScopes(in.Scope, doc.Scopes):
			return nil, oauthErr(InvalidScope, "Invalid scope", "scope beyond the session's")
		}
		fresh, ok, err := s.recheck(ctx, doc.Identity)
		if err != nil {
			return nil, err
		}
		if !ok {
			s.revoke(ctx, rc.Session)
			return nil, oauthErr(InvalidGrant, "Invalid refresh token", "user disabled or gone: session revoked")
		}
		doc.Identity = fresh
		if graced {
			return s.tokens(c, rc.Session, &doc, now)
		}
		doc.Gen++
		doc.Rotated = now.Unix()
		body, err := json.Marshal(doc)
		if err != nil {
			return nil, err
		}
		old := o.Body
		o.Body, o.Updated = body, now
		switch err := s.cfg.Objects.UpdateIf(ctx, o, old); {
		case errors.Is(err, store.ErrConflict) && attempt == 0:
			continue
		case errors.Is(err, store.ErrConflict):
			s.revoke(ctx, rc.Session)
			return nil, oauthErr(InvalidGrant, "Invalid refresh token", "session changed under two refreshes: session revoked")
		case errors.Is(err, store.ErrNotFound):
			return nil, oauthErr(InvalidGrant, "Invalid refresh token", "session revoked meanwhile")
		case err != nil:
			return nil, err
		}
		s.cache.drop(rc.Session)
		return s.tokens(c, rc.Session, &doc, now)
	}
}

// recheck is a session's identity as it stands now: an IAM user's read
// again (Users.Check; ok=false when disabled or gone), a provider's user
// as it signed in.
func (s *Service) recheck(ctx context.Context, id Identity) (Identity, bool, error) {
	if id.Source != SourceIAM {
		return id, true, nil
	}
	return s.cfg.Users.Check(ctx, id)
}

// revoke ends a session on every node: its object goes, the change feed
// tells the others. A failure leaves the session to a later revocation
// or its end; the caller refuses the request either way.
func (s *Service) revoke(ctx context.Context, sid string) {
	_ = s.cfg.Objects.Delete(ctx, s.cfg.InstanceAccount, KindSession, sid)
	s.cache.drop(sid)
}

// openAccess opens an access token that has not expired.
func (s *Service) openAccess(bearer string, now time.Time) (accessClaims, error) {
	var ac accessClaims
	if err := s.open(purposeAccessToken, bearer, &ac); err != nil || now.Unix() >= ac.Expires {
		return ac, ErrUnauthorized
	}
	return ac, nil
}

// Authenticate verifies a bearer access token: sealed by this service,
// not expired, its session alive and its user still enabled. On a cache
// hit it does no I/O; a miss reads the session (and checks an IAM user)
// once per node, until a change drops it.
func (s *Service) Authenticate(ctx context.Context, bearer string, now time.Time) (Token, error) {
	ac, err := s.openAccess(bearer, now)
	if err != nil {
		return Token{}, err
	}
	e, ok := s.cache.get(ac.Session)
	if !ok {
		if e, err = s.loadCached(ctx, ac.Session, now); err != nil {
			return Token{}, err
		}
	}
	if e.client != ac.Client || now.Unix() >= e.expires {
		return Token{}, ErrUnauthorized
	}
	return Token{
		SessionID: ac.Session, ClientID: ac.Client, Identity: e.identity,
		Expires: time.Unix(ac.Expires, 0).UTC(), SessionExpires: time.Unix(e.expires, 0).UTC(),
	}, nil
}

// loadCached reads session sid, checks its user and caches it unless a
// change dropped it meanwhile.
func (s *Service) loadCached(ctx context.Context, sid string, now time.Time) (cached, error) {
	epoch := s.cache.epochNow()
	doc, _, err := s.loadSession(ctx, sid)
	if errors.Is(err, store.ErrNotFound) {
		return cached{}, ErrUnauthorized
	}
	if err != nil {
		return cached{}, err
	}
	if now.Unix() >= doc.Expires {
		return cached{}, ErrUnauthorized
	}
	fresh, ok, err := s.recheck(ctx, doc.Identity)
	if err != nil {
		return cached{}, err
	}
	if !ok {
		return cached{}, ErrUnauthorized
	}
	e := cached{client: doc.Client, identity: fresh, expires: doc.Expires}
	s.cache.put(sid, e, epoch)
	return e, nil
}

// Logout revokes the session of a bearer access token, with all its
// tokens, on every node. ErrUnauthorized when the token is not valid or
// its session already ended.
func (s *Service) Logout(ctx context.Context, bearer string, now time.Time) error {
	ac, err := s.openAccess(bearer, now)
	if err != nil {
		return err
	}
	err = s.cfg.Objects.Delete(ctx, s.cfg.InstanceAccount, KindSession, ac.Session)
	s.cache.drop(ac.Session)
	if errors.Is(err, store.ErrNotFound) {
		return ErrUnauthorized
	}
	return err
}
