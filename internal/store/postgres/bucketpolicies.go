package postgres

import (
	"context"

	"github.com/brevet-dev/brevet/internal/store"
	"github.com/jackc/pgx/v5"
)

// BucketPolicies implements store.Repos.
func (r repos) BucketPolicies() store.BucketPolicies { return bucketPolicies(r) }

type bucketPolicies struct{ c conn }

const bucketPolicyCols = `account_id, bucket, document, bindings, updated_at`

func scanBucketPolicy(row pgx.Row) (store.BucketPolicy, error) {
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
		if _, err := exec(ctx, q, `INSERT INTO bucket_policies (`+bucketPolicyCols+`) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (account_id, bucket) DO UPDATE SET document = excluded.document,
				bindings = excluded.bindings, updated_at = excluded.updated_at`,
			p.Account, p.Bucket, p.Document, store.EncodeTrustBindings(p.Bindings), toMicros(p.Updated)); err != nil {
			return err
		}
		return r.c.change(ctx, q, p.Account, store.ChangeBucketPolicy, p.Bucket)
	})
}

func (r bucketPolicies) Get(ctx context.Context, account, bucket string) (store.BucketPolicy, error) {
	p, err := scanBucketPolicy(r.c.reader().QueryRow(ctx, `SELECT `+bucketPolicyCols+` FROM bucket_policies
		WHERE account_id = $1 AND bucket = $2`, account, bucket))
	if noRows(err) {
		return store.BucketPolicy{}, notFound("policy of bucket %q in account %s", bucket, account)
	}
	return p, unavailable(err)
}

func (r bucketPolicies) Delete(ctx context.Context, account, bucket string) error {
	return r.c.write(ctx, func(q querier) error {
		tag, err := exec(ctx, q, `DELETE FROM bucket_policies WHERE account_id = $1 AND bucket = $2`, account, bucket)
		if err != nil {
			return err
		}
		if err := affected(tag, "policy of bucket "+bucket); err != nil {
			return err
		}
		return r.c.change(ctx, q, account, store.ChangeBucketPolicy, bucket)
	})
}

func (r bucketPolicies) List(ctx context.Context, account string) ([]store.BucketPolicy, error) {
	rows, err := r.c.reader().Query(ctx, `SELECT `+bucketPolicyCols+` FROM bucket_policies
		WHERE account_id = $1 ORDER BY bucket`, account)
	return collect(rows, err, scanBucketPolicy)
}
