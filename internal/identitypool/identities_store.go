package identitypool

// The identities in store.Objects. Three kinds hold them:
//
//   - KindIdentity, the identity (its body lists its logins): the record
//     DescribeIdentity shows and authenticate checks a request against.
//   - KindLogin, one per linked login, keyed by the login alone: the
//     authority on which identity a login belongs to. It is created with
//     Objects.Create, so two requests that see a login for the first time
//     at once cannot both take it: the loser finds the winner's and
//     uses it.
//   - KindMember, one per identity, keyed by pool then identity, which
//     ListIdentities pages.
//
// A returning identity is found with reads only. Writes that touch an
// identity's body are compare-and-swap (UpdateIf) so that concurrent
// links and merges do not lose each other's logins; a login object that
// points to an identity that no longer exists (a merge or delete cut
// short) is stale, and the next login takes it over.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
)

// LoginKey is the KindLogin id of the login (provider, subject) of pool.
func LoginKey(pool, provider, subject string) string {
	h := sha256.Sum256([]byte(provider + "\x00" + subject))
	return pool + "/" + hex.EncodeToString(h[:])
}

// MemberKey is the KindMember id of identity in pool.
func MemberKey(pool, identity string) string { return pool + "/" + identity }

// loginBody is a KindLogin's body.
type loginBody struct {
	IdentityId string
}

// storedIdentity is an identity as read, with its body as stored (the
// match of a compare-and-swap).
type storedIdentity struct {
	Account string
	Identity
	raw []byte
}

// errRace says that a concurrent change got in the way: the caller reads
// again and retries.
var errRace = errors.New("identitypool: concurrent change, retry")

// maxRetries bounds the retries of a write that lost a race.
const maxRetries = 8

