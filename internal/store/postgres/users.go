package postgres

import (
	"context"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/jackc/pgx/v5"
)

type users struct{ c conn }

func (u users) Create(ctx context.Context, usr iam.User) error {
	return u.c.write(ctx, func(q querier) error {
		if err := requireAccount(ctx, q, usr.Account); err != nil {
			return err
		}
		if _, err := exec(ctx, q, `INSERT INTO users (id, account_id, name, name_key, path, created_at,
			password_last_used, boundary_arn, tags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			usr.ID, usr.Account, usr.Name, iam.NameKey(usr.Name), usr.Path, toMicros(usr.Created),
			nullMicros(usr.PasswordLastUsed), usr.PermissionsBoundary, encodeTags(usr.Tags)); err != nil {
			return err
		}
		return u.c.change(ctx, q, usr.Account, store.ChangeUser, usr.Name)
	})
}

const userCols = `id, account_id, name, path, created_at, password_last_used, boundary_arn, tags`

// userDest returns the scan destinations for userCols and a function that
// finishes the user once scanned.
func userDest(usr *iam.User) ([]any, func() error) {
	var created int64
	var pwd *int64
	var tags string
	dest := []any{&usr.ID, &usr.Account, &usr.Name, &usr.Path, &created, &pwd, &usr.PermissionsBoundary, &tags}
	return dest, func() error {
		usr.Created, usr.PasswordLastUsed = fromMicros(created), fromNullMicros(pwd)
		var err error
		usr.Tags, err = decodeTags(tags)
		return err
	}
}

func scanUser(row pgx.Row) (iam.User, error) {
	var usr iam.User
	dest, finish := userDest(&usr)
	if err := row.Scan(dest...); err != nil {
		return iam.User{}, err
	}
	return usr, finish()
}

func (u users) Get(ctx context.Context, account, name string) (iam.User, error) {
	usr, err := scanUser(u.c.reader().QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE account_id = $1 AND name_key = $2`,
		account, iam.NameKey(name)))
	if noRows(err) {
		return iam.User{}, notFound("user %q in account %s", name, account)
	}
	return usr, err
}

func (u users) GetByID(ctx context.Context, id string) (iam.User, error) {
	usr, err := scanUser(u.c.reader().QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
	if noRows(err) {
		return iam.User{}, notFound("user id %q", id)
	}
	return usr, err
}

func (u users) List(ctx context.Context, account string, opts store.ListOptions) ([]iam.User, error) {
	tail, args := listClause(opts, 2)
	rows, err := u.c.reader().Query(ctx, `SELECT `+userCols+` FROM users WHERE account_id = $1`+tail,
		append([]any{account}, args...)...)
	return collect(rows, err, scanUser)
}

func (u users) Update(ctx context.Context, usr iam.User) error {
	return u.c.write(ctx, func(q querier) error {
		var oldName string
		err := q.QueryRow(ctx, `SELECT name FROM users WHERE account_id = $1 AND id = $2`, usr.Account, usr.ID).Scan(&oldName)
		if noRows(err) {
			return notFound("user id %q in account %s", usr.ID, usr.Account)
		}
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `UPDATE users SET name = $1, name_key = $2, path = $3, password_last_used = $4,
			boundary_arn = $5, tags = $6 WHERE id = $7`,
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
		if _, err := exec(ctx, q, `DELETE FROM users WHERE id = $1`, id); err != nil {
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
		return q.QueryRow(ctx, `SELECT
			(SELECT COUNT(*) FROM user_policies WHERE user_id = $1),
			(SELECT COUNT(*) FROM user_attachments WHERE user_id = $1),
			(SELECT COUNT(*) FROM group_members WHERE user_id = $1),
			(SELECT COUNT(*) FROM access_keys WHERE user_id = $1),
			(SELECT COUNT(*) FROM mfa_devices WHERE user_id = $1),
			(SELECT COUNT(*) FROM login_profiles WHERE user_id = $1)`, id).
			Scan(&d.InlinePolicies, &d.AttachedPolicies, &d.Groups, &d.AccessKeys, &d.MFADevices, &d.LoginProfile)
	})
	return d, err
}
