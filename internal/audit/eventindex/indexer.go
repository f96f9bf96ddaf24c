package eventindex

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/audit/behind"
	"github.com/brevet-dev/brevet/internal/store"
)

// Walker reads the trail's records after seq after, up to upTo (0: to its
// end), in chain order (audit.WalkRecordsAfter on the trail's directory).
type Walker func(after, upTo uint64, fn func(rec audit.Record) error) error

// Indexer writes the event index behind the file trail, as
// revocation.Indexer writes the issuance index: the trail hands it each
// durable batch (Add, from its Committed hook), one goroutine decodes the
// events and writes their rows, many batches to a store transaction,
// with the trail position they reach. Nothing is lost when it lags or
// fails: CatchUp reads what it has not written back from the trail, at
// start and after a failed write or a dropped batch. When retention
// prunes trail files, the pruning event it reads makes it delete their
// events from the index (store.EventIndex.PruneEvents), so that the index
// answers what the trail holds and keeps no copy of what was pruned.
type Indexer struct {
	st   store.EventIndex
	walk Walker
	log  *slog.Logger

	q    *behind.Queue[[]event]
	rows atomic.Uint64

	// Owned by the writer goroutine (and CatchUp before Start).
	written  uint64
	degraded bool
}

// item is a batch of events up to a trail position, or a Flush.
type item = behind.Item[[]event]

type event struct {
	key uint64
	raw []byte
}

// queueLen bounds the batches waiting; past it Add drops them and the
// writer reads them back from the trail.
const queueLen = 4096

// New returns an Indexer writing to st and catching up with walk. Call
// CatchUp, then Start.
func New(st store.EventIndex, walk Walker, log *slog.Logger) *Indexer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Indexer{st: st, walk: walk, log: log,
		q: behind.New[[]event](queueLen, errors.New("eventindex: closed"))}
}

// CatchUp indexes the events the trail holds after the stored position
// and returns how many it read.
func (ix *Indexer) CatchUp(ctx context.Context) (int, error) { return ix.catchUp(ctx, 0) }

// CatchUpTo is CatchUp up to the trail position upTo (not 0): the events
// of a PostgreSQL trail that predate the index, whose later events the
// audit sink indexes itself.
func (ix *Indexer) CatchUpTo(ctx context.Context, upTo uint64) (int, error) {
	if upTo == 0 {
		return 0, nil
	}
	return ix.catchUp(ctx, upTo)
}

// catchUp indexes the trail's events after the stored position, up to
// upTo (0: its end), committing every chunk of rows with the position it
// reaches, so that an interrupted catch-up resumes there.
func (ix *Indexer) catchUp(ctx context.Context, upTo uint64) (int, error) {
	pos, err := ix.st.EventIndexPosition(ctx)
	if err != nil {
		return 0, err
	}
	const chunk = 1000
	var rows []store.EventRecord
	n, last := 0, pos
	err = ix.walk(pos, upTo, func(r audit.Record) error {
		rs, prunedTo, err := entry(r.Seq, r.Event)
		if err != nil {
			return fmt.Errorf("event %d: %w", r.Seq, err)
		}
		if prunedTo > 0 {
			// Before the position passes the pruning event: a crash
			// in between reads it again, and prunes again.
			if err := ix.st.PruneEvents(ctx, prunedTo); err != nil {
				return err
			}
			rows = after(rows, prunedTo)
		}
		rows, last = append(rows, rs...), r.Seq
		n++
		if len(rows) < chunk {
			return nil
		}
		err = ix.st.IndexEvents(ctx, rows, last)
		rows = rows[:0]
		return err
	})
	if err != nil {
		return n, fmt.Errorf("eventindex: reading the audit trail: %w", err)
	}
	if err := ix.st.IndexEvents(ctx, rows, last); err != nil {
		return n, err
	}
	ix.written = max(ix.written, last)
	ix.rows.Add(uint64(n))
	return n, nil
}

// Degrade makes the writer catch up from the trail at its next write.
func (ix *Indexer) Degrade() { ix.q.Drop() }

// Start runs the writer until Close.
func (ix *Indexer) Start() { ix.q.Start(ix.run) }

// Add queues a durable batch (the trail's Committed hook). It copies the
// events and never blocks: when the queue is full the batch is dropped
// and read back from the trail.
func (ix *Indexer) Add(batch []audit.Record) {
	if len(batch) == 0 {
		return
	}
	evs := make([]event, len(batch))
	for i := range batch {
		evs[i] = event{key: batch[i].Seq, raw: bytes.Clone(batch[i].Event)}
	}
	ix.q.Add(evs, batch[len(batch)-1].Seq)
}

// Flush returns once every batch added before it is written (or read back
// from the trail): LookupEvents then sees every event acknowledged before
// it.
func (ix *Indexer) Flush(ctx context.Context) error { return ix.q.Flush(ctx) }

