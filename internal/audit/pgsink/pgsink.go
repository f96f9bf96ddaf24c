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
//
// While PostgreSQL is unreachable, a sink with a spool (Config.SpoolDir)
// appends each batch, chained as usual, to a local file and acknowledges
// it once fsync'd, so that the node keeps serving what its caches can
// answer; a background shipper inserts the spooled events and digests
// into PostgreSQL, in sequence order and idempotently, as soon as it
// answers again, and empties the spool. Writes keep going to the spool
// until it is empty, so the trail in PostgreSQL only ever grows in
// sequence order. Only when the spool cannot be written either does
// auditing fail closed.
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
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/store"
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
	// SpoolDir holds the outage spool (SpoolFile); none when empty, and
	// then every write fails while PostgreSQL is unreachable.
	SpoolDir string
	// SpoolAfter is how long a write waits for PostgreSQL before the
	// batch goes to the spool; 2s when zero. A batch whose commit was in
	// fact only slow is then in both, which shipping tolerates.
	SpoolAfter time.Duration
	// IndexIssued, when set, adds the issuance records of a batch's
	// events in the transaction that inserts them
	// (postgres.RecordSessionsTx): the index behind `sessions list` is then
	// exactly as durable as the trail, with no write of its own.
	IndexIssued IndexFunc
	// IndexEvents, when set, adds the audit event index's rows of a
	// batch's events in the transaction that inserts them; ids[i] is
	// batch[i]'s id (its key in the trail).
	IndexEvents EventIndexFunc
	Logger      *slog.Logger
}

// EventIndexFunc writes the event index rows of batch in tx.
type EventIndexFunc func(ctx context.Context, tx pgx.Tx, batch []audit.Record, ids []int64) error

// IndexFunc writes issuance records in tx.
type IndexFunc func(ctx context.Context, tx pgx.Tx, recs []store.SessionRecord) error

// Sink is the PostgreSQL audit sink; it implements audit.DurableSink and
// audit.Repairer.
type Sink struct {
	pool       *pgxpool.Pool
	node       string
	state      audit.ChainState
	log        *slog.Logger
	spoolAfter time.Duration
	index      IndexFunc
	indexEv    EventIndexFunc

	mu       sync.Mutex // guards spool and spooling
	spool    *spool     // nil without Config.SpoolDir
	spooling bool
	buf      []byte

	spooledTotal, shippedTotal atomic.Uint64
	quit, shipDone             chan struct{}

	// shipChunk bounds a shipping transaction (the constant shipChunk);
	// afterShip, set by tests only, runs after each committed one, and an
	// error it returns aborts shipping as a crash would.
	shipChunk atomic.Int64
	afterShip atomic.Pointer[func() error]
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
	if cfg.SpoolAfter <= 0 {
		cfg.SpoolAfter = 2 * time.Second
	}
	s := &Sink{pool: pool, node: cfg.Node, log: cfg.Logger, spoolAfter: writeTimeout, index: cfg.IndexIssued, indexEv: cfg.IndexEvents}
	s.shipChunk.Store(shipChunk)
	if err := s.init(ctx, cfg.PublicKey); err != nil {
		pool.Close()
		return nil, err
	}
	if cfg.SpoolDir == "" {
		return s, nil
	}
	if err := s.openSpool(ctx, cfg.SpoolDir); err != nil {
		pool.Close()
		return nil, err
	}
	s.spoolAfter = cfg.SpoolAfter
	s.quit, s.shipDone = make(chan struct{}), make(chan struct{})
	go s.shipper()
	return s, nil
}

// openSpool opens the spool and ships what a previous run left in it
// before the node appends anything, so the chain's order holds. If
// PostgreSQL went away meanwhile, the node starts spooling, its chain
// continuing from the spool's last event and digest.
func (s *Sink) openSpool(ctx context.Context, dir string) error {
	sp, scan, err := openSpool(dir)
	if err != nil {
		return err
	}
	s.spool = sp
	if sp.size == 0 {
		return nil
	}
	s.log.Info("audit: shipping the events this node spooled while PostgreSQL was unreachable",
		"node", s.node, "events", scan.events)
	s.spooling = true
	err = s.ship(ctx)
	if err == nil {
		return s.readHead(ctx)
	}
	s.log.Warn("audit: cannot ship the spool yet; spooling on", "node", s.node, "err", err)
	if e := scan.last; e != nil && e.Seq > s.state.LastSeq {
		s.state.LastSeq = e.Seq
		copy(s.state.Head[:], e.Hash)
	}
	if d := scan.lastDigest; d != nil && d.LastSeq > s.state.DigestLastSeq {
		s.state.DigestLastSeq, s.state.DigestSig = d.LastSeq, d.Sig
	}
	return nil
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
	return s.readHead(ctx)
}

