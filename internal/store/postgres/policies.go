package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/jackc/pgx/v5"
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
			created_at, updated_at, default_version, version_seq, tags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, 'v1', 1, $9)`,
			pol.ID, pol.Account, pol.Name, iam.NameKey(pol.Name), pol.Path, arn, pol.Description,
			toMicros(pol.Created), encodeTags(pol.Tags)); err != nil {
			return err
		}
		if _, err := exec(ctx, q, `INSERT INTO policy_versions (policy_id, version_id, version_no, document, created_at)
			VALUES ($1, 'v1', 1, $2, $3)`, pol.ID, doc, toMicros(pol.Created)); err != nil {
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

func scanPolicy(row pgx.Row) (iam.ManagedPolicy, error) {
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
	pol, err := scanPolicy(p.c.reader().QueryRow(ctx, `SELECT `+policyCols+` FROM policies p WHERE p.arn = $1`, arn))
	if noRows(err) {
		return iam.ManagedPolicy{}, notFound("policy %s", arn)
	}
	return pol, err
}

func (p policies) List(ctx context.Context, account string, opts store.ListOptions) ([]iam.ManagedPolicy, error) {
	tail, args := listClause(opts, 2)
	rows, err := p.c.reader().Query(ctx, `SELECT `+policyCols+` FROM policies p WHERE account_id = $1`+tail,
		append([]any{account}, args...)...)
	return collect(rows, err, scanPolicy)
}

// policyID resolves an ARN to the policy's id and account.
func policyID(ctx context.Context, q querier, arn string) (id, account string, err error) {
	err = q.QueryRow(ctx, `SELECT id, account_id FROM policies WHERE arn = $1`, arn).Scan(&id, &account)
	if noRows(err) {
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
		if _, err := exec(ctx, q, `UPDATE policies SET tags = $1 WHERE id = $2`, encodeTags(tags), id); err != nil {
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
		if err := q.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM users WHERE boundary_arn = $1) +
			(SELECT COUNT(*) FROM roles WHERE boundary_arn = $1)`, arn).Scan(&boundaries); err != nil {
			return err
		}
		if boundaries > 0 {
			return conflict("policy %s is used as a permissions boundary", arn)
		}
		// Attachments reference the policy without ON DELETE CASCADE, so an
		// attached policy fails here with ErrConflict.
		if _, err := exec(ctx, q, `DELETE FROM policies WHERE id = $1`, id); err != nil {
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
		if err := q.QueryRow(ctx, `UPDATE policies SET version_seq = version_seq + 1 WHERE id = $1
			RETURNING version_seq`, id).Scan(&n); err != nil {
			return err
		}
		v = iam.PolicyVersion{VersionID: versionID(n), Document: doc, IsDefault: setDefault, Created: fromMicros(toMicros(created))}
		if _, err := exec(ctx, q, `INSERT INTO policy_versions (policy_id, version_id, version_no, document, created_at)
			VALUES ($1, $2, $3, $4, $5)`, id, v.VersionID, n, doc, toMicros(created)); err != nil {
			return err
		}
		if setDefault {
			if _, err := exec(ctx, q, `UPDATE policies SET default_version = $1, updated_at = $2 WHERE id = $3`,
				v.VersionID, toMicros(created), id); err != nil {
				return err
			}
		}
		return p.c.change(ctx, q, account, store.ChangePolicy, arn)
	})
	if err != nil {
		return iam.PolicyVersion{}, err
	}
	return v, nil
}

const versionCols = `v.version_id, v.document, v.version_id = p.default_version, v.created_at`

func scanVersion(row pgx.Row) (iam.PolicyVersion, error) {
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
		v, err = scanVersion(q.QueryRow(ctx, `SELECT `+versionCols+` FROM policy_versions v
			JOIN policies p ON p.id = v.policy_id WHERE v.policy_id = $1 AND v.version_id = $2`, id, versionID))
		if noRows(err) {
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
		rows, err := q.Query(ctx, `SELECT `+versionCols+` FROM policy_versions v
			JOIN policies p ON p.id = v.policy_id WHERE v.policy_id = $1 ORDER BY v.version_no DESC`, id)
		out, err = collect(rows, err, scanVersion)
		return err
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
		err = q.QueryRow(ctx, `SELECT 1 FROM policy_versions WHERE policy_id = $1 AND version_id = $2`, id, versionID).Scan(&one)
		if noRows(err) {
			return notFound("policy %s version %s", arn, versionID)
		}
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `UPDATE policies SET default_version = $1, updated_at = $2 WHERE id = $3`,
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
		if err := q.QueryRow(ctx, `SELECT default_version FROM policies WHERE id = $1`, id).Scan(&def); err != nil {
			return err
		}
		if def == versionID {
			return conflict("policy %s version %s is the default", arn, versionID)
		}
		tag, err := exec(ctx, q, `DELETE FROM policy_versions WHERE policy_id = $1 AND version_id = $2`, id, versionID)
		if err != nil {
			return err
		}
		if err := affected(tag, fmt.Sprintf("policy %s version %s", arn, versionID)); err != nil {
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
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (policy_id, version_id) DO UPDATE SET document = excluded.document, created_at = excluded.created_at`,
			id, v.VersionID, n, v.Document, toMicros(v.Created)); err != nil {
			return err
		}
		if _, err := exec(ctx, q, `UPDATE policies SET version_seq = GREATEST(version_seq, $1) WHERE id = $2`, n, id); err != nil {
			return err
		}
		return p.c.change(ctx, q, account, store.ChangePolicy, arn)
	})
}
