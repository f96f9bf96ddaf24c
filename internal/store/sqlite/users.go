package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

type users struct{ c conn }

// requireAccount turns a missing account into ErrNotFound rather than the
// foreign-key ErrConflict an insert would report.
func requireAccount(ctx context.Context, q querier, account string) error {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE id = ?`, account).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("account %q", account)
	}
	return err
}

func (u users) Create(ctx context.Context, usr iam.User) error {
	return u.c.write(ctx, func(q querier) error {
		if err := requireAccount(ctx, q, usr.Account); err != nil {
			return err
		}
		if _, err := exec(ctx, q, `INSERT INTO users (id, account_id, name, name_key, path, created_at,
			password_last_used, boundary_arn, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			usr.ID, usr.Account, usr.Name, iam.NameKey(usr.Name), usr.Path, toMicros(usr.Created),
			nullMicros(usr.PasswordLastUsed), usr.PermissionsBoundary, encodeTags(usr.Tags)); err != nil {
			return err
		}
		return u.c.change(ctx, q, usr.Account, store.ChangeUser, usr.Name)
	})
}

const userCols = `id, account_id, name, path, created_at, password_last_used, boundary_arn, tags`

func scanUser(row interface{ Scan(...any) error }) (iam.User, error) {
	var usr iam.User
	var created int64
	var pwd sql.NullInt64
	var tags string
	if err := row.Scan(&usr.ID, &usr.Account, &usr.Name, &usr.Path, &created, &pwd, &usr.PermissionsBoundary, &tags); err != nil {
		return iam.User{}, err
	}
	usr.Created, usr.PasswordLastUsed = fromMicros(created), fromNullMicros(pwd)
	var err error
	usr.Tags, err = decodeTags(tags)
	return usr, err
}

func getUser(ctx context.Context, q querier, account, name string) (iam.User, error) {
	usr, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE account_id = ? AND name_key = ?`,
		account, iam.NameKey(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return iam.User{}, notFound("user %q in account %s", name, account)
	}
	return usr, err
}

func (u users) Get(ctx context.Context, account, name string) (iam.User, error) {
	return getUser(ctx, u.c.reader(), account, name)
}

func (u users) GetByID(ctx context.Context, id string) (iam.User, error) {
	usr, err := scanUser(u.c.reader().QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return iam.User{}, notFound("user id %q", id)
	}
	return usr, err
}

func queryUsers(ctx context.Context, q querier, query string, args ...any) ([]iam.User, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []iam.User
	for rows.Next() {
		usr, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, usr)
	}
	return out, rows.Err()
}

func (u users) List(ctx context.Context, account string, opts store.ListOptions) ([]iam.User, error) {
	tail, args := listClause(opts)
	return queryUsers(ctx, u.c.reader(), `SELECT `+userCols+` FROM users WHERE account_id = ?`+tail,
		append([]any{account}, args...)...)
}

func (u users) Update(ctx context.Context, usr iam.User) error {
	return u.c.write(ctx, func(q querier) error {
		var oldName string
		err := q.QueryRowContext(ctx, `SELECT name FROM users WHERE account_id = ? AND id = ?`, usr.Account, usr.ID).Scan(&oldName)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("user id %q in account %s", usr.ID, usr.Account)
		}
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `UPDATE users SET name = ?, name_key = ?, path = ?, password_last_used = ?,
			boundary_arn = ?, tags = ? WHERE id = ?`,
			usr.Name, iam.NameKey(usr.Name), usr.Path, nullMicros(usr.PasswordLastUsed),
			usr.PermissionsBoundary, encodeTags(usr.Tags), usr.ID); err != nil {
			return err
		}
		if oldName != usr.Name {
			if err := u.c.change(ctx, q, usr.Account, store.ChangeUser, oldName); err != nil {
				return err
			}
		}
		return u.c.change(ctx, q, usr.Account, store.ChangeUser, usr.Name)
	})
}

func (u users) Delete(ctx context.Context, account, name string) error {
	return u.c.write(ctx, func(q querier) error {
		id, err := lookupID(ctx, q, "users", account, name)
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `DELETE FROM users WHERE id = ?`, id); err != nil {
			return err
		}
		return u.c.change(ctx, q, account, store.ChangeUser, name)
	})
}

func (u users) Dependents(ctx context.Context, account, name string) (iam.UserDependents, error) {
	var d iam.UserDependents
	err := u.c.readTx(ctx, func(q querier) error {
		id, err := lookupID(ctx, q, "users", account, name)
		if err != nil {
			return err
		}
		return q.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM user_policies WHERE user_id = ?1),
			(SELECT COUNT(*) FROM user_attachments WHERE user_id = ?1),
			(SELECT COUNT(*) FROM group_members WHERE user_id = ?1),
			(SELECT COUNT(*) FROM access_keys WHERE user_id = ?1),
			(SELECT COUNT(*) FROM mfa_devices WHERE user_id = ?1),
			(SELECT COUNT(*) FROM login_profiles WHERE user_id = ?1)`, id).
			Scan(&d.InlinePolicies, &d.AttachedPolicies, &d.Groups, &d.AccessKeys, &d.MFADevices, &d.LoginProfile)
	})
	return d, err
}
