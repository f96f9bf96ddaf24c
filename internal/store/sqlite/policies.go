package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

type policies struct{ c conn }

func versionID(n int) string { return "v" + strconv.Itoa(n) }

func (p policies) Create(ctx context.Context, pol iam.ManagedPolicy, doc string) error {
	return p.c.write(ctx, func(q querier) error {
		if err := requireAccount(ctx, q, pol.Account); err != nil {
			return err
		}
		arn := pol.ARN()
		if _, err := exec(ctx, q, `INSERT INTO policies (id, account_id, name, name_key, path, arn, description,
			created_at, updated_at, default_version, version_seq, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'v1', 1, ?)`,
			pol.ID, pol.Account, pol.Name, iam.NameKey(pol.Name), pol.Path, arn, pol.Description,
			toMicros(pol.Created), toMicros(pol.Created), encodeTags(pol.Tags)); err != nil {
			return err
		}
		if _, err := exec(ctx, q, `INSERT INTO policy_versions (policy_id, version_id, version_no, document, created_at)
			VALUES (?, 'v1', 1, ?, ?)`, pol.ID, doc, toMicros(pol.Created)); err != nil {
			return err
		}
		return p.c.change(ctx, q, pol.Account, store.ChangePolicy, arn)
	})
}

// policyCols includes the derived counts; the table alias is p.
const policyCols = `p.id, p.account_id, p.name, p.path, p.description, p.created_at, p.updated_at,
	p.default_version, p.tags,
	(SELECT COUNT(*) FROM user_attachments WHERE policy_id = p.id) +
	(SELECT COUNT(*) FROM group_attachments WHERE policy_id = p.id) +
	(SELECT COUNT(*) FROM role_attachments WHERE policy_id = p.id),
	(SELECT COUNT(*) FROM users WHERE boundary_arn = p.arn) +
	(SELECT COUNT(*) FROM roles WHERE boundary_arn = p.arn)`

func scanPolicy(row interface{ Scan(...any) error }) (iam.ManagedPolicy, error) {
	var pol iam.ManagedPolicy
	var created, updated int64
	var tags string
	if err := row.Scan(&pol.ID, &pol.Account, &pol.Name, &pol.Path, &pol.Description, &created, &updated,
		&pol.DefaultVersion, &tags, &pol.AttachmentCount, &pol.BoundaryUsageCount); err != nil {
		return iam.ManagedPolicy{}, err
	}
	pol.Created, pol.Updated = fromMicros(created), fromMicros(updated)
	var err error
	pol.Tags, err = decodeTags(tags)
	return pol, err
}

func (p policies) Get(ctx context.Context, arn string) (iam.ManagedPolicy, error) {
	pol, err := scanPolicy(p.c.reader().QueryRowContext(ctx, `SELECT `+policyCols+` FROM policies p WHERE p.arn = ?`, arn))
	if errors.Is(err, sql.ErrNoRows) {
		return iam.ManagedPolicy{}, notFound("policy %s", arn)
	}
	return pol, err
}

func (p policies) List(ctx context.Context, account string, opts store.ListOptions) ([]iam.ManagedPolicy, error) {
	tail, args := listClause(opts)
	rows, err := p.c.reader().QueryContext(ctx, `SELECT `+policyCols+` FROM policies p WHERE account_id = ?`+tail,
		append([]any{account}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []iam.ManagedPolicy
	for rows.Next() {
		pol, err := scanPolicy(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, pol)
	}
	return out, rows.Err()
}

// policyID resolves an ARN to the policy's id and account.
func policyID(ctx context.Context, q querier, arn string) (id, account string, err error) {
	err = q.QueryRowContext(ctx, `SELECT id, account_id FROM policies WHERE arn = ?`, arn).Scan(&id, &account)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", notFound("policy %s", arn)
	}
	return id, account, err
}

func (p policies) SetTags(ctx context.Context, arn string, tags []iam.Tag) error {
	return p.c.write(ctx, func(q querier) error {
		id, account, err := policyID(ctx, q, arn)
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `UPDATE policies SET tags = ? WHERE id = ?`, encodeTags(tags), id); err != nil {
			return err
		}
		return p.c.change(ctx, q, account, store.ChangePolicy, arn)
	})
}

