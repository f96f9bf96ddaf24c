package sqlite

import (
	"context"
	"fmt"

	"github.com/brevet-dev/brevet/internal/store"
)

// insertIndexedSQL adds an issuance record unless the same issuance (by
// principal, issue time and key id, which the sessions_principal index
// finds) is there: the index may read a trail again after a restore or a
// migration, and must not list a session twice.
const insertIndexedSQL = `INSERT INTO sessions (` + sessionCols + `)
	SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
	WHERE NOT EXISTS (SELECT 1 FROM sessions WHERE principal_arn = ? AND issued_at = ? AND access_key_id = ?)`

// IndexIssued adds rs to the issuance records and records that the audit
// trail is indexed up to position, in one transaction: the index written
// behind the trail (revocation.Indexer) then knows where to resume after
// a crash. position never moves backwards.
func (s *Store) IndexIssued(ctx context.Context, rs []store.SessionRecord, position uint64) error {
	return s.Tx(ctx, func(r store.Repos) error {
		if err := r.Sessions().RecordMany(ctx, rs); err != nil {
			return err
		}
		return setIndexPosition(ctx, r.(repos).c, position)
	})
}

// ReindexIssued is IndexIssued for records read again from the trail: it
// skips those already there (a restore or a migration may have brought
// them), one lookup each, so that no session is listed twice.
func (s *Store) ReindexIssued(ctx context.Context, rs []store.SessionRecord, position uint64) error {
	return s.Tx(ctx, func(r store.Repos) error {
		tx := r.(repos).c.tx
		if len(rs) > 0 {
			st, err := tx.PrepareContext(ctx, insertIndexedSQL)
			if err != nil {
				return fmt.Errorf("sqlite: indexing sessions: %w", err)
			}
			defer st.Close()
			args := make([]any, 0, 15)
			for _, rec := range rs {
				args = append(appendSessionArgs(args[:0], rec), rec.PrincipalARN, toMicros(rec.Issued), rec.AccessKeyID)
				if _, err := st.ExecContext(ctx, args...); err != nil {
					return fmt.Errorf("sqlite: indexing sessions: %w", mapErr(err))
				}
			}
		}
		return setIndexPosition(ctx, r.(repos).c, position)
	})
}

// setIndexPosition moves the index position forward to position.
func setIndexPosition(ctx context.Context, c conn, position uint64) error {
	if _, err := c.tx.ExecContext(ctx, `UPDATE session_index_position SET seq = max(seq, ?) WHERE id = 1`, int64(position)); err != nil {
		return fmt.Errorf("sqlite: index position: %w", mapErr(err))
	}
	return nil
}

// IndexPosition is the trail position IndexIssued last recorded; known is
// false until one is recorded in a store upgraded from before the index
// (migration 5).
func (s *Store) IndexPosition(ctx context.Context) (position uint64, known bool, err error) {
	var seq int64
	if err := s.rdb.QueryRowContext(ctx, `SELECT seq FROM session_index_position WHERE id = 1`).Scan(&seq); err != nil {
		return 0, false, fmt.Errorf("sqlite: index position: %w", err)
	}
	if seq < 0 {
		return 0, false, nil
	}
	return uint64(seq), true, nil
}
