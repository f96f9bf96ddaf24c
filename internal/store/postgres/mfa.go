package postgres

import (
	"context"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/jackc/pgx/v5"
)

type mfaDevices struct{ c conn }

func (m mfaDevices) Create(ctx context.Context, d iam.VirtualMFADevice) error {
	return m.c.write(ctx, func(q querier) error {
		if err := requireAccount(ctx, q, d.Account); err != nil {
			return err
		}
		if _, err := exec(ctx, q, `INSERT INTO mfa_devices (serial, account_id, name, path, seed, last_step, created_at, tags)
			VALUES ($1, $2, $3, $4, $5, 0, $6, $7)`,
			d.SerialNumber, d.Account, d.Name, d.Path, d.SeedCiphertext, toMicros(d.Created), encodeTags(d.Tags)); err != nil {
			return err
		}
		return m.c.change(ctx, q, d.Account, store.ChangeMFADevice, d.SerialNumber)
	})
}

const mfaCols = `d.serial, d.account_id, d.name, d.path, d.seed, COALESCE(u.name, ''), d.enabled_at, d.last_step,
	d.created_at, d.tags`

const mfaFrom = ` FROM mfa_devices d LEFT JOIN users u ON u.id = d.user_id `

func scanMFA(row pgx.Row) (iam.VirtualMFADevice, error) {
	var d iam.VirtualMFADevice
	var enabled *int64
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

func (m mfaDevices) Get(ctx context.Context, serial string) (iam.VirtualMFADevice, error) {
	d, err := scanMFA(m.c.reader().QueryRow(ctx, `SELECT `+mfaCols+mfaFrom+`WHERE d.serial = $1`, serial))
	if noRows(err) {
		return iam.VirtualMFADevice{}, notFound("MFA device %s", serial)
	}
	return d, err
}

func (m mfaDevices) List(ctx context.Context, account string) ([]iam.VirtualMFADevice, error) {
	rows, err := m.c.reader().Query(ctx, `SELECT `+mfaCols+mfaFrom+`WHERE d.account_id = $1 ORDER BY d.serial`, account)
	return collect(rows, err, scanMFA)
}

func (m mfaDevices) ListForUser(ctx context.Context, account, user string) ([]iam.VirtualMFADevice, error) {
	var out []iam.VirtualMFADevice
	err := m.c.readTx(ctx, func(q querier) error {
		uid, err := lookupID(ctx, q, "users", account, user)
		if err != nil {
			return err
		}
		rows, err := q.Query(ctx, `SELECT `+mfaCols+mfaFrom+`WHERE d.user_id = $1 ORDER BY d.serial`, uid)
		out, err = collect(rows, err, scanMFA)
		return err
	})
	return out, err
}

// mfaState returns the device's account and whether it is assigned.
func mfaState(ctx context.Context, q querier, serial string) (account string, assigned bool, err error) {
	var uid *string
	err = q.QueryRow(ctx, `SELECT account_id, user_id FROM mfa_devices WHERE serial = $1`, serial).Scan(&account, &uid)
	if noRows(err) {
		return "", false, notFound("MFA device %s", serial)
	}
	return account, uid != nil, err
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
		if _, err := exec(ctx, q, `UPDATE mfa_devices SET user_id = $1, enabled_at = $2, last_step = $3 WHERE serial = $4`,
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
		var user *string
		if err := q.QueryRow(ctx, `SELECT u.name FROM mfa_devices d JOIN users u ON u.id = d.user_id
			WHERE d.serial = $1`, serial).Scan(&user); err != nil && !noRows(err) {
			return err
		}
		if _, err := exec(ctx, q, `UPDATE mfa_devices SET user_id = NULL, enabled_at = NULL, last_step = 0
			WHERE serial = $1`, serial); err != nil {
			return err
		}
		if err := m.c.change(ctx, q, account, store.ChangeMFADevice, serial); err != nil {
			return err
		}
		if user != nil {
			return m.c.change(ctx, q, account, store.ChangeUser, *user)
		}
		return nil
	})
}

func (m mfaDevices) AdvanceStep(ctx context.Context, serial string, step int64) error {
	return m.c.write(ctx, func(q querier) error {
		tag, err := exec(ctx, q, `UPDATE mfa_devices SET last_step = $1 WHERE serial = $2 AND last_step < $1`, step, serial)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
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
		if _, err := exec(ctx, q, `DELETE FROM mfa_devices WHERE serial = $1`, serial); err != nil {
			return err
		}
		return m.c.change(ctx, q, account, store.ChangeMFADevice, serial)
	})
}