func (p policies) Delete(ctx context.Context, arn string) error {
	return p.c.write(ctx, func(q querier) error {
		id, account, err := policyID(ctx, q, arn)
		if err != nil {
			return err
		}
		var boundaries int
		if err := q.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM users WHERE boundary_arn = ?1) +
			(SELECT COUNT(*) FROM roles WHERE boundary_arn = ?1)`, arn).Scan(&boundaries); err != nil {
			return err
		}
		if boundaries > 0 {
			return conflict("policy %s is used as a permissions boundary", arn)
		}
		// Attachments reference the policy without ON DELETE CASCADE, so an
		// attached policy fails here with ErrConflict.
		if _, err := exec(ctx, q, `DELETE FROM policies WHERE id = ?`, id); err != nil {
			return err
		}
		return p.c.change(ctx, q, account, store.ChangePolicy, arn)
	})
}

func (p policies) CreateVersion(ctx context.Context, arn, doc string, created time.Time, setDefault bool) (iam.PolicyVersion, error) {
	var v iam.PolicyVersion
	err := p.c.write(ctx, func(q querier) error {
		id, account, err := policyID(ctx, q, arn)
		if err != nil {
			return err
		}
		var n int
		if err := q.QueryRowContext(ctx, `UPDATE policies SET version_seq = version_seq + 1 WHERE id = ?
			RETURNING version_seq`, id).Scan(&n); err != nil {
			return err
		}
		v = iam.PolicyVersion{VersionID: versionID(n), Document: doc, IsDefault: setDefault, Created: created.UTC()}
		if _, err := exec(ctx, q, `INSERT INTO policy_versions (policy_id, version_id, version_no, document, created_at)
			VALUES (?, ?, ?, ?, ?)`, id, v.VersionID, n, doc, toMicros(created)); err != nil {
			return err
		}
		if setDefault {
			if _, err := exec(ctx, q, `UPDATE policies SET default_version = ?, updated_at = ? WHERE id = ?`,
				v.VersionID, toMicros(created), id); err != nil {
				return err
			}
		}
		return p.c.change(ctx, q, account, store.ChangePolicy, arn)
	})
	if err != nil {
		return iam.PolicyVersion{}, err
	}
	v.Created = fromMicros(toMicros(v.Created))
	return v, nil
}

const versionCols = `v.version_id, v.document, v.version_id = p.default_version, v.created_at`

func scanVersion(row interface{ Scan(...any) error }) (iam.PolicyVersion, error) {
	var v iam.PolicyVersion
	var created int64
	if err := row.Scan(&v.VersionID, &v.Document, &v.IsDefault, &created); err != nil {
		return iam.PolicyVersion{}, err
	}
	v.Created = fromMicros(created)
	return v, nil
}

func (p policies) GetVersion(ctx context.Context, arn, versionID string) (iam.PolicyVersion, error) {
	var v iam.PolicyVersion
	err := p.c.readTx(ctx, func(q querier) error {
		id, _, err := policyID(ctx, q, arn)
		if err != nil {
			return err
		}
		v, err = scanVersion(q.QueryRowContext(ctx, `SELECT `+versionCols+` FROM policy_versions v
			JOIN policies p ON p.id = v.policy_id WHERE v.policy_id = ? AND v.version_id = ?`, id, versionID))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("policy %s version %s", arn, versionID)
		}
		return err
	})
	return v, err
}

func (p policies) ListVersions(ctx context.Context, arn string) ([]iam.PolicyVersion, error) {
	var out []iam.PolicyVersion
	err := p.c.readTx(ctx, func(q querier) error {
		id, _, err := policyID(ctx, q, arn)
		if err != nil {
			return err
		}
		rows, err := q.QueryContext(ctx, `SELECT `+versionCols+` FROM policy_versions v
			JOIN policies p ON p.id = v.policy_id WHERE v.policy_id = ? ORDER BY v.version_no DESC`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			v, err := scanVersion(rows)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		return rows.Err()
	})
	return out, err
}

func (p policies) SetDefaultVersion(ctx context.Context, arn, versionID string, at time.Time) error {
	return p.c.write(ctx, func(q querier) error {
		id, account, err := policyID(ctx, q, arn)
		if err != nil {
			return err
		}
		var one int
		err = q.QueryRowContext(ctx, `SELECT 1 FROM policy_versions WHERE policy_id = ? AND version_id = ?`, id, versionID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("policy %s version %s", arn, versionID)
		}
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `UPDATE policies SET default_version = ?, updated_at = ? WHERE id = ?`,
			versionID, toMicros(at), id); err != nil {
			return err
		}
		return p.c.change(ctx, q, account, store.ChangePolicy, arn)
	})
}

func (p policies) DeleteVersion(ctx context.Context, arn, versionID string) error {
	return p.c.write(ctx, func(q querier) error {
		id, account, err := policyID(ctx, q, arn)
		if err != nil {
			return err
		}
		var def string
		if err := q.QueryRowContext(ctx, `SELECT default_version FROM policies WHERE id = ?`, id).Scan(&def); err != nil {
			return err
		}
		if def == versionID {
			return conflict("policy %s version %s is the default", arn, versionID)
		}
		r, err := exec(ctx, q, `DELETE FROM policy_versions WHERE policy_id = ? AND version_id = ?`, id, versionID)
		if err != nil {
			return err
		}
		if err := affected(r, fmt.Sprintf("policy %s version %s", arn, versionID)); err != nil {
			return err
		}
		return p.c.change(ctx, q, account, store.ChangePolicy, arn)
	})
}

func (p policies) PutVersion(ctx context.Context, arn string, v iam.PolicyVersion) error {
	n, err := iam.PolicyVersionNumber(v.VersionID)
	if err != nil {
		return err
	}
	return p.c.write(ctx, func(q querier) error {
		id, account, err := policyID(ctx, q, arn)
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `INSERT INTO policy_versions (policy_id, version_id, version_no, document, created_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (policy_id, version_id) DO UPDATE SET document = excluded.document, created_at = excluded.created_at`,
			id, v.VersionID, n, v.Document, toMicros(v.Created)); err != nil {
			return err
		}
		if _, err := exec(ctx, q, `UPDATE policies SET version_seq = MAX(version_seq, ?) WHERE id = ?`, n, id); err != nil {
			return err
		}
		return p.c.change(ctx, q, account, store.ChangePolicy, arn)
	})
}
