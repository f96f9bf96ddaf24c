package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

type accessKeys struct{ c conn }

func (k accessKeys) Create(ctx context.Context, key iam.AccessKey) error {
	return k.c.write(ctx, func(q querier) error {
		uid, err := lookupID(ctx, q, "users", key.Account, key.UserName)
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `INSERT INTO access_keys (id, user_id, status, created_at, secret,
			last_used_at, last_used_service, last_used_region) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			key.ID, uid, string(key.Status), toMicros(key.Created), key.SecretCiphertext,
			nullMicros(key.LastUsed.Date), key.LastUsed.Service, key.LastUsed.Region); err != nil {
			return err
		}
		return k.c.change(ctx, q, key.Account, store.ChangeAccessKey, key.ID)
	})
}

const accessKeyCols = `k.id, u.account_id, u.name, k.status, k.created_at, k.secret, k.last_used_at,
	k.last_used_service, k.last_used_region`

func scanAccessKey(row interface{ Scan(...any) error }) (iam.AccessKey, error) {
	var key iam.AccessKey
	var status string
	var created int64
	var used sql.NullInt64
	if err := row.Scan(&key.ID, &key.Account, &key.UserName, &status, &created, &key.SecretCiphertext, &used,
		&key.LastUsed.Service, &key.LastUsed.Region); err != nil {
		return iam.AccessKey{}, err
	}
	key.Status, key.Created, key.LastUsed.Date = iam.AccessKeyStatus(status), fromMicros(created), fromNullMicros(used)
	return key, nil
}

func getAccessKey(ctx context.Context, q querier, id string) (iam.AccessKey, error) {
	key, err := scanAccessKey(q.QueryRowContext(ctx, `SELECT `+accessKeyCols+` FROM access_keys k
		JOIN users u ON u.id = k.user_id WHERE k.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return iam.AccessKey{}, notFound("access key %s", id)
	}
	return key, err
}

func (k accessKeys) Get(ctx context.Context, id string) (iam.AccessKey, error) {
	return getAccessKey(ctx, k.c.reader(), id)
}

func (k accessKeys) ListForUser(ctx context.Context, account, user string) ([]iam.AccessKey, error) {
	var out []iam.AccessKey
	err := k.c.readTx(ctx, func(q querier) error {
		uid, err := lookupID(ctx, q, "users", account, user)
		if err != nil {
			return err
		}
		rows, err := q.QueryContext(ctx, `SELECT `+accessKeyCols+` FROM access_keys k
			JOIN users u ON u.id = k.user_id WHERE k.user_id = ? ORDER BY k.created_at, k.id`, uid)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			key, err := scanAccessKey(rows)
			if err != nil {
				return err
			}
			out = append(out, key)
		}
		return rows.Err()
	})
	return out, err
}

// keyAccount returns the account of a key, for the change feed.
func keyAccount(ctx context.Context, q querier, id string) (string, error) {
	var account string
	err := q.QueryRowContext(ctx, `SELECT u.account_id FROM access_keys k JOIN users u ON u.id = k.user_id
		WHERE k.id = ?`, id).Scan(&account)
	if errors.Is(err, sql.ErrNoRows) {
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
		if _, err := exec(ctx, q, `UPDATE access_keys SET status = ? WHERE id = ?`, string(status), id); err != nil {
			return err
		}
		return k.c.change(ctx, q, account, store.ChangeAccessKey, id)
	})
}

func (k accessKeys) RecordUse(ctx context.Context, id string, used iam.AccessKeyLastUsed) error {
	return k.c.write(ctx, func(q querier) error {
		r, err := exec(ctx, q, `UPDATE access_keys SET last_used_at = ?, last_used_service = ?, last_used_region = ?
			WHERE id = ?`, nullMicros(used.Date), used.Service, used.Region, id)
		if err != nil {
			return err
		}
		return affected(r, "access key "+id)
	})
}

func (k accessKeys) Delete(ctx context.Context, id string) error {
	return k.c.write(ctx, func(q querier) error {
		account, err := keyAccount(ctx, q, id)
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `DELETE FROM access_keys WHERE id = ?`, id); err != nil {
			return err
		}
		return k.c.change(ctx, q, account, store.ChangeAccessKey, id)
	})
}
