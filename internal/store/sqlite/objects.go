package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/brevet-dev/brevet/internal/store"
)

// Objects implements store.Repos.
func (r repos) Objects() store.Objects { return objects(r) }

type objects struct{ c conn }

const objectCols = `account_id, kind, id, body, created_at, updated_at`

func scanObject(row interface{ Scan(...any) error }) (store.Object, error) {
	var o store.Object
	var created, updated int64
	if err := row.Scan(&o.Account, &o.Kind, &o.ID, &o.Body, &created, &updated); err != nil {
		return store.Object{}, err
	}
	o.Created, o.Updated = fromMicros(created), fromMicros(updated)
	return o, nil
}

func (r objects) Create(ctx context.Context, o store.Object) error {
	return r.c.write(ctx, func(q querier) error {
		if err := requireAccount(ctx, q, o.Account); err != nil {
			return err
		}
		if _, err := exec(ctx, q, `INSERT INTO objects (`+objectCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
			o.Account, o.Kind, o.ID, o.Body, toMicros(o.Created), toMicros(o.Updated)); err != nil {
			return err
		}
		return r.c.change(ctx, q, o.Account, store.ChangeObject, store.ObjectKey(o.Kind, o.ID))
	})
}

func (r objects) Update(ctx context.Context, o store.Object) error {
	return r.c.write(ctx, func(q querier) error {
		res, err := exec(ctx, q, `UPDATE objects SET body = ?, updated_at = ? WHERE account_id = ? AND kind = ? AND id = ?`,
			o.Body, toMicros(o.Updated), o.Account, o.Kind, o.ID)
		if err != nil {
			return err
		}
		if err := affected(res, o.Kind+" "+o.ID); err != nil {
			return err
		}
		return r.c.change(ctx, q, o.Account, store.ChangeObject, store.ObjectKey(o.Kind, o.ID))
	})
}

// UpdateIf is Update guarded by the stored body: the WHERE clause does the
// comparison, so the swap is atomic on both SQLite and PostgreSQL.
func (r objects) UpdateIf(ctx context.Context, o store.Object, match []byte) error {
	return r.c.write(ctx, func(q querier) error {
		res, err := exec(ctx, q, `UPDATE objects SET body = ?, updated_at = ?
			WHERE account_id = ? AND kind = ? AND id = ? AND body = ?`,
			o.Body, toMicros(o.Updated), o.Account, o.Kind, o.ID, match)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return r.missingOrChanged(ctx, q, o)
		}
		return r.c.change(ctx, q, o.Account, store.ChangeObject, store.ObjectKey(o.Kind, o.ID))
	})
}

// missingOrChanged tells why UpdateIf changed nothing: ErrNotFound when
// the object is gone, ErrConflict when its body differs from the match.
func (objects) missingOrChanged(ctx context.Context, q querier, o store.Object) error {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM objects WHERE account_id = ? AND kind = ? AND id = ?`,
		o.Account, o.Kind, o.ID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("%s %s", o.Kind, o.ID)
	}
	if err != nil {
		return err
	}
	return conflict("%s %s changed", o.Kind, o.ID)
}

func (r objects) Get(ctx context.Context, account, kind, id string) (store.Object, error) {
	o, err := scanObject(r.c.reader().QueryRowContext(ctx, `SELECT `+objectCols+` FROM objects
		WHERE account_id = ? AND kind = ? AND id = ?`, account, kind, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Object{}, notFound("%s %q in account %s", kind, id, account)
	}
	return o, err
}

func (r objects) Find(ctx context.Context, kind, id string) ([]store.Object, error) {
	rows, err := r.c.reader().QueryContext(ctx, `SELECT `+objectCols+` FROM objects
		WHERE kind = ? AND id = ? ORDER BY account_id`, kind, id)
	if err != nil {
		return nil, err
	}
	return collectObjects(rows)
}

func (r objects) List(ctx context.Context, account, kind, after string, limit int) ([]store.Object, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no cap
	}
	rows, err := r.c.reader().QueryContext(ctx, `SELECT `+objectCols+` FROM objects
		WHERE account_id = ? AND kind = ? AND id > ? ORDER BY id LIMIT ?`, account, kind, after, limit)
	if err != nil {
		return nil, err
	}
	return collectObjects(rows)
}

func (r objects) All(ctx context.Context, account string) ([]store.Object, error) {
	rows, err := r.c.reader().QueryContext(ctx, `SELECT `+objectCols+` FROM objects
		WHERE account_id = ? ORDER BY kind, id`, account)
	if err != nil {
		return nil, err
	}
	return collectObjects(rows)
}

func (r objects) Delete(ctx context.Context, account, kind, id string) error {
	return r.c.write(ctx, func(q querier) error {
		res, err := exec(ctx, q, `DELETE FROM objects WHERE account_id = ? AND kind = ? AND id = ?`, account, kind, id)
		if err != nil {
			return err
		}
		if err := affected(res, kind+" "+id); err != nil {
			return err
		}
		return r.c.change(ctx, q, account, store.ChangeObject, store.ObjectKey(kind, id))
	})
}

func collectObjects(rows *sql.Rows) ([]store.Object, error) {
	defer rows.Close()
	var out []store.Object
	for rows.Next() {
		o, err := scanObject(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
