package postgres

import (
	"context"

	"github.com/brevet-dev/brevet/internal/store"
	"github.com/jackc/pgx/v5"
)

type keyMaterial struct{ c conn }

func (k keyMaterial) Put(ctx context.Context, rec store.KeyRecord) error {
	return k.c.write(ctx, func(q querier) error {
		if _, err := exec(ctx, q, `INSERT INTO key_material (purpose, id, ciphertext, created_at) VALUES ($1, $2, $3, $4)`,
			rec.Purpose, rec.ID, rec.Ciphertext, toMicros(rec.Created)); err != nil {
			return err
		}
		return k.c.change(ctx, q, "", store.ChangeKeyMaterial, rec.Purpose+"/"+rec.ID)
	})
}

func scanKey(row pgx.Row) (store.KeyRecord, error) {
	var rec store.KeyRecord
	var created int64
	if err := row.Scan(&rec.Purpose, &rec.ID, &rec.Ciphertext, &created); err != nil {
		return store.KeyRecord{}, err
	}
	rec.Created = fromMicros(created)
	return rec, nil
}

func (k keyMaterial) Get(ctx context.Context, purpose, id string) (store.KeyRecord, error) {
	rec, err := scanKey(k.c.reader().QueryRow(ctx, `SELECT purpose, id, ciphertext, created_at FROM key_material
		WHERE purpose = $1 AND id = $2`, purpose, id))
	if noRows(err) {
		return store.KeyRecord{}, notFound("key %s/%s", purpose, id)
	}
	return rec, err
}

func (k keyMaterial) List(ctx context.Context, purpose string) ([]store.KeyRecord, error) {
	rows, err := k.c.reader().Query(ctx, `SELECT purpose, id, ciphertext, created_at FROM key_material
		WHERE purpose = $1 ORDER BY created_at, id`, purpose)
	return collect(rows, err, scanKey)
}

func (k keyMaterial) Delete(ctx context.Context, purpose, id string) error {
	return k.c.write(ctx, func(q querier) error {
		tag, err := exec(ctx, q, `DELETE FROM key_material WHERE purpose = $1 AND id = $2`, purpose, id)
		if err != nil {
			return err
		}
		if err := affected(tag, "key "+purpose+"/"+id); err != nil {
			return err
		}
		return k.c.change(ctx, q, "", store.ChangeKeyMaterial, purpose+"/"+id)
	})
}

type changes struct{ c conn }

// defaultChangePage is Since's page size when the caller gives none.
const defaultChangePage = 1000

func scanChange(row pgx.Row) (store.Change, error) {
	var ch store.Change
	var at int64
	if err := row.Scan(&ch.Seq, &ch.Account, &ch.Kind, &ch.Key, &at); err != nil {
		return store.Change{}, err
	}
	ch.At = fromMicros(at)
	return ch, nil
}

func (c changes) Since(ctx context.Context, seq int64, limit int) ([]store.Change, error) {
	if limit <= 0 {
		limit = defaultChangePage
	}
	rows, err := c.c.reader().Query(ctx, `SELECT seq, account_id, kind, key, at FROM changes
		WHERE seq > $1 ORDER BY seq LIMIT $2`, seq, limit)
	return collect(rows, err, scanChange)
}

func (c changes) Latest(ctx context.Context) (int64, error) {
	var seq int64
	err := c.c.reader().QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM changes`).Scan(&seq)
	return seq, err
}

func (c changes) Trim(ctx context.Context, upTo int64) error {
	return c.c.write(ctx, func(q querier) error {
		// The newest entry stays, so Latest never goes backwards.
		_, err := exec(ctx, q, `DELETE FROM changes WHERE seq <= $1 AND seq < (SELECT MAX(seq) FROM changes)`, upTo)
		return err
	})
}
