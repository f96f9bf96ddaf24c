package node

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/audit/eventindex"
	"github.com/brevet-dev/brevet/internal/audit/lookup"
	"github.com/brevet-dev/brevet/internal/audit/pgsink"
	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/postgres"
)

// The audit event index (store.EventIndex) answers LookupEvents and the
// console's audit explorer without scanning the trail. On the file trail
// an eventindex.Indexer writes it behind the trail, from the trail's
// Committed hook, caught up from the trail before the node serves; on
// PostgreSQL the audit sink writes it in the transaction that inserts the
// events (indexEventsTx), and the events that predate the index are
// indexed once at start (backfillEventIndex).

// newEventIndexer makes the file trail's event indexer (before the trail
// opens: its Committed hook feeds it).
func (n *Node) newEventIndexer() {
	st, ok := n.st.(store.EventIndex)
	if !ok || n.cfg.Store.Driver == config.StorePostgres {
		return
	}
	dir := n.auditDir()
	n.events = eventindex.New(st, func(after, upTo uint64, fn func(audit.Record) error) error {
		return audit.WalkRecordsAfter(dir, after, upTo, func(r audit.Record, _ audit.Position) error { return fn(r) })
	}, n.log)
}

// startEventIndexer catches the index up with the trail and starts its
// writer. A failure does not keep the node from serving: the writer
// tries again.
func (n *Node) startEventIndexer(ctx context.Context) {
	if n.events == nil {
		return
	}
	if k, err := n.events.CatchUp(ctx); err != nil {
		n.log.WarnContext(ctx, "indexing events from the audit trail; the index will try again", "err", err)
		n.events.Degrade()
	} else if k > 0 {
		n.log.InfoContext(ctx, "audit event index caught up from the audit trail", "events", k)
	}
	n.events.Start()
}

// backfillStore is the PostgreSQL store's event index, which knows the
// last event of the trail that predates the index.
type backfillStore interface {
	store.EventIndex
	EventIndexBackfill(ctx context.Context) (uint64, error)
}

// backfillEventIndex indexes the events of a PostgreSQL trail that predate
// the event index (the store's version 13 recorded the last of them): the
// audit sink indexes every later event in its own transaction, and
// LookupEvents answers from the index. It runs at start until done,
// resuming where it stopped; several nodes at once index the same rows
// harmlessly. A failure does not keep the node from serving: the next
// start tries again.
func (n *Node) backfillEventIndex(ctx context.Context) {
	st, ok := n.st.(backfillStore)
	sink, isPG := n.auditor.Durable().(*pgsink.Sink)
	if !ok || !isPG {
		return
	}
	upTo, err := st.EventIndexBackfill(ctx)
	if err != nil || upTo == 0 {
		return
	}
	if pos, err := st.EventIndexPosition(ctx); err != nil || pos >= upTo {
		return
	}
	rd := sink.Reader()
	ix := eventindex.New(st, func(after, upTo uint64, fn func(audit.Record) error) error {
		return rd.WalkRange(ctx, after, upTo, func(key uint64, ev []byte) error { return fn(audit.Record{Seq: key, Event: ev}) })
	}, n.log)
	k, err := ix.CatchUpTo(ctx, upTo)
	if err != nil {
		n.log.WarnContext(ctx, "indexing the audit events that predate the event index; the next start tries again", "err", err)
		return
	}
	n.log.InfoContext(ctx, "audit event index: indexed the events that predate it", "events", k)
}

// followEvents hands each durable batch to the event indexer (after the
// issuance index, if any) and keeps retention from pruning what it has
// not read.
func (n *Node) followEvents(opts *audit.Options) {
	if n.events == nil {
		return
	}
	issued, followed := opts.Committed, opts.Followed
	ix := n.events
	opts.Committed = func(batch []audit.Record) {
		if issued != nil {
			issued(batch)
		}
		ix.Add(batch)
	}
	st := n.st.(store.EventIndex)
	opts.Followed = func(ctx context.Context) (uint64, error) {
		pos, err := st.EventIndexPosition(ctx)
		if err != nil || followed == nil {
			return pos, err
		}
		other, err := followed(ctx)
		return min(pos, other), err
	}
}

// eventIndex is LookupEvents' index: the store's, with the file trail's
// indexer flushed first (for lookup.FlushWait at most) so that a lookup
// sees the events acknowledged before it; nil when the store has none.
func (n *Node) eventIndex() *lookup.Index {
	st, ok := n.st.(store.EventIndex)
	if !ok {
		return nil
	}
	ix := &lookup.Index{Store: st}
	if ev := n.events; ev != nil {
		ix.Flush = ev.Flush
	}
	return ix
}

// indexEventsTx writes a batch's event index rows in the PostgreSQL audit
// sink's transaction, keyed by the events' ids there.
func indexEventsTx(ctx context.Context, tx pgx.Tx, batch []audit.Record, ids []int64) error {
	var rows []store.EventRecord
	for i := range batch {
		rs, err := eventindex.Rows(uint64(ids[i]), batch[i].Event)
		if err != nil {
			return err
		}
		rows = append(rows, rs...)
	}
	return postgres.RecordEventsTx(ctx, tx, rows)
}
