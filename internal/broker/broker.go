package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/broker/upstream"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/federation/issuer"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/sts"
)

// Store is what the broker needs of the store; a store.Store is one.
// Users and Roles bind the trust policies of brokered roles (package
// trust), Accounts tells Brevet's accounts from upstream ones.
type Store interface {
	Objects() store.Objects
	Accounts() store.Accounts
	Users() store.Users
	Roles() store.Roles
}

// Keys seals and opens upstream keys; *masterkey.Keyring is one.
type Keys interface {
	credential.Sealer
	credential.Opener
}

// TokenMinter mints the OIDC mode's web identity tokens: the node's
// federation issuer.
type TokenMinter interface {
	Mint(issuer.MintInput, time.Time) (*issuer.Token, error)
}

// Config configures New.
type Config struct {
	Store Store
	Keys  Keys
	// Issuer mints OIDC tokens; nil when Brevet's issuer is not enabled
	// (an OIDC-mode upstream then cannot be called).
	Issuer TokenMinter
	Log    *slog.Logger
	// CacheSize bounds the per-caller credential cache (entries per
	// node); zero is DefaultCacheSize.
	CacheSize int
	// Dial builds the client for an upstream (tests and the node pass
	// upstream.New).
	Dial func(upstream.Endpoint) (*upstream.Client, error)
}

// DefaultCacheSize is the credential cache's default bound.
const DefaultCacheSize = 10000

// Service is the broker: the registry of upstream accounts and brokered
// roles, the calls to the upstreams, key rotation and the credential
// cache. It is safe for concurrent use.
type Service struct {
	st     Store
	keys   Keys
	issuer TokenMinter
	log    *slog.Logger
	dial   func(upstream.Endpoint) (*upstream.Client, error)

	// mu guards dirty and stale, which Apply sets; refresh serializes
	// the rebuilds of idx.
	mu    sync.Mutex
	dirty map[ref]struct{}
	stale bool
	// clean is set while idx holds every change Apply marked: readers
	// then take idx without a lock. kicked is set while a background
	// refresh started by Apply runs.
	clean   atomic.Bool
	kicked  atomic.Bool
	idx     atomic.Pointer[index]
	refresh sync.Mutex

	clientsMu sync.Mutex
	clients   map[string]*dialed

	cache *credCache
}

// dialed is an upstream's client and the endpoint it was built for
// (endpointKey).
type dialed struct {
	key    string
	client *upstream.Client
}

// New returns the broker of cfg.Store, its registry loaded (so that
// Handles, which does no I/O, knows every upstream from the start).
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Keys == nil || cfg.Dial == nil {
		return nil, errors.New("broker: Store, Keys and Dial are required")
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	size := cfg.CacheSize
	if size <= 0 {
		size = DefaultCacheSize
	}
	s := &Service{st: cfg.Store, keys: cfg.Keys, issuer: cfg.Issuer, log: log, dial: cfg.Dial,
		dirty: map[ref]struct{}{}, stale: true, clients: map[string]*dialed{}, cache: newCredCache(size)}
	ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
	defer cancel()
	if _, err := s.current(ctx); err != nil {
		return nil, fmt.Errorf("broker: loading the registry: %w", err)
	}
	return s, nil
}

// loadTimeout bounds a read of the registry: New's first, and each
// refresh in the background.
const loadTimeout = 30 * time.Second

// ref names one stored object of the broker.
type ref struct{ account, kind, id string }

// roleEntry is a brokered role and its compiled Brevet-side view (or the
// error compiling it gave: the role then fails closed).
type roleEntry struct {
	role     Role
	brokered *sts.BrokeredRole
	err      error
}

// index is every upstream account and brokered role. It is never changed
// once published; a refresh builds a new one.
type index struct {
	ups   map[ref]*Upstream
	roles map[ref]*roleEntry
	// byID is the upstreams by upstream id (registered once per
	// installation); byARN the roles by their exact ARN.
	byID  map[string]*Upstream
	byARN map[string]*roleEntry
	// brevet is this installation's account ids: an upstream whose id
	// became one (an account created or imported after the upstream was
	// registered) is not brokered, so that Brevet's own roles of that
	// account stay Brevet's.
	brevet map[string]bool
}

