package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
)

// Sessions implements store.Repos.
func (r repos) Sessions() store.Sessions { return sessions(r) }

// Revocations implements store.Repos.
func (r repos) Revocations() store.Revocations { return revocations(r) }

type sessions struct{ c conn }

const sessionCols = `access_key_id, session_id, account_id, principal_arn, session_arn, kind, session_name,
	source_ip, parent_access_key_id, root_access_key_id, issued_at, expires_at`

const insertSessionSQL = `INSERT INTO sessions (` + sessionCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// insertChunk is how many records one multi-row INSERT adds: a statement
// run costs about as much as a few rows, so a batch is written in chunks.
const insertChunk = 16

var insertChunkSQL = `INSERT INTO sessions (` + sessionCols + `) VALUES ` +
	strings.TrimSuffix(strings.Repeat(`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), `, insertChunk), ", ")

func (s sessions) Record(ctx context.Context, r store.SessionRecord) error {
	return s.insert(ctx, []store.SessionRecord{r})
}

// RecordMany is one transaction of plain INSERTs: records are not unique
// (store.Sessions), so there is no conflict to handle.
func (s sessions) RecordMany(ctx context.Context, rs []store.SessionRecord) error {
	if len(rs) == 0 {
		return nil
	}
	return s.insert(ctx, rs)
}

// insert adds rs in one write transaction through the statement prepared
// at Open.
func (s sessions) insert(ctx context.Context, rs []store.SessionRecord) error {
	return s.c.write(ctx, func(q querier) error {
		tx, ok := q.(*sql.Tx)
		if !ok {
			return fmt.Errorf("sqlite: recording sessions outside a transaction")
		}
		// tx holds wdb's one connection, where the statement is prepared:
		// StmtContext reuses it (and prepares it again on a new connection).
		st := tx.StmtContext(ctx, s.c.s.insertSession)
		defer st.Close()
		// The driver starts a goroutine to watch a cancellable context for
		// every statement it runs, more than an insert's own cost. The
		// inserts run under the write lock the transaction already holds,
		// so they cannot wait on anything to cancel: run them without
		// cancellation (BEGIN and COMMIT still honour ctx).
		execCtx := context.WithoutCancel(ctx)
		if len(rs) >= insertChunk {
			chunk := tx.StmtContext(ctx, s.c.s.insertSessions)
			defer chunk.Close()
			args := make([]any, 0, 12*insertChunk)
			for ; len(rs) >= insertChunk; rs = rs[insertChunk:] {
				args = args[:0]
				for _, r := range rs[:insertChunk] {
					args = appendSessionArgs(args, r)
				}
				if _, err := chunk.ExecContext(execCtx, args...); err != nil {
					return mapErr(err)
				}
			}
		}
		args := make([]any, 0, 12)
		for _, r := range rs {
			if _, err := st.ExecContext(execCtx, appendSessionArgs(args[:0], r)...); err != nil {
				return mapErr(err)
			}
		}
		return nil
	})
}

func (s sessions) List(ctx context.Context, f store.SessionFilter) ([]store.SessionRecord, error) {
	var where []string
	var args []any
	if f.Account != "" {
		where, args = append(where, "account_id = ?"), append(args, f.Account)
	}
	if f.AccessKeyID != "" {
		// No index: the table scan is paid only by listing or revoking one
		// key, an administrator's call, rare next to the inserts an index
		// on random ids would slow (migrations/0004_sessions_rowid.sql).
		where, args = append(where, "access_key_id = ?"), append(args, f.AccessKeyID)
	}
	if f.PrincipalARN != "" {
		where, args = append(where, "(principal_arn = ? OR session_arn = ?)"), append(args, f.PrincipalARN, f.PrincipalARN)
	}
	if !f.ActiveAt.IsZero() {
		where, args = append(where, "expires_at > ?"), append(args, toMicros(f.ActiveAt))
	}
	if !f.IssuedBefore.IsZero() {
		where, args = append(where, "issued_at < ?"), append(args, toMicros(f.IssuedBefore))
	}
	query := `SELECT ` + sessionCols + ` FROM sessions`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY issued_at, access_key_id, session_id"
	if f.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, f.Limit)
	}
	// Not through the statement cache: the filter makes many shapes.
	rows, err := s.c.s.rdb.QueryContext(ctx, query, args...)
	if s.c.tx != nil {
		rows, err = s.c.tx.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.SessionRecord
	for rows.Next() {
		var r store.SessionRecord
		var issued, expires int64
		if err := rows.Scan(&r.AccessKeyID, &r.SessionID, &r.Account, &r.PrincipalARN, &r.SessionARN, &r.Kind,
			&r.SessionName, &r.SourceIP, &r.ParentAccessKeyID, &r.RootAccessKeyID, &issued, &expires); err != nil {
			return nil, err
		}
		r.Issued, r.Expires = fromMicros(issued), fromMicros(expires)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s sessions) Prune(ctx context.Context, t time.Time) (int64, error) {
	var n int64
	err := s.c.write(ctx, func(q querier) error {
		r, err := exec(ctx, q, `DELETE FROM sessions WHERE expires_at < ?`, toMicros(t))
		if err != nil {
			return err
		}
		n, err = r.RowsAffected()
		return err
	})
	return n, err
}

type revocations struct{ c conn }

func (r revocations) Add(ctx context.Context, rev store.Revocation) (store.Revocation, error) {
	err := r.c.write(ctx, func(q querier) error {
		if err := q.QueryRowContext(ctx, `INSERT INTO revocations (kind, account_id, target, not_before, expires_at, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, rev.Kind, rev.Account, rev.Target, toMicros(rev.NotBefore),
			toMicros(rev.ExpiresAt), toMicros(rev.Created), rev.CreatedBy).Scan(&rev.ID); err != nil {
			return mapErr(err)
		}
		return r.c.change(ctx, q, rev.Account, store.ChangeRevocation, rev.Target)
	})
	return rev, err
}

func (r revocations) Active(ctx context.Context, t time.Time) ([]store.Revocation, error) {
	rows, err := r.c.reader().QueryContext(ctx, `SELECT id, kind, account_id, target, not_before, expires_at, created_at, created_by
		FROM revocations WHERE expires_at > ? ORDER BY id`, toMicros(t))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Revocation
	for rows.Next() {
		var rev store.Revocation
		var nb, exp, created int64
		if err := rows.Scan(&rev.ID, &rev.Kind, &rev.Account, &rev.Target, &nb, &exp, &created, &rev.CreatedBy); err != nil {
			return nil, err
		}
		rev.NotBefore, rev.ExpiresAt, rev.Created = fromMicros(nb), fromMicros(exp), fromMicros(created)
		out = append(out, rev)
	}
	return out, rows.Err()
}

func (r revocations) Prune(ctx context.Context, t time.Time) (int64, error) {
	var n int64
	err := r.c.write(ctx, func(q querier) error {
		res, err := exec(ctx, q, `DELETE FROM revocations WHERE expires_at < ?`, toMicros(t))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// appendSessionArgs appends r's columns in sessionCols order.
func appendSessionArgs(args []any, r store.SessionRecord) []any {
	return append(args, r.AccessKeyID, r.SessionID, r.Account, r.PrincipalARN, r.SessionARN, r.Kind,
		r.SessionName, r.SourceIP, r.ParentAccessKeyID, r.RootAccessKeyID, toMicros(r.Issued), toMicros(r.Expires))
}
