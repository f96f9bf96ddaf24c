package assign

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/brevet-dev/brevet/internal/sso"
	"github.com/brevet-dev/brevet/internal/store"
)

// Grant is a role a person may obtain: its account and name.
type Grant struct {
	Account, RoleName string
}

// ref names one assignment object.
type ref struct{ account, id string }

// index is every assignment, by object and by principal key. It is never
// changed once published; a refresh builds a new one.
type index struct {
	entries map[ref]Grant
	byKey   map[string][]Grant
}

// Grants returns the roles the principal keys (sso.Identity.PrincipalKeys)
// are assigned, sorted by account then role name, each once.
func (a *Assignments) Grants(ctx context.Context, keys []string) ([]Grant, error) {
	idx, err := a.current(ctx)
	if err != nil {
		return nil, err
	}
	var out []Grant
	for _, k := range keys {
		out = append(out, idx.byKey[k]...)
	}
	slices.SortFunc(out, compareGrants)
	return slices.Compact(out), nil
}

// Allowed reports whether one of the principal keys is assigned the role
// of account (its name compared as IAM compares names, without case).
func (a *Assignments) Allowed(ctx context.Context, keys []string, account, role string) (bool, error) {
	idx, err := a.current(ctx)
	if err != nil {
		return false, err
	}
	for _, k := range keys {
		for _, g := range idx.byKey[k] {
			if g.Account == account && strings.EqualFold(g.RoleName, role) {
				return true, nil
			}
		}
	}
	return false, nil
}

func compareGrants(x, y Grant) int {
	return cmp.Or(strings.Compare(x.Account, y.Account), strings.Compare(x.RoleName, y.RoleName))
}

// Apply marks what changed for the next read to reload: an assignment
// object (on this node or another), or an account (created or deleted:
// everything is reloaded). It does no I/O.
func (a *Assignments) Apply(changes []store.Change) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, c := range changes {
		switch c.Kind {
		case store.ChangeAccount:
			a.stale = true
			a.clean.Store(false)
		case store.ChangeObject:
			if kind, id := store.SplitObjectKey(c.Key); kind == sso.KindAssignment {
				a.dirty[ref{c.Account, id}] = struct{}{}
				a.clean.Store(false)
			}
		}
	}
}

// current returns the index, brought up to date first when Apply marked
// something since it was built.
func (a *Assignments) current(ctx context.Context) (*index, error) {
	if a.clean.Load() {
		return a.idx.Load(), nil
	}
	a.refresh.Lock()
	defer a.refresh.Unlock()
	if a.clean.Load() {
		return a.idx.Load(), nil
	}
	a.mu.Lock()
	dirty, full := a.dirty, a.stale || a.idx.Load() == nil
	a.dirty, a.stale = map[ref]struct{}{}, false
	a.mu.Unlock()
	idx, err := a.rebuild(ctx, dirty, full)
	if err != nil {
		a.mu.Lock()
		maps.Copy(a.dirty, dirty)
		a.stale = a.stale || full
		a.mu.Unlock()
		return nil, err
	}
	a.mu.Lock()
	a.idx.Store(idx)
	if len(a.dirty) == 0 && !a.stale { // no Apply marked anything meanwhile
		a.clean.Store(true)
	}
	a.mu.Unlock()
	return idx, nil
}

// rebuild makes the next index: from the store when full, else from the
// current one with the dirty objects read again.
func (a *Assignments) rebuild(ctx context.Context, dirty map[ref]struct{}, full bool) (*index, error) {
	entries := map[ref]Grant{}
	if full {
		accts, err := a.st.Accounts().List(ctx)
		if err != nil {
			return nil, err
		}
		for _, acct := range accts {
			objs, err := a.st.Objects().List(ctx, acct.ID, sso.KindAssignment, "", 0)
			if err != nil {
				return nil, err
			}
			for _, o := range objs {
				as, err := decode(o)
				if err != nil {
					return nil, err
				}
				entries[ref{o.Account, o.ID}] = grantOf(&as)
			}
		}
	} else {
		entries = maps.Clone(a.idx.Load().entries)
		for r := range dirty {
			o, err := a.st.Objects().Get(ctx, r.account, sso.KindAssignment, r.id)
			switch {
			case errors.Is(err, store.ErrNotFound):
				delete(entries, r)
				continue
			case err != nil:
				return nil, err
			}
			as, err := decode(o)
			if err != nil {
				return nil, err
			}
			entries[r] = grantOf(&as)
		}
	}
	idx := &index{entries: entries, byKey: map[string][]Grant{}}
	for r, g := range entries {
		_, key, _ := strings.Cut(r.id, "/")
		idx.byKey[key] = append(idx.byKey[key], g)
	}
	return idx, nil
}

func grantOf(as *Assignment) Grant { return Grant{Account: as.Account, RoleName: as.RoleName} }
