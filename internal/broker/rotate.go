package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/broker/upstream"
	"github.com/brevet-dev/brevet/internal/store"
)

// Rotation timings.
const (
	// LeaseDuration is how long the node that claimed a rotation holds
	// it: every other node leaves the upstream alone meanwhile.
	LeaseDuration = 2 * time.Minute
	// VerifyTimeout bounds the wait for a new key to work upstream (AWS
	// is eventually consistent: a new key may be refused for seconds).
	VerifyTimeout = 10 * time.Second
	// RetryFailedAfter is how long RotateDue waits after a failed
	// scheduled rotation before it tries again.
	RetryFailedAfter = 15 * time.Minute
)

// cleanupTimeout bounds what a rotation does once its caller may have
// given up: deleting a key upstream (one call, its own deadline), the
// switch, and recording the outcome.
const cleanupTimeout = 30 * time.Second

// verifyInterval is the pause between two verifications of a new key.
const verifyInterval = 500 * time.Millisecond

// Rotate rotates the key of an upstream account of account now (KEY
// mode only): upstream CreateAccessKey, verify the new key
// (GetCallerIdentity, retried up to VerifyTimeout), store it sealed
// (compare-and-swap), then DeleteAccessKey of the old one signed by the
// new one. Any failure before the switch keeps the old key (the new one
// is deleted upstream, best effort); every failure is recorded in
// Rotation and returned. The new key's id is recorded (Rotation.Pending)
// before it is used and the old one's (Rotation.Retired) until it is
// deleted, so that a rotation a crash or a failed deletion interrupted
// leaves no key behind: the next rotation deletes them first.
func (s *Service) Rotate(ctx context.Context, account, id string, now time.Time) (Upstream, error) {
	return s.rotateLeased(ctx, account, id, now, false)
}

// errNotDue: a scheduled rotation found the stored upstream not due
// (another node rotated it, or it failed there lately): nothing to do.
var errNotDue = errors.New("broker: the upstream key is not due for rotation")

// rotateLeased claims the rotation and rotates; scheduled rotations
// check that the stored upstream is due, the index they were chosen
// from may be behind another node's rotation.
func (s *Service) rotateLeased(ctx context.Context, account, id string, now time.Time, scheduled bool) (Upstream, error) {
	u, leased, err := s.lease(ctx, account, id, now, scheduled)
	if err != nil {
		return Upstream{}, err
	}
	u, rerr := s.rotate(ctx, u, leased, now)
	if serr := s.sync(ctx, account, KindUpstream, id); serr != nil && rerr == nil {
		rerr = serr
	}
	return u, rerr
}

// RotateDue rotates every KEY-mode upstream whose RotateEvery has passed
// since its key was made or last rotated (a failed attempt is retried
// after RetryFailedAfter): the node calls it every minute, in a loop of
// its own (a pass waits on upstream calls). In a cluster the node that
// wins the lease rotates; the others skip.
func (s *Service) RotateDue(ctx context.Context, now time.Time) {
	idx, err := s.current(ctx)
	if err != nil {
		s.log.Warn("broker: rotation: reading the registry", "err", err)
		return
	}
	for _, u := range idx.byID {
		if !due(u, now) {
			continue
		}
		if _, err := s.rotateLeased(ctx, u.Account, u.ID, now, true); err != nil {
			if _, busy := errors.AsType[*BusyError](err); !busy && !errors.Is(err, errNotDue) {
				s.log.Warn("broker: scheduled key rotation failed", "upstream_account", u.ID, "err", err)
			}
			continue
		}
		s.log.Info("broker: upstream key rotated", "upstream_account", u.ID)
	}
}

// due reports whether u's key is due for a scheduled rotation at now.
func due(u *Upstream, now time.Time) bool {
	if u.Mode != ModeKey || u.RotateEvery <= 0 || u.Key == nil || now.Before(u.Rotation.Lease) {
		return false
	}
	if u.Rotation.Retired != "" && !u.Rotation.Failed.IsZero() {
		// The old key outlived a rotation: retried (its deletion first)
		// after RetryFailedAfter, not a period later.
		return !now.Before(u.Rotation.Failed.Add(RetryFailedAfter))
	}
	last := u.Key.Created
	if u.Rotation.Last.After(last) {
		last = u.Rotation.Last
	}
	if now.Before(last.Add(u.RotateEvery)) {
		return false
	}
	return u.Rotation.Failed.IsZero() || !now.Before(u.Rotation.Failed.Add(RetryFailedAfter))
}

