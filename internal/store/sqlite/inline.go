package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/brevet-dev/brevet/internal/iam"
)

type inlinePolicies struct{ c conn }

// ownerID resolves an owner to its tables and row id.
func ownerID(ctx context.Context, q querier, o iam.Owner) (ownerTables, string, error) {
	t, err := tablesFor(o.Kind)
	if err != nil {
		return t, "", err
	}
	id, err := lookupID(ctx, q, t.entity, o.Account, o.Name)
	return t, id, err
}

func (p inlinePolicies) Put(ctx context.Context, o iam.Owner, pol iam.InlinePolicy) error {
	return p.c.write(ctx, func(q querier) error {
		t, id, err := ownerID(ctx, q, o)
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `INSERT INTO `+t.inline+` (`+t.col+`, name, document) VALUES (?, ?, ?)
			ON CONFLICT DO UPDATE SET document = excluded.document`, id, pol.Name, pol.Document); err != nil {
			return err
		}
		return p.c.change(ctx, q, o.Account, t.change, o.Name)
	})
}

func (p inlinePolicies) Get(ctx context.Context, o iam.Owner, name string) (iam.InlinePolicy, error) {
	var pol iam.InlinePolicy
	err := p.c.readTx(ctx, func(q querier) error {
		t, id, err := ownerID(ctx, q, o)
		if err != nil {
			return err
		}
		err = q.QueryRowContext(ctx, `SELECT name, document FROM `+t.inline+` WHERE `+t.col+` = ? AND name = ?`,
			id, name).Scan(&pol.Name, &pol.Document)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("%s policy %q of %q", o.Kind, name, o.Name)
		}
		return err
	})
	return pol, err
}

func (p inlinePolicies) List(ctx context.Context, o iam.Owner) ([]iam.InlinePolicy, error) {
	var out []iam.InlinePolicy
	err := p.c.readTx(ctx, func(q querier) error {
		t, id, err := ownerID(ctx, q, o)
		if err != nil {
			return err
		}
		rows, err := q.QueryContext(ctx, `SELECT name, document FROM `+t.inline+` WHERE `+t.col+` = ? ORDER BY name`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var pol iam.InlinePolicy
			if err := rows.Scan(&pol.Name, &pol.Document); err != nil {
				return err
			}
			out = append(out, pol)
		}
		return rows.Err()
	})
	return out, err
}

func (p inlinePolicies) Delete(ctx context.Context, o iam.Owner, name string) error {
	return p.c.write(ctx, func(q querier) error {
		t, id, err := ownerID(ctx, q, o)
		if err != nil {
			return err
		}
		r, err := exec(ctx, q, `DELETE FROM `+t.inline+` WHERE `+t.col+` = ? AND name = ?`, id, name)
		if err != nil {
			return err
		}
		if err := affected(r, o.Kind.String()+" policy "+name); err != nil {
			return err
		}
		return p.c.change(ctx, q, o.Account, t.change, o.Name)
	})
}
