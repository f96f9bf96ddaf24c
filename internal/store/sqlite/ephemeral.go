package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
)

func (r repos) MFAAttempts() store.MFAAttempts       { return mfaAttempts(r) }
func (r repos) SAMLAssertions() store.SAMLAssertions { return samlAssertions(r) }

type mfaAttempts struct{ c conn }

// Update runs in one write transaction; SQLite has one writer at a time,
// so concurrent Updates run one after another.
func (m mfaAttempts) Update(ctx context.Context, key string, fn func(store.MFAAttempt) store.MFAAttempt) (store.MFAAttempt, error) {
	var out store.MFAAttempt
	err := m.c.write(ctx, func(q querier) error {
		a := store.MFAAttempt{Key: key}
		var window, locked sql.NullInt64
		var expires int64
		err := q.QueryRowContext(ctx, `SELECT failures, window_start, lockouts, locked_until, expires_at
			FROM mfa_attempts WHERE key = ?`, key).Scan(&a.Failures, &window, &a.Lockouts, &locked, &expires)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			a.WindowStart, a.LockedUntil, a.Expires = fromNullMicros(window), fromNullMicros(locked), fromMicros(expires)
		}
		out = fn(a)
		out.Key = key
		_, err = exec(ctx, q, `INSERT INTO mfa_attempts (key, failures, window_start, lockouts, locked_until, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)
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
		for _, k := range keys {
			if _, err := exec(ctx, q, `DELETE FROM mfa_attempts WHERE key = ?`, k); err != nil {
				return err
			}
		}
		return nil
	})
}

func (m mfaAttempts) Prune(ctx context.Context, t time.Time) (int64, error) {
	return prune(ctx, m.c, `DELETE FROM mfa_attempts WHERE expires_at < ?`, t)
}

type samlAssertions struct{ c conn }

// Claim inserts the assertion's key, or takes over an expired record of
// it; a record that is still valid makes the insert change no row.
func (s samlAssertions) Claim(ctx context.Context, issuer, id string, expires, now time.Time) (bool, error) {
	var n int64
	err := s.c.write(ctx, func(q querier) error {
		r, err := exec(ctx, q, `INSERT INTO saml_assertions (key, expires_at) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE saml_assertions.expires_at <= ?`,
			store.AssertionKey(issuer, id), toMicros(expires), toMicros(now))
		if err != nil {
			return err
		}
		n, err = r.RowsAffected()
		return err
	})
	return n == 1, err
}

func (s samlAssertions) Prune(ctx context.Context, t time.Time) (int64, error) {
	return prune(ctx, s.c, `DELETE FROM saml_assertions WHERE expires_at < ?`, t)
}

// prune runs a DELETE of the records expired before t and counts them.
func prune(ctx context.Context, c conn, query string, t time.Time) (int64, error) {
	var n int64
	err := c.write(ctx, func(q querier) error {
		r, err := exec(ctx, q, query, toMicros(t))
		if err != nil {
			return err
		}
		n, err = r.RowsAffected()
		return err
	})
	return n, err
}