// lease claims the rotation of an upstream: Rotation.Lease set to
// now+LeaseDuration with a compare-and-swap. It returns the upstream and
// the stored body the claim wrote (the next compare-and-swap's match).
// A scheduled claim is refused with errNotDue unless the stored upstream
// is due.
func (s *Service) lease(ctx context.Context, account, id string, now time.Time, scheduled bool) (Upstream, []byte, error) {
	o, err := s.st.Objects().Get(ctx, account, KindUpstream, id)
	if errors.Is(err, store.ErrNotFound) {
		return Upstream{}, nil, notFoundUpstream(id)
	}
	if err != nil {
		return Upstream{}, nil, err
	}
	u, err := decodeUpstream(o)
	if err != nil {
		return Upstream{}, nil, err
	}
	if u.Mode != ModeKey || u.Key == nil {
		return Upstream{}, nil, &KeylessError{Account: id}
	}
	if now.Before(u.Rotation.Lease) {
		return Upstream{}, nil, &BusyError{Account: id}
	}
	if scheduled && !due(&u, now) {
		return Upstream{}, nil, errNotDue
	}
	u.Rotation.Lease = now.Add(LeaseDuration).UTC()
	match := o.Body
	if o.Body, err = json.Marshal(&u); err != nil {
		return Upstream{}, nil, err
	}
	o.Updated = now
	switch err := s.st.Objects().UpdateIf(ctx, o, match); {
	case errors.Is(err, store.ErrConflict):
		return Upstream{}, nil, &BusyError{Account: id}
	case errors.Is(err, store.ErrNotFound):
		return Upstream{}, nil, notFoundUpstream(id)
	case err != nil:
		return Upstream{}, nil, err
	}
	return u, o.Body, nil
}

// rotate does the rotation once the lease is held (leased is the stored
// body).
func (s *Service) rotate(ctx context.Context, u Upstream, leased []byte, now time.Time) (Upstream, error) {
	// What follows a failure (deleting a new key upstream, recording the
	// failure and releasing the lease) outlives the caller: a caller that
	// gave up must not leave a key no one holds, nor the lease, behind.
	after, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	fail := func(err error) (Upstream, error) {
		return s.recordFailure(after, u, now, err)
	}
	old, err := s.openKey(&u)
	if err != nil {
		return fail(err)
	}
	c, err := s.client(&u)
	if err != nil {
		return fail(err)
	}
	// What an interrupted rotation left upstream goes first.
	if err := deleteLeftovers(ctx, c, old, &u); err != nil {
		return fail(err)
	}
	fresh, err := c.CreateAccessKey(ctx, old, u.UserName)
	if err != nil {
		return fail(err)
	}
	if fresh.AccessKeyID == old.AccessKeyID {
		// A broken answer: discarding (deleting) or retiring this "new"
		// key would delete the key in use.
		return fail(fmt.Errorf("the upstream answered CreateAccessKey with the id of the key in use, %s", old.AccessKeyID))
	}
	discard := func(cause error) (Upstream, error) {
		if derr := c.DeleteAccessKey(after, old, u.UserName, fresh.AccessKeyID); derr != nil {
			s.log.Warn("broker: deleting the unused new key upstream", "upstream_account", u.ID, "access_key_id", fresh.AccessKeyID, "err", derr)
		}
		return fail(cause)
	}
	// The new key is recorded before it is used: a crash from here on
	// leaves its id for the next rotation to delete.
	pending := u
	pending.Rotation.Pending, pending.Rotation.Retired = fresh.AccessKeyID, ""
	body, err := json.Marshal(&pending)
	if err != nil {
		return discard(err)
	}
	o := store.Object{Account: u.Account, Kind: KindUpstream, ID: u.ID, Body: body, Updated: now}
	if err := s.st.Objects().UpdateIf(after, o, leased); err != nil {
		return discard(fmt.Errorf("broker: the upstream changed while its key was rotated: %w", err))
	}
	leased = body
	if err := verify(ctx, c, fresh); err != nil {
		return discard(err)
	}
	ct, err := s.keys.Seal([]byte(fresh.SecretAccessKey), KeyPurpose(u.Account, u.ID))
	if err != nil {
		return discard(fmt.Errorf("broker: sealing the new key: %w", err))
	}
	next := u
	next.Key = &SealedKey{AccessKeyID: fresh.AccessKeyID, Secret: ct, Created: now.UTC()}
	next.Rotation = Rotation{Last: now.UTC(), Retired: old.AccessKeyID}
	if body, err = json.Marshal(&next); err != nil {
		return discard(err)
	}
	o.Body = body
	if err := s.st.Objects().UpdateIf(after, o, leased); err != nil {
		// Changed meanwhile (an administrator replaced the key, or
		// removed the upstream): the new key is not used.
		return discard(fmt.Errorf("broker: the upstream changed while its key was rotated: %w", err))
	}
	return s.retire(after, c, fresh, next, o, now)
}

