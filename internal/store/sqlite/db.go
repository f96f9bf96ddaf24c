package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn routes statements: inside Tx everything goes to tx; outside, reads go
// to the read pool and each write method runs in its own write transaction.
type conn struct {
	s  *Store
	tx *sql.Tx
}

func (c conn) reader() querier {
	if c.tx != nil {
		return c.tx
	}
	return cachedReader{c: c.s.stmts}
}

// write runs fn in the current transaction, or in a new one.
func (c conn) write(ctx context.Context, fn func(q querier) error) error {
	if c.tx != nil {
		return fn(c.tx)
	}
	tx, err := c.s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", mapErr(err))
	}
	return nil
}

// readTx runs fn in a read transaction, so several queries see one
// snapshot; inside Tx it uses the write transaction.
func (c conn) readTx(ctx context.Context, fn func(q querier) error) error {
	if c.tx != nil {
		return fn(c.tx)
	}
	tx, err := c.s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(cachedReader{c: c.s.stmts, tx: tx})
}

// change appends to the change feed inside the write transaction.
func (c conn) change(ctx context.Context, q querier, account, kind, key string) error {
	_, err := q.ExecContext(ctx, `INSERT INTO changes (account_id, kind, key, at) VALUES (?, ?, ?, ?)`,
		account, kind, key, toMicros(c.s.now()))
	return err
}

// mapErr turns constraint violations into store.ErrConflict.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY,
			sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: %v", store.ErrConflict, err)
		}
	}
	return err
}

func notFound(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), store.ErrNotFound)
}

func conflict(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), store.ErrConflict)
}

// exec runs a statement and maps constraint errors.
func exec(ctx context.Context, q querier, query string, args ...any) (sql.Result, error) {
	r, err := q.ExecContext(ctx, query, args...)
	return r, mapErr(err)
}

// affected returns ErrNotFound (with what) when a statement changed no row.
func affected(r sql.Result, what string) error {
	n, err := r.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("%s", what)
	}
	return nil
}

func toMicros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// nullMicros stores the zero time as NULL.
func nullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func fromNullMicros(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromMicros(n.Int64)
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
		return nil, fmt.Errorf("sqlite: corrupt tags: %w", err)
	}
	return tags, nil
}

// lookupID resolves an entity name to its id within an account.
func lookupID(ctx context.Context, q querier, table, account, name string) (string, error) {
	var id string
	err := q.QueryRowContext(ctx, `SELECT id FROM `+table+` WHERE account_id = ? AND name_key = ?`,
		account, iam.NameKey(name)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound("%s %q in account %s", table, name, account)
	}
	return id, err
}

// listClause builds the WHERE tail and args for ListOptions.
func listClause(opts store.ListOptions) (string, []any) {
	var where string
	var args []any
	if opts.PathPrefix != "" {
		where += ` AND substr(path, 1, ?) = ?`
		args = append(args, len(opts.PathPrefix), opts.PathPrefix)
	}
	if opts.After != "" {
		where += ` AND name_key > ?`
		args = append(args, iam.NameKey(opts.After))
	}
	where += ` ORDER BY name_key`
	if opts.Limit > 0 {
		where += ` LIMIT ?`
		args = append(args, opts.Limit)
	}
	return where, args
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
	return ownerTables{}, fmt.Errorf("sqlite: unknown principal kind %d", int(k))
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
