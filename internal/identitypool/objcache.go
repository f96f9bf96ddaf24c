package identitypool

import (
	"context"
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
// The bodies it returns are shared: read-only for everyone.
type objectCache struct {
	store.Objects
	mu      sync.RWMutex
	entries map[string]store.Object // by store.ObjectKey(kind, id)
	gen     atomic.Uint64
}

// maxCachedObjects bounds the cache: a full map is emptied rather than
// grown. An identity's object is a few hundred bytes.
const maxCachedObjects = 65536

func cachedKind(kind string) bool { return kind == KindIdentity || kind == KindLogin }

func (c *objectCache) lookup(kind, id string) (store.Object, bool) {
	c.mu.RLock()
	o, ok := c.entries[store.ObjectKey(kind, id)]
	c.mu.RUnlock()
	return o, ok
}

// put keeps o, read by a load that began at generation gen, unless a
// drop happened since.
func (c *objectCache) put(gen uint64, o store.Object) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return
	}
	if c.entries == nil || len(c.entries) >= maxCachedObjects {
		c.entries = make(map[string]store.Object)
	}
	c.entries[store.ObjectKey(o.Kind, o.ID)] = o
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
		return o, nil
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
		return []store.Object{o}, nil
	}
	gen := c.gen.Load()
	found, err := c.Objects.Find(ctx, kind, id)
	if err == nil && len(found) == 1 {
		c.put(gen, found[0])
	}
	return found, err
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
