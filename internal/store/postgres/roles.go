package postgres

import (
	"context"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/jackc/pgx/v5"
)

type roles struct{ c conn }

func (r roles) Create(ctx context.Context, role iam.Role) error {
	return r.c.write(ctx, func(q querier) error {
		if err := requireAccount(ctx, q, role.Account); err != nil {
			return err
		}
		if _, err := exec(ctx, q, `INSERT INTO roles (id, account_id, name, name_key, path, created_at,
			trust_policy, description, max_session, boundary_arn, tags, last_used_at, last_used_region, trust_bindings)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
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

// roleDest returns the scan destinations for roleCols and a function that
// finishes the role once scanned.
func roleDest(role *iam.Role) ([]any, func() error) {
	var created int64
	var used *int64
	var tags string
	var bindings *string
	dest := []any{&role.ID, &role.Account, &role.Name, &role.Path, &created, &role.TrustPolicy,
		&role.Description, &role.MaxSessionDuration, &role.PermissionsBoundary, &tags, &used,
		&role.LastUsed.Region, &bindings}
	return dest, func() error {
		role.Created, role.LastUsed.Date = fromMicros(created), fromNullMicros(used)
		var err error
		if role.Tags, err = decodeTags(tags); err != nil {
			return err
		}
		role.TrustBindings, err = store.DecodeTrustBindings(bindings)
		return err
	}
}

func scanRole(row pgx.Row) (iam.Role, error) {
	var role iam.Role
	dest, finish := roleDest(&role)
	if err := row.Scan(dest...); err != nil {
		return iam.Role{}, err
	}
	return role, finish()
}

func (r roles) Get(ctx context.Context, account, name string) (iam.Role, error) {
	role, err := scanRole(r.c.reader().QueryRow(ctx, `SELECT `+roleCols+` FROM roles WHERE account_id = $1 AND name_key = $2`,
		account, iam.NameKey(name)))
	if noRows(err) {
		return iam.Role{}, notFound("role %q in account %s", name, account)
	}
	return role, err
}

func (r roles) GetByID(ctx context.Context, id string) (iam.Role, error) {
	role, err := scanRole(r.c.reader().QueryRow(ctx, `SELECT `+roleCols+` FROM roles WHERE id = $1`, id))
	if noRows(err) {
		return iam.Role{}, notFound("role id %q", id)
	}
	return role, err
}

func (r roles) List(ctx context.Context, account string, opts store.ListOptions) ([]iam.Role, error) {
	tail, args := listClause(opts, 2)
	rows, err := r.c.reader().Query(ctx, `SELECT `+roleCols+` FROM roles WHERE account_id = $1`+tail,
		append([]any{account}, args...)...)
	return collect(rows, err, scanRole)
}

func (r roles) Update(ctx context.Context, role iam.Role) error {
	return r.c.write(ctx, func(q querier) error {
		var name string
		err := q.QueryRow(ctx, `SELECT name FROM roles WHERE account_id = $1 AND id = $2`, role.Account, role.ID).Scan(&name)
		if noRows(err) {
			return notFound("role id %q in account %s", role.ID, role.Account)
		}
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `UPDATE roles SET trust_policy = $1, description = $2, max_session = $3,
			boundary_arn = $4, tags = $5, last_used_at = $6, last_used_region = $7, trust_bindings = $8 WHERE id = $9`,
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
		tag, err := exec(ctx, q, `UPDATE roles SET last_used_at = $1, last_used_region = $2
			WHERE account_id = $3 AND name_key = $4`, nullMicros(used.Date), used.Region, account, iam.NameKey(name))
		if err != nil {
			return err
		}
		return affected(tag, "role "+name)
	})
}

func (r roles) Delete(ctx context.Context, account, name string) error {
	return r.c.write(ctx, func(q querier) error {
		id, err := lookupID(ctx, q, "roles", account, name)
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `DELETE FROM roles WHERE id = $1`, id); err != nil {
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
		return q.QueryRow(ctx, `SELECT
			(SELECT COUNT(*) FROM role_policies WHERE role_id = $1),
			(SELECT COUNT(*) FROM role_attachments WHERE role_id = $1),
			(SELECT COUNT(*) FROM instance_profiles WHERE role_id = $1)`, id).
			Scan(&d.InlinePolicies, &d.AttachedPolicies, &d.InstanceProfiles)
	})
	return d, err
}
