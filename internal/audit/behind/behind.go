// Package behind is the queue between the audit trail and a writer that
// follows it (revocation.Indexer, eventindex.Indexer): the trail's
// Committed hook adds each durable batch with the position it reaches,
// and one goroutine writes them. Add never blocks; a batch it cannot
// queue is dropped and flagged, and the writer reads it back from the
// trail, which has everything. The writer's loop, and how it writes and
// catches up, stay with each indexer.
package behind

import (
	"context"
	"sync"
	"sync/atomic"
)

// Item is a batch up to a trail position, or, with Flushed set, a Flush:
// the writer answers it (Answer) once everything queued before it is
// written.
type Item[T any] struct {
	Batch    T
	Position uint64
	Flushed  chan error
}

// Queue holds the batches waiting for the writer, the trail's latest
// position, and whether a batch was dropped.
type Queue[T any] struct {
	items   chan Item[T]
	quit    chan struct{}
	done    chan struct{}
	once    sync.Once
	started atomic.Bool
	closed  error // what Flush returns once the queue is closed

	latest  atomic.Uint64 // the trail's last position seen (Add, Advance)
	dropped atomic.Bool   // a batch was dropped: the writer must catch up
}

// New returns a Queue holding up to size items; Flush returns closed
// after Close.
func New[T any](size int, closed error) *Queue[T] {
	return &Queue[T]{items: make(chan Item[T], size), quit: make(chan struct{}),
		done: make(chan struct{}), closed: closed}
}

// Add queues a batch of trail events up to position, then moves the
// latest position to it, so that whoever reads a position from Latest
// finds every batch up to it queued (or dropped, and so flagged). It never
// blocks: when the queue is full the batch is dropped.
func (q *Queue[T]) Add(batch T, position uint64) {
	select {
	case q.items <- Item[T]{Batch: batch, Position: position}:
	default:
		q.dropped.Store(true) // the writer reads it back from the trail
	}
	q.Advance(position)
}

// Advance moves the latest position to position, if it is further.
func (q *Queue[T]) Advance(position uint64) {
	for {
		cur := q.latest.Load()
		if position <= cur || q.latest.CompareAndSwap(cur, position) {
			return
		}
	}
}

// Latest is the trail's last position seen.
func (q *Queue[T]) Latest() uint64 { return q.latest.Load() }

// Drop flags a batch the writer must read back from the trail.
func (q *Queue[T]) Drop() { q.dropped.Store(true) }

// Dropped reports whether a batch was dropped since TakeDropped.
func (q *Queue[T]) Dropped() bool { return q.dropped.Load() }

// TakeDropped reports whether a batch was dropped, and clears the flag.
func (q *Queue[T]) TakeDropped() bool { return q.dropped.Swap(false) }

// Items is where the writer receives the queued items.
func (q *Queue[T]) Items() <-chan Item[T] { return q.items }

// Quit is closed by Close: the writer drains the queue, writes it and
// returns.
func (q *Queue[T]) Quit() <-chan struct{} { return q.quit }

// Start runs the writer in its goroutine, once; Close waits for it to
// return.
func (q *Queue[T]) Start(run func()) {
	if !q.started.Swap(true) {
		go func() {
			defer close(q.done)
			run()
		}()
	}
}

// Flush returns once every batch added before it is written (or read back
// from the trail), or with the error that kept it from being written.
func (q *Queue[T]) Flush(ctx context.Context) error {
	ch := make(chan error, 1)
	select {
	case q.items <- Item[T]{Flushed: ch}:
	case <-q.quit:
		return q.closed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the writer, which writes what is queued first, and waits
// for it (if it was started).
func (q *Queue[T]) Close() {
	q.once.Do(func() { close(q.quit) })
	if q.started.Load() {
		<-q.done
	}
}

// Drain adds the items already queued to batch, until it holds limit
// (0: no bound).
func (q *Queue[T]) Drain(batch []Item[T], limit int) []Item[T] {
	for limit == 0 || len(batch) < limit {
		select {
		case it := <-q.items:
			batch = append(batch, it)
		default:
			return batch
		}
	}
	return batch
}

// Answer answers the Flushes in a batch the writer has written, with the
// write's error.
func Answer[T any](batch []Item[T], err error) {
	for _, it := range batch {
		if it.Flushed != nil {
			it.Flushed <- err
		}
	}
}
