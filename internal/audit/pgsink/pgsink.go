// Package pgsink keeps the audit trail in PostgreSQL, for clusters: every
// node appends its own hash chain (its own sequence numbers, signing key
// and digests) to shared tables, so a node's trail outlives the node and
// one query reads the whole cluster's.
//
// It owns its tables (created with CREATE TABLE IF NOT EXISTS under an
// advisory lock on first use; the store's migrations do not know them)
// and reading them back for `brevet audit verify` and `search`. Group
// commit is the Trail's: each batch of concurrent events is one INSERT,
// one transaction, acknowledged once PostgreSQL has committed it (made
// its WAL durable, with the default synchronous_commit). It must not
// decide what is recorded; package audit does.
package pgsink

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/brevet-dev/brevet/internal/audit"
)

// schema creates the tables. Events keep their exact bytes (text, not
// jsonb, which would reorder keys and break the hash). id orders events
// across nodes, in the order they were committed, for LookupEvents.
const schema = `
SELECT pg_advisory_xact_lock(hashtext('brevet_audit_schema'));
CREATE TABLE IF NOT EXISTS brevet_audit_nodes (
	node_id    text PRIMARY KEY,
	public_key text NOT NULL,
	created    timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS brevet_audit_events (
	id        bigserial NOT NULL UNIQUE,
	node_id   text   NOT NULL,
	seq       bigint NOT NULL,
	prev_hash bytea  NOT NULL,
	hash      bytea  NOT NULL,
	event     text   NOT NULL,
	PRIMARY KEY (node_id, seq)
);
CREATE TABLE IF NOT EXISTS brevet_audit_digests (
	node_id   text   NOT NULL,
	last_seq  bigint NOT NULL,
	body      text   NOT NULL,
	signature bytea  NOT NULL,
	PRIMARY KEY (node_id, last_seq)
);`

// writeTimeout bounds one batch's transaction: past it the Trail fails
// closed rather than hold every request.
const writeTimeout = 10 * time.Second

// NodeIDFile holds a node's id in its audit directory.
const NodeIDFile = "node-id"

var nodeIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ValidNodeID reports whether id may name a node.
func ValidNodeID(id string) bool { return nodeIDPattern.MatchString(id) }

// LoadOrCreateNodeID returns the node id kept in dir/node-id, generating
// one ("node-" and 16 hex digits) on first use.
func LoadOrCreateNodeID(dir string) (string, error) {
	path := filepath.Join(dir, NodeIDFile)
	b, err := os.ReadFile(path)
	if err == nil {
		id := strings.TrimSpace(string(b))
		if !ValidNodeID(id) {
			return "", fmt.Errorf("pgsink: %s holds no valid node id", path)
		}
		return id, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", err
	}
	id := "node-" + hex.EncodeToString(r[:])
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	_, werr := f.WriteString(id + "\n")
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return "", err
	}
	return id, nil
}

// Config configures Open.
type Config struct {
	// DSN is the PostgreSQL URL (the store's).
	DSN string
	// Node is this node's id (LoadOrCreateNodeID).
	Node string
	// PublicKey is the node's digest verification key, registered for the
	// node on first use; a node whose key changed is refused.
	PublicKey ed25519.PublicKey
	Logger    *slog.Logger
}

// Sink is the PostgreSQL audit sink; it implements audit.DurableSink and
// audit.Repairer.
type Sink struct {
	pool  *pgxpool.Pool
	node  string
	state audit.ChainState
	log   *slog.Logger
}

var (
	_ audit.DurableSink = (*Sink)(nil)
	_ audit.Repairer    = (*Sink)(nil)
)

// Open connects, creates the tables if needed, registers the node's key
// and reads where the node's chain stands.
func Open(ctx context.Context, cfg Config) (*Sink, error) {
	if !ValidNodeID(cfg.Node) {
		return nil, fmt.Errorf("pgsink: invalid node id %q", cfg.Node)
	}
	if len(cfg.PublicKey) != ed25519.PublicKeySize {
		return nil, errors.New("pgsink: Config.PublicKey is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	pool, err := connect(ctx, cfg.DSN)
	if err != nil {
		return nil, err
	}
	s := &Sink{pool: pool, node: cfg.Node, log: cfg.Logger}
	if err := s.init(ctx, cfg.PublicKey); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

func connect(ctx context.Context, dsn string) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("pgsink: the DSN does not parse") // it may hold a password
	}
	pc.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("pgsink: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgsink: %w", err)
	}
	return pool, nil
}

