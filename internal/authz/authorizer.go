package authz

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
)

// Store is what the Authorizer reads: the principals read model, the
// change feed, managed policies (for session PolicyArns) and users by id
// (for federated users). A store.Store satisfies it.
type Store interface {
	Principals() store.Principals
	Changes() store.Changes
	Policies() store.Policies
	Users() store.Users
}

// Config configures an Authorizer.
type Config struct {
	Store Store
	// MessageKey seals encoded authorization messages: 32 bytes, kept
	// across restarts (and shared by every node) so messages stay
	// decodable.
	MessageKey []byte
	// Rand is the nonce source for sealed messages; crypto/rand when nil.
	Rand io.Reader
	// Region is the value of aws:RequestedRegion ("us-east-1" when empty):
	// Brevet serves one region.
	Region string
	// PollInterval bounds how stale the cache can be: the change feed is
	// read at most this often (100 ms when zero). Sync reads it at once.
	// NoRequestPoll leaves the reading to the caller (Sync): no decision
	// then ever waits for the store.
	PollInterval time.Duration
	// MaxSessions bounds the session cache (100,000 when zero).
	MaxSessions int
}

// Authorizer evaluates requests against the caller's policies. It is safe
// for concurrent use.
type Authorizer struct {
	c      *cache
	seal   *sealer
	region string
	pool   sync.Pool // *evalState
	clock  atomic.Pointer[timeStrings]
}

// New returns an Authorizer. It reads the change feed's position, so that
// everything cached afterwards is invalidated by later changes.
func New(ctx context.Context, cfg Config) (*Authorizer, error) {
	if cfg.Store == nil {
		return nil, errors.New("authz: Config.Store is required")
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 100 * time.Millisecond
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = 100_000
	}
	s, err := newSealer(cfg.MessageKey, cfg.Rand)
	if err != nil {
		return nil, err
	}
	c, err := newCache(ctx, cfg.Store, cfg.PollInterval, cfg.MaxSessions)
	if err != nil {
		return nil, err
	}
	a := &Authorizer{c: c, seal: s, region: cfg.Region}
	a.pool.New = func() any { return &evalState{} }
	return a, nil
}

// NoRequestPoll is the PollInterval of an Authorizer whose owner calls
// Sync in the background (brevet serve, which follows LISTEN/NOTIFY):
// decisions never read the change feed themselves, so a store that does
// not answer cannot delay or fail them.
const NoRequestPoll time.Duration = -1

// Sync reads the change feed now, so that changes made so far are seen by
// the next decision. The IAM service (or the server after an IAM write)
// calls it; otherwise changes are seen within PollInterval.
func (a *Authorizer) Sync(ctx context.Context) error { return a.c.sync(ctx) }

// Apply applies changes read from the change feed by someone else (a
// node's one follower), as Sync would: changes at or before the position
// already applied are skipped.
func (a *Authorizer) Apply(changes []store.Change) { a.c.applyAll(changes) }

// DecodeMessage opens an encoded authorization message and returns its
// JSON. An invalid message is an *InvalidMessageError.
//
// account is the caller's account: a message decodes only in the account
// whose request it explains.
func (a *Authorizer) DecodeMessage(encoded, account string) (string, error) {
	plain, err := a.seal.open(encoded, account)
	if err != nil {
		return "", err
	}
	return string(plain), nil
}

// evalState is the per-request scratch space, pooled so that a decision
// does not allocate.
type evalState struct {
	req policy.Request
	dec policy.Decision
}

