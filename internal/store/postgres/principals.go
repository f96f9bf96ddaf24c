package postgres

import (
	"context"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

// principals implements store.Principals with one statement per call, so
// one round trip and one snapshot: a CTE selects the entity (with the
// change-feed position), another every policy document that applies, and
// the result is the entity row joined to each document (or to one row of
// NULLs when none applies). No row means no entity.
type principals struct{ c conn }

// Source numbers in the documents query; 5 is the boundary, 6 a group name.
const (
	srcBoundary  = 5
	srcGroupName = 6
)

// defaultDoc joins a policy (alias p) to its default version (alias v).
const defaultDoc = ` JOIN policy_versions v ON v.policy_id = p.id AND v.version_id = p.default_version `

// The documents CTEs read the entity's id and boundary from CTE e.
const userDocs = `
d AS (
SELECT 1 AS src, ''::text AS grp, name, ''::text AS arn, ''::text AS ver, document
  FROM user_policies WHERE user_id = (SELECT id FROM e)
UNION ALL
SELECT 2, '', p.name, p.arn, p.default_version, v.document
  FROM user_attachments a JOIN policies p ON p.id = a.policy_id` + defaultDoc + `WHERE a.user_id = (SELECT id FROM e)
UNION ALL
SELECT 3, g.name, gp.name, '', '', gp.document
  FROM group_members m JOIN iam_groups g ON g.id = m.group_id JOIN group_policies gp ON gp.group_id = g.id
  WHERE m.user_id = (SELECT id FROM e)
UNION ALL
SELECT 4, g.name, p.name, p.arn, p.default_version, v.document
  FROM group_members m JOIN iam_groups g ON g.id = m.group_id JOIN group_attachments ga ON ga.group_id = g.id
  JOIN policies p ON p.id = ga.policy_id` + defaultDoc + `WHERE m.user_id = (SELECT id FROM e)
UNION ALL
SELECT 5, '', p.name, p.arn, p.default_version, v.document FROM policies p` + defaultDoc + `
  WHERE p.arn = (SELECT boundary_arn FROM e)
UNION ALL
SELECT 6, g.name, '', '', '', '' FROM group_members m JOIN iam_groups g ON g.id = m.group_id
  WHERE m.user_id = (SELECT id FROM e))`

const roleDocs = `
d AS (
SELECT 1 AS src, ''::text AS grp, name, ''::text AS arn, ''::text AS ver, document
  FROM role_policies WHERE role_id = (SELECT id FROM e)
UNION ALL
SELECT 2, '', p.name, p.arn, p.default_version, v.document
  FROM role_attachments a JOIN policies p ON p.id = a.policy_id` + defaultDoc + `WHERE a.role_id = (SELECT id FROM e)
UNION ALL
SELECT 5, '', p.name, p.arn, p.default_version, v.document FROM policies p` + defaultDoc + `
  WHERE p.arn = (SELECT boundary_arn FROM e))`

const seqCol = `, (SELECT COALESCE(MAX(seq), 0) FROM changes) AS seq`

// docsTail joins the entity to its documents, in SQLite's order.
const docsTail = `
SELECT e.*, d.src, d.grp, d.name, d.arn, d.ver, d.document FROM e LEFT JOIN d ON true
ORDER BY d.src, d.grp COLLATE "C", d.name COLLATE "C"`

var (
	loadUserQuery = `WITH e AS (SELECT ` + userCols + seqCol + ` FROM users WHERE account_id = $1 AND name_key = $2),` +
		userDocs + docsTail
	loadRoleQuery = `WITH e AS (SELECT ` + roleCols + seqCol + ` FROM roles WHERE account_id = $1 AND name_key = $2),` +
		roleDocs + docsTail
	// The key's own columns come first; e is its user.
	loadKeyQuery = `WITH k AS (SELECT id, user_id, status, created_at, secret, last_used_at, last_used_service,
		last_used_region FROM access_keys WHERE id = $1),
	e AS (SELECT ` + userCols + seqCol + ` FROM users WHERE id = (SELECT user_id FROM k)),` + userDocs + `
	SELECT k.id, k.status, k.created_at, k.secret, k.last_used_at, k.last_used_service, k.last_used_region,
		e.*, d.src, d.grp, d.name, d.arn, d.ver, d.document FROM k JOIN e ON true LEFT JOIN d ON true
	ORDER BY d.src, d.grp COLLATE "C", d.name COLLATE "C"`
)

// docRow holds the nullable document columns of one result row.
type docRow struct {
	src                      *int32
	grp, name, arn, ver, doc *string
}

func (d *docRow) dest() []any { return []any{&d.src, &d.grp, &d.name, &d.arn, &d.ver, &d.doc} }

// add files one document row into the snapshot.
func (d *docRow) add(snap *store.PrincipalSnapshot) {
	if d.src == nil {
		return // the entity has no documents
	}
	pd := store.PolicyDoc{Group: *d.grp, Name: *d.name, ARN: *d.arn, VersionID: *d.ver, Document: *d.doc}
	switch *d.src {
	case srcGroupName:
		snap.Groups = append(snap.Groups, pd.Group)
	case srcBoundary:
		pd.Source = store.SourceManaged
		snap.Boundary = &pd
	default:
		pd.Source = store.PolicySource(*d.src)
		snap.Policies = append(snap.Policies, pd)
	}
}

// loadSnapshot runs a load query. head are the scan destinations before the
// documents (entity columns and seq); finish completes the entity after
// the first row. It reports whether any row came back.
func loadSnapshot(ctx context.Context, q querier, snap *store.PrincipalSnapshot, head []any, finish func() error,
	query string, args ...any) (bool, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var d docRow
	dest := append(head, d.dest()...)
	found := false
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return false, err
		}
		if !found {
			found = true
			if err := finish(); err != nil {
				return false, err
			}
		}
		d.add(snap)
	}
	return found, rows.Err()
}