// createTables runs the schema in one transaction (the advisory lock
// serialises nodes starting together).
func createTables(ctx context.Context, pool *pgxpool.Pool) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for _, stmt := range strings.Split(schema, ";") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("pgsink: creating the audit tables: %w", err)
			}
		}
		return nil
	})
}

func (s *Sink) init(ctx context.Context, pub ed25519.PublicKey) error {
	if err := createTables(ctx, s.pool); err != nil {
		return err
	}
	pem, err := audit.MarshalPublicKey(pub)
	if err != nil {
		return err
	}
	var registered string
	err = s.pool.QueryRow(ctx, `INSERT INTO brevet_audit_nodes (node_id, public_key) VALUES ($1, $2)
		ON CONFLICT (node_id) DO UPDATE SET node_id = EXCLUDED.node_id RETURNING public_key`, s.node, string(pem)).Scan(&registered)
	if err != nil {
		return fmt.Errorf("pgsink: registering node %s: %w", s.node, err)
	}
	if registered != string(pem) {
		return fmt.Errorf("pgsink: node %s is registered with another signing key (key %s in this data directory): "+
			"the node id was copied, or the signing key replaced", s.node, audit.KeyID(pub))
	}
	var head []byte
	err = s.pool.QueryRow(ctx, `SELECT seq, hash FROM brevet_audit_events WHERE node_id = $1 ORDER BY seq DESC LIMIT 1`, s.node).
		Scan(&s.state.LastSeq, &head)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return fmt.Errorf("pgsink: reading the chain's head: %w", err)
	default:
		copy(s.state.Head[:], head)
	}
	var body string
	err = s.pool.QueryRow(ctx, `SELECT body, signature FROM brevet_audit_digests WHERE node_id = $1 ORDER BY last_seq DESC LIMIT 1`, s.node).
		Scan(&body, &s.state.DigestSig)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return fmt.Errorf("pgsink: reading the last digest: %w", err)
	default:
		d, err := (&audit.SignedDigest{Body: []byte(body)}).Decode()
		if err != nil {
			return fmt.Errorf("pgsink: the last digest of node %s: %w", s.node, err)
		}
		s.state.DigestLastSeq = d.LastSeq
	}
	return nil
}

// Node is the node id.
func (s *Sink) Node() string { return s.node }

// State is where the node's chain stands.
func (s *Sink) State() audit.ChainState { return s.state }

// Write inserts the batch in one statement, one transaction: the events
// are durable when PostgreSQL acknowledges the commit.
func (s *Sink) Write(batch []audit.Record) error {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	seqs := make([]int64, len(batch))
	prev := make([][]byte, len(batch))
	hashes := make([][]byte, len(batch))
	events := make([]string, len(batch))
	for i := range batch {
		r := &batch[i]
		seqs[i], prev[i], hashes[i], events[i] = int64(r.Seq), r.PrevHash[:], r.Hash[:], string(r.Event)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO brevet_audit_events (node_id, seq, prev_hash, hash, event)
		SELECT $1, * FROM unnest($2::bigint[], $3::bytea[], $4::bytea[], $5::text[])`, s.node, seqs, prev, hashes, events)
	if err != nil {
		return fmt.Errorf("pgsink: writing %d events: %w", len(batch), err)
	}
	return nil
}

// WriteDigest stores a signed digest.
func (s *Sink) WriteDigest(d audit.SignedDigest) error {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	body, err := d.Decode()
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO brevet_audit_digests (node_id, last_seq, body, signature) VALUES ($1, $2, $3, $4)`,
		s.node, int64(body.LastSeq), string(d.Body), d.Signature)
	if err != nil {
		return fmt.Errorf("pgsink: writing a digest: %w", err)
	}
	return nil
}

// Repair succeeds once the database answers again. A failed Write left
// nothing behind: its transaction rolled back.
func (s *Sink) Repair() error {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	return s.pool.Ping(ctx)
}

// Reader reads the trails through the sink's connections (for
// LookupEvents); it is closed with the sink.
func (s *Sink) Reader() *Reader { return &Reader{pool: s.pool} }

// Close closes the connections.
func (s *Sink) Close() error {
	s.pool.Close()
	return nil
}
