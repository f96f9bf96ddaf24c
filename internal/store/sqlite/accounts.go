package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

type accounts struct{ c conn }

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func (a accounts) Create(ctx context.Context, acct iam.Account) error {
	return a.c.write(ctx, func(q querier) error {
		if _, err := exec(ctx, q, `INSERT INTO accounts (id, alias, created_at) VALUES (?, ?, ?)`,
			acct.ID, nullString(acct.Alias), toMicros(acct.Created)); err != nil {
			return err
		}
		return a.c.change(ctx, q, acct.ID, store.ChangeAccount, acct.ID)
	})
}

const accountCols = `id, alias, created_at`

func scanAccount(row interface{ Scan(...any) error }) (iam.Account, error) {
	var acct iam.Account
	var alias sql.NullString
	var created int64
	if err := row.Scan(&acct.ID, &alias, &created); err != nil {
		return iam.Account{}, err
	}
	acct.Alias, acct.Created = alias.String, fromMicros(created)
	return acct, nil
}

func (a accounts) get(ctx context.Context, where, key string) (iam.Account, error) {
	acct, err := scanAccount(a.c.reader().QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE `+where+` = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return iam.Account{}, notFound("account %q", key)
	}
	return acct, err
}

func (a accounts) Get(ctx context.Context, id string) (iam.Account, error) {
	return a.get(ctx, "id", id)
}

func (a accounts) GetByAlias(ctx context.Context, alias string) (iam.Account, error) {
	if alias == "" {
		return iam.Account{}, notFound("account alias %q", alias)
	}
	return a.get(ctx, "alias", alias)
}

func (a accounts) List(ctx context.Context) ([]iam.Account, error) {
	rows, err := a.c.reader().QueryContext(ctx, `SELECT `+accountCols+` FROM accounts ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []iam.Account
	for rows.Next() {
		acct, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, acct)
	}
	return out, rows.Err()
}

func (a accounts) SetAlias(ctx context.Context, id, alias string) error {
	return a.c.write(ctx, func(q querier) error {
		r, err := exec(ctx, q, `UPDATE accounts SET alias = ? WHERE id = ?`, nullString(alias), id)
		if err != nil {
			return err
		}
		if err := affected(r, "account "+id); err != nil {
			return err
		}
		return a.c.change(ctx, q, id, store.ChangeAccount, id)
	})
}

func (a accounts) Delete(ctx context.Context, id string) error {
	return a.c.write(ctx, func(q querier) error {
		r, err := exec(ctx, q, `DELETE FROM accounts WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if err := affected(r, "account "+id); err != nil {
			return err
		}
		return a.c.change(ctx, q, id, store.ChangeAccount, id)
	})
}

// countsQuery counts an account's entities, each through its table's
// account index.
const countsQuery = `SELECT
	(SELECT COUNT(*) FROM users WHERE account_id = ?1),
	(SELECT COUNT(*) FROM iam_groups WHERE account_id = ?1),
	(SELECT COUNT(*) FROM roles WHERE account_id = ?1),
	(SELECT COUNT(*) FROM policies WHERE account_id = ?1),
	(SELECT COUNT(*) FROM policy_versions v JOIN policies p ON p.id = v.policy_id WHERE p.account_id = ?1),
	(SELECT COUNT(*) FROM instance_profiles WHERE account_id = ?1),
	(SELECT COUNT(*) FROM mfa_devices WHERE account_id = ?1),
	(SELECT COUNT(*) FROM mfa_devices WHERE account_id = ?1 AND user_id IS NOT NULL),
	(SELECT COUNT(*) FROM identity_providers WHERE account_id = ?1)`

func (a accounts) Counts(ctx context.Context, id string) (store.AccountCounts, error) {
	var n store.AccountCounts
	err := a.c.reader().QueryRowContext(ctx, countsQuery, id).Scan(&n.Users, &n.Groups, &n.Roles, &n.Policies, &n.PolicyVersions,
		&n.InstanceProfiles, &n.MFADevices, &n.MFADevicesInUse, &n.Providers)
	return n, err
}