// deleteLeftovers deletes upstream, signed by the key in use (old), the
// keys an interrupted rotation left (Rotation.Pending, Rotation.Retired);
// one already gone is no failure.
func deleteLeftovers(ctx context.Context, c *upstream.Client, old upstream.Key, u *Upstream) error {
	for _, id := range []string{u.Rotation.Pending, u.Rotation.Retired} {
		if id == "" || id == old.AccessKeyID {
			continue
		}
		if err := c.DeleteAccessKey(ctx, old, u.UserName, id); err != nil && !gone(err) {
			return fmt.Errorf("the key %s an interrupted rotation left could not be deleted upstream: %w", id, err)
		}
	}
	return nil
}

// retire ends a rotation once the new key is stored (next, whose stored
// object is o): the old key (next.Rotation.Retired) is deleted upstream,
// signed by the new key, then forgotten. A failed deletion is recorded
// as the rotation's failure; a failed last update leaves Retired, which
// the next rotation finds gone.
func (s *Service) retire(ctx context.Context, c *upstream.Client, fresh upstream.Key, next Upstream, o store.Object, now time.Time) (Upstream, error) {
	old := next.Rotation.Retired
	if err := c.DeleteAccessKey(ctx, fresh, next.UserName, old); err != nil && !gone(err) {
		return s.recordFailure(ctx, next, now, fmt.Errorf("the new key is in use, but the old key %s could not be deleted upstream: %w", old, err))
	}
	done := next
	done.Rotation.Retired = ""
	body, err := json.Marshal(&done)
	if err != nil {
		return next, nil
	}
	match := o.Body
	o.Body = body
	if err := s.st.Objects().UpdateIf(ctx, o, match); err != nil {
		return next, nil
	}
	return done, nil
}

// gone reports whether a DeleteAccessKey failed because the key does
// not exist (deleted meanwhile): what the deletion was for.
func gone(err error) bool {
	e, ok := errors.AsType[*upstream.Error](err)
	return ok && e.Kind == upstream.Invalid && e.Code == "NoSuchEntity"
}

// verify waits for the new key to work upstream, at most VerifyTimeout.
func verify(ctx context.Context, c *upstream.Client, k upstream.Key) error {
	ctx, cancel := context.WithTimeout(ctx, VerifyTimeout)
	defer cancel()
	for {
		_, err := c.CallerIdentity(ctx, k)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the new key did not work upstream within %v: %w", VerifyTimeout, err)
		case <-time.After(verifyInterval):
		}
	}
}

// recordFailure records a failed rotation in the stored upstream (and
// releases the lease) and returns err. u is what the upstream should be
// (its key the one in use).
func (s *Service) recordFailure(ctx context.Context, u Upstream, now time.Time, err error) (Upstream, error) {
	msg := err.Error()
	if len(msg) > 1000 {
		msg = strings.ToValidUTF8(msg[:1000], "") // a cut rune is dropped, not stored broken
	}
	err = &RotationError{Account: u.ID, Err: err}
	saved, serr := s.modifyUpstream(ctx, u.Account, u.ID, now, func(cur *Upstream) error {
		cur.Rotation.Failed, cur.Rotation.Error, cur.Rotation.Lease = now.UTC(), msg, time.Time{}
		return nil
	})
	if serr != nil {
		s.log.Warn("broker: recording a failed rotation", "upstream_account", u.ID, "err", serr)
		return u, err
	}
	return saved, err
}
