package authn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/sigv4"
	"github.com/brevet-dev/brevet/internal/store"
)

// AWS's texts for credentials it does not accept.
const (
	msgInvalidToken = "The security token included in the request is invalid."
	msgExpiredToken = "The security token included in the request is expired"
)

// AccessKeyPurpose is the additional data a long-term secret access key is
// sealed with under the master key ("access-key:AKIA…"), so that a
// ciphertext copied to another key's row does not open. Whoever stores a
// key (the IAM service, the bootstrap) must seal it with this purpose.
func AccessKeyPurpose(accessKeyID string) string { return "access-key:" + accessKeyID }

// KeyStore resolves a long-term access key id: the key (with its sealed
// secret) and a snapshot of its user. store.Principals implements it.
type KeyStore interface {
	LoadAccessKey(ctx context.Context, keyID string) (iam.AccessKey, store.PrincipalSnapshot, error)
}

// UseRecorder records a long-term key's last use.
type UseRecorder interface {
	RecordUse(ctx context.Context, id string, used iam.AccessKeyLastUsed) error
}

// RevocationList says whether a temporary credential has been revoked. It
// is consulted on every request with a session token, so it must answer
// from memory and from the claims alone: revocation.List does, the
// token's lineage (credential.Claims.Lineage) telling it every session the
// credential was made from.
type RevocationList interface {
	Revoked(c *credential.Claims, now time.Time) bool
}

// ChangeFeed is the part of store.Changes the cache follows.
type ChangeFeed interface {
	Since(ctx context.Context, seq int64, limit int) ([]store.Change, error)
	Latest(ctx context.Context) (int64, error)
}

// Config configures an Authenticator.
type Config struct {
	// Keys resolves long-term access keys; Changes invalidates the cache.
	Keys    KeyStore
	Changes ChangeFeed
	// Secrets opens sealed secret access keys (the master key ring).
	Secrets credential.Opener
	// Tokens opens session tokens of temporary credentials.
	Tokens *credential.TokenKeyRing
	// Regions the server answers for. IAM requests are always scoped to
	// us-east-1 (IAM is global), and so are requests to the global STS
	// endpoint, so us-east-1 is always accepted.
	Regions []string
	// MaxSkew is the allowed clock skew; sigv4.DefaultMaxSkew when zero.
	MaxSkew time.Duration
	// Uses, when set, receives when each long-term key was last used
	// (GetAccessKeyLastUsed), at most once a minute per key, written by
	// FlushUses (Watch calls it) off the request path. store.AccessKeys
	// implements it.
	Uses UseRecorder
	// Revoked, when set, refuses revoked temporary credentials as invalid
	// tokens.
	Revoked RevocationList
	// Logger receives store errors met while resolving keys.
	Logger *slog.Logger
	// ExtraServices are the SigV4 service names of other services whose
	// requests Brevet authenticates for them (the authorization API's
	// route maps). Their bodies are the services' own: a request may
	// declare UNSIGNED-PAYLOAD or a hash Brevet does not check (the
	// authorization API hands the verifier no body), presigned URLs are
	// honoured for as long as X-Amz-Expires says, and the path is
	// canonicalized as for STS and IAM. Brevet's own names are refused.
	ExtraServices []string
}

// Authenticator implements request.Authenticator. It is safe for
// concurrent use.
type Authenticator struct {
	keys      KeyStore
	changes   ChangeFeed
	secrets   credential.Opener
	tokens    *credential.TokenKeyRing
	verifiers map[string]*sigv4.Verifier // by service name: "sts", "iam", "cloudtrail", "s3"
	log       *slog.Logger
	uses      UseRecorder
	revoked   RevocationList

	usesMu  sync.Mutex
	pending map[string]iam.AccessKeyLastUsed // uses not yet recorded, by key id

	mu sync.RWMutex
	// cache holds active long-term keys by id.
	cache map[string]*cachedKey
	// synced is the change-feed position the cache reflects.
	synced int64
	// hits and misses count lookups of long-term keys in cache.
	hits, misses atomic.Uint64
}

// cachedKey is an active long-term key with its secret opened and the
// principal it authenticates as.
type cachedKey struct {
	account, userName string
	secret            credential.Secret
	principal         identity.Principal
	// lastUse is the Unix minute of the last use handed to the recorder.
	lastUse atomic.Int64
}

