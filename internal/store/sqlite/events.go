package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
)

var _ store.EventIndex = (*Store)(nil)

const eventCols = `key, account_id, time, event_id, source, name, principal_arn, issuer_arn, username,
	access_key_id, issued_key_id, error_code, read_only, management, event`

// IndexEvents adds rs and moves the event index position to position, in
// one transaction; rows already there are kept (INSERT OR IGNORE on the
// unique account and key), so the trail may be read again. Rows go in
// eventsPerInsert at a time, one statement each: a statement per row
// cost the index writer more than SQLite's work on the rows.
func (s *Store) IndexEvents(ctx context.Context, rs []store.EventRecord, position uint64) error {
	return s.Tx(ctx, func(r store.Repos) error {
		tx := r.(repos).c.tx
		execCtx := context.WithoutCancel(ctx)
		var full *sql.Stmt
		args := make([]any, 0, eventColCount*min(len(rs), eventsPerInsert))
		for len(rs) > 0 {
			n := min(len(rs), eventsPerInsert)
			args = args[:0]
			for _, e := range rs[:n] {
				args = append(args, int64(e.Key), e.Account, e.Time.Unix(), e.EventID, e.Source, e.Name,
					e.PrincipalARN, e.IssuerARN, e.Username, e.AccessKeyID, e.IssuedKeyID, e.ErrorCode,
					e.ReadOnly, e.Management, string(e.Event))
			}
			var err error
			if n == eventsPerInsert {
				// The full statement, prepared once per transaction.
				if full == nil {
					if full, err = tx.PrepareContext(ctx, insertEvents(n)); err != nil {
						return fmt.Errorf("sqlite: indexing events: %w", mapErr(err))
					}
					defer full.Close()
				}
				_, err = full.ExecContext(execCtx, args...)
			} else {
				_, err = tx.ExecContext(execCtx, insertEvents(n), args...)
			}
			if err != nil {
				return fmt.Errorf("sqlite: indexing events: %w", mapErr(err))
			}
			rs = rs[n:]
		}
		if _, err := tx.ExecContext(ctx, `UPDATE audit_event_index_position SET seq = max(seq, ?) WHERE id = 1`, int64(position)); err != nil {
			return fmt.Errorf("sqlite: event index position: %w", mapErr(err))
		}
		return nil
	})
}

// eventColCount is how many columns eventCols names.
const eventColCount = 15

// eventsPerInsert is how many rows one INSERT of IndexEvents adds: 64
// rows of 15 values are 960 variables, under SQLite's limit (999 before
// 3.32, 32,766 since).
const eventsPerInsert = 64

// insertEvents is the INSERT of n event rows.
func insertEvents(n int) string {
	row := "(" + strings.Repeat("?, ", eventColCount-1) + "?)"
	return `INSERT OR IGNORE INTO audit_events (` + eventCols + `) VALUES ` + strings.Repeat(row+", ", n-1) + row
}

// smallRange reports whether f's time range holds at most smallRange of
// the account's events, counting at most that many.
func (s *Store) smallRange(ctx context.Context, f store.EventFilter) (bool, error) {
	where, args := store.EventWhere(store.EventFilter{Account: f.Account, From: f.From, To: f.To}, func(int) string { return "?" })
	var n int
	err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM audit_events INDEXED BY audit_events_time WHERE `+
		where+` LIMIT `+fmt.Sprint(smallRange+1)+`)`, args...).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("sqlite: finding events: %w", mapErr(err))
	}
	return n <= smallRange, nil
}

// PruneEvents deletes every account's rows with key <= upTo (retention
// pruned their events from the trail).
func (s *Store) PruneEvents(ctx context.Context, upTo uint64) error {
	return s.Tx(ctx, func(r store.Repos) error {
		if _, err := r.(repos).c.tx.ExecContext(ctx, `DELETE FROM audit_events WHERE key <= ?`, int64(min(upTo, 1<<63-1))); err != nil {
			return fmt.Errorf("sqlite: pruning the event index: %w", mapErr(err))
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

// findQuery is FindEvents' query: the keys first, from an index alone
// (the time index for a small time range), then their rows.
func findQuery(f store.EventFilter, smallRange bool) (string, []any) {
	where, args := store.EventWhere(f, func(int) string { return "?" })
	where, args = bucketed(where, args, f)
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	index := "audit_events"
	switch {
	case smallRange:
		index = "audit_events INDEXED BY audit_events_time"
	case !f.From.IsZero() || !f.To.IsZero():
		// Keep the planner off the time index: "+time" is not indexed.
		where = strings.ReplaceAll(where, " time ", " +time ")
	}
	return `SELECT ` + eventCols + ` FROM audit_events WHERE rowid IN (SELECT rowid FROM ` + index + ` WHERE ` + where +
		` ORDER BY key DESC LIMIT ` + fmt.Sprint(limit) + `) ORDER BY key DESC`, args
}

// bucketed adds to f's WHERE clause the bucket of the event id and of the
// issued key it asks for, so that SQLite reads the bucketed index of
// either (migration 14) rather than every row of the account: an index
// on an expression is used only for that expression. The bucket is
// computed by SQLite from the same value, so that it is the index's for
// any string.
func bucketed(where string, args []any, f store.EventFilter) (string, []any) {
	if f.EventID != "" {
		where += " AND unicode(substr(event_id, -1)) % 8 = unicode(substr(?, -1)) % 8"
		args = append(args, f.EventID)
	}
	if f.IssuedKeyID != "" {
		where += " AND issued_key_id != '' AND unicode(substr(issued_key_id, -1)) % 8 = unicode(substr(?, -1)) % 8"
		args = append(args, f.IssuedKeyID)
	}
	return where, args
}

// smallRange is how many events of a time range FindEvents reads through
// the time index (and sorts by key); past it, it walks the key order.
const smallRange = 5000

// FindEvents returns the matching events, newest first. Pages walk an
// index in key order and stop after Limit rows; a time range of few
// events is read through the time index instead, its keys sorted (a walk
// would read every newer event before reaching it), and only then the
// rows.
func (s *Store) FindEvents(ctx context.Context, f store.EventFilter) ([]store.EventRecord, error) {
	small := false
	if !f.From.IsZero() || !f.To.IsZero() {
		var err error
		if small, err = s.smallRange(ctx, f); err != nil {
			return nil, err
		}
	}
	query, args := findQuery(f, small)
	rows, err := s.rdb.QueryContext(ctx, query, args...)
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
