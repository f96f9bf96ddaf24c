package revocation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/brevet-dev/brevet/internal/audit/behind"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
)

// IndexStore is where the Indexer writes: the issuance records together
// with the trail position they cover, in one transaction (sqlite.Store).
// ReindexIssued skips records already there; the Indexer uses it for what
// it reads back from the trail.
type IndexStore interface {
	IndexIssued(ctx context.Context, rs []store.SessionRecord, position uint64) error
	ReindexIssued(ctx context.Context, rs []store.SessionRecord, position uint64) error
	// IndexPosition is where the index stands in the trail; known is
	// false in a store upgraded from before the index, whose trail names
	// nothing to index (its records were written as they were issued).
	IndexPosition(ctx context.Context) (position uint64, known bool, err error)
}

// TrailWalker reads the issuances the audit trail holds after a position,
// up to upTo (0: to its end), and returns the last position it read
// (audit.WalkIssuances on the trail's directory).
type TrailWalker func(after, upTo uint64, fn func(seq uint64, iss request.Issuance) error) (uint64, error)

// Indexer keeps the issuance records, the index behind `brevet sessions
// list`, written behind the audit trail: the trail is the one durable
// write on an issuance's path, and the Indexer follows it. The trail hands
// it each durable batch's issuances (Add, from its Committed hook); one
// goroutine writes them, many batches to a store transaction, together
// with the trail position they reach.
//
// Nothing is lost when the index lags or fails: whatever it has not
// written is in the trail, and CatchUp reads it from there, after the
// stored position, at start and whenever a write failed. Revocation does
// not depend on the index (a session token carries its lineage); the
// session actions Flush it first, so that they see every issuance
// acknowledged before them.
type Indexer struct {
	st   IndexStore
	walk TrailWalker
	head func() uint64
	log  *slog.Logger

	q *behind.Queue[[]store.SessionRecord]

	// advanceEvery is how often a position without records is stored
	// (the constant advanceEvery; tests shorten it).
	advanceEvery time.Duration

	records atomic.Uint64
	commits atomic.Uint64

	// Owned by the writer goroutine.
	written  uint64 // the position stored
	degraded bool   // a write failed: items were dropped, CatchUp must run
}

// indexItem is a batch of records up to a trail position, or a Flush.
type indexItem = behind.Item[[]store.SessionRecord]

// indexQueue bounds the batches waiting for the writer; past it Add
// drops them and the writer catches up from the trail instead, so memory
// stays bounded however long the store fails.
const indexQueue = 4096

// NewIndexer returns an Indexer writing to st, catching up from walk;
// head is the trail's last position, taken as the index's in a store
// whose position is not known yet. Call CatchUp, then Start.
func NewIndexer(st IndexStore, walk TrailWalker, head func() uint64, log *slog.Logger) *Indexer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Indexer{st: st, walk: walk, head: head, log: log, advanceEvery: advanceEvery,
		q: behind.New[[]store.SessionRecord](indexQueue, errors.New("revocation: the issuance index is closed"))}
}

// CatchUp indexes every issuance the trail holds after the stored
// position, and stores the trail's last position. It returns how many
// records it wrote. The server calls it before it serves, when every
// record in the trail's files is committed.
func (ix *Indexer) CatchUp(ctx context.Context) (int, error) { return ix.catchUp(ctx, 0) }

// catchUp is CatchUp up to the trail position upTo (0: its end). While the
// trail is being written, upTo must be a position its Committed hook has
// reported: the files may hold a batch being written past it, which may
// yet fail.
func (ix *Indexer) catchUp(ctx context.Context, upTo uint64) (int, error) {
	pos, known, err := ix.st.IndexPosition(ctx)
	if err != nil {
		return 0, err
	}
	if !known {
		// An upgraded store: the trail so far names nothing to index.
		head := ix.head()
		if err := ix.st.IndexIssued(ctx, nil, head); err != nil {
			return 0, err
		}
		pos = head
	}
	const chunk = 1000
	var recs []store.SessionRecord
	n := 0
	last, err := ix.walk(pos, upTo, func(seq uint64, iss request.Issuance) error {
		recs = append(recs, store.SessionRecordOf(&iss))
		if len(recs) < chunk {
			return nil
		}
		n += len(recs)
		err := ix.st.ReindexIssued(ctx, recs, seq)
		recs = recs[:0]
		return err
	})
	if err != nil {
		return n, fmt.Errorf("revocation: indexing issuances from the audit trail: %w", err)
	}
	n += len(recs)
	if err := ix.st.ReindexIssued(ctx, recs, last); err != nil {
		return n, err
	}
	ix.written = max(ix.written, last)
	ix.Advance(last)
	ix.records.Add(uint64(n))
	return n, nil
}

// Degrade tells the writer that it has records to read back from the
// trail (CatchUp failed): it tries again at its next tick.
func (ix *Indexer) Degrade() { ix.q.Drop() }

