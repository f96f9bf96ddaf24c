package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

// InstanceProfiles implements store.Repos.
func (r repos) InstanceProfiles() store.InstanceProfiles { return instanceProfiles(r) }

type instanceProfiles struct{ c conn }

// profileSelect reads a profile with the name of its role ("" when it has
// none); queries append their WHERE, naming instance_profiles' columns.
const profileSelect = `SELECT id, account_id, name, path, created_at, tags,
	COALESCE((SELECT r.name FROM roles r WHERE r.id = instance_profiles.role_id), '') FROM instance_profiles`

func scanProfile(row interface{ Scan(...any) error }) (iam.InstanceProfile, error) {
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
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, p.ID, p.Account, p.Name, iam.NameKey(p.Name), p.Path,
			toMicros(p.Created), encodeTags(p.Tags), role); err != nil {
			return err
		}
		return r.c.change(ctx, q, p.Account, store.ChangeInstanceProfile, p.Name)
	})
}

func (r instanceProfiles) Get(ctx context.Context, account, name string) (iam.InstanceProfile, error) {
	p, err := scanProfile(r.c.reader().QueryRowContext(ctx, profileSelect+` WHERE account_id = ? AND name_key = ?`,
		account, iam.NameKey(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return iam.InstanceProfile{}, notFound("instance profile %q in account %s", name, account)
	}
	return p, err
}

func (r instanceProfiles) List(ctx context.Context, account string, opts store.ListOptions) ([]iam.InstanceProfile, error) {
	tail, args := listClause(opts)
	rows, err := r.c.reader().QueryContext(ctx, profileSelect+` WHERE account_id = ?`+tail,
		append([]any{account}, args...)...)
	if err != nil {
		return nil, err
	}
	return collectProfiles(rows)
}

func (r instanceProfiles) ListForRole(ctx context.Context, account, role string) ([]iam.InstanceProfile, error) {
	var out []iam.InstanceProfile
	err := r.c.readTx(ctx, func(q querier) error {
		id, err := lookupID(ctx, q, "roles", account, role)
		if err != nil {
			return err
		}
		rows, err := q.QueryContext(ctx, profileSelect+` WHERE role_id = ? ORDER BY name_key`, id)
		if err != nil {
			return err
		}
		out, err = collectProfiles(rows)
		return err
	})
	return out, err
}

func (r instanceProfiles) Update(ctx context.Context, p iam.InstanceProfile) error {
	return r.c.write(ctx, func(q querier) error {
		var name string
		err := q.QueryRowContext(ctx, `SELECT name FROM instance_profiles WHERE account_id = ? AND name_key = ?`,
			p.Account, iam.NameKey(p.Name)).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("instance profile %q in account %s", p.Name, p.Account)
		}
		if err != nil {
			return err
		}
		role, err := profileRole(ctx, q, p)
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `UPDATE instance_profiles SET tags = ?, role_id = ? WHERE account_id = ? AND name_key = ?`,
			encodeTags(p.Tags), role, p.Account, iam.NameKey(p.Name)); err != nil {
			return err
		}
		return r.c.change(ctx, q, p.Account, store.ChangeInstanceProfile, name)
	})
}

func (r instanceProfiles) Delete(ctx context.Context, account, name string) error {
	return r.c.write(ctx, func(q querier) error {
		var stored string
		var role sql.NullString
		err := q.QueryRowContext(ctx, `SELECT name, role_id FROM instance_profiles WHERE account_id = ? AND name_key = ?`,
			account, iam.NameKey(name)).Scan(&stored, &role)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("instance profile %q in account %s", name, account)
		}
		if err != nil {
			return err
		}
		if role.Valid {
			return conflict("instance profile %q still holds a role", stored)
		}
		if _, err := exec(ctx, q, `DELETE FROM instance_profiles WHERE account_id = ? AND name_key = ?`,
			account, iam.NameKey(name)); err != nil {
			return err
		}
		return r.c.change(ctx, q, account, store.ChangeInstanceProfile, stored)
	})
}

func collectProfiles(rows *sql.Rows) ([]iam.InstanceProfile, error) {
	defer rows.Close()
	var out []iam.InstanceProfile
	for rows.Next() {
		p, err := scanProfile(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