// Authorize implements request.Authorizer.
func (a *Authorizer) Authorize(ctx context.Context, r *request.AuthzRequest) (request.Decision, error) {
	if err := a.c.maybePoll(ctx, r.Now); err != nil {
		return request.Decision{}, err
	}
	p, _ := r.Principal.(*identity.Principal)
	v, err := a.view(ctx, p)
	if err != nil {
		return request.Decision{}, err
	}
	st := a.pool.Get().(*evalState)
	defer a.pool.Put(st)
	st.req.Caller = v.caller
	st.req.Action = r.Action
	st.req.Resource = r.Resource
	st.req.ResourceAccount = r.ResourceAccount
	if st.req.ResourceAccount == "" {
		st.req.ResourceAccount = accountOfARN(r.Resource)
	}
	st.req.Context.Reset()
	addSession(&st.req.Context, p)
	addTarget(&st.req.Context, r.Context)
	a.addGlobal(&st.req.Context, v, r.Now, r.SourceIP, r.UserAgent, r.SecureTransport)
	v.set.EvaluateInto(&st.dec, &st.req, r.ResourcePolicy)
	if st.dec.Outcome == policy.Allowed {
		return request.Decision{Allowed: true}, nil
	}
	return a.denial(&st.req, &st.dec, v.principalID)
}

// denial words a denial and seals its explanation.
func (a *Authorizer) denial(req *policy.Request, d *policy.Decision, principalID string) (request.Decision, error) {
	enc, err := a.seal.encode(req, d, principalID)
	if err != nil {
		return request.Decision{}, err
	}
	return request.Decision{Reason: reason(d, req.Action), ExplicitDeny: d.Outcome == policy.ExplicitlyDenied, EncodedMessage: enc}, nil
}

// reason completes AWS's "... because <reason>" for an implicit deny, and
// "... with <reason>" for an explicit one. A role's trust policy that does
// not allow the caller gets no reason: AWS's AccessDenied for it is the
// bare "User: ARN is not authorized to perform: sts:AssumeRole on
// resource: ARN".
func reason(d *policy.Decision, action string) string {
	if d.Outcome == policy.ExplicitlyDenied {
		return "an explicit deny in " + article(d.DeniedBy)
	}
	switch d.MissingAllow {
	case policy.TypeBoundary:
		return "no permissions boundary allows the " + action + " action"
	case policy.TypeSession:
		return "no session policy allows the " + action + " action"
	case policy.TypeResource:
		return "no resource-based policy allows the " + action + " action"
	case policy.TypeTrust:
		return ""
	}
	return "no identity-based policy allows the " + action + " action"
}

func article(t policy.Type) string {
	switch t {
	case policy.TypeBoundary:
		return "a permissions boundary"
	case policy.TypeSession:
		return "a session policy"
	case policy.TypeResource:
		return "a resource-based policy"
	case policy.TypeTrust:
		return "the role's trust policy"
	}
	return "an identity-based policy"
}

// view finds the caller's evaluation view. A caller whose user or role no
// longer exists (a session outliving its role, a key of a deleted user)
// has no policies: every request it makes is denied, not failed.
func (a *Authorizer) view(ctx context.Context, p *identity.Principal) (*view, error) {
	v, err := a.lookupView(ctx, p)
	if errors.Is(err, store.ErrNotFound) {
		return orphanView(p), nil
	}
	return v, err
}

// orphanView is the policy-less view of a caller whose entity is gone.
func orphanView(p *identity.Principal) *view {
	kind := policy.IAMUser
	switch p.Type {
	case identity.AssumedRole:
		kind = policy.AssumedRole
	case identity.FederatedUser:
		kind = policy.FederatedUser
	}
	c := policy.Caller{Kind: kind, ARN: p.CallerARN, Account: p.Account, UserName: p.UserName, UserID: p.PrincipalID}
	if p.Session != nil {
		c.SessionIssuer = p.Session.PrincipalARN
	}
	return &view{caller: c, principalID: p.PrincipalID}
}

func (a *Authorizer) lookupView(ctx context.Context, p *identity.Principal) (*view, error) {
	switch {
	case p == nil || p.Type == identity.Unknown || p.Type == "":
		return &anonymousView, nil
	case p.Session != nil:
		return a.c.sessionView(ctx, p)
	case p.Type == identity.Root:
		return &view{caller: policy.Caller{Kind: policy.Root, ARN: p.CallerARN, Account: p.Account, UserID: p.Account},
			principalID: p.Account}, nil
	case p.Type == identity.IAMUser:
		e, err := a.c.entity(ctx, entityKey{kindUser, p.Account, p.UserName})
		if err != nil {
			return nil, err
		}
		if p.UserID != "" && e.id != p.UserID {
			return nil, fmt.Errorf("authz: user %s has a new unique id: %w", e.arn, store.ErrNotFound)
		}
		return e.longTerm(), nil
	}
	return nil, fmt.Errorf("authz: cannot evaluate a %s principal with long-term credentials", p.Type)
}

