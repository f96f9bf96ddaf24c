package pgsink

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/store"
)

// SpoolFile is the spool's name in Config.SpoolDir.
const SpoolFile = "spool"

// spoolEntry is one line of the spool: an event with its chain fields,
// or a signed digest. The event is a JSON string, readable and found by
// a grep for a leaked secret like the file trail; a JSON string holds
// any valid UTF-8 exactly, and reading checks each event against its
// hash anyway. The other []byte fields are base64.
type spoolEntry struct {
	Seq   uint64 `json:"seq,omitempty"`
	Prev  []byte `json:"prev,omitempty"`
	Hash  []byte `json:"hash,omitempty"`
	Event string `json:"event,omitempty"`
	// Digest is a signed digest's body, Sig its signature, LastSeq the
	// last event it covers.
	Digest  []byte `json:"digest,omitempty"`
	Sig     []byte `json:"sig,omitempty"`
	LastSeq uint64 `json:"last_seq,omitempty"`
}

func (e *spoolEntry) isDigest() bool { return e.Digest != nil }

// chained reports whether an event entry is whole: its hash is the one
// its fields give.
func (e *spoolEntry) chained() bool {
	if e.Seq == 0 || len(e.Hash) != 32 || len(e.Prev) != 32 {
		return false
	}
	h := audit.ChainHash([32]byte(e.Prev), e.Seq, []byte(e.Event))
	return string(h[:]) == string(e.Hash)
}

// spool is the append-only file the sink writes batches to while
// PostgreSQL is unreachable. Guarded by Sink.mu.
type spool struct {
	f       *os.File
	size    int64  // bytes of complete, acknowledged entries
	shipped int64  // bytes whose entries are in PostgreSQL
	pending uint64 // events in [shipped, size)
}

// spoolScan is what openSpool found in a leftover spool.
type spoolScan struct {
	events     uint64
	last       *spoolEntry // the last event
	lastDigest *spoolEntry
}

// openSpool opens (creating) dir/spool, cuts a torn last line (a batch
// whose append never completed, so was never acknowledged) and reports
// what the spool holds.
func openSpool(dir string) (*spool, spoolScan, error) {
	var scan spoolScan
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, scan, err
	}
	f, err := os.OpenFile(filepath.Join(dir, SpoolFile), os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, scan, err
	}
	var good int64
	err = readSpool(io.NewSectionReader(f, 0, 1<<62), 0, func(e *spoolEntry, end int64) error {
		good = end
		if e.isDigest() {
			scan.lastDigest = e
		} else {
			scan.events++
			scan.last = e
		}
		return nil
	})
	if err != nil {
		f.Close()
		return nil, scan, err
	}
	if st, err := f.Stat(); err != nil || st.Size() != good {
		if err == nil {
			err = f.Truncate(good)
		}
		if err == nil {
			err = f.Sync()
		}
		if err != nil {
			f.Close()
			return nil, scan, fmt.Errorf("pgsink: cutting the spool's torn tail: %w", err)
		}
	}
	return &spool{f: f, size: good, pending: scan.events}, scan, nil
}

// readSpool calls fn with each complete entry read from r (which starts
// at offset base in the file) and the file offset just past it. A last
// line without its newline is a torn append, never acknowledged, and
// ends the read silently; a complete line that does not decode, or whose
// event does not match its hash, is corruption (a torn append is a
// prefix of whole lines, so cannot leave one).
func readSpool(r io.Reader, base int64, fn func(e *spoolEntry, end int64) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	off := base
	for {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return nil // a partial last line, if any, is torn
		}
		if err != nil {
			return err
		}
		off += int64(len(line))
		e := new(spoolEntry)
		if derr := json.Unmarshal(line, e); derr != nil || (!e.isDigest() && !e.chained()) {
			return fmt.Errorf("pgsink: the spool is corrupt before offset %d", off)
		}
		if err := fn(e, off); err != nil {
			return err
		}
	}
}