// Start runs the writer until Close.
func (ix *Indexer) Start() { ix.q.Start(ix.run) }

// Add queues records issued by trail events up to position. It never
// blocks: when the queue is full the batch is dropped, and the writer
// reads it back from the trail (CatchUp).
//
// The trail calls Add and Advance from one goroutine, in chain order, and
// Add queues the batch before it moves the position: whoever reads a
// position from Advance finds every batch up to it queued (or dropped, and
// so flagged).
func (ix *Indexer) Add(recs []store.SessionRecord, position uint64) { ix.q.Add(recs, position) }

// Advance notes that the trail reached position with nothing to index;
// the writer stores it now and then, so that CatchUp has less to read.
func (ix *Indexer) Advance(position uint64) { ix.q.Advance(position) }

// Flush returns once every batch added before it is written (or read back
// from the trail), or with the error that kept it from being written.
func (ix *Indexer) Flush(ctx context.Context) error { return ix.q.Flush(ctx) }

// Close writes what is queued and stops the writer (if it was started).
func (ix *Indexer) Close() { ix.q.Close() }

// IndexStats counts the records written and the store transactions that
// carried them (not those that only moved the trail position).
type IndexStats struct {
	Records, Commits uint64
}

// Stats returns the counters since NewIndexer, for metrics.
func (ix *Indexer) Stats() IndexStats {
	return IndexStats{Records: ix.records.Load(), Commits: ix.commits.Load()}
}

// indexTimeout bounds one store write; advanceEvery is how often a
// position without records is stored.
const (
	indexTimeout = 10 * time.Second
	advanceEvery = time.Second
)

func (ix *Indexer) run() {
	tick := time.NewTicker(ix.advanceEvery)
	defer tick.Stop()
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	var batch []indexItem
	for {
		select {
		case it := <-ix.q.Items():
			batch = ix.gather(append(batch[:0], it), linger)
			ix.write(batch)
		case <-tick.C:
			// The position first, then the queue: every batch up to the
			// position is queued by then (Add), and is written with it.
			if latest := ix.q.Latest(); latest > ix.written || ix.degraded || ix.q.Dropped() {
				batch = append(ix.q.Drain(batch[:0], 0), indexItem{Position: latest})
				ix.write(batch)
			}
		case <-ix.q.Quit():
			batch = ix.q.Drain(batch[:0], 0)
			ix.write(batch)
			return
		}
	}
}

// indexLinger is how long the writer keeps a transaction open for more
// batches, and indexBatch how many records it gathers at most: the index is
// not on any request's path, and a transaction costs about as much as a
// few dozen records, so it waits for many. A Flush is answered at once.
const (
	indexLinger = 20 * time.Millisecond
	indexBatch  = 4096
)

// gather adds the items that arrive within indexLinger, unless one of them
// is a Flush, which someone waits for.
func (ix *Indexer) gather(batch []indexItem, linger *time.Timer) []indexItem {
	linger.Reset(indexLinger)
	defer linger.Stop()
	n := 0
	for _, it := range batch {
		if it.Flushed != nil {
			return ix.q.Drain(batch, 0)
		}
		n += len(it.Batch)
	}
	for n < indexBatch {
		select {
		case it := <-ix.q.Items():
			batch = append(batch, it)
			if it.Flushed != nil {
				return ix.q.Drain(batch, 0)
			}
			n += len(it.Batch)
		case <-linger.C:
			return batch
		case <-ix.q.Quit():
			return ix.q.Drain(batch, 0)
		}
	}
	return batch
}

// write stores the batch's records and its highest position in one
// transaction and answers its flushes. After a failure (or a dropped
// batch) it catches up from the trail instead, which has everything.
func (ix *Indexer) write(batch []indexItem) {
	if ix.q.TakeDropped() {
		ix.degraded = true
	}
	var recs []store.SessionRecord
	var pos uint64
	for _, it := range batch {
		if it.Position > ix.written {
			recs = append(recs, it.Batch...)
		}
		pos = max(pos, it.Position)
	}
	ctx, cancel := context.WithTimeout(context.Background(), indexTimeout)
	defer cancel()
	var err error
	switch {
	case ix.degraded:
		// Up to what the trail has reported committed; the batches after
		// it are in this batch or still to come.
		if _, err = ix.catchUp(ctx, ix.q.Latest()); err == nil {
			ix.degraded = false
			ix.log.Info("issuance index caught up from the audit trail")
		}
	case len(recs) > 0 || pos > ix.written:
		if err = ix.st.IndexIssued(ctx, recs, pos); err == nil {
			ix.written = pos
			if len(recs) > 0 {
				ix.records.Add(uint64(len(recs)))
				ix.commits.Add(1)
			}
		}
	}
	if err != nil && !ix.degraded {
		ix.degraded = true
		ix.log.Warn("writing the issuance index; it will be read back from the audit trail", "err", err)
	}
	behind.Answer(batch, err)
}
