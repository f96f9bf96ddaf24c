package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/brevet-dev/brevet/internal/store"
)

// BucketPolicies implements store.Repos.
func (r repos) BucketPolicies() store.BucketPolicies { return bucketPolicies(r) }

type bucketPolicies struct{ c conn }

const bucketPolicyCols = `account_id, bucket, document, bindings, updated_at`

func scanBucketPolicy(row interface{ Scan(...any) error }) (store.BucketPolicy, error) {
	var p store.BucketPolicy
	var bindings *string
	var updated int64
	if err := row.Scan(&p.Account, &p.Bucket, &p.Document, &bindings, &updated); err != nil {
		return store.BucketPolicy{}, err
	}
	p.Updated = fromMicros(updated)
	var err error
	p.Bindings, err = store.DecodeTrustBindings(bindings)
	return p, err
}

func (r bucketPolicies) Put(ctx context.Context, p store.BucketPolicy) error {
	return r.c.write(ctx, func(q querier) error {
		if err := requireAccount(ctx, q, p.Account); err != nil {
			return err
		}
		if _, err := exec(ctx, q, `INSERT INTO bucket_policies (`+bucketPolicyCols+`) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (account_id, bucket) DO UPDATE SET document = excluded.document,
				bindings = excluded.bindings, updated_at = excluded.updated_at`,
			p.Account, p.Bucket, p.Document, store.EncodeTrustBindings(p.Bindings), toMicros(p.Updated)); err != nil {
			return err
		}
		return r.c.change(ctx, q, p.Account, store.ChangeBucketPolicy, p.Bucket)
	})
}

func (r bucketPolicies) Get(ctx context.Context, account, bucket string) (store.BucketPolicy, error) {
	p, err := scanBucketPolicy(r.c.reader().QueryRowContext(ctx, `SELECT `+bucketPolicyCols+` FROM bucket_policies
		WHERE account_id = ? AND bucket = ?`, account, bucket))
	if errors.Is(err, sql.ErrNoRows) {
		return store.BucketPolicy{}, notFound("policy of bucket %q in account %s", bucket, account)
	}
	return p, err
}

func (r bucketPolicies) Delete(ctx context.Context, account, bucket string) error {
	return r.c.write(ctx, func(q querier) error {
		res, err := exec(ctx, q, `DELETE FROM bucket_policies WHERE account_id = ? AND bucket = ?`, account, bucket)
		if err != nil {
			return err
		}
		if err := affected(res, "policy of bucket "+bucket); err != nil {
			return err
		}
		return r.c.change(ctx, q, account, store.ChangeBucketPolicy, bucket)
	})
}

func (r bucketPolicies) List(ctx context.Context, account string) ([]store.BucketPolicy, error) {
	rows, err := r.c.reader().QueryContext(ctx, `SELECT `+bucketPolicyCols+` FROM bucket_policies
		WHERE account_id = ? ORDER BY bucket`, account)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.BucketPolicy
	for rows.Next() {
		p, err := scanBucketPolicy(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
