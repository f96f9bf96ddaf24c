package authz

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/store"
)

// kv is one precomputed condition key and its value.
type kv struct{ key, value string }

// entityKind says whether an entity is a user or a role.
type entityKind uint8

const (
	kindUser entityKind = iota + 1
	kindRole
)

// entityKey addresses a cached user or role. The name is as the caller
// spelled it (IAM names are case-insensitive, so one entity may be cached
// under several spellings; invalidation compares case-insensitively).
type entityKey struct {
	kind          entityKind
	account, name string
}

// entity is a user or role with its policies compiled once.
type entity struct {
	kind     entityKind
	account  string
	nameKey  string // iam.NameKey of the name
	arn      string
	id       string
	user     *iam.User
	role     *iam.Role
	groups   []string // lower-cased group names, for invalidation
	refs     []string // managed policy ARNs used (attached, via groups, boundary)
	set      *policy.Set
	trust    *policy.Compiled // roles only
	tags     []kv             // aws:PrincipalTag/K
	identity []*policy.Compiled
	boundary *policy.Compiled

	// assumable is the role as LoadRole returns it; role points into it.
	assumable *Role

	ltOnce sync.Once
	lt     view // users: the long-term credentials view
}

// session is the evaluation view of one temporary credential: its caller,
// its policy set (the entity's, plus session policies) and the condition
// keys it carries.
type session struct {
	key       entityKey
	ent       *entity // the entity it was built from; stale once replaced
	policyGen uint64  // managed-policy generation, when it used PolicyARNs
	usesARNs  bool
	v         view
}

// view is everything a request needs about its caller.
type view struct {
	set         *policy.Set
	caller      policy.Caller
	principalID string
	tags        []kv
	static      []kv      // aws:TokenIssueTime, aws:MultiFactorAuthPresent, ...
	mfaTime     time.Time // non-zero: aws:MultiFactorAuthAge is derived from it
}

// cache holds compiled entities and sessions and follows the change feed.
type cache struct {
	src      Store
	interval time.Duration
	maxSess  int

	mu        sync.RWMutex
	entities  map[entityKey]*entity
	sessions  map[string]*session
	managed   map[string]*policy.Compiled // session policies by ARN
	policyGen uint64

	loads singleflight.Group // entity loads in progress
	stats cacheStats         // stats.go

	pollMu   sync.Mutex
	seq      atomic.Int64 // change-feed position processed
	lastPoll atomic.Int64 // unix nanos of the last poll
}

func newCache(ctx context.Context, src Store, interval time.Duration, maxSess int) (*cache, error) {
	c := &cache{src: src, interval: interval, maxSess: maxSess,
		entities: map[entityKey]*entity{}, sessions: map[string]*session{}, managed: map[string]*policy.Compiled{}}
	seq, err := src.Changes().Latest(ctx)
	if err != nil {
		return nil, fmt.Errorf("authz: reading the change feed: %w", err)
	}
	c.seq.Store(seq)
	return c, nil
}

// maybePoll reads the change feed when the last read is older than the
// interval. Only one caller polls; the others go on with the cache as is.
func (c *cache) maybePoll(ctx context.Context, now time.Time) error {
	if c.interval < 0 {
		return nil // NoRequestPoll
	}
	n := now.UnixNano()
	last := c.lastPoll.Load()
	if n-last < int64(c.interval) && n >= last {
		return nil
	}
	if !c.pollMu.TryLock() {
		return nil
	}
	defer c.pollMu.Unlock()
	c.lastPoll.Store(n)
	return c.pollLocked(ctx)
}

// sync reads the change feed now.
func (c *cache) sync(ctx context.Context) error {
	c.pollMu.Lock()
	defer c.pollMu.Unlock()
	return c.pollLocked(ctx)
}

const pollPage = 500

func (c *cache) pollLocked(ctx context.Context) error {
	for {
		changes, err := c.src.Changes().Since(ctx, c.seq.Load(), pollPage)
		if err != nil {
			return fmt.Errorf("authz: reading the change feed: %w", err)
		}
		if len(changes) == 0 {
			return nil
		}
		c.mu.Lock()
		for i := range changes {
			c.apply(&changes[i])
		}
		c.seq.Store(changes[len(changes)-1].Seq)
		c.mu.Unlock()
		if len(changes) < pollPage {
			return nil
		}
	}
}

