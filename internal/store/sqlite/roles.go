package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

type roles struct{ c conn }

func (r roles) Create(ctx context.Context, role iam.Role) error {
	return r.c.write(ctx, func(q querier) error {
		if err := requireAccount(ctx, q, role.Account); err != nil {
			return err
		}
		if _, err := exec(ctx, q, `INSERT INTO roles (id, account_id, name, name_key, path, created_at,
			trust_policy, description, max_session, boundary_arn, tags, last_used_at, last_used_region, trust_bindings)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			role.ID, role.Account, role.Name, iam.NameKey(role.Name), role.Path, toMicros(role.Created),
			role.TrustPolicy, role.Description, role.MaxSessionDuration, role.PermissionsBoundary,
			encodeTags(role.Tags), nullMicros(role.LastUsed.Date), role.LastUsed.Region,
			store.EncodeTrustBindings(role.TrustBindings)); err != nil {
			return err
		}
		return r.c.change(ctx, q, role.Account, store.ChangeRole, role.Name)
	})
}

const roleCols = `id, account_id, name, path, created_at, trust_policy, description, max_session,
	boundary_arn, tags, last_used_at, last_used_region, trust_bindings`

func scanRole(row interface{ Scan(...any) error }) (iam.Role, error) {
	var role iam.Role
	var created int64
	var used sql.NullInt64
	var tags string
	var bindings *string
	if err := row.Scan(&role.ID, &role.Account, &role.Name, &role.Path, &created, &role.TrustPolicy,
		&role.Description, &role.MaxSessionDuration, &role.PermissionsBoundary, &tags, &used,
		&role.LastUsed.Region, &bindings); err != nil {
		return iam.Role{}, err
	}
	role.Created, role.LastUsed.Date = fromMicros(created), fromNullMicros(used)
	var err error
	if role.Tags, err = decodeTags(tags); err != nil {
		return role, err
	}
	role.TrustBindings, err = store.DecodeTrustBindings(bindings)
	return role, err
}

func getRole(ctx context.Context, q querier, account, name string) (iam.Role, error) {
	role, err := scanRole(q.QueryRowContext(ctx, `SELECT `+roleCols+` FROM roles WHERE account_id = ? AND name_key = ?`,
		account, iam.NameKey(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return iam.Role{}, notFound("role %q in account %s", name, account)
	}
	return role, err
}

func (r roles) Get(ctx context.Context, account, name string) (iam.Role, error) {
	return getRole(ctx, r.c.reader(), account, name)
}

func (r roles) GetByID(ctx context.Context, id string) (iam.Role, error) {
	role, err := scanRole(r.c.reader().QueryRowContext(ctx, `SELECT `+roleCols+` FROM roles WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return iam.Role{}, notFound("role id %q", id)
	}
	return role, err
}

func (r roles) List(ctx context.Context, account string, opts store.ListOptions) ([]iam.Role, error) {
	tail, args := listClause(opts)
	rows, err := r.c.reader().QueryContext(ctx, `SELECT `+roleCols+` FROM roles WHERE account_id = ?`+tail,
		append([]any{account}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []iam.Role
	for rows.Next() {
		role, err := scanRole(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, role)
	}
	return out, rows.Err()
}

func (r roles) Update(ctx context.Context, role iam.Role) error {
	return r.c.write(ctx, func(q querier) error {
		var name string
		err := q.QueryRowContext(ctx, `SELECT name FROM roles WHERE account_id = ? AND id = ?`, role.Account, role.ID).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("role id %q in account %s", role.ID, role.Account)
		}
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `UPDATE roles SET trust_policy = ?, description = ?, max_session = ?,
			boundary_arn = ?, tags = ?, last_used_at = ?, last_used_region = ?, trust_bindings = ? WHERE id = ?`,
			role.TrustPolicy, role.Description, role.MaxSessionDuration, role.PermissionsBoundary,
			encodeTags(role.Tags), nullMicros(role.LastUsed.Date), role.LastUsed.Region,
			store.EncodeTrustBindings(role.TrustBindings), role.ID); err != nil {
			return err
		}
		return r.c.change(ctx, q, role.Account, store.ChangeRole, name)
	})
}

func (r roles) RecordUse(ctx context.Context, account, name string, used iam.RoleLastUsed) error {
	return r.c.write(ctx, func(q querier) error {
		res, err := exec(ctx, q, `UPDATE roles SET last_used_at = ?, last_used_region = ?
			WHERE account_id = ? AND name_key = ?`, nullMicros(used.Date), used.Region, account, iam.NameKey(name))
		if err != nil {
			return err
		}
		return affected(res, "role "+name)
	})
}

func (r roles) Delete(ctx context.Context, account, name string) error {
	return r.c.write(ctx, func(q querier) error {
		id, err := lookupID(ctx, q, "roles", account, name)
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `DELETE FROM roles WHERE id = ?`, id); err != nil {
			return err
		}
		return r.c.change(ctx, q, account, store.ChangeRole, name)
	})
}

func (r roles) Dependents(ctx context.Context, account, name string) (iam.RoleDependents, error) {
	var d iam.RoleDependents
	err := r.c.readTx(ctx, func(q querier) error {
		id, err := lookupID(ctx, q, "roles", account, name)
		if err != nil {
			return err
		}
		return q.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM role_policies WHERE role_id = ?1),
			(SELECT COUNT(*) FROM role_attachments WHERE role_id = ?1),
			(SELECT COUNT(*) FROM instance_profiles WHERE role_id = ?1)`, id).
			Scan(&d.InlinePolicies, &d.AttachedPolicies, &d.InstanceProfiles)
	})
	return d, err
}