// Close writes what is queued and stops the writer.
func (ix *Indexer) Close() { ix.q.Close() }

// Indexed is how many events the Indexer has indexed since New.
func (ix *Indexer) Indexed() uint64 { return ix.rows.Load() }

const writeTimeout = 10 * time.Second

// run is the writer: it writes each queued batch (with those queued behind
// it), and once a second catches up from the trail while degraded.
func (ix *Indexer) run() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var batch []item
	for {
		select {
		case it := <-ix.q.Items():
			ix.write(ix.gather(append(batch[:0], it)))
		case <-tick.C:
			if ix.degraded || ix.q.Dropped() {
				ix.write(ix.q.Drain(batch[:0], drainMax))
			}
		case <-ix.q.Quit():
			ix.write(ix.q.Drain(batch[:0], drainMax))
			return
		}
	}
}

// drainMax bounds the items the writer takes into one write.
const drainMax = 256

// A write waits for more batches, up to lingerFor after the first, until
// it holds lingerEvents events: a transaction's cost is mostly the pages
// it dirties, and the last page of each of the index's B-trees is written
// again by every transaction, so fewer, larger ones cost less an event
// (in the index's benchmark, 125 µs an event in transactions of 8, 36 in
// transactions of 128). A Flush (LookupEvents) or Close does not wait.
const (
	lingerFor    = 50 * time.Millisecond
	lingerEvents = 512
)

// gather is batch with the items queued behind it, waiting for more as
// lingerFor and lingerEvents allow.
func (ix *Indexer) gather(batch []item) []item {
	batch = ix.q.Drain(batch, drainMax)
	var timer *time.Timer
	for !lingerDone(batch) {
		if timer == nil {
			timer = time.NewTimer(lingerFor)
			defer timer.Stop()
		}
		select {
		case it := <-ix.q.Items():
			batch = ix.q.Drain(append(batch, it), drainMax)
		case <-timer.C:
			return batch
		case <-ix.q.Quit():
			return batch
		}
	}
	return batch
}

// lingerDone reports whether a write of batch should not wait for more:
// it answers a Flush, or it is large enough.
func lingerDone(batch []item) bool {
	if len(batch) >= drainMax {
		return true
	}
	n := 0
	for _, it := range batch {
		if it.Flushed != nil {
			return true
		}
		n += len(it.Batch)
	}
	return n >= lingerEvents
}

// write stores the batch's rows and its highest position in one
// transaction and answers its flushes; after a failure or a dropped
// batch it catches up from the trail instead.
func (ix *Indexer) write(batch []item) {
	if ix.q.TakeDropped() {
		ix.degraded = true
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	var err error
	if ix.degraded {
		if _, err = ix.catchUp(ctx, ix.q.Latest()); err == nil {
			ix.degraded = false
			ix.log.Info("audit event index caught up from the audit trail")
		}
	} else {
		err = ix.writeBatch(ctx, batch)
	}
	if err != nil && !ix.degraded {
		ix.degraded = true
		ix.log.Warn("writing the audit event index; it will be read back from the audit trail", "err", err)
	}
	behind.Answer(batch, err)
}

// writeBatch stores the rows of the batch's events not yet written, and
// its highest position, in one transaction (after deleting what a
// pruning event in it pruned).
func (ix *Indexer) writeBatch(ctx context.Context, batch []item) error {
	var rows []store.EventRecord
	var pos, prunedTo uint64
	n := 0
	for _, it := range batch {
		pos = max(pos, it.Position)
		for _, e := range it.Batch {
			if e.key <= ix.written {
				continue
			}
			// Add copied the event: the rows keep it.
			rs, to, err := entryOwned(e.key, e.raw)
			if err != nil {
				ix.log.Warn("audit event index: an event does not decode; not indexed", "seq", e.key, "err", err)
				continue
			}
			if to > 0 {
				prunedTo, rows = max(prunedTo, to), after(rows, to)
			}
			rows = append(rows, rs...)
			n++
		}
	}
	if prunedTo > 0 {
		// Before the position passes the pruning event (see catchUp).
		if err := ix.st.PruneEvents(ctx, prunedTo); err != nil {
			return err
		}
	}
	if pos <= ix.written {
		return nil
	}
	if err := ix.st.IndexEvents(ctx, rows, pos); err != nil {
		return err
	}
	ix.written = pos
	ix.rows.Add(uint64(n))
	return nil
}

// after keeps the rows of events after seq upTo: those up to it were
// pruned from the trail.
func after(rows []store.EventRecord, upTo uint64) []store.EventRecord {
	return slices.DeleteFunc(rows, func(r store.EventRecord) bool { return r.Key <= upTo })
}
