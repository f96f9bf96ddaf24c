package postgres

import (
	"context"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
)

func (r repos) MFAAttempts() store.MFAAttempts       { return mfaAttempts(r) }
func (r repos) SAMLAssertions() store.SAMLAssertions { return samlAssertions(r) }

type mfaAttempts struct{ c conn }

// Update reads the row FOR UPDATE in a serializable transaction: a
// concurrent Update of the key waits for it, or loses and is retried.
func (m mfaAttempts) Update(ctx context.Context, key string, fn func(store.MFAAttempt) store.MFAAttempt) (store.MFAAttempt, error) {
	var out store.MFAAttempt
	err := m.c.write(ctx, func(q querier) error {
		a := store.MFAAttempt{Key: key}
		var window, locked *int64
		var expires int64
		err := q.QueryRow(ctx, `SELECT failures, window_start, lockouts, locked_until, expires_at
			FROM mfa_attempts WHERE key = $1 FOR UPDATE`, key).Scan(&a.Failures, &window, &a.Lockouts, &locked, &expires)
		switch {
		case noRows(err):
		case err != nil:
			return unavailable(err)
		default:
			a.WindowStart, a.LockedUntil, a.Expires = fromNullMicros(window), fromNullMicros(locked), fromMicros(expires)
		}
		out = fn(a)
		out.Key = key
		_, err = exec(ctx, q, `INSERT INTO mfa_attempts (key, failures, window_start, lockouts, locked_until, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start,
				lockouts = excluded.lockouts, locked_until = excluded.locked_until, expires_at = excluded.expires_at`,
			key, out.Failures, nullMicros(out.WindowStart), out.Lockouts, nullMicros(out.LockedUntil), toMicros(out.Expires))
		return err
	})
	if err != nil {
		return store.MFAAttempt{}, err
	}
	return out, nil
}

func (m mfaAttempts) Reset(ctx context.Context, keys ...string) error {
	return m.c.write(ctx, func(q querier) error {
		_, err := exec(ctx, q, `DELETE FROM mfa_attempts WHERE key = ANY($1)`, keys)
		return err
	})
}

func (m mfaAttempts) Prune(ctx context.Context, t time.Time) (int64, error) {
	return prune(ctx, m.c, `DELETE FROM mfa_attempts WHERE expires_at < $1`, t)
}

type samlAssertions struct{ c conn }

// Claim inserts the assertion's key, or takes over an expired record of
// it; a record that is still valid makes the insert change no row.
// Concurrent Claims of one key wait on the row (or lose and are retried).
func (s samlAssertions) Claim(ctx context.Context, issuer, id string, expires, now time.Time) (bool, error) {
	var n int64
	err := s.c.write(ctx, func(q querier) error {
		tag, err := exec(ctx, q, `INSERT INTO saml_assertions (key, expires_at) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE saml_assertions.expires_at <= $3`,
			store.AssertionKey(issuer, id), toMicros(expires), toMicros(now))
		n = tag.RowsAffected()
		return err
	})
	return n == 1, err
}

func (s samlAssertions) Prune(ctx context.Context, t time.Time) (int64, error) {
	return prune(ctx, s.c, `DELETE FROM saml_assertions WHERE expires_at < $1`, t)
}

// prune runs a DELETE of the records expired before t and counts them.
func prune(ctx context.Context, c conn, query string, t time.Time) (int64, error) {
	var n int64
	err := c.write(ctx, func(q querier) error {
		tag, err := exec(ctx, q, query, toMicros(t))
		n = tag.RowsAffected()
		return err
	})
	return n, err
}
