package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/jackc/pgx/v5"
)

// Providers implements store.Repos.
func (r repos) Providers() store.Providers { return providers(r) }

type providers struct{ c conn }

const providerCols = `arn, account_id, kind, name, url, client_ids, thumbprints, metadata, uuid, valid_until, tags, created_at, updated_at`

func encodeList(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	b, err := json.Marshal(l)
	if err != nil {
		panic(err) // []string always marshals
	}
	return string(b)
}

func decodeList(s string) ([]string, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var l []string
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, fmt.Errorf("postgres: corrupt list: %w", err)
	}
	return l, nil
}

func scanProvider(row pgx.Row) (iam.Provider, error) {
	var (
		p                         iam.Provider
		arn, kind, ids, tps, tags string
		validUntil                *int64
		created, updated          int64
	)
	if err := row.Scan(&arn, &p.Account, &kind, &p.Name, &p.URL, &ids, &tps, &p.Metadata, &p.UUID,
		&validUntil, &tags, &created, &updated); err != nil {
		return iam.Provider{}, err
	}
	p.Kind = iam.ProviderKind(kind)
	var err error
	if p.ClientIDs, err = decodeList(ids); err != nil {
		return iam.Provider{}, err
	}
	if p.Thumbprints, err = decodeList(tps); err != nil {
		return iam.Provider{}, err
	}
	if p.Tags, err = decodeTags(tags); err != nil {
		return iam.Provider{}, err
	}
	p.ValidUntil, p.Created, p.Updated = fromNullMicros(validUntil), fromMicros(created), fromMicros(updated)
	return p, nil
}

func (r providers) Create(ctx context.Context, p iam.Provider) error {
	return r.c.write(ctx, func(q querier) error {
		if err := requireAccount(ctx, q, p.Account); err != nil {
			return err
		}
		if _, err := exec(ctx, q, `INSERT INTO identity_providers (`+providerCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			p.ARN(), p.Account, string(p.Kind), p.Name, p.URL, encodeList(p.ClientIDs), encodeList(p.Thumbprints),
			p.Metadata, p.UUID, nullMicros(p.ValidUntil), encodeTags(p.Tags), toMicros(p.Created), toMicros(p.Updated)); err != nil {
			return err
		}
		return r.c.change(ctx, q, p.Account, store.ChangeProvider, p.ARN())
	})
}

func (r providers) Get(ctx context.Context, arn string) (iam.Provider, error) {
	p, err := scanProvider(r.c.reader().QueryRow(ctx, `SELECT `+providerCols+` FROM identity_providers WHERE arn = $1`, arn))
	if noRows(err) {
		return iam.Provider{}, notFound("provider %s", arn)
	}
	return p, err
}

func (r providers) List(ctx context.Context, account string, kind iam.ProviderKind) ([]iam.Provider, error) {
	rows, err := r.c.reader().Query(ctx, `SELECT `+providerCols+` FROM identity_providers
		WHERE account_id = $1 AND kind = $2 ORDER BY arn`, account, string(kind))
	return collect(rows, err, scanProvider)
}

func (r providers) Update(ctx context.Context, p iam.Provider) error {
	return r.c.write(ctx, func(q querier) error {
		tag, err := exec(ctx, q, `UPDATE identity_providers SET client_ids = $1, thumbprints = $2, metadata = $3, uuid = $4,
			valid_until = $5, tags = $6, updated_at = $7 WHERE arn = $8`,
			encodeList(p.ClientIDs), encodeList(p.Thumbprints), p.Metadata, p.UUID, nullMicros(p.ValidUntil),
			encodeTags(p.Tags), toMicros(p.Updated), p.ARN())
		if err != nil {
			return err
		}
		if err := affected(tag, "provider "+p.ARN()); err != nil {
			return err
		}
		return r.c.change(ctx, q, p.Account, store.ChangeProvider, p.ARN())
	})
}

func (r providers) Delete(ctx context.Context, arn string) error {
	return r.c.write(ctx, func(q querier) error {
		var account string
		err := q.QueryRow(ctx, `DELETE FROM identity_providers WHERE arn = $1 RETURNING account_id`, arn).Scan(&account)
		if noRows(err) {
			return notFound("provider %s", arn)
		}
		if err != nil {
			return err
		}
		return r.c.change(ctx, q, account, store.ChangeProvider, arn)
	})
}
