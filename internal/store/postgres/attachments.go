package postgres

import (
	"context"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/jackc/pgx/v5"
)

type attachments struct{ c conn }

func (a attachments) Attach(ctx context.Context, o iam.Owner, policyARN string) error {
	return a.c.write(ctx, func(q querier) error {
		t, id, err := ownerID(ctx, q, o)
		if err != nil {
			return err
		}
		pid, _, err := policyID(ctx, q, policyARN)
		if err != nil {
			return err
		}
		tag, err := exec(ctx, q, `INSERT INTO `+t.attach+` (`+t.col+`, policy_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, id, pid)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		return a.c.change(ctx, q, o.Account, t.change, o.Name)
	})
}

func (a attachments) Detach(ctx context.Context, o iam.Owner, policyARN string) error {
	return a.c.write(ctx, func(q querier) error {
		t, id, err := ownerID(ctx, q, o)
		if err != nil {
			return err
		}
		tag, err := exec(ctx, q, `DELETE FROM `+t.attach+` WHERE `+t.col+` = $1
			AND policy_id = (SELECT id FROM policies WHERE arn = $2)`, id, policyARN)
		if err != nil {
			return err
		}
		if err := affected(tag, "attachment of "+policyARN+" to "+o.Name); err != nil {
			return err
		}
		return a.c.change(ctx, q, o.Account, t.change, o.Name)
	})
}

func scanAttached(row pgx.Row) (iam.AttachedPolicy, error) {
	var ap iam.AttachedPolicy
	err := row.Scan(&ap.Name, &ap.ARN)
	return ap, err
}

func (a attachments) List(ctx context.Context, o iam.Owner) ([]iam.AttachedPolicy, error) {
	var out []iam.AttachedPolicy
	err := a.c.readTx(ctx, func(q querier) error {
		t, id, err := ownerID(ctx, q, o)
		if err != nil {
			return err
		}
		rows, err := q.Query(ctx, `SELECT p.name, p.arn FROM `+t.attach+` x
			JOIN policies p ON p.id = x.policy_id WHERE x.`+t.col+` = $1 ORDER BY p.name_key, p.arn`, id)
		out, err = collect(rows, err, scanAttached)
		return err
	})
	return out, err
}

func scanOwner(row pgx.Row) (iam.Owner, error) {
	var o iam.Owner
	var kind int
	var key string
	if err := row.Scan(&kind, &o.Account, &o.Name, &key); err != nil {
		return iam.Owner{}, err
	}
	o.Kind = iam.PrincipalKind(kind)
	return o, nil
}

func (a attachments) ListEntities(ctx context.Context, policyARN string) ([]iam.Owner, error) {
	var out []iam.Owner
	err := a.c.readTx(ctx, func(q querier) error {
		pid, _, err := policyID(ctx, q, policyARN)
		if err != nil {
			return err
		}
		rows, err := q.Query(ctx, `
			SELECT 1, u.account_id, u.name, u.name_key FROM user_attachments x JOIN users u ON u.id = x.user_id WHERE x.policy_id = $1
			UNION ALL
			SELECT 2, g.account_id, g.name, g.name_key FROM group_attachments x JOIN iam_groups g ON g.id = x.group_id WHERE x.policy_id = $1
			UNION ALL
			SELECT 3, r.account_id, r.name, r.name_key FROM role_attachments x JOIN roles r ON r.id = x.role_id WHERE x.policy_id = $1
			ORDER BY 1, 4`, pid)
		out, err = collect(rows, err, scanOwner)
		return err
	})
	return out, err
}

var _ store.Attachments = attachments{}
