package postgres

import (
	"context"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/jackc/pgx/v5"
)

type inlinePolicies struct{ c conn }

func (p inlinePolicies) Put(ctx context.Context, o iam.Owner, pol iam.InlinePolicy) error {
	return p.c.write(ctx, func(q querier) error {
		t, id, err := ownerID(ctx, q, o)
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `INSERT INTO `+t.inline+` (`+t.col+`, name, document) VALUES ($1, $2, $3)
			ON CONFLICT (`+t.col+`, name) DO UPDATE SET document = excluded.document`, id, pol.Name, pol.Document); err != nil {
			return err
		}
		return p.c.change(ctx, q, o.Account, t.change, o.Name)
	})
}

func scanInline(row pgx.Row) (iam.InlinePolicy, error) {
	var pol iam.InlinePolicy
	err := row.Scan(&pol.Name, &pol.Document)
	return pol, err
}

func (p inlinePolicies) Get(ctx context.Context, o iam.Owner, name string) (iam.InlinePolicy, error) {
	var pol iam.InlinePolicy
	err := p.c.readTx(ctx, func(q querier) error {
		t, id, err := ownerID(ctx, q, o)
		if err != nil {
			return err
		}
		pol, err = scanInline(q.QueryRow(ctx, `SELECT name, document FROM `+t.inline+` WHERE `+t.col+` = $1 AND name = $2`,
			id, name))
		if noRows(err) {
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
		rows, err := q.Query(ctx, `SELECT name, document FROM `+t.inline+` WHERE `+t.col+` = $1 ORDER BY name`, id)
		out, err = collect(rows, err, scanInline)
		return err
	})
	return out, err
}

func (p inlinePolicies) Delete(ctx context.Context, o iam.Owner, name string) error {
	return p.c.write(ctx, func(q querier) error {
		t, id, err := ownerID(ctx, q, o)
		if err != nil {
			return err
		}
		tag, err := exec(ctx, q, `DELETE FROM `+t.inline+` WHERE `+t.col+` = $1 AND name = $2`, id, name)
		if err != nil {
			return err
		}
		if err := affected(tag, o.Kind.String()+" policy "+name); err != nil {
			return err
		}
		return p.c.change(ctx, q, o.Account, t.change, o.Name)
	})
}
