package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// querier is what *pgxpool.Pool and pgx.Tx have in common.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// conn routes statements: inside Tx everything goes to tx; outside, reads go
// to the pool and each write method runs in its own serializable
// transaction.
type conn struct {
	s  *Store
	tx pgx.Tx
}

func (c conn) reader() querier {
	if c.tx != nil {
		return c.tx
	}
	return c.s.pool
}

// write runs fn in a new serializable transaction (retried as Tx is), or,
// inside Tx, in a savepoint: a failed method then leaves the transaction
// usable, as a failed statement does in SQLite, instead of aborting it.
func (c conn) write(ctx context.Context, fn func(q querier) error) error {
	if c.tx == nil {
		return c.s.serializable(ctx, func(tx pgx.Tx) error { return fn(tx) })
	}
	sp, err := c.tx.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: savepoint: %w", err)
	}
	if err := fn(sp); err != nil {
		if rerr := sp.Rollback(ctx); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return sp.Commit(ctx)
}

// readTx runs fn in one read-only snapshot (REPEATABLE READ), so several
// queries agree; inside Tx it uses the transaction.
func (c conn) readTx(ctx context.Context, fn func(q querier) error) error {
	if c.tx != nil {
		return fn(c.tx)
	}
	tx, err := c.s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("postgres: begin read: %w", unavailable(err))
	}
	defer tx.Rollback(ctx)
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// change appends to the change feed inside the write transaction. The
// function brevet_record_change (0001_init.sql) takes the feed's advisory
// lock, inserts and notifies in one round trip.
func (c conn) change(ctx context.Context, q querier, account, kind, key string) error {
	_, err := q.Exec(ctx, `SELECT brevet_record_change($1, $2, $3, $4)`, account, kind, key, toMicros(c.s.now()))
	return err
}

// SQLSTATEs this package acts on.
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

// mapErr turns constraint violations into store.ErrConflict, and an
// unreachable database into store.ErrUnavailable.
func mapErr(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case codeUniqueViolation, codeForeignKeyViolation:
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		}
	}
	return unavailable(err)
}

// retryable reports whether a transaction failed only because it lost a
// race, so running it again may succeed.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == codeSerializationFailure || pe.Code == codeDeadlockDetected)
}

func notFound(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), store.ErrNotFound)
}

func conflict(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), store.ErrConflict)
}

func noRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// exec runs a statement and maps constraint errors.
func exec(ctx context.Context, q querier, query string, args ...any) (pgconn.CommandTag, error) {
	tag, err := q.Exec(ctx, query, args...)
	return tag, mapErr(err)
}

// affected returns ErrNotFound (with what) when a statement changed no row.
func affected(tag pgconn.CommandTag, what string) error {
	if tag.RowsAffected() == 0 {
		return notFound("%s", what)
	}
	return nil
}

func toMicros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// nullMicros stores the zero time as NULL.
func nullMicros(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	us := t.UnixMicro()
	return &us
}

func fromNullMicros(n *int64) time.Time {
	if n == nil {
		return time.Time{}
	}
	return fromMicros(*n)
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func encodeTags(tags []iam.Tag) string {
	if len(tags) == 0 {
		return "[]"
	}
	b, err := json.Marshal(tags)
	if err != nil {
		panic(err) // []iam.Tag of strings always marshals
	}
	return string(b)
}

func decodeTags(s string) ([]iam.Tag, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var tags []iam.Tag
	if err := json.Unmarshal([]byte(s), &tags); err != nil {
		return nil, fmt.Errorf("postgres: corrupt tags: %w", err)
	}
	return tags, nil
}

// lookupID resolves an entity name to its id within an account.
func lookupID(ctx context.Context, q querier, table, account, name string) (string, error) {
	var id string
	err := q.QueryRow(ctx, `SELECT id FROM `+table+` WHERE account_id = $1 AND name_key = $2`,
		account, iam.NameKey(name)).Scan(&id)
	if noRows(err) {
		return "", notFound("%s %q in account %s", table, name, account)
	}
	return id, err
}

// requireAccount turns a missing account into ErrNotFound rather than the
// foreign-key ErrConflict an insert would report.
func requireAccount(ctx context.Context, q querier, account string) error {
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM accounts WHERE id = $1`, account).Scan(&one)
	if noRows(err) {
		return notFound("account %q", account)
	}
	return err
}

// listClause builds the WHERE tail and args for ListOptions; its
// placeholders start at $next.
func listClause(opts store.ListOptions, next int) (string, []any) {
	var b strings.Builder
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(next+len(args)-1)
	}
	if opts.PathPrefix != "" {
		b.WriteString(` AND starts_with(path, ` + arg(opts.PathPrefix) + `)`)
	}
	if opts.After != "" {
		b.WriteString(` AND name_key > ` + arg(iam.NameKey(opts.After)))
	}
	b.WriteString(` ORDER BY name_key`)
	if opts.Limit > 0 {
		b.WriteString(` LIMIT ` + arg(opts.Limit))
	}
	return b.String(), args
}

// ownerTables names the tables holding an owner kind's rows, inline
// policies and attachments, and the owner column in the latter two.
type ownerTables struct {
	entity, inline, attach, col, change string
}

func tablesFor(k iam.PrincipalKind) (ownerTables, error) {
	switch k {
	case iam.PrincipalUser:
		return ownerTables{"users", "user_policies", "user_attachments", "user_id", store.ChangeUser}, nil
	case iam.PrincipalGroup:
		return ownerTables{"iam_groups", "group_policies", "group_attachments", "group_id", store.ChangeGroup}, nil
	case iam.PrincipalRole:
		return ownerTables{"roles", "role_policies", "role_attachments", "role_id", store.ChangeRole}, nil
	}
	return ownerTables{}, fmt.Errorf("postgres: unknown principal kind %d", int(k))
}

// ownerID resolves an owner to its tables and row id.
func ownerID(ctx context.Context, q querier, o iam.Owner) (ownerTables, string, error) {
	t, err := tablesFor(o.Kind)
	if err != nil {
		return t, "", err
	}
	id, err := lookupID(ctx, q, t.entity, o.Account, o.Name)
	return t, id, err
}

// repos implements store.Repos on a conn.
type repos struct{ c conn }

func (r repos) Accounts() store.Accounts             { return accounts(r) }
func (r repos) Users() store.Users                   { return users(r) }
func (r repos) Groups() store.Groups                 { return groups(r) }
func (r repos) Roles() store.Roles                   { return roles(r) }
func (r repos) Policies() store.Policies             { return policies(r) }
func (r repos) InlinePolicies() store.InlinePolicies { return inlinePolicies(r) }
func (r repos) Attachments() store.Attachments       { return attachments(r) }
func (r repos) AccessKeys() store.AccessKeys         { return accessKeys(r) }
func (r repos) MFADevices() store.MFADevices         { return mfaDevices(r) }
func (r repos) KeyMaterial() store.KeyMaterial       { return keyMaterial(r) }

// prefixCols qualifies a comma-separated column list with a table alias.
func prefixCols(prefix, cols string) string {
	parts := strings.Split(cols, ", ")
	for i, p := range parts {
		parts[i] = prefix + p
	}
	return strings.Join(parts, ", ")
}

// collect scans every row with scan.
func collect[T any](rows pgx.Rows, err error, scan func(pgx.Row) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
