package postgres

import (
	"context"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/jackc/pgx/v5"
)

type accessKeys struct{ c conn }

func (k accessKeys) Create(ctx context.Context, key iam.AccessKey) error {
	return k.c.write(ctx, func(q querier) error {
		uid, err := lookupID(ctx, q, "users", key.Account, key.UserName)
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `INSERT INTO access_keys (id, user_id, status, created_at, secret,
			last_used_at, last_used_service, last_used_region) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			key.ID, uid, string(key.Status), toMicros(key.Created), key.SecretCiphertext,
			nullMicros(key.LastUsed.Date), key.LastUsed.Service, key.LastUsed.Region); err != nil {
			return err
		}
		return k.c.change(ctx, q, key.Account, store.ChangeAccessKey, key.ID)
	})
}

const accessKeyCols = `k.id, u.account_id, u.name, k.status, k.created_at, k.secret, k.last_used_at,
	k.last_used_service, k.last_used_region`

func scanAccessKey(row pgx.Row) (iam.AccessKey, error) {
	var key iam.AccessKey
	var status string
	var created int64
	var used *int64
	if err := row.Scan(&key.ID, &key.Account, &key.UserName, &status, &created, &key.SecretCiphertext, &used,
		&key.LastUsed.Service, &key.LastUsed.Region); err != nil {
		return iam.AccessKey{}, err
	}
	key.Status, key.Created, key.LastUsed.Date = iam.AccessKeyStatus(status), fromMicros(created), fromNullMicros(used)
	return key, nil
}

func (k accessKeys) Get(ctx context.Context, id string) (iam.AccessKey, error) {
	key, err := scanAccessKey(k.c.reader().QueryRow(ctx, `SELECT `+accessKeyCols+` FROM access_keys k
		JOIN users u ON u.id = k.user_id WHERE k.id = $1`, id))
	if noRows(err) {
		return iam.AccessKey{}, notFound("access key %s", id)
	}
	return key, err
}

func (k accessKeys) ListForUser(ctx context.Context, account, user string) ([]iam.AccessKey, error) {
	var out []iam.AccessKey
	err := k.c.readTx(ctx, func(q querier) error {
		uid, err := lookupID(ctx, q, "users", account, user)
		if err != nil {
			return err
		}
		rows, err := q.Query(ctx, `SELECT `+accessKeyCols+` FROM access_keys k
			JOIN users u ON u.id = k.user_id WHERE k.user_id = $1 ORDER BY k.created_at, k.id`, uid)
		out, err = collect(rows, err, scanAccessKey)
		return err
	})
	return out, err
}

// keyAccount returns the account of a key, for the change feed.
func keyAccount(ctx context.Context, q querier, id string) (string, error) {
	var account string
	err := q.QueryRow(ctx, `SELECT u.account_id FROM access_keys k JOIN users u ON u.id = k.user_id
		WHERE k.id = $1`, id).Scan(&account)
	if noRows(err) {
		return "", notFound("access key %s", id)
	}
	return account, err
}

func (k accessKeys) SetStatus(ctx context.Context, id string, status iam.AccessKeyStatus) error {
	return k.c.write(ctx, func(q querier) error {
		account, err := keyAccount(ctx, q, id)
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `UPDATE access_keys SET status = $1 WHERE id = $2`, string(status), id); err != nil {
			return err
		}
		return k.c.change(ctx, q, account, store.ChangeAccessKey, id)
	})
}

func (k accessKeys) RecordUse(ctx context.Context, id string, used iam.AccessKeyLastUsed) error {
	return k.c.write(ctx, func(q querier) error {
		tag, err := exec(ctx, q, `UPDATE access_keys SET last_used_at = $1, last_used_service = $2, last_used_region = $3
			WHERE id = $4`, nullMicros(used.Date), used.Service, used.Region, id)
		if err != nil {
			return err
		}
		return affected(tag, "access key "+id)
	})
}

func (k accessKeys) Delete(ctx context.Context, id string) error {
	return k.c.write(ctx, func(q querier) error {
		account, err := keyAccount(ctx, q, id)
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `DELETE FROM access_keys WHERE id = $1`, id); err != nil {
			return err
		}
		return k.c.change(ctx, q, account, store.ChangeAccessKey, id)
	})
}
