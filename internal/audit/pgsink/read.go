package pgsink

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/brevet-dev/brevet/internal/audit"
)

// Reader reads the trails kept in PostgreSQL.
type Reader struct{ pool *pgxpool.Pool }

// OpenReader connects to the database at dsn.
func OpenReader(ctx context.Context, dsn string) (*Reader, error) {
	pool, err := connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	return &Reader{pool: pool}, nil
}

// Close closes the connections.
func (r *Reader) Close() { r.pool.Close() }

// NodeInfo is a node that has written to the trail.
type NodeInfo struct {
	ID        string
	PublicKey ed25519.PublicKey
}

// ErrNoTables is returned when no node has written a trail to the database.
var ErrNoTables = errors.New("pgsink: no audit trail in this database")

// Nodes lists the nodes with their registered keys, by id.
func (r *Reader) Nodes(ctx context.Context) ([]NodeInfo, error) {
	var exists bool
	if err := r.pool.QueryRow(ctx, `SELECT to_regclass('brevet_audit_nodes') IS NOT NULL`).Scan(&exists); err != nil {
		return nil, err
	}
	if !exists {
		return nil, ErrNoTables
	}
	rows, err := r.pool.Query(ctx, `SELECT node_id, public_key FROM brevet_audit_nodes ORDER BY node_id`)
	if err != nil {
		return nil, err
	}
	var out []NodeInfo
	for rows.Next() {
		var id, pem string
		if err := rows.Scan(&id, &pem); err != nil {
			return nil, err
		}
		pub, err := audit.ParsePublicKey([]byte(pem))
		if err != nil {
			return nil, fmt.Errorf("pgsink: node %s: %w", id, err)
		}
		out = append(out, NodeInfo{ID: id, PublicKey: pub})
	}
	return out, rows.Err()
}

// pageSize is how many events one query reads: the trail is walked in
// pages so that a long one never sits in memory whole.
const pageSize = 2000

// Walk yields node's records in chain order. where names each as
// "node/seq".
func (r *Reader) Walk(ctx context.Context, node string) audit.RecordWalker {
	return func(fn func(rec audit.Record, where string) error) error {
		var after int64 = -1
		for {
			rows, err := r.pool.Query(ctx, `SELECT seq, prev_hash, hash, event FROM brevet_audit_events
				WHERE node_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, node, after, pageSize)
			if err != nil {
				return err
			}
			var page []audit.Record
			for rows.Next() {
				var (
					seq        int64
					prev, hash []byte
					event      string
				)
				if err := rows.Scan(&seq, &prev, &hash, &event); err != nil {
					return err
				}
				rec := audit.Record{Seq: uint64(seq), Event: []byte(event)}
				copy(rec.PrevHash[:], prev)
				copy(rec.Hash[:], hash)
				page = append(page, rec)
				after = seq
			}
			if err := rows.Err(); err != nil {
				return err
			}
			for _, rec := range page {
				if err := fn(rec, fmt.Sprintf("%s/%d", node, rec.Seq)); err != nil {
					return err
				}
			}
			if len(page) < pageSize {
				return nil
			}
		}
	}
}

// Digests returns node's signed digests in order.
func (r *Reader) Digests(ctx context.Context, node string) ([]audit.SignedDigest, error) {
	rows, err := r.pool.Query(ctx, `SELECT body, signature FROM brevet_audit_digests WHERE node_id = $1 ORDER BY last_seq`, node)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (audit.SignedDigest, error) {
		var body string
		var sig []byte
		err := row.Scan(&body, &sig)
		return audit.SignedDigest{Body: []byte(body), Signature: sig}, err
	})
}

// Verify checks node's chain and digests with pub, as audit.Verify checks
// files.
func (r *Reader) Verify(ctx context.Context, node string, pub ed25519.PublicKey) (*audit.VerifyReport, error) {
	ds, err := r.Digests(ctx, node)
	if err != nil {
		return nil, err
	}
	return audit.VerifyStream(r.Walk(ctx, node), ds, func(i int) string { return fmt.Sprintf("%s/digest %d", node, i+1) },
		audit.VerifyOptions{PublicKey: pub})
}

// Search calls fn for each of node's events that f matches, oldest first.
func (r *Reader) Search(ctx context.Context, node string, f audit.Filter, fn func(seq uint64, e *audit.Event) error) error {
	walk := r.Walk(ctx, node)
	return audit.SearchWalk(func(efn func(uint64, *audit.Event) error) error {
		return walk(func(rec audit.Record, where string) error {
			e, err := audit.DecodeEvent(rec.Event)
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			return efn(rec.Seq, e)
		})
	}, f, fn)
}

// WalkAll yields every node's events in the order they were stored, each
// with its position in that order (increasing, not dense), for
// LookupEvents over the whole cluster.
func (r *Reader) WalkAll(ctx context.Context) func(fn func(key uint64, event []byte) error) error {
	return func(fn func(key uint64, event []byte) error) error { return r.WalkRange(ctx, 0, 1<<63-1, fn) }
}

// WalkRange is WalkAll for the events after position after, up to upTo
// (the event index's backfill reads those that predate it).
func (r *Reader) WalkRange(ctx context.Context, after, upTo uint64, fn func(key uint64, event []byte) error) error {
	from, to := int64(min(after, 1<<63-1)), int64(min(upTo, 1<<63-1))
	for {
		rows, err := r.pool.Query(ctx, `SELECT id, event FROM brevet_audit_events WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3`,
			from, to, pageSize)
		if err != nil {
			return err
		}
		type row struct {
			id    int64
			event string
		}
		var page []row
		for rows.Next() {
			var x row
			if err := rows.Scan(&x.id, &x.event); err != nil {
				return err
			}
			page = append(page, x)
			from = x.id
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, x := range page {
			if err := fn(uint64(x.id), []byte(x.event)); err != nil {
				return err
			}
		}
		if len(page) < pageSize {
			return nil
		}
	}
}
