package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/brevet-dev/brevet/internal/store"
)

var _ store.EventIndex = (*Store)(nil)

const eventCols = `key, account_id, time, event_id, source, name, principal_arn, issuer_arn, username,
	access_key_id, issued_key_id, error_code, read_only, management, event`

// IndexEvents adds rs (rows already there are kept) and records that the
// trail is indexed up to position. On PostgreSQL the audit sink writes the
// index in the transaction that inserts the events (RecordEventsTx), so
// it never lags; IndexEvents and the position serve only the events that
// predate the index (EventIndexBackfill).
func (s *Store) IndexEvents(ctx context.Context, rs []store.EventRecord, position uint64) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := RecordEventsTx(ctx, tx, rs); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE audit_event_index_position SET seq = GREATEST(seq, $1) WHERE id = 1`,
			int64(min(position, 1<<63-1))); err != nil {
			return fmt.Errorf("postgres: event index position: %w", mapErr(err))
		}
		return nil
	})
}

// EventIndexPosition is the trail position IndexEvents last recorded.
func (s *Store) EventIndexPosition(ctx context.Context) (uint64, error) {
	var seq int64
	if err := s.pool.QueryRow(ctx, `SELECT seq FROM audit_event_index_position WHERE id = 1`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("postgres: event index position: %w", mapErr(err))
	}
	return uint64(seq), nil
}

// EventIndexBackfill is the id of the last event of brevet_audit_events
// that predates the event index (0: none): the events up to it are
// indexed by IndexEvents, those after it by the audit sink.
func (s *Store) EventIndexBackfill(ctx context.Context) (uint64, error) {
	var upto int64
	if err := s.pool.QueryRow(ctx, `SELECT upto FROM audit_event_index_position WHERE id = 1`).Scan(&upto); err != nil {
		return 0, fmt.Errorf("postgres: event index backfill: %w", mapErr(err))
	}
	return uint64(upto), nil
}

// PruneEvents deletes every account's rows with key <= upTo. The
// PostgreSQL trail has no retention; this is for the interface's sake.
func (s *Store) PruneEvents(ctx context.Context, upTo uint64) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM audit_events WHERE key <= $1`, int64(min(upTo, 1<<63-1))); err != nil {
		return fmt.Errorf("postgres: pruning the event index: %w", mapErr(err))
	}
	return nil
}

// RecordEventsTx adds rs in tx, the audit sink's transaction that inserts
// their events (pgsink.Config.IndexEvents), in one statement.
func RecordEventsTx(ctx context.Context, tx pgx.Tx, rs []store.EventRecord) error {
	if len(rs) == 0 {
		return nil
	}
	n := len(rs)
	keys, times := make([]int64, n), make([]int64, n)
	var acct, id, src, name, parn, iarn, user, akid, ikid, code, ev = make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n)
	ro, mg := make([]bool, n), make([]bool, n)
	for i, e := range rs {
		keys[i], times[i], acct[i], id[i], src[i], name[i] = int64(e.Key), e.Time.Unix(), e.Account, e.EventID, e.Source, e.Name
		parn[i], iarn[i], user[i], akid[i], ikid[i], code[i] = e.PrincipalARN, e.IssuerARN, e.Username, e.AccessKeyID, e.IssuedKeyID, e.ErrorCode
		ro[i], mg[i], ev[i] = e.ReadOnly, e.Management, string(e.Event)
	}
	_, err := tx.Exec(ctx, `INSERT INTO audit_events (`+eventCols+`)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::boolean[], $14::boolean[], $15::text[])
		ON CONFLICT DO NOTHING`, keys, acct, times, id, src, name, parn, iarn, user, akid, ikid, code, ro, mg, ev)
	if err != nil {
		return fmt.Errorf("postgres: indexing %d events: %w", n, mapErr(err))
	}
	return nil
}

// FindEvents returns the matching events, newest first.
func (s *Store) FindEvents(ctx context.Context, f store.EventFilter) ([]store.EventRecord, error) {
	where, args := store.EventWhere(f, func(n int) string { return fmt.Sprintf("$%d", n) })
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.pool.Query(ctx, `SELECT `+eventCols+` FROM audit_events WHERE `+where+
		` ORDER BY key DESC LIMIT `+fmt.Sprint(limit), args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: finding events: %w", mapErr(err))
	}
	defer rows.Close()
	var out []store.EventRecord
	for rows.Next() {
		var e store.EventRecord
		var key, t int64
		var ev string
		if err := rows.Scan(&key, &e.Account, &t, &e.EventID, &e.Source, &e.Name, &e.PrincipalARN, &e.IssuerARN,
			&e.Username, &e.AccessKeyID, &e.IssuedKeyID, &e.ErrorCode, &e.ReadOnly, &e.Management, &ev); err != nil {
			return nil, fmt.Errorf("postgres: finding events: %w", mapErr(err))
		}
		e.Key, e.Time, e.Event = uint64(key), time.Unix(t, 0).UTC(), []byte(ev)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: finding events: %w", mapErr(err))
	}
	return out, nil
}