// applyAll applies changes past the position processed, under the poll
// lock so that it never interleaves with a poll of the feed.
func (c *cache) applyAll(changes []store.Change) {
	c.pollMu.Lock()
	defer c.pollMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range changes {
		if changes[i].Seq <= c.seq.Load() {
			continue
		}
		c.apply(&changes[i])
		c.seq.Store(changes[i].Seq)
	}
}

// apply drops what a change makes stale. Sessions built on a dropped
// entity notice on their next use (their entity pointer differs).
func (c *cache) apply(ch *store.Change) {
	key := iam.NameKey(ch.Key)
	drop := func(match func(e *entity) bool) {
		for k, e := range c.entities {
			if match(e) {
				delete(c.entities, k)
			}
		}
	}
	switch ch.Kind {
	case store.ChangeUser:
		drop(func(e *entity) bool { return e.kind == kindUser && e.account == ch.Account && e.nameKey == key })
	case store.ChangeRole:
		drop(func(e *entity) bool { return e.kind == kindRole && e.account == ch.Account && e.nameKey == key })
	case store.ChangeGroup:
		drop(func(e *entity) bool { return e.account == ch.Account && contains(e.groups, key) })
	case store.ChangeAccount:
		drop(func(e *entity) bool { return e.account == ch.Account })
	case store.ChangePolicy:
		drop(func(e *entity) bool { return contains(e.refs, ch.Key) })
		delete(c.managed, ch.Key)
		c.policyGen++
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// entity returns the compiled user or role, loading it on a miss.
// Concurrent misses on one entity share one load (loads): after a start
// or an IAM change, every request in flight for a role would otherwise
// read and compile it on its own. A caller joins only a load begun at the
// change-feed position it sees itself, so it never gets an entity older
// than a change it could know of.
func (c *cache) entity(ctx context.Context, k entityKey) (*entity, error) {
	c.mu.RLock()
	e := c.entities[k]
	c.mu.RUnlock()
	if e != nil {
		c.stats.entityHits.Add(1)
		return e, nil
	}
	c.stats.entityMisses.Add(1)
	before := c.seq.Load()
	ch := c.loads.DoChan(loadKey(k, before), func() (_ any, err error) {
		// singleflight re-panics a panic on a goroutine of its own, which
		// no handler recovers: it would take the process down instead of
		// failing the requests that share the load.
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("authz: loading %s: panic: %v\n%s", k.name, p, debug.Stack())
			}
		}()
		// The load outlives a caller that gives up: others may share it.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
		defer cancel()
		return c.load(lctx, k, before)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*entity), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// loadTimeout bounds a shared load, which no single caller's context
// bounds.
const loadTimeout = 30 * time.Second

// loadKey names a load of k begun at change-feed position seq.
func loadKey(k entityKey, seq int64) string {
	return fmt.Sprintf("%d/%s/%s/%d", k.kind, k.account, k.name, seq)
}

// load reads and compiles k, and caches it unless the change feed moved
// past what the snapshot reflects.
func (c *cache) load(ctx context.Context, k entityKey, before int64) (*entity, error) {
	var snap store.PrincipalSnapshot
	var err error
	if k.kind == kindUser {
		snap, err = c.src.Principals().LoadUser(ctx, k.account, k.name)
	} else {
		snap, err = c.src.Principals().LoadRole(ctx, k.account, k.name)
	}
	if err != nil {
		return nil, err
	}
	e, err := compileEntity(&snap)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	// A snapshot older than the feed position we have processed may miss
	// a change whose invalidation already ran: use it once, do not keep it.
	if snap.Seq >= c.seq.Load() && before <= snap.Seq {
		if old := c.entities[k]; old != nil {
			e = old
		} else {
			c.entities[k] = e
		}
	}
	c.mu.Unlock()
	return e, nil
}

// compileEntity compiles a snapshot's policies. A stored policy that does
// not compile fails the principal's requests (fail closed): skipping it
// could skip a Deny.
func compileEntity(s *store.PrincipalSnapshot) (*entity, error) {
	e := &entity{}
	var tags []iam.Tag
	switch {
	case s.User != nil:
		u := *s.User
		e.kind, e.account, e.nameKey, e.arn, e.id, e.user, tags = kindUser, u.Account, iam.NameKey(u.Name), u.ARN(), u.ID, &u, u.Tags
	case s.Role != nil:
		e.assumable = &Role{Role: *s.Role, ent: e}
		r := &e.assumable.Role
		e.kind, e.account, e.nameKey, e.arn, e.id, e.role, tags = kindRole, r.Account, iam.NameKey(r.Name), r.ARN(), r.ID, r, r.Tags
		doc, err := policy.Parse([]byte(r.TrustPolicy))
		if err != nil {
			return nil, fmt.Errorf("authz: trust policy of %s: %w", e.arn, err)
		}
		// The trust policy's principals match by the unique ids they were
		// bound to when it was saved, not by name.
		if e.trust, err = policy.CompileBound(doc, policy.TypeTrust, e.arn, bindings(r.TrustBindings)); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("authz: snapshot has neither user nor role")
	}
	for _, g := range s.Groups {
		e.groups = append(e.groups, iam.NameKey(g))
	}
	for i := range s.Policies {
		d := &s.Policies[i]
		name := d.ARN
		if name == "" {
			name = inlineName(e.arn, d)
		} else {
			e.refs = append(e.refs, d.ARN)
		}
		cp, err := compileDoc(d.Document, policy.TypeIdentity, name)
		if err != nil {
			return nil, err
		}
		e.identity = append(e.identity, cp)
	}
	if s.BoundaryARN != "" {
		e.refs = append(e.refs, s.BoundaryARN)
		doc := `{"Version":"2012-10-17","Statement":[]}` // deleted boundary: allows nothing
		if s.Boundary != nil {
			doc = s.Boundary.Document
		}
		cp, err := compileDoc(doc, policy.TypeBoundary, s.BoundaryARN)
		if err != nil {
			return nil, err
		}
		e.boundary = cp
	}
	set, err := policy.NewSet(e.all()...)
	if err != nil {
		return nil, err
	}
	e.set = set
	for _, t := range tags {
		e.tags = append(e.tags, kv{"aws:PrincipalTag/" + t.Key, t.Value})
	}
	return e, nil
}

// bindings converts a role's trust bindings for the policy engine.
func bindings(bs []iam.PrincipalBinding) []policy.Binding {
	if len(bs) == 0 {
		return nil
	}
	out := make([]policy.Binding, len(bs))
	for i, b := range bs {
		out[i] = policy.Binding{ARN: b.ARN, ID: b.ID}
	}
	return out
}

func (e *entity) all(extra ...*policy.Compiled) []*policy.Compiled {
	out := make([]*policy.Compiled, 0, len(e.identity)+1+len(extra))
	out = append(out, e.identity...)
	if e.boundary != nil {
		out = append(out, e.boundary)
	}
	return append(out, extra...)
}

// inlineName names an inline policy in decisions: the owner's ARN and the
// policy name (with the group for group policies).
func inlineName(owner string, d *store.PolicyDoc) string {
	if d.Group != "" {
		return "group/" + d.Group + "/" + d.Name
	}
	return owner + "/" + d.Name
}

func compileDoc(text string, t policy.Type, name string) (*policy.Compiled, error) {
	doc, err := policy.Parse([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("authz: policy %s: %w", name, err)
	}
	return policy.Compile(doc, t, name)
}

// managedSession returns a managed policy compiled as a session policy. A
// policy that no longer exists yields an empty one: the session keeps being
// limited by session policies (fail closed), with nothing this ARN allows.
func (c *cache) managedSession(ctx context.Context, arn string) (*policy.Compiled, error) {
	c.mu.RLock()
	cp := c.managed[arn]
	gen := c.policyGen
	c.mu.RUnlock()
	if cp != nil {
		return cp, nil
	}
	doc := `{"Version":"2012-10-17","Statement":[]}`
	p, err := c.src.Policies().Get(ctx, arn)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		v, err := c.src.Policies().GetVersion(ctx, arn, p.DefaultVersion)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if err == nil {
			doc = v.Document
		}
	}
	cp, err = compileDoc(doc, policy.TypeSession, arn)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	// Cache only what is still current: a policy change applied while the
	// store was being read bumped policyGen, and the document read may be
	// the old one. The caller still uses it once; its session is built
	// with the generation it saw, so lookupSession rebuilds it next time.
	if c.policyGen == gen {
		c.managed[arn] = cp
	}
	c.mu.Unlock()
	return cp, nil
}

// userByID finds a user's name from its unique id (a federated user's
// token names its IAM user by id).
func (c *cache) userByID(ctx context.Context, id string) (string, error) {
	u, err := c.src.Users().GetByID(ctx, id)
	if err != nil {
		return "", err
	}
	return u.Name, nil
}

// lookupSession returns a cached session view if it is still current: its
// entity has not been replaced and, when it uses managed session policies,
// no managed policy has changed since it was built.
func (c *cache) lookupSession(id string) *view {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s := c.sessions[id]
	if s == nil {
		return nil
	}
	if s.key.kind != 0 && c.entities[s.key] != s.ent {
		return nil
	}
	if s.usesARNs && s.policyGen != c.policyGen {
		return nil
	}
	return &s.v
}

func (c *cache) storeSession(id string, s *session) {
	c.mu.Lock()
	if len(c.sessions) >= c.maxSess {
		// Bounded memory, whatever the number of live sessions: start over.
		// Rebuilding a session costs one compile of its session policy.
		clear(c.sessions)
	}
	c.sessions[id] = s
	c.mu.Unlock()
}

// sessionView builds (or finds) the view of a temporary credential.
func (c *cache) sessionView(ctx context.Context, p *identity.Principal) (*view, error) {
	cl := p.Session
	if v := c.lookupSession(cl.SessionID); v != nil {
		c.stats.sessionHits.Add(1)
		return v, nil
	}
	c.stats.sessionMisses.Add(1)
	ek, err := c.sessionEntityKey(ctx, p)
	if err != nil {
		return nil, err
	}
	var ent *entity
	if ek.kind != 0 {
		if ent, err = c.entity(ctx, ek); err != nil {
			return nil, err
		}
		if cl.PrincipalID != "" && cl.PrincipalType != credential.FederatedUser && ent.id != cl.PrincipalID {
			// The role or user was deleted and another made with its name:
			// the session belongs to the old one (AWS binds by unique id).
			return nil, fmt.Errorf("authz: session %s: %s has a new unique id: %w", cl.SessionID, ent.arn, store.ErrNotFound)
		}
	}
	c.mu.RLock()
	gen := c.policyGen
	c.mu.RUnlock()
	s := &session{key: ek, ent: ent, policyGen: gen, usesARNs: len(cl.PolicyARNs) > 0}
	if err := c.buildSessionView(ctx, p, ent, &s.v); err != nil {
		return nil, err
	}
	c.storeSession(cl.SessionID, s)
	return &s.v, nil
}

// sessionEntityKey says which user or role a session's permissions come
// from; kind 0 for the root user.
func (c *cache) sessionEntityKey(ctx context.Context, p *identity.Principal) (entityKey, error) {
	cl := p.Session
	switch cl.PrincipalType {
	case credential.AssumedRole, credential.WebIdentity, credential.SAML:
		ref, err := iam.ParseEntityARN(cl.PrincipalARN)
		if err != nil || ref.Type != iam.ResourceRole {
			return entityKey{}, fmt.Errorf("authz: session %s: principal %q is not a role", cl.SessionID, cl.PrincipalARN)
		}
		return entityKey{kindRole, ref.Account, ref.Name}, nil
	case credential.SessionUser:
		ref, err := iam.ParseEntityARN(cl.PrincipalARN)
		if err != nil {
			return entityKey{}, fmt.Errorf("authz: session %s: %w", cl.SessionID, err)
		}
		if ref.Type == iam.ResourceRoot {
			return entityKey{}, nil
		}
		return entityKey{kindUser, ref.Account, ref.Name}, nil
	case credential.FederatedUser:
		name := p.UserName
		if name == "" {
			var err error
			if name, err = c.userByID(ctx, cl.PrincipalID); err != nil {
				return entityKey{}, fmt.Errorf("authz: federated user %s: %w", cl.SessionARN, err)
			}
		}
		return entityKey{kindUser, cl.AccountID, name}, nil
	}
	return entityKey{}, fmt.Errorf("authz: session %s: unknown principal type %v", cl.SessionID, cl.PrincipalType)
}

func (c *cache) buildSessionView(ctx context.Context, p *identity.Principal, ent *entity, v *view) error {
	cl := p.Session
	v.principalID = p.PrincipalID
	var sessPolicies []*policy.Compiled
	if cl.Policy != "" {
		cp, err := compileDoc(cl.Policy, policy.TypeSession, "sessionPolicy")
		if err != nil {
			return err
		}
		sessPolicies = append(sessPolicies, cp)
	}
	for _, arn := range cl.PolicyARNs {
		cp, err := c.managedSession(ctx, arn)
		if err != nil {
			return err
		}
		sessPolicies = append(sessPolicies, cp)
	}
	switch cl.PrincipalType {
	case credential.AssumedRole, credential.WebIdentity, credential.SAML:
		v.caller = policy.Caller{Kind: policy.AssumedRole, ARN: cl.SessionARN, Account: cl.AccountID,
			SessionIssuer: ent.arn, SessionIssuerID: ent.id, UserID: userID(p, ent.id+":"+cl.SessionName)}
	case credential.FederatedUser:
		v.caller = policy.Caller{Kind: policy.FederatedUser, ARN: cl.SessionARN, Account: cl.AccountID,
			SessionIssuer: ent.arn, SessionIssuerID: ent.id, UserID: userID(p, cl.AccountID+":"+cl.SessionName)}
	case credential.SessionUser:
		if ent == nil {
			v.caller = policy.Caller{Kind: policy.Root, ARN: cl.PrincipalARN, Account: cl.AccountID, UserID: cl.AccountID}
		} else {
			v.caller = policy.Caller{Kind: policy.IAMUser, ARN: ent.arn, Account: ent.account,
				UserName: ent.user.Name, UserID: ent.id}
		}
		// GetSessionToken sessions have the user's permissions and no
		// session policies.
		sessPolicies = nil
	}
	if v.principalID == "" {
		v.principalID = v.caller.UserID
	}
	if ent != nil {
		set, err := policy.NewSet(ent.all(sessPolicies...)...)
		if err != nil {
			return err
		}
		v.set = set
		v.tags = mergeTags(ent.tags, cl.Tags)
	} else {
		v.tags = mergeTags(nil, cl.Tags)
	}
	v.static = append(v.static,
		kv{"aws:TokenIssueTime", cl.IssuedAt.UTC().Format(time.RFC3339)},
		kv{"aws:MultiFactorAuthPresent", boolString(cl.MFAAuthenticated)})
	if cl.MFAAuthenticated && !cl.MFAAuthTime.IsZero() {
		v.mfaTime = cl.MFAAuthTime
	}
	if cl.SourceIdentity != "" {
		v.static = append(v.static, kv{"aws:SourceIdentity", cl.SourceIdentity})
	}
	if cl.Provider != "" {
		v.static = append(v.static, kv{"aws:FederatedProvider", cl.Provider})
	}
	return nil
}

func userID(p *identity.Principal, fallback string) string {
	if p.PrincipalID != "" {
		return p.PrincipalID
	}
	return fallback
}

// mergeTags is the principal's tags overridden by session tags (keys
// compared case-insensitively, as AWS does).
func mergeTags(principal []kv, session []credential.Tag) []kv {
	out := make([]kv, 0, len(principal)+len(session))
	for _, t := range principal {
		name := t.key[len("aws:PrincipalTag/"):]
		overridden := false
		for _, s := range session {
			if strings.EqualFold(s.Key, name) {
				overridden = true
				break
			}
		}
		if !overridden {
			out = append(out, t)
		}
	}
	for _, s := range session {
		out = append(out, kv{"aws:PrincipalTag/" + s.Key, s.Value})
	}
	return out
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
