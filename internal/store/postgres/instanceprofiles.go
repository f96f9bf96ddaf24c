package postgres

import (
	"context"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/jackc/pgx/v5"
)

// InstanceProfiles implements store.Repos.
func (r repos) InstanceProfiles() store.InstanceProfiles { return instanceProfiles(r) }

type instanceProfiles struct{ c conn }

// profileSelect reads a profile with the name of its role ("" when it has
// none); queries append their WHERE, naming instance_profiles' columns.
const profileSelect = `SELECT id, account_id, name, path, created_at, tags,
	COALESCE((SELECT r.name FROM roles r WHERE r.id = instance_profiles.role_id), '') FROM instance_profiles`

func scanProfile(row pgx.Row) (iam.InstanceProfile, error) {
	var p iam.InstanceProfile
	var created int64
	var tags, role string
	if err := row.Scan(&p.ID, &p.Account, &p.Name, &p.Path, &created, &tags, &role); err != nil {
		return iam.InstanceProfile{}, err
	}
	p.Created = fromMicros(created)
	if role != "" {
		p.Roles = []string{role}
	}
	var err error
	p.Tags, err = decodeTags(tags)
	return p, err
}

// profileRole resolves the role a profile is to hold to its id (nil for
// none).
func profileRole(ctx context.Context, q querier, p iam.InstanceProfile) (*string, error) {
	switch {
	case len(p.Roles) == 0:
		return nil, nil
	case len(p.Roles) > iam.MaxRolesPerInstanceProfile:
		return nil, conflict("instance profile %q: %d roles, at most %d", p.Name, len(p.Roles), iam.MaxRolesPerInstanceProfile)
	}
	id, err := lookupID(ctx, q, "roles", p.Account, p.Roles[0])
	return &id, err
}

func (r instanceProfiles) Create(ctx context.Context, p iam.InstanceProfile) error {
	return r.c.write(ctx, func(q querier) error {
		if err := requireAccount(ctx, q, p.Account); err != nil {
			return err
		}
		role, err := profileRole(ctx, q, p)
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `INSERT INTO instance_profiles (id, account_id, name, name_key, path, created_at, tags, role_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, p.ID, p.Account, p.Name, iam.NameKey(p.Name), p.Path,
			toMicros(p.Created), encodeTags(p.Tags), role); err != nil {
			return err
		}
		return r.c.change(ctx, q, p.Account, store.ChangeInstanceProfile, p.Name)
	})
}

func (r instanceProfiles) Get(ctx context.Context, account, name string) (iam.InstanceProfile, error) {
	p, err := scanProfile(r.c.reader().QueryRow(ctx, profileSelect+` WHERE account_id = $1 AND name_key = $2`,
		account, iam.NameKey(name)))
	if noRows(err) {
		return iam.InstanceProfile{}, notFound("instance profile %q in account %s", name, account)
	}
	return p, err
}

func (r instanceProfiles) List(ctx context.Context, account string, opts store.ListOptions) ([]iam.InstanceProfile, error) {
	tail, args := listClause(opts, 2)
	rows, err := r.c.reader().Query(ctx, profileSelect+` WHERE account_id = $1`+tail, append([]any{account}, args...)...)
	return collect(rows, err, scanProfile)
}

func (r instanceProfiles) ListForRole(ctx context.Context, account, role string) ([]iam.InstanceProfile, error) {
	var out []iam.InstanceProfile
	err := r.c.readTx(ctx, func(q querier) error {
		id, err := lookupID(ctx, q, "roles", account, role)
		if err != nil {
			return err
		}
		rows, err := q.Query(ctx, profileSelect+` WHERE role_id = $1 ORDER BY name_key`, id)
		out, err = collect(rows, err, scanProfile)
		return err
	})
	return out, err
}

func (r instanceProfiles) Update(ctx context.Context, p iam.InstanceProfile) error {
	return r.c.write(ctx, func(q querier) error {
		var name string
		err := q.QueryRow(ctx, `SELECT name FROM instance_profiles WHERE account_id = $1 AND name_key = $2`,
			p.Account, iam.NameKey(p.Name)).Scan(&name)
		if noRows(err) {
			return notFound("instance profile %q in account %s", p.Name, p.Account)
		}
		if err != nil {
			return err
		}
		role, err := profileRole(ctx, q, p)
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `UPDATE instance_profiles SET tags = $1, role_id = $2 WHERE account_id = $3 AND name_key = $4`,
			encodeTags(p.Tags), role, p.Account, iam.NameKey(p.Name)); err != nil {
			return err
		}
		return r.c.change(ctx, q, p.Account, store.ChangeInstanceProfile, name)
	})
}

func (r instanceProfiles) Delete(ctx context.Context, account, name string) error {
	return r.c.write(ctx, func(q querier) error {
		var stored string
		var role *string
		err := q.QueryRow(ctx, `SELECT name, role_id FROM instance_profiles WHERE account_id = $1 AND name_key = $2`,
			account, iam.NameKey(name)).Scan(&stored, &role)
		if noRows(err) {
			return notFound("instance profile %q in account %s", name, account)
		}
		if err != nil {
			return err
		}
		if role != nil {
			return conflict("instance profile %q still holds a role", stored)
		}
		if _, err := exec(ctx, q, `DELETE FROM instance_profiles WHERE account_id = $1 AND name_key = $2`,
			account, iam.NameKey(name)); err != nil {
			return err
		}
		return r.c.change(ctx, q, account, store.ChangeInstanceProfile, stored)
	})
}
