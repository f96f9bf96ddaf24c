package postgres

import (
	"context"

	"github.com/brevet-dev/brevet/internal/store"
	"github.com/jackc/pgx/v5"
)

// Objects implements store.Repos.
func (r repos) Objects() store.Objects { return objects(r) }

type objects struct{ c conn }

const objectCols = `account_id, kind, id, body, created_at, updated_at`

func scanObject(row pgx.Row) (store.Object, error) {
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
		if _, err := exec(ctx, q, `INSERT INTO objects (`+objectCols+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			o.Account, o.Kind, o.ID, o.Body, toMicros(o.Created), toMicros(o.Updated)); err != nil {
			return err
		}
		return r.c.change(ctx, q, o.Account, store.ChangeObject, store.ObjectKey(o.Kind, o.ID))
	})
}

func (r objects) Update(ctx context.Context, o store.Object) error {
	return r.c.write(ctx, func(q querier) error {
		tag, err := exec(ctx, q, `UPDATE objects SET body = $1, updated_at = $2 WHERE account_id = $3 AND kind = $4 AND id = $5`,
			o.Body, toMicros(o.Updated), o.Account, o.Kind, o.ID)
		if err != nil {
			return err
		}
		if err := affected(tag, o.Kind+" "+o.ID); err != nil {
			return err
		}
		return r.c.change(ctx, q, o.Account, store.ChangeObject, store.ObjectKey(o.Kind, o.ID))
	})
}

// UpdateIf is Update guarded by the stored body: the WHERE clause does the
// comparison, so the swap is atomic on both SQLite and PostgreSQL.
func (r objects) UpdateIf(ctx context.Context, o store.Object, match []byte) error {
	return r.c.write(ctx, func(q querier) error {
		tag, err := exec(ctx, q, `UPDATE objects SET body = $1, updated_at = $2
			WHERE account_id = $3 AND kind = $4 AND id = $5 AND body = $6`,
			o.Body, toMicros(o.Updated), o.Account, o.Kind, o.ID, match)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return r.missingOrChanged(ctx, q, o)
		}
		return r.c.change(ctx, q, o.Account, store.ChangeObject, store.ObjectKey(o.Kind, o.ID))
	})
}

// missingOrChanged tells why UpdateIf changed nothing: ErrNotFound when
// the object is gone, ErrConflict when its body differs from the match.
func (objects) missingOrChanged(ctx context.Context, q querier, o store.Object) error {
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM objects WHERE account_id = $1 AND kind = $2 AND id = $3`,
		o.Account, o.Kind, o.ID).Scan(&one)
	if noRows(err) {
		return notFound("%s %s", o.Kind, o.ID)
	}
	if err != nil {
		return unavailable(err)
	}
	return conflict("%s %s changed", o.Kind, o.ID)
}

func (r objects) Get(ctx context.Context, account, kind, id string) (store.Object, error) {
	o, err := scanObject(r.c.reader().QueryRow(ctx, `SELECT `+objectCols+` FROM objects
		WHERE account_id = $1 AND kind = $2 AND id = $3`, account, kind, id))
	if noRows(err) {
		return store.Object{}, notFound("%s %q in account %s", kind, id, account)
	}
	return o, unavailable(err)
}

func (r objects) Find(ctx context.Context, kind, id string) ([]store.Object, error) {
	rows, err := r.c.reader().Query(ctx, `SELECT `+objectCols+` FROM objects
		WHERE kind = $1 AND id = $2 ORDER BY account_id`, kind, id)
	return collect(rows, err, scanObject)
}

func (r objects) List(ctx context.Context, account, kind, after string, limit int) ([]store.Object, error) {
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	rows, err := r.c.reader().Query(ctx, `SELECT `+objectCols+` FROM objects
		WHERE account_id = $1 AND kind = $2 AND id > $3 ORDER BY id LIMIT $4`, account, kind, after, lim)
	return collect(rows, err, scanObject)
}

func (r objects) All(ctx context.Context, account string) ([]store.Object, error) {
	rows, err := r.c.reader().Query(ctx, `SELECT `+objectCols+` FROM objects
		WHERE account_id = $1 ORDER BY kind, id`, account)
	return collect(rows, err, scanObject)
}

func (r objects) Delete(ctx context.Context, account, kind, id string) error {
	return r.c.write(ctx, func(q querier) error {
		tag, err := exec(ctx, q, `DELETE FROM objects WHERE account_id = $1 AND kind = $2 AND id = $3`, account, kind, id)
		if err != nil {
			return err
		}
		if err := affected(tag, kind+" "+id); err != nil {
			return err
		}
		return r.c.change(ctx, q, account, store.ChangeObject, store.ObjectKey(kind, id))
	})
}
