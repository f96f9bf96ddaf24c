package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
)

var _ store.EventIndex = (*Store)(nil)

const eventCols = `key, account_id, time, event_id, source, name, principal_arn, issuer_arn, username,
	access_key_id, issued_key_id, error_code, read_only, management, event`

// IndexEvents adds rs and moves the event index position to position, in
// one transaction; rows already there are kept (INSERT OR IGNORE on the
// unique account and key), so the trail may be read again.
func (s *Store) IndexEvents(ctx context.Context, rs []store.EventRecord, position uint64) error {
	return s.Tx(ctx, func(r store.Repos) error {
		tx := r.(repos).c.tx
		if len(rs) > 0 {
			st, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO audit_events (`+eventCols+`)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
			if err != nil {
				return fmt.Errorf("sqlite: indexing events: %w", err)
			}
			defer st.Close()
			execCtx := context.WithoutCancel(ctx)
			for _, e := range rs {
				if _, err := st.ExecContext(execCtx, int64(e.Key), e.Account, e.Time.Unix(), e.EventID, e.Source, e.Name,
					e.PrincipalARN, e.IssuerARN, e.Username, e.AccessKeyID, e.IssuedKeyID, e.ErrorCode,
					e.ReadOnly, e.Management, string(e.Event)); err != nil {
					return fmt.Errorf("sqlite: indexing events: %w", mapErr(err))
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE audit_event_index_position SET seq = max(seq, ?) WHERE id = 1`, int64(position)); err != nil {
			return fmt.Errorf("sqlite: event index position: %w", mapErr(err))
		}
		return nil
	})
}

// EventIndexPosition is the trail position IndexEvents last recorded.
func (s *Store) EventIndexPosition(ctx context.Context) (uint64, error) {
	var seq int64
	if err := s.rdb.QueryRowContext(ctx, `SELECT seq FROM audit_event_index_position WHERE id = 1`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("sqlite: event index position: %w", err)
	}
	return uint64(seq), nil
}

// FindEvents returns the matching events, newest first.
func (s *Store) FindEvents(ctx context.Context, f store.EventFilter) ([]store.EventRecord, error) {
	where, args := store.EventWhere(f, func(int) string { return "?" })
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+eventCols+` FROM audit_events WHERE `+where+
		` ORDER BY key DESC LIMIT `+fmt.Sprint(limit), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: finding events: %w", mapErr(err))
	}
	defer rows.Close()
	var out []store.EventRecord
	for rows.Next() {
		var e store.EventRecord
		var key, t int64
		var ev string
		if err := rows.Scan(&key, &e.Account, &t, &e.EventID, &e.Source, &e.Name, &e.PrincipalARN, &e.IssuerARN,
			&e.Username, &e.AccessKeyID, &e.IssuedKeyID, &e.ErrorCode, &e.ReadOnly, &e.Management, &ev); err != nil {
			return nil, fmt.Errorf("sqlite: finding events: %w", err)
		}
		e.Key, e.Time, e.Event = uint64(key), time.Unix(t, 0).UTC(), []byte(ev)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: finding events: %w", mapErr(err))
	}
	return out, nil
}
