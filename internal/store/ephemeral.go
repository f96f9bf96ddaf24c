package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// The records below exist only to refuse guesses and replays across every
// process sharing the store; they expire on their own, housekeeping prunes
// them, and `brevet migrate` leaves them behind.

// MFAAttempt is the failed-attempt record of one key that MFA codes are
// throttled by: a device serial or a principal. The rules that fill it in
// belong to the caller; the store keeps it whole.
type MFAAttempt struct {
	Key string
	// Failures counts the attempts admitted since WindowStart that did not
	// succeed (an admitted attempt counts until it succeeds).
	Failures    int
	WindowStart time.Time
	// Lockouts counts the lockouts in a row, which lengthen each other;
	// LockedUntil is the end of the current one (zero for none).
	Lockouts    int
	LockedUntil time.Time
	// Expires is when the record may be forgotten (Prune).
	Expires time.Time
}

// MFAAttempts stores MFAAttempt records.
type MFAAttempts interface {
	// Update passes key's record (MFAAttempt{Key: key} when there is none)
	// to fn and stores what fn returns, atomically: concurrent Updates of
	// one key, from any process sharing the store, run one after another,
	// each seeing what the previous stored. fn may run more than once and
	// must have no other effect. It returns what was stored.
	Update(ctx context.Context, key string, fn func(MFAAttempt) MFAAttempt) (MFAAttempt, error)
	// Reset deletes the records of keys; a key without one is no error.
	Reset(ctx context.Context, keys ...string) error
	// Prune deletes the records with Expires before t.
	Prune(ctx context.Context, t time.Time) (int64, error)
}

// SAMLAssertions remembers redeemed SAML assertions until they expire, so
// that each is accepted once by the whole cluster, restarts included. It
// is a saml.ReplayCache.
type SAMLAssertions interface {
	// Claim records that the assertion id from issuer is redeemed, to be
	// remembered until expires, and reports whether it was unused: false
	// if a record of it expiring after now exists. Of concurrent Claims of
	// one assertion, from any process, exactly one reports true.
	Claim(ctx context.Context, issuer, id string, expires, now time.Time) (bool, error)
	// Prune deletes the records with expires before t.
	Prune(ctx context.Context, t time.Time) (int64, error)
}

// AssertionKey is the key a backend stores a SAML assertion under: a
// SHA-256 of issuer and id, so that ids of any length fit an index.
func AssertionKey(issuer, id string) string {
	h := sha256.New()
	h.Write([]byte(issuer))
	h.Write([]byte{0})
	h.Write([]byte(id))
	return hex.EncodeToString(h.Sum(nil))
}
