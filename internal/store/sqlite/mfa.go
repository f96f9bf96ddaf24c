package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

type mfaDevices struct{ c conn }

func (m mfaDevices) Create(ctx context.Context, d iam.VirtualMFADevice) error {
	return m.c.write(ctx, func(q querier) error {
		if err := requireAccount(ctx, q, d.Account); err != nil {
			return err
		}
		if _, err := exec(ctx, q, `INSERT INTO mfa_devices (serial, account_id, name, path, seed, last_step, created_at, tags)
			VALUES (?, ?, ?, ?, ?, 0, ?, ?)`,
			d.SerialNumber, d.Account, d.Name, d.Path, d.SeedCiphertext, toMicros(d.Created), encodeTags(d.Tags)); err != nil {
			return err
		}
		return m.c.change(ctx, q, d.Account, store.ChangeMFADevice, d.SerialNumber)
	})
}

const mfaCols = `d.serial, d.account_id, d.name, d.path, d.seed, COALESCE(u.name, ''), d.enabled_at, d.last_step,
	d.created_at, d.tags`

const mfaFrom = ` FROM mfa_devices d LEFT JOIN users u ON u.id = d.user_id `

func scanMFA(row interface{ Scan(...any) error }) (iam.VirtualMFADevice, error) {
	var d iam.VirtualMFADevice
	var enabled sql.NullInt64
	var created int64
	var tags string
	if err := row.Scan(&d.SerialNumber, &d.Account, &d.Name, &d.Path, &d.SeedCiphertext, &d.UserName, &enabled,
		&d.LastStep, &created, &tags); err != nil {
		return iam.VirtualMFADevice{}, err
	}
	d.EnableDate, d.Created = fromNullMicros(enabled), fromMicros(created)
	var err error
	d.Tags, err = decodeTags(tags)
	return d, err
}

func queryMFA(ctx context.Context, q querier, where string, args ...any) ([]iam.VirtualMFADevice, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+mfaCols+mfaFrom+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []iam.VirtualMFADevice
	for rows.Next() {
		d, err := scanMFA(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func (m mfaDevices) Get(ctx context.Context, serial string) (iam.VirtualMFADevice, error) {
	d, err := scanMFA(m.c.reader().QueryRowContext(ctx, `SELECT `+mfaCols+mfaFrom+`WHERE d.serial = ?`, serial))
	if errors.Is(err, sql.ErrNoRows) {
		return iam.VirtualMFADevice{}, notFound("MFA device %s", serial)
	}
	return d, err
}

func (m mfaDevices) List(ctx context.Context, account string) ([]iam.VirtualMFADevice, error) {
	return queryMFA(ctx, m.c.reader(), `WHERE d.account_id = ? ORDER BY d.serial`, account)
}

func (m mfaDevices) ListForUser(ctx context.Context, account, user string) ([]iam.VirtualMFADevice, error) {
	var out []iam.VirtualMFADevice
	err := m.c.readTx(ctx, func(q querier) error {
		uid, err := lookupID(ctx, q, "users", account, user)
		if err != nil {
			return err
		}
		out, err = queryMFA(ctx, q, `WHERE d.user_id = ? ORDER BY d.serial`, uid)
		return err
	})
	return out, err
}

// mfaState returns the device's account and whether it is assigned.
func mfaState(ctx context.Context, q querier, serial string) (account string, assigned bool, err error) {
	var uid sql.NullString
	err = q.QueryRowContext(ctx, `SELECT account_id, user_id FROM mfa_devices WHERE serial = ?`, serial).Scan(&account, &uid)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, notFound("MFA device %s", serial)
	}
	return account, uid.Valid, err
}

func (m mfaDevices) Assign(ctx context.Context, serial, user string, at time.Time, step int64) error {
	return m.c.write(ctx, func(q querier) error {
		account, assigned, err := mfaState(ctx, q, serial)
		if err != nil {
			return err
		}
		if assigned {
			return conflict("MFA device %s is already assigned", serial)
		}
		uid, err := lookupID(ctx, q, "users", account, user)
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `UPDATE mfa_devices SET user_id = ?, enabled_at = ?, last_step = ? WHERE serial = ?`,
			uid, toMicros(at), step, serial); err != nil {
			return err
		}
		if err := m.c.change(ctx, q, account, store.ChangeMFADevice, serial); err != nil {
			return err
		}
		return m.c.change(ctx, q, account, store.ChangeUser, user)
	})
}

func (m mfaDevices) Unassign(ctx context.Context, serial string) error {
	return m.c.write(ctx, func(q querier) error {
		account, _, err := mfaState(ctx, q, serial)
		if err != nil {
			return err
		}
		var user sql.NullString
		if err := q.QueryRowContext(ctx, `SELECT u.name FROM mfa_devices d JOIN users u ON u.id = d.user_id
			WHERE d.serial = ?`, serial).Scan(&user); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := exec(ctx, q, `UPDATE mfa_devices SET user_id = NULL, enabled_at = NULL, last_step = 0
			WHERE serial = ?`, serial); err != nil {
			return err
		}
		if err := m.c.change(ctx, q, account, store.ChangeMFADevice, serial); err != nil {
			return err
		}
		if user.Valid {
			return m.c.change(ctx, q, account, store.ChangeUser, user.String)
		}
		return nil
	})
}

func (m mfaDevices) AdvanceStep(ctx context.Context, serial string, step int64) error {
	return m.c.write(ctx, func(q querier) error {
		r, err := exec(ctx, q, `UPDATE mfa_devices SET last_step = ? WHERE serial = ? AND last_step < ?`, step, serial, step)
		if err != nil {
			return err
		}
		if n, err := r.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			return nil
		}
		if _, _, err := mfaState(ctx, q, serial); err != nil {
			return err
		}
		return conflict("MFA device %s: step %d already used", serial, step)
	})
}

func (m mfaDevices) Delete(ctx context.Context, serial string) error {
	return m.c.write(ctx, func(q querier) error {
		account, assigned, err := mfaState(ctx, q, serial)
		if err != nil {
			return err
		}
		if assigned {
			return conflict("MFA device %s is assigned", serial)
		}
		if _, err := exec(ctx, q, `DELETE FROM mfa_devices WHERE serial = ?`, serial); err != nil {
			return err
		}
		return m.c.change(ctx, q, account, store.ChangeMFADevice, serial)
	})
}