func (p principals) LoadUser(ctx context.Context, account, name string) (store.PrincipalSnapshot, error) {
	var snap store.PrincipalSnapshot
	u := new(iam.User)
	dest, finish := userDest(u)
	found, err := loadSnapshot(ctx, p.c.reader(), &snap, append(dest, &snap.Seq), finish,
		loadUserQuery, account, iam.NameKey(name))
	if err != nil {
		return store.PrincipalSnapshot{}, err
	}
	if !found {
		return store.PrincipalSnapshot{}, notFound("user %q in account %s", name, account)
	}
	snap.User, snap.BoundaryARN = u, u.PermissionsBoundary
	return snap, nil
}

func (p principals) LoadRole(ctx context.Context, account, name string) (store.PrincipalSnapshot, error) {
	var snap store.PrincipalSnapshot
	r := new(iam.Role)
	dest, finish := roleDest(r)
	found, err := loadSnapshot(ctx, p.c.reader(), &snap, append(dest, &snap.Seq), finish,
		loadRoleQuery, account, iam.NameKey(name))
	if err != nil {
		return store.PrincipalSnapshot{}, err
	}
	if !found {
		return store.PrincipalSnapshot{}, notFound("role %q in account %s", name, account)
	}
	snap.Role, snap.BoundaryARN = r, r.PermissionsBoundary
	return snap, nil
}

func (p principals) LoadAccessKey(ctx context.Context, keyID string) (iam.AccessKey, store.PrincipalSnapshot, error) {
	var snap store.PrincipalSnapshot
	var key iam.AccessKey
	var status string
	var created int64
	var used *int64
	u := new(iam.User)
	udest, ufinish := userDest(u)
	head := append([]any{&key.ID, &status, &created, &key.SecretCiphertext, &used, &key.LastUsed.Service,
		&key.LastUsed.Region}, udest...)
	found, err := loadSnapshot(ctx, p.c.reader(), &snap, append(head, &snap.Seq), ufinish, loadKeyQuery, keyID)
	if err != nil {
		return iam.AccessKey{}, store.PrincipalSnapshot{}, err
	}
	if !found {
		return iam.AccessKey{}, store.PrincipalSnapshot{}, notFound("access key %s", keyID)
	}
	key.Account, key.UserName = u.Account, u.Name
	key.Status, key.Created, key.LastUsed.Date = iam.AccessKeyStatus(status), fromMicros(created), fromNullMicros(used)
	snap.User, snap.BoundaryARN = u, u.PermissionsBoundary
	return key, snap, nil
}
