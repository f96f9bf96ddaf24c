package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

// principals implements store.Principals with two queries per call, in one
// read transaction: the entity row (with the change-feed position), then
// every policy document that applies, as one UNION ALL.
type principals struct{ c conn }

// Source numbers in the documents query; 5 is the boundary, 6 a group name.
const (
	srcBoundary  = 5
	srcGroupName = 6
)

// defaultDoc joins a policy (alias p) to its default version (alias v).
const defaultDoc = ` JOIN policy_versions v ON v.policy_id = p.id AND v.version_id = p.default_version `

const userDocsQuery = `
SELECT 1, '', name, '', '', document FROM user_policies WHERE user_id = ?1
UNION ALL
SELECT 2, '', p.name, p.arn, p.default_version, v.document
  FROM user_attachments a JOIN policies p ON p.id = a.policy_id` + defaultDoc + `WHERE a.user_id = ?1
UNION ALL
SELECT 3, g.name, gp.name, '', '', gp.document
  FROM group_members m JOIN iam_groups g ON g.id = m.group_id JOIN group_policies gp ON gp.group_id = g.id
  WHERE m.user_id = ?1
UNION ALL
SELECT 4, g.name, p.name, p.arn, p.default_version, v.document
  FROM group_members m JOIN iam_groups g ON g.id = m.group_id JOIN group_attachments ga ON ga.group_id = g.id
  JOIN policies p ON p.id = ga.policy_id` + defaultDoc + `WHERE m.user_id = ?1
UNION ALL
SELECT 5, '', p.name, p.arn, p.default_version, v.document FROM policies p` + defaultDoc + `WHERE p.arn = ?2
UNION ALL
SELECT 6, g.name, '', '', '', '' FROM group_members m JOIN iam_groups g ON g.id = m.group_id WHERE m.user_id = ?1
ORDER BY 1, 2, 3`

const roleDocsQuery = `
SELECT 1, '', name, '', '', document FROM role_policies WHERE role_id = ?1
UNION ALL
SELECT 2, '', p.name, p.arn, p.default_version, v.document
  FROM role_attachments a JOIN policies p ON p.id = a.policy_id` + defaultDoc + `WHERE a.role_id = ?1
UNION ALL
SELECT 5, '', p.name, p.arn, p.default_version, v.document FROM policies p` + defaultDoc + `WHERE p.arn = ?2
ORDER BY 1, 2, 3`

const seqCol = `, (SELECT COALESCE(MAX(seq), 0) FROM changes)`

func (p principals) LoadUser(ctx context.Context, account, name string) (store.PrincipalSnapshot, error) {
	var snap store.PrincipalSnapshot
	err := p.c.readTx(ctx, func(q querier) error {
		var err error
		snap, err = loadUser(ctx, q, `account_id = ? AND name_key = ?`, account, iam.NameKey(name))
		return err
	})
	return snap, err
}

func loadUser(ctx context.Context, q querier, where string, args ...any) (store.PrincipalSnapshot, error) {
	var snap store.PrincipalSnapshot
	var u iam.User
	var created int64
	var pwd sql.NullInt64
	var tags string
	err := q.QueryRowContext(ctx, `SELECT `+userCols+seqCol+` FROM users WHERE `+where, args...).
		Scan(&u.ID, &u.Account, &u.Name, &u.Path, &created, &pwd, &u.PermissionsBoundary, &tags, &snap.Seq)
	if errors.Is(err, sql.ErrNoRows) {
		return snap, notFound("user %v", args)
	}
	if err != nil {
		return snap, err
	}
	u.Created, u.PasswordLastUsed = fromMicros(created), fromNullMicros(pwd)
	if u.Tags, err = decodeTags(tags); err != nil {
		return snap, err
	}
	snap.User, snap.BoundaryARN = &u, u.PermissionsBoundary
	return snap, loadDocs(ctx, q, &snap, userDocsQuery, u.ID, u.PermissionsBoundary)
}

func (p principals) LoadRole(ctx context.Context, account, name string) (store.PrincipalSnapshot, error) {
	var snap store.PrincipalSnapshot
	err := p.c.readTx(ctx, func(q querier) error {
		row := q.QueryRowContext(ctx, `SELECT `+roleCols+seqCol+` FROM roles WHERE account_id = ? AND name_key = ?`,
			account, iam.NameKey(name))
		r, err := scanRole(seqScanner{row, &snap.Seq})
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("role %q in account %s", name, account)
		}
		if err != nil {
			return err
		}
		snap.Role, snap.BoundaryARN = &r, r.PermissionsBoundary
		return loadDocs(ctx, q, &snap, roleDocsQuery, r.ID, r.PermissionsBoundary)
	})
	return snap, err
}

// seqScanner appends the change-feed column to a row scan.
type seqScanner struct {
	row interface{ Scan(...any) error }
	seq *int64
}

func (s seqScanner) Scan(dest ...any) error { return s.row.Scan(append(dest, s.seq)...) }

func (p principals) LoadAccessKey(ctx context.Context, keyID string) (iam.AccessKey, store.PrincipalSnapshot, error) {
	var key iam.AccessKey
	var snap store.PrincipalSnapshot
	err := p.c.readTx(ctx, func(q querier) error {
		var err error
		if key, err = getAccessKey(ctx, q, keyID); err != nil {
			return err
		}
		snap, err = loadUser(ctx, q, `id = (SELECT user_id FROM access_keys WHERE id = ?)`, keyID)
		return err
	})
	return key, snap, err
}

func loadDocs(ctx context.Context, q querier, snap *store.PrincipalSnapshot, query, id, boundary string) error {
	rows, err := q.QueryContext(ctx, query, id, boundary)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var d store.PolicyDoc
		var src int
		if err := rows.Scan(&src, &d.Group, &d.Name, &d.ARN, &d.VersionID, &d.Document); err != nil {
			return err
		}
		switch src {
		case srcGroupName:
			snap.Groups = append(snap.Groups, d.Group)
		case srcBoundary:
			d.Source = store.SourceManaged
			snap.Boundary = &d
		default:
			d.Source = store.PolicySource(src)
			snap.Policies = append(snap.Policies, d)
		}
	}
	return rows.Err()
}
