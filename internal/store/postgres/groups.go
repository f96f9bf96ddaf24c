package postgres

import (
	"context"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/jackc/pgx/v5"
)

type groups struct{ c conn }

func (g groups) Create(ctx context.Context, grp iam.Group) error {
	return g.c.write(ctx, func(q querier) error {
		if err := requireAccount(ctx, q, grp.Account); err != nil {
			return err
		}
		if _, err := exec(ctx, q, `INSERT INTO iam_groups (id, account_id, name, name_key, path, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`,
			grp.ID, grp.Account, grp.Name, iam.NameKey(grp.Name), grp.Path, toMicros(grp.Created)); err != nil {
			return err
		}
		return g.c.change(ctx, q, grp.Account, store.ChangeGroup, grp.Name)
	})
}

const groupCols = `id, account_id, name, path, created_at`

func scanGroup(row pgx.Row) (iam.Group, error) {
	var grp iam.Group
	var created int64
	if err := row.Scan(&grp.ID, &grp.Account, &grp.Name, &grp.Path, &created); err != nil {
		return iam.Group{}, err
	}
	grp.Created = fromMicros(created)
	return grp, nil
}

func (g groups) Get(ctx context.Context, account, name string) (iam.Group, error) {
	grp, err := scanGroup(g.c.reader().QueryRow(ctx, `SELECT `+groupCols+` FROM iam_groups
		WHERE account_id = $1 AND name_key = $2`, account, iam.NameKey(name)))
	if noRows(err) {
		return iam.Group{}, notFound("group %q in account %s", name, account)
	}
	return grp, err
}

func (g groups) List(ctx context.Context, account string, opts store.ListOptions) ([]iam.Group, error) {
	tail, args := listClause(opts, 2)
	rows, err := g.c.reader().Query(ctx, `SELECT `+groupCols+` FROM iam_groups WHERE account_id = $1`+tail,
		append([]any{account}, args...)...)
	return collect(rows, err, scanGroup)
}

func (g groups) Update(ctx context.Context, grp iam.Group) error {
	return g.c.write(ctx, func(q querier) error {
		var oldName string
		err := q.QueryRow(ctx, `SELECT name FROM iam_groups WHERE account_id = $1 AND id = $2`, grp.Account, grp.ID).Scan(&oldName)
		if noRows(err) {
			return notFound("group id %q in account %s", grp.ID, grp.Account)
		}
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `UPDATE iam_groups SET name = $1, name_key = $2, path = $3 WHERE id = $4`,
			grp.Name, iam.NameKey(grp.Name), grp.Path, grp.ID); err != nil {
			return err
		}
		if oldName != grp.Name {
			if err := g.c.change(ctx, q, grp.Account, store.ChangeGroup, oldName); err != nil {
				return err
			}
		}
		return g.c.change(ctx, q, grp.Account, store.ChangeGroup, grp.Name)
	})
}

func (g groups) Delete(ctx context.Context, account, name string) error {
	return g.c.write(ctx, func(q querier) error {
		id, err := lookupID(ctx, q, "iam_groups", account, name)
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `DELETE FROM iam_groups WHERE id = $1`, id); err != nil {
			return err
		}
		return g.c.change(ctx, q, account, store.ChangeGroup, name)
	})
}

func (g groups) Dependents(ctx context.Context, account, name string) (iam.GroupDependents, error) {
	var d iam.GroupDependents
	err := g.c.readTx(ctx, func(q querier) error {
		id, err := lookupID(ctx, q, "iam_groups", account, name)
		if err != nil {
			return err
		}
		return q.QueryRow(ctx, `SELECT
			(SELECT COUNT(*) FROM group_members WHERE group_id = $1),
			(SELECT COUNT(*) FROM group_policies WHERE group_id = $1),
			(SELECT COUNT(*) FROM group_attachments WHERE group_id = $1)`, id).
			Scan(&d.Users, &d.InlinePolicies, &d.AttachedPolicies)
	})
	return d, err
}

// membership resolves both names and records the change for both.
func (g groups) membership(ctx context.Context, account, group, user, stmt string, mustChange bool) error {
	return g.c.write(ctx, func(q querier) error {
		gid, err := lookupID(ctx, q, "iam_groups", account, group)
		if err != nil {
			return err
		}
		uid, err := lookupID(ctx, q, "users", account, user)
		if err != nil {
			return err
		}
		tag, err := exec(ctx, q, stmt, gid, uid)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			if mustChange {
				return notFound("user %q in group %q", user, group)
			}
			return nil
		}
		if err := g.c.change(ctx, q, account, store.ChangeGroup, group); err != nil {
			return err
		}
		return g.c.change(ctx, q, account, store.ChangeUser, user)
	})
}

func (g groups) AddUser(ctx context.Context, account, group, user string) error {
	return g.membership(ctx, account, group, user,
		`INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, false)
}

func (g groups) RemoveUser(ctx context.Context, account, group, user string) error {
	return g.membership(ctx, account, group, user,
		`DELETE FROM group_members WHERE group_id = $1 AND user_id = $2`, true)
}

func (g groups) ListUsers(ctx context.Context, account, group string) ([]iam.User, error) {
	var out []iam.User
	err := g.c.readTx(ctx, func(q querier) error {
		gid, err := lookupID(ctx, q, "iam_groups", account, group)
		if err != nil {
			return err
		}
		rows, err := q.Query(ctx, `SELECT `+prefixCols("u.", userCols)+` FROM users u
			JOIN group_members m ON m.user_id = u.id WHERE m.group_id = $1 ORDER BY u.name_key`, gid)
		out, err = collect(rows, err, scanUser)
		return err
	})
	return out, err
}

func (g groups) ListForUser(ctx context.Context, account, user string) ([]iam.Group, error) {
	var out []iam.Group
	err := g.c.readTx(ctx, func(q querier) error {
		uid, err := lookupID(ctx, q, "users", account, user)
		if err != nil {
			return err
		}
		rows, err := q.Query(ctx, `SELECT `+prefixCols("g.", groupCols)+` FROM iam_groups g
			JOIN group_members m ON m.group_id = g.id WHERE m.user_id = $1 ORDER BY g.name_key`, uid)
		out, err = collect(rows, err, scanGroup)
		return err
	})
	return out, err
}