// Handles reports whether account is a registered upstream account, from
// the index as last loaded: it does no I/O. A change another node made
// reaches it through Apply and a refresh in the background.
func (s *Service) Handles(account string) bool {
	idx := s.idx.Load()
	if !s.clean.Load() {
		s.kick()
	}
	return idx != nil && idx.byID[account] != nil
}

// Role returns the brokered role registered for arn (matched exactly,
// path and case included); a role not registered is an error wrapping
// store.ErrNotFound.
func (s *Service) Role(ctx context.Context, arn string) (*sts.BrokeredRole, error) {
	idx, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	e := idx.byARN[arn]
	if e == nil {
		return nil, fmt.Errorf("broker: brokered role %s: %w", arn, store.ErrNotFound)
	}
	return e.brokered, e.err
}

// Failing returns the upstream ids whose last rotation failed (and none
// succeeded since), sorted, from the index as last loaded (no I/O): the
// alert gauge brevet_broker_key_rotation_failing.
func (s *Service) Failing() []string {
	idx := s.idx.Load()
	if idx == nil {
		return nil
	}
	var out []string
	for id, u := range idx.byID {
		if u.Mode == ModeKey && !u.Rotation.Failed.IsZero() {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// Apply marks what changed for the next read to reload: an upstream or
// brokered role (on this node or another), or an account (created or
// deleted: everything is reloaded). It does no I/O itself; it starts a
// refresh in the background so that Handles catches up.
func (s *Service) Apply(changes []store.Change) {
	marked := false
	s.mu.Lock()
	for _, c := range changes {
		switch c.Kind {
		case store.ChangeAccount:
			s.stale, marked = true, true
		case store.ChangeObject:
			if kind, id := store.SplitObjectKey(c.Key); kind == KindUpstream || kind == KindRole {
				s.dirty[ref{c.Account, kind, id}] = struct{}{}
				marked = true
			}
		}
	}
	if marked {
		s.clean.Store(false)
	}
	s.mu.Unlock()
	if marked {
		s.kick()
	}
}

// kick refreshes the index in the background, once at a time.
func (s *Service) kick() {
	if !s.kicked.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer s.kicked.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
		defer cancel()
		if _, err := s.current(ctx); err != nil {
			s.log.Warn("broker: refreshing the registry", "err", err)
		}
	}()
}

// current returns the index, brought up to date first when Apply marked
// something since it was built.
func (s *Service) current(ctx context.Context) (*index, error) {
	if s.clean.Load() {
		return s.idx.Load(), nil
	}
	s.refresh.Lock()
	defer s.refresh.Unlock()
	if s.clean.Load() {
		return s.idx.Load(), nil
	}
	s.mu.Lock()
	dirty, full := s.dirty, s.stale || s.idx.Load() == nil
	s.dirty, s.stale = map[ref]struct{}{}, false
	s.mu.Unlock()
	idx, err := s.rebuild(ctx, dirty, full)
	if err != nil {
		s.mu.Lock()
		maps.Copy(s.dirty, dirty)
		s.stale = s.stale || full
		s.mu.Unlock()
		return nil, err
	}
	s.mu.Lock()
	old := s.idx.Swap(idx)
	if len(s.dirty) == 0 && !s.stale {
		s.clean.Store(true)
	}
	s.mu.Unlock()
	s.forget(old, idx)
	return idx, nil
}

// sync marks one object this node wrote and reloads it at once, so that
// the writing node answers from what it wrote (the change feed brings it
// to the others).
func (s *Service) sync(ctx context.Context, account, kind, id string) error {
	s.mu.Lock()
	s.dirty[ref{account, kind, id}] = struct{}{}
	s.clean.Store(false)
	s.mu.Unlock()
	_, err := s.current(ctx)
	return err
}

// rebuild makes the next index: from the store when full, else from the
// current one with the dirty objects read again.
func (s *Service) rebuild(ctx context.Context, dirty map[ref]struct{}, full bool) (*index, error) {
	idx := &index{ups: map[ref]*Upstream{}, roles: map[ref]*roleEntry{}, brevet: map[string]bool{}}
	var err error
	if full {
		err = s.loadAll(ctx, idx)
	} else {
		err = s.reload(ctx, idx, dirty)
	}
	if err != nil {
		return nil, err
	}
	idx.link()
	return idx, nil
}

// loadAll reads every account's upstreams and brokered roles into idx.
func (s *Service) loadAll(ctx context.Context, idx *index) error {
	accts, err := s.st.Accounts().List(ctx)
	if err != nil {
		return err
	}
	for _, a := range accts {
		idx.brevet[a.ID] = true
		for _, kind := range []string{KindUpstream, KindRole} {
			objs, err := s.st.Objects().List(ctx, a.ID, kind, "", 0)
			if err != nil {
				return err
			}
			for _, o := range objs {
				if err := idx.put(o); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// reload fills idx with the current index, the dirty objects read again
// (dropped when gone).
func (s *Service) reload(ctx context.Context, idx *index, dirty map[ref]struct{}) error {
	cur := s.idx.Load()
	idx.ups, idx.roles, idx.brevet = maps.Clone(cur.ups), maps.Clone(cur.roles), cur.brevet
	for r := range dirty {
		o, err := s.st.Objects().Get(ctx, r.account, r.kind, r.id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			delete(idx.ups, r)
			delete(idx.roles, r)
			continue
		case err != nil:
			return err
		}
		if err := idx.put(o); err != nil {
			return err
		}
	}
	return nil
}

// link indexes idx's upstreams by id and roles by ARN: only those that
// are brokered.
func (idx *index) link() {
	idx.byID = make(map[string]*Upstream, len(idx.ups))
	for _, u := range idx.ups {
		if idx.brevet[u.ID] {
			continue
		}
		// Registered once per installation; should two accounts hold
		// the id (registered before the claims of CreateUpstream), the
		// first registered keeps it, every node alike.
		if o := idx.byID[u.ID]; o == nil || u.Created.Before(o.Created) ||
			u.Created.Equal(o.Created) && u.Account < o.Account {
			idx.byID[u.ID] = u
		}
	}
	idx.byARN = make(map[string]*roleEntry, len(idx.roles))
	for _, e := range idx.roles {
		// A role is brokered only with its own account's upstream: a
		// role left behind by a removed upstream never reaches an
		// upstream another account registered since.
		if u := idx.byID[e.role.Upstream]; u != nil && u.Account == e.role.Account {
			idx.byARN[e.role.ARN] = e
		}
	}
}

// put decodes one object into idx.
func (idx *index) put(o store.Object) error {
	r := ref{o.Account, o.Kind, o.ID}
	switch o.Kind {
	case KindUpstream:
		u, err := decodeUpstream(o)
		if err != nil {
			return err
		}
		idx.ups[r] = &u
	case KindRole:
		role, err := decodeRole(o)
		if err != nil {
			return err
		}
		e := &roleEntry{role: role}
		e.brokered, e.err = compileRole(&role)
		idx.roles[r] = e
	}
	return nil
}

// compileRole is a brokered role as sts.AssumeRole authorizes it.
func compileRole(r *Role) (*sts.BrokeredRole, error) {
	ref, err := iam.ParseEntityARN(r.ARN)
	if err != nil {
		return nil, fmt.Errorf("broker: brokered role %s: %w", r.ARN, err)
	}
	ar, err := authz.CompileRole(iam.Role{Account: r.Upstream, Name: ref.Name, Path: ref.Path, TrustPolicy: r.TrustPolicy,
		TrustBindings: r.TrustBindings, MaxSessionDuration: r.MaxSessionDuration, Description: r.Description})
	if err != nil {
		return nil, fmt.Errorf("broker: brokered role %s: %w", r.ARN, err)
	}
	return &sts.BrokeredRole{Role: ar, SessionPolicy: r.SessionPolicy}, nil
}

// forget drops what the node keeps of an upstream that was removed, or
// whose endpoint or key changed: its client, its cached credentials.
func (s *Service) forget(old, cur *index) {
	if old == nil {
		return
	}
	for id, u := range old.byID {
		n := cur.byID[id]
		if n == nil || keyID(n) != keyID(u) || endpointKey(n) != endpointKey(u) {
			s.clientsMu.Lock()
			delete(s.clients, id)
			s.clientsMu.Unlock()
			s.cache.dropUpstream(id)
		}
	}
}

// keyID is the access key id an upstream is called with ("" in OIDC
// mode).
func keyID(u *Upstream) string {
	if u.Key == nil {
		return ""
	}
	return u.Key.AccessKeyID
}