var anonymousView = view{caller: policy.Caller{Kind: policy.Anonymous}}

// longTerm is the view of a user signing with its own access key. It is
// built once per entity.
func (e *entity) longTerm() *view {
	e.ltOnce.Do(func() {
		e.lt = view{set: e.set, tags: e.tags, principalID: e.id,
			caller: policy.Caller{Kind: policy.IAMUser, ARN: e.arn, Account: e.account, UserName: e.user.Name, UserID: e.id}}
	})
	return &e.lt
}

// addSession adds the condition keys the service that issued the caller's
// session set in it (credential.Claims.RequestContext: ec2:SourceInstanceARN,
// credentials-iot:ThingName, ...). They go first, so that they win over
// any key of the same name the request brings (policy.Context answers a
// lookup with the first key added): no request can override them.
func addSession(c *policy.Context, p *identity.Principal) {
	if p == nil || p.Session == nil {
		return
	}
	for _, k := range p.Session.RequestContext {
		c.Add(k.Key, k.Value)
	}
}

// addTarget adds the action's own keys, before the global keys, so they
// win over global keys of the same name.
func addTarget(c *policy.Context, m map[string][]string) {
	for k, vs := range m {
		c.Add(k, vs...)
	}
}

// addGlobal adds the global condition keys (those package policy does not
// derive from the Caller itself).
func (a *Authorizer) addGlobal(c *policy.Context, v *view, now time.Time, sourceIP, userAgent string, secure bool) {
	ts := a.times(now)
	c.Add("aws:CurrentTime", ts.current)
	c.Add("aws:EpochTime", ts.epoch)
	if sourceIP != "" {
		c.Add("aws:SourceIp", sourceIP)
	}
	if userAgent != "" {
		c.Add("aws:UserAgent", userAgent)
	}
	c.Add("aws:SecureTransport", boolString(secure))
	c.Add("aws:ViaAWSService", "false")
	c.Add("aws:PrincipalIsAWSService", "false")
	c.Add("aws:RequestedRegion", a.region)
	for i := range v.static {
		c.Add(v.static[i].key, v.static[i].value)
	}
	if !v.mfaTime.IsZero() {
		c.Add("aws:MultiFactorAuthAge", strconv.FormatInt(int64(now.Sub(v.mfaTime)/time.Second), 10))
	}
	for i := range v.tags {
		c.Add(v.tags[i].key, v.tags[i].value)
	}
}

// timeStrings caches the formatted request time for one second.
type timeStrings struct {
	sec            int64
	current, epoch string
}

func (a *Authorizer) times(now time.Time) *timeStrings {
	sec := now.Unix()
	if ts := a.clock.Load(); ts != nil && ts.sec == sec {
		return ts
	}
	ts := &timeStrings{sec: sec, current: now.UTC().Truncate(time.Second).Format(time.RFC3339), epoch: strconv.FormatInt(sec, 10)}
	a.clock.Store(ts)
	return ts
}

// accountOfARN returns the 12-digit account of an ARN, or "" (for "*",
// AWS managed policies and anything else without one): package policy then
// treats the resource as the caller's own.
func accountOfARN(s string) string {
	// arn:partition:service:region:account:resource
	n, start := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] != ':' {
			continue
		}
		n++
		switch n {
		case 4:
			start = i + 1
		case 5:
			acct := s[start:i]
			if len(acct) != 12 {
				return ""
			}
			for j := 0; j < 12; j++ {
				if acct[j] < '0' || acct[j] > '9' {
					return ""
				}
			}
			return acct
		}
	}
	return ""
}