var _ request.Authenticator = (*Authenticator)(nil)

// New returns an Authenticator whose cache starts at the change feed's
// current position.
func New(ctx context.Context, cfg Config) (*Authenticator, error) {
	if cfg.Keys == nil || cfg.Changes == nil || cfg.Secrets == nil || cfg.Tokens == nil {
		return nil, errors.New("authn: Keys, Changes, Secrets and Tokens are required")
	}
	regions := append([]string(nil), cfg.Regions...)
	if !contains(regions, "us-east-1") {
		regions = append(regions, "us-east-1")
	}
	a := &Authenticator{
		keys: cfg.Keys, changes: cfg.Changes, secrets: cfg.Secrets, tokens: cfg.Tokens,
		verifiers: map[string]*sigv4.Verifier{}, log: cfg.Logger, cache: map[string]*cachedKey{},
		uses: cfg.Uses, revoked: cfg.Revoked, pending: map[string]iam.AccessKeyLastUsed{},
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	// "cloudtrail" verifies LookupEvents (the audit trail's query API),
	// "rolesanywhere" IAM Roles Anywhere's control plane and "iot" AWS
	// IoT's (REST-JSON), "cognito-identity" the identity pools' (JSON
	// 1.1); each verifier accepts only its own service in
	// the credential scope, and the dispatcher's STS and IAM actions
	// never select them.
	for _, svc := range []string{"sts", "iam", "cloudtrail", "rolesanywhere", "iot", "cognito-identity"} {
		v, err := sigv4.NewVerifier(sigv4.Config{
			Regions: regions, Services: []string{svc}, MaxSkew: cfg.MaxSkew,
			// STS and IAM refuse presigned requests older than 15 minutes
			// whatever X-Amz-Expires says.
			MaxPresignAge: 15 * time.Minute,
		})
		if err != nil {
			return nil, fmt.Errorf("authn: %w", err)
		}
		a.verifiers[svc] = v
	}
	// "brevet" verifies Brevet's own actions (sessions, hosts): signed for
	// the scope service "brevet", or "sts" as `brevet sessions` and
	// clients that sign every Query request as STS do.
	bv, err := sigv4.NewVerifier(sigv4.Config{Regions: regions, Services: []string{"brevet", "sts"}, MaxSkew: cfg.MaxSkew, MaxPresignAge: 15 * time.Minute})
	if err != nil {
		return nil, fmt.Errorf("authn: %w", err)
	}
	a.verifiers["brevet"] = bv
	// "s3" verifies requests to the S3 gateway as S3 does: its path rules,
	// unsigned and aws-chunked payloads, and presigned URLs valid for as
	// long as X-Amz-Expires says (at most seven days).
	s3v, err := sigv4.NewVerifier(sigv4.Config{
		Regions: regions, Services: []string{"s3"}, MaxSkew: cfg.MaxSkew, S3PathRules: true, UnsignedPayload: true,
	})
	if err != nil {
		return nil, fmt.Errorf("authn: %w", err)
	}
	a.verifiers["s3"] = s3v
	for _, svc := range cfg.ExtraServices {
		if a.verifiers[svc] != nil {
			return nil, fmt.Errorf("authn: extra service %q is one of Brevet's own", svc)
		}
		v, err := sigv4.NewVerifier(sigv4.Config{Regions: regions, Services: []string{svc}, MaxSkew: cfg.MaxSkew, UnsignedPayload: true})
		if err != nil {
			return nil, fmt.Errorf("authn: %w", err)
		}
		a.verifiers[svc] = v
	}
	seq, err := cfg.Changes.Latest(ctx)
	if err != nil {
		return nil, fmt.Errorf("authn: reading the change feed: %w", err)
	}
	a.synced = seq
	return a, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Authenticate implements request.Authenticator.
func (a *Authenticator) Authenticate(ctx context.Context, req *request.AuthnRequest) (request.Principal, error) {
	p, err := a.authenticate(ctx, req)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (a *Authenticator) authenticate(ctx context.Context, req *request.AuthnRequest) (*identity.Principal, error) {
	sreq := sigv4.FromHTTP(req.HTTP, req.Body)
	auth, err := sigv4.Parse(&sreq)
	if err != nil {
		var se *sigv4.Error
		if req.Operation != nil && req.Operation.Unsigned && errors.As(err, &se) && se.Kind == sigv4.KindMissingAuthenticationToken {
			return &identity.Principal{Type: identity.Unknown}, nil
		}
		return nil, err
	}
	v := a.verifiers["sts"]
	if req.Operation != nil {
		if sv := a.verifiers[req.Operation.Service]; sv != nil {
			v = sv
		}
	}
	var (
		secret string
		p      *identity.Principal
		key    *cachedKey
	)
	switch {
	case strings.HasPrefix(auth.AccessKeyID, string(credential.PrefixTemporaryAccessKey)):
		p, secret, err = a.temporary(auth, req.Now)
	default:
		key, err = a.longTerm(ctx, auth)
		if key != nil {
			cp := key.principal // a copy: callers may not share the cached one
			p, secret = &cp, key.secret.Reveal()
		}
	}
	if err != nil {
		return nil, err
	}
	if req.Stream != nil {
		body, err := v.VerifyStream(&sreq, auth, secret, req.Now, req.Stream)
		if err != nil {
			return nil, err
		}
		req.Stream = body
	} else if err := v.Verify(&sreq, auth, secret, req.Now); err != nil {
		return nil, err
	}
	if key != nil && a.uses != nil {
		a.noteUse(key, auth, req.Now)
	}
	if req.Operation != nil && req.Operation.Service == "iam" && !mayCallIAM(p) {
		return nil, invalidToken()
	}
	return p, nil
}

// mayCallIAM applies AWS's rule for temporary credentials and the IAM API:
// GetFederationToken sessions cannot call it at all, and GetSessionToken
// sessions only when they were made with MFA (console sessions always) ("Comparing the AWS STS API
// operations" in the IAM User Guide). AWS refuses such a token as invalid
// for IAM, before any policy is evaluated.
func mayCallIAM(p *identity.Principal) bool {
	if !p.Temporary() {
		return true
	}
	switch p.Session.PrincipalType {
	case credential.FederatedUser:
		return false
	case credential.SessionUser:
		// A console session (sts.ConsoleSession) is the user at work in
		// the console, which AWS lets use IAM with or without MFA.
		return p.Session.MFAAuthenticated || p.ViaConsole()
	}
	return true
}

func invalidToken() error {
	return &sigv4.Error{Kind: sigv4.KindInvalidClientTokenID, Message: msgInvalidToken}
}

// temporary opens the session token of an ASIA key.
func (a *Authenticator) temporary(auth *sigv4.Auth, now time.Time) (*identity.Principal, string, error) {
	if auth.SecurityToken == "" {
		return nil, "", invalidToken()
	}
	c, err := a.tokens.Open(auth.SecurityToken, auth.AccessKeyID, now)
	if err != nil {
		var exp *credential.TokenExpiredError
		if errors.As(err, &exp) {
			return nil, "", &sigv4.Error{Kind: sigv4.KindExpiredToken, Message: msgExpiredToken}
		}
		return nil, "", invalidToken()
	}
	// The principal and the claims it points to are one allocation.
	s := &struct {
		p identity.Principal
		c credential.Claims
	}{c: c}
	if a.revoked != nil && a.revoked.Revoked(&s.c, now) {
		return nil, "", invalidToken()
	}
	sessionPrincipal(&s.p, &s.c)
	return &s.p, c.SecretAccessKey.Reveal(), nil
}

// longTerm resolves an AKIA key, from the cache or the store.
func (a *Authenticator) longTerm(ctx context.Context, auth *sigv4.Auth) (*cachedKey, error) {
	if auth.SecurityToken != "" {
		// A session token presented with a long-term key belongs to no
		// one: AWS refuses it the same way.
		return nil, invalidToken()
	}
	a.mu.RLock()
	k := a.cache[auth.AccessKeyID]
	a.mu.RUnlock()
	if k != nil {
		a.hits.Add(1)
		return k, nil
	}
	a.misses.Add(1)
	return a.load(ctx, auth.AccessKeyID)
}

// noteUse queues a key's use for FlushUses, at most once a minute per key
// so that the hot path takes the lock rarely.
func (a *Authenticator) noteUse(k *cachedKey, auth *sigv4.Auth, now time.Time) {
	minute := now.Unix() / 60
	last := k.lastUse.Load()
	if last == minute || !k.lastUse.CompareAndSwap(last, minute) {
		return
	}
	region := auth.Region
	if region == "" {
		region = "us-east-1" // SigV4a: the region set names no one region
	}
	a.usesMu.Lock()
	a.pending[k.principal.AccessKeyID] = iam.AccessKeyLastUsed{Date: now.UTC().Truncate(time.Second), Service: auth.Service, Region: region}
	a.usesMu.Unlock()
}

// FlushUses records the queued key uses. A key deleted meanwhile is
// skipped; other errors are returned after every use was tried.
func (a *Authenticator) FlushUses(ctx context.Context) error {
	if a.uses == nil {
		return nil
	}
	a.usesMu.Lock()
	pending := a.pending
	if len(pending) == 0 {
		a.usesMu.Unlock()
		return nil
	}
	a.pending = map[string]iam.AccessKeyLastUsed{}
	a.usesMu.Unlock()
	var errs []error
	for id, used := range pending {
		if err := a.uses.RecordUse(ctx, id, used); err != nil && !errors.Is(err, store.ErrNotFound) {
			errs = append(errs, fmt.Errorf("authn: recording the use of %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// load reads a key from the store, opens its secret and caches it if no
// change the cache has already applied is newer than the read.
func (a *Authenticator) load(ctx context.Context, id string) (*cachedKey, error) {
	key, snap, err := a.keys.LoadAccessKey(ctx, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, invalidToken()
		}
		return nil, fmt.Errorf("authn: loading access key %s: %w", id, err)
	}
	if key.Status != iam.AccessKeyActive || snap.User == nil {
		return nil, invalidToken()
	}
	plain, err := a.secrets.Open(key.SecretCiphertext, AccessKeyPurpose(id))
	if err != nil {
		// The store holds a secret we cannot open (a wrong master key, a
		// moved row): an operator problem, not the caller's.
		return nil, fmt.Errorf("authn: opening the secret of access key %s: %w", id, err)
	}
	u := snap.User
	k := &cachedKey{
		account: u.Account, userName: u.Name,
		secret: credential.NewSecret(string(plain)),
		principal: identity.Principal{
			Type: identity.IAMUser, Account: u.Account, CallerARN: u.ARN(), PrincipalID: u.ID,
			AccessKeyID: id, UserName: u.Name, UserID: u.ID,
		},
	}
	clear(plain)
	a.mu.Lock()
	if snap.Seq >= a.synced {
		a.cache[id] = k
	}
	a.mu.Unlock()
	return k, nil
}

// sessionPrincipal fills in p, the principal of a temporary credential,
// from its claims.
func sessionPrincipal(p *identity.Principal, c *credential.Claims) {
	*p = identity.Principal{
		Account: c.AccountID, CallerARN: c.SessionARN, AccessKeyID: c.AccessKeyID, Session: c,
	}
	switch c.PrincipalType {
	case credential.AssumedRole, credential.WebIdentity, credential.SAML:
		p.Type = identity.AssumedRole
		p.PrincipalID = c.PrincipalID + ":" + c.SessionName
	case credential.FederatedUser:
		p.Type = identity.FederatedUser
		p.PrincipalID = c.AccountID + ":" + c.SessionName
		if strings.HasPrefix(c.PrincipalID, string(credential.PrefixUser)) {
			p.UserID = c.PrincipalID
		}
	case credential.SessionUser:
		p.PrincipalID = c.PrincipalID
		if c.PrincipalARN == iam.RootARN(c.AccountID) {
			p.Type = identity.Root
			break
		}
		p.Type = identity.IAMUser
		p.CallerARN = c.PrincipalARN
		p.UserID = c.PrincipalID
		p.UserName = c.PrincipalARN[strings.LastIndexByte(c.PrincipalARN, '/')+1:]
	default:
		p.Type = identity.Unknown
	}
	if p.CallerARN == "" {
		p.CallerARN = c.PrincipalARN
	}
}

// SessionPrincipal is the principal of a session with claims c, as a
// request signed with the session's credentials authenticates: the
// authorization API makes such sessions of the bearer tokens it accepts.
func SessionPrincipal(c *credential.Claims) *identity.Principal {
	s := &struct {
		p identity.Principal
		c credential.Claims
	}{c: *c}
	sessionPrincipal(&s.p, &s.c)
	return &s.p
}