// readHead reads where the node's chain stands in PostgreSQL.
func (s *Sink) readHead(ctx context.Context) error {
	s.state = audit.ChainState{}
	var head []byte
	err := s.pool.QueryRow(ctx, `SELECT seq, hash FROM brevet_audit_events WHERE node_id = $1 ORDER BY seq DESC LIMIT 1`, s.node).
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
// are durable when PostgreSQL acknowledges the commit. With a spool, a
// batch PostgreSQL does not take within SpoolAfter (and every batch
// after it, until the shipper has emptied the spool) is durable once
// fsync'd in the spool instead.
func (s *Sink) Write(batch []audit.Record) error {
	if s.spool != nil {
		s.mu.Lock()
		spooling := s.spooling
		s.mu.Unlock()
		if spooling {
			return s.spoolBatch(batch, nil)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.spoolAfter)
	defer cancel()
	err := s.insert(ctx, batch)
	if err == nil || s.spool == nil {
		return err
	}
	return s.spoolBatch(batch, err)
}

// spoolBatch appends batch to the spool; cause is why PostgreSQL was not
// written (nil when already spooling).
func (s *Sink) spoolBatch(batch []audit.Record, cause error) error {
	entries := make([]spoolEntry, len(batch))
	for i := range batch {
		r := &batch[i]
		entries[i] = spoolEntry{Seq: r.Seq, Prev: r.PrevHash[:], Hash: r.Hash[:], Event: string(r.Event)}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cause != nil {
		s.startSpooling(cause)
	}
	if err := s.appendSpool(entries); err != nil {
		return errors.Join(cause, err)
	}
	return nil
}

type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// insert inserts the batch's events in one statement and, when they
// issued credentials and the sink indexes them, their issuance records in
// the same transaction.
func (s *Sink) insert(ctx context.Context, batch []audit.Record) error {
	var recs []store.SessionRecord
	if s.index != nil {
		for i := range batch {
			if iss := batch[i].Issued; iss != nil {
				recs = append(recs, store.SessionRecordOf(iss))
			}
		}
	}
	if len(recs) == 0 && s.indexEv == nil {
		return insertEvents(ctx, s.pool, s.node, batch)
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := insertEvents(ctx, tx, s.node, batch); err != nil {
			return err
		}
		if err := s.indexEvents(ctx, tx, batch); err != nil {
			return err
		}
		if len(recs) == 0 {
			return nil
		}
		return s.index(ctx, tx, recs)
	})
}

// indexEvents hands the batch just inserted in tx, with its ids, to the
// event index (Config.IndexEvents).
func (s *Sink) indexEvents(ctx context.Context, tx pgx.Tx, batch []audit.Record) error {
	if s.indexEv == nil || len(batch) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT seq, id FROM brevet_audit_events WHERE node_id = $1 AND seq BETWEEN $2 AND $3`,
		s.node, int64(batch[0].Seq), int64(batch[len(batch)-1].Seq))
	if err != nil {
		return fmt.Errorf("pgsink: reading the ids of %d events: %w", len(batch), err)
	}
	byseq := make(map[int64]int64, len(batch))
	for rows.Next() {
		var seq, id int64
		if err := rows.Scan(&seq, &id); err != nil {
			rows.Close()
			return err
		}
		byseq[seq] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	ids := make([]int64, len(batch))
	for i := range batch {
		ids[i] = byseq[int64(batch[i].Seq)]
	}
	return s.indexEv(ctx, tx, batch, ids)
}

// insertEvents inserts recs in one statement.
func insertEvents(ctx context.Context, db execer, node string, batch []audit.Record) error {
	seqs := make([]int64, len(batch))
	prev := make([][]byte, len(batch))
	hashes := make([][]byte, len(batch))
	events := make([]string, len(batch))
	for i := range batch {
		r := &batch[i]
		seqs[i], prev[i], hashes[i], events[i] = int64(r.Seq), r.PrevHash[:], r.Hash[:], string(r.Event)
	}
	_, err := db.Exec(ctx, `INSERT INTO brevet_audit_events (node_id, seq, prev_hash, hash, event)
		SELECT $1, * FROM unnest($2::bigint[], $3::bytea[], $4::bytea[], $5::text[])`, node, seqs, prev, hashes, events)
	if err != nil {
		return fmt.Errorf("pgsink: writing %d events: %w", len(batch), err)
	}
	return nil
}

// WriteDigest stores a signed digest, in PostgreSQL or, like events, in
// the spool.
func (s *Sink) WriteDigest(d audit.SignedDigest) error {
	body, err := d.Decode()
	if err != nil {
		return err
	}
	entry := spoolEntry{Digest: d.Body, Sig: d.Signature, LastSeq: body.LastSeq}
	if s.spool != nil {
		s.mu.Lock()
		spooling := s.spooling
		if spooling {
			err = s.appendSpool([]spoolEntry{entry})
		}
		s.mu.Unlock()
		if spooling {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.spoolAfter)
	defer cancel()
	_, err = s.pool.Exec(ctx, `INSERT INTO brevet_audit_digests (node_id, last_seq, body, signature) VALUES ($1, $2, $3, $4)`,
		s.node, int64(body.LastSeq), string(d.Body), d.Signature)
	if err == nil || s.spool == nil {
		if err != nil {
			return fmt.Errorf("pgsink: writing a digest: %w", err)
		}
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.startSpooling(err)
	if serr := s.appendSpool([]spoolEntry{entry}); serr != nil {
		return errors.Join(err, serr)
	}
	return nil
}

// Repair succeeds once the sink can be written again: without a spool,
// once the database answers (a failed Write left nothing behind: its
// transaction rolled back); with one, once the spool is cut back to its
// last acknowledged entry.
func (s *Sink) Repair() error {
	if s.spool != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		sp := s.spool
		err := sp.f.Truncate(sp.size)
		if err == nil {
			err = sp.f.Sync()
		}
		if err != nil {
			return fmt.Errorf("pgsink: repairing the spool: %w", err)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	return s.pool.Ping(ctx)
}

// Reader reads the trails through the sink's connections (for
// LookupEvents); it is closed with the sink.
func (s *Sink) Reader() *Reader { return &Reader{pool: s.pool} }

// Close stops the shipper and closes the spool and the connections. It
// does not wait for the spool to be shipped: the next Open ships it.
func (s *Sink) Close() error {
	var err error
	if s.spool != nil {
		close(s.quit)
		<-s.shipDone
		err = s.spool.f.Close()
	}
	s.pool.Close()
	return err
}