// appendSpool writes entries as one write and fsyncs: the batch is
// acknowledged only once that returned. Called with s.mu held.
func (s *Sink) appendSpool(entries []spoolEntry) error {
	sp := s.spool
	s.buf = s.buf[:0]
	events := 0
	for i := range entries {
		if !utf8.ValidString(entries[i].Event) {
			return errors.New("pgsink: an event is not valid UTF-8") // json.Marshal never writes one
		}
		b, err := json.Marshal(&entries[i])
		if err != nil {
			return err
		}
		s.buf = append(append(s.buf, b...), '\n')
		if !entries[i].isDigest() {
			events++
		}
	}
	if _, err := sp.f.Write(s.buf); err != nil {
		return fmt.Errorf("pgsink: writing the spool: %w", err)
	}
	if err := sp.f.Sync(); err != nil {
		return fmt.Errorf("pgsink: syncing the spool: %w", err)
	}
	sp.size += int64(len(s.buf))
	sp.pending += uint64(events)
	s.spooledTotal.Add(uint64(events))
	return nil
}

// startSpooling switches every later write to the spool, until the
// shipper has emptied it. Called with s.mu held.
func (s *Sink) startSpooling(cause error) {
	if !s.spooling {
		s.spooling = true
		s.log.Warn("audit: PostgreSQL unreachable; spooling audit events on this node's disk until it is back",
			"node", s.node, "err", cause)
	}
}

// shipChunk bounds the spooled entries one shipping transaction inserts
// (Sink.shipChunk, which tests lower).
const shipChunk = 1000

