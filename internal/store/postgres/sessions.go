package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
	"github.com/jackc/pgx/v5"
)

// Sessions implements store.Repos.
func (r repos) Sessions() store.Sessions { return sessions(r) }

// Revocations implements store.Repos.
func (r repos) Revocations() store.Revocations { return revocations(r) }

type sessions struct{ c conn }

const sessionCols = `access_key_id, session_id, account_id, principal_arn, session_arn, kind, session_name,
	source_ip, parent_access_key_id, root_access_key_id, issued_at, expires_at`

// Record is one INSERT, outside a transaction one autocommitted round trip:
// it is on the issuance path and touches one row of a table nothing else
// reads in the same transaction, so it needs no serializable transaction.
func (s sessions) Record(ctx context.Context, r store.SessionRecord) error {
	insert := func(q querier) error {
		_, err := exec(ctx, q, `INSERT INTO sessions (`+sessionCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			r.AccessKeyID, r.SessionID, r.Account, r.PrincipalARN, r.SessionARN, r.Kind, r.SessionName,
			r.SourceIP, r.ParentAccessKeyID, r.RootAccessKeyID, toMicros(r.Issued), toMicros(r.Expires))
		return err
	}
	if s.c.tx != nil {
		return s.c.write(ctx, insert) // a savepoint keeps the transaction usable if it fails
	}
	return insert(s.c.s.pool)
}

// recordManyChunk bounds one INSERT's rows (12 parameters each, well under
// PostgreSQL's 65535).
const recordManyChunk = 1000

// RecordMany is one multi-row INSERT per chunk: outside a transaction a
// batch of up to recordManyChunk records is one autocommitted round trip,
// and a larger one runs in a transaction, so that all are added or none.
// Records are not unique (store.Sessions): there is no conflict to handle.
func (s sessions) RecordMany(ctx context.Context, rs []store.SessionRecord) error {
	if len(rs) > recordManyChunk && s.c.tx == nil {
		return s.c.s.serializable(ctx, func(tx pgx.Tx) error {
			return sessions{c: conn{s: s.c.s, tx: tx}}.RecordMany(ctx, rs)
		})
	}
	for start := 0; start < len(rs); start += recordManyChunk {
		chunk := rs[start:min(start+recordManyChunk, len(rs))]
		var b strings.Builder
		args := make([]any, 0, 12*len(chunk))
		b.WriteString(`INSERT INTO sessions (` + sessionCols + `) VALUES `)
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)",
				n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10, n+11, n+12)
			args = append(args, r.AccessKeyID, r.SessionID, r.Account, r.PrincipalARN, r.SessionARN, r.Kind, r.SessionName,
				r.SourceIP, r.ParentAccessKeyID, r.RootAccessKeyID, toMicros(r.Issued), toMicros(r.Expires))
		}
		if _, err := exec(ctx, s.c.reader(), b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

func scanSession(row pgx.Row) (store.SessionRecord, error) {
	var r store.SessionRecord
	var issued, expires int64
	if err := row.Scan(&r.AccessKeyID, &r.SessionID, &r.Account, &r.PrincipalARN, &r.SessionARN, &r.Kind,
		&r.SessionName, &r.SourceIP, &r.ParentAccessKeyID, &r.RootAccessKeyID, &issued, &expires); err != nil {
		return store.SessionRecord{}, err
	}
	r.Issued, r.Expires = fromMicros(issued), fromMicros(expires)
	return r, nil
}

func (s sessions) List(ctx context.Context, f store.SessionFilter) ([]store.SessionRecord, error) {
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.Account != "" {
		where = append(where, "account_id = "+arg(f.Account))
	}
	if f.AccessKeyID != "" {
		where = append(where, "access_key_id = "+arg(f.AccessKeyID))
	}
	if f.PrincipalARN != "" {
		p := arg(f.PrincipalARN)
		where = append(where, "(principal_arn = "+p+" OR session_arn = "+p+")")
	}
	if !f.ActiveAt.IsZero() {
		where = append(where, "expires_at > "+arg(toMicros(f.ActiveAt)))
	}
	if !f.IssuedBefore.IsZero() {
		where = append(where, "issued_at < "+arg(toMicros(f.IssuedBefore)))
	}
	query := `SELECT ` + sessionCols + ` FROM sessions`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY issued_at, access_key_id, session_id"
	if f.Limit > 0 {
		query += " LIMIT " + arg(f.Limit)
	}
	rows, err := s.c.reader().Query(ctx, query, args...)
	return collect(rows, err, scanSession)
}

func (s sessions) Prune(ctx context.Context, t time.Time) (int64, error) {
	var n int64
	err := s.c.write(ctx, func(q querier) error {
		tag, err := exec(ctx, q, `DELETE FROM sessions WHERE expires_at < $1`, toMicros(t))
		n = tag.RowsAffected()
		return err
	})
	return n, err
}

type revocations struct{ c conn }

func (r revocations) Add(ctx context.Context, rev store.Revocation) (store.Revocation, error) {
	err := r.c.write(ctx, func(q querier) error {
		if err := q.QueryRow(ctx, `INSERT INTO revocations (kind, account_id, target, not_before, expires_at, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, rev.Kind, rev.Account, rev.Target, toMicros(rev.NotBefore),
			toMicros(rev.ExpiresAt), toMicros(rev.Created), rev.CreatedBy).Scan(&rev.ID); err != nil {
			return mapErr(err)
		}
		return r.c.change(ctx, q, rev.Account, store.ChangeRevocation, rev.Target)
	})
	return rev, err
}

func scanRevocation(row pgx.Row) (store.Revocation, error) {
	var rev store.Revocation
	var nb, exp, created int64
	if err := row.Scan(&rev.ID, &rev.Kind, &rev.Account, &rev.Target, &nb, &exp, &created, &rev.CreatedBy); err != nil {
		return store.Revocation{}, err
	}
	rev.NotBefore, rev.ExpiresAt, rev.Created = fromMicros(nb), fromMicros(exp), fromMicros(created)
	return rev, nil
}

func (r revocations) Active(ctx context.Context, t time.Time) ([]store.Revocation, error) {
	rows, err := r.c.reader().Query(ctx, `SELECT id, kind, account_id, target, not_before, expires_at, created_at, created_by
		FROM revocations WHERE expires_at > $1 ORDER BY id`, toMicros(t))
	return collect(rows, err, scanRevocation)
}

func (r revocations) Prune(ctx context.Context, t time.Time) (int64, error) {
	var n int64
	err := r.c.write(ctx, func(q querier) error {
		tag, err := exec(ctx, q, `DELETE FROM revocations WHERE expires_at < $1`, toMicros(t))
		n = tag.RowsAffected()
		return err
	})
	return n, err
}

// RecordSessionsTx adds rs in tx, a transaction of another writer of the
// same database: the audit sink indexes what a batch of events issued in
// the transaction that inserts the events (pgsink.Config.IndexIssued).
func RecordSessionsTx(ctx context.Context, tx pgx.Tx, rs []store.SessionRecord) error {
	return sessions{c: conn{tx: tx}}.RecordMany(ctx, rs)
}
