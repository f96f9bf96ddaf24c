package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
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
		return nil, fmt.Errorf("sqlite: corrupt list: %w", err)
	}
	return l, nil
}

func scanProvider(row interface{ Scan(...any) error }) (iam.Provider, error) {
	var (
		p                         iam.Provider
		arn, kind, ids, tps, tags string
		validUntil                sql.NullInt64
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
		if _, err := exec(ctx, q, `INSERT INTO identity_providers (`+providerCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ARN(), p.Account, string(p.Kind), p.Name, p.URL, encodeList(p.ClientIDs), encodeList(p.Thumbprints),
			p.Metadata, p.UUID, nullMicros(p.ValidUntil), encodeTags(p.Tags), toMicros(p.Created), toMicros(p.Updated)); err != nil {
			return err
		}
		return r.c.change(ctx, q, p.Account, store.ChangeProvider, p.ARN())
	})
}

func (r providers) Get(ctx context.Context, arn string) (iam.Provider, error) {
	p, err := scanProvider(r.c.reader().QueryRowContext(ctx, `SELECT `+providerCols+` FROM identity_providers WHERE arn = ?`, arn))
	if errors.Is(err, sql.ErrNoRows) {
		return iam.Provider{}, notFound("provider %s", arn)
	}
	return p, err
}

func (r providers) List(ctx context.Context, account string, kind iam.ProviderKind) ([]iam.Provider, error) {
	rows, err := r.c.reader().QueryContext(ctx, `SELECT `+providerCols+` FROM identity_providers
		WHERE account_id = ? AND kind = ? ORDER BY arn`, account, string(kind))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []iam.Provider
	for rows.Next() {
		p, err := scanProvider(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (r providers) Update(ctx context.Context, p iam.Provider) error {
	return r.c.write(ctx, func(q querier) error {
		res, err := exec(ctx, q, `UPDATE identity_providers SET client_ids = ?, thumbprints = ?, metadata = ?, uuid = ?,
			valid_until = ?, tags = ?, updated_at = ? WHERE arn = ?`,
			encodeList(p.ClientIDs), encodeList(p.Thumbprints), p.Metadata, p.UUID, nullMicros(p.ValidUntil),
			encodeTags(p.Tags), toMicros(p.Updated), p.ARN())
		if err != nil {
			return err
		}
		if err := affected(res, "provider "+p.ARN()); err != nil {
			return err
		}
		return r.c.change(ctx, q, p.Account, store.ChangeProvider, p.ARN())
	})
}

func (r providers) Delete(ctx context.Context, arn string) error {
	return r.c.write(ctx, func(q querier) error {
		var account string
		err := q.QueryRowContext(ctx, `SELECT account_id FROM identity_providers WHERE arn = ?`, arn).Scan(&account)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("provider %s", arn)
		}
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `DELETE FROM identity_providers WHERE arn = ?`, arn); err != nil {
			return err
		}
		return r.c.change(ctx, q, account, store.ChangeProvider, arn)
	})
}