// newIdentityID is a new identity id: REGION:uuid-v4.
func (s *Service) newIdentityID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(s.rnd, b[:]); err != nil {
		return "", fmt.Errorf("identitypool: identity id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return s.region + ":" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// validIdentityID reports whether id has the model's shape
// ([\w-]+:[0-9a-f-]+, 1–55).
func validIdentityID(id string) bool {
	region, rest, ok := strings.Cut(id, ":")
	if !ok || len(id) > 55 || region == "" || rest == "" {
		return false
	}
	for _, c := range region {
		if !(c == '-' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	for _, c := range rest {
		if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func identityNotFound(id string) *Error {
	return notFound("Identity '%s' not found.", id)
}

// getIdentity reads the identity id of account; nil, nil when there is
// none.
func (s *Service) getIdentity(ctx context.Context, account, id string) (*storedIdentity, error) {
	return s.cachedIdentity(ctx, account, id)
}

// findIdentity reads the identity id whatever its account; nil, nil when
// there is none.
func (s *Service) findIdentity(ctx context.Context, id string) (*storedIdentity, error) {
	return s.cachedIdentity(ctx, "", id)
}

// cachedIdentity is the identity id of account ("": any) from the object
// cache, decoded there once: a copy the caller may change.
func (s *Service) cachedIdentity(ctx context.Context, account, id string) (*storedIdentity, error) {
	o, ident, ok, err := s.objs.identity(ctx, account, id)
	if !ok || err != nil {
		return nil, err
	}
	si := &storedIdentity{Account: o.Account, Identity: *ident, raw: o.Body}
	si.Logins = slices.Clone(ident.Logins)
	return si, nil
}

// identity returns the identity id, whatever its account, with the
// account; ResourceNotFoundException when there is none.
func (s *Service) identity(ctx context.Context, id string) (account string, ident *Identity, err error) {
	if !validIdentityID(id) {
		return "", nil, invalid("1 validation error detected: Value at 'identityId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+")
	}
	si, err := s.findIdentity(ctx, id)
	if err != nil {
		return "", nil, err
	}
	if si == nil {
		return "", nil, identityNotFound(id)
	}
	return si.Account, &si.Identity, nil
}

// loginOwner is the identity the login of pool belongs to: its id and
// the login object's body ("" and nil when no identity holds it).
func (s *Service) loginOwner(ctx context.Context, account, pool string, l Login) (string, []byte, error) {
	o, err := s.objects.Get(ctx, account, KindLogin, LoginKey(pool, l.Provider, l.Subject))
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	var b loginBody
	if err := json.Unmarshal(o.Body, &b); err != nil {
		return "", nil, fmt.Errorf("identitypool: login object: %w", err)
	}
	return b.IdentityId, o.Body, nil
}

// claim points the login of pool to identity: creates its object, or
// takes over the object whose body is stale (it named an identity that is
// gone, or the one being merged away). errRace when someone else changed
// it first.
func (s *Service) claim(ctx context.Context, account, pool string, l Login, identity string, stale []byte, now time.Time) error {
	body, _ := json.Marshal(loginBody{IdentityId: identity})
	o := store.Object{Account: account, Kind: KindLogin, ID: LoginKey(pool, l.Provider, l.Subject), Body: body, Created: now, Updated: now}
	var err error
	if stale == nil {
		err = s.objects.Create(ctx, o)
	} else {
		err = s.objects.UpdateIf(ctx, o, stale)
	}
	if errors.Is(err, store.ErrConflict) || (stale != nil && errors.Is(err, store.ErrNotFound)) {
		return errRace
	}
	return err
}

// release deletes the login object of pool if it still names identity.
func (s *Service) release(ctx context.Context, account, pool string, l Login, identity string) error {
	owner, _, err := s.loginOwner(ctx, account, pool, l)
	if err != nil || owner != identity {
		return err
	}
	err = s.objects.Delete(ctx, account, KindLogin, LoginKey(pool, l.Provider, l.Subject))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// createIdentity stores a new identity of pool with logins, and claims
// them. When another request claimed one of them first, it undoes itself
// and answers errRace: the caller then finds the other's identity.
func (s *Service) createIdentity(ctx context.Context, account, pool string, logins []Login, now time.Time) (*storedIdentity, error) {
	id, err := s.newIdentityID()
	if err != nil {
		return nil, err
	}
	ident := Identity{IdentityId: id, IdentityPoolId: pool, Logins: logins, Created: now, LastModified: now}
	body, err := json.Marshal(ident)
	if err != nil {
		return nil, err
	}
	if err := s.objects.Create(ctx, store.Object{Account: account, Kind: KindIdentity, ID: id, Body: body, Created: now, Updated: now}); err != nil {
		return nil, err
	}
	if err := s.objects.Create(ctx, store.Object{Account: account, Kind: KindMember, ID: MemberKey(pool, id), Body: []byte{}, Created: now, Updated: now}); err != nil {
		return nil, err
	}
	for i, l := range logins {
		err := s.claim(ctx, account, pool, l, id, nil, now)
		if err == nil {
			continue
		}
		for _, c := range logins[:i] {
			if rerr := s.release(ctx, account, pool, c, id); rerr != nil {
				return nil, rerr
			}
		}
		if derr := s.removeIdentity(ctx, account, pool, id); derr != nil {
			return nil, derr
		}
		return nil, err
	}
	return &storedIdentity{Account: account, Identity: ident, raw: body}, nil
}

// removeIdentity deletes an identity's object and membership (not its
// logins).
func (s *Service) removeIdentity(ctx context.Context, account, pool, id string) error {
	if err := s.objects.Delete(ctx, account, KindMember, MemberKey(pool, id)); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err := s.objects.Delete(ctx, account, KindIdentity, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// deleteIdentity deletes an identity with its logins and membership.
func (s *Service) deleteIdentity(ctx context.Context, si *storedIdentity) error {
	for _, l := range si.Logins {
		if err := s.release(ctx, si.Account, si.IdentityPoolId, l, si.IdentityId); err != nil {
			return err
		}
	}
	return s.removeIdentity(ctx, si.Account, si.IdentityPoolId, si.IdentityId)
}

// mutate applies change to the stored identity and writes it back if it
// is unchanged since it was read, reading again and reapplying on a
// race. It returns the identity as written; ResourceNotFoundException
// when it is gone. A change that returns errUnchanged writes nothing.
func (s *Service) mutate(ctx context.Context, si *storedIdentity, now time.Time, change func(*Identity) error) (*storedIdentity, error) {
	for range maxRetries {
		next := si.Identity
		next.Logins = slices.Clone(si.Logins)
		if err := change(&next); errors.Is(err, errUnchanged) {
			return si, nil
		} else if err != nil {
			return nil, err
		}
		next.LastModified = now
		body, err := json.Marshal(next)
		if err != nil {
			return nil, err
		}
		err = s.objects.UpdateIf(ctx, store.Object{Account: si.Account, Kind: KindIdentity, ID: si.IdentityId, Body: body, Updated: now}, si.raw)
		if err == nil {
			return &storedIdentity{Account: si.Account, Identity: next, raw: body}, nil
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil, identityNotFound(si.IdentityId)
		}
		if !errors.Is(err, store.ErrConflict) {
			return nil, err
		}
		fresh, err := s.getIdentity(ctx, si.Account, si.IdentityId)
		if err != nil {
			return nil, err
		}
		if fresh == nil {
			return nil, identityNotFound(si.IdentityId)
		}
		si = fresh
	}
	return nil, errRace
}

var errUnchanged = errors.New("identitypool: unchanged")

// hasLogin reports whether ident holds l.
func (ident *Identity) hasLogin(l Login) bool { return slices.Contains(ident.Logins, l) }

// addLogins adds logins to ident: LimitExceededException past MaxLogins,
// ResourceConflictException when a provider would have two subjects. The
// pool's developer provider dev may have several (AWS's
// DeveloperUserIdentifierList): the back end vouches for each.
func addLogins(ident *Identity, logins []Login, dev string) error {
	added := false
	for _, l := range logins {
		if ident.hasLogin(l) {
			continue
		}
		for _, h := range ident.Logins {
			if h.Provider == l.Provider && l.Provider != dev {
				return &Error{Code: CodeConflict, Message: "The identity already has a different login of provider '" + l.Provider + "'.",
					Reason: "linking would give the provider two subjects in identity " + ident.IdentityId}
			}
		}
		if len(ident.Logins) >= MaxLogins {
			return &Error{Code: CodeLimitExceeded, Message: fmt.Sprintf("An identity can have at most %d logins.", MaxLogins)}
		}
		ident.Logins = append(ident.Logins, l)
		added = true
	}
	if !added {
		return errUnchanged
	}
	return nil
}

// link adds logins, none of which any live identity holds, to si: it
// checks the limits, claims each login (stale: the login objects' bodies
// that name an identity gone, by login), then lists them in the
// identity's body.
//
// guard, when set, must accept the identity as written: it is checked
// against the identity read before any claim, and again in the write. A
// write refused leaves the logins it claimed free again.
func (s *Service) link(ctx context.Context, si *storedIdentity, dev string, logins []Login, stale map[Login][]byte, now time.Time, guard guard) (*storedIdentity, error) {
	check := si.Identity
	check.Logins = slices.Clone(si.Logins)
	if err := guard.check(&check); err != nil {
		return nil, err
	}
	if err := addLogins(&check, logins, dev); errors.Is(err, errUnchanged) {
		return si, nil
	} else if err != nil {
		return nil, err
	}
	var claimed []Login
	var raced error
	for _, l := range logins {
		if si.hasLogin(l) {
			continue
		}
		if err := s.claim(ctx, si.Account, si.IdentityPoolId, l, si.IdentityId, stale[l], now); errors.Is(err, errRace) {
			raced = err
			continue
		} else if err != nil {
			return nil, err
		}
		claimed = append(claimed, l)
	}
	if len(claimed) > 0 {
		next, err := s.mutate(ctx, si, now, func(ident *Identity) error {
			if err := guard.check(ident); err != nil {
				return err
			}
			return addLogins(ident, claimed, dev)
		})
		if err != nil {
			for _, l := range claimed {
				if rerr := s.release(ctx, si.Account, si.IdentityPoolId, l, si.IdentityId); rerr != nil {
					return nil, errors.Join(err, rerr)
				}
			}
			return nil, err
		}
		si = next
	}
	if raced != nil {
		return nil, raced
	}
	return si, nil
}

// mergeInto moves from's logins to into and deletes from: refused when
// into would then hold two subjects of a provider
// (ResourceConflictException) or more than MaxLogins logins.
func (s *Service) mergeInto(ctx context.Context, into, from *storedIdentity, dev string, now time.Time, guard guard) (*storedIdentity, error) {
	next, err := s.mutate(ctx, into, now, func(ident *Identity) error {
		if err := guard.check(ident); err != nil {
			return err
		}
		return addLogins(ident, from.Logins, dev)
	})
	if err != nil {
		return nil, err
	}
	for _, l := range from.Logins {
		owner, body, err := s.loginOwner(ctx, from.Account, from.IdentityPoolId, l)
		if err != nil {
			return nil, err
		}
		if owner != from.IdentityId {
			continue
		}
		if err := s.claim(ctx, from.Account, from.IdentityPoolId, l, into.IdentityId, body, now); err != nil && !errors.Is(err, errRace) {
			return nil, err
		}
	}
	if err := s.removeIdentity(ctx, from.Account, from.IdentityPoolId, from.IdentityId); err != nil {
		return nil, err
	}
	return next, nil
}

// older reports whether a was made before b (the survivor of a merge):
// by creation, then by id.
func older(a, b *storedIdentity) bool {
	if !a.Created.Equal(b.Created) {
		return a.Created.Before(b.Created)
	}
	return a.IdentityId < b.IdentityId
}

// unlinkLogins removes the logins of providers from si and deletes their
// login objects. The objects go first, then the identity's list: a GetId
// with such a login in between finds it free (a new identity) or still
// linked (this one, about to lose it), never listed here without its
// object, which the repair of a link cut short would otherwise keep.
func (s *Service) unlinkLogins(ctx context.Context, si *storedIdentity, providers []string, now time.Time) (*storedIdentity, error) {
	var removed []Login
	for _, l := range si.Logins {
		if slices.Contains(providers, l.Provider) {
			removed = append(removed, l)
		}
	}
	return s.unlink(ctx, si, removed, now)
}

// unlink takes the logins removed off si: their objects first, then the
// identity's list (unlinkLogins says why).
func (s *Service) unlink(ctx context.Context, si *storedIdentity, removed []Login, now time.Time) (*storedIdentity, error) {
	if len(removed) == 0 {
		return si, nil
	}
	for _, l := range removed {
		if err := s.release(ctx, si.Account, si.IdentityPoolId, l, si.IdentityId); err != nil {
			return nil, err
		}
	}
	return s.mutate(ctx, si, now, func(ident *Identity) error {
		n := len(ident.Logins)
		ident.Logins = slices.DeleteFunc(ident.Logins, func(l Login) bool { return slices.Contains(removed, l) })
		if len(ident.Logins) == n {
			return errUnchanged
		}
		return nil
	})
}

// resolve finds the identity of a request's logins in pool, making,
// linking and merging as needed: the identities that hold any of logins,
// and those of have (identity ids the request proved otherwise: the one
// GetCredentialsForIdentity names, a developer token's), become one, the
// oldest; the logins no one holds are linked to it; none at all makes a
// new identity. dev is the pool's developer provider (addLogins). A
// returning identity costs reads only.
func (s *Service) resolve(ctx context.Context, account, pool, dev string, logins []Login, have []string, now time.Time) (*storedIdentity, error) {
	return s.resolveGuarded(ctx, account, pool, dev, logins, have, now, nil)
}

// guard vets an identity about to be written: authenticate's check that
// the identity a request names is still a guest or still holds one of
// its logins (another request may have made the guest someone else's
// since it was read). nil accepts all.
type guard func(*Identity) error

func (g guard) check(ident *Identity) error {
	if g == nil {
		return nil
	}
	return g(ident)
}

// resolveGuarded is resolve with every write of an identity vetted by
// guard.
func (s *Service) resolveGuarded(ctx context.Context, account, pool, dev string, logins []Login, have []string, now time.Time, guard guard) (*storedIdentity, error) {
	si, _, err := s.resolveRead(ctx, account, pool, dev, logins, have, now, guard)
	return si, err
}

// resolveRead is resolveGuarded that also reports whether it only read:
// the logins' identity was there with every one of them, nothing was
// created, linked or merged, and no earlier attempt lost a race (which
// may have written before it did).
func (s *Service) resolveRead(ctx context.Context, account, pool, dev string, logins []Login, have []string, now time.Time, guard guard) (*storedIdentity, bool, error) {
	for i := range maxRetries {
		si, read, err := s.resolveOnce(ctx, account, pool, dev, logins, have, now, guard)
		if !errors.Is(err, errRace) {
			return si, read && i == 0, err
		}
	}
	return nil, false, &Error{Code: CodeConcurrentChange, Message: "The identity was changed concurrently; try again."}
}

// wrote is a resolveOnce result that wrote.
func wrote(si *storedIdentity, err error) (*storedIdentity, bool, error) { return si, false, err }

// resolveOnce is one attempt of resolveRead.
func (s *Service) resolveOnce(ctx context.Context, account, pool, dev string, logins []Login, have []string, now time.Time, guard guard) (*storedIdentity, bool, error) {
	owners := map[string]*storedIdentity{}
	var order []*storedIdentity
	load := func(id string) (*storedIdentity, error) {
		if si, ok := owners[id]; ok {
			return si, nil
		}
		si, err := s.getIdentity(ctx, account, id)
		if err != nil || si == nil || si.IdentityPoolId != pool {
			return nil, err
		}
		owners[id] = si
		order = append(order, si)
		return si, nil
	}
	for _, id := range have {
		si, err := load(id)
		if err != nil {
			return nil, false, err
		}
		if si == nil {
			return nil, false, identityNotFound(id)
		}
	}
	var free []Login
	stale := map[Login][]byte{}
	type held struct {
		owner string
		body  []byte
	}
	heldBy := map[Login]held{}
	for _, l := range logins {
		owner, body, err := s.loginOwner(ctx, account, pool, l)
		if err != nil {
			return nil, false, err
		}
		if owner != "" {
			si, err := load(owner)
			if err != nil {
				return nil, false, err
			}
			if si != nil {
				heldBy[l] = held{owner, body}
				continue
			}
			stale[l] = body
		}
		free = append(free, l)
	}
	if len(order) == 0 {
		if len(stale) > 0 {
			// Take the stale logins over with a new identity: create it
			// without them, then link.
			si, err := s.createIdentity(ctx, account, pool, nil, now)
			if err != nil {
				return nil, false, err
			}
			return wrote(s.link(ctx, si, dev, free, stale, now, nil))
		}
		return wrote(s.createIdentity(ctx, account, pool, free, now))
	}
	winner := order[0]
	for _, si := range order[1:] {
		if older(si, winner) {
			winner = si
		}
	}
	for _, si := range order {
		if si.IdentityId == winner.IdentityId {
			continue
		}
		next, err := s.mergeInto(ctx, winner, si, dev, now, guard)
		if err != nil {
			return nil, false, err
		}
		winner = next
	}
	// A login whose object names an identity whose body does not list it
	// (a link cut short) is pointed to the winner and listed again.
	var missing []Login
	for l, h := range heldBy {
		if owners[h.owner].hasLogin(l) {
			continue
		}
		if h.owner != winner.IdentityId {
			if err := s.claim(ctx, account, pool, l, winner.IdentityId, h.body, now); err != nil {
				return nil, false, err
			}
		}
		missing = append(missing, l)
	}
	if len(missing) > 0 {
		next, err := s.mutate(ctx, winner, now, func(ident *Identity) error {
			if err := guard.check(ident); err != nil {
				return err
			}
			return addLogins(ident, missing, dev)
		})
		if err != nil {
			return nil, false, err
		}
		winner = next
	}
	if len(free) == 0 {
		return winner, len(order) == 1 && len(missing) == 0, nil
	}
	return wrote(s.link(ctx, winner, dev, free, stale, now, guard))
}
