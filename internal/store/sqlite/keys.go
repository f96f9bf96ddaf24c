package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/brevet-dev/brevet/internal/store"
)

type keyMaterial struct{ c conn }

func (k keyMaterial) Put(ctx context.Context, rec store.KeyRecord) error {
	return k.c.write(ctx, func(q querier) error {
		if _, err := exec(ctx, q, `INSERT INTO key_material (purpose, id, ciphertext, created_at) VALUES (?, ?, ?, ?)`,
			rec.Purpose, rec.ID, rec.Ciphertext, toMicros(rec.Created)); err != nil {
			return err
		}
		return k.c.change(ctx, q, "", store.ChangeKeyMaterial, rec.Purpose+"/"+rec.ID)
	})
}

func scanKey(row interface{ Scan(...any) error }) (store.KeyRecord, error) {
	var rec store.KeyRecord
	var created int64
	if err := row.Scan(&rec.Purpose, &rec.ID, &rec.Ciphertext, &created); err != nil {
		return store.KeyRecord{}, err
	}
	rec.Created = fromMicros(created)
	return rec, nil
}

func (k keyMaterial) Get(ctx context.Context, purpose, id string) (store.KeyRecord, error) {
	rec, err := scanKey(k.c.reader().QueryRowContext(ctx, `SELECT purpose, id, ciphertext, created_at FROM key_material
		WHERE purpose = ? AND id = ?`, purpose, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.KeyRecord{}, notFound("key %s/%s", purpose, id)
	}
	return rec, err
}

func (k keyMaterial) List(ctx context.Context, purpose string) ([]store.KeyRecord, error) {
	rows, err := k.c.reader().QueryContext(ctx, `SELECT purpose, id, ciphertext, created_at FROM key_material
		WHERE purpose = ? ORDER BY created_at, id`, purpose)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.KeyRecord
	for rows.Next() {
		rec, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, rows.Err()
}

func (k keyMaterial) Delete(ctx context.Context, purpose, id string) error {
	return k.c.write(ctx, func(q querier) error {
		r, err := exec(ctx, q, `DELETE FROM key_material WHERE purpose = ? AND id = ?`, purpose, id)
		if err != nil {
			return err
		}
		if err := affected(r, "key "+purpose+"/"+id); err != nil {
			return err
		}
		return k.c.change(ctx, q, "", store.ChangeKeyMaterial, purpose+"/"+id)
	})
}

type changes struct{ c conn }

func (c changes) Since(ctx context.Context, seq int64, limit int) ([]store.Change, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := c.c.reader().QueryContext(ctx, `SELECT seq, account_id, kind, key, at FROM changes
		WHERE seq > ? ORDER BY seq LIMIT ?`, seq, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Change
	for rows.Next() {
		var ch store.Change
		var at int64
		if err := rows.Scan(&ch.Seq, &ch.Account, &ch.Kind, &ch.Key, &at); err != nil {
			return nil, err
		}
		ch.At = fromMicros(at)
		out = append(out, ch)
	}
	return out, rows.Err()
}

func (c changes) Latest(ctx context.Context) (int64, error) {
	var seq int64
	err := c.c.reader().QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM changes`).Scan(&seq)
	return seq, err
}

func (c changes) Trim(ctx context.Context, upTo int64) error {
	return c.c.write(ctx, func(q querier) error {
		// The newest entry stays, so Latest never goes backwards.
		_, err := exec(ctx, q, `DELETE FROM changes WHERE seq <= ? AND seq < (SELECT MAX(seq) FROM changes)`, upTo)
		return err
	})
}
