package postgres

import (
	"context"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/jackc/pgx/v5"
)

type accounts struct{ c conn }

func (a accounts) Create(ctx context.Context, acct iam.Account) error {
	return a.c.write(ctx, func(q querier) error {
		if _, err := exec(ctx, q, `INSERT INTO accounts (id, alias, created_at) VALUES ($1, $2, $3)`,
			acct.ID, nullString(acct.Alias), toMicros(acct.Created)); err != nil {
			return err
		}
		return a.c.change(ctx, q, acct.ID, store.ChangeAccount, acct.ID)
	})
}

const accountCols = `id, alias, created_at`

func scanAccount(row pgx.Row) (iam.Account, error) {
	var acct iam.Account
	var alias *string
	var created int64
	if err := row.Scan(&acct.ID, &alias, &created); err != nil {
		return iam.Account{}, err
	}
	if alias != nil {
		acct.Alias = *alias
	}
	acct.Created = fromMicros(created)
	return acct, nil
}

func (a accounts) get(ctx context.Context, where, key string) (iam.Account, error) {
	acct, err := scanAccount(a.c.reader().QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE `+where+` = $1`, key))
	if noRows(err) {
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
	rows, err := a.c.reader().Query(ctx, `SELECT `+accountCols+` FROM accounts ORDER BY id`)
	return collect(rows, err, scanAccount)
}

func (a accounts) SetAlias(ctx context.Context, id, alias string) error {
	return a.c.write(ctx, func(q querier) error {
		tag, err := exec(ctx, q, `UPDATE accounts SET alias = $1 WHERE id = $2`, nullString(alias), id)
		if err != nil {
			return err
		}
		if err := affected(tag, "account "+id); err != nil {
			return err
		}
		return a.c.change(ctx, q, id, store.ChangeAccount, id)
	})
}

func (a accounts) Delete(ctx context.Context, id string) error {
	return a.c.write(ctx, func(q querier) error {
		tag, err := exec(ctx, q, `DELETE FROM accounts WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if err := affected(tag, "account "+id); err != nil {
			return err
		}
		return a.c.change(ctx, q, id, store.ChangeAccount, id)
	})
}

// countsQuery counts an account's entities, each through its table's
// account index.
const countsQuery = `SELECT
	(SELECT COUNT(*) FROM users WHERE account_id = $1),
	(SELECT COUNT(*) FROM iam_groups WHERE account_id = $1),
	(SELECT COUNT(*) FROM roles WHERE account_id = $1),
	(SELECT COUNT(*) FROM policies WHERE account_id = $1),
	(SELECT COUNT(*) FROM policy_versions v JOIN policies p ON p.id = v.policy_id WHERE p.account_id = $1),
	(SELECT COUNT(*) FROM instance_profiles WHERE account_id = $1),
	(SELECT COUNT(*) FROM mfa_devices WHERE account_id = $1),
	(SELECT COUNT(*) FROM mfa_devices WHERE account_id = $1 AND user_id IS NOT NULL),
	(SELECT COUNT(*) FROM identity_providers WHERE account_id = $1)`

func (a accounts) Counts(ctx context.Context, id string) (store.AccountCounts, error) {
	var n store.AccountCounts
	err := a.c.reader().QueryRow(ctx, countsQuery, id).Scan(&n.Users, &n.Groups, &n.Roles, &n.Policies, &n.PolicyVersions,
		&n.InstanceProfiles, &n.MFADevices, &n.MFADevicesInUse, &n.Providers)
	return n, err
}
