package identitypool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/brevet-dev/brevet/internal/store"
)

// A returning identity's GetId reads its login object and its identity,
// and GetCredentialsForIdentity reads the identity again: three store
// reads a pair, each a SQLite query, which cost more than the rest of
// the identity pool's work. objectCache keeps the identities and login
// objects read, in front of the store, as poolCache keeps pools:
//
//   - it serves Get and Find of KindIdentity and KindLogin from memory
//     after the first read, and passes everything else to the store;
//   - every write of those kinds through it drops the object before and
//     after the write, and the change feed (Apply) drops what other nodes
//     changed;
//   - a load stores its result only if no drop happened since it began
//     (the generation), so a read that raced a write is not kept.
//
// Objects are cached by kind and id only: identity ids and pool ids (in
// login keys) are drawn at random, so one names at most one object
// across accounts (as findPool assumes). Only objects found are kept.
// The bodies it returns are shared: read-only for everyone. An identity
// is also kept decoded (identity), since decoding its JSON was the
// largest part of a returning identity's reads from memory.
type objectCache struct {
	store.Objects
	mu      sync.RWMutex
	entries map[string]cachedObject // by store.ObjectKey(kind, id)
	gen     atomic.Uint64
}

// cachedObject is a cached object and, for an identity, its body decoded
// (nil if it does not decode): shared, read-only.
type cachedObject struct {
	store.Object
	ident *Identity
}

// maxCachedObjects bounds the cache: a full map is emptied rather than
// grown. An identity's object is a few hundred bytes.
const maxCachedObjects = 65536

func cachedKind(kind string) bool { return kind == KindIdentity || kind == KindLogin }

func (c *objectCache) lookup(kind, id string) (cachedObject, bool) {
	c.mu.RLock()
	o, ok := c.entries[store.ObjectKey(kind, id)]
	c.mu.RUnlock()
	return o, ok
}

// put keeps o, read by a load that began at generation gen, unless a
// drop happened since; an identity is decoded first. It returns what it
// kept (or would have).
func (c *objectCache) put(gen uint64, o store.Object) cachedObject {
	co := cachedObject{Object: o}
	if o.Kind == KindIdentity {
		var ident Identity
		if json.Unmarshal(o.Body, &ident) == nil {
			co.ident = &ident
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return co
	}
	if c.entries == nil || len(c.entries) >= maxCachedObjects {
		c.entries = make(map[string]cachedObject)
	}
	c.entries[store.ObjectKey(o.Kind, o.ID)] = co
	return co
}

// drop forgets the object of kind and id.
func (c *objectCache) drop(kind, id string) {
	c.mu.Lock()
	c.gen.Add(1)
	delete(c.entries, store.ObjectKey(kind, id))
	c.mu.Unlock()
}

func (c *objectCache) Get(ctx context.Context, account, kind, id string) (store.Object, error) {
	if !cachedKind(kind) {
		return c.Objects.Get(ctx, account, kind, id)
	}
	if o, ok := c.lookup(kind, id); ok && o.Account == account {
		return o.Object, nil
	}
	gen := c.gen.Load()
	o, err := c.Objects.Get(ctx, account, kind, id)
	if err == nil {
		c.put(gen, o)
	}
	return o, err
}

func (c *objectCache) Find(ctx context.Context, kind, id string) ([]store.Object, error) {
	if !cachedKind(kind) {
		return c.Objects.Find(ctx, kind, id)
	}
	if o, ok := c.lookup(kind, id); ok {
		return []store.Object{o.Object}, nil
	}
	gen := c.gen.Load()
	found, err := c.Objects.Find(ctx, kind, id)
	if err == nil && len(found) == 1 {
		c.put(gen, found[0])
	}
	return found, err
}

// identity is the identity id (of account, or of any account when
// account is ""), with its body decoded: from memory after the first
// read. The decoded identity is shared: the caller copies it. ok is false
// when there is none.
func (c *objectCache) identity(ctx context.Context, account, id string) (o store.Object, ident *Identity, ok bool, err error) {
	if co, hit := c.lookup(KindIdentity, id); hit && (account == "" || co.Account == account) && co.ident != nil {
		return co.Object, co.ident, true, nil
	}
	gen := c.gen.Load()
	if account == "" {
		found, err := c.Objects.Find(ctx, KindIdentity, id)
		if err != nil || len(found) == 0 {
			return store.Object{}, nil, false, err
		}
		o = found[0]
	} else if o, err = c.Objects.Get(ctx, account, KindIdentity, id); errors.Is(err, store.ErrNotFound) {
		return store.Object{}, nil, false, nil
	} else if err != nil {
		return store.Object{}, nil, false, err
	}
	co := c.put(gen, o)
	if co.ident == nil {
		var ident Identity
		if err := json.Unmarshal(o.Body, &ident); err != nil {
			return store.Object{}, nil, false, fmt.Errorf("identitypool: identity %s: %w", o.ID, err)
		}
		co.ident = &ident
	}
	return o, co.ident, true, nil
}

// write runs a write of kind and id, dropping the object before and
// after it when it is of a cached kind.
func (c *objectCache) write(kind, id string, do func() error) error {
	if !cachedKind(kind) {
		return do()
	}
	c.drop(kind, id)
	defer c.drop(kind, id)
	return do()
}

func (c *objectCache) Create(ctx context.Context, o store.Object) error {
	return c.write(o.Kind, o.ID, func() error { return c.Objects.Create(ctx, o) })
}

func (c *objectCache) Update(ctx context.Context, o store.Object) error {
	return c.write(o.Kind, o.ID, func() error { return c.Objects.Update(ctx, o) })
}

func (c *objectCache) UpdateIf(ctx context.Context, o store.Object, match []byte) error {
	return c.write(o.Kind, o.ID, func() error { return c.Objects.UpdateIf(ctx, o, match) })
}

func (c *objectCache) Delete(ctx context.Context, account, kind, id string) error {
	return c.write(kind, id, func() error { return c.Objects.Delete(ctx, account, kind, id) })
}

// apply drops the cached objects the changes name.
func (c *objectCache) apply(changes []store.Change) {
	for _, ch := range changes {
		if ch.Kind != store.ChangeObject {
			continue
		}
		if kind, id := store.SplitObjectKey(ch.Key); cachedKind(kind) {
			c.drop(kind, id)
		}
	}
}