// ship inserts the spooled entries into PostgreSQL in order, in
// transactions of up to shipChunk entries, and empties the spool once
// all are in. It is idempotent: events up to the node's head in
// PostgreSQL (left by a shipping that crashed before the spool was cut)
// are skipped after checking that the head's hash is the spooled one,
// and digests already there are left alone.
func (s *Sink) ship(ctx context.Context) error {
	s.mu.Lock()
	start, end := s.spool.shipped, s.spool.size
	s.mu.Unlock()
	if start < end {
		if err := s.shipRange(ctx, start, end); err != nil {
			return err
		}
	} else if err := s.pool.Ping(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sp := s.spool
	if sp.shipped != sp.size {
		return nil // more arrived meanwhile: the next pass ships them
	}
	if sp.size > 0 {
		if err := sp.f.Truncate(0); err != nil {
			return fmt.Errorf("pgsink: emptying the spool: %w", err)
		}
		// Not syncing is safe: a spool that reappears after a crash is
		// shipped again, idempotently.
		sp.size, sp.shipped, sp.pending = 0, 0, 0
	}
	if s.spooling {
		s.spooling = false
		s.log.Info("audit: PostgreSQL reachable again; spooled audit events shipped, writing to PostgreSQL directly",
			"node", s.node)
	}
	return nil
}

func (s *Sink) shipRange(ctx context.Context, start, end int64) error {
	var headSeq int64
	var headHash []byte
	err := s.pool.QueryRow(ctx, `SELECT seq, hash FROM brevet_audit_events WHERE node_id = $1 ORDER BY seq DESC LIMIT 1`, s.node).
		Scan(&headSeq, &headHash)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	var (
		chunk    []spoolEntry
		chunkEnd int64
		events   uint64
	)
	flush := func() error {
		inserted := len(chunk) > 0
		if inserted {
			if err := s.insertChunk(ctx, chunk); err != nil {
				return err
			}
		}
		s.mu.Lock()
		s.spool.shipped = chunkEnd
		s.spool.pending -= events
		s.mu.Unlock()
		s.shippedTotal.Add(events)
		chunk, events = chunk[:0], 0
		if hook := s.afterShip.Load(); inserted && hook != nil {
			return (*hook)()
		}
		return nil
	}
	err = readSpool(io.NewSectionReader(s.spool.f, start, end-start), start, func(e *spoolEntry, off int64) error {
		chunkEnd = off
		if !e.isDigest() {
			events++
			switch {
			case int64(e.Seq) < headSeq:
				return nil // shipped before a crash
			case int64(e.Seq) == headSeq:
				if string(e.Hash) != string(headHash) {
					return fmt.Errorf("pgsink: spooled event %d of node %s differs from the one in PostgreSQL; not shipping", e.Seq, s.node)
				}
				return nil
			}
		}
		chunk = append(chunk, *e)
		if len(chunk) >= int(s.shipChunk.Load()) {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// insertChunk inserts entries, in order, in one transaction.
func (s *Sink) insertChunk(ctx context.Context, entries []spoolEntry) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var recs []audit.Record
		var issued []store.SessionRecord
		flushEvents := func() error {
			if len(recs) == 0 {
				return nil
			}
			err := insertEvents(ctx, tx, s.node, recs)
			if err == nil {
				err = s.indexEvents(ctx, tx, recs)
			}
			recs = recs[:0]
			if err == nil && len(issued) > 0 {
				err = s.index(ctx, tx, issued)
				issued = issued[:0]
			}
			return err
		}
		for i := range entries {
			e := &entries[i]
			if !e.isDigest() {
				rec := audit.Record{Seq: e.Seq, Event: []byte(e.Event)}
				copy(rec.PrevHash[:], e.Prev)
				copy(rec.Hash[:], e.Hash)
				recs = append(recs, rec)
				if s.index != nil {
					// Indexed with the event, as Write would have.
					iss, ok, err := audit.IssuanceOf(rec.Event)
					if err != nil {
						return fmt.Errorf("pgsink: spooled event %d: %w", e.Seq, err)
					}
					if ok {
						issued = append(issued, store.SessionRecordOf(&iss))
					}
				}
				continue
			}
			if err := flushEvents(); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO brevet_audit_digests (node_id, last_seq, body, signature) VALUES ($1, $2, $3, $4)
				ON CONFLICT (node_id, last_seq) DO NOTHING`, s.node, int64(e.LastSeq), string(e.Digest), e.Sig); err != nil {
				return fmt.Errorf("pgsink: shipping a digest: %w", err)
			}
		}
		return flushEvents()
	})
}

// shipper ships the spool whenever it holds entries, retrying with
// backoff while PostgreSQL stays unreachable.
func (s *Sink) shipper() {
	defer close(s.shipDone)
	const minWait, maxWait = 100 * time.Millisecond, 5 * time.Second
	wait := minWait
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-timer.C:
		}
		s.mu.Lock()
		active := s.spooling
		s.mu.Unlock()
		if active {
			ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
			err := s.ship(ctx)
			cancel()
			if err != nil {
				// Once per streak: an outage fails every pass.
				level := slog.LevelDebug
				if wait == minWait {
					level = slog.LevelWarn
				}
				s.log.Log(context.Background(), level, "audit: cannot ship the spool yet; retrying", "node", s.node, "err", err)
				wait = min(wait*2, maxWait)
			} else {
				wait = minWait
			}
		}
		timer.Reset(wait)
	}
}

// Stats describes the spool, for metrics.
type Stats struct {
	// Spooling is true while writes go to the spool.
	Spooling bool
	// Pending is how many spooled events are not yet known to be in
	// PostgreSQL.
	Pending uint64
	// Spooled and Shipped count events spooled and shipped since Open.
	Spooled, Shipped uint64
}

// Stats returns the spool's state.
func (s *Sink) Stats() Stats {
	st := Stats{Spooled: s.spooledTotal.Load(), Shipped: s.shippedTotal.Load()}
	if s.spool != nil {
		s.mu.Lock()
		st.Spooling, st.Pending = s.spooling, s.spool.pending
		s.mu.Unlock()
	}
	return st
}
